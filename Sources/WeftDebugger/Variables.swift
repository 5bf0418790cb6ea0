import WeftInterpreter
import WeftSource

/// A frame as DWARF location expressions see it: its wasm locals, the instance's globals,
/// and linear memory.
struct FrameContext: LocationContext {
    let locals: [TypedValue]
    let globals: [UInt64]
    let read: (UInt64, Int) -> [UInt8]?

    func wasmLocal(_ index: Int) -> UInt64? { index < locals.count ? locals[index].bits : nil }
    func wasmGlobal(_ index: Int) -> UInt64? { index < globals.count ? globals[index] : nil }
    // The register machine keeps no wasm operand stack; values that live only there are gone.
    func wasmStack(_ index: Int) -> UInt64? { nil }
    func readMemory(address: UInt64, size: Int) -> UInt64? {
        guard let bytes = read(address, size) else { return nil }
        var v: UInt64 = 0
        for (i, b) in bytes.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
}

/// A source variable's value in a frame: where it is, and its bytes.
struct VariableValue {
    var variable: SourceVariable
    /// The linear-memory address, when the variable lives in memory.
    var address: UInt64?
    /// Its bytes (little-endian), or why there are none.
    var bytes: [UInt8]?
    var problem: String?
}

extension DebugSession {
    /// The selected frame's context; without a frame (the thread exited), one with globals and
    /// memory only, which is all a global variable needs.
    func frameContext() -> FrameContext? {
        guard let e = currentExecution ?? runner.execution(of: 0) else { return nil }
        let locals = selectedFrame().map { e.locals(of: $0) } ?? []
        return FrameContext(locals: locals, globals: e.globals().map(\.value.bits), read: { [unowned self] a, n in self.readMemory(a, n) })
    }

    /// The C variable `name` in scope at the selected frame (locals first, then globals).
    func sourceVariable(_ name: String) -> SourceVariable? {
        selectedFrameVariable(name)
    }

    func value(of variable: SourceVariable) -> VariableValue {
        var result = VariableValue(variable: variable)
        guard let context = frameContext() else {
            result.problem = "no frame"
            return result
        }
        let size = variable.type?.byteSize ?? 4
        switch variable.evaluate(in: context) {
        case .memory(let address):
            result.address = address
            if let bytes = readMemory(address, max(size, 0)) { result.bytes = bytes } else { result.problem = "cannot access memory at 0x\(String(address, radix: 16))" }
        case .value(let bits):
            result.bytes = (0..<min(max(size, 1), 8)).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
        case .optimizedOut:
            result.problem = "<optimized out>"
        case .unavailable(let why):
            result.problem = "<unavailable: \(why)>"
        }
        return result
    }

    /// `NAME = value` text for `print` and `info locals`.
    func describeValue(_ v: VariableValue, format: Character? = nil) -> String {
        if let problem = v.problem { return problem }
        guard let bytes = v.bytes else { return "?" }
        return render(bytes, type: v.variable.type, format: format)
    }

    /// Bytes shown as C would: integers, floats, chars, booleans, pointers, enums; other types
    /// as their bytes.
    func render(_ bytes: [UInt8], type: SourceType?, format: Character?) -> String {
        var bits: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
        let width = bytes.count
        func signed() -> Int64 {
            guard width > 0, width < 8 else { return Int64(bitPattern: bits) }
            let shift = UInt64(64 - width * 8)
            return Int64(bitPattern: bits << shift) >> Int64(shift)
        }
        if let format, width <= 8 {
            return Value(bits: bits, kind: width <= 4 ? .i32 : .i64).formatted(format == "d" ? "d" : format)
        }
        guard let type else { return String(signed()) }
        switch type.kind {
        case .base(let encoding):
            switch encoding {
            case .signed: return String(signed())
            case .unsigned: return String(bits)
            case .float:
                return width == 4 ? "\(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))" : "\(Double(bitPattern: bits))"
            case .boolean: return bits == 0 ? "false" : "true"
            case .signedChar, .unsignedChar:
                let c = UInt8(truncatingIfNeeded: bits)
                let n = encoding == .signedChar ? signed() : Int64(c)
                return "\(n) '\(c >= 32 && c < 127 ? String(UnicodeScalar(c)) : "\\\(String(c, radix: 8))")'"
            case .other: return String(bits)
            }
        case .pointer:
            return "(\(type.name)) 0x\(String(bits, radix: 16))"
        case .enumeration(let cases):
            let v = signed()
            return cases.first { $0.value == v }?.name ?? String(v)
        default:
            return "{" + bytes.map { "0x" + (String($0, radix: 16).count == 1 ? "0" : "") + String($0, radix: 16) }.joined(separator: ", ") + "}"
        }
    }

    /// `info locals` / `info args` from DWARF; false when there is no variable information.
    func infoSourceVariables(args: Bool) throws -> Bool {
        guard let all = try selectedFrameVariables() else { return false }
        let variables = all.filter { ($0.kind == .parameter) == args }
        if variables.isEmpty { say(args ? "No arguments." : "No locals."); return true }
        for v in variables { say("\(v.name) = \(describeValue(value(of: v)))") }
        return true
    }
}
