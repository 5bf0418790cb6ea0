import WeftInterpreter
import WeftScheduler

/// Drives a run from a trace: it supplies the recorded scheduling decisions and WASI results,
/// and checks every event the run produces against the recorded one, stopping at the first
/// difference (``ReplayDivergence``) or where the trace stops (``TraceEndsEarly``).
public final class TraceReplayer: ScheduleSource, HostCallSource, RunObserver {
    let reader: TraceReader
    // Touched only by this replayer's methods, which the runner calls one at a time: no
    // run-time exclusivity checks on the per-event state.
    @exclusivity(unchecked) var pending: (event: RunEvent, end: TraceEnd?)?
    var executions: [Int32: ExecutionThread] = [:]
    let memory: LinearMemory?
    /// Events checked so far.
    @exclusivity(unchecked) public private(set) var verified = 0

    public init(reader: TraceReader, memory: LinearMemory?) {
        self.reader = reader
        self.memory = memory
    }

    public var decidesTimeouts: Bool { true }

    public func threadCreated(_ thread: Int32) {}

    public func threadStarted(_ thread: Int32, execution: ExecutionThread) {
        executions[thread] = execution
    }

    func peek() throws -> (event: RunEvent, end: TraceEnd?) {
        if let pending { return pending }
        guard let next = try reader.next() else {
            throw TraceEndsEarly(event: verified)
        }
        pending = next
        return next
    }

    func divergence(thread: Int32?, expected: RunEvent, actual: String) -> ReplayDivergence {
        var location: String?
        if let thread, let e = executions[thread] { location = e.backtrace().first }
        return ReplayDivergence(event: verified, thread: thread, location: location, expected: describe(expected), actual: actual)
    }

    public func next(runnable: [Int32], blockedInHost: [Int32], current: (thread: Int32, budget: Int)?) throws -> ScheduleDecision {
        let (event, _) = try peek()
        switch event {
        case .slice(let t, let budget, _): return .run(thread: t, budget: budget)
        case .timeout(let t): return .timeout(thread: t)
        default:
            throw divergence(thread: event.thread, expected: event, actual: "the run continued (threads \(runnable.map(String.init).joined(separator: ", ")) could run)")
        }
    }

    public func hostCall(thread: Int32, name: String, arguments: [UInt64]) throws -> HostCallRecord {
        let (event, _) = try peek()
        guard case .hostCall(let t, let record) = event, t == thread, record.name == name, record.arguments == arguments else {
            throw divergence(thread: thread, expected: event, actual: describeCall(thread: thread, name: name, arguments: arguments))
        }
        return record
    }

    public func event(_ event: RunEvent) throws {
        let (expected, end) = try peek()
        guard expected == event else {
            throw divergence(thread: event.thread ?? expected.thread, expected: expected, actual: describe(event))
        }
        if let end, let recorded = end.memoryDigest {
            let actual = memoryDigest(memory, formatVersion: reader.formatVersion)
            guard actual == recorded else {
                throw ReplayDivergence(
                    event: verified, thread: nil, location: nil, expected: "final memory digest \(hex(recorded))",
                    actual: actual.map { "digest \(hex($0))" } ?? "no memory")
            }
        }
        pending = nil
        verified += 1
    }
}

/// A replay that stopped matching its trace.
public struct ReplayDivergence: Error, CustomStringConvertible {
    public var event: Int
    public var thread: Int32?
    public var location: String?
    public var expected: String
    public var actual: String

    public var description: String {
        var at = "replay diverged at event \(event)"
        if let thread { at += ", thread \(thread)" }
        if let location { at += " in \(location)" }
        return "\(at): the trace has \(expected), the run did \(actual)"
    }
}

/// The trace stops before the run it recorded ended (the recording was killed or cut).
public struct TraceEndsEarly: Error, CustomStringConvertible {
    public var event: Int
    public var description: String { "trace ends early at event \(event): the recording stopped before the run ended" }
}

extension RunEvent {
    /// The thread an event belongs to, if any.
    public var thread: Int32? {
        switch self {
        case .slice(let t, _, _), .atomic(let t, _), .wait(let t, _, _), .timeout(let t), .notify(let t, _, _, _),
            .exit(let t), .sleep(let t), .hostCall(let t, _):
            return t
        case .spawn(let parent, _, _): return parent
        case .end: return nil
        }
    }
}
