#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A saved call frame: where to continue in the caller.
@usableFromInline
struct Frame {
    var pc: UnsafeMutablePointer<UInt32>
    var fp: UnsafeMutablePointer<UInt64>
    var fn: UnsafeMutablePointer<FuncEntity>
}

/// Why the execution loop handed control back.
public enum StopReason {
    /// The entry function returned; its results are in ``ExecutionThread/results``.
    case returned
    /// A trap ended the thread.
    case trapped(Trap)
    /// A host function threw (e.g. WASI `proc_exit`).
    case hostError(any Error)
    /// The yield budget ran out at a back edge or call, or the thread passed a synchronization
    /// point with ``ExecutionThread/yieldAtSyncPoints`` set; ``ExecutionThread/resume()`` continues.
    case yielded
    /// `memory.atomic.wait` blocked; set ``ExecutionThread/pendingWaitResult`` and resume.
    case blocked
    /// A debugging condition held (``ExecutionThread/pauseReason`` says which) before the
    /// instruction at the thread's position; ``ExecutionThread/resume()`` executes it.
    case paused
}

/// One guest thread: its value stack, call frames and position. All of it is plain memory, so a
/// thread can stop after any instruction and resume later; a scheduler runs many of these on
/// one host thread.
public final class ExecutionThread {
    unowned let store: Store
    let stackBase: UnsafeMutablePointer<UInt64>
    let stackEnd: UnsafeMutablePointer<UInt64>
    let frames: UnsafeMutablePointer<Frame>
    let maxDepth: Int
    var depth = 0

    // Suspended position (valid while not running)
    var pc: UnsafeMutablePointer<UInt32>?
    var fp: UnsafeMutablePointer<UInt64>
    var fn: UnsafeMutablePointer<FuncEntity>?
    var entryFunction: UnsafeMutablePointer<FuncEntity>?

    /// Back edges and calls left before the loop yields (``StopReason/yielded``).
    public var yieldBudget = Int.max
    /// Yield after every atomic access, wait, notify, fence and host call, so a scheduler can
    /// switch threads at each of them.
    public var yieldAtSyncPoints = false
    /// In the instrumented loop (a probe attached), every plain load and store also charges the
    /// yield budget and may end the slice before it executes, so a scheduler can interleave
    /// threads between any two memory accesses, not only at back edges and calls.
    public var preemptAtMemoryAccesses = false
    /// Debugging state (see Debugging.swift); it takes effect only in the instrumented loop.
    public internal(set) var debug = DebugState()
    /// The result a blocked `memory.atomic.wait` returns when the thread resumes.
    public var pendingWaitResult: UInt32?
    /// Observes memory accesses, calls and synchronization; nil runs the uninstrumented loop.
    public var probe: (any ExecutionProbe)? {
        didSet { accessHook = probe?.accessHook }
    }
    /// The probe's fast entry for plain and atomic accesses, if it has one.
    var accessHook: AccessHook?
    /// Decides what `memory.atomic.wait` / `notify` do; nil gives the single-thread behaviour.
    public weak var synchronization: (any SynchronizationHandler)?
    /// When set (and a probe is attached), the loop counts executed instructions per opcode here.
    var opcodeCounts: UnsafeMutablePointer<Int>?
    /// A number the embedder assigns (the wasi-threads thread id).
    public var id: Int32 = 0
    /// Set when the loop yields right after an atomic instruction (``yieldAtSyncPoints``): its
    /// length in code words, so ``lastAtomic`` can find it; 0 for any other stop.
    var syncInstructionLength = 0
    /// The effective address of that instruction.
    var syncAddress: UInt64 = 0

    public init(store: Store) {
        self.store = store
        let slots = store.stackSlots
        // Mapped, not allocated: the pages are zero and cost no memory until the thread uses them,
        // so many threads with deep-enough stacks stay cheap.
        let bytes = slots * MemoryLayout<UInt64>.stride
        guard let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            mapped != MAP_FAILED
        else {
            fatalError("weft: cannot map \(bytes) bytes for a thread's value stack")
        }
        stackBase = mapped.bindMemory(to: UInt64.self, capacity: slots)
        stackEnd = stackBase + slots
        maxDepth = store.maxCallDepth
        frames = .allocate(capacity: maxDepth + 1)
        fp = stackBase
    }

