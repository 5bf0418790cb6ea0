import WeftInterpreter
import WeftWASI

/// Options of a multithreaded run beyond the schedule.
public struct ThreadOptions: Sendable {
    public var schedule = ScheduleOptions()
    /// Most threads alive at once, the main thread included; `thread-spawn` fails beyond it.
    public var maxThreads = 64
    /// Stop after this many scheduling slices (a runaway program), if set.
    public var maxSlices: Int?
    /// Read the host's clocks (and really sleep) instead of virtual time.
    public var realTime = false

    public init() {}
}

/// How a multithreaded run ended.
public enum ThreadedOutcome: Equatable, Sendable {
    /// `proc_exit(code)` in any thread, or `_start` returning (0).
    case exited(UInt32)
    /// A trap in thread `thread`; `message` is one line.
    case trapped(thread: Int32, message: String)
    /// Every live thread waits with no timeout: the summary line, then one line per thread.
    case deadlock(summary: String, threads: [String])
    /// `maxSlices` ran out.
    case limitExceeded(slices: Int)

    public var exitStatus: Int32 {
        switch self {
        case .exited(let c): return Int32(truncatingIfNeeded: c & 0xFF)
        case .trapped: return ExitStatus.trap
        case .deadlock: return ThreadExitStatus.deadlock
        case .limitExceeded: return ThreadExitStatus.limitExceeded
        }
    }
}

public enum ThreadExitStatus {
    /// All live threads blocked forever.
    public static let deadlock: Int32 = 135
    /// `--max-instructions` (scheduling slices) exceeded.
    public static let limitExceeded: Int32 = 136
}

/// One guest thread under the scheduler.
final class GuestThread {
    enum State: Equatable {
        case runnable
        /// Waiting on `address` (`memory.atomic.wait`), or sleeping (`poll_oneoff`) when nil.
        case blocked(address: UInt64?, deadline: UInt64?)
        /// A WASI call would block on host descriptor `fd`; the call is retried when it is ready.
        case blockedInHost(fd: Int32)
        case exited
    }

    let tid: Int32
    let execution: ExecutionThread
    var state: State = .runnable
    /// Yield points this thread has used (its position in its own execution).
    var position: UInt64 = 0
    /// The budget its current or last slice began with.
    var sliceBudget = 0

    init(tid: Int32, execution: ExecutionThread) {
        self.tid = tid
        self.execution = execution
    }
}

/// A WASI call that would block the host thread; the guest thread retries it when its host
/// descriptor is ready.
struct HostWouldBlock: Error {
    let fd: Int32
}

/// Runs a wasi-threads program: every guest thread on this host thread, interleaved by a
/// deterministic scheduler. Scheduling points are every atomic access, wait, notify, fence and
/// host call, and the end of a thread's quantum.
public final class ThreadedRunner: SynchronizationHandler {
    public let program: Program
    let options: ThreadOptions
    let schedule: ScheduleSource
    /// Set during a replay: answers WASI calls from the trace.
    let hostCalls: HostCallSource?
    var observers: [RunObserver] = []
    var threads: [Int32: GuestThread] = [:]
    var order: [Int32] = []
    var nextTid: Int32 = 1
    /// Threads waiting on each address, first come first woken.
    var waitQueues: [UInt64: [Int32]] = [:]
    /// Virtual time in nanoseconds: ``nanosecondsPerYieldPoint`` for each yield point executed,
    /// and a jump to the earliest timeout when every thread is blocked.
    public internal(set) var clock: UInt64 = 0
    public static let nanosecondsPerYieldPoint: UInt64 = 100
    /// What virtual `CLOCK_REALTIME` reads at the start of a run: 2000-01-01T00:00:00Z.
    public static let virtualEpoch: UInt64 = 946_684_800 * 1_000_000_000
    /// Set by a virtual `poll_oneoff` sleep; applied when the calling thread stops after the call.
    var sleepRequest: (thread: Int32, deadline: UInt64)?
    public internal(set) var slices = 0
    /// Events emitted so far (the next event's index).
    public internal(set) var eventCount = 0
    /// Instructions executed by all threads so far, counted when ``debugging``: the run's clock
    /// for a debugger (with ``eventCount``, a position in the run).
    public internal(set) var time: UInt64 = 0
    /// Count instructions and honour the threads' debugging conditions (set before ``start()``).
    public var debugging = false
    /// Pause at the first chance at or after this position: an instruction about to execute
    /// once `time` instructions ran and `events` events happened, or between slices.
    public var stopAt: (time: UInt64, events: Int)?
    /// Called between slices when debugging; returning true pauses the run there.
    public var betweenSlices: (() -> Bool)?
    /// The thread whose slice is in progress (it paused inside it), with the slice's budget.
    var activeSlice: (thread: Int32, budget: Int)? {
        didSet { if let s = activeSlice { threads[s.thread]?.sliceBudget = s.budget } }
    }
    /// The thread running now and its instruction count when its resume began.
    var running: (execution: ExecutionThread, count: UInt64)?
    /// ``time`` including the instructions of a thread that is running now (for observers).
    public var currentTime: UInt64 {
        guard let running else { return time }
        return time &+ (running.execution.debug.instructionCount &- running.count)
    }
    /// The slice in progress reached ``stopAt``'s time before its events: it runs to its end.
    var boundarySkipped = false
    /// The thread that last ran, or nil before any ran.
    public internal(set) var lastThread: Int32?
    /// The thread whose slice ended last, when it may go on.
    var current: Int32?
    /// How the run ended, once it has.
    public internal(set) var ended: ThreadedOutcome?
    /// Where guest output goes during a replay (fd 1 and 2); nil suppresses it.
    public var replayOutput: ((Int32, [UInt8]) -> Void)? = { fd, bytes in writeAll(fd, bytes) }

