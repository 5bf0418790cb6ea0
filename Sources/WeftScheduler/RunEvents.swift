import WeftInterpreter
import WeftWASI

/// Something that happened in a multithreaded run. The runner reports these, in order, to its
/// observers (``RunObserver``): the trace recorder writes them, replay checks them, the race
/// detector takes its happens-before edges from them. They occur only at scheduling points, so
/// observing them costs nothing per instruction.
public enum RunEvent: Equatable, Sendable {
    /// The scheduler let `thread` run with a budget of `budget` yield points; `position` is how
    /// many yield points the thread had used before this slice (its own step count).
    case slice(thread: Int32, budget: Int, position: UInt64)
    /// `thread` executed an atomic load, store, read-modify-write, compare-exchange, fence, or a
    /// wait that returned at once (not-equal). Waits that block and notifies have their own events.
    case atomic(thread: Int32, AtomicAccess)
    /// `thread` blocked in `memory.atomic.wait` on `address`; `timeout` in ns, negative for none.
    case wait(thread: Int32, address: UInt64, timeout: Int64)
    /// A blocked wait or sleep of `thread` timed out (a wait returns 2).
    case timeout(thread: Int32)
    /// `memory.atomic.notify` by `thread` on `address` woke `woken`, in that order.
    case notify(thread: Int32, address: UInt64, count: UInt32, woken: [Int32])
    /// `wasi.thread-spawn` by `parent` started thread `child` (negative: the spawn failed).
    case spawn(parent: Int32, child: Int32, argument: UInt32)
    /// `thread` finished (its `wasi_thread_start` returned).
    case exit(thread: Int32)
    /// A sleep (`poll_oneoff` on clocks only) parked `thread`; a ``timeout`` event ends it.
    case sleep(thread: Int32)
    /// A WASI call by `thread`: its arguments, outcome and the bytes it stored in guest memory.
    case hostCall(thread: Int32, HostCallRecord)
    /// The run ended.
    case end(ThreadedOutcome)
}

/// One WASI call as a trace keeps it: enough to answer it again without the host.
public struct HostCallRecord: Equatable, Sendable {
    public enum Outcome: Equatable, Sendable {
        /// The call returned these raw results.
        case returned([UInt64])
        /// `proc_exit(code)`.
        case exit(UInt32)
        /// The call would have blocked (e.g. reading an empty pipe); the thread retries it later.
        case wouldBlock
        /// The call trapped (e.g. a pointer out of bounds); the one-line message.
        case trapped(String)
    }

    public var name: String
    public var arguments: [UInt64]
    public var outcome: Outcome
    public var writes: [MemoryWrite]

    public init(name: String, arguments: [UInt64], outcome: Outcome, writes: [MemoryWrite]) {
        self.name = name
        self.arguments = arguments
        self.outcome = outcome
        self.writes = writes
    }
}

/// Watches a run's events. A throwing observer stops the run with its error (replay does this
/// on the first mismatch).
public protocol RunObserver: AnyObject {
    /// A thread exists and is about to run its first instruction (the main thread, then each
    /// spawned one right after its `spawn` event). Attach a probe here.
    func threadStarted(_ thread: Int32, execution: ExecutionThread)
    func event(_ event: RunEvent) throws
}

extension RunObserver {
    public func threadStarted(_ thread: Int32, execution: ExecutionThread) {}
}

/// What the runner does next, as decided by a ``ScheduleSource``.
public enum ScheduleDecision: Equatable, Sendable {
    /// Resume `thread` with a budget of `budget` yield points.
    case run(thread: Int32, budget: Int)
    /// The wait or sleep of `thread` times out now.
    case timeout(thread: Int32)
}

/// Where scheduling decisions come from: a live strategy (``LiveSchedule``), or a trace being
/// replayed, which also answers WASI calls (``HostCallSource``).
public protocol ScheduleSource: AnyObject {
    /// True when the source decides timeouts itself (replay); otherwise the runner times out
    /// waits by its clock and asks only which thread runs.
    var decidesTimeouts: Bool { get }
    func threadCreated(_ thread: Int32)
    /// The next decision. `runnable` is sorted; `current` is the thread that last ran if it can
    /// go on, with its remaining budget. `blockedInHost` threads wait for host input; a replay
    /// may run them (their call is answered from the trace).
    func next(runnable: [Int32], blockedInHost: [Int32], current: (thread: Int32, budget: Int)?) throws -> ScheduleDecision
}

/// Answers WASI calls during a replay, from the trace instead of the host.
public protocol HostCallSource: AnyObject {
    /// True while the next calls come from the source (a debugger's timeline answers only the
    /// calls it has recorded, and lets later ones reach the host).
    var answersHostCalls: Bool { get }
    func hostCall(thread: Int32, name: String, arguments: [UInt64]) throws -> HostCallRecord
}

extension HostCallSource {
    public var answersHostCalls: Bool { true }
}

/// The schedule a strategy (round robin, random, PCT) chooses as the run goes.
public final class LiveSchedule: ScheduleSource {
    var scheduler: Scheduler

    public init(options: ScheduleOptions) {
        scheduler = Scheduler(options: options)
    }

    public var decidesTimeouts: Bool { false }

    public func threadCreated(_ thread: Int32) {
        scheduler.threadCreated(thread)
    }

    public func next(runnable: [Int32], blockedInHost: [Int32], current: (thread: Int32, budget: Int)?) throws -> ScheduleDecision {
        let preempted = current.map { $0.budget <= 0 } ?? true
        let tid = scheduler.pick(runnable: runnable, current: current?.thread, preempted: preempted)
        if let current, current.thread == tid, !preempted { return .run(thread: tid, budget: current.budget) }
        return .run(thread: tid, budget: scheduler.quantum())
    }
}

/// Where ``ThreadedRunner/advance()`` stopped.
public enum RunProgress: Equatable {
    /// `thread` paused (nil reason: between slices, as ``ThreadedRunner/betweenSlices`` asked).
    case paused(thread: Int32, reason: PauseReason?)
    /// The program ended.
    case ended(ThreadedOutcome)
}