    deinit {
        munmap(stackBase, (stackEnd - stackBase) * MemoryLayout<UInt64>.stride)
        frames.deallocate()
    }

    /// Calls `function` with `arguments` (raw slot values) and runs to completion.
    public func invoke(_ function: FunctionRef, arguments: [UInt64]) throws -> [UInt64] {
        try start(function, arguments: arguments)
        switch resume() {
        case .returned: return results
        case .trapped(let t): throw t
        case .hostError(let e): throw e
        case .yielded, .blocked, .paused:
            // Only a scheduler sets a budget or blocks; a direct invoke runs on.
            while true {
                switch resume() {
                case .returned: return results
                case .trapped(let t): throw t
                case .hostError(let e): throw e
                case .yielded: continue
                case .blocked: throw makeTrap(.deadlock("wait blocked with no scheduler to wake it"))
                case .paused: continue
                }
            }
        }
    }

    /// Prepares to run `function` from the start; ``resume()`` runs it.
    public func start(_ function: FunctionRef, arguments: [UInt64]) throws {
        let e = function.entity
        precondition(arguments.count == Int(e.pointee.paramCount), "argument count mismatch")
        depth = 0
        fp = stackBase
        for (i, a) in arguments.enumerated() { fp[i] = a }
        entryFunction = e
        if e.pointee.code == nil {
            pc = nil
            fn = e
            return
        }
        fn = e
        pc = e.pointee.code
        let local = fp + Int(e.pointee.paramCount)
        local.update(repeating: 0, count: Int(e.pointee.localCount))
        if e.pointee.constCount > 0, let consts = e.pointee.consts {
            (local + Int(e.pointee.localCount)).update(from: consts, count: Int(e.pointee.constCount))
        }
    }

    /// The entry function's results after ``StopReason/returned``.
    public var results: [UInt64] {
        guard let e = entryFunction else { return [] }
        return (0..<Int(e.pointee.resultCount)).map { stackBase[$0] }
    }

    /// The atomic instruction the thread executed just before it yielded at a synchronization
    /// point, with the values it read and wrote; nil when the last stop was not such a yield.
    /// Valid until the thread resumes.
    public var lastAtomic: AtomicAccess? {
        guard syncInstructionLength > 0, let pc, let fn else { return nil }
        let at = pc - syncInstructionLength
        var word = at.pointee
        if Op.decode(word) == .breakpoint,
            let original = fn.pointee.compiled?.takeUnretainedValue().originalWord(atCodeAddress: UInt(bitPattern: at))
        {
            word = original
        }
        guard let op = Op(rawValue: UInt16(truncatingIfNeeded: word & 0xFFFF)) else { return nil }
        let (kind, width) = AtomicAccess.classify(op)
        guard let kind else { return nil }
        var access = AtomicAccess(kind: kind, address: syncAddress, width: width)
        switch kind {
        case .load, .rmw, .cmpxchg, .wait, .notify: access.read = fp[Int(at[1])]
        case .store, .fence: break
        }
        if kind == .store || kind == .rmw || kind == .cmpxchg,
            let memory = fn.pointee.instance.pointee.memory,
            syncAddress &+ UInt64(width) <= UInt64(memory.pointee.byteCount)
        {
            let p = memory.pointee.base + Int(syncAddress)
            switch width {
            case 1: access.written = UInt64(p.load(as: UInt8.self))
            case 2: access.written = UInt64(p.loadUnaligned(as: UInt16.self))
            case 4: access.written = UInt64(p.loadUnaligned(as: UInt32.self))
            default: access.written = p.loadUnaligned(as: UInt64.self)
            }
        }
        return access
    }

    /// Runs until the entry function returns, a trap, a host error, or the yield budget ends.
    public func resume() -> StopReason {
        syncInstructionLength = 0
        guard let pc else {
            // A host function as the entry point.
            guard let e = entryFunction else { return .returned }
            do {
                try callHost(e, base: stackBase)
                return .returned
            } catch let t as Trap {
                return .trapped(t)
            } catch {
                return .hostError(error)
            }
        }
        if let r = pendingWaitResult {
            // Complete the wait instruction this thread blocked on (layout: op d a b c off).
            fp[Int(pc[1])] = UInt64(r)
            self.pc = pc + 6
            pendingWaitResult = nil
        }
        if debug.enabled { return run(Debugged.self) }
        if opcodeCounts != nil { return run(Profiled.self) }
        if probe != nil { return run(Probed.self) }
        if preemptAtMemoryAccesses { return run(Preempting.self) }
        return run(Unprobed.self)
    }