    /// A live run: `options.schedule` picks the threads.
    public convenience init(program: Program, options: ThreadOptions) {
        self.init(program: program, options: options, schedule: LiveSchedule(options: options.schedule))
    }

    /// A run whose decisions come from `schedule`, and whose WASI calls, when `hostCalls` is
    /// set, are answered by it instead of the host.
    public init(program: Program, options: ThreadOptions, schedule: ScheduleSource, hostCalls: HostCallSource? = nil) {
        self.program = program
        self.options = options
        self.schedule = schedule
        self.hostCalls = hostCalls
        program.threadSpawn = { [unowned self] call in
            [UInt64(UInt32(bitPattern: try self.spawn(parent: call.thread.id, argument: call.arguments[0])))]
        }
        program.overrideHostFunction(module: "wasi_snapshot_preview1", name: "poll_oneoff") { [unowned self] call in
            self.pollOneoff(call)
        }
        program.overrideHostFunction(module: "wasi_snapshot_preview1", name: "clock_time_get") { [unowned self] call in
            self.clockTimeGet(call)
        }
        program.wasi.interceptor = { [unowned self] name, call, perform in
            try self.hostCall(name: name, call: call, perform: perform)
        }
    }

    /// Adds an observer; it sees every event from the start of the run.
    public func addObserver(_ observer: RunObserver) {
        observers.append(observer)
    }

    func emit(_ event: RunEvent) throws {
        eventCount += 1
        for o in observers { try o.event(event) }
    }

    // MARK: Time

    /// Now, in nanoseconds: virtual, or the host's monotonic clock with `--real-time`.
    func now() -> UInt64 {
        options.realTime ? hostMonotonicNanoseconds() : clock
    }

    /// `clock_time_get` in virtual time: realtime is ``virtualEpoch`` plus the virtual clock, the
    /// other clocks the virtual clock. With `--real-time` the host answers (and a trace records it).
    func clockTimeGet(_ call: HostCall) -> [UInt64]? {
        guard !options.realTime else { return nil }
        let id = UInt32(truncatingIfNeeded: call.arguments[0])
        let pointer = UInt64(UInt32(truncatingIfNeeded: call.arguments[2]))
        guard id <= 3 else { return [28] }  // EINVAL
        guard let out = call.memory?.bytes(at: pointer, count: 8) else { return [21] }  // EFAULT
        out.storeBytes(of: id == 0 ? Self.virtualEpoch &+ clock : clock, as: UInt64.self)
        return [0]
    }

