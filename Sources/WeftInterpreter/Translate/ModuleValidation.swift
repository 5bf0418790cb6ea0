import WasmParser
import WasmTypes
import WeftModule

/// Module-wide facts the function validator needs: type equivalence and declared references.
struct ModuleValidationContext {
    let module: Module
    /// For each type index, the smallest index of a structurally equal type.
    let typeRepresentative: [Int]
    /// Functions that may be named by `ref.func` inside bodies.
    let declaredFunctions: Set<UInt32>

    init(module: Module) {
        self.module = module
        var reps: [Int] = []
        var canonical: [FunctionType: Int] = [:]
        for (i, t) in module.types.enumerated() {
            let key = Self.canonicalize(t, reps: reps)
            if let r = canonical[key] { reps.append(r) } else { canonical[key] = i; reps.append(i) }
        }
        typeRepresentative = reps
        var declared = Set<UInt32>()
        func scan(_ expr: ConstExpression) {
            for i in expr { if case .refFunc(let f) = i { declared.insert(f) } }
        }
        for e in module.elements { e.initializer.forEach(scan) }
        for g in module.globals { scan(g.initializer) }
        for t in module.tables { if let i = t.initializer { scan(i) } }
        for e in module.exports { if case .function(let f) = e.descriptor { declared.insert(f) } }
        declaredFunctions = declared
    }

    static func canonicalize(_ t: FunctionType, reps: [Int]) -> FunctionType {
        let selfReference = Self.selfReference
        func c(_ v: ValueType) -> ValueType {
            if case .ref(var r) = v, case .concrete(let i) = r.heapType, Int(i) <= reps.count {
                // A type may name itself (a singleton recursion group); mark that as `selfReference`.
                r.heapType = .concrete(typeIndex: Int(i) < reps.count ? UInt32(reps[Int(i)]) : selfReference)
                return .ref(r)
            }
            return v
        }
        return FunctionType(parameters: t.parameters.map(c), results: t.results.map(c))
    }

    /// Stands for "this type itself" in canonical forms.
    static let selfReference = UInt32.max

    func isSubtype(_ a: ValueType, of b: ValueType) -> Bool {
        switch (a, b) {
        case (.ref(let ra), .ref(let rb)):
            if ra.isNullable && !rb.isNullable { return false }
            return isSubtype(ra.heapType, of: rb.heapType)
        default:
            return a == b
        }
    }

    func isSubtype(_ a: HeapType, of b: HeapType) -> Bool {
        switch (a, b) {
        case (.abstract(let x), .abstract(let y)):
            return x == y || (x == .noFunc && y == .funcRef) || (x == .noExtern && y == .externRef)
        case (.concrete, .abstract(let y)):
            return y == .funcRef
        case (.abstract(let x), .concrete):
            return x == .noFunc
        case (.concrete(let i), .concrete(let j)):
            return representative(i) == representative(j)
        }
    }

    func representative(_ i: UInt32) -> Int {
        Int(i) < typeRepresentative.count ? typeRepresentative[Int(i)] : Int(i)
    }
}

/// Rules that differ between the current spec and older baselines.
public struct ValidationOptions: Sendable {
    /// More than one table (reference types and later).
    public var multipleTables = true
    /// More than one memory (multi-memory and later).
    public var multipleMemories = true

    public init() {}

    /// The MVP's limits of one table and one memory, which proposals written before reference
    /// types (such as threads) assume in their own tests.
    public static var mvpLimits: ValidationOptions {
        var o = ValidationOptions()
        o.multipleTables = false
        o.multipleMemories = false
        return o
    }
}

/// A validated, translated module, independent of any store: instantiate it as often as needed.
public final class CompiledModule {
    public let module: Module
    public let functions: [CompiledFunction]
    /// Source-level names and positions for messages (set by whoever loads debug information).
    public var sourceDescriber: (any SourceDescriber)?

    init(module: Module, functions: [CompiledFunction]) {
        self.module = module
        self.functions = functions
    }

