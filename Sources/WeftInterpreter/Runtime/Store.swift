import WasmParser
import WasmTypes
import WeftModule

/// Canonical ids for function types across all modules of a store, so `call_indirect` and
/// import matching compare types by one integer.
final class TypeRegistry {
    private var ids: [FunctionType: Int32] = [:]
    private(set) var types: [FunctionType] = []

    func id(for canonical: FunctionType) -> Int32 {
        if let id = ids[canonical] { return id }
        let id = Int32(types.count)
        ids[canonical] = id
        types.append(canonical)
        return id
    }
}

/// Something an instance exports or an import is satisfied with.
public enum ExternalValue {
    case function(FunctionRef)
    case table(Table)
    case memory(LinearMemory)
    case global(Global)
}

/// A reference to a function in a store (wasm or host).
public struct FunctionRef: Equatable {
    let entity: UnsafeMutablePointer<FuncEntity>
    public var bits: UInt64 { UInt64(UInt(bitPattern: entity)) }

    init(_ entity: UnsafeMutablePointer<FuncEntity>) { self.entity = entity }

    init?(bits: UInt64) {
        guard let p = UnsafeMutablePointer<FuncEntity>(bitPattern: UInt(bits)) else { return nil }
        entity = p
    }
}

/// Owns every runtime object: functions, instances, host functions, the type registry.
/// All execution happens on the thread that owns the store.
public final class Store {
    let types = TypeRegistry()
    var hostFunctions: [HostFunction] = []
    private var entities: [UnsafeMutablePointer<FuncEntity>] = []
    var instances: [Instance] = []
    /// Instances' compiled modules by the address of their `InstanceData` (for locations).
    var modulesByInstance: [UnsafeMutablePointer<InstanceData>: CompiledModule] = [:]
    /// Memories by their data, so host functions get the caller's memory object.
    var memoriesByData: [UnsafeMutablePointer<MemoryData>: LinearMemory] = [:]
    /// Maximum call depth before `call stack exhausted` traps.
    public var maxCallDepth = 10_000
    /// Value stack size per thread, in 8-byte slots.
    public var stackSlots = 1 << 20

    public init() {}

    deinit {
        for e in entities {
            e.deinitialize(count: 1)
            e.deallocate()
        }
    }

    /// The function type with concrete type indices replaced by store-wide ids.
    func canonical(_ t: FunctionType, ids: [Int32]) -> FunctionType {
        FunctionType(parameters: t.parameters.map { canonical($0, ids: ids) }, results: t.results.map { canonical($0, ids: ids) })
    }

    func canonical(_ v: ValueType, ids: [Int32]) -> ValueType {
        if case .ref(let r) = v { return .ref(canonical(r, ids: ids)) }
        return v
    }

    func canonical(_ r: ReferenceType, ids: [Int32]) -> ReferenceType {
        var r = r
        if case .concrete(let i) = r.heapType, Int(i) <= ids.count {
            // While registering type i, a reference to i itself is the type's own recursion.
            r.heapType = .concrete(typeIndex: Int(i) < ids.count ? UInt32(bitPattern: ids[Int(i)]) : UInt32.max)
        }
        return r
    }

    func newEntity(_ e: FuncEntity) -> UnsafeMutablePointer<FuncEntity> {
        let p = UnsafeMutablePointer<FuncEntity>.allocate(capacity: 1)
        p.initialize(to: e)
        entities.append(p)
        return p
    }

    /// Registers a host function; the result can satisfy imports of matching type.
    public func addHostFunction(_ f: HostFunction) -> FunctionRef {
        let index = Int32(hostFunctions.count)
        hostFunctions.append(f)
        let id = types.id(for: f.type)
        let e = newEntity(
            FuncEntity(
                code: nil, instance: hostInstanceData, typeID: id, paramCount: UInt32(f.type.parameters.count),
                resultCount: UInt32(f.type.results.count), frameSize: UInt32(max(f.type.parameters.count, f.type.results.count)),
                localCount: 0, consts: nil, constCount: 0, hostIndex: index, functionIndex: UInt32(index), compiled: nil))
        return FunctionRef(e)
    }

    /// An empty instance context for host functions.
    lazy var hostInstanceData: UnsafeMutablePointer<InstanceData> = {
        let p = UnsafeMutablePointer<InstanceData>.allocate(capacity: 1)
        p.initialize(
            to: InstanceData(
                memory: nil, memories: .allocate(capacity: 1), globals: .allocate(capacity: 1), functions: .allocate(capacity: 1), tables: .allocate(capacity: 1),
                typeIDs: .allocate(capacity: 1), dataSegments: .allocate(capacity: 1), elemSegments: .allocate(capacity: 1)))
        return p
    }()

    /// Calls host function `f` directly (for wrappers that delegate to another host function).
    public func callHost(_ f: FunctionRef, _ call: HostCall) throws -> [UInt64] {
        let e = f.entity.pointee
        precondition(e.hostIndex >= 0, "not a host function")
        return try hostFunctions[Int(e.hostIndex)].body(call)
    }

    public func functionType(_ f: FunctionRef) -> FunctionType {
        types.types[Int(f.entity.pointee.typeID)]
    }

    /// A readable name for a function: its module's name for it, or `host[N]`.
    public func name(of f: FunctionRef) -> String {
        let e = f.entity.pointee
        if e.hostIndex >= 0 { return "host[\(e.hostIndex)]" }
        if let m = modulesByInstance[e.instance] {
            return m.sourceDescriber?.displayName(ofFunction: e.functionIndex) ?? m.module.functionName(e.functionIndex)
        }
        return "func[\(e.functionIndex)]"
    }

    /// The source position (`file.c:12:5`) of module byte `offset` in function `f`'s module, when
    /// the module has a ``SourceDescriber`` that knows it.
    public func sourcePosition(of f: FunctionRef, moduleOffset offset: Int) -> String? {
        modulesByInstance[f.entity.pointee.instance]?.sourceDescriber?.sourcePosition(moduleOffset: offset)
    }

    /// Creates a global usable as an import (e.g. the spec test harness's `spectest` globals).
    public func makeGlobal(type: GlobalType, value: UInt64) -> Global {
        Global(type: type, canonicalType: type.valueType, value: value)
    }

    public func makeTable(elementType: ReferenceType, min: Int, max: Int?) -> Table {
        Table(count: min, max: max, elementType: elementType, canonicalElementType: elementType, initial: 0)
    }
}