    /// `poll_oneoff` whose subscriptions are all clocks is a sleep: the events are written now and
    /// the thread is parked until the earliest deadline. Other subscriptions go to the host
    /// (WasmKit's implementation).
    func pollOneoff(_ call: HostCall) -> [UInt64]? {
        let a = call.arguments.map { UInt32(truncatingIfNeeded: $0) }
        let (input, output, count, resultPointer) = (UInt64(a[0]), UInt64(a[1]), Int(a[2]), UInt64(a[3]))
        guard count > 0, let memory = call.memory,
            let subscriptions = memory.bytes(at: input, count: 48 * count),
            let events = memory.bytes(at: output, count: 32 * count),
            let result = memory.bytes(at: resultPointer, count: 4)
        else { return nil }
        var earliest: (deadline: UInt64, index: Int)?
        let start = now()
        for i in 0..<count {
            let s = subscriptions.baseAddress! + 48 * i
            guard s.load(fromByteOffset: 8, as: UInt8.self) == 0 else { return nil }  // not a clock
            let timeout = s.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            let absolute = s.loadUnaligned(fromByteOffset: 40, as: UInt16.self) & 1 != 0
            let deadline = absolute ? timeout : start &+ timeout
            if earliest == nil || deadline < earliest!.deadline { earliest = (deadline, i) }
        }
        guard let earliest else { return nil }
        let s = subscriptions.baseAddress! + 48 * earliest.index
        let e = events.baseAddress!
        e.storeBytes(of: s.loadUnaligned(fromByteOffset: 0, as: UInt64.self), toByteOffset: 0, as: UInt64.self)
        e.storeBytes(of: 0, toByteOffset: 8, as: UInt16.self)  // no error
        e.storeBytes(of: 0, toByteOffset: 10, as: UInt8.self)  // clock event
        (e + 16).initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        result.storeBytes(of: 1, as: UInt32.self)
        sleepRequest = (call.thread.id, earliest.deadline)
        return [0]
    }

    // MARK: Host calls

    /// Every WASI call passes here: answered from the trace in a replay; otherwise performed,
    /// unless it would block the host (a read from stdin with no data yet), and reported.
    func hostCall(name: String, call: HostCall, perform: (HostCall) throws -> [UInt64]) throws -> [UInt64] {
        let tid = call.thread.id
        if let hostCalls, hostCalls.answersHostCalls {
            let record = try hostCalls.hostCall(thread: tid, name: name, arguments: call.arguments)
            try emit(.hostCall(thread: tid, record))
            return try answer(record, call: call)
        }
        if name == "fd_read", UInt32(truncatingIfNeeded: call.arguments[0]) == 0, !hostReadable(program.wasi.stdinDescriptor) {
            try emit(.hostCall(thread: tid, HostCallRecord(name: name, arguments: call.arguments, outcome: .wouldBlock, writes: [])))
            throw HostWouldBlock(fd: program.wasi.stdinDescriptor)
        }
        guard !observers.isEmpty else { return try perform(call) }
        var outcome: HostCallRecord.Outcome
        var writes: [MemoryWrite] = []
        var failure: (any Error)?
        do {
            let (results, w) = try program.wasi.capturingWrites { try perform(call) }
            outcome = .returned(results)
            writes = w
        } catch {
            failure = error
            if let code = WASIHost.exitCode(of: error) {
                outcome = .exit(code)
            } else {
                outcome = .trapped((error as? Trap)?.description ?? "\(error)")
            }
        }
        try emit(.hostCall(thread: tid, HostCallRecord(name: name, arguments: call.arguments, outcome: outcome, writes: writes)))
        if let failure { throw failure }
        if case .returned(let r) = outcome { return r }
        return []
    }

    /// Replays a recorded WASI call: its memory writes, its output to stdout/stderr, its result.
    func answer(_ record: HostCallRecord, call: HostCall) throws -> [UInt64] {
        for w in record.writes {
            guard let dest = call.memory?.bytes(at: w.address, count: w.bytes.count) else {
                throw ReplayHostError.writeOutOfBounds(address: w.address, count: w.bytes.count)
            }
            dest.copyBytes(from: w.bytes)
        }
        switch record.outcome {
        case .returned(let results):
            if let replayOutput, record.name == "fd_write", results.first == 0 {
                let fd = Int32(truncatingIfNeeded: call.arguments[0])
                if fd == 1 || fd == 2, let bytes = gatherIOVecs(call) { replayOutput(fd, bytes) }
            }
            return results
        case .exit(let code):
            throw GuestExit(code: code)
        case .wouldBlock:
            throw HostWouldBlock(fd: -1)
        case .trapped(let message):
            throw Trap(.host(message))
        }
    }

