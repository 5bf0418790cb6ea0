/// A DWARF location expression (`DW_AT_location`, `DW_AT_frame_base`, one entry of a location
/// list), decoded. It can be written out (`description`, in `llvm-dwarfdump`'s notation) and
/// evaluated for a frame (``evaluate(in:frameBase:)``).
///
/// Evaluation is DWARF's stack machine with the WebAssembly extension `DW_OP_WASM_location`
/// as LLVM emits it: the operation pushes the value of a wasm local, global or operand stack
/// entry; followed by `DW_OP_stack_value` that value is the variable's value, otherwise it is
/// the linear-memory address of the variable. Arithmetic is on the unit's address size
/// (32 bits on wasm32); values that are only pushed and returned keep all 64 bits (an `i64`
/// local).
public struct LocationExpression: Sendable, Equatable, CustomStringConvertible {
    enum Operation: Sendable, Equatable {
        /// `DW_OP_addr`, `DW_OP_addrx`: a linear-memory address.
        case address(UInt64)
        /// Literals and constants (`DW_OP_lit*`, `DW_OP_const*`, `DW_OP_constx`).
        case constant(UInt64)
        /// `DW_OP_fbreg`.
        case frameBase(Int64)
        /// `DW_OP_WASM_location`: 0 local, 1 and 3 global, 2 operand stack.
        case wasm(kind: UInt8, index: Int)
        case plusConstant(UInt64)
        /// An arithmetic, logic or comparison operation (its opcode).
        case arithmetic(UInt8)
        case dup, drop, over, swap, rot
        case pick(Int)
        /// `DW_OP_deref` / `DW_OP_deref_size`.
        case deref(size: Int)
        /// `DW_OP_skip` / `DW_OP_bra` to a byte offset in the expression.
        case branch(conditional: Bool, target: Int)
        case nop
        case stackValue
        case implicitValue([UInt8])
        /// An operation that is decoded but not evaluated (its name).
        case notEvaluated(String)
    }

    let operations: [Operation]
    /// Byte offset of each operation (branch targets refer to these).
    let offsets: [Int]
    /// The expression's length in bytes.
    let length: Int
    let addressSize: Int
    /// Why decoding stopped early (an unknown operation, truncation); nil when it decoded whole.
    let error: String?
    /// The expression in `llvm-dwarfdump`'s notation: `DW_OP_fbreg +12`.
    public let description: String

    /// Whether the expression has no operations (the variable exists but has no location).
    public var isEmpty: Bool { operations.isEmpty && error == nil }

    // MARK: Decoding

    /// Decodes `bytes`. `indexedAddress` resolves `DW_OP_addrx`/`DW_OP_constx` indices.
    init(_ bytes: ArraySlice<UInt8>, addressSize: Int, offsetSize: Int, indexedAddress: (UInt64) throws(DWARFError) -> UInt64) {
        let data = Array(bytes)
        var r = ByteReader(data)
        var operations: [Operation] = []
        var offsets: [Int] = []
        var parts: [String] = []
        var failure: String?
        func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
        func signed(_ v: Int64) -> String { v < 0 ? "\(v)" : "+\(v)" }
        while !r.isAtEnd {
            let at = r.offset
            do throws(DWARFError) {
                let opcode = try r.u8()
                let (op, text) = try Self.decodeOne(opcode, &r, addressSize: addressSize, offsetSize: offsetSize, indexedAddress: indexedAddress, hex: hex, signed: signed)
                operations.append(op)
                offsets.append(at)
                parts.append(text)
            } catch {
                let message = "bad location expression at byte \(at): \(error.message)"
                failure = message
                parts.append("<\(message)>")
                break
            }
        }
        self.operations = operations
        self.offsets = offsets
        self.length = data.count
        self.addressSize = addressSize
        self.error = failure
        self.description = parts.isEmpty ? "<empty>" : parts.joined(separator: ", ")
    }

    /// An expression for a `DW_AT_const_value` constant: the value itself.
    init(constant: UInt64, signed: Bool, addressSize: Int) {
        operations = [.constant(constant), .stackValue]
        offsets = [0, 1]
        length = 2
        self.addressSize = addressSize
        error = nil
        description = "DW_AT_const_value \(signed ? String(Int64(bitPattern: constant)) : String(constant))"
    }

