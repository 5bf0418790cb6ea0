/// What a debugger asks of one thread: count its instructions and pause before an instruction
/// when a condition holds. Everything here is checked once per instruction, and only in the
/// instrumented loop (a thread with a ``ExecutionThread/probe``), so plain runs never see it.
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
    /// Code addresses (``ExecutionThread/codeAddress``) to pause before; owned by the debugger,
    /// shared by every thread (instances of a module share their code).
    public var breakpoints: UnsafeBufferPointer<UInt>?
    /// When set, every executed instruction at a depth of at most ``historyMaxDepth`` is
    /// written here (a ring of ``historyCapacity`` entries, a power of two).
    public var history: UnsafeMutablePointer<HistoryEntry>?
    public var historyCapacity = 0
    public var historyMaxDepth = Int.max
    /// Entries written to ``history`` so far (the newest is at `(historyWritten - 1) & mask`).
    public var historyWritten = 0
    /// When set, every executed instruction sets one bit here: bit `(codeAddress >> 2) &
    /// coverageMask` (so a bitmap of `coverageMask + 1` bits, shared by threads, summarises
    /// which code ran; different instructions may share a bit).
    public var coverage: UnsafeMutablePointer<UInt64>?
    public var coverageMask: UInt = 0

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

    public init() {}

    /// Resets the counters and conditions (a new debugging session).
    public mutating func reset(enabled: Bool) {
        self = DebugState()
        self.enabled = enabled
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
    /// Decides, before the instruction at `pc`, whether the thread pauses; counts it if not.
    @inline(never)
    func debugCheck(_ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>) -> Bool {
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
        if !reentering {
            if let sites = debug.breakpoints {
                for s in sites where s == address { return pause(.breakpoint) }
            }
            if let ring = debug.history, depth <= debug.historyMaxDepth {
                ring[debug.historyWritten & (debug.historyCapacity - 1)] = HistoryEntry(
                    count: count, codeAddress: address, function: UInt(bitPattern: fn), depth: depth)
                debug.historyWritten &+= 1
            }
        }
        if let c = debug.coverage {
            let (word, bit) = DebugState.coverageBit(address, mask: debug.coverageMask)
            c[word] |= bit
        }
        debug.instructionCount = count &+ 1
        return false

        func pause(_ reason: PauseReason) -> Bool {
            debug.pauseReason = reason
            return true
        }
    }

    /// Turns debugging on (counting from 0) or off for this thread. Debugging needs the
    /// instrumented loop, so a thread without a probe gets a ``NullProbe``.
    public func enableDebugging(_ on: Bool = true) {
        debug.reset(enabled: on)
        if on, probe == nil { probe = NullProbe() }
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