    /// Calls host function `e` with arguments at `base`; writes its results there.
    @inline(never)
    func callHost(_ e: UnsafeMutablePointer<FuncEntity>, base: UnsafeMutablePointer<UInt64>) throws {
        let host = store.hostFunctions[Int(e.pointee.hostIndex)]
        let n = Int(e.pointee.paramCount)
        let args = (0..<n).map { base[$0] }
        let memoryData = fn?.pointee.instance.pointee.memory
        let memory = memoryData.flatMap { m in store.memory(for: m) }
        let results = try host.body(HostCall(arguments: args, memory: memory, thread: self))
        for (i, r) in results.enumerated() { base[i] = r }
    }

    /// Location of the current instruction of frame `level` (0 = innermost) for messages.
    func location(pc: UnsafeMutablePointer<UInt32>?, fn: UnsafeMutablePointer<FuncEntity>?) -> (String, Int?) {
        guard let fn else { return ("?", nil) }
        let name = store.name(of: FunctionRef(fn))
        guard let pc, let cf = fn.pointee.compiled?.takeUnretainedValue(), let code = fn.pointee.code else { return (name, nil) }
        return (name, cf.wasmOffset(atCodeIndex: code.distance(to: pc)))
    }

    /// The call stack as `name+0xOFFSET`, innermost first; ` (file.c:12:5)` follows a frame whose
    /// module has a ``SourceDescriber`` that knows the position.
    public func backtrace() -> [String] {
        var lines: [String] = []
        func add(_ pc: UnsafeMutablePointer<UInt32>?, _ fn: UnsafeMutablePointer<FuncEntity>?) {
            let (name, off) = location(pc: pc, fn: fn)
            lines.append(off.map { "\(name)+0x\(String($0, radix: 16))" + sourceSuffix(fn, $0) } ?? name)
        }
        add(pc, fn)
        var d = depth
        while d > 0 {
            d -= 1
            // A frame's saved pc points after the call instruction; step back into it.
            add(frames[d].pc - 1, frames[d].fn)
        }
        return lines
    }

    func makeTrap(_ kind: Trap.Kind) -> Trap {
        var t = Trap(kind)
        let (name, off) = location(pc: pc, fn: fn)
        t.function = name
        t.offset = off
        t.source = fn.flatMap { fn in off.flatMap { store.sourcePosition(of: FunctionRef(fn), moduleOffset: $0) } }
        t.backtrace = backtrace()
        return t
    }

    /// ` (file.c:12:5)` when the source position of `offset` in `fn` is known, else empty.
    func sourceSuffix(_ fn: UnsafeMutablePointer<FuncEntity>?, _ offset: Int) -> String {
        guard let fn, let position = store.sourcePosition(of: FunctionRef(fn), moduleOffset: offset) else { return "" }
        return " (\(position))"
    }
}

extension Store {
    func memory(for data: UnsafeMutablePointer<MemoryData>) -> LinearMemory? {
        memoriesByData[data]
    }
}

/// Instruments execution. Attach one to a thread (``ExecutionThread/probe``) and the thread runs a
/// variant of the loop that reports these events; without one the loop contains no checks.
public protocol ExecutionProbe: AnyObject {
    /// A load or store of `size` bytes at `address` (module memory offset), before it happens.
    func memoryAccess(thread: ExecutionThread, address: UInt64, size: Int, isWrite: Bool, isAtomic: Bool)
    /// A bulk access (`memory.copy`, `memory.fill`, `memory.init`) of `size` bytes, before it
    /// happens (the thread's position is the bulk instruction, as for ``memoryAccess``).
    func bulkAccess(thread: ExecutionThread, address: UInt64, size: UInt64, isWrite: Bool)
    /// Entering a function.
    func call(thread: ExecutionThread, function: FunctionRef)
    /// Returning from a function.
    func `return`(thread: ExecutionThread)
    /// A synchronization operation: atomic read-modify-write, wait, notify or fence at `address`.
    func synchronization(thread: ExecutionThread, kind: SyncKind, address: UInt64)
}