    /// Validates and translates every function of `module`.
    public static func compile(_ module: Module, options: ValidationOptions = ValidationOptions()) throws(ModuleError) -> CompiledModule {
        let context = ModuleValidationContext(module: module)
        if !options.multipleTables && module.tableCount > 1 { throw .invalid("multiple tables") }
        if !options.multipleMemories && module.memoryCount > 1 { throw .invalid("multiple memories") }
        try ModuleValidator(module: module, context: context).validate()
        var functions: [CompiledFunction] = []
        functions.reserveCapacity(module.codes.count)
        for i in module.codes.indices {
            do {
                functions.append(try Translator.translate(module: module, context: context, definedIndex: i))
            } catch {
                switch error.kind {
                case .unsupported(let feature): throw .unsupported(feature: feature, detail: error.message)
                case .malformed:
                    throw .malformed("\(Module.cleanMessage(error.description)) (\(module.functionName(error.functionIndex ?? 0)))")
                case .invalid:
                    let name = error.functionIndex.map { " (\(module.functionName($0)))" } ?? ""
                    throw .invalid("\(error.description)\(name)")
                }
            }
        }
        return CompiledModule(module: module, functions: functions)
    }
}

/// The module-level validation rules: everything outside function bodies.
struct ModuleValidator {
    let module: Module
    let context: ModuleValidationContext

    func invalid(_ m: String) -> ModuleError { .invalid(m) }

    func checkType(_ t: ValueType, _ what: String) throws(ModuleError) {
        if case .ref(let r) = t, case .concrete(let i) = r.heapType, Int(i) >= module.types.count {
            throw invalid("unknown type \(i) in \(what)")
        }
    }

    func checkMemoryType(_ m: MemoryType, _ what: String) throws(ModuleError) {
        guard m.min <= 65536 else { throw invalid("memory size must be at most 65536 pages (4GiB) in \(what)") }
        if let max = m.max {
            guard max <= 65536 else { throw invalid("memory size must be at most 65536 pages (4GiB) in \(what)") }
            guard m.min <= max else { throw invalid("size minimum must not be greater than maximum in \(what)") }
        } else if m.shared {
            throw invalid("shared memory must have maximum in \(what)")
        }
    }

    func checkTableType(_ t: TableType, _ what: String) throws(ModuleError) {
        if let max = t.limits.max, t.limits.min > max {
            throw invalid("size minimum must not be greater than maximum in \(what)")
        }
        guard t.limits.min <= UInt64(UInt32.max) else { throw invalid("table size must be at most 2^32-1 in \(what)") }
        try checkType(.ref(t.elementType), what)
    }

    func validate() throws(ModuleError) {
        for (i, t) in module.types.enumerated() {
            for v in t.parameters + t.results {
                // Without recursion groups a type can name only itself and earlier types.
                if case .ref(let r) = v, case .concrete(let j) = r.heapType, j > i {
                    throw invalid("unknown type \(j) in type \(i)")
                }
            }
        }
        for imp in module.imports {
            let what = "import \"\(imp.module)\".\"\(imp.name)\""
            switch imp.descriptor {
            case .function(let t):
                guard Int(t) < module.types.count else { throw invalid("unknown type \(t) in \(what)") }
            case .table(let t): try checkTableType(t, what)
            case .memory(let m): try checkMemoryType(m, what)
            case .global(let g): try checkType(g.valueType, what)
            case .tag: break
            }
        }
        for (i, t) in module.functionTypeIndices.enumerated() where Int(t) >= module.types.count {
            throw invalid("unknown type \(t) for function \(module.importedFunctionCount + i)")
        }
        for (i, t) in module.tables.enumerated() {
            let what = "table \(module.importedTables.count + i)"
            try checkTableType(t.type, what)
            if let initExpr = t.initializer {
                try checkConst(initExpr, type: .ref(t.type.elementType), globalLimit: module.importedGlobals.count, what)
            } else if !t.type.elementType.isNullable {
                throw invalid("type mismatch: table of non-nullable references needs an initializer in \(what)")
            }
        }
        for (i, m) in module.memories.enumerated() { try checkMemoryType(m.type, "memory \(module.importedMemories.count + i)") }
        for (i, g) in module.globals.enumerated() {
            let index = module.importedGlobals.count + i
            try checkType(g.type.valueType, "global \(index)")
            try checkConst(g.initializer, type: g.type.valueType, globalLimit: index, "global \(index)")
        }
        var names = Set<[UInt8]>()
        for e in module.exports {
            guard names.insert(Array(e.name.utf8)).inserted else { throw invalid("duplicate export name \"\(e.name)\"") }
            switch e.descriptor {
            case .function(let f): guard Int(f) < module.functionCount else { throw invalid("unknown function \(f) in export \"\(e.name)\"") }
            case .table(let t): guard Int(t) < module.tableCount else { throw invalid("unknown table \(t) in export \"\(e.name)\"") }
            case .memory(let m): guard Int(m) < module.memoryCount else { throw invalid("unknown memory \(m) in export \"\(e.name)\"") }
            case .global(let g): guard Int(g) < module.globalCount else { throw invalid("unknown global \(g) in export \"\(e.name)\"") }
            case .tag: throw ModuleError.unsupported(feature: "exceptions", detail: "tag export")
            }
        }
        if let s = module.start {
            guard let ti = module.functionTypeIndex(s) else { throw invalid("unknown function \(s) as start function") }
            let t = module.types[Int(ti)]
            guard t.parameters.isEmpty, t.results.isEmpty else { throw invalid("start function must have type [] -> []") }
        }
        for (i, e) in module.elements.enumerated() {
            let what = "element segment \(i)"
            try checkType(.ref(e.type), what)
            for expr in e.initializer { try checkConst(expr, type: .ref(e.type), globalLimit: module.globalCount, what) }
            if case .active(let table, let offset) = e.mode {
                guard let tt = module.tableType(table) else { throw invalid("unknown table \(table) in \(what)") }
                try checkConst(offset, type: .i32, globalLimit: module.globalCount, what)
                guard context.isSubtype(.ref(e.type), of: .ref(tt.elementType)) else {
                    throw invalid("type mismatch: \(what) does not fit table \(table)")
                }
            }
        }
        for (i, d) in module.data.enumerated() {
            if case .active(let a) = d {
                guard module.memoryType(a.index) != nil else { throw invalid("unknown memory \(a.index) in data segment \(i)") }
                try checkConst(a.offset, type: .i32, globalLimit: module.globalCount, "data segment \(i)")
            }
        }
    }

