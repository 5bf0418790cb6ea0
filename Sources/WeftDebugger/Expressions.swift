import WeftInterpreter
import WeftSource

// The syntax of debugger expressions: a tokenizer and a recursive-descent parser (precedence
// climbing for the binary operators) of the C subset a gdb user types: variables, members,
// elements, `*`, `&`, casts, integer and floating arithmetic, comparisons and `&&`/`||`.

/// A parsed expression. Parsed once (a breakpoint condition keeps its tree), evaluated by
/// ``DebugSession/evaluate(_:)-(ParsedExpression)``. A variable node remembers which variable its
/// name meant at the last code offset it was evaluated at, so evaluating a condition again at
/// the same breakpoint does not look the name up again.
final class ParsedExpression {
    indirect enum Node {
        /// An integer literal (`unsigned` with a `u` suffix).
        case integer(UInt64, unsigned: Bool)
        /// A floating-point literal.
        case real(Double)
        /// A C variable or a wasm global, by name.
        case name(String)
        /// `$pc`, `$thread`, `$N`, `$localN`, … (the text after `$`).
        case register(String)
        /// `a.b` or `a->b`.
        case member(ParsedExpression, String, arrow: Bool)
        /// `a[i]`.
        case index(ParsedExpression, ParsedExpression)
        /// `-a`, `+a`, `!a`, `~a`, `*a`, `&a`.
        case unary(String, ParsedExpression)
        /// `a OP b`.
        case binary(String, ParsedExpression, ParsedExpression)
        /// `(TYPE) a`, or with `brace` gdb's `{TYPE} a` (the TYPE at address a).
        case cast(TypeName, ParsedExpression, brace: Bool)
    }

    let node: Node
    /// For `.name`: the code offset the name was last looked up at (nil: in no frame) and
    /// the variable it named there.
    var lookup: (offset: Int?, variable: SourceVariable?)?
    /// For `.cast`: the type, once resolved.
    var castType: SourceType?

    init(_ node: Node) { self.node = node }

    /// The expression written back as C (for messages).
    var text: String {
        switch node {
        case .integer(let n, let u): return String(n) + (u ? "u" : "")
        case .real(let d): return "\(d)"
        case .name(let n): return n
        case .register(let r): return "$" + r
        case .member(let base, let name, let arrow): return base.operand + (arrow ? "->" : ".") + name
        case .index(let base, let i): return base.operand + "[" + i.text + "]"
        case .unary(let op, let e): return op + e.operand
        case .binary(let op, let a, let b): return a.text + " " + op + " " + b.text
        case .cast(let t, let e, let brace): return (brace ? "{\(t)} " : "(\(t)) ") + e.operand
        }
    }

    private var operand: String {
        switch node {
        case .binary, .cast: return "(" + text + ")"
        default: return text
        }
    }

    /// Whether it is a single name (`balance`).
    var name: String? {
        if case .name(let n) = node { return n }
        return nil
    }

    /// Whether it is a number with nothing else (`0x100158`, `-4`).
    var isNumber: Bool {
        switch node {
        case .integer, .real: return true
        case .unary(let op, let e): return (op == "-" || op == "+") && e.isNumber
        default: return false
        }
    }
}

/// A type as an expression writes it in a cast: `int`, `unsigned char`, `struct node`,
/// `counter_t`, `i16`, followed by `*`s.
struct TypeName: CustomStringConvertible {
    /// The words before the `*`s, joined by spaces (`const` and `volatile` left out).
    var base: String
    var pointers: Int

    var description: String { pointers == 0 ? base : base + " " + String(repeating: "*", count: pointers) }
}

/// A breakpoint condition: what the user typed, and its parsed form (parsed when the
/// breakpoint is set, so a hit only evaluates it).
struct Condition: CustomStringConvertible {
    var text: String
    var expression: ParsedExpression

    var description: String { text }
}

enum Token: Equatable {
    case integer(UInt64, unsigned: Bool)
    case real(Double)
    case identifier(String)
    /// `$` and what follows it (letters, digits, `$`).
    case register(String)
    case punctuation(String)
}

