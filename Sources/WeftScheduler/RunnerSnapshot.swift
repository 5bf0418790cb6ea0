import WeftInterpreter

/// Everything a multithreaded run is at one moment: memory, every thread (interpreter state,
/// instance state, scheduling state), wait queues, clocks and counters. Restoring it into the
/// runner that took it makes the run continue from there exactly as it did the first time, as
/// long as its decisions and WASI answers come from the same source (a debugger's timeline).
public struct RunnerSnapshot {
    struct Thread {
        var tid: Int32
        var execution: ExecutionThread
        var state: GuestThread.State
        var position: UInt64
        var sliceBudget: Int
        var saved: ThreadSnapshot
    }

    var threads: [Thread]
    var order: [Int32]
    var nextTid: Int32
    var waitQueues: [UInt64: [Int32]]
    var clock: UInt64
    var sleepRequest: (thread: Int32, deadline: UInt64)?
    var slices: Int
    var eventCount: Int
    var time: UInt64
    var activeSlice: (thread: Int32, budget: Int)?
    var lastThread: Int32?
    var current: Int32?
    var ended: ThreadedOutcome?
    public let memory: MemorySnapshot?

    /// The run's position when it was taken.
    public var instructionTime: UInt64 { time }
    public var events: Int { eventCount }
    /// Each thread's instruction count.
    public var threadCounts: [Int32: UInt64] {
        Dictionary(uniqueKeysWithValues: threads.map { ($0.tid, $0.saved.instructionCount) })
    }
    /// Bytes held apart from memory pages shared with other snapshots.
    public var threadBytes: Int { threads.reduce(0) { $0 + $1.saved.byteCount } }
}

extension ThreadedRunner {
    /// Captures the run's state; `previous` (an earlier snapshot of this run) lets unchanged
    /// memory pages be shared. Take it while no thread runs (between ``advance()`` calls).
    public func snapshot(sharingWith previous: RunnerSnapshot? = nil) -> RunnerSnapshot {
        RunnerSnapshot(
            threads: order.map { tid in
                let t = threads[tid]!
                return .init(
                    tid: tid, execution: t.execution, state: t.state, position: t.position, sliceBudget: t.sliceBudget,
                    saved: t.execution.snapshot())
            },
            order: order, nextTid: nextTid, waitQueues: waitQueues, clock: clock, sleepRequest: sleepRequest,
            slices: slices, eventCount: eventCount, time: time, activeSlice: activeSlice, lastThread: lastThread,
            current: current, ended: ended,
            memory: program.importedMemory.map { $0.snapshot(sharingWith: previous?.memory) })
    }

    /// Puts the run back to `snapshot` (taken by this runner). Threads spawned since are gone;
    /// observers are not told (their own state is theirs to restore).
    public func restore(_ snapshot: RunnerSnapshot) {
        if let m = snapshot.memory { program.importedMemory?.restore(m) }
        var restored: [Int32: GuestThread] = [:]
        for t in snapshot.threads {
            let g = GuestThread(tid: t.tid, execution: t.execution)
            g.state = t.state
            g.position = t.position
            g.sliceBudget = t.sliceBudget
            t.execution.restore(t.saved)
            restored[t.tid] = g
        }
        threads = restored
        order = snapshot.order
        nextTid = snapshot.nextTid
        waitQueues = snapshot.waitQueues
        clock = snapshot.clock
        sleepRequest = snapshot.sleepRequest
        slices = snapshot.slices
        eventCount = snapshot.eventCount
        time = snapshot.time
        activeSlice = snapshot.activeSlice
        lastThread = snapshot.lastThread
        current = snapshot.current
        ended = snapshot.ended
        deferredError = nil
        boundarySkipped = false
    }
}
