import WasmParser
import WasmTypes

/// A decoded WebAssembly module: the sections Weft needs, in index order, plus names for messages.
///
/// Decoding uses WasmKit's `WasmParser`; this type only gathers what it returns. Features that Weft
/// does not execute (SIMD, exceptions, GC, tail calls, memory64, multiple memories) are detected
/// here and reported as ``ModuleError/unsupported(feature:detail:)``.
public struct Module: Sendable {
    /// Function types by type index.
    public var types: [FunctionType] = []
    public var imports: [Import] = []
    /// Type index of each function defined in the module (not imported).
    public var functionTypeIndices: [TypeIndex] = []
    public var tables: [Table] = []
    public var memories: [Memory] = []
    public var globals: [Global] = []
    public var exports: [Export] = []
    public var start: FunctionIndex?
    public var elements: [ElementSegment] = []
    public var data: [DataSegment] = []
    public var dataCount: UInt32?
    public var codes: [Code] = []
    public var customSections: [CustomSection] = []
    /// Byte offset of the code section's payload in the module bytes (DWARF addresses are relative to it).
    public var codeSectionOffset: Int?
    /// Names from the `name` section (`func` subsection), falling back to export names.
    public var functionNames: [UInt32: String] = [:]
    /// Global names from the name section (subsection 7 of the extended name section).
    public var globalNames: [UInt32: String] = [:]
    public var moduleName: String?

    public var importedFunctionTypes: [TypeIndex] = []
    public var importedTables: [TableType] = []
    public var importedMemories: [MemoryType] = []
    public var importedGlobals: [GlobalType] = []

    public init() {}

    public var importedFunctionCount: Int { importedFunctionTypes.count }
    public var functionCount: Int { importedFunctionTypes.count + functionTypeIndices.count }
    public var tableCount: Int { importedTables.count + tables.count }
    public var memoryCount: Int { importedMemories.count + memories.count }
    public var globalCount: Int { importedGlobals.count + globals.count }

    /// The type index of function `index` (imported or defined), if it exists.
    public func functionTypeIndex(_ index: UInt32) -> TypeIndex? {
        let i = Int(index)
        if i < importedFunctionTypes.count { return importedFunctionTypes[i] }
        let d = i - importedFunctionTypes.count
        return d < functionTypeIndices.count ? functionTypeIndices[d] : nil
    }

    public func tableType(_ index: UInt32) -> TableType? {
        let i = Int(index)
        if i < importedTables.count { return importedTables[i] }
        let d = i - importedTables.count
        return d < tables.count ? tables[d].type : nil
    }

    public func memoryType(_ index: UInt32) -> MemoryType? {
        let i = Int(index)
        if i < importedMemories.count { return importedMemories[i] }
        let d = i - importedMemories.count
        return d < memories.count ? memories[d].type : nil
    }

    public func globalType(_ index: UInt32) -> GlobalType? {
        let i = Int(index)
        if i < importedGlobals.count { return importedGlobals[i] }
        let d = i - importedGlobals.count
        return d < globals.count ? globals[d].type : nil
    }

    /// A readable name for function `index`: the name section's, an export's, or `func[N]`.
    public func functionName(_ index: UInt32) -> String {
        functionNames[index] ?? "func[\(index)]"
    }
}

/// Why a module could not be loaded. Every case renders as one line.
public enum ModuleError: Error, CustomStringConvertible, Sendable {
    /// The bytes are not a well-formed module.
    case malformed(String)
    /// The module is well-formed but breaks a validation rule.
    case invalid(String)
    /// The module uses a proposal Weft does not execute.
    case unsupported(feature: String, detail: String)

    public var description: String {
        switch self {
        case .malformed(let m): return "malformed module: \(m)"
        case .invalid(let m): return "invalid module: \(m)"
        case .unsupported(let f, let d): return "unsupported feature \(f): \(d)"
        }
    }

    /// The reason text without the category prefix.
    public var reason: String {
        switch self {
        case .malformed(let m), .invalid(let m): return m
        case .unsupported(let f, let d): return "\(f): \(d)"
        }
    }
}

extension Module {
    /// Features the decoder accepts. Everything is parsed so that unsupported proposals can be named
    /// in an error instead of surfacing as an obscure decoding failure.
    public static let parsingFeatures: WasmFeatureSet = .all