/// Splits an expression into tokens.
func tokenize(_ text: String) throws -> [Token] {
    let chars = Array(text.unicodeScalars)
    var tokens: [Token] = []
    var i = 0
    func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
    func isIdentifierPart(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || ("0"..."9").contains(c) }
    // Longest first.
    let operators = ["->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "(", ")", "[", "]", "{", "}", ".", "*", "&", "+", "-", "/", "%", "!", "~", "<", ">", "|", "^"]
    while i < chars.count {
        let c = chars[i]
        if c == " " || c == "\t" {
            i += 1
            continue
        }
        if ("0"..."9").contains(c) || (c == "." && i + 1 < chars.count && ("0"..."9").contains(chars[i + 1])) {
            var j = i
            while j < chars.count, isIdentifierPart(chars[j]) || chars[j] == "." { j += 1 }
            let word = String(String.UnicodeScalarView(chars[i..<j]))
            i = j
            let lower = word.lowercased()
            if lower.hasPrefix("0x") {
                let digits = lower.dropFirst(2).prefix { $0.isHexDigit }
                guard !digits.isEmpty, lower.dropFirst(2 + digits.count).allSatisfy({ "ul".contains($0) }) else { throw DebugError("invalid number \"\(word)\"") }
                guard let n = UInt64(digits, radix: 16) else { throw DebugError("number \(word) does not fit in 64 bits") }
                tokens.append(.integer(n, unsigned: lower.contains("u")))
            } else if lower.contains(".") || (lower.contains("e") && !lower.contains("x")) {
                guard let d = Double(lower.hasSuffix("f") ? String(lower.dropLast()) : lower) else { throw DebugError("invalid number \"\(word)\"") }
                tokens.append(.real(d))
            } else {
                let digits = lower.prefix { $0.isNumber }
                guard lower.dropFirst(digits.count).allSatisfy({ "ul".contains($0) }) else { throw DebugError("invalid number \"\(word)\"") }
                guard let n = UInt64(digits) else { throw DebugError("number \(word) does not fit in 64 bits") }
                tokens.append(.integer(n, unsigned: lower.contains("u")))
            }
            continue
        }
        if isIdentifierStart(c) {
            var j = i
            while j < chars.count, isIdentifierPart(chars[j]) { j += 1 }
            tokens.append(.identifier(String(String.UnicodeScalarView(chars[i..<j]))))
            i = j
            continue
        }
        if c == "$" {
            var j = i + 1
            while j < chars.count, isIdentifierPart(chars[j]) || chars[j] == "$" { j += 1 }
            tokens.append(.register(String(String.UnicodeScalarView(chars[(i + 1)..<j]))))
            i = j
            continue
        }
        let rest = String(String.UnicodeScalarView(chars[i..<min(i + 2, chars.count)]))
        guard let op = operators.first(where: { rest.hasPrefix($0) }) else { throw DebugError("invalid character '\(c)' in expression") }
        tokens.append(.punctuation(op))
        i += op.unicodeScalars.count
    }
    return tokens
}

/// Words that start a type name in a cast.
let typeKeywords: Set<String> = [
    "int", "char", "short", "long", "unsigned", "signed", "float", "double", "void", "_Bool", "bool",
    "struct", "union", "enum", "const", "volatile",
]

/// The parser. `isTypeName` says whether an identifier names a type (a typedef), which decides
/// whether `(x)` is a cast.
struct DebugExpressionParser {
    private var tokens: [Token]
    private var i = 0
    private let isTypeName: (String) -> Bool

    /// Binary operators and their precedence (higher binds tighter), as in C.
    static let precedence: [String: Int] = [
        "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, "<=": 7, ">": 7, ">=": 7,
        "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
    ]

    init(_ text: String, isTypeName: @escaping (String) -> Bool = { _ in false }) throws {
        tokens = try tokenize(text)
        self.isTypeName = isTypeName
    }

    /// The whole text as one expression.
    mutating func parse() throws -> ParsedExpression {
        guard !tokens.isEmpty else { throw DebugError("expected an expression") }
        let e = try binary(0)
        if i < tokens.count { throw DebugError("unexpected \(describe(tokens[i])) in expression") }
        return e
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case .integer(let n, _): return "number \(n)"
        case .real(let d): return "number \(d)"
        case .identifier(let s): return "\"\(s)\""
        case .register(let s): return "\"$\(s)\""
        case .punctuation(let p): return "'\(p)'"
        }
    }

    private var peek: Token? { i < tokens.count ? tokens[i] : nil }

    private mutating func take(_ p: String) -> Bool {
        if peek == .punctuation(p) {
            i += 1
            return true
        }
        return false
    }

    private mutating func expect(_ p: String) throws {
        guard take(p) else {
            throw DebugError(peek.map { "expected '\(p)' before \(describe($0))" } ?? "expected '\(p)' at the end of the expression")
        }
    }

    private mutating func binary(_ minimum: Int) throws -> ParsedExpression {
        var lhs = try unary()
        while case .punctuation(let op)? = peek, let p = Self.precedence[op], p >= minimum {
            i += 1
            let rhs = try binary(p + 1)
            lhs = ParsedExpression(.binary(op, lhs, rhs))
        }
        return lhs
    }

    private mutating func unary() throws -> ParsedExpression {
        guard let t = peek else { throw DebugError("expected an expression at the end") }
        if case .punctuation(let op) = t {
            switch op {
            case "-", "+", "!", "~", "*", "&":
                i += 1
                return ParsedExpression(.unary(op, try unary()))
            case "(" where startsType(at: i + 1):
                i += 1
                let type = try typeName()
                try expect(")")
                return ParsedExpression(.cast(type, try unary(), brace: false))
            case "{":
                i += 1
                let type = try typeName()
                try expect("}")
                return ParsedExpression(.cast(type, try unary(), brace: true))
            default: break
            }
        }
        return try postfix()
    }

    private func startsType(at k: Int) -> Bool {
        guard k < tokens.count, case .identifier(let w) = tokens[k] else { return false }
        if typeKeywords.contains(w) { return true }
        // `(counter_t) x`: a typedef name followed by `)` or `*`.
        guard k + 1 < tokens.count, tokens[k + 1] == .punctuation(")") || tokens[k + 1] == .punctuation("*") else { return false }
        return isTypeName(w)
    }

    private mutating func typeName() throws -> TypeName {
        var words: [String] = []
        while case .identifier(let w)? = peek {
            i += 1
            if w == "const" || w == "volatile" { continue }
            words.append(w)
        }
        guard !words.isEmpty else { throw DebugError("expected a type name") }
        var pointers = 0
        while take("*") { pointers += 1 }
        return TypeName(base: words.joined(separator: " "), pointers: pointers)
    }

    private mutating func postfix() throws -> ParsedExpression {
        var e = try primary()
        while true {
            if take(".") || take("->") {
                let arrow = tokens[i - 1] == .punctuation("->")
                guard case .identifier(let name)? = peek else { throw DebugError("expected a member name after '\(arrow ? "->" : ".")'") }
                i += 1
                e = ParsedExpression(.member(e, name, arrow: arrow))
            } else if take("[") {
                let index = try binary(0)
                try expect("]")
                e = ParsedExpression(.index(e, index))
            } else {
                return e
            }
        }
    }

    private mutating func primary() throws -> ParsedExpression {
        guard let t = peek else { throw DebugError("expected an expression at the end") }
        i += 1
        switch t {
        case .integer(let n, let u): return ParsedExpression(.integer(n, unsigned: u))
        case .real(let d): return ParsedExpression(.real(d))
        case .identifier(let s):
            if typeKeywords.contains(s) { throw DebugError("a type (\(s)) is not a value; casts are written (TYPE) EXPR") }
            return ParsedExpression(.name(s))
        case .register(let r): return ParsedExpression(.register(r))
        case .punctuation("("):
            let e = try binary(0)
            try expect(")")
            return e
        case .punctuation:
            throw DebugError("unexpected \(describe(t)) in expression")
        }
    }
}