    /// The bytes an `fd_write(fd, iovs, count, nwritten)` call wrote, read from its iovecs.
    func gatherIOVecs(_ call: HostCall) -> [UInt8]? {
        guard let memory = call.memory else { return nil }
        let iovs = UInt64(UInt32(truncatingIfNeeded: call.arguments[1]))
        let count = Int(UInt32(truncatingIfNeeded: call.arguments[2]))
        guard count < 1 << 16, let vecs = memory.bytes(at: iovs, count: 8 * count) else { return nil }
        var bytes: [UInt8] = []
        for i in 0..<count {
            let base = UInt64(vecs.load(fromByteOffset: 8 * i, as: UInt32.self))
            let length = Int(vecs.load(fromByteOffset: 8 * i + 4, as: UInt32.self))
            guard let data = memory.bytes(at: base, count: length) else { return nil }
            bytes.append(contentsOf: data)
        }
        return bytes
    }

    // MARK: Threads

    func configure(_ e: ExecutionThread, tid: Int32) {
        e.id = tid
        if debugging { e.enableDebugging() }
        e.synchronization = self
        e.yieldAtSyncPoints = true
        if options.schedule.kind != .rr {
            // Random and PCT explore interleavings, so they may switch threads between any two
            // memory accesses: each charges the budget (the loop's preempting variant, or the
            // instrumented one when a probe is attached).
            e.preemptAtMemoryAccesses = true
        }
    }

    func add(_ t: GuestThread) {
        threads[t.tid] = t
        order.append(t.tid)
        schedule.threadCreated(t.tid)
        for o in observers { o.threadStarted(t.tid, execution: t.execution) }
    }

    /// `wasi.thread-spawn(arg)`: a new instance sharing the memory, entering `wasi_thread_start`.
    func spawn(parent: Int32, argument: UInt64) throws -> Int32 {
        let arg = UInt32(truncatingIfNeeded: argument)
        let live = threads.values.filter { $0.state != .exited }.count
        guard live < options.maxThreads, nextTid <= 0x1FFF_FFFF else {
            try emit(.spawn(parent: parent, child: -1, argument: arg))
            return -1
        }
        let tid = nextTid
        let execution = ExecutionThread(store: program.store)
        do {
            let instance = try program.instantiate(thread: execution)
            guard let entry = instance.exportedFunction("wasi_thread_start") else {
                try emit(.spawn(parent: parent, child: -1, argument: arg))
                return -1
            }
            try execution.start(entry, arguments: [UInt64(UInt32(bitPattern: tid)), UInt64(arg)])
        } catch {
            try emit(.spawn(parent: parent, child: -1, argument: arg))
            return -1
        }
        nextTid += 1
        configure(execution, tid: tid)
        try emit(.spawn(parent: parent, child: tid, argument: arg))
        add(GuestThread(tid: tid, execution: execution))
        return tid
    }

    /// Runs `_start` and every thread it spawns to the end of the program.
    public func run() throws -> ThreadedOutcome {
        defer { program.wasi.close() }
        if let outcome = try start() { return outcome }
        while true {
            if case .ended(let outcome) = try advance() { return outcome }
        }
    }

    /// Instantiates the program for the main thread, ready to run `_start`; returns the outcome
    /// when the run already ended (instantiation trapped or exited). ``advance()`` runs it.
    public func start() throws -> ThreadedOutcome? {
        let main = ExecutionThread(store: program.store)
        program.prepareThread?(main)
        let instance: Instance
        do {
            instance = try program.instantiate(thread: main)
        } catch let t as Trap {
            return try finish(.trapped(thread: 0, message: t.description))
        } catch {
            if let code = WASIHost.exitCode(of: error) { return try finish(.exited(code)) }
            throw error
        }
        guard let start = instance.exportedFunction("_start") else { throw ProgramError.noStart }
        try main.start(start, arguments: [])
        configure(main, tid: 0)
        add(GuestThread(tid: 0, execution: main))
        return nil
    }

