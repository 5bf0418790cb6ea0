import WasmTypes
import WeftInterpreter
import WeftScheduler

/// `bits` (the low `width` bytes) written in print format `format`: `x` hex, `o` octal, `t`
/// binary, `u` unsigned, `d` signed, `c` a character; nil for other letters.
func formatBits(_ bits: UInt64, width: Int, format: Character) -> String? {
    let mask: UInt64 = width >= 8 ? .max : (1 << UInt64(width * 8)) - 1
    let shift = UInt64(64 - min(max(width, 1), 8) * 8)
    let signed = Int64(bitPattern: bits << shift) >> Int64(shift)
    switch format {
    case "x": return "0x" + String(bits & mask, radix: 16)
    case "o": return "0" + String(bits & mask, radix: 8)
    case "t": return String(bits & mask, radix: 2)
    case "u": return String(bits & mask)
    case "d": return String(signed)
    case "c":
        let c = UInt8(truncatingIfNeeded: bits)
        return "\(signed) '\(c >= 32 && c < 127 ? String(UnicodeScalar(c)) : "\\\(String(c, radix: 8))")'"
    default: return nil
    }
}

extension DebugSession {
    // MARK: Commands

    func printCommand(_ argument: String) throws {
        var text = argument
        var format: Character?
        if text.hasPrefix("/") {
            let parts = text.dropFirst().split(separator: " ", maxSplits: 1)
            format = parts.first?.first
            text = parts.count > 1 ? String(parts[1]) : ""
        }
        let e = try parseExpression(text)
        if let name = e.name, let variable = sourceVariable(name) {
            // A variable without a value here prints what it is (`b = <optimized out>`).
            let v = value(of: variable)
            if let problem = v.problem, v.bytes == nil {
                if problem.hasPrefix("<") { say("\(name) = \(problem)"); return }
                throw DebugError(problem)
            }
        }
        var v = try evaluate(e)
        v.bytes = try loaded(v)
        let shown = show(v, format: format)
        valueHistory.append(v)
        say("$\(valueHistory.count) = \(shown)")
    }

    /// A value as `print` shows it.
    func show(_ v: Value, format: Character?) -> String {
        guard let bytes = v.bytes else { return "?" }
        if v.hex, format == nil {
            var bits: UInt64 = 0
            for (i, b) in bytes.prefix(8).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
            return formatBits(bits, width: bytes.count, format: "x") ?? ""
        }
        return render(bytes, type: v.type, format: format)
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
                case "s": format = c
                default: throw DebugError("bad format letter '\(c)' in x/\(spec)")
                }
            }
        }
        guard count > 0, count <= 4096 else { throw DebugError("bad count \(count)") }
        let start = try addressValue(try evaluate(text), text: text.trimmed)
        lastExamine = (format, unit)
        if format == "s" {
            // NUL-terminated strings, one a line, each after the one before (gdb's x/s).
            var a = start
            for _ in 0..<count {
                guard let (chars, terminated) = cString(at: a) else { throw DebugError("cannot access memory at 0x\(String(a, radix: 16))") }
                say("0x\(String(a, radix: 16)):\t" + quotedString(chars) + (terminated ? "" : "..."))
                a &+= UInt64(chars.count + 1)
            }
            return
        }
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

    /// The bytes of the C string at `address` (at most `limit`, without the NUL), and whether
    /// its NUL was found; nil when `address` is outside memory.
    func cString(at address: UInt64, limit: Int = 200) -> (chars: [UInt8], terminated: Bool)? {
        guard let memory = program.importedMemory ?? currentExecution?.memory, address < UInt64(memory.byteCount) else { return nil }
        let n = Int(min(UInt64(limit + 1), UInt64(memory.byteCount) - address))
        guard let bytes = readMemory(address, n) else { return nil }
        if let end = bytes.firstIndex(of: 0) { return (Array(bytes[..<end]), true) }
        return (Array(bytes.prefix(limit)), false)
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
        case "c": return formatBits(bits, width: 4, format: "c") ?? ""
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
        var condition: Condition?
        if let r = text.firstRange(of: " if ") {
            // Parsed once here; each hit only evaluates it.
            let conditionText = String(text[r.upperBound...]).trimmed
            condition = Condition(text: conditionText, expression: try parseExpression(conditionText))
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
        var text = argument.trimmed
        guard !text.isEmpty else { throw DebugError("watch what? give an expression or an address (watch balance, watch 0x1234 [LENGTH])") }
        // A trailing number after an operand is a length: `watch 0x100158 8`, `watch arr[2] 4`.
        var lengthText: String?
        if let space = text.lastIndex(of: " ") {
            let last = String(text[text.index(after: space)...])
            let before = text[..<space].trimmed
            if last.allSatisfy(\.isNumber), let end = before.last, !"+-*/%&|^<>=!(~,".contains(end) {
                lengthText = last
                text = before
            }
        }
        let e = try parseExpression(text)
        let v = try evaluate(e)
        let address: UInt64
        var length = 4
        var named = ""
        if let a = v.address, !e.isNumber {
            // An object in memory (`balance`, `p->count`, `arr[2]`, `*0x100158`): its bytes.
            address = a
            length = max(v.type.byteSize ?? 4, 1)
            if !v.plain { named = " (\(text))" }
        } else if let reason = v.noAddress, !v.plain, e.name != nil || reason.hasSuffix("bit field") {
            throw DebugError("\(text) is not in memory (\(reason)); watch an address instead")
        } else {
            // A number or pointer: the address it holds.
            address = try addressValue(v, text: text)
        }
        if let lengthText {
            guard let n = Int(lengthText), n > 0, n <= 4096 else { throw DebugError("bad length \"\(lengthText)\"") }
            length = n
        }
        guard readMemory(address, length) != nil else { throw DebugError("cannot access memory at 0x\(String(address, radix: 16))") }
        let number = nextBreakpointNumber
        nextBreakpointNumber += 1
        watchpoints.append(Watchpoint(number: number, kind: kind, address: address, length: length))
        let name = kind == .write ? "Watchpoint" : kind == .read ? "Read watchpoint" : "Access watchpoint"
        say("\(name) \(number): *0x\(String(address, radix: 16)) (\(length) bytes)\(named)")
    }

}