// MARK: Values

/// A value an expression evaluates to: its C type, its bytes (read on demand when it lives in
/// memory) and, for something in linear memory, its address.
struct Value {
    var type: SourceType
    /// Little-endian bytes (`type.byteSize` of them); nil until read from `address`.
    var bytes: [UInt8]?
    /// Where it is in linear memory (an lvalue), or nil.
    var address: UInt64?
    /// Why it has no address (for `&`): "a wasm local or value", "a bit field".
    var noAddress: String?
    /// A number typed in, or a wasm local or global: `*` reads the 32-bit integer at it (gdb
    /// would insist on a pointer).
    var plain = false
    /// Shown in hex by default (code offsets).
    var hex = false

    /// A scalar of `type` with these bits (truncated to its size).
    init(bits: UInt64, type: SourceType, plain: Bool = false, hex: Bool = false) {
        self.type = type
        self.bytes = (0..<max(min(type.byteSize ?? 8, 8), 1)).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
        self.noAddress = "a value"
        self.plain = plain
        self.hex = hex
    }

    /// An object of `type` at `address` in linear memory.
    init(type: SourceType, address: UInt64, plain: Bool = false) {
        self.type = type
        self.address = address
        self.plain = plain
    }

    init(type: SourceType, bytes: [UInt8], address: UInt64?, noAddress: String?) {
        self.type = type
        self.bytes = bytes
        self.address = address
        self.noAddress = noAddress
    }
}

/// The C types expressions make values of (literals, wasm values, arithmetic results, casts).
enum CType {
    static let int = SourceType(name: "int", byteSize: 4, kind: .base(.signed))
    static let unsignedInt = SourceType(name: "unsigned int", byteSize: 4, kind: .base(.unsigned))
    static let longLong = SourceType(name: "long long", byteSize: 8, kind: .base(.signed))
    static let unsignedLongLong = SourceType(name: "unsigned long long", byteSize: 8, kind: .base(.unsigned))
    static let float = SourceType(name: "float", byteSize: 4, kind: .base(.float))
    static let double = SourceType(name: "double", byteSize: 8, kind: .base(.float))

    /// The integer type of `width` bytes (4 or 8) and signedness integer arithmetic yields.
    static func integer(width: Int, unsigned: Bool) -> SourceType {
        width > 4 ? (unsigned ? unsignedLongLong : longLong) : (unsigned ? unsignedInt : int)
    }