    func finish(_ outcome: ThreadedOutcome) throws -> ThreadedOutcome {
        ended = outcome
        try emit(.end(outcome))
        return outcome
    }

    /// Runs until the program ends, or (when debugging) until a thread pauses: at a debugging
    /// condition (``ExecutionThread/debug``), at ``stopAt``, or when ``betweenSlices`` asks.
    /// Pauses never change the run: the same schedule continues when it is called again.
    public func advance() throws -> RunProgress {
        if let ended { return .ended(ended) }
        while true {
            let tid: Int32
            if let slice = activeSlice {
                tid = slice.thread
            } else {
                if let stopAt, time >= stopAt.time, eventCount >= stopAt.events, let last = lastThread {
                    return .paused(thread: last, reason: .boundary)
                }
                if let betweenSlices, betweenSlices() { return .paused(thread: lastThread ?? 0, reason: nil) }
                switch try nextSlice() {
                case .ended(let outcome): return .ended(try finish(outcome))
                case .thread(let t): tid = t
                }
            }
            let thread = threads[tid]!
            let execution = thread.execution
            let countBefore = execution.debug.instructionCount
            running = (execution, countBefore)
            defer { running = nil }
            if debugging {
                var boundary = stopAt.map { $0.time > time ? countBefore &+ ($0.time - time) : countBefore } ?? .max
                if boundarySkipped { boundary = .max }
                execution.updateDebug { $0.instructionBoundary = boundary }
            }
            let reason = execution.resume()
            time &+= execution.debug.instructionCount &- countBefore
            lastThread = tid
            if let error = deferredError { throw error }
            if case .paused = reason {
                let pauseReason = execution.debug.pauseReason
                if pauseReason == .boundary, let stopAt, eventCount < stopAt.events {
                    // The right time, but an earlier slice of it: this slice runs no further
                    // instruction before the position's own slice begins.
                    boundarySkipped = true
                    continue
                }
                return .paused(thread: tid, reason: pauseReason)
            }
            activeSlice = nil
            boundarySkipped = false
            if let outcome = try finishSlice(thread, reason: reason) { return .ended(try finish(outcome)) }
            if execution.debug.pauseRequested {
                execution.updateDebug { $0.pauseRequested = false }
                return .paused(thread: tid, reason: .requested)
            }
        }
    }

    enum NextSlice { case thread(Int32), ended(ThreadedOutcome) }

    /// Decides which thread runs next (timeouts, host input, deadlock and limits included) and
    /// starts its slice.
    func nextSlice() throws -> NextSlice {
        while true {
            let replaying = schedule.decidesTimeouts
            if !replaying { try expireTimeouts() }
            pollHostInput()
            let runnable = order.filter { threads[$0]?.state == .runnable }
            let inHost = order.filter { if case .blockedInHost = threads[$0]!.state { return true } else { return false } }
            if runnable.isEmpty, !replaying {
                if try wakeEarliestTimeout() { current = nil; continue }
                if !inHost.isEmpty {
                    pollHostInput(waitMilliseconds: -1)
                    continue
                }
                return .ended(deadlockReport())
            }
            if let limit = options.maxSlices, slices >= limit { return .ended(.limitExceeded(slices: slices)) }
            if runnable.isEmpty, inHost.isEmpty, !hasTimeouts() { return .ended(deadlockReport()) }
            let cur = current.flatMap { c in runnable.contains(c) ? (c, threads[c]!.execution.yieldBudget) : nil }
            switch try schedule.next(runnable: runnable, blockedInHost: inHost, current: cur) {
            case .timeout(let t):
                try timeOut(t)
                current = nil
                continue
            case .run(let t, let budget):
                guard let thread = threads[t], thread.state == .runnable || inHost.contains(t) else {
                    throw ScheduleError.notRunnable(thread: t)
                }
                if inHost.contains(t) { thread.state = .runnable }
                thread.execution.yieldBudget = budget
                try emit(.slice(thread: t, budget: budget, position: thread.position))
                slices += 1
                activeSlice = (t, budget)
                return .thread(t)
            }
        }
    }

