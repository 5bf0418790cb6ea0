#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sets the coverage bit of the instruction at `pc` (see ``DebugState/coverage``).
@inline(__always) func markCoverage(_ cov: UnsafeMutablePointer<UInt64>, _ mask: UInt, _ pc: UnsafeMutablePointer<UInt32>) {
    let bit = (UInt(bitPattern: pc) >> 2) & mask
    cov[Int(bit >> 6)] |= 1 << UInt64(bit & 63)
}
/// Sets the bits of the granules (``DebugState/granuleShift``) an access of at most 8 bytes touches.
@inline(__always) func markGranules(_ g: UnsafeMutablePointer<UInt64>, _ ea: UInt64, _ size: UInt64) {
    let first = ea >> DebugState.granuleShift
    let last = (ea &+ size &- 1) >> DebugState.granuleShift
    g[Int(first >> 6)] |= 1 << (first & 63)
    g[Int(last >> 6)] |= 1 << (last & 63)
}
/// Sets the bits of every granule in `[address, address + size)` (`size` > 0).
@inline(never) func markGranuleRange(_ g: UnsafeMutablePointer<UInt64>, _ address: UInt64, _ size: UInt64) {
    var i = address >> DebugState.granuleShift
    let last = min((address &+ size &- 1) >> DebugState.granuleShift, UInt64(DebugState.granuleWords * 64 - 1))
    while i <= last {
        g[Int(i >> 6)] |= 1 << (i & 63)
        i &+= 1
    }
}

@inline(__always) func i32(_ fp: UnsafeMutablePointer<UInt64>, _ slot: UInt32) -> UInt32 {
    UInt32(truncatingIfNeeded: fp[Int(slot)])
}
// Float bits are reinterpreted with unsafeBitCast: `bitPattern` is not always inlined, and a
// call per floating-point instruction costs more than the instruction.
@inline(__always) func f32(_ fp: UnsafeMutablePointer<UInt64>, _ slot: UInt32) -> Float {
    unsafeBitCast(UInt32(truncatingIfNeeded: fp[Int(slot)]), to: Float.self)
}
@inline(__always) func f64(_ fp: UnsafeMutablePointer<UInt64>, _ slot: UInt32) -> Double {
    unsafeBitCast(fp[Int(slot)], to: Double.self)
}
extension Float {
    @inline(__always) var bits: UInt32 { unsafeBitCast(self, to: UInt32.self) }
}
extension Double {
    @inline(__always) var bits: UInt64 { unsafeBitCast(self, to: UInt64.self) }
}
@inline(__always) func wasmMin<F: BinaryFloatingPoint>(_ x: F, _ y: F) -> F {
    if x.isNaN || y.isNaN { return x + y }
    if x == y { return x.sign == .minus ? x : y }
    return x < y ? x : y
}
@inline(__always) func wasmMax<F: BinaryFloatingPoint>(_ x: F, _ y: F) -> F {
    if x.isNaN || y.isNaN { return x + y }
    if x == y { return x.sign == .minus ? y : x }
    return x > y ? x : y
}
@inline(__always) func truncSat<I: FixedWidthInteger>(_ v: Double, _: I.Type) -> I {
    if v.isNaN { return 0 }
    if v <= Double(I.min) { return I.min }
    if v >= Double(I.max) { return I.max }
    return I(v)
}

extension ExecutionThread {
    /// Enters `callee` (a wasm function) with its frame at `base`.
    @inline(__always)
    func enter(
        _ callee: UnsafeMutablePointer<FuncEntity>, base: UnsafeMutablePointer<UInt64>,
        returnPC: UnsafeMutablePointer<UInt32>,
        pc: inout UnsafeMutablePointer<UInt32>, fp: inout UnsafeMutablePointer<UInt64>,
        fn: inout UnsafeMutablePointer<FuncEntity>
    ) -> Bool {
        let e = callee.pointee
        guard depth < maxDepth, base + Int(e.frameSize) <= stackEnd else { return false }
        frames[depth] = Frame(pc: returnPC, fp: fp, fn: fn)
        depth += 1
        fp = base
        fn = callee
        pc = e.code.unsafelyUnwrapped
        // Zeroed locals, then the function's constants. One loop with a select, not
        // `update(repeating:)` + `update(from:)`: those (and the loops LLVM recognizes as them)
        // become memset and memmove calls, which cost more than the few slots a frame usually has.
        let locals = base + Int(e.paramCount)
        let localCount = Int(e.localCount)
        let total = localCount + Int(e.constCount)
        if total > 0 {
            let consts = (e.consts ?? locals) - localCount
            var i = 0
            repeat {
                locals[i] = i < localCount ? 0 : consts[i]
                i &+= 1
            } while i < total
        }
        return true
    }

    /// Calls a host function from inside the loop; returns what stopped it, if anything.
    @inline(never)
    func hostCallInLoop(_ callee: UnsafeMutablePointer<FuncEntity>, base: UnsafeMutablePointer<UInt64>) -> (any Error)? {
        do {
            try callHost(callee, base: base)
            return nil
        } catch {
            return error
        }
    }

    @inline(never)
    func probeCall(_ f: UnsafeMutablePointer<FuncEntity>) { probe?.call(thread: self, function: FunctionRef(f)) }

    enum CallResult { case proceed, yield, stackExhausted, hostError }

    /// The shared part of `call`, `call_indirect` and `call_ref`: a host function runs in place
    /// (and is a scheduling point); a wasm function gets its frame at `base`, switching the cached
    /// instance and memory when it belongs to another instance, and charges the yield budget.
    @inline(__always)
    func performCall<M: ExecutionMode>(
        _: M.Type, _ callee: UnsafeMutablePointer<FuncEntity>, base: UnsafeMutablePointer<UInt64>, length: Int,
        _ probing: Bool, _ pc: inout UnsafeMutablePointer<UInt32>, _ fp: inout UnsafeMutablePointer<UInt64>,
        _ fn: inout UnsafeMutablePointer<FuncEntity>, _ inst: inout UnsafeMutablePointer<InstanceData>,
        _ memData: inout UnsafeMutablePointer<MemoryData>?, _ memBase: inout UnsafeMutableRawPointer,
        _ memSize: inout UInt64, _ budget: inout Int, _ hostError: inout (any Error)?
    ) -> CallResult {
        if callee.pointee.code == nil {
            self.pc = pc; self.fp = fp; self.fn = fn
            if let e = hostCallInLoop(callee, base: base) {
                hostError = e
                return .hostError
            }
            memBase = memData?.pointee.base ?? memBase
            memSize = UInt64(memData?.pointee.byteCount ?? 0)
            pc += length
            return yieldAtSyncPoints ? .yield : .proceed
        }
        guard enter(callee, base: base, returnPC: pc + length, pc: &pc, fp: &fp, fn: &fn) else { return .stackExhausted }
        if M.probed, probing { probeCall(fn) }
        if inst != fn.pointee.instance {
            inst = fn.pointee.instance
            memData = inst.pointee.memory
            memBase = memData?.pointee.base ?? memBase
            memSize = UInt64(memData?.pointee.byteCount ?? 0)
        }
        budget &-= 1
        return budget <= 0 ? .yield : .proceed
    }

    /// A plain load or store in an instrumented variant, before it happens: charges the yield
    /// budget when accesses are preemption points (true: yield before it), marks the granules it
    /// touches for a debugger, and reports it to the probe. The variants without these compile
    /// none of it.
    @inline(__always)
    func instrumentAccess<M: ExecutionMode>(
        _: M.Type, _ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>, _ ea: UInt64, _ size: Int,
        _ isWrite: Bool, _ preempt: Bool, _ probing: Bool, _ budget: inout Int, _ count: inout UInt64, _ limit: inout UInt64,
        _ rg: UnsafeMutablePointer<UInt64>?, _ wg: UnsafeMutablePointer<UInt64>?
    ) -> Bool {
        if M.preempting || preempt {
            budget &-= 1
            if budget <= 0 {
                // The access runs when the thread resumes; it is then the same instruction.
                if M.debugged { count &-= 1; debug.reentering = true }
                return true
            }
        }
        if M.debugged {
            if let g = isWrite ? wg : rg { markGranules(g, ea, UInt64(size)) }
            if probing {
                debug.instructionCount = count
                probeAccess(pc, fn, ea, size, isWrite, false)
                limit = debug.fastLimit
            }
        } else if M.probed {
            probeAccess(pc, fn, ea, size, isWrite, false)
        }
        return false
    }