    /// A base type by its C name (`unsigned char`, `long long int`) or Weft's short names
    /// (`i8`, `u16`, `f64`).
    static func base(_ name: String) -> SourceType? {
        var words = name.split(separator: " ").map(String.init)
        var unsigned = false
        if words.first == "unsigned" || words.first == "signed" {
            unsigned = words.removeFirst() == "unsigned"
            if words.isEmpty { words = ["int"] }
        }
        if words.count > 1, words.last == "int", words.first == "short" || words.first == "long" { words.removeLast() }
        let signed: SourceType.BaseEncoding = unsigned ? .unsigned : .signed
        let prefix = unsigned ? "unsigned " : ""
        switch words.joined(separator: " ") {
        case "int": return unsigned ? unsignedInt : int
        case "char":
            return SourceType(name: unsigned ? "unsigned char" : name.hasPrefix("signed") ? "signed char" : "char", byteSize: 1, kind: .base(unsigned ? .unsignedChar : .signedChar))
        case "short": return SourceType(name: prefix + "short", byteSize: 2, kind: .base(signed))
        case "long": return SourceType(name: prefix + "long", byteSize: 4, kind: .base(signed))
        case "long long": return unsigned ? unsignedLongLong : longLong
        case "float" where !unsigned: return float
        case "double" where !unsigned: return double
        case "_Bool" where !unsigned, "bool" where !unsigned: return SourceType(name: "_Bool", byteSize: 1, kind: .base(.boolean))
        case "void" where !unsigned: return SourceType(name: "void", byteSize: nil, kind: .void)
        case "i8": return SourceType(name: "i8", byteSize: 1, kind: .base(.signed))
        case "u8": return SourceType(name: "u8", byteSize: 1, kind: .base(.unsigned))
        case "i16": return SourceType(name: "i16", byteSize: 2, kind: .base(.signed))
        case "u16": return SourceType(name: "u16", byteSize: 2, kind: .base(.unsigned))
        case "i32": return SourceType(name: "i32", byteSize: 4, kind: .base(.signed))
        case "u32": return SourceType(name: "u32", byteSize: 4, kind: .base(.unsigned))
        case "i64": return SourceType(name: "i64", byteSize: 8, kind: .base(.signed))
        case "u64": return SourceType(name: "u64", byteSize: 8, kind: .base(.unsigned))
        case "f32": return SourceType(name: "f32", byteSize: 4, kind: .base(.float))
        case "f64": return SourceType(name: "f64", byteSize: 8, kind: .base(.float))
        default: return nil
        }
    }

    /// A pointer to `t` (wasm32: 4 bytes), named as C writes it.
    static func pointer(to t: SourceType) -> SourceType {
        let n = t.name
        let text: String
        switch t.kind {
        case .function:
            if let paren = n.firstIndex(of: "(") { text = "\(n[..<paren])(*)\(n[paren...])" } else { text = "\(n) (*)" }
        case .array:
            if let bracket = n.firstIndex(of: "[") { text = "\(n[..<bracket]) (*)\(n[bracket...])" } else { text = "\(n) *" }
        default:
            text = n.hasSuffix("*") ? "\(n)*" : "\(n) *"
        }
        return SourceType(name: text, byteSize: 4, kind: .pointer(to: t))
    }
}

/// A scalar operand of arithmetic.
private enum Scalar {
    /// An integer: its value sign- or zero-extended to 64 bits, its width after C's integer
    /// promotion (4 or 8) and whether it is unsigned.
    case integer(UInt64, width: Int, unsigned: Bool)
    case real(Double, single: Bool)
    /// A pointer (or an array decayed to one): the address and the pointee.
    case pointer(UInt64, pointee: SourceType?)
}

// MARK: Evaluation

extension DebugSession {
    /// Parses `text` as an expression in the selected frame's context (which says which names
    /// are typedefs, for casts).
    func parseExpression(_ text: String) throws -> ParsedExpression {
        var parser = try DebugExpressionParser(text) { [unowned self] name in
            self.sourceVariable(name) == nil && self.sourceInfo?.type(named: name) != nil
        }
        return try parser.parse()
    }

    /// Evaluates a debugger expression in the selected frame (see docs/repl.md, Expressions).
    func evaluate(_ text: String) throws -> Value {
        try evaluate(try parseExpression(text))
    }

    func evaluate(_ e: ParsedExpression) throws -> Value {
        switch e.node {
        case .integer(let n, let unsigned):
            // As gdb types them: int, else long long, else unsigned long long (with `u`: unsigned int first).
            let type =
                unsigned
                ? (n <= UInt64(UInt32.max) ? CType.unsignedInt : CType.unsignedLongLong)
                : (n <= UInt64(Int32.max) ? CType.int : n <= UInt64(Int64.max) ? CType.longLong : CType.unsignedLongLong)
            return Value(bits: n, type: type, plain: true)
        case .real(let d):
            return Value(bits: d.bitPattern, type: CType.double, plain: true)
        case .name(let name):
            return try variable(e, name)
        case .register(let r):
            return try register(r)
        case .member(let base, let name, let arrow):
            var b = try evaluate(base)
            if arrow {
                if b.type.isAggregate { throw DebugError("\(base.text) is a \(b.type.name), not a pointer: use \(base.text).\(name)") }
                guard case .pointer(let p) = b.type.kind, p?.isAggregate == true else {
                    throw DebugError("\(base.text) is not a pointer to a structure or union (it is \(b.type.name))")
                }
                b = try dereference(b, text: base.text)
            }
            return try member(of: b, name, text: base.text)
        case .index(let base, let index):
            let b = try evaluate(base)
            guard case .integer(let i, _, _) = try scalar(try evaluate(index), text: index.text) else {
                throw DebugError("the subscript \(index.text) is not an integer")
            }
            return try element(of: b, Int64(bitPattern: i), text: base.text)
        case .unary(let op, let operand):
            let v = try evaluate(operand)
            switch op {
            case "&": return try addressOf(v, text: operand.text)
            case "*": return try dereference(v, text: operand.text)
            default: return try unary(op, v, text: operand.text)
            }
        case .binary(let op, let a, let b) where op == "&&" || op == "||":
            let left = try truth(try evaluate(a), text: a.text)
            if left == (op == "||") { return Value(bits: left ? 1 : 0, type: CType.int) }
            return Value(bits: try truth(try evaluate(b), text: b.text) ? 1 : 0, type: CType.int)
        case .binary(let op, let a, let b):
            return try binary(op, try evaluate(a), try evaluate(b), a.text, b.text)
        case .cast(let name, let operand, let brace):
            let type = try resolveType(e, name)
            let v = try evaluate(operand)
            if brace {
                if case .void = type.kind { throw DebugError("cannot read a void at \(operand.text)") }
                return Value(type: type, address: try addressValue(v, text: operand.text))
            }
            return try convert(v, to: type, text: operand.text)
        }
    }

