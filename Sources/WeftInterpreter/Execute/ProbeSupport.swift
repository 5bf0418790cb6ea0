/// Cheap position queries for probes (e.g. a race detector) that record where accesses happen
/// many times per second and describe only a few of those places later.
extension ExecutionThread {
    /// The instruction the thread is at, as an opaque code address: valid while the store lives
    /// and the same in every instance of a module (they share their translated code). Inside
    /// ``ExecutionProbe/memoryAccess(thread:address:size:isWrite:isAtomic:)`` and
    /// ``ExecutionProbe/bulkAccess(thread:address:size:isWrite:)`` it is the accessing
    /// instruction; 0 when the thread has no position.
    public var codeAddress: UInt {
        pc.map { UInt(bitPattern: $0) } ?? 0
    }

    /// The opaque code address of the call instruction that entered the innermost frame (inside
    /// ``ExecutionProbe/call(thread:function:)``: the call being made); 0 in the entry function.
    public var callSiteAddress: UInt {
        depth > 0 ? UInt(bitPattern: frames[depth - 1].pc - 1) : 0
    }

    /// The function the thread is executing, if any.
    public var currentFunction: FunctionRef? {
        fn.map { FunctionRef($0) }
    }

    /// The name of `function` (its module's name for it), as in ``backtrace()``.
    public func name(of function: FunctionRef) -> String {
        store.name(of: function)
    }

    /// The wasm code offset of `codeAddress` in `function`, or nil when the address is not an
    /// instruction of that function (or the function has no code).
    public func wasmOffset(of codeAddress: UInt, in function: FunctionRef) -> Int? {
        guard codeAddress != 0, let cf = function.entity.pointee.compiled?.takeUnretainedValue(),
            let code = function.entity.pointee.code
        else { return nil }
        let start = UInt(bitPattern: code)
        let end = start + UInt(cf.codeCount * MemoryLayout<UInt32>.stride)
        guard codeAddress >= start, codeAddress < end else { return nil }
        return cf.wasmOffset(atCodeIndex: Int(codeAddress - start) / MemoryLayout<UInt32>.stride)
    }

    /// `file:line:column` of a module offset in `function`, from the module's debug information.
    public func sourcePosition(of function: FunctionRef, moduleOffset: Int) -> String? {
        store.sourcePosition(of: function, moduleOffset: moduleOffset)
    }
}