    /// An atomic access in an instrumented variant (after its bounds and alignment checks).
    @inline(__always)
    func atomicAccess<M: ExecutionMode>(
        _: M.Type, _ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>, _ ea: UInt64, _ size: Int,
        _ isWrite: Bool, rmw: Bool, _ probing: Bool, _ count: UInt64, _ limit: inout UInt64,
        _ rg: UnsafeMutablePointer<UInt64>?, _ wg: UnsafeMutablePointer<UInt64>?
    ) {
        if M.debugged {
            if let g = isWrite ? wg : rg { markGranules(g, ea, UInt64(size)) }
            if rmw, let g = rg { markGranules(g, ea, UInt64(size)) }
            guard probing else { return }
            debug.instructionCount = count
        }
        probeAccess(pc, fn, ea, size, isWrite, true)
        if rmw { probeSync(pc, fn, .rmw, ea) }
        if M.debugged { limit = debug.fastLimit }
    }

    /// A bulk access (`memory.fill`, `copy`, `init`) in an instrumented variant.
    @inline(__always)
    func bulkAccess<M: ExecutionMode>(
        _: M.Type, _ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>, _ address: UInt64, _ size: UInt64,
        _ isWrite: Bool, _ probing: Bool, _ count: UInt64, _ limit: inout UInt64,
        _ rg: UnsafeMutablePointer<UInt64>?, _ wg: UnsafeMutablePointer<UInt64>?
    ) {
        if M.debugged {
            if size > 0, let g = isWrite ? wg : rg { markGranuleRange(g, address, size) }
            guard probing else { return }
            debug.instructionCount = count
        }
        probeBulk(pc, fn, address, size, isWrite)
        if M.debugged { limit = debug.fastLimit }
    }