    /// Whether a condition holds: `EXPR` not zero, evaluated in thread `tid`'s innermost frame.
    func evaluateCondition(_ condition: Condition, thread tid: Int32) throws -> Bool {
        let (savedThread, savedFrame) = (currentThread, currentFrame)
        currentThread = tid
        currentFrame = 0
        defer { (currentThread, currentFrame) = (savedThread, savedFrame) }
        return try truth(try evaluate(condition.expression), text: condition.text)
    }

    // MARK: Names

    private func variable(_ e: ParsedExpression, _ name: String) throws -> Value {
        let frame = selectedFrame()
        let offset = frame?.moduleOffset
        let variable: SourceVariable?
        if let cached = e.lookup, cached.offset == offset {
            variable = cached.variable
        } else {
            variable = sourceVariable(name)
            e.lookup = (offset, variable)
        }
        if let variable {
            let v = value(of: variable, in: frameContext(frame))
            guard let bytes = v.bytes else { throw DebugError("\(name): \(v.problem ?? "no value")") }
            let type = variable.type ?? (bytes.count <= 4 ? CType.int : CType.longLong)
            return Value(type: type, bytes: bytes, address: v.address, noAddress: v.address == nil ? "a wasm local or value" : nil)
        }
        if let g = currentExecution?.globals().first(where: { $0.name == name }) { return wasmValue(g.value) }
        throw DebugError("no symbol \"\(name)\" in the current context (locals are $localN, $argN; globals $globalN or their names)")
    }

    private func wasmValue(_ t: TypedValue) -> Value {
        switch t.type {
        case .i32: return Value(bits: t.bits, type: CType.int, plain: true)
        case .f32: return Value(bits: t.bits, type: CType.float, plain: true)
        case .f64: return Value(bits: t.bits, type: CType.double, plain: true)
        default: return Value(bits: t.bits, type: CType.longLong, plain: true)
        }
    }

    private func register(_ r: String) throws -> Value {
        let t = "$" + r
        if r.isEmpty {
            guard let last = valueHistory.last else { throw DebugError("history is empty") }
            return last
        }
        if let n = Int(r) {
            guard n >= 1, n <= valueHistory.count else { throw DebugError("history has \(valueHistory.count) values; no \(t)") }
            return valueHistory[n - 1]
        }
        if r == "thread" || r == "tid" { return Value(bits: UInt64(UInt32(bitPattern: currentThread)), type: CType.int, plain: true) }
        if r == "pc" {
            guard let offset = selectedFrame()?.moduleOffset else { throw DebugError("no current instruction") }
            return Value(bits: UInt64(offset), type: CType.int, plain: true, hex: true)
        }
        if r == "sp" {
            // The C stack pointer of wasm32 code: the `__stack_pointer` global of the thread's
            // instance (each thread has its own).
            guard let sp = currentExecution?.globals().first(where: { $0.name == "__stack_pointer" }) else {
                throw DebugError("the module has no __stack_pointer global, so no $sp")
            }
            return Value(bits: sp.value.bits, type: CType.int, plain: true, hex: true)
        }
        if r.hasPrefix("local") || r.hasPrefix("arg") {
            guard let i = Int(r.drop { !$0.isNumber }) else { throw DebugError("bad local \"\(t)\"") }
            guard let e = currentExecution, let frame = selectedFrame() else { throw DebugError("no frame selected") }
            let locals = e.locals(of: frame)
            guard i < locals.count else { throw DebugError("\(frame.name) has \(locals.count) locals; no \(t)") }
            return wasmValue(locals[i])
        }
        if r.hasPrefix("global") {
            guard let i = Int(r.dropFirst(6)) else { throw DebugError("bad global \"\(t)\"") }
            let globals = currentExecution?.globals() ?? []
            guard i < globals.count else { throw DebugError("the module has \(globals.count) globals; no \(t)") }
            return wasmValue(globals[i].value)
        }
        throw DebugError("unknown register \(t) (there are $pc, $sp, $thread, $N, $localN, $argN, $globalN)")
    }

    private func resolveType(_ e: ParsedExpression, _ name: TypeName) throws -> SourceType {
        if let t = e.castType { return t }
        guard var t = CType.base(name.base) ?? sourceInfo?.type(named: name.base) else { throw DebugError("no type named \"\(name.base)\"") }
        for _ in 0..<name.pointers { t = CType.pointer(to: t) }
        e.castType = t
        return t
    }

    // MARK: Memory

    /// The value's bytes, read from memory when it has not been read yet.
    func loaded(_ v: Value) throws -> [UInt8] {
        if let b = v.bytes { return b }
        guard let a = v.address else { throw DebugError("no value") }
        guard let size = v.type.byteSize else { throw DebugError("\(v.type.name) has no known size") }
        guard size <= 1 << 24 else { throw DebugError("\(v.type.name) is too large to read (\(size) bytes)") }
        guard let bytes = readMemory(a, size) else { throw DebugError("cannot access memory at 0x\(String(a, radix: 16))") }
        return bytes
    }