    /// Decodes a binary module.
    public static func decode(_ bytes: [UInt8]) throws(ModuleError) -> Module {
        var module = Module()
        var parser = Parser(bytes: bytes, features: parsingFeatures)
        var sectionName = "header"
        do {
            while true {
                let sectionStart = parser.offset
                guard let payload = try parser.parseNext() else { break }
                switch payload {
                case .header: break
                case .customSection(let section):
                    sectionName = "custom section \"\(section.name)\""
                    module.customSections.append(section)
                case .typeSection(let groups):
                    sectionName = "type section"
                    for group in groups {
                        guard group.types.count == 1, let sub = group.types.first, sub.supertypes.isEmpty, sub.isFinal else {
                            throw ModuleError.unsupported(feature: "gc", detail: "recursive type groups or subtyping in the type section")
                        }
                        guard case .function(let ft) = sub.body else {
                            throw ModuleError.unsupported(feature: "gc", detail: "struct or array types in the type section")
                        }
                        module.types.append(ft)
                    }
                case .importSection(let imports):
                    sectionName = "import section"
                    module.imports = imports
                    for imp in imports {
                        switch imp.descriptor {
                        case .function(let t): module.importedFunctionTypes.append(t)
                        case .table(let t): module.importedTables.append(t)
                        case .memory(let m): module.importedMemories.append(m)
                        case .global(let g): module.importedGlobals.append(g)
                        case .tag:
                            throw ModuleError.unsupported(feature: "exceptions", detail: "tag import \"\(imp.module)\".\"\(imp.name)\"")
                        }
                    }
                case .functionSection(let indices):
                    sectionName = "function section"
                    module.functionTypeIndices = indices
                case .tableSection(let tables):
                    sectionName = "table section"
                    module.tables = tables
                case .memorySection(let memories):
                    sectionName = "memory section"
                    module.memories = memories
                case .globalSection(let globals):
                    sectionName = "global section"
                    module.globals = globals
                case .tagSection:
                    throw ModuleError.unsupported(feature: "exceptions", detail: "tag section")
                case .exportSection(let exports):
                    sectionName = "export section"
                    module.exports = exports
                case .startSection(let start):
                    module.start = start
                case .elementSection(let elements):
                    sectionName = "element section"
                    module.elements = elements
                case .codeSection(let codes):
                    sectionName = "code section"
                    module.codes = codes
                    // Section id (1 byte) + size LEB precede the payload; recover the payload start.
                    module.codeSectionOffset = Self.payloadStart(bytes: bytes, sectionStart: sectionStart)
                case .dataSection(let data):
                    sectionName = "data section"
                    module.data = data
                case .dataCount(let count):
                    module.dataCount = count
                }
            }
        } catch let error as ModuleError {
            throw error
        } catch let error as WasmParserError {
            throw .malformed("\(Self.cleanMessage("\(error)")) (in \(sectionName))")
        } catch {
            throw .malformed("\(error)")
        }
        guard module.functionTypeIndices.count == module.codes.count else {
            throw .malformed("function and code section have inconsistent lengths")
        }
        if let count = module.dataCount, Int(count) != module.data.count {
            throw .malformed("data count and data section have inconsistent lengths")
        }
        try module.checkSupportedFeatures()
        module.readNames()
        return module
    }

    /// Turns WasmKit's error descriptions into plain text: unwraps `Message(text: "…")`,
    /// renders `Location(line: L, column: C)` as `line L, column C`, and spells out camel-case
    /// error names such as `integerRepresentationTooLong`.
    public static func cleanMessage(_ text: String) -> String {
        var s = text
        if let r = s.range(of: "\"Message(text: \""), let end = s.range(of: "\")\"", range: r.upperBound..<s.endIndex) {
            s = String(s[..<r.lowerBound]) + String(s[r.upperBound..<end.lowerBound]) + String(s[end.upperBound...])
        }
        if let r = s.range(of: "Message(text: \""), let end = s.range(of: "\")", range: r.upperBound..<s.endIndex) {
            s = String(s[..<r.lowerBound]) + String(s[r.upperBound..<end.lowerBound]) + String(s[end.upperBound...])
        }
        while let r = s.range(of: "Location(line: ") {
            guard let end = s.range(of: ")", range: r.upperBound..<s.endIndex) else { break }
            let inner = s[r.upperBound..<end.lowerBound].replacingOccurrences(of: "column: ", with: "column ")
            s = String(s[..<r.lowerBound]) + "line " + inner + String(s[end.upperBound...])
        }
        if !s.contains(" "), s.first?.isLowercase == true {
            s = s.reduce(into: "") { out, c in
                if c.isUppercase { out += " " + c.lowercased() } else { out.append(c) }
            }
        }
        return s
    }

