import WeftInterpreter
import WeftWASI

/// Options of a multithreaded run beyond the schedule.
public struct ThreadOptions: Sendable {
    public var schedule = ScheduleOptions()
    /// Most threads alive at once, the main thread included; `thread-spawn` fails beyond it.
    public var maxThreads = 64
    /// Stop after this many scheduling slices (a runaway program), if set.
    public var maxSlices: Int?

    public init() {}
}

/// How a multithreaded run ended.
public enum ThreadedOutcome: Equatable {
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
        case exited
    }

    let tid: Int32
    let execution: ExecutionThread
    var state: State = .runnable

    init(tid: Int32, execution: ExecutionThread) {
        self.tid = tid
        self.execution = execution
    }
}

/// Runs a wasi-threads program: every guest thread on this host thread, interleaved by a
/// deterministic scheduler. Scheduling points are every atomic access, wait, notify, fence and
/// host call, and the end of a thread's quantum.
public final class ThreadedRunner: SynchronizationHandler {
    let program: Program
    let options: ThreadOptions
    var scheduler: Scheduler
    var threads: [Int32: GuestThread] = [:]
    var order: [Int32] = []
    var nextTid: Int32 = 1
    /// Threads waiting on each address, first come first woken.
    var waitQueues: [UInt64: [Int32]] = [:]
    /// Virtual time in nanoseconds: ``nanosecondsPerYieldPoint`` for each loop back edge or call
    /// executed, and a jump to the earliest timeout when every thread is blocked.
    public private(set) var clock: UInt64 = 0
    public static let nanosecondsPerYieldPoint: UInt64 = 100
    /// Set by a virtual `poll_oneoff` sleep; applied when the calling thread stops after the call.
    var sleepRequest: (thread: ExecutionThread, deadline: UInt64)?
    public private(set) var slices = 0

    public init(program: Program, options: ThreadOptions) {
        self.program = program
        self.options = options
        scheduler = Scheduler(options: options.schedule)
        program.threadSpawn = { [unowned self] call in [UInt64(UInt32(bitPattern: self.spawn(argument: call.arguments[0])))] }
        program.overrideHostFunction(module: "wasi_snapshot_preview1", name: "poll_oneoff") { [unowned self] call in
            self.pollOneoff(call)
        }
    }