    /// The address a value stands for (for `x`, `watch` and `{TYPE}`): a pointer's or an
    /// integer's value (32-bit unsigned), an array's or structure's place in memory.
    func addressValue(_ v: Value, text: String) throws -> UInt64 {
        switch v.type.kind {
        case .array, .structure, .union:
            guard let a = v.address else { throw DebugError("\(text) is not in memory (\(v.noAddress ?? "a value"))") }
            return a
        default:
            switch try scalar(v, text: text) {
            case .integer(let n, let width, _): return width <= 4 ? n & 0xFFFF_FFFF : n
            case .pointer(let a, _): return a
            case .real: throw DebugError("\(text) is a floating-point number, not an address")
            }
        }
    }

    private func addressOf(_ v: Value, text: String) throws -> Value {
        guard let a = v.address else { throw DebugError("\(text) is not in memory (\(v.noAddress ?? "a value"))") }
        return Value(bits: a, type: CType.pointer(to: v.type))
    }

    private func dereference(_ v: Value, text: String) throws -> Value {
        switch v.type.kind {
        case .pointer(let pointee):
            guard let pointee, pointee.byteSize != nil || pointee.isAggregate else {
                throw DebugError("cannot take contents of \(text): it is \(v.type.name); cast it first, as in *(int *) \(text)")
            }
            if case .function = pointee.kind { throw DebugError("cannot take contents of \(text): it points to code (\(v.type.name))") }
            guard case .pointer(let a, _) = try scalar(v, text: text) else { throw DebugError("\(text) is not a pointer") }
            return Value(type: pointee, address: a)
        case .array:
            return try element(of: v, 0, text: text)
        default:
            if v.plain, case .integer(let n, let width, _) = try scalar(v, text: text) {
                return Value(type: CType.int, address: width <= 4 ? n & 0xFFFF_FFFF : n, plain: true)
            }
            throw DebugError("cannot take contents of \(text): it is \(v.type.name), not a pointer")
        }
    }

    private func member(of v: Value, _ name: String, text: String) throws -> Value {
        guard v.type.isAggregate else { throw DebugError("\(text) is not a structure or union (it is \(v.type.name)), so it has no member \(name)") }
        guard let members = sourceInfo?.members(of: v.type) else { throw DebugError("the debug information does not describe the members of \(v.type.name)") }
        guard let m = findMember(name, in: members) else { throw DebugError("there is no member named \(name) in \(v.type.name)") }
        if let bits = m.bits {
            let bytes = try loaded(v)
            var n: UInt64 = 0
            for k in 0..<min(bits.size, 64) {
                let bit = bits.offset + k
                guard bit / 8 < bytes.count else { throw DebugError("bit field \(name) lies outside \(v.type.name)") }
                n |= UInt64((bytes[bit / 8] >> UInt8(bit % 8)) & 1) << UInt64(k)
            }
            if bits.size > 0, bits.size < 64, isSigned(m.type), n >> UInt64(bits.size - 1) & 1 == 1 { n |= ~0 << UInt64(bits.size) }
            var r = Value(bits: n, type: m.type)
            r.noAddress = "\(name) is a bit field"
            return r
        }
        let size = m.type.byteSize ?? 0
        var r: Value
        if let a = v.address {
            r = Value(type: m.type, address: a &+ UInt64(m.offset))
            if let b = v.bytes, m.offset + size <= b.count { r.bytes = Array(b[m.offset..<m.offset + size]) }
        } else {
            let b = try loaded(v)
            guard m.offset + size <= b.count else { throw DebugError("member \(name) lies outside \(text)") }
            r = Value(type: m.type, bytes: Array(b[m.offset..<m.offset + size]), address: nil, noAddress: v.noAddress)
        }
        return r
    }

    /// Member `name`, also among the members of anonymous structures and unions in `members`
    /// (with offsets from the outer start).
    private func findMember(_ name: String, in members: [SourceType.Member]) -> SourceType.Member? {
        if let m = members.first(where: { $0.name == name }) { return m }
        for m in members where m.name == nil && m.type.isAggregate {
            guard let inner = sourceInfo?.members(of: m.type), var found = findMember(name, in: inner) else { continue }
            found.offset += m.offset
            if let b = found.bits { found.bits = (b.offset + 8 * m.offset, b.size) }
            return found
        }
        return nil
    }