    /// Constant expressions: constants, `ref.null`, `ref.func`, `global.get` of an immutable
    /// global defined before (`globalLimit`), and the extended-constant integer arithmetic.
    func checkConst(_ expr: ConstExpression, type: ValueType, globalLimit: Int, _ what: String) throws(ModuleError) {
        var stack: [ValueType] = []
        func pop(_ t: ValueType) throws(ModuleError) {
            guard let v = stack.popLast() else { throw invalid("type mismatch: empty constant expression stack in \(what)") }
            guard context.isSubtype(v, of: t) else { throw invalid("type mismatch in constant expression of \(what)") }
        }
        for instr in expr {
            switch instr {
            case .i32Const: stack.append(.i32)
            case .i64Const: stack.append(.i64)
            case .f32Const: stack.append(.f32)
            case .f64Const: stack.append(.f64)
            case .refNull(let h):
                if case .concrete(let i) = h, Int(i) >= module.types.count { throw invalid("unknown type \(i) in \(what)") }
                stack.append(.ref(ReferenceType(isNullable: true, heapType: h)))
            case .refFunc(let f):
                guard let ti = module.functionTypeIndex(f) else { throw invalid("unknown function \(f) in \(what)") }
                stack.append(.ref(ReferenceType(isNullable: false, heapType: .concrete(typeIndex: ti))))
            case .globalGet(let g):
                guard Int(g) < globalLimit, let gt = module.globalType(g) else { throw invalid("unknown global \(g) in \(what)") }
                guard gt.mutability == .constant else { throw invalid("constant expression required: global.get of mutable global \(g) in \(what)") }
                stack.append(gt.valueType)
            case .binary(let b):
                switch b {
                case .i32Add, .i32Sub, .i32Mul: try pop(.i32); try pop(.i32); stack.append(.i32)
                case .i64Add, .i64Sub, .i64Mul: try pop(.i64); try pop(.i64); stack.append(.i64)
                default: throw invalid("constant expression required in \(what)")
                }
            case .end: break
            case .v128Const: throw ModuleError.unsupported(feature: "simd", detail: "v128.const in \(what)")
            default: throw invalid("constant expression required in \(what)")
            }
        }
        guard stack.count == 1 else { throw invalid("type mismatch: constant expression must produce one value in \(what)") }
        try pop(type)
    }
}