    /// The execution loop. `M` selects the variant: with ``Probed`` every memory access, call and
    /// synchronization is reported to ``probe``; with ``Unprobed`` those checks do not exist.
    func run<M: ExecutionMode>(_: M.Type) -> StopReason {
        var pc = self.pc.unsafelyUnwrapped
        var fp = self.fp
        var fn = self.fn.unsafelyUnwrapped
        var inst = fn.pointee.instance
        var memData = inst.pointee.memory
        var memBase = memData?.pointee.base ?? UnsafeMutableRawPointer(stackBase)
        var memSize = UInt64(memData?.pointee.byteCount ?? 0)
        var budget = yieldBudget
        let syncPoints = yieldAtSyncPoints
        let preemptAccesses = M.preempting || (M.probed && preemptAtMemoryAccesses)
        var trap: Trap.Kind?
        var hostError: (any Error)?
        var yielded = false
        var blocked = false
        var finished = false
        var paused = false
        // The debugging loop counts instructions in a register and makes the full check only
        // when the count reaches `limit` (``DebugState/fastLimit``); the probed loop may count
        // opcodes; the others have no per-instruction work. None of these settings changes while
        // the loop runs (a probe that asks for a pause makes the loop read `limit` again).
        let counts = M.profiled ? opcodeCounts : nil
        let probing = M.probed && (!M.debugged || debug.probeEvents)
        var count: UInt64 = M.debugged ? debug.instructionCount : 0
        var limit: UInt64 = M.debugged ? debug.fastLimit : .max
        let cov = M.debugged ? debug.coverage : nil
        let covMask = debug.coverageMask
        let rg = M.debugged ? debug.readGranules : nil
        let wg = M.debugged ? debug.writtenGranules : nil
        if M.debugged, let cov { markCoverage(cov, covMask, pc) }

        loop: while true {
            // No branch here: a branch before the dispatch would make every case share one
            // indirect jump (LLVM duplicates the dispatch into the cases only when it is alone).
            let op: Op
            if M.debugged {
                // `count >= limit ? .debugCheck : the instruction`, in arithmetic (the compiler
                // turns a select into a branch here): the top bit of `limit - 1 - count` is set
                // exactly when the count reached the limit (``DebugState/fastLimit`` stays
                // below 2^62, and so do counts).
                let word = pc.pointee & 0xFFFF
                let slow = UInt32(truncatingIfNeeded: (limit &- 1 &- count) >> 63)
                op = Op.decode(word ^ ((word ^ UInt32(Op.debugCheck.rawValue)) & (0 &- slow)))
                count &+= 1
            } else {
                op = Op.decode(pc.pointee)
            }
            if M.profiled, let counts { counts[Int(op.rawValue)] += 1 }
            switch op {
            case .debugCheck:
                guard M.debugged else { trap = .host("internal error: debugCheck dispatched"); break loop }
                // The full check of the instruction at pc, which then runs with the count it
                // gave it: the limit is at least one past the count, so the next dispatch is
                // the instruction itself, and a limit of 0 (check every instruction) applies
                // from the one after.
                count &-= 1
                debug.instructionCount = count
                if debugCheck(pc, fn) { paused = true; break loop }
                count = debug.instructionCount &- 1
                limit = max(debug.fastLimit, count &+ 1)
                continue loop
            case .unreachable:
                trap = .unreachable
                break loop
            case .br:
                pc = pc.advanced(by: Int(Int32(bitPattern: pc[1]))); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
            case .brBack:
                pc = pc.advanced(by: Int(Int32(bitPattern: pc[1]))); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                budget &-= 1
                if budget <= 0 { yielded = true; break loop }
            case .brIf:
                if i32(fp, pc[1]) != 0 { pc = pc.advanced(by: Int(Int32(bitPattern: pc[2]))); if M.debugged, let cov { markCoverage(cov, covMask, pc) } } else { pc += 3 }
            case .brIfNot:
                if i32(fp, pc[1]) == 0 { pc = pc.advanced(by: Int(Int32(bitPattern: pc[2]))); if M.debugged, let cov { markCoverage(cov, covMask, pc) } } else { pc += 3 }
            case .brIfBack:
                if i32(fp, pc[1]) != 0 {
                    pc = pc.advanced(by: Int(Int32(bitPattern: pc[2]))); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    budget &-= 1
                    if budget <= 0 { yielded = true; break loop }
                } else {
                    pc += 3
                }
            case .brTable:
                let i = i32(fp, pc[1])
                let n = pc[2]
                let k = i < n ? i : n
                pc = pc.advanced(by: Int(Int32(bitPattern: pc[3 + Int(k)]))); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
            case .call:
                let callee = inst.pointee.functions[Int(pc[1])]
                if M.debugged { debug.instructionCount = count }
                switch performCall(M.self, callee, base: fp + Int(pc[2]), length: 3, probing, &pc, &fp, &fn, &inst, &memData, &memBase, &memSize, &budget, &hostError) {
                case .proceed: if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                case .yield: yielded = true; break loop
                case .stackExhausted: trap = .callStackExhausted; break loop
                case .hostError: break loop
                }
            case .callIndirect:
                let table = inst.pointee.tables[Int(pc[2])]
                let i = i32(fp, pc[3])
                guard Int(i) < table.pointee.count else { trap = .undefinedElement; break loop }
                let ref = table.pointee.elements[Int(i)]
                guard let callee = UnsafeMutablePointer<FuncEntity>(bitPattern: UInt(ref)) else {
                    trap = .uninitializedElement; break loop
                }
                guard callee.pointee.typeID == inst.pointee.typeIDs[Int(pc[1])] else {
                    trap = .indirectCallTypeMismatch; break loop
                }
                if M.debugged { debug.instructionCount = count }
                switch performCall(M.self, callee, base: fp + Int(pc[4]), length: 5, probing, &pc, &fp, &fn, &inst, &memData, &memBase, &memSize, &budget, &hostError) {
                case .proceed: if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                case .yield: yielded = true; break loop
                case .stackExhausted: trap = .callStackExhausted; break loop
                case .hostError: break loop
                }
            case .callRef:
                guard let callee = UnsafeMutablePointer<FuncEntity>(bitPattern: UInt(fp[Int(pc[2])])) else {
                    trap = .nullFunctionReference; break loop
                }
                if M.debugged { debug.instructionCount = count }
                switch performCall(M.self, callee, base: fp + Int(pc[3]), length: 4, probing, &pc, &fp, &fn, &inst, &memData, &memBase, &memSize, &budget, &hostError) {
                case .proceed: if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                case .yield: yielded = true; break loop
                case .stackExhausted: trap = .callStackExhausted; break loop
                case .hostError: break loop
                }
            case .ret:
                if M.probed, probing { probe?.return(thread: self) }
                if depth == 0 { finished = true; break loop }
                depth -= 1
                let f = frames[depth]
                pc = f.pc
                if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                fp = f.fp
                fn = f.fn
                if inst != fn.pointee.instance {
                    inst = fn.pointee.instance
                    memData = inst.pointee.memory
                    memBase = memData?.pointee.base ?? memBase
                }
                memSize = UInt64(memData?.pointee.byteCount ?? 0)
            case .copy:
                fp[Int(pc[1])] = fp[Int(pc[2])]
                pc += 3
            case .const32:
                fp[Int(pc[1])] = UInt64(pc[2])
                pc += 3
            case .const64:
                fp[Int(pc[1])] = UInt64(pc[2]) | (UInt64(pc[3]) << 32)
                pc += 4
            case .select:
                fp[Int(pc[1])] = i32(fp, pc[4]) != 0 ? fp[Int(pc[2])] : fp[Int(pc[3])]
                pc += 5
            case .globalGet:
                fp[Int(pc[1])] = inst.pointee.globals[Int(pc[2])].pointee
                pc += 3
            case .globalSet:
                inst.pointee.globals[Int(pc[1])].pointee = fp[Int(pc[2])]
                pc += 3
            case .refIsNull:
                fp[Int(pc[1])] = fp[Int(pc[2])] == 0 ? 1 : 0
                pc += 3
            case .refFunc:
                fp[Int(pc[1])] = UInt64(UInt(bitPattern: inst.pointee.functions[Int(pc[2])]))
                pc += 3
            case .refAsNonNull:
                if fp[Int(pc[1])] == 0 { trap = .nullReference; break loop }
                pc += 2
            case .brOnNull:
                if fp[Int(pc[1])] == 0 { pc = pc.advanced(by: Int(Int32(bitPattern: pc[2]))); if M.debugged, let cov { markCoverage(cov, covMask, pc) } } else { pc += 3 }
            case .brOnNonNull:
                if fp[Int(pc[1])] != 0 { pc = pc.advanced(by: Int(Int32(bitPattern: pc[2]))); if M.debugged, let cov { markCoverage(cov, covMask, pc) } } else { pc += 3 }
            case .load8s:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 1, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(memBase.load(fromByteOffset: Int(ea), as: Int8.self)))
                pc += 4
            case .load8u:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 1, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(memBase.load(fromByteOffset: Int(ea), as: UInt8.self))
                pc += 4
            case .load16s:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 2, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(memBase.loadUnaligned(fromByteOffset: Int(ea), as: Int16.self)))
                pc += 4
            case .load16u:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 2, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(memBase.loadUnaligned(fromByteOffset: Int(ea), as: UInt16.self))
                pc += 4
            case .load32s:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 4, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(memBase.loadUnaligned(fromByteOffset: Int(ea), as: Int32.self)))
                pc += 4
            case .load32u:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 4, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(memBase.loadUnaligned(fromByteOffset: Int(ea), as: UInt32.self))
                pc += 4
            case .load64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 8, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = memBase.loadUnaligned(fromByteOffset: Int(ea), as: UInt64.self)
                pc += 4
            case .store8:
                let ea = UInt64(i32(fp, pc[1])) &+ UInt64(pc[3])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 1, true, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                memBase.storeBytes(of: UInt8(truncatingIfNeeded: fp[Int(pc[2])]), toByteOffset: Int(ea), as: UInt8.self)
                pc += 4
            case .store16:
                let ea = UInt64(i32(fp, pc[1])) &+ UInt64(pc[3])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 2, true, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                memBase.storeBytes(of: UInt16(truncatingIfNeeded: fp[Int(pc[2])]), toByteOffset: Int(ea), as: UInt16.self)
                pc += 4
            case .store32:
                let ea = UInt64(i32(fp, pc[1])) &+ UInt64(pc[3])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 4, true, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                memBase.storeBytes(of: UInt32(truncatingIfNeeded: fp[Int(pc[2])]), toByteOffset: Int(ea), as: UInt32.self)
                pc += 4
            case .store64:
                let ea = UInt64(i32(fp, pc[1])) &+ UInt64(pc[3])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 8, true, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                memBase.storeBytes(of: UInt64(truncatingIfNeeded: fp[Int(pc[2])]), toByteOffset: Int(ea), as: UInt64.self)
                pc += 4
            case .load8sX:
                let ea = UInt64(i32(fp, pc[2]) &+ i32(fp, pc[3])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 1, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(memBase.load(fromByteOffset: Int(ea), as: Int8.self)))
                pc += 5
            case .load8uX:
                let ea = UInt64(i32(fp, pc[2]) &+ i32(fp, pc[3])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 1, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(memBase.load(fromByteOffset: Int(ea), as: UInt8.self))
                pc += 5
            case .load16sX:
                let ea = UInt64(i32(fp, pc[2]) &+ i32(fp, pc[3])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 2, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(memBase.loadUnaligned(fromByteOffset: Int(ea), as: Int16.self)))
                pc += 5
            case .load16uX:
                let ea = UInt64(i32(fp, pc[2]) &+ i32(fp, pc[3])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 2, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(memBase.loadUnaligned(fromByteOffset: Int(ea), as: UInt16.self))
                pc += 5
            case .load32sX:
                let ea = UInt64(i32(fp, pc[2]) &+ i32(fp, pc[3])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 4, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(memBase.loadUnaligned(fromByteOffset: Int(ea), as: Int32.self)))
                pc += 5
            case .load32uX:
                let ea = UInt64(i32(fp, pc[2]) &+ i32(fp, pc[3])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 4, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = UInt64(memBase.loadUnaligned(fromByteOffset: Int(ea), as: UInt32.self))
                pc += 5
            case .load64X:
                let ea = UInt64(i32(fp, pc[2]) &+ i32(fp, pc[3])) &+ UInt64(pc[4])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 8, false, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                fp[Int(pc[1])] = memBase.loadUnaligned(fromByteOffset: Int(ea), as: UInt64.self)
                pc += 5
            case .store8X:
                let ea = UInt64(i32(fp, pc[1]) &+ i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 1, true, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                memBase.storeBytes(of: UInt8(truncatingIfNeeded: fp[Int(pc[3])]), toByteOffset: Int(ea), as: UInt8.self)
                pc += 5
            case .store16X:
                let ea = UInt64(i32(fp, pc[1]) &+ i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 2, true, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                memBase.storeBytes(of: UInt16(truncatingIfNeeded: fp[Int(pc[3])]), toByteOffset: Int(ea), as: UInt16.self)
                pc += 5
            case .store32X:
                let ea = UInt64(i32(fp, pc[1]) &+ i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 4, true, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                memBase.storeBytes(of: UInt32(truncatingIfNeeded: fp[Int(pc[3])]), toByteOffset: Int(ea), as: UInt32.self)
                pc += 5
            case .store64X:
                let ea = UInt64(i32(fp, pc[1]) &+ i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed || M.preempting, instrumentAccess(M.self, pc, fn, ea, 8, true, preemptAccesses, probing, &budget, &count, &limit, rg, wg) { yielded = true; break loop }
                memBase.storeBytes(of: UInt64(truncatingIfNeeded: fp[Int(pc[3])]), toByteOffset: Int(ea), as: UInt64.self)
                pc += 5
            case .atomicLoad8:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, false, rmw: false, probing, count, &limit, rg, wg) }
                fp[Int(pc[1])] = UInt64(memBase.load(fromByteOffset: Int(ea), as: UInt8.self))
                pc += 4
                if syncPoints { syncInstructionLength = 4; syncAddress = ea; yielded = true; break loop }
            case .atomicStore8:
                let ea = UInt64(i32(fp, pc[1])) &+ UInt64(pc[3])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, true, rmw: false, probing, count, &limit, rg, wg) }
                memBase.storeBytes(of: UInt8(truncatingIfNeeded: fp[Int(pc[2])]), toByteOffset: Int(ea), as: UInt8.self)
                pc += 4
                if syncPoints { syncInstructionLength = 4; syncAddress = ea; yielded = true; break loop }
            case .rmwAdd8:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt8.self)
                let v = UInt8(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old &+ v, toByteOffset: Int(ea), as: UInt8.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwSub8:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt8.self)
                let v = UInt8(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old &- v, toByteOffset: Int(ea), as: UInt8.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwAnd8:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt8.self)
                let v = UInt8(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old & v, toByteOffset: Int(ea), as: UInt8.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwOr8:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt8.self)
                let v = UInt8(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old | v, toByteOffset: Int(ea), as: UInt8.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwXor8:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt8.self)
                let v = UInt8(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old ^ v, toByteOffset: Int(ea), as: UInt8.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwXchg8:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt8.self)
                let v = UInt8(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: v, toByteOffset: Int(ea), as: UInt8.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .cmpxchg8:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[5])
                if ea &+ 1 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 0 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 1, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt8.self)
                if old == UInt8(truncatingIfNeeded: fp[Int(pc[3])]) {
                    memBase.storeBytes(of: UInt8(truncatingIfNeeded: fp[Int(pc[4])]), toByteOffset: Int(ea), as: UInt8.self)
                }
                fp[Int(pc[1])] = UInt64(old)
                pc += 6
                if syncPoints { syncInstructionLength = 6; syncAddress = ea; yielded = true; break loop }
            case .atomicLoad16:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, false, rmw: false, probing, count, &limit, rg, wg) }
                fp[Int(pc[1])] = UInt64(memBase.load(fromByteOffset: Int(ea), as: UInt16.self))
                pc += 4
                if syncPoints { syncInstructionLength = 4; syncAddress = ea; yielded = true; break loop }
            case .atomicStore16:
                let ea = UInt64(i32(fp, pc[1])) &+ UInt64(pc[3])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, true, rmw: false, probing, count, &limit, rg, wg) }
                memBase.storeBytes(of: UInt16(truncatingIfNeeded: fp[Int(pc[2])]), toByteOffset: Int(ea), as: UInt16.self)
                pc += 4
                if syncPoints { syncInstructionLength = 4; syncAddress = ea; yielded = true; break loop }
            case .rmwAdd16:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt16.self)
                let v = UInt16(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old &+ v, toByteOffset: Int(ea), as: UInt16.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwSub16:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt16.self)
                let v = UInt16(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old &- v, toByteOffset: Int(ea), as: UInt16.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwAnd16:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt16.self)
                let v = UInt16(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old & v, toByteOffset: Int(ea), as: UInt16.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwOr16:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt16.self)
                let v = UInt16(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old | v, toByteOffset: Int(ea), as: UInt16.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwXor16:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt16.self)
                let v = UInt16(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old ^ v, toByteOffset: Int(ea), as: UInt16.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwXchg16:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt16.self)
                let v = UInt16(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: v, toByteOffset: Int(ea), as: UInt16.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .cmpxchg16:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[5])
                if ea &+ 2 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 1 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 2, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt16.self)
                if old == UInt16(truncatingIfNeeded: fp[Int(pc[3])]) {
                    memBase.storeBytes(of: UInt16(truncatingIfNeeded: fp[Int(pc[4])]), toByteOffset: Int(ea), as: UInt16.self)
                }
                fp[Int(pc[1])] = UInt64(old)
                pc += 6
                if syncPoints { syncInstructionLength = 6; syncAddress = ea; yielded = true; break loop }
            case .atomicLoad32:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, false, rmw: false, probing, count, &limit, rg, wg) }
                fp[Int(pc[1])] = UInt64(memBase.load(fromByteOffset: Int(ea), as: UInt32.self))
                pc += 4
                if syncPoints { syncInstructionLength = 4; syncAddress = ea; yielded = true; break loop }
            case .atomicStore32:
                let ea = UInt64(i32(fp, pc[1])) &+ UInt64(pc[3])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, true, rmw: false, probing, count, &limit, rg, wg) }
                memBase.storeBytes(of: UInt32(truncatingIfNeeded: fp[Int(pc[2])]), toByteOffset: Int(ea), as: UInt32.self)
                pc += 4
                if syncPoints { syncInstructionLength = 4; syncAddress = ea; yielded = true; break loop }
            case .rmwAdd32:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt32.self)
                let v = UInt32(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old &+ v, toByteOffset: Int(ea), as: UInt32.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwSub32:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt32.self)
                let v = UInt32(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old &- v, toByteOffset: Int(ea), as: UInt32.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwAnd32:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt32.self)
                let v = UInt32(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old & v, toByteOffset: Int(ea), as: UInt32.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwOr32:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt32.self)
                let v = UInt32(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old | v, toByteOffset: Int(ea), as: UInt32.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwXor32:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt32.self)
                let v = UInt32(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old ^ v, toByteOffset: Int(ea), as: UInt32.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwXchg32:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt32.self)
                let v = UInt32(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: v, toByteOffset: Int(ea), as: UInt32.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .cmpxchg32:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[5])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 4, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt32.self)
                if old == UInt32(truncatingIfNeeded: fp[Int(pc[3])]) {
                    memBase.storeBytes(of: UInt32(truncatingIfNeeded: fp[Int(pc[4])]), toByteOffset: Int(ea), as: UInt32.self)
                }
                fp[Int(pc[1])] = UInt64(old)
                pc += 6
                if syncPoints { syncInstructionLength = 6; syncAddress = ea; yielded = true; break loop }
            case .atomicLoad64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[3])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, false, rmw: false, probing, count, &limit, rg, wg) }
                fp[Int(pc[1])] = UInt64(memBase.load(fromByteOffset: Int(ea), as: UInt64.self))
                pc += 4
                if syncPoints { syncInstructionLength = 4; syncAddress = ea; yielded = true; break loop }
            case .atomicStore64:
                let ea = UInt64(i32(fp, pc[1])) &+ UInt64(pc[3])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, true, rmw: false, probing, count, &limit, rg, wg) }
                memBase.storeBytes(of: UInt64(truncatingIfNeeded: fp[Int(pc[2])]), toByteOffset: Int(ea), as: UInt64.self)
                pc += 4
                if syncPoints { syncInstructionLength = 4; syncAddress = ea; yielded = true; break loop }
            case .rmwAdd64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt64.self)
                let v = UInt64(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old &+ v, toByteOffset: Int(ea), as: UInt64.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwSub64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt64.self)
                let v = UInt64(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old &- v, toByteOffset: Int(ea), as: UInt64.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwAnd64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt64.self)
                let v = UInt64(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old & v, toByteOffset: Int(ea), as: UInt64.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwOr64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt64.self)
                let v = UInt64(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old | v, toByteOffset: Int(ea), as: UInt64.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwXor64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt64.self)
                let v = UInt64(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: old ^ v, toByteOffset: Int(ea), as: UInt64.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .rmwXchg64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt64.self)
                let v = UInt64(truncatingIfNeeded: fp[Int(pc[3])])
                memBase.storeBytes(of: v, toByteOffset: Int(ea), as: UInt64.self)
                fp[Int(pc[1])] = UInt64(old)
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .cmpxchg64:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[5])
                if ea &+ 8 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 7 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed { atomicAccess(M.self, pc, fn, ea, 8, true, rmw: true, probing, count, &limit, rg, wg) }
                let old = memBase.load(fromByteOffset: Int(ea), as: UInt64.self)
                if old == UInt64(truncatingIfNeeded: fp[Int(pc[3])]) {
                    memBase.storeBytes(of: UInt64(truncatingIfNeeded: fp[Int(pc[4])]), toByteOffset: Int(ea), as: UInt64.self)
                }
                fp[Int(pc[1])] = UInt64(old)
                pc += 6
                if syncPoints { syncInstructionLength = 6; syncAddress = ea; yielded = true; break loop }
            case .memorySize:
                fp[Int(pc[1])] = memSize / UInt64(LinearMemory.pageSize)
                pc += 2
            case .memoryGrow:
                let delta = UInt64(i32(fp, pc[2]))
                var result: Int64 = -1
                if let m = memData {
                    let old = m.pointee.byteCount / LinearMemory.pageSize
                    let new = UInt64(old) + delta
                    if new <= UInt64(m.pointee.maxPages) {
                        m.pointee.byteCount = Int(new) * LinearMemory.pageSize
                        result = Int64(old)
                    }
                    memSize = UInt64(m.pointee.byteCount)
                }
                fp[Int(pc[1])] = UInt64(UInt32(truncatingIfNeeded: result))
                pc += 3
            case .memoryFill:
                let d = UInt64(i32(fp, pc[1])), v = i32(fp, pc[2]), n = UInt64(i32(fp, pc[3]))
                if d &+ n > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed { bulkAccess(M.self, pc, fn, d, n, true, probing, count, &limit, rg, wg) }
                if n > 0 { memset(memBase + Int(d), Int32(v & 0xFF), Int(n)) }
                pc += 4
            case .memoryCopy:
                let d = UInt64(i32(fp, pc[1])), s = UInt64(i32(fp, pc[2])), n = UInt64(i32(fp, pc[3]))
                if d &+ n > memSize || s &+ n > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed {
                    bulkAccess(M.self, pc, fn, s, n, false, probing, count, &limit, rg, wg)
                    bulkAccess(M.self, pc, fn, d, n, true, probing, count, &limit, rg, wg)
                }
                if n > 0 { memmove(memBase + Int(d), memBase + Int(s), Int(n)) }
                pc += 4
            case .memoryInit:
                let seg = inst.pointee.dataSegments + Int(pc[1])
                let d = UInt64(i32(fp, pc[2])), s = UInt64(i32(fp, pc[3])), n = UInt64(i32(fp, pc[4]))
                if s &+ n > UInt64(seg.pointee.count) || d &+ n > memSize { trap = .memoryOutOfBounds; break loop }
                if M.probed { bulkAccess(M.self, pc, fn, d, n, true, probing, count, &limit, rg, wg) }
                if n > 0 { (memBase + Int(d)).copyMemory(from: seg.pointee.base.unsafelyUnwrapped + Int(s), byteCount: Int(n)) }
                pc += 5
            case .dataDrop:
                inst.pointee.dataSegments[Int(pc[1])].count = 0
                pc += 2
            case .wait32, .wait64:
                let is64 = Op.decode(pc.pointee) == .wait64
                let size: UInt64 = is64 ? 8 : 4
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[5])
                if ea &+ size > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & (size - 1) != 0 { trap = .unalignedAtomic; break loop }
                guard memData?.pointee.isShared == true else { trap = .waitOnUnsharedMemory; break loop }
                if M.probed, probing { if M.debugged { debug.instructionCount = count }; probeSync(pc, fn, .wait, ea) }
                let current = is64 ? memBase.load(fromByteOffset: Int(ea), as: UInt64.self)
                    : UInt64(memBase.load(fromByteOffset: Int(ea), as: UInt32.self))
                let expected = is64 ? fp[Int(pc[3])] : UInt64(i32(fp, pc[3]))
                if current != expected {
                    fp[Int(pc[1])] = 1
                } else {
                    let timeout = Int64(bitPattern: fp[Int(pc[4])])
                    if let sync = synchronization {
                        self.pc = pc; self.fp = fp; self.fn = fn
                        if M.debugged { debug.instructionCount = count }
                        switch sync.wait(thread: self, address: ea, timeout: timeout) {
                        case .result(let r): fp[Int(pc[1])] = UInt64(r)
                        case .block:
                            // Stay on this instruction; `resume` completes it with the wake-up result.
                            blocked = true
                            break loop
                        case .trap(let kind):
                            trap = kind
                            break loop
                        }
                    } else if timeout >= 0 {
                        fp[Int(pc[1])] = 2  // the only agent: nobody can wake it before the timeout
                    } else {
                        trap = .deadlock("wait with no timeout and no other thread to notify"); break loop
                    }
                }
                pc += 6
                if syncPoints { syncInstructionLength = 6; syncAddress = ea; yielded = true; break loop }
            case .notify:
                let ea = UInt64(i32(fp, pc[2])) &+ UInt64(pc[4])
                if ea &+ 4 > memSize { trap = .memoryOutOfBounds; break loop }
                if ea & 3 != 0 { trap = .unalignedAtomic; break loop }
                if M.probed, probing { if M.debugged { debug.instructionCount = count }; probeSync(pc, fn, .notify, ea) }
                if let sync = synchronization, memData?.pointee.isShared == true {
                    self.pc = pc; self.fp = fp; self.fn = fn
                    if M.debugged { debug.instructionCount = count }
                    fp[Int(pc[1])] = UInt64(sync.notify(thread: self, address: ea, count: i32(fp, pc[3])))
                } else {
                    fp[Int(pc[1])] = 0
                }
                pc += 5
                if syncPoints { syncInstructionLength = 5; syncAddress = ea; yielded = true; break loop }
            case .fence:
                if M.probed, probing { if M.debugged { debug.instructionCount = count }; probeSync(pc, fn, .fence, 0) }
                pc += 1
                if syncPoints { syncInstructionLength = 1; syncAddress = 0; yielded = true; break loop }
            case .tableGet:
                let t = inst.pointee.tables[Int(pc[3])]
                let i = i32(fp, pc[2])
                guard Int(i) < t.pointee.count else { trap = .tableOutOfBounds; break loop }
                fp[Int(pc[1])] = t.pointee.elements[Int(i)]
                pc += 4
            case .tableSet:
                let t = inst.pointee.tables[Int(pc[3])]
                let i = i32(fp, pc[1])
                guard Int(i) < t.pointee.count else { trap = .tableOutOfBounds; break loop }
                t.pointee.elements[Int(i)] = fp[Int(pc[2])]
                pc += 4
            case .tableSize:
                fp[Int(pc[1])] = UInt64(inst.pointee.tables[Int(pc[2])].pointee.count)
                pc += 3
            case .tableGrow:
                let t = inst.pointee.tables[Int(pc[4])]
                let r = Table.grow(t, by: UInt64(i32(fp, pc[3])), value: fp[Int(pc[2])])
                fp[Int(pc[1])] = UInt64(UInt32(truncatingIfNeeded: r))
                pc += 5
            case .tableFill:
                let t = inst.pointee.tables[Int(pc[4])]
                let i = UInt64(i32(fp, pc[1])), v = fp[Int(pc[2])], n = UInt64(i32(fp, pc[3]))
                guard i &+ n <= UInt64(t.pointee.count) else { trap = .tableOutOfBounds; break loop }
                if n > 0 { (t.pointee.elements + Int(i)).update(repeating: v, count: Int(n)) }
                pc += 5
            case .tableCopy:
                let dt = inst.pointee.tables[Int(pc[4])], st = inst.pointee.tables[Int(pc[5])]
                let d = UInt64(i32(fp, pc[1])), s = UInt64(i32(fp, pc[2])), n = UInt64(i32(fp, pc[3]))
                guard d &+ n <= UInt64(dt.pointee.count), s &+ n <= UInt64(st.pointee.count) else {
                    trap = .tableOutOfBounds; break loop
                }
                if n > 0 { memmove(dt.pointee.elements + Int(d), st.pointee.elements + Int(s), Int(n) * 8) }
                pc += 6
            case .tableInit:
                let t = inst.pointee.tables[Int(pc[5])]
                let seg = inst.pointee.elemSegments + Int(pc[4])
                let d = UInt64(i32(fp, pc[1])), s = UInt64(i32(fp, pc[2])), n = UInt64(i32(fp, pc[3]))
                guard s &+ n <= UInt64(seg.pointee.count), d &+ n <= UInt64(t.pointee.count) else {
                    trap = .tableOutOfBounds; break loop
                }
                if n > 0 {
                    let src = seg.pointee.base.unsafelyUnwrapped.assumingMemoryBound(to: UInt64.self) + Int(s)
                    (t.pointee.elements + Int(d)).update(from: src, count: Int(n))
                }
                pc += 6
            case .elemDrop:
                inst.pointee.elemSegments[Int(pc[1])].count = 0
                pc += 2
            case .f64MulAdd:
                fp[Int(pc[1])] = (f64(fp, pc[2]) * f64(fp, pc[3]) + f64(fp, pc[4])).bits
                pc += 5
            case .f64MulSub:
                fp[Int(pc[1])] = (f64(fp, pc[2]) * f64(fp, pc[3]) - f64(fp, pc[4])).bits
                pc += 5
            case .f64SubMul:
                fp[Int(pc[1])] = (f64(fp, pc[4]) - f64(fp, pc[2]) * f64(fp, pc[3])).bits
                pc += 5
            case .i32AddImm:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]) &+ pc[3])
                pc += 4
            case .brIfI32Eqz:
                if i32(fp, pc[1]) == 0 {
                    let off = Int32(bitPattern: pc[2])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 3
                }
            case .brIfI32LtS:
                let x = i32(fp, pc[1]), y = i32(fp, pc[2])
                if Int32(bitPattern: x) < Int32(bitPattern: y) {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI32LtU:
                let x = i32(fp, pc[1]), y = i32(fp, pc[2])
                if x < y {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI32GeS:
                let x = i32(fp, pc[1]), y = i32(fp, pc[2])
                if Int32(bitPattern: x) >= Int32(bitPattern: y) {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI32GeU:
                let x = i32(fp, pc[1]), y = i32(fp, pc[2])
                if x >= y {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI32Eq:
                let x = i32(fp, pc[1]), y = i32(fp, pc[2])
                if x == y {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI32Ne:
                let x = i32(fp, pc[1]), y = i32(fp, pc[2])
                if x != y {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI64LtS:
                let x = fp[Int(pc[1])], y = fp[Int(pc[2])]
                if Int64(bitPattern: x) < Int64(bitPattern: y) {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI64LtU:
                let x = fp[Int(pc[1])], y = fp[Int(pc[2])]
                if x < y {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI64GeS:
                let x = fp[Int(pc[1])], y = fp[Int(pc[2])]
                if Int64(bitPattern: x) >= Int64(bitPattern: y) {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI64GeU:
                let x = fp[Int(pc[1])], y = fp[Int(pc[2])]
                if x >= y {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI64Eq:
                let x = fp[Int(pc[1])], y = fp[Int(pc[2])]
                if x == y {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI64Ne:
                let x = fp[Int(pc[1])], y = fp[Int(pc[2])]
                if x != y {
                    let off = Int32(bitPattern: pc[3])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 4
                }
            case .brIfI64Eqz:
                if fp[Int(pc[1])] == 0 {
                    let off = Int32(bitPattern: pc[2])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 3
                }
            case .brIfI64Nez:
                if fp[Int(pc[1])] != 0 {
                    let off = Int32(bitPattern: pc[2])
                    pc = pc.advanced(by: Int(off)); if M.debugged, let cov { markCoverage(cov, covMask, pc) }
                    if off < 0 {
                        budget &-= 1
                        if budget <= 0 { yielded = true; break loop }
                    }
                } else {
                    pc += 3
                }
            case .memIndexed:
                self.pc = pc; self.fn = fn
                let (advance, kind) = indexedMemoryOp(pc, fp, inst)
                if let kind { trap = kind; break loop }
                pc += advance
            case .breakpoint:
                if M.debugged {
                    if breakpointWord(pc, fn) {
                        // Paused before it: the instruction did not run.
                        count &-= 1
                        paused = true
                        break loop
                    }
                    // Its original word is back for one instruction, dispatched next with the
                    // count it has; the full check after it puts the breakpoint back.
                    count &-= 1
                    limit = count &+ 1
                    continue loop
                }
                trap = .host("breakpoint")
                break loop
            case .i32Add:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(x &+ y)
                pc += 4
            case .i32Sub:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(x &- y)
                pc += 4
            case .i32Mul:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(x &* y)
                pc += 4
            case .i32And:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(x & y)
                pc += 4
            case .i32Or:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(x | y)
                pc += 4
            case .i32Xor:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(x ^ y)
                pc += 4
            case .i32Shl:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(x << (y & 31))
                pc += 4
            case .i32ShrU:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(x >> (y & 31))
                pc += 4
            case .i32ShrS:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64(UInt32(bitPattern: Int32(bitPattern: x) >> Int32(y & 31)))
                pc += 4
            case .i32Rotl:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64((x << (y & 31)) | (x >> ((32 &- (y & 31)) & 31)))
                pc += 4
            case .i32Rotr:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = UInt64((x >> (y & 31)) | (x << ((32 &- (y & 31)) & 31)))
                pc += 4
            case .i32Eq:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (x == y) ? 1 : 0
                pc += 4
            case .i32Ne:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (x != y) ? 1 : 0
                pc += 4
            case .i32LtU:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (x < y) ? 1 : 0
                pc += 4
            case .i32GtU:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (x > y) ? 1 : 0
                pc += 4
            case .i32LeU:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (x <= y) ? 1 : 0
                pc += 4
            case .i32GeU:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (x >= y) ? 1 : 0
                pc += 4
            case .i32LtS:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (Int32(bitPattern: x) < Int32(bitPattern: y)) ? 1 : 0
                pc += 4
            case .i32GtS:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (Int32(bitPattern: x) > Int32(bitPattern: y)) ? 1 : 0
                pc += 4
            case .i32LeS:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (Int32(bitPattern: x) <= Int32(bitPattern: y)) ? 1 : 0
                pc += 4
            case .i32GeS:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                fp[Int(pc[1])] = (Int32(bitPattern: x) >= Int32(bitPattern: y)) ? 1 : 0
                pc += 4
            case .i64Add:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = x &+ y
                pc += 4
            case .i64Sub:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = x &- y
                pc += 4
            case .i64Mul:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = x &* y
                pc += 4
            case .i64And:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = x & y
                pc += 4
            case .i64Or:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = x | y
                pc += 4
            case .i64Xor:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = x ^ y
                pc += 4
            case .i64Shl:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = x << (y & 63)
                pc += 4
            case .i64ShrU:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = x >> (y & 63)
                pc += 4
            case .i64ShrS:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(bitPattern: x) >> Int64(y & 63))
                pc += 4
            case .i64Rotl:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (x << (y & 63)) | (x >> ((64 &- (y & 63)) & 63))
                pc += 4
            case .i64Rotr:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (x >> (y & 63)) | (x << ((64 &- (y & 63)) & 63))
                pc += 4
            case .i64Eq:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (x == y) ? 1 : 0
                pc += 4
            case .i64Ne:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (x != y) ? 1 : 0
                pc += 4
            case .i64LtU:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (x < y) ? 1 : 0
                pc += 4
            case .i64GtU:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (x > y) ? 1 : 0
                pc += 4
            case .i64LeU:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (x <= y) ? 1 : 0
                pc += 4
            case .i64GeU:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (x >= y) ? 1 : 0
                pc += 4
            case .i64LtS:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (Int64(bitPattern: x) < Int64(bitPattern: y)) ? 1 : 0
                pc += 4
            case .i64GtS:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (Int64(bitPattern: x) > Int64(bitPattern: y)) ? 1 : 0
                pc += 4
            case .i64LeS:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (Int64(bitPattern: x) <= Int64(bitPattern: y)) ? 1 : 0
                pc += 4
            case .i64GeS:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                fp[Int(pc[1])] = (Int64(bitPattern: x) >= Int64(bitPattern: y)) ? 1 : 0
                pc += 4
            case .i32Eqz:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]) == 0 ? 1 : 0)
                pc += 3
            case .i64Eqz:
                fp[Int(pc[1])] = UInt64(fp[Int(pc[2])] == 0 ? 1 : 0)
                pc += 3
            case .i32Clz:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]).leadingZeroBitCount)
                pc += 3
            case .i32Ctz:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]).trailingZeroBitCount)
                pc += 3
            case .i32Popcnt:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]).nonzeroBitCount)
                pc += 3
            case .i64Clz:
                fp[Int(pc[1])] = UInt64(fp[Int(pc[2])].leadingZeroBitCount)
                pc += 3
            case .i64Ctz:
                fp[Int(pc[1])] = UInt64(fp[Int(pc[2])].trailingZeroBitCount)
                pc += 3
            case .i64Popcnt:
                fp[Int(pc[1])] = UInt64(fp[Int(pc[2])].nonzeroBitCount)
                pc += 3
            case .i32Extend8S:
                fp[Int(pc[1])] = UInt64(UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: fp[Int(pc[2])]))))
                pc += 3
            case .i32Extend16S:
                fp[Int(pc[1])] = UInt64(UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: fp[Int(pc[2])]))))
                pc += 3
            case .i64Extend8S:
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: fp[Int(pc[2])])))
                pc += 3
            case .i64Extend16S:
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: fp[Int(pc[2])])))
                pc += 3
            case .i64Extend32S:
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: fp[Int(pc[2])])))
                pc += 3
            case .i32WrapI64:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]))
                pc += 3
            case .i64ExtendI32S:
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(Int32(bitPattern: i32(fp, pc[2]))))
                pc += 3
            case .i64ExtendI32U:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]))
                pc += 3
            case .f32Abs:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]) & 0x7FFF_FFFF)
                pc += 3
            case .f32Neg:
                fp[Int(pc[1])] = UInt64(i32(fp, pc[2]) ^ 0x8000_0000)
                pc += 3
            case .f64Abs:
                fp[Int(pc[1])] = fp[Int(pc[2])] & 0x7FFF_FFFF_FFFF_FFFF
                pc += 3
            case .f64Neg:
                fp[Int(pc[1])] = fp[Int(pc[2])] ^ 0x8000_0000_0000_0000
                pc += 3
            case .f32Ceil:
                fp[Int(pc[1])] = UInt64(f32(fp, pc[2]).rounded(.up).bits)
                pc += 3
            case .f32Floor:
                fp[Int(pc[1])] = UInt64(f32(fp, pc[2]).rounded(.down).bits)
                pc += 3
            case .f32Trunc:
                fp[Int(pc[1])] = UInt64(f32(fp, pc[2]).rounded(.towardZero).bits)
                pc += 3
            case .f32Nearest:
                fp[Int(pc[1])] = UInt64(f32(fp, pc[2]).rounded(.toNearestOrEven).bits)
                pc += 3
            case .f32Sqrt:
                fp[Int(pc[1])] = UInt64(f32(fp, pc[2]).squareRoot().bits)
                pc += 3
            case .f64Ceil:
                fp[Int(pc[1])] = f64(fp, pc[2]).rounded(.up).bits
                pc += 3
            case .f64Floor:
                fp[Int(pc[1])] = f64(fp, pc[2]).rounded(.down).bits
                pc += 3
            case .f64Trunc:
                fp[Int(pc[1])] = f64(fp, pc[2]).rounded(.towardZero).bits
                pc += 3
            case .f64Nearest:
                fp[Int(pc[1])] = f64(fp, pc[2]).rounded(.toNearestOrEven).bits
                pc += 3
            case .f64Sqrt:
                fp[Int(pc[1])] = f64(fp, pc[2]).squareRoot().bits
                pc += 3
            case .f32ConvertI32S:
                fp[Int(pc[1])] = UInt64(Float(Int32(bitPattern: i32(fp, pc[2]))).bits)
                pc += 3
            case .f32ConvertI32U:
                fp[Int(pc[1])] = UInt64(Float(i32(fp, pc[2])).bits)
                pc += 3
            case .f32ConvertI64S:
                fp[Int(pc[1])] = UInt64(Float(Int64(bitPattern: fp[Int(pc[2])])).bits)
                pc += 3
            case .f32ConvertI64U:
                fp[Int(pc[1])] = UInt64(Float(fp[Int(pc[2])]).bits)
                pc += 3
            case .f32DemoteF64:
                fp[Int(pc[1])] = UInt64(Float(f64(fp, pc[2])).bits)
                pc += 3
            case .f64ConvertI32S:
                fp[Int(pc[1])] = Double(Int32(bitPattern: i32(fp, pc[2]))).bits
                pc += 3
            case .f64ConvertI32U:
                fp[Int(pc[1])] = Double(i32(fp, pc[2])).bits
                pc += 3
            case .f64ConvertI64S:
                fp[Int(pc[1])] = Double(Int64(bitPattern: fp[Int(pc[2])])).bits
                pc += 3
            case .f64ConvertI64U:
                fp[Int(pc[1])] = Double(fp[Int(pc[2])]).bits
                pc += 3
            case .f64PromoteF32:
                fp[Int(pc[1])] = Double(f32(fp, pc[2])).bits
                pc += 3
            case .i32TruncSatF32S:
                fp[Int(pc[1])] = UInt64(UInt32(bitPattern: truncSat(Double(f32(fp, pc[2])), Int32.self)))
                pc += 3
            case .i32TruncSatF32U:
                fp[Int(pc[1])] = UInt64(truncSat(Double(f32(fp, pc[2])), UInt32.self))
                pc += 3
            case .i32TruncSatF64S:
                fp[Int(pc[1])] = UInt64(UInt32(bitPattern: truncSat(f64(fp, pc[2]), Int32.self)))
                pc += 3
            case .i32TruncSatF64U:
                fp[Int(pc[1])] = UInt64(truncSat(f64(fp, pc[2]), UInt32.self))
                pc += 3
            case .i64TruncSatF32S:
                fp[Int(pc[1])] = UInt64(bitPattern: truncSat(Double(f32(fp, pc[2])), Int64.self))
                pc += 3
            case .i64TruncSatF32U:
                fp[Int(pc[1])] = truncSat(Double(f32(fp, pc[2])), UInt64.self)
                pc += 3
            case .i64TruncSatF64S:
                fp[Int(pc[1])] = UInt64(bitPattern: truncSat(f64(fp, pc[2]), Int64.self))
                pc += 3
            case .i64TruncSatF64U:
                fp[Int(pc[1])] = truncSat(f64(fp, pc[2]), UInt64.self)
                pc += 3
            case .f32Add:
                let x = f32(fp, pc[2]), y = f32(fp, pc[3])
                fp[Int(pc[1])] = UInt64((x + y).bits)
                pc += 4
            case .f64Add:
                let x = f64(fp, pc[2]), y = f64(fp, pc[3])
                fp[Int(pc[1])] = (x + y).bits
                pc += 4
            case .f32Sub:
                let x = f32(fp, pc[2]), y = f32(fp, pc[3])
                fp[Int(pc[1])] = UInt64((x - y).bits)
                pc += 4
            case .f64Sub:
                let x = f64(fp, pc[2]), y = f64(fp, pc[3])
                fp[Int(pc[1])] = (x - y).bits
                pc += 4
            case .f32Mul:
                let x = f32(fp, pc[2]), y = f32(fp, pc[3])
                fp[Int(pc[1])] = UInt64((x * y).bits)
                pc += 4
            case .f64Mul:
                let x = f64(fp, pc[2]), y = f64(fp, pc[3])
                fp[Int(pc[1])] = (x * y).bits
                pc += 4
            case .f32Div:
                let x = f32(fp, pc[2]), y = f32(fp, pc[3])
                fp[Int(pc[1])] = UInt64((x / y).bits)
                pc += 4
            case .f64Div:
                let x = f64(fp, pc[2]), y = f64(fp, pc[3])
                fp[Int(pc[1])] = (x / y).bits
                pc += 4
            case .f32Min:
                let x = f32(fp, pc[2]), y = f32(fp, pc[3])
                fp[Int(pc[1])] = UInt64((wasmMin(x, y)).bits)
                pc += 4
            case .f64Min:
                let x = f64(fp, pc[2]), y = f64(fp, pc[3])
                fp[Int(pc[1])] = (wasmMin(x, y)).bits
                pc += 4
            case .f32Max:
                let x = f32(fp, pc[2]), y = f32(fp, pc[3])
                fp[Int(pc[1])] = UInt64((wasmMax(x, y)).bits)
                pc += 4
            case .f64Max:
                let x = f64(fp, pc[2]), y = f64(fp, pc[3])
                fp[Int(pc[1])] = (wasmMax(x, y)).bits
                pc += 4
            case .f32Copysign:
                fp[Int(pc[1])] = UInt64((i32(fp, pc[2]) & 0x7FFF_FFFF) | (i32(fp, pc[3]) & 0x8000_0000))
                pc += 4
            case .f64Copysign:
                fp[Int(pc[1])] = (fp[Int(pc[2])] & 0x7FFF_FFFF_FFFF_FFFF) | (fp[Int(pc[3])] & 0x8000_0000_0000_0000)
                pc += 4
            case .f32Eq:
                fp[Int(pc[1])] = f32(fp, pc[2]) == f32(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f64Eq:
                fp[Int(pc[1])] = f64(fp, pc[2]) == f64(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f32Ne:
                fp[Int(pc[1])] = f32(fp, pc[2]) != f32(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f64Ne:
                fp[Int(pc[1])] = f64(fp, pc[2]) != f64(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f32Lt:
                fp[Int(pc[1])] = f32(fp, pc[2]) < f32(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f64Lt:
                fp[Int(pc[1])] = f64(fp, pc[2]) < f64(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f32Gt:
                fp[Int(pc[1])] = f32(fp, pc[2]) > f32(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f64Gt:
                fp[Int(pc[1])] = f64(fp, pc[2]) > f64(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f32Le:
                fp[Int(pc[1])] = f32(fp, pc[2]) <= f32(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f64Le:
                fp[Int(pc[1])] = f64(fp, pc[2]) <= f64(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f32Ge:
                fp[Int(pc[1])] = f32(fp, pc[2]) >= f32(fp, pc[3]) ? 1 : 0
                pc += 4
            case .f64Ge:
                fp[Int(pc[1])] = f64(fp, pc[2]) >= f64(fp, pc[3]) ? 1 : 0
                pc += 4
            case .i32TruncF32S:
                let v = Double(f32(fp, pc[2]))
                if v.isNaN { trap = .invalidConversion; break loop }
                if v <= -2147483649.0 || v >= 2147483648.0 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(UInt32(bitPattern: Int32(v)))
                pc += 3
            case .i32TruncF32U:
                let v = Double(f32(fp, pc[2]))
                if v.isNaN { trap = .invalidConversion; break loop }
                if v <= -1.0 || v >= 4294967296.0 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(UInt32(v))
                pc += 3
            case .i32TruncF64S:
                let v = f64(fp, pc[2])
                if v.isNaN { trap = .invalidConversion; break loop }
                if v <= -2147483649.0 || v >= 2147483648.0 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(UInt32(bitPattern: Int32(v)))
                pc += 3
            case .i32TruncF64U:
                let v = f64(fp, pc[2])
                if v.isNaN { trap = .invalidConversion; break loop }
                if v <= -1.0 || v >= 4294967296.0 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(UInt32(v))
                pc += 3
            case .i64TruncF32S:
                let v = Double(f32(fp, pc[2]))
                if v.isNaN { trap = .invalidConversion; break loop }
                if v <= -9223372036854777856.0 || v >= 9223372036854775808.0 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(v))
                pc += 3
            case .i64TruncF32U:
                let v = Double(f32(fp, pc[2]))
                if v.isNaN { trap = .invalidConversion; break loop }
                if v <= -1.0 || v >= 18446744073709551616.0 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(v)
                pc += 3
            case .i64TruncF64S:
                let v = f64(fp, pc[2])
                if v.isNaN { trap = .invalidConversion; break loop }
                if v <= -9223372036854777856.0 || v >= 9223372036854775808.0 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: Int64(v))
                pc += 3
            case .i64TruncF64U:
                let v = f64(fp, pc[2])
                if v.isNaN { trap = .invalidConversion; break loop }
                if v <= -1.0 || v >= 18446744073709551616.0 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(v)
                pc += 3
            case .i32DivS:
                let x = Int32(bitPattern: i32(fp, pc[2])), y = Int32(bitPattern: i32(fp, pc[3]))
                if y == 0 { trap = .integerDivideByZero; break loop }
                if x == Int32.min && y == -1 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(UInt32(bitPattern: x / y))
                pc += 4
            case .i32DivU:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                if y == 0 { trap = .integerDivideByZero; break loop }
                fp[Int(pc[1])] = UInt64(x / y)
                pc += 4
            case .i32RemS:
                let x = Int32(bitPattern: i32(fp, pc[2])), y = Int32(bitPattern: i32(fp, pc[3]))
                if y == 0 { trap = .integerDivideByZero; break loop }
                fp[Int(pc[1])] = y == -1 ? 0 : UInt64(UInt32(bitPattern: x % y))
                pc += 4
            case .i32RemU:
                let x = i32(fp, pc[2]), y = i32(fp, pc[3])
                if y == 0 { trap = .integerDivideByZero; break loop }
                fp[Int(pc[1])] = UInt64(x % y)
                pc += 4
            case .i64DivS:
                let x = Int64(bitPattern: fp[Int(pc[2])]), y = Int64(bitPattern: fp[Int(pc[3])])
                if y == 0 { trap = .integerDivideByZero; break loop }
                if x == Int64.min && y == -1 { trap = .integerOverflow; break loop }
                fp[Int(pc[1])] = UInt64(bitPattern: x / y)
                pc += 4
            case .i64DivU:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                if y == 0 { trap = .integerDivideByZero; break loop }
                fp[Int(pc[1])] = x / y
                pc += 4
            case .i64RemS:
                let x = Int64(bitPattern: fp[Int(pc[2])]), y = Int64(bitPattern: fp[Int(pc[3])])
                if y == 0 { trap = .integerDivideByZero; break loop }
                fp[Int(pc[1])] = y == -1 ? 0 : UInt64(bitPattern: x % y)
                pc += 4
            case .i64RemU:
                let x = fp[Int(pc[2])], y = fp[Int(pc[3])]
                if y == 0 { trap = .integerDivideByZero; break loop }
                fp[Int(pc[1])] = x % y
                pc += 4
            }
        }

        self.pc = pc
        self.fp = fp
        self.fn = fn
        yieldBudget = budget
        if M.debugged {
            debug.instructionCount = count
            repatchIfNeeded()
        }
        if finished {
            self.pc = nil
            return .returned
        }
        if yielded { return .yielded }
        if blocked { return .blocked }
        if paused {
            // Resuming executes this instruction even if a breakpoint is set on it.
            debug.reentering = true
            return .paused
        }
        if let hostError {
            if let t = hostError as? Trap { return .trapped(t) }
            return .hostError(hostError)
        }
        return .trapped(makeTrap(trap ?? .unreachable))
    }

    /// Executes a memory instruction on a memory other than 0 (layout: see ``Op/memIndexed``).
    /// Returns the instruction length in words and a trap, if any.
    @inline(never)
    func indexedMemoryOp(_ pc: UnsafeMutablePointer<UInt32>, _ fp: UnsafeMutablePointer<UInt64>, _ inst: UnsafeMutablePointer<InstanceData>) -> (Int, Trap.Kind?) {
        let op = Op.decode(pc[1])
        let m = inst.pointee.memories[Int(pc[2])]
        let base = m.pointee.base
        let size = UInt64(m.pointee.byteCount)
        // Operand k of the base instruction (1-based) is at pc[k + 2].
        func slot(_ k: Int) -> Int { Int(pc[k + 2]) }
        func access(_ addrOperand: Int, _ width: UInt64) -> Int? {
            let ea = UInt64(UInt32(truncatingIfNeeded: fp[slot(addrOperand)])) &+ UInt64(pc[3 + 2])
            guard ea &+ width <= size else { return nil }
            probe?.memoryAccess(thread: self, address: ea, size: Int(width), isWrite: false, isAtomic: false)
            return Int(ea)
        }
        switch op {
        case .load8s, .load8u, .load16s, .load16u, .load32s, .load32u, .load64:
            let width: UInt64 = [.load8s: 1, .load8u: 1, .load16s: 2, .load16u: 2, .load32s: 4, .load32u: 4][op] ?? 8
            guard let ea = access(2, width) else { return (6, .memoryOutOfBounds) }
            let v: UInt64
            switch op {
            case .load8s: v = UInt64(bitPattern: Int64(base.load(fromByteOffset: ea, as: Int8.self)))
            case .load8u: v = UInt64(base.load(fromByteOffset: ea, as: UInt8.self))
            case .load16s: v = UInt64(bitPattern: Int64(base.loadUnaligned(fromByteOffset: ea, as: Int16.self)))
            case .load16u: v = UInt64(base.loadUnaligned(fromByteOffset: ea, as: UInt16.self))
            case .load32s: v = UInt64(bitPattern: Int64(base.loadUnaligned(fromByteOffset: ea, as: Int32.self)))
            case .load32u: v = UInt64(base.loadUnaligned(fromByteOffset: ea, as: UInt32.self))
            default: v = base.loadUnaligned(fromByteOffset: ea, as: UInt64.self)
            }
            fp[slot(1)] = v
            return (6, nil)
        case .store8, .store16, .store32, .store64:
            let width: UInt64 = [.store8: 1, .store16: 2, .store32: 4][op] ?? 8
            let ea64 = UInt64(UInt32(truncatingIfNeeded: fp[slot(1)])) &+ UInt64(pc[3 + 2])
            guard ea64 &+ width <= size else { return (6, .memoryOutOfBounds) }
            probe?.memoryAccess(thread: self, address: ea64, size: Int(width), isWrite: true, isAtomic: false)
            let v = fp[slot(2)]
            let ea = Int(ea64)
            switch width {
            case 1: base.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: ea, as: UInt8.self)
            case 2: base.storeBytes(of: UInt16(truncatingIfNeeded: v), toByteOffset: ea, as: UInt16.self)
            case 4: base.storeBytes(of: UInt32(truncatingIfNeeded: v), toByteOffset: ea, as: UInt32.self)
            default: base.storeBytes(of: v, toByteOffset: ea, as: UInt64.self)
            }
            return (6, nil)
        case .memorySize:
            fp[slot(1)] = size / UInt64(LinearMemory.pageSize)
            return (4, nil)
        case .memoryGrow:
            let delta = UInt64(UInt32(truncatingIfNeeded: fp[slot(2)]))
            let old = m.pointee.byteCount / LinearMemory.pageSize
            var result: Int64 = -1
            if UInt64(old) + delta <= UInt64(m.pointee.maxPages) {
                m.pointee.byteCount = (old + Int(delta)) * LinearMemory.pageSize
                result = Int64(old)
            }
            fp[slot(1)] = UInt64(UInt32(truncatingIfNeeded: result))
            return (5, nil)
        case .memoryFill:
            let d = UInt64(UInt32(truncatingIfNeeded: fp[slot(1)])), v = UInt8(truncatingIfNeeded: fp[slot(2)])
            let n = UInt64(UInt32(truncatingIfNeeded: fp[slot(3)]))
            guard d &+ n <= size else { return (6, .memoryOutOfBounds) }
            probe?.bulkAccess(thread: self, address: d, size: n, isWrite: true)
            if n > 0 { (base + Int(d)).initializeMemory(as: UInt8.self, repeating: v, count: Int(n)) }
            return (6, nil)
        case .memoryCopy:
            let src = inst.pointee.memories[Int(pc[6])]
            let d = UInt64(UInt32(truncatingIfNeeded: fp[slot(1)])), s = UInt64(UInt32(truncatingIfNeeded: fp[slot(2)]))
            let n = UInt64(UInt32(truncatingIfNeeded: fp[slot(3)]))
            guard d &+ n <= size, s &+ n <= UInt64(src.pointee.byteCount) else { return (7, .memoryOutOfBounds) }
            probe?.bulkAccess(thread: self, address: s, size: n, isWrite: false)
            probe?.bulkAccess(thread: self, address: d, size: n, isWrite: true)
            if n > 0 { memmove(base + Int(d), src.pointee.base + Int(s), Int(n)) }
            return (7, nil)
        case .memoryInit:
            let seg = inst.pointee.dataSegments + Int(pc[3])
            let d = UInt64(UInt32(truncatingIfNeeded: fp[slot(2)])), s = UInt64(UInt32(truncatingIfNeeded: fp[slot(3)]))
            let n = UInt64(UInt32(truncatingIfNeeded: fp[slot(4)]))
            guard s &+ n <= UInt64(seg.pointee.count), d &+ n <= size else { return (7, .memoryOutOfBounds) }
            probe?.bulkAccess(thread: self, address: d, size: n, isWrite: true)
            if n > 0 { (base + Int(d)).copyMemory(from: seg.pointee.base.unsafelyUnwrapped + Int(s), byteCount: Int(n)) }
            return (7, nil)
        default:
            return (3, .host("internal error: \(op) is not a memory instruction"))
        }
    }

    @inline(never)
    func probeAccess(_ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>, _ ea: UInt64, _ size: Int, _ isWrite: Bool, _ isAtomic: Bool) {
        self.pc = pc
        self.fn = fn
        if let hook = accessHook {
            let flags = (isWrite ? AccessHook.write : 0) | (isAtomic ? AccessHook.atomic : 0)
            hook.function(hook.context, Unmanaged.passUnretained(self).toOpaque(), ea, size, flags)
            return
        }
        probe?.memoryAccess(thread: self, address: ea, size: size, isWrite: isWrite, isAtomic: isAtomic)
    }

    @inline(never)
    func probeBulk(_ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>, _ address: UInt64, _ size: UInt64, _ isWrite: Bool) {
        self.pc = pc
        self.fn = fn
        probe?.bulkAccess(thread: self, address: address, size: size, isWrite: isWrite)
    }

    @inline(never)
    func probeSync(_ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>, _ kind: SyncKind, _ ea: UInt64) {
        self.pc = pc
        self.fn = fn
        probe?.synchronization(thread: self, kind: kind, address: ea)
    }
}
