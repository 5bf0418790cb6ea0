import WasmTypes
import WeftInterpreter
import WeftScheduler

/// A value an expression evaluates to: raw bits and how to show them.
struct Value {
    enum Kind { case i32, i64, f32, f64, other }
    var bits: UInt64
    var kind: Kind
    /// Shown in hex by default (code offsets).
    var hex = false

    init(bits: UInt64, kind: Kind, hex: Bool = false) {
        self.bits = bits
        self.kind = kind
        self.hex = hex
    }

    init(_ t: TypedValue) {
        bits = t.bits
        switch t.type {
        case .i32: kind = .i32
        case .i64: kind = .i64
        case .f32: kind = .f32
        case .f64: kind = .f64
        default: kind = .other
        }
    }

    /// The value as an integer (for addresses and comparisons).
    var integer: Int64 {
        switch kind {
        case .i32: return Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .f32: return Int64(exactly: Float(bitPattern: UInt32(truncatingIfNeeded: bits)).rounded(.towardZero)) ?? 0
        case .f64: return Int64(exactly: Double(bitPattern: bits).rounded(.towardZero)) ?? 0
        default: return Int64(bitPattern: bits)
        }
    }

    var width: Int { kind == .i32 || kind == .f32 ? 4 : 8 }

    func formatted(_ format: Character?) -> String {
        switch format {
        case "x": return "0x" + String(bits & mask, radix: 16)
        case "o": return "0" + String(bits & mask, radix: 8)
        case "t": return String(bits & mask, radix: 2)
        case "u": return String(bits & mask)
        case "d": return String(integer)
        case "c":
            let c = UInt8(truncatingIfNeeded: bits)
            return "\(integer) '\(c >= 32 && c < 127 ? String(UnicodeScalar(c)) : "\\\(String(c, radix: 8))")'"
        default:
            if hex { return "0x" + String(bits & mask, radix: 16) }
            switch kind {
            case .i32, .i64, .other: return String(integer)
            case .f32: return "\(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))"
            case .f64: return "\(Double(bitPattern: bits))"
            }
        }
    }

    var mask: UInt64 { width == 4 ? 0xFFFF_FFFF : .max }

    /// The value as a linear-memory address (an i32 is unsigned 32-bit).
    var address: UInt64 { kind == .i32 ? bits & 0xFFFF_FFFF : UInt64(bitPattern: integer) }
}

extension DebugSession {
    // MARK: Expressions