    /// An expression for a `DW_AT_const_value` block: the bytes themselves.
    init(constantBytes: [UInt8], addressSize: Int) {
        operations = [.implicitValue(constantBytes)]
        offsets = [0]
        length = 1
        self.addressSize = addressSize
        error = nil
        description = "DW_AT_const_value <\(constantBytes.count) bytes>"
    }

    private static let simpleNames: [UInt8: String] = [
        0x06: "DW_OP_deref", 0x12: "DW_OP_dup", 0x13: "DW_OP_drop", 0x14: "DW_OP_over", 0x16: "DW_OP_swap",
        0x17: "DW_OP_rot", 0x18: "DW_OP_xderef", 0x19: "DW_OP_abs", 0x1a: "DW_OP_and", 0x1b: "DW_OP_div",
        0x1c: "DW_OP_minus", 0x1d: "DW_OP_mod", 0x1e: "DW_OP_mul", 0x1f: "DW_OP_neg", 0x20: "DW_OP_not",
        0x21: "DW_OP_or", 0x22: "DW_OP_plus", 0x24: "DW_OP_shl", 0x25: "DW_OP_shr", 0x26: "DW_OP_shra",
        0x27: "DW_OP_xor", 0x29: "DW_OP_eq", 0x2a: "DW_OP_ge", 0x2b: "DW_OP_gt", 0x2c: "DW_OP_le",
        0x2d: "DW_OP_lt", 0x2e: "DW_OP_ne", 0x96: "DW_OP_nop", 0x97: "DW_OP_push_object_address",
        0x9b: "DW_OP_form_tls_address", 0x9c: "DW_OP_call_frame_cfa", 0x9f: "DW_OP_stack_value",
        0xe0: "DW_OP_GNU_push_tls_address",
    ]

