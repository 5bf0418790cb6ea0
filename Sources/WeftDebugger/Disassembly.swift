import WasmParser
import WeftInterpreter
import WeftModule

/// Wasm instructions of a function as text close to the WebAssembly text format
/// (`i32.load offset=344 align=4`, `call deposit`), read from the module's bytes.
struct Disassembler: AnyInstructionVisitor {
    typealias VisitorError = Never
    var binaryOffset = 0
    var items: [(offset: Int, instruction: Instruction)] = []

    mutating func visit(_ instruction: Instruction) {
        items.append((binaryOffset, instruction))
    }

    /// Every instruction of `code` with its module byte offset.
    static func instructions(of code: Code) -> [(offset: Int, instruction: Instruction)] {
        var parser = ExpressionParser(code: code)
        var d = Disassembler()
        while let visit = try? parser.parse() {
            d.binaryOffset = parser.offset
            visit(visitor: &d)
        }
        return d.items
    }
}

/// First words that name a value or entity type: what follows them is joined with dots.
private let typePrefixes: Set<String> = [
    "i32", "i64", "f32", "f64", "v128", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
    "local", "global", "memory", "table", "ref", "data", "elem", "atomic",
]

/// `i32Load8S` → `i32.load8_s`, `memoryAtomicNotify` → `memory.atomic.notify`,
/// `i32AtomicRmwAdd` → `i32.atomic.rmw.add`, `brIf` → `br_if`.
func watName(_ camel: String) -> String {
    var words: [String] = []
    var current = ""
    for c in camel {
        if c.isUppercase, !current.isEmpty {
            words.append(current)
            current = ""
        }
        current.append(Character(c.lowercased()))
    }
    if !current.isEmpty { words.append(current) }
    guard let first = words.first else { return camel }
    if !typePrefixes.contains(first) { return words.joined(separator: "_") }
    var text = first
    var dotted = true
    for w in words.dropFirst() {
        text += dotted ? "." + w : "_" + w
        // After `atomic` and `rmw…` the next word is still a dotted part; otherwise the rest
        // of the name (load8_s, trunc_f32_s) joins with underscores.
        dotted = w == "atomic" || w.hasPrefix("rmw")
    }
    return text
}

extension DebugSession {
    /// One instruction as wat-like text; calls name their function.
    func watText(_ instruction: Instruction) -> String {
        var text = String(describing: instruction)
        var name: String
        var arguments = ""
        if let open = text.firstIndex(of: "(") {
            name = String(text[..<open])
            arguments = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        } else {
            name = text
        }
        // A grouped instruction (`load(WasmParser.Instruction.Load.i32Load, memarg: …)`): its
        // name is the inner case.
        if arguments.hasPrefix("WasmParser.Instruction.") {
            let inner = arguments.dropFirst("WasmParser.Instruction.".count)
            let end = inner.firstIndex(of: ",") ?? inner.endIndex
            name = String(inner[..<end].split(separator: ".").last ?? "")
            arguments = end < inner.endIndex ? String(inner[inner.index(after: end)...]) : ""
        }
        text = watName(name)
        if case .call(let index) = instruction {
            return text + " " + (compiled.sourceDescriber?.displayName(ofFunction: index) ?? compiled.module.functionName(index))
        }
        if let m = memArg(of: instruction) {
            return text + (m.memory != 0 ? " \(m.memory)" : "") + (m.offset != 0 ? " offset=\(m.offset)" : "") + " align=\(1 << m.align)"
        }
        // Other immediates: the values of `label: value` pairs.
        var values: [String] = []
        for part in arguments.split(separator: ",") {
            let v = part.split(separator: ":").last.map { $0.trimmed } ?? ""
            if !v.isEmpty, v != "empty", v.count < 40 { values.append(v.hasPrefix("WasmParser.") ? String(v.split(separator: ".").last ?? "") : v) }
        }
        return values.isEmpty ? text : text + " " + values.joined(separator: " ")
    }

    /// The memory immediate of a load, store or atomic, if it has one.
    func memArg(of instruction: Instruction) -> MemArg? {
        for child in Mirror(reflecting: instruction).children {
            if let m = child.value as? MemArg { return m }
            for inner in Mirror(reflecting: child.value).children {
                if let m = inner.value as? MemArg { return m }
            }
        }
        return nil
    }

    func disassembleCommand() throws {
        guard let frame = selectedFrame(), let f = frame.compiled, let offset = frame.moduleOffset else { throw DebugError("no function here") }
        let index = Int(f.functionIndex) - compiled.module.importedFunctionCount
        guard index >= 0, index < compiled.module.codes.count else { throw DebugError("no code for \(frame.name)") }
        let all = Disassembler.instructions(of: compiled.module.codes[index])
        guard let i = all.lastIndex(where: { $0.offset <= offset }) else { throw DebugError("no instruction here") }
        let lo = max(0, i - 10), hi = min(all.count, i + 11)
        say("Dump of \(frame.name) around 0x\(String(offset, radix: 16)):")
        var lastLine: Int?
        for k in lo..<hi {
            let (at, instruction) = all[k]
            if let loc = sourceInfo?.location(moduleOffset: at), loc.line != lastLine {
                say("  \(lastPathComponent(loc.path)):\(loc.line)")
                lastLine = loc.line
            }
            let mark = k == i ? "=>" : "  "
            say("\(mark) 0x\(String(at, radix: 16)):\t\(watText(instruction))")
        }
    }
}
