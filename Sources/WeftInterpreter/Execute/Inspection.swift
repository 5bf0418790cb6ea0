import WasmTypes
import WeftModule

/// One frame of a paused thread's call stack, for a debugger.
public struct StackFrame {
    /// 0 is the innermost frame.
    public var level: Int
    public var function: FunctionRef
    /// The instruction the frame is at: the next to execute (innermost frame) or the call in
    /// progress (callers). An opaque code address, as ``ExecutionThread/codeAddress``.
    public var codeAddress: UInt
    /// The module byte offset of that instruction.
    public var moduleOffset: Int?
    /// The function's name.
    public var name: String
    /// The frame's call depth (the thread's ``ExecutionThread/callDepth`` while it runs).
    public var depth: Int
    let fp: UnsafeMutablePointer<UInt64>
}

/// A local or global's type and raw value.
public struct TypedValue {
    public var type: ValueType
    public var bits: UInt64

    /// The value as wasm text writes it (`42`, `-1.5`, `ref.null`).
    public var description: String {
        switch type {
        case .i32: return String(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .i64: return String(Int64(bitPattern: bits))
        case .f32: return "\(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))"
        case .f64: return "\(Double(bitPattern: bits))"
        case .v128: return "v128"
        case .ref: return bits == 0 ? "ref.null" : "ref 0x\(String(bits, radix: 16))"
        }
    }

    public var typeName: String {
        switch type {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .ref: return "ref"
        }
    }
}

extension ExecutionThread {
    /// Frames on the call stack; the entry function is at depth 0.
    public var callDepth: Int { depth }

    /// True once the entry function has returned.
    public var hasFinished: Bool { pc == nil && entryFunction?.pointee.code != nil }

    /// The call stack, innermost frame first (empty once the thread finished).
    public func stackFrames() -> [StackFrame] {
        guard let pc, let fn else { return [] }
        var result: [StackFrame] = []
        func add(_ pc: UnsafeMutablePointer<UInt32>, _ fn: UnsafeMutablePointer<FuncEntity>, _ fp: UnsafeMutablePointer<UInt64>, depth: Int) {
            let (name, offset) = location(pc: pc, fn: fn)
            result.append(
                StackFrame(
                    level: result.count, function: FunctionRef(fn), codeAddress: UInt(bitPattern: pc), moduleOffset: offset,
                    name: name, depth: depth, fp: fp))
        }
        add(pc, fn, fp, depth: depth)
        var d = depth
        while d > 0 {
            d -= 1
            // A frame's saved pc is after its call instruction; the call's operands follow the
            // opcode word, so stepping back one word stays inside the call.
            add(frames[d].pc - 1, frames[d].fn, frames[d].fp, depth: d)
        }
        return result
    }

    /// The parameters and locals of `frame`, in index order.
    public func locals(of frame: StackFrame) -> [TypedValue] {
        let types = store.localTypes(of: frame.function)
        return types.enumerated().map { i, t in TypedValue(type: t, bits: frame.fp[i]) }
    }

    /// How many of `function`'s locals are parameters.
    public func parameterCount(of function: FunctionRef) -> Int {
        Int(function.entity.pointee.paramCount)
    }

    /// Sets local `index` of `frame` (raw bits).
    public func setLocal(_ index: Int, of frame: StackFrame, bits: UInt64) {
        frame.fp[index] = bits
    }

    /// The globals of the instance the thread runs in, in index order, with export names.
    public func globals() -> [(value: TypedValue, mutable: Bool, name: String?)] {
        guard let data = entryFunction?.pointee.instance, let module = store.modulesByInstance[data]?.module else { return [] }
        var names: [Int: String] = [:]
        for e in module.exports { if case .global(let i) = e.descriptor { names[Int(i)] = e.name } }
        for (i, n) in module.globalNames { names[Int(i)] = names[Int(i)] ?? n }
        var types = module.importedGlobals
        types += module.globals.map(\.type)
        return types.enumerated().map { i, t in
            (TypedValue(type: t.valueType, bits: data.pointee.globals[i].pointee), t.mutability == .variable, names[i])
        }
    }