    /// Evaluates a debugger expression: a number, `$localN`/`$argN` (selected frame),
    /// `$globalN` or a global's name, `$thread`, `*ADDR` (an i32 in memory), `{TYPE} ADDR`.
    func evaluate(_ text: String) throws -> Value {
        let t = text.trimmed
        guard !t.isEmpty else { throw DebugError("expected an expression") }
        if t.hasPrefix("(") && t.hasSuffix(")") { return try evaluate(String(t.dropFirst().dropLast())) }
        if let n = parseNumber(t) {
            return Value(bits: n, kind: n > UInt64(UInt32.max) && n >> 63 == 0 || t.hasPrefix("-") && Int64(bitPattern: n) < Int64(Int32.min) ? .i64 : .i32)
        }
        if t.hasPrefix("{"), let close = t.firstIndex(of: "}") {
            let type = String(t[t.index(after: t.startIndex)..<close]).trimmed
            let address = try evaluate(String(t[t.index(after: close)...]))
            return try load(type: type, at: address)
        }
        if t.hasPrefix("*") {
            return try load(type: "i32", at: try evaluate(String(t.dropFirst())))
        }
        if t.hasPrefix("$"), let n = Int(t.dropFirst()) {
            guard n >= 1, n <= valueHistory.count else { throw DebugError("history has \(valueHistory.count) values; no \(t)") }
            return valueHistory[n - 1]
        }
        if t == "$thread" || t == "$tid" { return Value(bits: UInt64(UInt32(bitPattern: currentThread)), kind: .i32) }
        if t == "$pc" {
            guard let offset = selectedFrame()?.moduleOffset else { throw DebugError("no current instruction") }
            return Value(bits: UInt64(offset), kind: .i32, hex: true)
        }
        if t.hasPrefix("$local") || t.hasPrefix("$arg") {
            let digits = t.drop { !$0.isNumber }
            guard let i = Int(digits) else { throw DebugError("bad local \"\(t)\"") }
            guard let e = currentExecution, let frame = selectedFrame() else { throw DebugError("no frame selected") }
            let locals = e.locals(of: frame)
            guard i < locals.count else { throw DebugError("\(frame.name) has \(locals.count) locals; no \(t)") }
            return Value(locals[i])
        }
        if t.hasPrefix("$global") {
            guard let i = Int(t.dropFirst(7)) else { throw DebugError("bad global \"\(t)\"") }
            let globals = currentExecution?.globals() ?? []
            guard i < globals.count else { throw DebugError("the module has \(globals.count) globals; no \(t)") }
            return Value(globals[i].value)
        }
        if t.hasPrefix("&") {
            let name = String(t.dropFirst()).trimmed
            guard let v = sourceVariable(name) else { throw DebugError("no symbol \"\(name)\" in the current context") }
            let value = self.value(of: v)
            guard let address = value.address else { throw DebugError("\(name) is not in memory (\(value.problem ?? "a wasm local or value"))") }
            return Value(bits: address, kind: .i32)
        }
        if isIdentifier(t), let v = sourceVariable(t) {
            let value = self.value(of: v)
            guard let bytes = value.bytes else { throw DebugError("\(t): \(value.problem ?? "no value")") }
            var bits: UInt64 = 0
            for (i, b) in bytes.prefix(8).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
            if bytes.count < 8, bytes.count > 0, case .base(let e)? = v.type?.kind, e == .signed || e == .signedChar {
                let shift = UInt64(64 - bytes.count * 8)
                bits = UInt64(bitPattern: Int64(bitPattern: bits << shift) >> Int64(shift))
            }
            if case .base(.float)? = v.type?.kind { return Value(bits: bits, kind: bytes.count == 4 ? .f32 : .f64) }
            return Value(bits: bits, kind: bytes.count <= 4 ? .i32 : .i64)
        }
        if let g = currentExecution?.globals().first(where: { $0.name == t }) { return Value(g.value) }
        throw DebugError("no symbol \"\(t)\" in the current context (locals are $localN, $argN; globals $globalN or their names)")
    }