    /// Accounts for a finished slice of `thread` and handles why it stopped; returns the
    /// outcome when the program ended.
    func finishSlice(_ thread: GuestThread, reason: StopReason) throws -> ThreadedOutcome? {
        let tid = thread.tid
        let budgetBefore = thread.sliceBudget
        let used = UInt64(max(budgetBefore - thread.execution.yieldBudget, 0))
        thread.position &+= used
        clock &+= max(used, 1) &* Self.nanosecondsPerYieldPoint
        if !observers.isEmpty, case .yielded = reason, let atomic = thread.execution.lastAtomic, atomic.kind != .notify {
            try emit(.atomic(thread: tid, atomic))
        }
        if let sleep = sleepRequest, sleep.thread == tid {
            sleepRequest = nil
            thread.state = .blocked(address: nil, deadline: sleep.deadline)
            try emit(.sleep(thread: tid))
            current = nil
            if case .yielded = reason { return nil }
        }
        switch reason {
        case .returned:
            if tid == 0 { return .exited(0) }
            thread.state = .exited
            try emit(.exit(thread: tid))
            current = nil
        case .trapped(let trap):
            return .trapped(thread: tid, message: trap.description)
        case .hostError(let error):
            if let code = WASIHost.exitCode(of: error) { return .exited(code) }
            if let block = error as? HostWouldBlock {
                thread.state = .blockedInHost(fd: block.fd)
                current = nil
                return nil
            }
            if let trap = error as? Trap { return .trapped(thread: tid, message: trap.description) }
            throw error
        case .yielded, .paused:
            current = tid
        case .blocked:
            current = nil
        }
        return nil
    }

    /// Threads blocked in a host call whose descriptor became readable run again (their call is
    /// retried). `waitMilliseconds` bounds how long to wait for one (-1: until one is ready).
    func pollHostInput(waitMilliseconds: Int32 = 0) {
        guard !(hostCalls?.answersHostCalls ?? false) else { return }
        var fds: [Int32] = []
        for tid in order {
            if case .blockedInHost(let fd) = threads[tid]!.state, !fds.contains(fd) { fds.append(fd) }
        }
        guard !fds.isEmpty else { return }
        let ready = readableDescriptors(fds, waitMilliseconds: waitMilliseconds)
        for tid in order {
            if case .blockedInHost(let fd) = threads[tid]!.state, ready.contains(fd) { threads[tid]!.state = .runnable }
        }
    }

    func hasTimeouts() -> Bool {
        order.contains { if case .blocked(_, _?) = threads[$0]!.state { return true } else { return false } }
    }

    /// When every live thread is blocked, the one with the earliest deadline times out (in
    /// virtual time at once; with `--real-time` after really sleeping until then).
    func wakeEarliestTimeout() throws -> Bool {
        var best: (deadline: UInt64, tid: Int32)?
        for tid in order {
            if case .blocked(_, let deadline?) = threads[tid]!.state, best == nil || deadline < best!.deadline {
                best = (deadline, tid)
            }
        }
        guard let best else { return false }
        if options.realTime {
            let n = now()
            if best.deadline > n {
                let inHost = order.contains { if case .blockedInHost = threads[$0]!.state { return true } else { return false } }
                if inHost {
                    // Host input may arrive first; wait for it no longer than the deadline.
                    let ms = Int32(min((best.deadline - n) / 1_000_000 + 1, 1000))
                    pollHostInput(waitMilliseconds: ms)
                    return true
                }
                sleepNanoseconds(best.deadline - n)
            }
        }
        try timeOut(best.tid)
        return true
    }

    /// The wait or sleep of `tid` times out: a wait returns 2.
    func timeOut(_ tid: Int32) throws {
        guard let t = threads[tid], case .blocked(let address, let deadline) = t.state else {
            throw ScheduleError.notBlocked(thread: tid)
        }
        if let deadline, !options.realTime { clock = max(clock, deadline) }
        t.state = .runnable
        if let address {
            waitQueues[address]?.removeAll { $0 == tid }
            t.execution.pendingWaitResult = 2
        }
        try emit(.timeout(thread: tid))
    }

    /// Threads whose timeout has passed become runnable (a wait returns 2).
    func expireTimeouts() throws {
        let n = now()
        for tid in order {
            if case .blocked(_, let deadline?) = threads[tid]!.state, deadline <= n { try timeOut(tid) }
        }
    }

