import WeftInterpreter
import WeftScheduler
import WeftTrace

/// The events of a debugging session's run, in order, with the position each happened at.
/// While the run is behind the furthest point reached, the timeline answers the runner from
/// what it recorded (schedule, timeouts, WASI results) and checks each event again; past that
/// point a live schedule decides and the host answers, and the timeline records. A session
/// opened on a trace has every event from the start and nothing live.
final class Timeline: ScheduleSource, HostCallSource, RunObserver {
    /// The events, coded compactly (a long run has millions).
    let events: EventStore
    /// The run's instruction time when each event happened, for the events passed so far in
    /// this session (the first ``highWater``).
    private(set) var times = EventTimes()
    /// The index of the next event (equal to the runner's event count).
    var cursor = 0
    /// Decides past the recorded events (a live session); nil when the events are all there is.
    let live: ScheduleSource?
    /// The run's instruction clock, read when an event is recorded.
    var clock: () -> UInt64 = { 0 }
    /// Called when the runner passes an event for the first time in this session.
    var firstPass: ((Int) -> Void)?
    /// The furthest event index passed so far.
    private(set) var highWater = 0

    init(live: ScheduleSource) {
        self.live = live
        events = EventStore()
    }

    /// A timeline of the recorded `events` (read from a trace), with nothing live.
    init(recorded events: EventStore) {
        self.events = events
        live = nil
    }

    var replaying: Bool { cursor < events.count || live == nil }

    // MARK: ScheduleSource

    var decidesTimeouts: Bool { replaying }

    func threadCreated(_ thread: Int32) {
        if !replaying { live?.threadCreated(thread) }
    }

    func next(runnable: [Int32], blockedInHost: [Int32], current: (thread: Int32, budget: Int)?) throws -> ScheduleDecision {
        if !replaying, let live { return try live.next(runnable: runnable, blockedInHost: blockedInHost, current: current) }
        let event = try expected()
        switch event {
        case .slice(let t, let budget, _): return .run(thread: t, budget: budget)
        case .timeout(let t): return .timeout(thread: t)
        default: throw DebugError("the run went on where the recording has \(describe(event)) (event \(cursor))")
        }
    }

    // MARK: HostCallSource

    var answersHostCalls: Bool { replaying }

    func hostCall(thread: Int32, name: String, arguments: [UInt64]) throws -> HostCallRecord {
        let event = try expected()
        guard case .hostCall(let t, let record) = event, t == thread, record.name == name, record.arguments == arguments else {
            throw DebugError("the run made a WASI call (\(name)) where the recording has \(describe(event)) (event \(cursor))")
        }
        return record
    }

    func expected() throws -> RunEvent {
        guard cursor < events.count else {
            throw DebugError("the recording ends at event \(events.count); the run cannot go further")
        }
        return events[cursor]
    }

    // MARK: RunObserver

    func event(_ event: RunEvent) throws {
        if cursor < events.count {
            guard events[cursor] == event else {
                throw DebugError("re-execution diverged at event \(cursor): recorded \(describe(events[cursor])), now \(describe(event))")
            }
            // The first pass (at the high-water mark) learns the event's time.
            if cursor == times.count { times.append(clock()) }
        } else if live != nil {
            events.append(event)
            times.append(clock())
        } else {
            throw DebugError("the run went past the end of the recording (event \(cursor))")
        }
        cursor += 1
        if cursor > highWater {
            highWater = cursor
            firstPass?(cursor - 1)
        }
    }

    /// True when event `index` has a known time (it was reached in this session).
    func timeKnown(_ index: Int) -> Bool { index < highWater }
}

/// A debugger error: one line for the user.
public struct DebugError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
