import WeftInterpreter
import WeftSource

/// A frame as DWARF location expressions see it: its wasm locals, the instance's globals,
/// and linear memory.
struct FrameContext: LocationContext {
    let locals: [TypedValue]
    /// The instance's globals, read only when a location asks for one.
    let globals: () -> [UInt64]
    let read: (UInt64, Int) -> [UInt8]?

    func wasmLocal(_ index: Int) -> UInt64? { index < locals.count ? locals[index].bits : nil }
    func wasmGlobal(_ index: Int) -> UInt64? {
        let all = globals()
        return index < all.count ? all[index] : nil
    }
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
        frameContext(selectedFrame())
    }

    /// The context of `frame` (of the current thread), or of no frame.
    func frameContext(_ frame: StackFrame?) -> FrameContext? {
        guard let e = currentExecution ?? runner.execution(of: 0) else { return nil }
        let locals = frame.map { e.locals(of: $0) } ?? []
        return FrameContext(locals: locals, globals: { e.globals().map(\.value.bits) }, read: { [unowned self] a, n in self.readMemory(a, n) })
    }

    /// The C variable `name` in scope at the selected frame (locals first, then globals).
    func sourceVariable(_ name: String) -> SourceVariable? {
        selectedFrameVariable(name)
    }

    func value(of variable: SourceVariable) -> VariableValue {
        value(of: variable, in: frameContext())
    }

    func value(of variable: SourceVariable, in context: FrameContext?) -> VariableValue {
        var result = VariableValue(variable: variable)
        guard let context else {
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

    /// Bytes shown as C would: integers, floats, chars, booleans, pointers, enums; structures
    /// and unions as `{x = 1, y = 2}`, arrays as `{1, 2, 3}` (char arrays as strings). Types
    /// whose layout is unknown show their bytes. A format applies to each scalar inside.
    func render(_ bytes: [UInt8], type: SourceType?, format: Character?) -> String {
        var bits: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
        let width = bytes.count
        func signed() -> Int64 {
            guard width > 0, width < 8 else { return Int64(bitPattern: bits) }
            let shift = UInt64(64 - width * 8)
            return Int64(bitPattern: bits << shift) >> Int64(shift)
        }
        if let type, type.isAggregate, let members = sourceInfo?.members(of: type) {
            return renderMembers(bytes, members: members, format: format)
        }
        if let type, case .array(let element?, let count?) = type.kind, let size = element.byteSize, size > 0, count * size <= bytes.count {
            return renderArray(bytes, element: element, count: count, format: format)
        }
        if let format, width <= 8, width > 0 {
            if format == "d", case .base(.float)? = type?.kind {
                let d = width == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits)
                return d.isFinite ? String(Int64(max(min(d, 9.2e18), -9.2e18))) : "\(d)"
            }
            if let text = formatBits(bits, width: width, format: format) { return text }
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
        case .pointer(let pointee):
            // A char pointer also shows its string, as gdb does: `0x100170 "traces/bank.wasm"`.
            if let pointee, case .base(let e) = pointee.kind, e == .signedChar || e == .unsignedChar, pointee.byteSize == 1 {
                guard bits != 0 else { return "0x0" }
                guard let (chars, terminated) = cString(at: bits) else { return "0x\(String(bits, radix: 16)) <error: cannot access memory at 0x\(String(bits, radix: 16))>" }
                return "0x\(String(bits, radix: 16)) " + quotedString(chars) + (terminated ? "" : "...")
            }
            return "(\(type.name)) 0x\(String(bits, radix: 16))"
        case .enumeration(let cases):
            let v = signed()
            return cases.first { $0.value == v }?.name ?? String(v)
        default:
            return "{" + bytes.map { "0x" + (String($0, radix: 16).count == 1 ? "0" : "") + String($0, radix: 16) }.joined(separator: ", ") + "}"
        }
    }

    /// `{count = 2, waiting = 0, gen = 1}`; anonymous members show their members in braces.
    private func renderMembers(_ bytes: [UInt8], members: [SourceType.Member], format: Character?) -> String {
        var parts: [String] = []
        for m in members {
            let text: String
            if let bits = m.bits {
                var n: UInt64 = 0
                for k in 0..<min(bits.size, 64) where (bits.offset + k) / 8 < bytes.count {
                    let bit = bits.offset + k
                    n |= UInt64((bytes[bit / 8] >> UInt8(bit % 8)) & 1) << UInt64(k)
                }
                switch m.type.kind {
                case .base(.signed), .base(.signedChar), .enumeration:
                    if bits.size > 0, bits.size < 64, n >> UInt64(bits.size - 1) & 1 == 1 { n |= ~0 << UInt64(bits.size) }
                default: break
                }
                let size = max(min(m.type.byteSize ?? 4, 8), 1)
                text = render((0..<size).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) }, type: m.type, format: format)
            } else {
                let size = m.type.byteSize ?? 0
                guard m.offset >= 0, m.offset + size <= bytes.count else {
                    parts.append("\(m.name.map { "\($0) = " } ?? "")<outside the value>")
                    continue
                }
                text = render(Array(bytes[m.offset..<m.offset + size]), type: m.type, format: format)
            }
            parts.append(m.name.map { "\($0) = \(text)" } ?? text)
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// `{1, 2, 3}`, with runs of 10 or more equal elements as `0 <repeats 16 times>` and at most
    /// 200 elements; `char` arrays as a string (gdb's way).
    private func renderArray(_ bytes: [UInt8], element: SourceType, count: Int, format: Character?) -> String {
        let size = element.byteSize ?? 1
        let limit = 200
        if format == nil, size == 1, case .base(let e) = element.kind, e == .signedChar || e == .unsignedChar {
            return renderString(Array(bytes.prefix(count)), limit: limit)
        }
        var parts: [String] = []
        var i = 0
        while i < count, i < limit {
            let piece = Array(bytes[i * size..<(i + 1) * size])
            var run = 1
            while i + run < count, Array(bytes[(i + run) * size..<(i + run + 1) * size]) == piece { run += 1 }
            let text = render(piece, type: element, format: format)
            if run >= 10 {
                parts.append("\(text) <repeats \(run) times>")
                i += run
            } else {
                parts.append(text)
                i += 1
            }
        }
        return "{" + parts.joined(separator: ", ") + (i < count ? "..." : "") + "}"
    }

    /// A C string's characters quoted as gdb quotes them (no terminator of its own).
    func quotedString(_ chars: [UInt8]) -> String {
        renderString(chars + [0], limit: 200)
    }

    /// A char array: `"box\000\000\000\000"` (the last NUL is the terminator, as gdb shows it),
    /// runs of 10 or more equal characters as `'\000' <repeats 15 times>`.
    private func renderString(_ chars: [UInt8], limit: Int) -> String {
        var chars = chars
        if chars.last == 0 { chars.removeLast() }
        func escaped(_ c: UInt8, quote: Character) -> String {
            switch c {
            case 0x5C: return "\\\\"
            case 0x0A: return "\\n"
            case 0x09: return "\\t"
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                return Character(UnicodeScalar(c)) == quote ? "\\" + String(UnicodeScalar(c)) : String(UnicodeScalar(c))
            case 32..<127: return String(UnicodeScalar(c))
            default:
                let o = String(c, radix: 8)
                return "\\" + String(repeating: "0", count: 3 - o.count) + o
            }
        }
        var parts: [String] = []
        var quoted = ""
        var i = 0
        while i < chars.count, i < limit {
            var run = 1
            while i + run < chars.count, chars[i + run] == chars[i] { run += 1 }
            if run >= 10 {
                if !quoted.isEmpty { parts.append("\"" + quoted + "\""); quoted = "" }
                parts.append("'\(escaped(chars[i], quote: "'"))' <repeats \(run) times>")
                i += run
            } else {
                quoted += escaped(chars[i], quote: "\"")
                i += 1
            }
        }
        if !quoted.isEmpty || parts.isEmpty { parts.append("\"" + quoted + "\"") }
        return parts.joined(separator: ", ") + (i < chars.count ? "..." : "")
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

// MARK: Types

extension DebugSession {
    /// `whatis EXPR` (or a type name): the type as C writes it. `ptype` also spells out
    /// structures, unions and enums.
    func typeCommand(_ argument: String, expand: Bool) throws {
        let text = argument.trimmed
        guard !text.isEmpty else { throw DebugError("\(expand ? "ptype" : "whatis") what? give an expression or a type name") }
        let type: SourceType
        if let named = typeNamed(text) {
            type = named
        } else if let first = text.split(separator: " ").first, typeKeywords.contains(String(first)) {
            throw DebugError("no type named \"\(text)\"")
        } else {
            type = try evaluate(text).type
        }
        say("type = " + (expand ? describeType(type) : type.name))
    }

    /// A type written as in a cast (`struct node *`, `unsigned int`, `shape_t`), or nil.
    private func typeNamed(_ text: String) -> SourceType? {
        var base = text
        var pointers = 0
        while base.hasSuffix("*") {
            base = String(base.dropLast()).trimmed
            pointers += 1
        }
        let words = base.split(separator: " ").filter { $0 != "const" && $0 != "volatile" }.joined(separator: " ")
        guard !words.isEmpty, var t = CType.base(words) ?? sourceInfo?.type(named: words) else { return nil }
        // A name that is both a variable and a type (rare in C) is the variable.
        if pointers == 0, !words.contains(" "), CType.base(words) == nil, sourceVariable(words) != nil { return nil }
        for _ in 0..<pointers { t = CType.pointer(to: t) }
        return t
    }

    /// The type with the structure, union or enum inside it written out (gdb's `ptype`).
    func describeType(_ type: SourceType, indent: String = "") -> String {
        // The structure, union or enum under pointers and arrays, and what wraps it.
        var inner = type
        while true {
            if case .pointer(let p?) = inner.kind, p.isAggregate || isEnum(p) || p.pointee != nil || isArray(p) {
                inner = p
            } else if case .array(let e?, _) = inner.kind {
                inner = e
            } else {
                break
            }
        }
        guard inner.isAggregate || isEnum(inner) else { return type.name }
        var body = ""
        switch inner.kind {
        case .enumeration(let cases):
            var next: Int64 = 0
            let items = cases.map { c -> String in
                defer { next = c.value &+ 1 }
                return c.value == next ? c.name : "\(c.name) = \(c.value)"
            }
            body = "{" + items.joined(separator: ", ") + "}"
        default:
            guard let members = sourceInfo?.members(of: inner) else { return type.name }
            body = "{\n"
            for m in members {
                var line: String
                if m.type.name.contains("<anonymous>") {
                    // An unnamed structure or union is written out where it is used.
                    let written = describeType(m.type, indent: indent + "    ")
                    line = m.name.map { declaration(written, $0) } ?? written
                } else {
                    line = m.name.map { declaration(m.type.name, $0) } ?? m.type.name
                }
                if let bits = m.bits { line += " : \(bits.size)" }
                body += indent + "    " + line + ";\n"
            }
            body += indent + "}"
        }
        // `struct node` + ` {...}` + what wraps it (` *`, ` [3]`).
        var head = inner.name
        var wrapper = ""
        if type.name.hasPrefix(inner.name) {
            wrapper = String(type.name.dropFirst(inner.name.count))
        }
        if head.hasSuffix(" <anonymous>") { head = String(head.dropLast(12)) }
        if !head.hasPrefix("struct ") && !head.hasPrefix("union ") && !head.hasPrefix("enum ") && !head.hasPrefix("class ") {
            // A typedef: its keyword, as gdb shows the type it names.
            switch inner.kind {
            case .union: head = "union"
            case .enumeration: head = "enum"
            default: head = "struct"
            }
        }
        return head + " " + body + (wrapper.isEmpty ? "" : wrapper.hasPrefix("[") ? " " + wrapper : wrapper)
    }

    private func isEnum(_ t: SourceType) -> Bool {
        if case .enumeration = t.kind { return true }
        return false
    }

    private func isArray(_ t: SourceType) -> Bool {
        if case .array = t.kind { return true }
        return false
    }

    /// `int value`, `struct node *next`, `char name[8]`, `int (*fn)(int)`.
    func declaration(_ typeName: String, _ name: String) -> String {
        if let r = typeName.range(of: "(*)") { return typeName.replacingCharacters(in: r, with: "(*\(name))") }
        if let bracket = typeName.firstIndex(of: "["), !typeName.contains("}") {
            let head = typeName[..<bracket]
            return head + (head.hasSuffix("*") ? "" : " ") + name + typeName[bracket...]
        }
        if let bracket = typeName.lastIndex(of: "["), typeName.contains("}") {
            return typeName[..<bracket].trimmed + " " + name + typeName[bracket...]
        }
        return typeName + (typeName.hasSuffix("*") ? "" : " ") + name
    }
}
