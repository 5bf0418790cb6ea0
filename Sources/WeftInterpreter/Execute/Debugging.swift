/// What a debugger asks of one thread: count its instructions and pause before an instruction
/// when a condition holds. It takes effect only in the debugging variant of the loop (a thread
/// with ``enabled`` set), so plain runs never see it.
///
/// That loop keeps the count in a register and, per instruction, compares it with one limit
/// (``fastLimit``): the nearest instruction target while nothing else is asked for, or 0 — every
/// instruction takes the full check (``ExecutionThread/debugCheck``) — while a step, `finish`,
/// a history ring or a pause request is in effect. Breakpoints cost nothing per instruction:
/// they are patched into the code (``CompiledFunction/setBreakpoint(atCodeAddress:)``).
public struct DebugState {
    /// Count instructions and check the conditions below.
    public var enabled = false
    /// Instructions this thread has executed since debugging was enabled: its own clock, the
    /// same in every execution of the same run.
    public internal(set) var instructionCount: UInt64 = 0
    /// Pause when ``instructionCount`` reaches this (a debugger's target for this thread).
    public var pauseAtInstruction: UInt64 = .max
    /// Pause when ``instructionCount`` reaches this (a scheduler's bound on global time).
    public var instructionBoundary: UInt64 = .max
    /// Pause before the next instruction (a watchpoint's probe sets it after a write).
    public var pauseRequested = false
    /// Pause when the call depth drops below this (`finish`); 0 never.
    public var pauseBelowDepth = 0
    /// Pause when the thread leaves this code range at this depth (line stepping).
    public var step: StepRange?
    /// Breakpoints patched into the code pause this thread (off: they are passed over).
    public var breakpointsActive = true
    /// Report memory accesses, calls, returns and synchronization to the thread's probe (a
    /// watchpoint or a race detector needs them); off, the probe is not called at all.
    public var probeEvents = false
    /// When set, every executed instruction at a depth of at most ``historyMaxDepth`` is
    /// written here (a ring of ``historyCapacity`` entries, a power of two).
    public var history: UnsafeMutablePointer<HistoryEntry>?
    public var historyCapacity = 0
    public var historyMaxDepth = Int.max
    /// Entries written to ``history`` so far (the newest is at `(historyWritten - 1) & mask`).
    public var historyWritten = 0
    /// When set, the loop marks where control arrives other than by falling through: the target
    /// of every taken branch, the entry of every called function, the instruction a return goes
    /// back to, and where the thread resumes. Bit `(codeAddress >> 2) & coverageMask` of this
    /// bitmap of `coverageMask + 1` bits (shared by threads; addresses may share a bit).
    /// ``CompiledFunction/coverageCandidates(ofCodeAddress:)`` turns it into "may this
    /// instruction have run".
    public var coverage: UnsafeMutablePointer<UInt64>?
    public var coverageMask: UInt = 0
    /// When set, every load and store (and bulk operation) sets the bits of the 256-byte granules
    /// it reads (``readGranules``) or writes (``writtenGranules``): bit `address >> 8`. Each
    /// must have room for `2^33 >> 8` bits (the highest address plus offset a wasm32 access reaches).
    public var readGranules: UnsafeMutablePointer<UInt64>?
    public var writtenGranules: UnsafeMutablePointer<UInt64>?
    public static let granuleShift: UInt64 = 8
    public static let granuleWords = (1 << 33) / 256 / 64

    /// The bit of a ``coverage`` bitmap of `mask + 1` bits that stands for the instruction at
    /// `codeAddress` (code is in 4-byte units, so the low two bits carry nothing).
    @inline(__always)
    public static func coverageBit(_ codeAddress: UInt, mask: UInt) -> (word: Int, bit: UInt64) {
        let bit = (codeAddress >> 2) & mask
        return (Int(bit >> 6), 1 << UInt64(bit & 63))
    }
    /// Why the thread last paused.
    public internal(set) var pauseReason: PauseReason?
    /// The next check is for an instruction that already passed it (resuming after a pause or
    /// a preemption right before a memory access): breakpoints do not fire again.
    var reentering = false
    /// A patched breakpoint at this code address is passed over once (the thread resumed there).
    var passBreakpointAt: UInt = 0
    /// A breakpoint word taken out so that its instruction can run; put back after it.
    var repatchAt: UnsafeMutablePointer<UInt32>?

    public init() {}

    /// Resets the counters and conditions (a new debugging session).
    public mutating func reset(enabled: Bool) {
        self = DebugState()
        self.enabled = enabled
    }