    private func element(of v: Value, _ i: Int64, text: String) throws -> Value {
        let element: SourceType
        let base: UInt64?
        switch v.type.kind {
        case .array(let e, _):
            guard let e else { throw DebugError("the elements of \(text) have no known type") }
            element = e
            base = v.address
        case .pointer(let p):
            guard let p else { throw DebugError("cannot subscript \(text): it is \(v.type.name); cast it first") }
            element = p
            guard case .pointer(let a, _) = try scalar(v, text: text) else { throw DebugError("\(text) is not a pointer") }
            base = a
        default:
            throw DebugError("cannot subscript \(text): it is \(v.type.name), not an array or pointer")
        }
        guard let size = element.byteSize, size > 0 else { throw DebugError("the elements of \(text) (\(element.name)) have no known size") }
        let (offset, overflow) = i.multipliedReportingOverflow(by: Int64(size))
        guard !overflow else { throw DebugError("index \(i) is out of range") }
        if let base {
            var a = base &+ UInt64(bitPattern: offset)
            if v.type.byteSize ?? 4 <= 4 || base <= 0xFFFF_FFFF { a &= 0xFFFF_FFFF }
            return Value(type: element, address: a)
        }
        let b = try loaded(v)
        guard offset >= 0, Int(offset) + size <= b.count else { throw DebugError("index \(i) is outside \(text) (\(v.type.name)), which is not in memory") }
        return Value(type: element, bytes: Array(b[Int(offset)..<Int(offset) + size]), address: nil, noAddress: v.noAddress)
    }

    // MARK: Arithmetic

    private func isSigned(_ t: SourceType) -> Bool {
        switch t.kind {
        case .base(.signed), .base(.signedChar), .enumeration: return true
        default: return false
        }
    }

