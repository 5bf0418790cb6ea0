import WasmParser
import WasmTypes
import WeftModule

/// Why instantiation failed. One line each.
public enum InstantiationError: Error, CustomStringConvertible {
    case unknownImport(module: String, name: String)
    case incompatibleImport(module: String, name: String, reason: String)
    case resource(String)

    public var description: String {
        switch self {
        case .unknownImport(let m, let n): return "unknown import \"\(m)\".\"\(n)\""
        case .incompatibleImport(let m, let n, let r): return "incompatible import type for \"\(m)\".\"\(n)\": \(r)"
        case .resource(let m): return m
        }
    }
}

/// An instance of a compiled module in a store.
public final class Instance {
    public let compiled: CompiledModule
    unowned let store: Store
    let data: UnsafeMutablePointer<InstanceData>
    public let functions: [FunctionRef]
    public let tables: [Table]
    public let memories: [LinearMemory]
    /// Memory 0.
    public var memory: LinearMemory? { memories.first }
    public let globals: [Global]
    /// Exports by the bytes of their names (names are compared byte for byte, not by Unicode equivalence).
    private var exports: [[UInt8]: ExternalValue] = [:]
    private var segmentStorage: [UnsafeMutableRawPointer] = []

    public var module: Module { compiled.module }

    /// Resolves imports, allocates everything, and runs element and data initialization.
    /// The start function is not run here; see ``Store/instantiate(_:imports:)``.
    init(
        compiled: CompiledModule, store: Store,
        resolve: (String, String) -> ExternalValue?
    ) throws {
        let module = compiled.module
        self.compiled = compiled
        self.store = store

        // Types
        var ids: [Int32] = []
        for t in module.types { ids.append(store.types.id(for: store.canonical(t, ids: ids))) }

        // Imports
        var functions: [FunctionRef] = []
        var tables: [Table] = []
        var memories: [LinearMemory] = []
        var globals: [Global] = []
        for imp in module.imports {
            guard let value = resolve(imp.module, imp.name) else {
                throw InstantiationError.unknownImport(module: imp.module, name: imp.name)
            }
            func incompatible(_ r: String) -> InstantiationError {
                .incompatibleImport(module: imp.module, name: imp.name, reason: r)
            }
            switch (imp.descriptor, value) {
            case (.function(let ti), .function(let f)):
                guard f.entity.pointee.typeID == ids[Int(ti)] else { throw incompatible("function type differs") }
                functions.append(f)
            case (.table(let tt), .table(let t)):
                guard t.canonicalElementType == store.canonical(tt.elementType, ids: ids) else { throw incompatible("element type differs") }
                try Self.checkLimits(actual: (UInt64(t.count), UInt64(t.maxCount) == UInt64(UInt32.max) ? nil : UInt64(t.maxCount)), expected: tt.limits, incompatible)
                tables.append(t)
            case (.memory(let mt), .memory(let m)):
                guard m.isShared == mt.shared else { throw incompatible("shared flag differs") }
                let declaredMax: UInt64? = m.declaredMaxPages.map(UInt64.init)
                try Self.checkLimits(actual: (UInt64(m.pageCount), declaredMax), expected: mt, incompatible)
                memories.append(m)
            case (.global(let gt), .global(let g)):
                guard g.type.mutability == gt.mutability else { throw incompatible("mutability differs") }
                let expected = store.canonical(gt.valueType, ids: ids)
                if gt.mutability == .variable {
                    guard g.canonicalType == expected else { throw incompatible("value type differs") }
                } else {
                    guard Self.isSubtype(g.canonicalType, of: expected) else { throw incompatible("value type differs") }
                }
                globals.append(g)
            default:
                throw incompatible("expected a \(imp.descriptor.kindName), found a \(value.kindName)")
            }
        }

        // Instance data (filled in below, once its parts exist)
        let data = UnsafeMutablePointer<InstanceData>.allocate(capacity: 1)
        let functionCount = module.functionCount
        let functionTable = UnsafeMutablePointer<UnsafeMutablePointer<FuncEntity>>.allocate(capacity: max(functionCount, 1))
        for (i, f) in functions.enumerated() { functionTable[i] = f.entity }
        for (i, cf) in compiled.functions.enumerated() {
            let index = module.importedFunctionCount + i
            let ti = module.functionTypeIndices[i]
            let e = store.newEntity(
                FuncEntity(
                    code: cf.code, instance: data, typeID: ids[Int(ti)], paramCount: UInt32(cf.paramCount),
                    resultCount: UInt32(cf.resultCount), frameSize: UInt32(cf.frameSize), localCount: UInt32(cf.localCount),
                    consts: cf.consts, constCount: UInt32(cf.constCount), hostIndex: -1, functionIndex: UInt32(index),
                    compiled: Unmanaged.passUnretained(cf)))
            functionTable[index] = e
            functions.append(FunctionRef(e))
        }
        self.functions = functions

        for m in module.memories {
            do {
                memories.append(try LinearMemory(minPages: Int(m.type.min), maxPages: m.type.max.map { Int($0) }, shared: m.type.shared))
            } catch {
                throw InstantiationError.resource(error.description)
            }
        }
        self.memories = memories
        let memoryTable = UnsafeMutablePointer<UnsafeMutablePointer<MemoryData>>.allocate(capacity: max(memories.count, 1))
        for (i, m) in memories.enumerated() { memoryTable[i] = m.data }

        let globalTable = UnsafeMutablePointer<UnsafeMutablePointer<UInt64>>.allocate(capacity: max(module.globalCount, 1))
        for (i, g) in globals.enumerated() { globalTable[i] = g.cell }
        for g in module.globals {
            let value = Self.evaluate(g.initializer, globals: globals, functions: functions)
            let global = Global(type: g.type, canonicalType: store.canonical(g.type.valueType, ids: ids), value: value)
            globalTable[globals.count] = global.cell
            globals.append(global)
        }
        self.globals = globals

        for t in module.tables {
            let initial = t.initializer.map { Self.evaluate($0, globals: globals, functions: functions) } ?? 0
            tables.append(
                Table(
                    count: Int(t.type.limits.min), max: t.type.limits.max.map { Int($0) }, elementType: t.type.elementType,
                    canonicalElementType: store.canonical(t.type.elementType, ids: ids), initial: initial))
        }
        self.tables = tables
        let tableTable = UnsafeMutablePointer<UnsafeMutablePointer<TableData>>.allocate(capacity: max(tables.count, 1))
        for (i, t) in tables.enumerated() { tableTable[i] = t.data }

        let typeTable = UnsafeMutablePointer<Int32>.allocate(capacity: max(ids.count, 1))
        for (i, id) in ids.enumerated() { typeTable[i] = id }

        // Segments: own a copy of each segment's contents.
        let dataTable = UnsafeMutablePointer<SegmentData>.allocate(capacity: max(module.data.count, 1))
        for (i, d) in module.data.enumerated() {
            let bytes: ArraySlice<UInt8>
            switch d {
            case .passive(let b): bytes = b
            case .active(let a): bytes = a.initializer
            }
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
            bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(p), byteCount: bytes.count) }
            segmentStorage.append(p)
            dataTable[i] = SegmentData(base: UnsafeRawPointer(p), count: bytes.count)
        }
        let elemTable = UnsafeMutablePointer<SegmentData>.allocate(capacity: max(module.elements.count, 1))
        for (i, e) in module.elements.enumerated() {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(e.initializer.count, 1) * 8, alignment: 8)
            let refs = p.bindMemory(to: UInt64.self, capacity: max(e.initializer.count, 1))
            for (k, expr) in e.initializer.enumerated() { refs[k] = Self.evaluate(expr, globals: globals, functions: functions) }
            segmentStorage.append(p)
            elemTable[i] = SegmentData(base: UnsafeRawPointer(p), count: e.initializer.count)
        }

        data.initialize(
            to: InstanceData(
                memory: memories.first?.data, memories: memoryTable, globals: globalTable, functions: functionTable, tables: tableTable,
                typeIDs: typeTable, dataSegments: dataTable, elemSegments: elemTable))
        self.data = data

        for e in module.exports {
            switch e.descriptor {
            case .function(let i): exports[Array(e.name.utf8)] = .function(functions[Int(i)])
            case .table(let i): exports[Array(e.name.utf8)] = .table(tables[Int(i)])
            case .memory(let i): exports[Array(e.name.utf8)] = .memory(memories[Int(i)])
            case .global(let i): exports[Array(e.name.utf8)] = .global(globals[Int(i)])
            case .tag: break
            }
        }
    }

    /// Applies active element and data segments in order (spec instantiation steps); traps
    /// leave the effects of the segments before them, as the spec requires.
    func initializeSegments() throws(Trap) {
        let module = compiled.module
        for (i, e) in module.elements.enumerated() {
            switch e.mode {
            case .active(let table, let offset):
                let start = Self.evaluate(offset, globals: globals, functions: functions)
                let seg = data.pointee.elemSegments[i]
                let t = tables[Int(table)].data
                let dst = UInt64(UInt32(truncatingIfNeeded: start))
                guard dst + UInt64(seg.count) <= UInt64(t.pointee.count) else { throw Trap(.tableOutOfBounds) }
                if seg.count > 0, let base = seg.base {
                    (t.pointee.elements + Int(dst)).update(from: base.assumingMemoryBound(to: UInt64.self), count: seg.count)
                }
                data.pointee.elemSegments[i].count = 0
            case .declarative:
                data.pointee.elemSegments[i].count = 0
            case .passive:
                break
            }
        }
        for (i, d) in module.data.enumerated() {
            guard case .active(let a) = d else { continue }
            let start = UInt64(UInt32(truncatingIfNeeded: Self.evaluate(a.offset, globals: globals, functions: functions)))
            let seg = data.pointee.dataSegments[i]
            let memory = memories[Int(a.index)]
            guard start + UInt64(seg.count) <= UInt64(memory.byteCount) else { throw Trap(.memoryOutOfBounds) }
            if seg.count > 0, let base = seg.base { (memory.base + Int(start)).copyMemory(from: base, byteCount: seg.count) }
            data.pointee.dataSegments[i].count = 0
        }
    }

    deinit {
        data.pointee.memories.deallocate()
        data.pointee.globals.deallocate()
        data.pointee.functions.deallocate()
        data.pointee.tables.deallocate()
        data.pointee.typeIDs.deallocate()
        data.pointee.dataSegments.deallocate()
        data.pointee.elemSegments.deallocate()
        data.deallocate()
        for p in segmentStorage { p.deallocate() }
    }

    public func export(_ name: String) -> ExternalValue? { exports[Array(name.utf8)] }

    public var exportNames: [String] { exports.keys.map { String(decoding: $0, as: UTF8.self) } }

    public func exportedFunction(_ name: String) -> FunctionRef? {
        if case .function(let f) = export(name) { return f }
        return nil
    }

    static func checkLimits(actual: (min: UInt64, max: UInt64?), expected: Limits, _ incompatible: (String) -> InstantiationError) throws {
        guard actual.min >= expected.min else { throw incompatible("size \(actual.min) is below the required minimum \(expected.min)") }
        if let emax = expected.max {
            guard let amax = actual.max, amax <= emax else { throw incompatible("maximum size is missing or larger than \(emax)") }
        }
    }

    static func isSubtype(_ a: ValueType, of b: ValueType) -> Bool {
        switch (a, b) {
        case (.ref(let ra), .ref(let rb)):
            if ra.isNullable && !rb.isNullable { return false }
            switch (ra.heapType, rb.heapType) {
            case (.concrete, .abstract(.funcRef)): return true
            default: return ra.heapType == rb.heapType
            }
        default: return a == b
        }
    }

    /// Evaluates a validated constant expression.
    static func evaluate(_ expr: ConstExpression, globals: [Global], functions: [FunctionRef]) -> UInt64 {
        var stack: [UInt64] = []
        for i in expr {
            switch i {
            case .i32Const(let v): stack.append(UInt64(UInt32(bitPattern: v)))
            case .i64Const(let v): stack.append(UInt64(bitPattern: v))
            case .f32Const(let v): stack.append(UInt64(v.bitPattern))
            case .f64Const(let v): stack.append(v.bitPattern)
            case .refNull: stack.append(0)
            case .refFunc(let f): stack.append(functions[Int(f)].bits)
            case .globalGet(let g): stack.append(globals[Int(g)].value)
            case .binary(let b):
                let y = stack.removeLast(), x = stack.removeLast()
                switch b {
                case .i32Add: stack.append(UInt64(UInt32(truncatingIfNeeded: x) &+ UInt32(truncatingIfNeeded: y)))
                case .i32Sub: stack.append(UInt64(UInt32(truncatingIfNeeded: x) &- UInt32(truncatingIfNeeded: y)))
                case .i32Mul: stack.append(UInt64(UInt32(truncatingIfNeeded: x) &* UInt32(truncatingIfNeeded: y)))
                case .i64Add: stack.append(x &+ y)
                case .i64Sub: stack.append(x &- y)
                case .i64Mul: stack.append(x &* y)
                default: stack.append(0)
                }
            default: break
            }
        }
        return stack.last ?? 0
    }
}

extension ImportDescriptor {
    var kindName: String {
        switch self {
        case .function: return "function"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        case .tag: return "tag"
        }
    }
}

extension ExternalValue {
    var kindName: String {
        switch self {
        case .function: return "function"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        }
    }
}

extension Store {
    /// Instantiates `compiled`, resolving imports with `imports`, then runs its start function on
    /// `thread` (a fresh thread when nil).
    @discardableResult
    public func instantiate(
        _ compiled: CompiledModule, thread: ExecutionThread? = nil,
        imports: (String, String) -> ExternalValue?
    ) throws -> Instance {
        let instance = try Instance(compiled: compiled, store: self, resolve: imports)
        instances.append(instance)
        modulesByInstance[instance.data] = compiled
        for m in instance.memories { memoriesByData[m.data] = m }
        try instance.initializeSegments()
        if let start = compiled.module.start {
            let t = thread ?? ExecutionThread(store: self)
            _ = try t.invoke(instance.functions[Int(start)], arguments: [])
        }
        return instance
    }
}
