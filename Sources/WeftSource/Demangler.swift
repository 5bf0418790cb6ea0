/// Readable names for mangled Rust and C++ symbols, by simple rules:
///
/// - Rust legacy symbols (`_ZN…17h<hash>E`): path components joined with `::`, `$…$` escapes
///   decoded, the hash dropped.
/// - Rust v0 symbols (`_R…`): plain paths (crate roots, nested namespaces, closures); generic
///   arguments, impl paths and back references are not decoded.
/// - C++ Itanium symbols (`_Z…`): plain and nested names, constructors, destructors, and
///   parameter lists made of builtin, pointer, reference, qualified and class types with simple
///   substitutions; anything else (templates, operators, function or array types, …) is left alone.
///
/// Whatever is not understood gives nil, so callers keep the raw name.
public enum Demangler {
    /// The demangled form of `symbol`, or nil when it is not mangled or not understood.
    public static func demangle(_ symbol: String) -> String? {
        let bytes = Array(symbol.utf8)
        var start = 0
        if bytes.starts(with: Array("__Z".utf8)) || bytes.starts(with: Array("__R".utf8)) { start = 1 }
        let s = Array(bytes[start...])
        if s.starts(with: Array("_ZN".utf8)), let rust = rustLegacy(s) { return rust }
        if s.starts(with: Array("_R".utf8)) { return rustV0(s) }
        if s.starts(with: Array("_Z".utf8)) { return itanium(s) }
        return nil
    }

    // MARK: Rust legacy

    static func rustLegacy(_ s: [UInt8]) -> String? {
        var i = 3
        var parts: [String] = []
        while i < s.count, s[i] != UInt8(ascii: "E") {
            guard let (length, next) = decimal(s, i), length > 0, next + length <= s.count else { return nil }
            parts.append(String(decoding: s[next..<next + length], as: UTF8.self))
            i = next + length
        }
        guard i == s.count - 1, let last = parts.last, isRustHash(last), parts.count >= 2 else { return nil }
        return parts.dropLast().map(decodeRustEscapes).joined(separator: "::")
    }

    static func isRustHash(_ part: String) -> Bool {
        part.count == 17 && part.first == "h" && part.dropFirst().allSatisfy { $0.isHexDigit }
    }