    private static func decodeOne(
        _ opcode: UInt8, _ r: inout ByteReader, addressSize: Int, offsetSize: Int,
        indexedAddress: (UInt64) throws(DWARFError) -> UInt64, hex: (UInt64) -> String, signed: (Int64) -> String
    ) throws(DWARFError) -> (Operation, String) {
        switch opcode {
        case 0x03:
            let a = try r.unsigned(size: addressSize)
            return (.address(a), "DW_OP_addr \(hex(a))")
        case 0xa1, 0xfb:
            let i = try r.uleb()
            let a = try indexedAddress(i)
            return (.address(a), "DW_OP_addrx \(hex(i)) (\(hex(a)))")
        case 0xa2, 0xfc:
            let i = try r.uleb()
            let a = try indexedAddress(i)
            return (.constant(a), "DW_OP_constx \(hex(i)) (\(hex(a)))")
        case 0x08, 0x0a, 0x0c, 0x0e:  // const1u, const2u, const4u, const8u
            let size = 1 << ((Int(opcode) - 0x08) / 2)
            let v = try r.unsigned(size: size)
            return (.constant(v), "DW_OP_const\(size)u \(hex(v))")
        case 0x09, 0x0b, 0x0d, 0x0f:  // const1s, const2s, const4s, const8s
            let size = 1 << ((Int(opcode) - 0x09) / 2)
            let raw = try r.unsigned(size: size)
            let shift = UInt64(64 - 8 * size)
            let v = Int64(bitPattern: raw << shift) >> Int64(shift)
            return (.constant(UInt64(bitPattern: v)), "DW_OP_const\(size)s \(signed(v))")
        case 0x10:
            let v = try r.uleb()
            return (.constant(v), "DW_OP_constu \(hex(v))")
        case 0x11:
            let v = try r.sleb()
            return (.constant(UInt64(bitPattern: v)), "DW_OP_consts \(signed(v))")
        case 0x30...0x4f:
            let v = UInt64(opcode - 0x30)
            return (.constant(v), "DW_OP_lit\(v)")
        case 0x91:
            let o = try r.sleb()
            return (.frameBase(o), "DW_OP_fbreg \(signed(o))")
        case 0xed:
            let kind = try r.u8()
            let index: UInt64
            switch kind {
            case 0, 1, 2: index = try r.uleb()
            case 3: index = UInt64(try r.u32())
            default: throw DWARFError("unknown DW_OP_WASM_location kind \(kind)")
            }
            guard index <= UInt64(UInt32.max) else { throw DWARFError("DW_OP_WASM_location index out of range") }
            return (.wasm(kind: kind, index: Int(index)), "DW_OP_WASM_location \(hex(UInt64(kind))) \(hex(index))")
        case 0x23:
            let v = try r.uleb()
            return (.plusConstant(v), "DW_OP_plus_uconst \(hex(v))")
        case 0x15:
            let i = try r.u8()
            return (.pick(Int(i)), "DW_OP_pick \(hex(UInt64(i)))")
        case 0x94:
            let size = Int(try r.u8())
            guard (1...8).contains(size) else { throw DWARFError("DW_OP_deref_size of \(size) bytes") }
            return (.deref(size: size), "DW_OP_deref_size \(hex(UInt64(size)))")
        case 0x2f, 0x28:
            let delta = Int(Int16(bitPattern: try r.u16()))
            let name = opcode == 0x2f ? "DW_OP_skip" : "DW_OP_bra"
            return (.branch(conditional: opcode == 0x28, target: r.offset + delta), "\(name) \(delta)")
        case 0x9e:
            let n = try r.ulebInt()
            guard n <= r.remaining else { throw DWARFError("DW_OP_implicit_value runs past the expression") }
            var bytes: [UInt8] = []
            for _ in 0..<n { bytes.append(try r.u8()) }
            return (.implicitValue(bytes), "DW_OP_implicit_value \(hex(UInt64(n)))")
        case 0x06:
            return (.deref(size: addressSize), "DW_OP_deref")
        case 0x12: return (.dup, "DW_OP_dup")
        case 0x13: return (.drop, "DW_OP_drop")
        case 0x14: return (.over, "DW_OP_over")
        case 0x16: return (.swap, "DW_OP_swap")
        case 0x17: return (.rot, "DW_OP_rot")
        case 0x96: return (.nop, "DW_OP_nop")
        case 0x9f: return (.stackValue, "DW_OP_stack_value")
        case 0x19...0x22, 0x24...0x27, 0x29...0x2e:
            return (.arithmetic(opcode), simpleNames[opcode] ?? hex(UInt64(opcode)))
        // Decoded (so the rest can be written out) but not evaluated.
        case 0x50...0x6f: return (.notEvaluated("DW_OP_reg\(opcode - 0x50)"), "DW_OP_reg\(opcode - 0x50)")
        case 0x70...0x8f:
            let o = try r.sleb()
            return (.notEvaluated("DW_OP_breg\(opcode - 0x70)"), "DW_OP_breg\(opcode - 0x70) \(signed(o))")
        case 0x90:
            let reg = try r.uleb()
            return (.notEvaluated("DW_OP_regx"), "DW_OP_regx \(reg)")
        case 0x92:
            let reg = try r.uleb()
            let o = try r.sleb()
            return (.notEvaluated("DW_OP_bregx"), "DW_OP_bregx \(reg) \(signed(o))")
        case 0x93:
            let size = try r.uleb()
            return (.notEvaluated("DW_OP_piece"), "DW_OP_piece \(hex(size))")
        case 0x9d:
            let size = try r.uleb()
            let offset = try r.uleb()
            return (.notEvaluated("DW_OP_bit_piece"), "DW_OP_bit_piece \(hex(size)) \(hex(offset))")
        case 0x95:
            _ = try r.u8()
            return (.notEvaluated("DW_OP_xderef_size"), "DW_OP_xderef_size")
        case 0x98:
            _ = try r.u16()
            return (.notEvaluated("DW_OP_call2"), "DW_OP_call2")
        case 0x99:
            _ = try r.u32()
            return (.notEvaluated("DW_OP_call4"), "DW_OP_call4")
        case 0x9a:
            _ = try r.unsigned(size: offsetSize)
            return (.notEvaluated("DW_OP_call_ref"), "DW_OP_call_ref")
        case 0xa0:
            _ = try r.unsigned(size: offsetSize)
            _ = try r.sleb()
            return (.notEvaluated("DW_OP_implicit_pointer"), "DW_OP_implicit_pointer")
        case 0xa3, 0xf3:
            let n = try r.ulebInt()
            try r.skip(n)
            return (.notEvaluated("DW_OP_entry_value"), "DW_OP_entry_value")
        case 0xa4:
            _ = try r.uleb()
            try r.skip(Int(try r.u8()))
            return (.notEvaluated("DW_OP_const_type"), "DW_OP_const_type")
        case 0xa5:
            _ = try r.uleb()
            _ = try r.uleb()
            return (.notEvaluated("DW_OP_regval_type"), "DW_OP_regval_type")
        case 0xa6, 0xa7:
            _ = try r.u8()
            _ = try r.uleb()
            return (.notEvaluated("DW_OP_deref_type"), "DW_OP_deref_type")
        case 0xa8, 0xa9:
            _ = try r.uleb()
            let name = opcode == 0xa8 ? "DW_OP_convert" : "DW_OP_reinterpret"
            return (.notEvaluated(name), name)
        case 0x18, 0x97, 0x9b, 0x9c, 0xe0:
            let name = simpleNames[opcode] ?? hex(UInt64(opcode))
            return (.notEvaluated(name), name)
        default:
            throw DWARFError("unknown operation \(hex(UInt64(opcode)))")
        }
    }