    /// Sets global `index` of the thread's instance (raw bits); false when there is none.
    @discardableResult
    public func setGlobal(_ index: Int, bits: UInt64) -> Bool {
        guard let data = entryFunction?.pointee.instance, let module = store.modulesByInstance[data]?.module,
            index < module.globalCount
        else { return false }
        data.pointee.globals[index].pointee = bits
        return true
    }

    /// The compiled module the thread's entry function belongs to.
    public var compiledModule: CompiledModule? {
        entryFunction.flatMap { store.modulesByInstance[$0.pointee.instance] }
    }

    /// The linear memory (memory 0) of the thread's instance.
    public var memory: LinearMemory? {
        guard let m = entryFunction?.pointee.instance.pointee.memory else { return nil }
        return store.memory(for: m)
    }
}

extension StackFrame {
    /// The compiled function this frame runs (nil for a host function).
    public var compiled: CompiledFunction? { function.entity.pointee.compiled?.takeUnretainedValue() }
}

extension FunctionRef {
    /// The function's index in its module.
    public var moduleIndex: UInt32 { entity.pointee.functionIndex }
}

extension Store {
    /// Parameter and local types of a wasm function (empty for a host function).
    func localTypes(of f: FunctionRef) -> [ValueType] {
        let e = f.entity.pointee
        guard e.hostIndex < 0, let module = modulesByInstance[e.instance]?.module else { return [] }
        let defined = Int(e.functionIndex) - module.importedFunctionCount
        guard defined >= 0, defined < module.codes.count else { return [] }
        var types = module.types[Int(module.functionTypeIndices[defined])].parameters
        types += module.codes[defined].locals
        return types
    }
}

extension CompiledModule {
    /// The function whose code contains module byte `offset`.
    public func function(containingModuleOffset offset: Int) -> CompiledFunction? {
        functions.first { $0.moduleRange.contains(offset) }
    }

    /// The compiled function of module function `index` (nil for an import).
    public func function(index: UInt32) -> CompiledFunction? {
        let defined = Int(index) - module.importedFunctionCount
        guard defined >= 0, defined < functions.count else { return nil }
        return functions[defined]
    }
}

extension CompiledFunction {
    /// The instructions of the function's code: each one's code address and the module byte
    /// offset of the wasm instruction it comes from, in code order.
    public func instructions() -> [(codeAddress: UInt, moduleOffset: Int)] {
        instructionStarts.compactMap { start in
            wasmOffset(atCodeIndex: Int(start)).map { (UInt(bitPattern: code + Int(start)), $0) }
        }
    }

    /// The code address of the first instruction, where a breakpoint on the function goes.
    public var entryAddress: UInt { UInt(bitPattern: code) }

    /// True when `address` lies in this function's code.
    public func contains(codeAddress address: UInt) -> Bool {
        let start = UInt(bitPattern: code)
        return address >= start && address < start + UInt(codeCount * MemoryLayout<UInt32>.stride)
    }

    /// The first instruction at or after module byte `offset` (an offset with no code of its
    /// own, such as `local.get`, maps to the next instruction that has).
    public func codeAddress(atOrAfterModuleOffset offset: Int) -> UInt? {
        instructions().first { $0.moduleOffset >= offset }?.codeAddress
    }

    /// The module byte offset of the instruction at `address`.
    public func moduleOffset(ofCodeAddress address: UInt) -> Int? {
        guard contains(codeAddress: address) else { return nil }
        return wasmOffset(atCodeIndex: Int(address - UInt(bitPattern: code)) / MemoryLayout<UInt32>.stride)
    }

    /// The name of the internal operation at `address` (for a disassembly).
    public func operationName(at address: UInt) -> String? {
        guard contains(codeAddress: address), let p = UnsafePointer<UInt32>(bitPattern: address),
            let op = Op(rawValue: UInt16(truncatingIfNeeded: p.pointee & 0xFFFF))
        else { return nil }
        return "\(op)"
    }
}