    /// The count at which the loop must make the full check: 0 (every instruction) while
    /// anything beyond instruction targets is in effect.
    var fastLimit: UInt64 {
        if pauseRequested || reentering || pauseBelowDepth > 0 || step != nil || history != nil || repatchAt != nil {
            return 0
        }
        // Kept below 2^62, so that the loop's test (the sign of `limit - 1 - count`) holds.
        return min(pauseAtInstruction, instructionBoundary, 1 << 62)
    }
}

/// A line step: pause when the thread, at `depth`, leaves `[low, high)`, or returns below
/// `depth`, or (with `into`) enters a call.
public struct StepRange: Equatable {
    public var low: UInt
    public var high: UInt
    public var depth: Int
    public var into: Bool

    public init(low: UInt, high: UInt, depth: Int, into: Bool) {
        self.low = low
        self.high = high
        self.depth = depth
        self.into = into
    }
}

/// One executed instruction in a thread's history ring.
public struct HistoryEntry: Equatable {
    /// The thread's ``DebugState/instructionCount`` before the instruction.
    public var count: UInt64
    public var codeAddress: UInt
    public var function: UInt
    public var depth: Int
}

public enum PauseReason: Equatable, Sendable {
    case instructionTarget, boundary, requested, returned, stepped, breakpoint
}

extension ExecutionThread {
    /// The full check, before the instruction at `pc`: decides whether the thread pauses;
    /// counts the instruction if not. The loop calls it when the count reaches
    /// ``DebugState/fastLimit``.
    @inline(never)
    func debugCheck(_ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>) -> Bool {
        if let word = debug.repatchAt {
            // The un-patched instruction ran: its breakpoint goes back.
            word.pointee = UInt32(Op.breakpoint.rawValue)
            debug.repatchAt = nil
        }
        let count = debug.instructionCount
        let reentering = debug.reentering
        debug.reentering = false
        if count >= debug.pauseAtInstruction { return pause(.instructionTarget) }
        if count >= debug.instructionBoundary { return pause(.boundary) }
        if debug.pauseRequested {
            debug.pauseRequested = false
            return pause(.requested)
        }
        if depth < debug.pauseBelowDepth { return pause(.returned) }
        let address = UInt(bitPattern: pc)
        if let step = debug.step {
            if depth < step.depth || (depth == step.depth && (address < step.low || address >= step.high))
                || (step.into && depth > step.depth)
            {
                return pause(.stepped)
            }
        }
        if reentering, Op.decode(pc.pointee) == .breakpoint { debug.passBreakpointAt = address }
        if !reentering, let ring = debug.history, depth <= debug.historyMaxDepth {
            ring[debug.historyWritten & (debug.historyCapacity - 1)] = HistoryEntry(
                count: count, codeAddress: address, function: UInt(bitPattern: fn), depth: depth)
            debug.historyWritten &+= 1
        }
        debug.instructionCount = count &+ 1
        return false

        func pause(_ reason: PauseReason) -> Bool {
            debug.pauseReason = reason
            return true
        }
    }

    /// The loop met a patched breakpoint word at `pc` (the instruction already counted): true
    /// when the thread pauses there; otherwise the original word is put back for one
    /// instruction (``DebugState/repatchAt``) and the loop executes it.
    @inline(never)
    func breakpointWord(_ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>) -> Bool {
        let address = UInt(bitPattern: pc)
        let pass = debug.passBreakpointAt == address || !debug.breakpointsActive
        debug.passBreakpointAt = 0
        if !pass {
            debug.pauseReason = .breakpoint
            return true
        }
        guard let original = fn.pointee.compiled?.takeUnretainedValue().originalWord(atCodeAddress: address) else {
            // Not a patch of this function's: nothing to run instead.
            debug.pauseReason = .breakpoint
            return true
        }
        pc.pointee = original
        debug.repatchAt = pc
        return false
    }

    /// Puts back a breakpoint word taken out for an instruction the loop left before finishing.
    func repatchIfNeeded() {
        if let word = debug.repatchAt {
            word.pointee = UInt32(Op.breakpoint.rawValue)
            debug.repatchAt = nil
        }
    }

    /// Turns debugging on (counting from 0) or off for this thread; on, the thread runs the
    /// debugging variant of the loop.
    public func enableDebugging(_ on: Bool = true) {
        debug.reset(enabled: on)
    }

    /// Changes the debugging conditions (not the instruction count).
    public func updateDebug(_ body: (inout DebugState) -> Void) {
        let count = debug.instructionCount
        let reason = debug.pauseReason
        let reentering = debug.reentering
        body(&debug)
        debug.instructionCount = count
        debug.pauseReason = reason
        debug.reentering = reentering
    }

    /// Asks the thread to pause before its next instruction (from a probe callback).
    public func requestPause() {
        debug.pauseRequested = true
    }
}
