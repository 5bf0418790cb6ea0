/// A source variable from the DWARF debug information: a global, or a parameter or local of the
/// function scope around a code offset.
///
/// `location` describes the common forms of a location as plain cases. ``evaluate(in:)``
/// evaluates any location expression Weft understands, including the computed values optimized
/// code describes (`DW_OP_WASM_location 0x0 4, DW_OP_plus_uconst 1, DW_OP_stack_value`).
public struct SourceVariable: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A variable of the compilation unit (external or file-static) or of a namespace.
        case global
        /// A function parameter (`DW_TAG_formal_parameter`).
        case parameter
        /// A local of a function or of a block in it, static locals included.
        case local
    }

    public var name: String
    public var kind: Kind
    /// Its type; nil when the debug information names none or it cannot be read.
    public var type: SourceType?
    /// Where the value is at the offset asked about (for globals: always).
    public var location: VariableLocation
    /// The enclosing function's frame base (`DW_AT_frame_base`), which ``VariableLocation/frameBaseOffset(_:)``
    /// is relative to. Nil for globals, and when the function has none.
    public var frameBase: VariableLocation?
    /// The function whose scope declares the variable: for a variable of an inlined call, the
    /// inlined function. Nil for globals.
    public var function: String?
    /// Where it is declared (`DW_AT_decl_file`/`DW_AT_decl_line`), when known.
    public var declaration: SourceLocation?
    /// The location expression `location` was derived from (nil when there is none).
    public var expression: LocationExpression?
    /// The frame base expression `frameBase` was derived from.
    public var frameBaseExpression: LocationExpression?

    public init(
        name: String, kind: Kind, type: SourceType?, location: VariableLocation, frameBase: VariableLocation? = nil,
        function: String? = nil, declaration: SourceLocation? = nil, expression: LocationExpression? = nil,
        frameBaseExpression: LocationExpression? = nil
    ) {
        self.name = name
        self.kind = kind
        self.type = type
        self.location = location
        self.frameBase = frameBase
        self.function = function
        self.declaration = declaration
        self.expression = expression
        self.frameBaseExpression = frameBaseExpression
    }

    /// `int balance @ 0x100158`, `int n @ fbreg+24`.
    public var description: String {
        "\(type?.name ?? "?") \(name) @ \(location)"
    }

    /// Evaluates the variable's location for one frame: where its bytes are in linear memory, or
    /// its value. `fbreg` locations evaluate the frame base first, with the same `context`.
    public func evaluate(in context: some LocationContext) -> EvaluatedLocation {
        guard let expression else { return location == .optimizedOut ? .optimizedOut : .unavailable("\(location)") }
        return expression.evaluate(in: context, frameBase: frameBaseExpression)
    }
}

/// Where a variable is, in the terms of a wasm frame. Covers the forms clang emits for wasm32
/// when a variable lives in one place; anything else is ``unsupported(_:)`` (with the DWARF
/// expression written out) and may still be evaluated by ``SourceVariable/evaluate(in:)``.
public enum VariableLocation: Sendable, Hashable, CustomStringConvertible {
    /// The variable's bytes are in linear memory at this address (`DW_OP_addr`, `DW_OP_addrx`,
    /// plus any `DW_OP_plus_uconst`).
    case address(UInt64)
    /// The variable's bytes are in linear memory at the frame base plus this offset
    /// (`DW_OP_fbreg`). The frame base is the value of ``SourceVariable/frameBase``.
    case frameBaseOffset(Int64)
    /// The value is wasm local N of the frame (`DW_OP_WASM_location 0x00 N, DW_OP_stack_value`).
    case wasmLocal(Int)
    /// The value is wasm global N (`DW_OP_WASM_location 0x01 N` or `0x03 N`).
    case wasmGlobal(Int)
    /// The value is entry N of the frame's operand stack, counted from the bottom of the
    /// function's operand stack (`DW_OP_WASM_location 0x02 N`).
    case wasmStack(Int)
    /// There is no location here: no `DW_AT_location`, or no entry of its location list covers
    /// the offset.
    case optimizedOut
    /// A location of another form (the expression, written out).
    case unsupported(String)

    public var description: String {
        switch self {
        case .address(let a): return "0x\(String(a, radix: 16))"
        case .frameBaseOffset(let o): return o < 0 ? "fbreg\(o)" : "fbreg+\(o)"
        case .wasmLocal(let n): return "local \(n)"
        case .wasmGlobal(let n): return "global \(n)"
        case .wasmStack(let n): return "stack \(n)"
        case .optimizedOut: return "optimized out"
        case .unsupported(let s): return s
        }
    }
}

/// What a frame gives the location evaluator. Values are raw bits: i32 zero-extended, i64 as
/// is, f32/f64 as their bit patterns. Nil means "not available", which the evaluation reports.
public protocol LocationContext {
    /// Wasm local `index` of the frame.
    func wasmLocal(_ index: Int) -> UInt64?
    /// Wasm global `index` (of the thread's instance: `__stack_pointer`, `__tls_base`, …).
    func wasmGlobal(_ index: Int) -> UInt64?
    /// Entry `index` of the frame's operand stack, counted from the bottom.
    func wasmStack(_ index: Int) -> UInt64?
    /// `size` bytes (1...8) of linear memory at `address`, little-endian.
    func readMemory(address: UInt64, size: Int) -> UInt64?
}

/// The result of evaluating a location expression for one frame.
public enum EvaluatedLocation: Sendable, Hashable {
    /// The variable's bytes are in linear memory at this address.
    case memory(UInt64)
    /// The variable's value itself, in the low bytes (as many as its type's size).
    case value(UInt64)
    /// The variable has no location at this point.
    case optimizedOut
    /// It could not be evaluated: an unsupported operation, or a local, global, stack entry or
    /// memory the context could not give. One line.
    case unavailable(String)
}