    private static func payloadStart(bytes: [UInt8], sectionStart: Int) -> Int {
        var i = sectionStart + 1
        while i < bytes.count, bytes[i] & 0x80 != 0 { i += 1 }
        return i + 1
    }

    /// Rejects proposals that are decoded but not executed.
    func checkSupportedFeatures() throws(ModuleError) {
        func check(_ t: ValueType, _ where_: String) throws(ModuleError) {
            switch t {
            case .v128: throw .unsupported(feature: "simd", detail: "v128 value in \(where_)")
            case .ref(let r): try checkRef(r, where_)
            default: break
            }
        }
        func checkRef(_ r: ReferenceType, _ where_: String) throws(ModuleError) {
            switch r.heapType {
            case .abstract(.funcRef), .abstract(.externRef), .concrete: break
            case .abstract(.exnRef), .abstract(.noExn):
                throw .unsupported(feature: "exceptions", detail: "exnref in \(where_)")
            case .abstract(let other):
                throw .unsupported(feature: "gc", detail: "heap type \(other) in \(where_)")
            }
        }
        for (i, t) in types.enumerated() {
            for p in t.parameters + t.results { try check(p, "type \(i)") }
        }
        for m in importedMemories + memories.map(\.type) where m.isMemory64 {
            throw .unsupported(feature: "memory64", detail: "64-bit memory")
        }
        for t in importedTables + tables.map(\.type) {
            if t.limits.isMemory64 { throw .unsupported(feature: "memory64", detail: "64-bit table") }
            try checkRef(t.elementType, "table")
        }
        for g in importedGlobals + globals.map(\.type) { try check(g.valueType, "global") }
        for (i, code) in codes.enumerated() {
            for l in code.locals { try check(l, "locals of function \(importedFunctionCount + i)") }
        }
        for e in elements { try checkRef(e.type, "element segment") }
    }

    mutating func readNames() {
        for section in customSections where section.name == "name" {
            var parser = NameSectionParser(stream: StaticByteStreamSource(bytes: section.bytes))
            guard let parsed = try? parser.parseAll() else { continue }  // a broken name section is ignored
            for entry in parsed {
                switch entry {
                case .functions(let map): functionNames.merge(map) { a, _ in a }
                case .moduleName(let name): moduleName = name
                default: break
                }
            }
            globalNames.merge(Self.globalNames(inNameSection: Array(section.bytes))) { a, _ in a }
        }
        for export in exports {
            if case .function(let index) = export.descriptor, functionNames[index] == nil {
                functionNames[index] = export.name
            }
        }
    }

    /// Reads subsection 7 (global names) of a name section; a malformed one gives what was read.
    static func globalNames(inNameSection bytes: [UInt8]) -> [UInt32: String] {
        var i = 0
        func leb() -> UInt32? {
            var result: UInt32 = 0, shift: UInt32 = 0
            while i < bytes.count, shift < 35 {
                let b = bytes[i]
                i += 1
                result |= UInt32(b & 0x7F) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
            }
            return nil
        }
        var names: [UInt32: String] = [:]
        while i < bytes.count {
            let id = bytes[i]
            i += 1
            guard let size = leb(), i + Int(size) <= bytes.count else { break }
            let end = i + Int(size)
            if id == 7, let count = leb() {
                for _ in 0..<count {
                    guard let index = leb(), let length = leb(), i + Int(length) <= end else { break }
                    names[index] = String(decoding: bytes[i..<i + Int(length)], as: UTF8.self)
                    i += Int(length)
                }
            }
            i = end
        }
        return names
    }
}