extension ExecutionProbe {
    /// No fast entry: accesses go to ``memoryAccess(thread:address:size:isWrite:isAtomic:)``.
    public var accessHook: AccessHook? { nil }
}

/// A probe's fast entry for memory accesses: a C function and a context pointer (usually the
/// probe itself, unretained), which the loop calls for every load and store instead of
/// ``ExecutionProbe/memoryAccess(thread:address:size:isWrite:isAtomic:)``, with no reference
/// counting or dynamic dispatch. The thread holds its probe, which keeps the context alive.
public struct AccessHook {
    /// `(context, thread, address, size, flags)`: the thread is an unretained
    /// ``ExecutionThread``; `flags` holds ``write`` and ``atomic``.
    public typealias Function = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UInt64, Int, UInt32) -> Void
    public var context: UnsafeMutableRawPointer
    public var function: Function
    public static let write: UInt32 = 1
    public static let atomic: UInt32 = 2

    public init(context: UnsafeMutableRawPointer, function: Function) {
        self.context = context
        self.function = function
    }

    /// The thread a hook is called for (valid during the call).
    @inline(__always)
    public static func withThread<R>(_ thread: UnsafeMutableRawPointer, _ body: (ExecutionThread) -> R) -> R {
        Unmanaged<ExecutionThread>.fromOpaque(thread)._withUnsafeGuaranteedRef(body)
    }
}

public enum SyncKind: Sendable { case rmw, wait, notify, fence }

/// One executed atomic instruction (see ``ExecutionThread/lastAtomic``).
public struct AtomicAccess: Equatable, Sendable {
    public enum Kind: UInt8, Sendable { case load, store, rmw, cmpxchg, wait, notify, fence }
    public var kind: Kind
    public var address: UInt64
    /// Bytes accessed (0 for a fence).
    public var width: Int
    /// The value loaded (a load, the old value of an RMW or cmpxchg), or the instruction's
    /// result (a wait's 0/1/2, the number a notify woke).
    public var read: UInt64?
    /// The memory contents after a store, RMW or cmpxchg.
    public var written: UInt64?

    public init(kind: Kind, address: UInt64, width: Int, read: UInt64? = nil, written: UInt64? = nil) {
        self.kind = kind
        self.address = address
        self.width = width
        self.read = read
        self.written = written
    }

    static func classify(_ op: Op) -> (Kind?, Int) {
        switch op {
        case .atomicLoad8: return (.load, 1)
        case .atomicLoad16: return (.load, 2)
        case .atomicLoad32: return (.load, 4)
        case .atomicLoad64: return (.load, 8)
        case .atomicStore8: return (.store, 1)
        case .atomicStore16: return (.store, 2)
        case .atomicStore32: return (.store, 4)
        case .atomicStore64: return (.store, 8)
        case .rmwAdd8, .rmwSub8, .rmwAnd8, .rmwOr8, .rmwXor8, .rmwXchg8: return (.rmw, 1)
        case .rmwAdd16, .rmwSub16, .rmwAnd16, .rmwOr16, .rmwXor16, .rmwXchg16: return (.rmw, 2)
        case .rmwAdd32, .rmwSub32, .rmwAnd32, .rmwOr32, .rmwXor32, .rmwXchg32: return (.rmw, 4)
        case .rmwAdd64, .rmwSub64, .rmwAnd64, .rmwOr64, .rmwXor64, .rmwXchg64: return (.rmw, 8)
        case .cmpxchg8: return (.cmpxchg, 1)
        case .cmpxchg16: return (.cmpxchg, 2)
        case .cmpxchg32: return (.cmpxchg, 4)
        case .cmpxchg64: return (.cmpxchg, 8)
        case .wait32: return (.wait, 4)
        case .wait64: return (.wait, 8)
        case .notify: return (.notify, 4)
        case .fence: return (.fence, 0)
        default: return (nil, 0)
        }
    }
}

public enum WaitDecision {
    case result(UInt32)
    case block
    case trap(Trap.Kind)
}

