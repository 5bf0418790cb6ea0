/// A trap: the spec's message, and where it happened when known.
public struct Trap: Error, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case unreachable
        case memoryOutOfBounds
        case tableOutOfBounds
        case undefinedElement
        case uninitializedElement
        case indirectCallTypeMismatch
        case nullReference
        case nullFunctionReference
        case integerDivideByZero
        case integerOverflow
        case invalidConversion
        case callStackExhausted
        case unalignedAtomic
        case waitOnUnsharedMemory
        case deadlock(String)
        case host(String)
    }

    public let kind: Kind
    /// Function name and module byte offset of the faulting instruction, when known.
    public var function: String?
    public var offset: Int?
    /// Source position of the faulting instruction (`file.c:12:5`), when debug information has it.
    public var source: String?
    /// Call stack, innermost first, as `name+0xOFF` strings (with ` (file.c:12:5)` when known).
    public var backtrace: [String] = []

    public init(_ kind: Kind) { self.kind = kind }

    /// The spec's wording (what `.wast` `assert_trap` compares against).
    public var message: String {
        switch kind {
        case .unreachable: return "unreachable"
        case .memoryOutOfBounds: return "out of bounds memory access"
        case .tableOutOfBounds: return "out of bounds table access"
        case .undefinedElement: return "undefined element"
        case .uninitializedElement: return "uninitialized element"
        case .indirectCallTypeMismatch: return "indirect call type mismatch"
        case .nullReference: return "null reference"
        case .nullFunctionReference: return "null function reference"
        case .integerDivideByZero: return "integer divide by zero"
        case .integerOverflow: return "integer overflow"
        case .invalidConversion: return "invalid conversion to integer"
        case .callStackExhausted: return "call stack exhausted"
        case .unalignedAtomic: return "unaligned atomic"
        case .waitOnUnsharedMemory: return "expected shared memory"
        case .deadlock(let m): return "deadlock: \(m)"
        case .host(let m): return m
        }
    }

    public var description: String {
        var s = "trap: \(message)"
        if let function { s += " in \(function)" }
        if let offset { s += " at offset 0x\(String(offset, radix: 16))" }
        if let source { s += " (\(source))" }
        return s
    }
}