    /// Decodes `$LT$`-style escapes and `..` (`::`) in a legacy Rust path component.
    static func decodeRustEscapes(_ part: String) -> String {
        var p = Substring(part)
        if p.hasPrefix("_$") { p = p.dropFirst() }
        var out = ""
        while let c = p.first {
            if c == "$", let close = p.dropFirst().firstIndex(of: "$") {
                let code = p[p.index(after: p.startIndex)..<close]
                let named: [Substring: String] = [
                    "SP": "@", "BP": "*", "RF": "&", "LT": "<", "GT": ">", "LP": "(", "RP": ")", "C": ",",
                ]
                if let n = named[code] {
                    out += n
                } else if code.first == "u", let v = UInt32(code.dropFirst(), radix: 16), let scalar = Unicode.Scalar(v) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += String(p[...close])
                }
                p = p[p.index(after: close)...]
            } else if p.hasPrefix("..") {
                out += "::"
                p = p.dropFirst(2)
            } else {
                out.append(c)
                p = p.dropFirst()
            }
        }
        return out
    }

    // MARK: Rust v0

    static func rustV0(_ s: [UInt8]) -> String? {
        var i = 2
        if i < s.count, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") { return nil }  // encoding version
        guard let path = v0Path(s, &i, depth: 0) else { return nil }
        return path
    }

    static func v0Path(_ s: [UInt8], _ i: inout Int, depth: Int) -> String? {
        guard i < s.count, depth < 64 else { return nil }
        let tag = s[i]
        i += 1
        switch tag {
        case UInt8(ascii: "C"):
            return v0Identifier(s, &i)?.name
        case UInt8(ascii: "N"):
            guard i < s.count else { return nil }
            let namespace = s[i]
            i += 1
            guard let parent = v0Path(s, &i, depth: depth + 1), let (name, disambiguator) = v0Identifier(s, &i) else { return nil }
            switch namespace {
            case UInt8(ascii: "C"): return "\(parent)::{closure#\(disambiguator)}"
            case UInt8(ascii: "S"): return "\(parent)::{shim:\(name)#\(disambiguator)}"
            default:
                // Lowercase namespaces are plain items; an empty name does not add a component.
                return name.isEmpty ? parent : "\(parent)::\(name)"
            }
        default:
            return nil  // impl paths, generic arguments, back references: not decoded
        }
    }

    /// `[s<base62>_] <decimal> [_] <bytes>`; punycode (`u` prefix) is not decoded.
    static func v0Identifier(_ s: [UInt8], _ i: inout Int) -> (name: String, disambiguator: UInt64)? {
        var disambiguator: UInt64 = 0
        if i < s.count, s[i] == UInt8(ascii: "s") {
            i += 1
            guard let n = base62(s, &i) else { return nil }
            disambiguator = n &+ 1
        }
        if i < s.count, s[i] == UInt8(ascii: "u") { return nil }
        guard let (length, next) = decimal(s, i) else { return nil }
        var start = next
        if start < s.count, s[start] == UInt8(ascii: "_") { start += 1 }
        guard start + length <= s.count else { return nil }
        i = start + length
        return (String(decoding: s[start..<start + length], as: UTF8.self), disambiguator)
    }

    /// `_` is 0; otherwise base-62 digits then `_`, value + 1.
    static func base62(_ s: [UInt8], _ i: inout Int) -> UInt64? {
        var v: UInt64 = 0
        if i < s.count, s[i] == UInt8(ascii: "_") {
            i += 1
            return 0
        }
        while i < s.count, s[i] != UInt8(ascii: "_") {
            let c = s[i]
            let d: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): d = UInt64(c - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): d = UInt64(c - UInt8(ascii: "A")) + 36
            default: return nil
            }
            let (m, o1) = v.multipliedReportingOverflow(by: 62)
            let (a, o2) = m.addingReportingOverflow(d)
            guard !o1, !o2 else { return nil }
            v = a
            i += 1
        }
        guard i < s.count else { return nil }
        i += 1
        return v &+ 1
    }

    /// A decimal number at `i` (no leading zeros except `0` itself) and the index after it.
    static func decimal(_ s: [UInt8], _ i: Int) -> (Int, Int)? {
        var j = i
        var v = 0
        while j < s.count, s[j] >= UInt8(ascii: "0"), s[j] <= UInt8(ascii: "9") {
            v = v * 10 + Int(s[j] - UInt8(ascii: "0"))
            guard v < 1 << 24 else { return nil }
            j += 1
        }
        guard j > i, !(s[i] == UInt8(ascii: "0") && j > i + 1) else { return nil }
        return (v, j)
    }

    // MARK: C++ (Itanium)

    static func itanium(_ s: [UInt8]) -> String? {
        var p = Itanium(s: s, i: 2)
        guard let name = p.encodingName(), p.peek != UInt8(ascii: "I") else { return nil }  // templates: not decoded
        if p.i == s.count { return name }  // a data object: no parameters
        var params: [String] = []
        while p.i < s.count {
            guard let t = p.type(depth: 0) else { return nil }  // a parameter type this parser does not know
            params.append(t)
        }
        if params == ["void"] { params = [] }
        return "\(name)(\(params.joined(separator: ", ")))\(p.qualifiers)"
    }

    /// A small Itanium C++ ABI name parser (a subset; see ``Demangler``).
    struct Itanium {
        let s: [UInt8]
        var i: Int
        var substitutions: [String] = []
        /// cv-qualifiers of a member function (`const`), shown after the parameter list.
        var qualifiers = ""

        init(s: [UInt8], i: Int) {
            self.s = s
            self.i = i
        }

        var peek: UInt8? { i < s.count ? s[i] : nil }

        mutating func eat(_ c: Character) -> Bool {
            if peek == c.asciiValue {
                i += 1
                return true
            }
            return false
        }

        mutating func sourceName() -> String? {
            guard let (length, next) = Demangler.decimal(s, i), length > 0, next + length <= s.count else { return nil }
            i = next + length
            let name = String(decoding: s[next..<next + length], as: UTF8.self)
            return name.hasPrefix("_GLOBAL__N") ? "(anonymous namespace)" : name
        }

        /// The function's (or object's) name: `N…E`, `St<name>`, or `<name>`.
        mutating func encodingName() -> String? {
            if eat("N") {
                var q = ""
                while let c = peek, c == UInt8(ascii: "r") || c == UInt8(ascii: "V") || c == UInt8(ascii: "K") {
                    if c == UInt8(ascii: "K") { q += " const" }
                    if c == UInt8(ascii: "V") { q += " volatile" }
                    i += 1
                }
                if eat("R") { q += " &" } else if eat("O") { q += " &&" }
                guard let n = nested(isFunction: true) else { return nil }
                qualifiers = q
                return n
            }
            if eat("S") {
                guard eat("t"), let n = sourceName() else { return nil }
                return "std::" + n
            }
            if peek == UInt8(ascii: "L") { i += 1 }  // internal linkage
            return sourceName()
        }

        /// The components of a nested name up to `E`; each prefix becomes a substitution candidate
        /// (a function's own full name does not).
        mutating func nested(isFunction: Bool) -> String? {
            var parts: [String] = []
            var fromSubstitution = false  // a substitution is not a candidate again
            while !eat("E") {
                guard let c = peek else { return nil }
                if !parts.isEmpty && !fromSubstitution { substitutions.append(parts.joined(separator: "::")) }
                fromSubstitution = false
                if c == UInt8(ascii: "S") {
                    guard parts.isEmpty, let sub = substitution() else { return nil }
                    parts = [sub]
                    fromSubstitution = true
                    continue
                }
                if c == UInt8(ascii: "C") || c == UInt8(ascii: "D") {
                    guard let cls = parts.last.map(Self.unqualified) else { return nil }
                    i += 1
                    guard let k = peek, k >= UInt8(ascii: "0"), k <= UInt8(ascii: "5") else { return nil }
                    i += 1
                    parts.append(c == UInt8(ascii: "C") ? cls : "~" + cls)
                    continue
                }
                if c == UInt8(ascii: "L") { i += 1 }
                guard let n = sourceName() else { return nil }
                parts.append(n)
            }
            guard !parts.isEmpty else { return nil }
            let full = parts.joined(separator: "::")
            if !isFunction { substitutions.append(full) }
            return full
        }

        static func unqualified(_ name: String) -> String {
            let parts = name.split(separator: ":", omittingEmptySubsequences: true)
            return parts.last.map(String.init) ?? name
        }

        /// `St` (std), `S_`, `S<seq-id>_`, and the abbreviations `Sa`, `Ss`, `Sb`.
        mutating func substitution() -> String? {
            guard eat("S"), let c = peek else { return nil }
            switch c {
            case UInt8(ascii: "t"):
                i += 1
                return "std"
            case UInt8(ascii: "a"):
                i += 1
                return "std::allocator"
            case UInt8(ascii: "s"):
                i += 1
                return "std::string"
            case UInt8(ascii: "b"):
                i += 1
                return "std::basic_string"
            case UInt8(ascii: "_"):
                i += 1
                return substitutions.first
            default:
                var v = 0
                while let d = peek, d != UInt8(ascii: "_") {
                    let digit: Int
                    switch d {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(d - UInt8(ascii: "0"))
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit = Int(d - UInt8(ascii: "A")) + 10
                    default: return nil
                    }
                    v = v * 36 + digit
                    guard v < 1 << 20 else { return nil }
                    i += 1
                }
                guard eat("_"), v + 1 < substitutions.count else { return nil }
                return substitutions[v + 1]
            }
        }

        static let builtins: [UInt8: String] = [
            UInt8(ascii: "v"): "void", UInt8(ascii: "b"): "bool", UInt8(ascii: "c"): "char",
            UInt8(ascii: "a"): "signed char", UInt8(ascii: "h"): "unsigned char", UInt8(ascii: "s"): "short",
            UInt8(ascii: "t"): "unsigned short", UInt8(ascii: "i"): "int", UInt8(ascii: "j"): "unsigned int",
            UInt8(ascii: "l"): "long", UInt8(ascii: "m"): "unsigned long", UInt8(ascii: "x"): "long long",
            UInt8(ascii: "y"): "unsigned long long", UInt8(ascii: "n"): "__int128",
            UInt8(ascii: "o"): "unsigned __int128", UInt8(ascii: "f"): "float", UInt8(ascii: "d"): "double",
            UInt8(ascii: "e"): "long double", UInt8(ascii: "w"): "wchar_t", UInt8(ascii: "z"): "...",
        ]

        mutating func type(depth: Int) -> String? {
            guard let c = peek, depth < 32 else { return nil }
            if let b = Self.builtins[c] {
                i += 1
                return b
            }
            let t: String
            switch c {
            case UInt8(ascii: "P"), UInt8(ascii: "R"), UInt8(ascii: "O"):
                i += 1
                guard let inner = type(depth: depth + 1) else { return nil }
                t = inner + (c == UInt8(ascii: "P") ? "*" : c == UInt8(ascii: "R") ? "&" : "&&")
            case UInt8(ascii: "K"), UInt8(ascii: "V"):
                i += 1
                guard let inner = type(depth: depth + 1) else { return nil }
                t = inner + (c == UInt8(ascii: "K") ? " const" : " volatile")
            case UInt8(ascii: "N"):
                i += 1
                return nested(isFunction: false)
            case UInt8(ascii: "S"):
                guard let sub = substitution() else { return nil }
                if sub == "std" {  // St<name>: a std:: class
                    guard let n = sourceName() else { return nil }
                    substitutions.append("std::" + n)
                    return "std::" + n
                }
                return sub  // already a candidate
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let n = sourceName() else { return nil }
                t = n
            default:
                return nil  // templates, function types, arrays, …
            }
            substitutions.append(t)
            return t
        }
    }
}