    func load(type: String, at address: Value) throws -> Value {
        let a = address.address
        let (kind, width): (Value.Kind, Int)
        switch type {
        case "i8", "u8", "char": (kind, width) = (.i32, 1)
        case "i16", "u16", "short": (kind, width) = (.i32, 2)
        case "i32", "u32", "int": (kind, width) = (.i32, 4)
        case "i64", "u64", "long long": (kind, width) = (.i64, 8)
        case "f32", "float": (kind, width) = (.f32, 4)
        case "f64", "double": (kind, width) = (.f64, 8)
        default: throw DebugError("unknown type \"\(type)\" (use i8, i16, i32, i64, f32, f64)")
        }
        guard let bytes = readMemory(a, width) else { throw DebugError("cannot access memory at 0x\(String(a, radix: 16))") }
        var bits: UInt64 = 0
        for (i, b) in bytes.enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
        if type == "i8" || type == "char" { bits = UInt64(UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: bits)))) }
        if type == "i16" || type == "short" { bits = UInt64(UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: bits)))) }
        return Value(bits: bits, kind: kind)
    }

    /// A breakpoint condition: `EXPR OP EXPR` (==, !=, <, <=, >, >=) or `EXPR` (true when
    /// not zero), evaluated in thread `tid`'s innermost frame.
    func evaluateCondition(_ text: String, thread tid: Int32) throws -> Bool {
        let (savedThread, savedFrame) = (currentThread, currentFrame)
        currentThread = tid
        currentFrame = 0
        defer { (currentThread, currentFrame) = (savedThread, savedFrame) }
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if let r = text.firstRange(of: op) {
                let a = try evaluate(String(text[..<r.lowerBound])).integer
                let b = try evaluate(String(text[r.upperBound...])).integer
                switch op {
                case "==": return a == b
                case "!=": return a != b
                case "<=": return a <= b
                case ">=": return a >= b
                case "<": return a < b
                default: return a > b
                }
            }
        }
        return try evaluate(text).integer != 0
    }

    func printCommand(_ argument: String) throws {
        var text = argument
        var format: Character?
        if text.hasPrefix("/") {
            let parts = text.dropFirst().split(separator: " ", maxSplits: 1)
            format = parts.first?.first
            text = parts.count > 1 ? String(parts[1]) : ""
        }
        let t = text.trimmed
        if isIdentifier(t), let variable = sourceVariable(t) {
            let v = value(of: variable)
            if let problem = v.problem, v.bytes == nil {
                if problem.hasPrefix("<") { say("\(t) = \(problem)"); return }
                throw DebugError(problem)
            }
            valueHistory.append(try evaluate(t))
            say("$\(valueHistory.count) = \(describeValue(v, format: format))")
            return
        }
        if t.hasPrefix("&"), let variable = sourceVariable(String(t.dropFirst()).trimmed) {
            let v = try evaluate(t)
            valueHistory.append(v)
            say("$\(valueHistory.count) = (\(variable.type?.name ?? "void") *) 0x\(String(v.address, radix: 16))")
            return
        }
        let v = try evaluate(text)
        valueHistory.append(v)
        say("$\(valueHistory.count) = \(v.formatted(format))")
    }

    /// `x/NFU ADDRESS`.
    func examineCommand(_ argument: String) throws {
        var text = argument
        var count = 1
        var format: Character = lastExamine.format
        var unit = lastExamine.unit
        if text.hasPrefix("/") {
            let parts = text.dropFirst().split(separator: " ", maxSplits: 1)
            let spec = parts.first.map(String.init) ?? ""
            text = parts.count > 1 ? String(parts[1]) : ""
            let digits = spec.prefix { $0.isNumber }
            if !digits.isEmpty { count = Int(digits) ?? 1 }
            for c in spec.dropFirst(digits.count) {
                switch c {
                case "b": unit = 1
                case "h": unit = 2
                case "w": unit = 4
                case "g": unit = 8
                case "x", "d", "u", "o", "t", "a": format = c
                case "c":
                    format = c
                    if !spec.contains(where: { "bhwg".contains($0) }) { unit = 1 }
                default: throw DebugError("bad format letter '\(c)' in x/\(spec)")
                }
            }
        }
        guard count > 0, count <= 4096 else { throw DebugError("bad count \(count)") }
        let start = try evaluate(text).address
        lastExamine = (format, unit)
        let perLine = unit == 1 ? 8 : unit == 2 ? 8 : unit == 4 ? 4 : 2
        var line = ""
        for i in 0..<count {
            let a = start &+ UInt64(i * unit)
            guard let bytes = readMemory(a, unit) else {
                if !line.isEmpty { say(line) }
                throw DebugError("cannot access memory at 0x\(String(a, radix: 16))")
            }
            if i % perLine == 0 {
                if !line.isEmpty { say(line) }
                line = "0x\(String(a, radix: 16)):"
            }
            var bits: UInt64 = 0
            for (k, b) in bytes.enumerated() { bits |= UInt64(b) << (8 * UInt64(k)) }
            line += "\t" + formatUnit(bits, unit: unit, format: format)
        }
        if !line.isEmpty { say(line) }
    }

    func formatUnit(_ bits: UInt64, unit: Int, format: Character) -> String {
        let digits = unit * 2
        switch format {
        case "x", "a":
            let h = String(bits, radix: 16)
            return "0x" + String(repeating: "0", count: max(0, digits - h.count)) + h
        case "d":
            let shift = UInt64(64 - unit * 8)
            return String(Int64(bitPattern: bits << shift) >> Int64(shift))
        case "u": return String(bits)
        case "o": return "0" + String(bits, radix: 8)
        case "t":
            let b = String(bits, radix: 2)
            return String(repeating: "0", count: max(0, unit * 8 - b.count)) + b
        case "c": return Value(bits: bits, kind: .i32).formatted("c")
        default: return String(bits)
        }
    }

    /// Little-endian bytes as a number (up to 8 bytes), else as hex bytes.
    func formatValue(_ bytes: [UInt8]) -> String {
        if bytes.count <= 8, !bytes.isEmpty {
            var bits: UInt64 = 0
            for (i, b) in bytes.enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
            let shift = UInt64(64 - bytes.count * 8)
            let signed = Int64(bitPattern: bits << shift) >> Int64(shift)
            return String(signed)
        }
        return bytes.map { String($0, radix: 16) }.joined(separator: " ")
    }

    // MARK: Breakpoint commands

    func addBreakpoint(_ argument: String, temporary: Bool) throws {
        var text = argument
        var condition: String?
        if let r = text.firstRange(of: " if ") {
            condition = String(text[r.upperBound...]).trimmed
            text = String(text[..<r.lowerBound])
        }
        var thread: Int32?
        if let r = text.firstRange(of: " thread ") {
            guard let t = Int32(text[r.upperBound...].trimmed) else { throw DebugError("bad thread number in \"\(argument)\"") }
            thread = t
            text = String(text[..<r.lowerBound])
        }
        var spec = text.trimmed
        if spec.isEmpty {
            guard let frame = selectedFrame(), let offset = frame.moduleOffset else { throw DebugError("no default location: give one") }
            spec = "*0x\(String(offset, radix: 16))"
        }
        let location = try resolveLocation(spec)
        if let condition {
            // Check the expression's form now (its value is checked at each hit).
            _ = try? evaluateCondition(condition, thread: currentThread)
        }
        let number = nextBreakpointNumber
        nextBreakpointNumber += 1
        breakpoints.append(Breakpoint(number: number, spec: spec, whereText: location.description, addresses: location.addresses, thread: thread, condition: condition, temporary: temporary))
        rebuildSites()
        let places = location.addresses.count > 1 ? " (\(location.addresses.count) locations)" : ""
        say("\(temporary ? "Temporary breakpoint" : "Breakpoint") \(number) at \(location.description)\(places)")
    }

    func numbers(_ argument: String) throws -> [Int] {
        try argument.split(separator: " ").map { w in
            guard let n = Int(w) else { throw DebugError("bad breakpoint number \"\(w)\"") }
            return n
        }
    }

    func deleteCommand(_ argument: String) throws {
        let list = try numbers(argument)
        if list.isEmpty {
            breakpoints = []
            watchpoints = []
            rebuildSites()
            say("Deleted all breakpoints and watchpoints.")
            return
        }
        for n in list where !deleteBreakpoint(n) { throw DebugError("no breakpoint number \(n)") }
    }

    func enableCommand(_ argument: String, enabled: Bool) throws {
        let list = try numbers(argument)
        for i in breakpoints.indices where list.isEmpty || list.contains(breakpoints[i].number) { breakpoints[i].enabled = enabled }
        for i in watchpoints.indices where list.isEmpty || list.contains(watchpoints[i].number) { watchpoints[i].enabled = enabled }
        for n in list where !breakpoints.contains(where: { $0.number == n }) && !watchpoints.contains(where: { $0.number == n }) {
            throw DebugError("no breakpoint number \(n)")
        }
        rebuildSites()
    }

    func addWatchpoint(_ argument: String, kind: Watchpoint.Kind) throws {
        let words = argument.split(separator: " ").map(String.init)
        guard let first = words.first else { throw DebugError("watch what? give an address (watch 0x1234 [LENGTH])") }
        var addressText = first
        var length = 4
        let address: UInt64
        if isIdentifier(first), let variable = sourceVariable(first) {
            // `watch balance`: the variable's bytes.
            let v = value(of: variable)
            guard let a = v.address else { throw DebugError("\(first) is not in memory (\(v.problem ?? "a wasm local")); watch an address instead") }
            address = a
            length = max(variable.type?.byteSize ?? 4, 1)
        } else {
            if addressText.hasPrefix("*") { addressText.removeFirst() }
            address = try evaluate(addressText).address
        }
        if words.count > 1 {
            guard let n = Int(words[1]), n > 0, n <= 4096 else { throw DebugError("bad length \"\(words[1])\"") }
            length = n
        }
        guard readMemory(address, length) != nil else { throw DebugError("cannot access memory at 0x\(String(address, radix: 16))") }
        let number = nextBreakpointNumber
        nextBreakpointNumber += 1
        let named = isIdentifier(first) && sourceVariable(first) != nil ? " (\(first))" : ""
        watchpoints.append(Watchpoint(number: number, kind: kind, address: address, length: length))
        let name = kind == .write ? "Watchpoint" : kind == .read ? "Read watchpoint" : "Access watchpoint"
        say("\(name) \(number): *0x\(String(address, radix: 16)) (\(length) bytes)\(named)")
    }

}

/// A C identifier (a variable name).
func isIdentifier(_ s: String) -> Bool {
    guard let first = s.first, first == "_" || first.isLetter else { return false }
    return s.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
}