    private func scalar(_ v: Value, text: String) throws -> Scalar {
        switch v.type.kind {
        case .array(let element, _):
            guard let a = v.address else { throw DebugError("\(text) is an array that is not in memory") }
            return .pointer(a, pointee: element)
        case .structure, .union, .void, .function, .other:
            throw DebugError("\(text) is \(v.type.name), not a number")
        default: break
        }
        let bytes = try loaded(v)
        var bits: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
        let width = min(max(bytes.count, 1), 8)
        switch v.type.kind {
        case .pointer(let p): return .pointer(bits, pointee: p)
        case .base(.float):
            return width == 4 ? .real(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))), single: true) : .real(Double(bitPattern: bits), single: false)
        case .base(.other(let code)): throw DebugError("\(text) has a base type Weft cannot compute with (DW_ATE 0x\(String(code, radix: 16)))")
        default:
            if isSigned(v.type), width < 8 {
                let shift = UInt64(64 - width * 8)
                bits = UInt64(bitPattern: Int64(bitPattern: bits << shift) >> Int64(shift))
            }
            // C's integer promotion: anything narrower than int becomes int.
            let unsigned = !isSigned(v.type) && width >= 4
            return .integer(bits, width: width > 4 ? 8 : 4, unsigned: unsigned)
        }
    }

    private func truth(_ v: Value, text: String) throws -> Bool {
        switch try scalar(v, text: text) {
        case .integer(let n, let width, _): return (width <= 4 ? n & 0xFFFF_FFFF : n) != 0
        case .real(let d, _): return d != 0
        case .pointer(let a, _): return a != 0
        }
    }

    private func integerValue(_ n: UInt64, width: Int, unsigned: Bool, plain: Bool = false) -> Value {
        Value(bits: n, type: CType.integer(width: width, unsigned: unsigned), plain: plain)
    }

    private func realValue(_ d: Double, single: Bool) -> Value {
        single ? Value(bits: UInt64(Float(d).bitPattern), type: CType.float) : Value(bits: d.bitPattern, type: CType.double)
    }

    private func unary(_ op: String, _ v: Value, text: String) throws -> Value {
        let s = try scalar(v, text: text)
        switch (op, s) {
        case ("!", _): return Value(bits: try truth(v, text: text) ? 0 : 1, type: CType.int)
        case ("-", .integer(let n, let w, let u)): return integerValue(0 &- n, width: w, unsigned: u, plain: v.plain)
        case ("+", .integer(let n, let w, let u)): return integerValue(n, width: w, unsigned: u, plain: v.plain)
        case ("~", .integer(let n, let w, let u)): return integerValue(~n, width: w, unsigned: u, plain: v.plain)
        case ("-", .real(let d, let single)): return realValue(-d, single: single)
        case ("+", .real(let d, let single)): return realValue(d, single: single)
        default: throw DebugError("cannot apply \(op) to \(text) (\(v.type.name))")
        }
    }

    private func binary(_ op: String, _ a: Value, _ b: Value, _ aText: String, _ bText: String) throws -> Value {
        let x = try scalar(a, text: aText)
        let y = try scalar(b, text: bText)
        let plain = a.plain && b.plain
        let comparison = ["==", "!=", "<", "<=", ">", ">="].contains(op)
        func compare<T: Comparable>(_ l: T, _ r: T) -> Value {
            let holds: Bool
            switch op {
            case "==": holds = l == r
            case "!=": holds = l != r
            case "<": holds = l < r
            case "<=": holds = l <= r
            case ">": holds = l > r
            default: holds = l >= r
            }
            return Value(bits: holds ? 1 : 0, type: CType.int)
        }
        func invalid() -> DebugError { DebugError("invalid operands to \(op): \(aText) (\(a.type.name)) and \(bText) (\(b.type.name))") }
        func size(_ p: SourceType?) -> UInt64 { UInt64(max(p?.byteSize ?? 1, 1)) }
        switch (x, y) {
        case (.pointer(let p, let pt), .integer(let n, _, _)) where op == "+" || op == "-":
            let step = n &* size(pt)
            return Value(bits: (op == "+" ? p &+ step : p &- step) & 0xFFFF_FFFF, type: CType.pointer(to: pt ?? CType.base("void")!))
        case (.integer(let n, _, _), .pointer(let p, let pt)) where op == "+":
            return Value(bits: (p &+ n &* size(pt)) & 0xFFFF_FFFF, type: CType.pointer(to: pt ?? CType.base("void")!))
        case (.pointer(let p, let pt), .pointer(let q, _)) where op == "-":
            return Value(bits: UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: p &- q)) / Int64(size(pt))), type: CType.int)
        case (.pointer(let p, _), .pointer(let q, _)) where comparison: return compare(p, q)
        case (.pointer(let p, _), .integer(let n, _, _)) where comparison: return compare(p, n & 0xFFFF_FFFF)
        case (.integer(let n, _, _), .pointer(let p, _)) where comparison: return compare(n & 0xFFFF_FFFF, p)
        case (.pointer, _), (_, .pointer): throw invalid()
        case (.real, _), (_, .real):
            func double(_ s: Scalar) -> (Double, Bool) {
                switch s {
                case .real(let d, let single): return (d, single)
                case .integer(let n, _, let u): return (u ? Double(n) : Double(Int64(bitPattern: n)), true)
                case .pointer(let p, _): return (Double(p), true)
                }
            }
            let (l, ls) = double(x)
            let (r, rs) = double(y)
            let single = ls && rs
            if comparison { return compare(l, r) }
            switch op {
            case "+": return realValue(l + r, single: single)
            case "-": return realValue(l - r, single: single)
            case "*": return realValue(l * r, single: single)
            case "/": return realValue(l / r, single: single)
            default: throw invalid()
            }
        case (.integer(let l0, let lw, let lu), .integer(let r0, let rw, let ru)):
            // C's usual arithmetic conversions on int, unsigned int, long long, unsigned long long.
            let width = max(lw, rw)
            let unsigned = width == 4 ? lu || ru : (lw == 8 && lu) || (rw == 8 && ru)
            let mask: UInt64 = width == 4 ? 0xFFFF_FFFF : .max
            func extend(_ n: UInt64) -> UInt64 {
                width == 4 && !unsigned ? UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: n))) : n & mask
            }
            let (l, r) = (extend(l0), extend(r0))
            if op == "<<" || op == ">>" {
                // The result has the promoted left operand's type.
                let shift = Int64(bitPattern: extend(r0))
                guard shift >= 0, shift < Int64(lw * 8) else { throw DebugError("shift count \(shift) is out of range for \(aText)") }
                let value = op == "<<" ? l0 << UInt64(shift) : lu ? (l0 & (lw == 4 ? 0xFFFF_FFFF : .max)) >> UInt64(shift) : UInt64(bitPattern: Int64(bitPattern: l0) >> shift)
                return integerValue(value, width: lw, unsigned: lu, plain: plain)
            }
            if comparison { return unsigned ? compare(l, r) : compare(Int64(bitPattern: l), Int64(bitPattern: r)) }
            let result: UInt64
            switch op {
            case "+": result = l &+ r
            case "-": result = l &- r
            case "*": result = l &* r
            case "/", "%":
                guard r & mask != 0 else { throw DebugError("division by zero") }
                if unsigned {
                    result = op == "/" ? l / r : l % r
                } else {
                    let (sl, sr) = (Int64(bitPattern: l), Int64(bitPattern: r))
                    result = UInt64(bitPattern: op == "/" ? sl.dividedReportingOverflow(by: sr).partialValue : sl.remainderReportingOverflow(dividingBy: sr).partialValue)
                }
            case "&": result = l & r
            case "|": result = l | r
            case "^": result = l ^ r
            default: throw invalid()
            }
            return integerValue(result, width: width, unsigned: unsigned, plain: plain)
        }
    }

    /// `(TYPE) v`: integers, floats, enums and pointers convert to one another; a structure,
    /// union or array only to its own type.
    private func convert(_ v: Value, to type: SourceType, text: String) throws -> Value {
        switch type.kind {
        case .base(.float):
            let d: Double
            switch try scalar(v, text: text) {
            case .real(let r, _): d = r
            case .integer(let n, _, let u): d = u ? Double(n) : Double(Int64(bitPattern: n))
            case .pointer: throw DebugError("cannot cast \(text) (\(v.type.name)) to \(type.name)")
            }
            let bits = type.byteSize == 4 ? UInt64(Float(d).bitPattern) : d.bitPattern
            return Value(bits: bits, type: type)
        case .base(.boolean):
            return Value(bits: try truth(v, text: text) ? 1 : 0, type: type)
        case .base, .enumeration, .pointer:
            let n: UInt64
            switch try scalar(v, text: text) {
            case .integer(let i, _, _): n = i
            case .pointer(let p, _): n = p
            case .real(let d, _):
                guard case .pointer = type.kind, d.isFinite else {
                    n = d.isFinite ? UInt64(bitPattern: Int64(max(min(d, 9.2e18), -9.2e18))) : 0
                    break
                }
                throw DebugError("cannot cast \(text) (a floating-point number) to \(type.name)")
            }
            return Value(bits: n, type: type)
        default:
            if type.name == v.type.name { return v }
            throw DebugError("cannot cast \(text) (\(v.type.name)) to \(type.name)")
        }
    }
}
