import WeftInterpreter
import WeftModule
import WeftSource

/// A code location resolved for a breakpoint or `list`.
struct ResolvedLocation {
    var addresses: [UInt]
    /// How `info breakpoints` and stop messages describe it.
    var description: String
    /// The source line, when the location came from one (or has one).
    var file: String?
    var line: Int?
}

extension DebugSession {
    /// Resolves a LOCATION: `function`, `function+0xOFF` (a module offset inside it, as
    /// backtraces print), `*0xOFF` (a module offset), `file.c:LINE`, or `LINE` in the current
    /// file.
    func resolveLocation(_ text: String) throws -> ResolvedLocation {
        let spec = text.trimmed
        guard !spec.isEmpty else { throw DebugError("no location given") }
        if spec.hasPrefix("*") {
            guard let offset = parseNumber(String(spec.dropFirst())) else { throw DebugError("bad address \"\(spec)\"") }
            return try resolveOffset(Int(offset), spec: spec)
        }
        if let colon = spec.lastIndex(of: ":"), let line = Int(spec[spec.index(after: colon)...]) {
            return try resolveLine(file: String(spec[..<colon]), line: line)
        }
        if let line = Int(spec) {
            guard let file = currentSourceFile() else { throw DebugError("no current source file for line \(line)") }
            return try resolveLine(file: file, line: line)
        }
        if let plus = spec.firstIndex(of: "+") {
            let name = String(spec[..<plus])
            guard let offset = parseNumber(String(spec[spec.index(after: plus)...])) else { throw DebugError("bad offset in \"\(spec)\"") }
            guard let f = function(named: name) else { throw DebugError("no function \"\(name)\"") }
            guard f.moduleRange.contains(Int(offset)), let a = f.codeAddress(atOrAfterModuleOffset: Int(offset)) else {
                throw DebugError("offset 0x\(String(offset, radix: 16)) is not in \(name) (module offsets 0x\(String(f.moduleRange.lowerBound, radix: 16))-0x\(String(f.moduleRange.upperBound - 1, radix: 16)), as backtraces print them)")
            }
            return ResolvedLocation(addresses: [a], description: describe(address: a))
        }
        // A function: its body, and every place it was inlined (gdb's rule).
        let inlined = (sourceInfo?.inlinedEntries(ofFunction: spec) ?? []).compactMap { offset in
            compiled.function(containingModuleOffset: offset)?.codeAddress(atOrAfterModuleOffset: offset)
        }
        guard let f = function(named: spec) else {
            guard !inlined.isEmpty else { throw DebugError("no function \"\(spec)\"") }
            return ResolvedLocation(addresses: inlined, description: spec + " (inlined)")
        }
        let a = bodyStart(of: f)
        if inlined.isEmpty { return ResolvedLocation(addresses: [a], description: describe(address: a)) }
        return ResolvedLocation(addresses: [a] + inlined, description: describe(address: a) + ", also inlined")
    }

    func resolveOffset(_ offset: Int, spec: String) throws -> ResolvedLocation {
        guard let f = compiled.function(containingModuleOffset: offset), let a = f.codeAddress(atOrAfterModuleOffset: offset) else {
            throw DebugError("no code at module offset 0x\(String(offset, radix: 16))")
        }
        return ResolvedLocation(addresses: [a], description: describe(address: a))
    }

    func resolveLine(file: String, line: Int) throws -> ResolvedLocation {
        guard let info = sourceInfo, info.hasLineTables else { throw DebugError("the module has no line tables (build it with -g)") }
        let files = info.sourceMap.files(matching: file)
        guard !files.isEmpty else { throw DebugError("no source file named \(file)") }
        guard let found = info.moduleOffsets(file: file, line: line) else { throw DebugError("no code at or after \(file):\(line)") }
        var addresses: [UInt] = []
        for offset in found.offsets {
            if let f = compiled.function(containingModuleOffset: offset), let a = f.codeAddress(atOrAfterModuleOffset: offset),
                !addresses.contains(a)
            {
                addresses.append(a)
            }
        }
        guard !addresses.isEmpty else { throw DebugError("no code at or after \(file):\(line)") }
        let name = lastPathComponent(file)
        return ResolvedLocation(addresses: addresses, description: "\(name):\(found.line)", file: file, line: found.line)
    }

    /// The function whose name (demangled display name or module name) is `name`.
    func function(named name: String) -> CompiledFunction? {
        let module = compiled.module
        for f in compiled.functions {
            let index = f.functionIndex
            if module.functionName(index) == name { return f }
            if let shown = compiled.sourceDescriber?.displayName(ofFunction: index), shown == name { return f }
        }
        if name.hasPrefix("func["), name.hasSuffix("]"), let i = UInt32(name.dropFirst(5).dropLast()) { return compiled.function(index: i) }
        return nil
    }

    /// Where a breakpoint on function `f` goes: where the line table marks the end of its
    /// prologue (its frame set up, arguments in place), else its first instruction.
    func bodyStart(of f: CompiledFunction) -> UInt {
        let instructions = f.instructions()
        guard let first = instructions.first, let last = instructions.last else { return f.entryAddress }
        if let info = sourceInfo, let end = info.prologueEnd(inModuleRange: first.moduleOffset..<last.moduleOffset + 1),
            let address = f.codeAddress(atOrAfterModuleOffset: end)
        {
            return address
        }
        return first.codeAddress
    }

    /// `name+0xOFF (file.c:12:5)` for a code address.
    func describe(address: UInt) -> String {
        for f in compiled.functions where f.contains(codeAddress: address) {
            let name = compiled.sourceDescriber?.displayName(ofFunction: f.functionIndex) ?? compiled.module.functionName(f.functionIndex)
            guard let offset = f.moduleOffset(ofCodeAddress: address) else { return name }
            let source = sourceInfo?.location(moduleOffset: offset).map { " (\($0))" } ?? ""
            return "\(name)+0x\(String(offset, radix: 16))\(source)"
        }
        return "0x\(String(address, radix: 16))"
    }

    /// The source file of the current frame, if known.
    func currentSourceFile() -> String? {
        selectedSourceFrame()?.location?.path ?? lastListedFile
    }
}

/// The file name of a path.
func lastPathComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

extension StringProtocol {
    /// Without leading and trailing blanks (spaces, tabs, line ends).
    var trimmed: String {
        var s = self[...]
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}

/// `42`, `0x2a`, `-3`.
func parseNumber(_ text: String) -> UInt64? {
    let t = text.trimmed
    if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt64(t.dropFirst(2), radix: 16) }
    if t.hasPrefix("-"), let v = Int64(t) { return UInt64(bitPattern: v) }
    return UInt64(t)
}