    // MARK: Plain locations

    /// The expression as a ``VariableLocation`` when it has one of the plain forms, else
    /// `.unsupported` with the expression written out. For a frame base, a bare
    /// `DW_OP_WASM_location` (older LLVM) also means "the value of that local or global".
    func plainLocation(asFrameBase: Bool = false) -> VariableLocation {
        if let error { return .unsupported(error) }
        var ops = operations[...]
        if ops.isEmpty { return .optimizedOut }
        func wasm(_ kind: UInt8, _ index: Int) -> VariableLocation {
            switch kind {
            case 0: return .wasmLocal(index)
            case 2: return .wasmStack(index)
            default: return .wasmGlobal(index)
            }
        }
        switch ops.removeFirst() {
        case .address(let a):
            var address = a
            for op in ops {
                guard case .plusConstant(let k) = op else { return .unsupported(description) }
                address = address &+ k
            }
            return .address(address)
        case .frameBase(let o):
            var offset = o
            for op in ops {
                guard case .plusConstant(let k) = op, k <= UInt64(Int64.max) else { return .unsupported(description) }
                offset = offset &+ Int64(k)
            }
            return .frameBaseOffset(offset)
        case .wasm(let kind, let index):
            if ops == [.stackValue] || (asFrameBase && ops.isEmpty) { return wasm(kind, index) }
            return .unsupported(description)
        default:
            return .unsupported(description)
        }
    }

    // MARK: Evaluation