    func deadlockReport() -> ThreadedOutcome {
        let live = order.compactMap { threads[$0] }.filter { $0.state != .exited }
        var lines: [String] = []
        for t in live {
            var state = "runnable"
            switch t.state {
            case .blocked(let address?, _): state = "blocked on wait at 0x\(String(address, radix: 16))"
            case .blocked(nil, _): state = "sleeping"
            case .blockedInHost(let fd): state = "blocked reading host descriptor \(fd)"
            default: break
            }
            let stack = t.execution.backtrace().joined(separator: " <- ")
            lines.append("thread \(t.tid): \(state) in \(stack)")
        }
        return .deadlock(summary: "deadlock: all \(live.count) live threads wait with no timeout", threads: lines)
    }

    // MARK: SynchronizationHandler

    public func wait(thread: ExecutionThread, address: UInt64, timeout: Int64) -> WaitDecision {
        guard let t = threads[thread.id] else { return .result(2) }
        let deadline: UInt64? = timeout >= 0 ? now() &+ UInt64(timeout) : nil
        t.state = .blocked(address: address, deadline: deadline)
        waitQueues[address, default: []].append(t.tid)
        pendingError(try emit(.wait(thread: t.tid, address: address, timeout: timeout)))
        return .block
    }

    public func notify(thread: ExecutionThread, address: UInt64, count: UInt32) -> UInt32 {
        var queue = waitQueues[address] ?? []
        var woken: [Int32] = []
        while woken.count < Int(count), !queue.isEmpty {
            let tid = queue.removeFirst()
            let t = threads[tid]!
            t.state = .runnable
            t.execution.pendingWaitResult = 0
            woken.append(tid)
        }
        waitQueues[address] = queue
        pendingError(try emit(.notify(thread: thread.id, address: address, count: count, woken: woken)))
        return UInt32(woken.count)
    }

    /// An observer's error inside a synchronization callback (which cannot throw) stops the run
    /// at the thread's next stop.
    var deferredError: (any Error)?

    func pendingError(_ body: @autoclosure () throws -> Void) {
        do { try body() } catch { if deferredError == nil { deferredError = error } }
    }
}

/// A replay's schedule or trace does not fit the run.
public enum ScheduleError: Error, CustomStringConvertible {
    case notRunnable(thread: Int32)
    case notBlocked(thread: Int32)

    public var description: String {
        switch self {
        case .notRunnable(let t): return "the schedule runs thread \(t), which cannot run here"
        case .notBlocked(let t): return "the schedule times out thread \(t), which is not waiting"
        }
    }
}

enum ReplayHostError: Error, CustomStringConvertible {
    case writeOutOfBounds(address: UInt64, count: Int)

    var description: String {
        switch self {
        case .writeOutOfBounds(let a, let n): return "recorded host write of \(n) bytes at 0x\(String(a, radix: 16)) is outside memory"
        }
    }
}

/// A guest thread as a debugger lists it.
public struct GuestThreadInfo {
    public let tid: Int32
    public let execution: ExecutionThread
    /// `runnable`, `blocked on wait at 0x…`, `sleeping`, `blocked reading host descriptor N`
    /// or `exited`.
    public let state: String
    public let exited: Bool
    /// The address the thread waits on, if it does.
    public let waitAddress: UInt64?
}

extension ThreadedRunner {
    /// Every thread so far (exited ones included), in creation order.
    public var threadInfos: [GuestThreadInfo] {
        order.compactMap { tid in
            guard let t = threads[tid] else { return nil }
            var state = "runnable"
            var address: UInt64?
            switch t.state {
            case .runnable: break
            case .blocked(let a?, _):
                state = "blocked on wait at 0x\(String(a, radix: 16))"
                address = a
            case .blocked(nil, _): state = "sleeping"
            case .blockedInHost(let fd): state = "blocked reading host descriptor \(fd)"
            case .exited: state = "exited"
            }
            return GuestThreadInfo(tid: tid, execution: t.execution, state: state, exited: t.state == .exited, waitAddress: address)
        }
    }

    /// The interpreter state of thread `tid`.
    public func execution(of tid: Int32) -> ExecutionThread? { threads[tid]?.execution }
}