/// What happens on `memory.atomic.wait` when the value matches, and on `notify`.
public protocol SynchronizationHandler: AnyObject {
    /// Called when a wait's value matches: return a result now (0 woken, 2 timed out), block the
    /// thread (the loop stops with ``StopReason/blocked``), or trap.
    func wait(thread: ExecutionThread, address: UInt64, timeout: Int64) -> WaitDecision
    /// Wakes up to `count` waiters on `address`; returns how many woke.
    func notify(thread: ExecutionThread, address: UInt64, count: UInt32) -> UInt32
}

/// Compile-time selection of the loop variant. Each is a specialization of the one loop, so a
/// variant contains only the checks it needs.
@usableFromInline
protocol ExecutionMode {
    /// Reports accesses, calls and synchronization to the probe (in ``Debugged``, only while
    /// ``DebugState/probeEvents`` is set), and may preempt at memory accesses.
    static var probed: Bool { get }
    /// Every plain load and store charges the yield budget (``ExecutionThread/preemptAtMemoryAccesses``)
    /// with no probe: the random and PCT schedules' variant.
    static var preempting: Bool { get }
    /// Counts instructions and honours ``ExecutionThread/debug``.
    static var debugged: Bool { get }
    /// Counts executed instructions per opcode (``ExecutionThread/startOpcodeProfile()``).
    static var profiled: Bool { get }
}
extension ExecutionMode {
    @usableFromInline static var profiled: Bool { false }
}
/// Plain runs: no checks at all.
@usableFromInline
enum Unprobed: ExecutionMode {
    @usableFromInline static var probed: Bool { false }
    @usableFromInline static var preempting: Bool { false }
    @usableFromInline static var debugged: Bool { false }
}
/// Random and PCT schedules without a probe: preemption points at memory accesses, nothing else.
@usableFromInline
enum Preempting: ExecutionMode {
    @usableFromInline static var probed: Bool { false }
    @usableFromInline static var preempting: Bool { true }
    @usableFromInline static var debugged: Bool { false }
}
/// A probe attached (a race detector, the opcode profile).
@usableFromInline
enum Probed: ExecutionMode {
    @usableFromInline static var probed: Bool { true }
    @usableFromInline static var preempting: Bool { false }
    @usableFromInline static var debugged: Bool { false }
}
/// The probed variant counting opcodes (a developer aid, `weft run --profile-ops`).
@usableFromInline
enum Profiled: ExecutionMode {
    @usableFromInline static var probed: Bool { true }
    @usableFromInline static var preempting: Bool { false }
    @usableFromInline static var debugged: Bool { false }
    @usableFromInline static var profiled: Bool { true }
}
/// A debugger's thread: instruction counting, patched breakpoints, activity marking; the probe
/// only when ``DebugState/probeEvents`` asks for it.
@usableFromInline
enum Debugged: ExecutionMode {
    @usableFromInline static var probed: Bool { true }
    @usableFromInline static var preempting: Bool { false }
    @usableFromInline static var debugged: Bool { true }
}

// MARK: - Opcode profile (a developer aid: `weft run --profile-ops`)

/// A probe that observes nothing; attaching it selects the instrumented loop (which can count
/// opcodes and preempt at memory accesses).
public final class NullProbe: ExecutionProbe {
    public init() {}
    public func memoryAccess(thread: ExecutionThread, address: UInt64, size: Int, isWrite: Bool, isAtomic: Bool) {}
    public func bulkAccess(thread: ExecutionThread, address: UInt64, size: UInt64, isWrite: Bool) {}
    public func call(thread: ExecutionThread, function: FunctionRef) {}
    public func `return`(thread: ExecutionThread) {}
    public func synchronization(thread: ExecutionThread, kind: SyncKind, address: UInt64) {}
}

extension ExecutionThread {
    /// Starts counting executed internal instructions per opcode.
    public func startOpcodeProfile() {
        if opcodeCounts == nil {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 1 << 16)
            counts.initialize(repeating: 0, count: 1 << 16)
            opcodeCounts = counts
        }
        if probe == nil { probe = NullProbe() }
    }

    /// Executed instruction counts by opcode name, most frequent first.
    public func opcodeProfile() -> [(name: String, count: Int)] {
        guard let counts = opcodeCounts else { return [] }
        return Op.allCases.compactMap { op in
            let n = counts[Int(op.rawValue)]
            return n > 0 ? ("\(op)", n) : nil
        }.sorted { $0.count > $1.count }
    }
}