    /// Evaluates the expression for one frame. `frameBase` is the enclosing function's frame
    /// base expression, needed by `DW_OP_fbreg`.
    public func evaluate(in context: some LocationContext, frameBase: LocationExpression? = nil) -> EvaluatedLocation {
        if let error { return .unavailable(error) }
        if operations.isEmpty { return .optimizedOut }
        let bits = UInt64(addressSize * 8)
        let mask: UInt64 = bits >= 64 ? .max : (1 << bits) - 1
        func signedValue(_ v: UInt64) -> Int64 {
            bits >= 64 ? Int64(bitPattern: v) : Int64(bitPattern: v << (64 - bits)) >> Int64(64 - bits)
        }
        var stack: [UInt64] = []
        var i = 0
        var steps = 0
        while i < operations.count {
            steps += 1
            guard steps <= 10_000 else { return .unavailable("location expression does not finish") }
            let op = operations[i]
            i += 1
            switch op {
            case .address(let a), .constant(let a):
                stack.append(a)
            case .frameBase(let o):
                guard let frameBase else { return .unavailable("DW_OP_fbreg without a frame base") }
                switch frameBase.evaluate(in: context, frameBase: nil) {
                case .value(let base), .memory(let base): stack.append((base &+ UInt64(bitPattern: o)) & mask)
                case .optimizedOut: return .unavailable("no frame base here")
                case .unavailable(let why): return .unavailable("frame base: \(why)")
                }
            case .wasm(let kind, let index):
                let value: UInt64?
                let what: String
                switch kind {
                case 0: (value, what) = (context.wasmLocal(index), "wasm local \(index)")
                case 2: (value, what) = (context.wasmStack(index), "wasm operand stack entry \(index)")
                default: (value, what) = (context.wasmGlobal(index), "wasm global \(index)")
                }
                guard let value else { return .unavailable("\(what) is not available") }
                stack.append(value)
            case .plusConstant(let k):
                guard let a = stack.popLast() else { return underflow }
                stack.append((a &+ k) & mask)
            case .arithmetic(let opcode):
                guard let b = stack.popLast() else { return underflow }
                if opcode == 0x19 || opcode == 0x1f || opcode == 0x20 {  // abs, neg, not
                    let s = signedValue(b & mask)
                    let r: UInt64 = opcode == 0x20 ? ~b : opcode == 0x1f ? UInt64(bitPattern: 0 &- s) : UInt64(bitPattern: s < 0 ? 0 &- s : s)
                    stack.append(r & mask)
                    continue
                }
                guard let a = stack.popLast() else { return underflow }
                let (ua, ub) = (a & mask, b & mask)
                let (sa, sb) = (signedValue(ua), signedValue(ub))
                let r: UInt64
                switch opcode {
                case 0x1a: r = ua & ub
                case 0x1b:
                    guard sb != 0 else { return .unavailable("division by zero in location expression") }
                    r = UInt64(bitPattern: sa.dividedReportingOverflow(by: sb).partialValue)
                case 0x1c: r = ua &- ub
                case 0x1d:
                    guard ub != 0 else { return .unavailable("division by zero in location expression") }
                    r = ua % ub
                case 0x1e: r = ua &* ub
                case 0x21: r = ua | ub
                case 0x22: r = ua &+ ub
                case 0x24: r = ub >= bits ? 0 : ua << ub
                case 0x25: r = ub >= bits ? 0 : ua >> ub
                case 0x26: r = UInt64(bitPattern: sa >> Int64(min(ub, 63)))
                case 0x27: r = ua ^ ub
                case 0x29: r = sa == sb ? 1 : 0
                case 0x2a: r = sa >= sb ? 1 : 0
                case 0x2b: r = sa > sb ? 1 : 0
                case 0x2c: r = sa <= sb ? 1 : 0
                case 0x2d: r = sa < sb ? 1 : 0
                default: r = sa != sb ? 1 : 0  // 0x2e ne
                }
                stack.append(r & mask)
            case .dup:
                guard let a = stack.last else { return underflow }
                stack.append(a)
            case .drop:
                guard stack.popLast() != nil else { return underflow }
            case .over:
                guard stack.count >= 2 else { return underflow }
                stack.append(stack[stack.count - 2])
            case .pick(let n):
                guard n < stack.count else { return underflow }
                stack.append(stack[stack.count - 1 - n])
            case .swap:
                guard stack.count >= 2 else { return underflow }
                stack.swapAt(stack.count - 1, stack.count - 2)
            case .rot:
                guard stack.count >= 3 else { return underflow }
                let top = stack.removeLast()
                stack.insert(top, at: stack.count - 2)
            case .deref(let size):
                guard let a = stack.popLast() else { return underflow }
                guard let v = context.readMemory(address: a & mask, size: size) else {
                    return .unavailable("cannot read memory at 0x\(String(a & mask, radix: 16))")
                }
                stack.append(v)
            case .branch(let conditional, let target):
                if conditional {
                    guard let c = stack.popLast() else { return underflow }
                    if c & mask == 0 { continue }
                }
                if target == length { i = operations.count; continue }
                guard let j = offsets.firstIndex(of: target) else { return .unavailable("branch into the middle of an operation") }
                i = j
            case .nop:
                break
            case .stackValue:
                guard let v = stack.last else { return underflow }
                guard i == operations.count else { return .unavailable("composite location (\(description))") }
                return .value(v)
            case .implicitValue(let bytes):
                guard i == operations.count else { return .unavailable("composite location (\(description))") }
                guard bytes.count <= 8 else { return .unavailable("implicit value of \(bytes.count) bytes") }
                var v: UInt64 = 0
                for (k, b) in bytes.enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
                return .value(v)
            case .notEvaluated(let name):
                return .unavailable("\(name) is not supported (\(description))")
            }
        }
        guard let top = stack.last else { return underflow }
        return .memory(top & mask)
    }

    private var underflow: EvaluatedLocation { .unavailable("location expression pops an empty stack (\(description))") }
}