    /// `poll_oneoff` whose subscriptions are all clocks is a sleep in virtual time: the events are
    /// written now and the thread is parked until the earliest deadline. Other subscriptions go to
    /// the host (WasmKit's implementation).
    func pollOneoff(_ call: HostCall) -> [UInt64]? {
        let a = call.arguments.map { UInt32(truncatingIfNeeded: $0) }
        let (input, output, count, resultPointer) = (UInt64(a[0]), UInt64(a[1]), Int(a[2]), UInt64(a[3]))
        guard count > 0, let memory = call.memory,
            let subscriptions = memory.bytes(at: input, count: 48 * count),
            let events = memory.bytes(at: output, count: 32 * count),
            let result = memory.bytes(at: resultPointer, count: 4)
        else { return nil }
        var earliest: (deadline: UInt64, index: Int)?
        for i in 0..<count {
            let s = subscriptions.baseAddress! + 48 * i
            guard s.load(fromByteOffset: 8, as: UInt8.self) == 0 else { return nil }  // not a clock
            let timeout = s.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            let absolute = s.loadUnaligned(fromByteOffset: 40, as: UInt16.self) & 1 != 0
            let deadline = absolute ? timeout : clock &+ timeout
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
        sleepRequest = (call.thread, earliest.deadline)
        return [0]
    }

    func configure(_ e: ExecutionThread, tid: Int32) {
        e.id = tid
        e.synchronization = self
        e.yieldAtSyncPoints = true
        if options.schedule.kind != .rr {
            // Random and PCT explore interleavings, so they may switch threads between any two
            // memory accesses; that needs the instrumented loop.
            e.preemptAtMemoryAccesses = true
            if e.probe == nil { e.probe = NullProbe() }
        }
    }

    func add(_ t: GuestThread) {
        threads[t.tid] = t
        order.append(t.tid)
        scheduler.threadCreated(t.tid)
    }

    /// `wasi.thread-spawn(arg)`: a new instance sharing the memory, entering `wasi_thread_start`.
    func spawn(argument: UInt64) -> Int32 {
        let live = threads.values.filter { $0.state != .exited }.count
        guard live < options.maxThreads, nextTid <= 0x1FFF_FFFF else { return -1 }
        let tid = nextTid
        let execution = ExecutionThread(store: program.store)
        do {
            let instance = try program.instantiate(thread: execution)
            guard let entry = instance.exportedFunction("wasi_thread_start") else { return -1 }
            try execution.start(entry, arguments: [UInt64(UInt32(bitPattern: tid)), argument])
        } catch {
            return -1
        }
        nextTid += 1
        configure(execution, tid: tid)
        add(GuestThread(tid: tid, execution: execution))
        return tid
    }

    /// Runs `_start` and every thread it spawns to the end of the program.
    public func run() throws -> ThreadedOutcome {
        defer { program.wasi.close() }
        let main = ExecutionThread(store: program.store)
        program.prepareThread?(main)
        let instance: Instance
        do {
            instance = try program.instantiate(thread: main)
        } catch let t as Trap {
            return .trapped(thread: 0, message: t.description)
        } catch {
            if let code = WASIHost.exitCode(of: error) { return .exited(code) }
            throw error
        }
        guard let start = instance.exportedFunction("_start") else { throw ProgramError.noStart }
        try main.start(start, arguments: [])
        configure(main, tid: 0)
        add(GuestThread(tid: 0, execution: main))

        var current: Int32?
        var preempted = true
        while true {
            expireTimeouts()
            let runnable = order.filter { threads[$0]?.state == .runnable }
            if runnable.isEmpty {
                if wakeEarliestTimeout() { current = nil; continue }
                return deadlockReport()
            }
            if let limit = options.maxSlices, slices >= limit { return .limitExceeded(slices: slices) }
            let tid = scheduler.pick(runnable: runnable, current: current.flatMap { runnable.contains($0) ? $0 : nil }, preempted: preempted)
            let thread = threads[tid]!
            if tid != current || preempted { thread.execution.yieldBudget = scheduler.quantum() }
            slices += 1
            let budgetBefore = thread.execution.yieldBudget
            let reason = thread.execution.resume()
            clock &+= UInt64(max(budgetBefore - thread.execution.yieldBudget, 1)) &* Self.nanosecondsPerYieldPoint
            if let sleep = sleepRequest, sleep.thread === thread.execution {
                sleepRequest = nil
                thread.state = GuestThread.State.blocked(address: nil, deadline: sleep.deadline)
                current = nil
                preempted = true
                if case .yielded = reason { continue }
            }
            switch reason {
            case .returned:
                if tid == 0 { return .exited(0) }
                thread.state = .exited
                current = nil
                preempted = true
            case .trapped(let trap):
                return .trapped(thread: tid, message: trap.description)
            case .hostError(let error):
                if let code = WASIHost.exitCode(of: error) { return .exited(code) }
                throw error
            case .yielded:
                current = tid
                preempted = thread.execution.yieldBudget <= 0
            case .blocked:
                current = nil
                preempted = true
            }
        }
    }

    /// When every live thread is blocked, the one with the earliest deadline times out.
    func wakeEarliestTimeout() -> Bool {
        var best: (deadline: UInt64, tid: Int32)?
        for tid in order {
            if case .blocked(_, let deadline?) = threads[tid]!.state, best == nil || deadline < best!.deadline {
                best = (deadline, tid)
            }
        }
        guard let best else { return false }
        clock = max(clock, best.deadline)
        wake(best.tid, result: 2)
        return true
    }

    func wake(_ tid: Int32, result: UInt32) {
        let t = threads[tid]!
        if case .blocked(let address, _) = t.state {
            t.state = .runnable
            guard let address else { return }  // a sleep ends without a wait result
            waitQueues[address]?.removeAll { $0 == tid }
            t.execution.pendingWaitResult = result
        }
    }

    /// Threads whose timeout has passed in virtual time become runnable (a wait returns 2).
    func expireTimeouts() {
        for tid in order {
            if case .blocked(_, let deadline?) = threads[tid]!.state, deadline <= clock { wake(tid, result: 2) }
        }
    }

    func deadlockReport() -> ThreadedOutcome {
        let live = order.compactMap { threads[$0] }.filter { $0.state != .exited }
        var lines: [String] = []
        for t in live {
            var state = "runnable"
            if case .blocked(let address?, _) = t.state { state = "blocked on wait at 0x\(String(address, radix: 16))" }
            let stack = t.execution.backtrace().joined(separator: " <- ")
            lines.append("thread \(t.tid): \(state) in \(stack)")
        }
        return .deadlock(summary: "deadlock: all \(live.count) live threads wait with no timeout", threads: lines)
    }

    // MARK: SynchronizationHandler

    public func wait(thread: ExecutionThread, address: UInt64, timeout: Int64) -> WaitDecision {
        guard let t = threads[thread.id] else { return .result(2) }
        let deadline: UInt64? = timeout >= 0 ? clock &+ UInt64(timeout) : nil
        t.state = .blocked(address: address, deadline: deadline)
        waitQueues[address, default: []].append(t.tid)
        return .block
    }

    public func notify(thread: ExecutionThread, address: UInt64, count: UInt32) -> UInt32 {
        guard var queue = waitQueues[address], !queue.isEmpty else { return 0 }
        var woken: UInt32 = 0
        while woken < count, !queue.isEmpty {
            let tid = queue.removeFirst()
            let t = threads[tid]!
            t.state = .runnable
            t.execution.pendingWaitResult = 0
            woken += 1
        }
        waitQueues[address] = queue
        return woken
    }
}
