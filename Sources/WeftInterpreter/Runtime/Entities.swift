import WasmParser
import WasmTypes

/// A function as the execution loop sees it: plain data at a stable address. Function references
/// (table elements, `ref.func` values) are the address of one of these, so they compare across
/// instances; null is 0.
@usableFromInline
struct FuncEntity {
    /// Translated code, nil for a host function.
    var code: UnsafeMutablePointer<UInt32>?
    var instance: UnsafeMutablePointer<InstanceData>
    /// Canonical id of the function type in the store's ``TypeRegistry``.
    var typeID: Int32
    var paramCount: UInt32
    var resultCount: UInt32
    /// Slots the frame needs (locals, constants, temporaries, and room for callees' results).
    var frameSize: UInt32
    /// Locals after the parameters, zeroed on entry.
    var localCount: UInt32
    /// Constants copied into the frame on entry, right after the locals.
    var consts: UnsafeMutablePointer<UInt64>?
    var constCount: UInt32
    /// Index into ``Store/hostFunctions`` for host functions, else -1.
    var hostIndex: Int32
    /// The function's index in its module.
    var functionIndex: UInt32
    /// The translated function (for locations and names); unowned: the module keeps it alive.
    var compiled: Unmanaged<CompiledFunction>?
}

/// Everything instance-specific that running code indexes: one per instance, at a stable address.
@usableFromInline
struct InstanceData {
    /// Memory 0, which almost all code uses; ``memories`` has every memory (multi-memory).
    var memory: UnsafeMutablePointer<MemoryData>?
    var memories: UnsafeMutablePointer<UnsafeMutablePointer<MemoryData>>
    var globals: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>>
    var functions: UnsafeMutablePointer<UnsafeMutablePointer<FuncEntity>>
    var tables: UnsafeMutablePointer<UnsafeMutablePointer<TableData>>
    var typeIDs: UnsafeMutablePointer<Int32>
    var dataSegments: UnsafeMutablePointer<SegmentData>
    var elemSegments: UnsafeMutablePointer<SegmentData>
}

/// A data or element segment: bytes (data) or 64-bit references (elements). Dropping sets count 0.
@usableFromInline
struct SegmentData {
    var base: UnsafeRawPointer?
    var count: Int
}

/// A table's elements: references as 64-bit words.
@usableFromInline
struct TableData {
    var elements: UnsafeMutablePointer<UInt64>
    var count: Int
    var capacity: Int
    var maxCount: Int
}

/// A table: owns its ``TableData``.
public final class Table {
    let data: UnsafeMutablePointer<TableData>
    public let elementType: ReferenceType
    /// Canonical form of the element type (concrete indices mapped to store type ids).
    let canonicalElementType: ReferenceType

    init(count: Int, max: Int?, elementType: ReferenceType, canonicalElementType: ReferenceType, initial: UInt64) {
        let capacity = Swift.max(count, 1)
        let elements = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        elements.initialize(repeating: initial, count: capacity)
        data = .allocate(capacity: 1)
        let limit = Swift.min(max ?? Int(UInt32.max), Int(UInt32.max))
        data.initialize(to: TableData(elements: elements, count: count, capacity: capacity, maxCount: limit))
        self.elementType = elementType
        self.canonicalElementType = canonicalElementType
    }

    deinit {
        data.pointee.elements.deallocate()
        data.deallocate()
    }

    public var count: Int { data.pointee.count }
    public var maxCount: Int { data.pointee.maxCount }

    /// Grows by `delta` elements set to `value`; returns the old size or -1.
    @usableFromInline
    static func grow(_ t: UnsafeMutablePointer<TableData>, by delta: UInt64, value: UInt64) -> Int64 {
        let old = t.pointee.count
        let new = UInt64(old) + delta
        guard new <= UInt64(t.pointee.maxCount), new <= 10_000_000 else { return -1 }
        let newCount = Int(new)
        if newCount > t.pointee.capacity {
            let capacity = Swift.max(newCount, t.pointee.capacity * 2)
            let elements = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
            elements.update(from: t.pointee.elements, count: old)
            t.pointee.elements.deallocate()
            t.pointee.elements = elements
            t.pointee.capacity = capacity
        }
        (t.pointee.elements + old).initialize(repeating: value, count: newCount - old)
        t.pointee.count = newCount
        return Int64(old)
    }

    public subscript(index: Int) -> UInt64 {
        get { data.pointee.elements[index] }
        set { data.pointee.elements[index] = newValue }
    }
}

/// A global variable's cell. Imported globals share the exporter's cell.
public final class Global {
    let cell: UnsafeMutablePointer<UInt64>
    public let type: GlobalType
    /// Value type with concrete type indices mapped to store type ids (for import matching).
    let canonicalType: ValueType

    init(type: GlobalType, canonicalType: ValueType, value: UInt64) {
        cell = .allocate(capacity: 1)
        cell.initialize(to: value)
        self.type = type
        self.canonicalType = canonicalType
    }

    deinit { cell.deallocate() }

    public var value: UInt64 {
        get { cell.pointee }
        set { cell.pointee = newValue }
    }
}

/// A host function: its type and a body taking and returning raw slot values.
public struct HostFunction {
    public var type: FunctionType
    public var body: (HostCall) throws -> [UInt64]

    public init(type: FunctionType, body: @escaping (HostCall) throws -> [UInt64]) {
        self.type = type
        self.body = body
    }
}

/// What a host function sees of its caller.
public struct HostCall {
    public let arguments: [UInt64]
    /// The calling instance's memory, if it has one.
    public let memory: LinearMemory?
    public let thread: ExecutionThread
}
