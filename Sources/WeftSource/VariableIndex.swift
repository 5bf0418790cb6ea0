/// The part of `.debug_info` that variables need, read on first use: scopes (functions, blocks,
/// inlined calls), variables and parameters, and types, with their parents and children.
///
/// A unit that cannot be read contributes nothing and is described in ``warnings``. Problems
/// with one variable (a bad location list, an unknown type reference) stay with that variable.
final class VariableIndex {
    struct Entry {
        /// Offset of the DIE in `.debug_info`.
        var offset: Int
        var tag: UInt64
        /// Index in ``units``.
        var unit: Int
        /// Index of the nearest kept ancestor, or -1.
        var parent: Int
        /// The attributes Weft uses.
        var values: [UInt64: DebugInfo.Value]
    }

    enum Tag {
        static let arrayType: UInt64 = 0x01
        static let classType: UInt64 = 0x02
        static let enumerationType: UInt64 = 0x04
        static let formalParameter: UInt64 = 0x05
        static let lexicalBlock: UInt64 = 0x0b
        static let member: UInt64 = 0x0d
        static let pointerType: UInt64 = 0x0f
        static let referenceType: UInt64 = 0x10
        static let structureType: UInt64 = 0x13
        static let subroutineType: UInt64 = 0x15
        static let typedef: UInt64 = 0x16
        static let unionType: UInt64 = 0x17
        static let unspecifiedParameters: UInt64 = 0x18
        static let inlinedSubroutine: UInt64 = 0x1d
        static let subrangeType: UInt64 = 0x21
        static let baseType: UInt64 = 0x24
        static let constType: UInt64 = 0x26
        static let enumerator: UInt64 = 0x28
        static let subprogram: UInt64 = 0x2e
        static let variable: UInt64 = 0x34
        static let volatileType: UInt64 = 0x35
        static let restrictType: UInt64 = 0x37
        static let namespace: UInt64 = 0x39
        static let unspecifiedType: UInt64 = 0x3b
        static let rvalueReferenceType: UInt64 = 0x42
        static let atomicType: UInt64 = 0x47
    }

    enum At {
        static let location: UInt64 = 0x02
        static let name: UInt64 = 0x03
        static let byteSize: UInt64 = 0x0b
        static let bitOffset: UInt64 = 0x0c
        static let bitSize: UInt64 = 0x0d
        static let lowPC: UInt64 = 0x11
        static let highPC: UInt64 = 0x12
        static let constValue: UInt64 = 0x1c
        static let lowerBound: UInt64 = 0x22
        static let upperBound: UInt64 = 0x2f
        static let abstractOrigin: UInt64 = 0x31
        static let count: UInt64 = 0x37
        static let dataMemberLocation: UInt64 = 0x38
        static let declFile: UInt64 = 0x3a
        static let declLine: UInt64 = 0x3b
        static let declaration: UInt64 = 0x3c
        static let encoding: UInt64 = 0x3e
        static let frameBase: UInt64 = 0x40
        static let specification: UInt64 = 0x47
        static let type: UInt64 = 0x49
        static let ranges: UInt64 = 0x55
        static let dataBitOffset: UInt64 = 0x6b
    }

    static let keptTags: Set<UInt64> = [
        Tag.arrayType, Tag.classType, Tag.enumerationType, Tag.formalParameter, Tag.lexicalBlock, Tag.pointerType,
        Tag.referenceType, Tag.structureType, Tag.subroutineType, Tag.typedef, Tag.unionType, Tag.unspecifiedParameters,
        Tag.inlinedSubroutine, Tag.subrangeType, Tag.baseType, Tag.constType, Tag.enumerator, Tag.subprogram, Tag.variable,
        Tag.volatileType, Tag.restrictType, Tag.namespace, Tag.unspecifiedType, Tag.rvalueReferenceType, Tag.atomicType,
        Tag.member,
    ]
    static let keptAttributes: Set<UInt64> = [
        At.location, At.name, At.byteSize, At.lowPC, At.highPC, At.constValue, At.lowerBound, At.upperBound,
        At.abstractOrigin, At.count, At.declFile, At.declLine, At.declaration, At.encoding, At.frameBase,
        At.specification, At.type, At.ranges, At.bitOffset, At.bitSize, At.dataMemberLocation, At.dataBitOffset,
    ]
    static let scopeTags: Set<UInt64> = [Tag.subprogram, Tag.lexicalBlock, Tag.inlinedSubroutine]

    let info: DebugInfo
    /// Line programs by their `.debug_line` offset (for declaration files).
    let programs: [Int: LineProgram]
    private(set) var units: [DebugInfo.Unit] = []
    private(set) var entries: [Entry] = []
    private var byOffset: [Int: Int] = [:]
    private var children: [Int: [Int]] = [:]
    /// Address ranges of functions with code, as (start, end, entry index).
    private var functionRanges: [(start: UInt64, end: UInt64, entry: Int)] = []
    private var typeCache: [Int: SourceType] = [:]
    /// DIEs one type resolution may still visit (bounds the work on malformed, self-referring types).
    private var typeBudget = 0
    private(set) var warnings: [String] = []

    init(info: DebugInfo, programs: [LineProgram]) {
        self.info = info
        var byStmtList: [Int: LineProgram] = [:]
        for p in programs { byStmtList[p.offset] = p }
        self.programs = byStmtList
        var cache: [UInt64: [UInt64: DebugInfo.Abbreviation]] = [:]
        let (units, sectionProblem) = DebugInfo.unitOffsets(in: info.info)
        for offset in units {
            do {
                try readUnit(at: offset, cache: &cache)
            } catch {
                warnings.append(DebugInfo.unitIgnored(at: offset, error))
            }
        }
        if let sectionProblem { warnings.append(sectionProblem) }
        for (i, e) in entries.enumerated() where e.parent >= 0 {
            children[e.parent, default: []].append(i)
        }
        for (i, e) in entries.enumerated() where e.tag == Tag.subprogram {
            for (start, end) in ranges(of: i) where SourceMap.isLive(start) && end > start {
                functionRanges.append((start, end, i))
            }
        }
    }

    /// Reads one unit's kept DIEs; adds them only when the whole unit reads.
    private func readUnit(at offset: Int, cache: inout [UInt64: [UInt64: DebugInfo.Abbreviation]]) throws(DWARFError) {
        guard let opened = try info.openUnit(at: offset, cache: &cache) else { return }
        var (unit, abbreviations, r) = opened
        let base = entries.count
        let unitIndex = units.count
        var read: [Entry] = []
        // For each open DIE with children: its entry index, or -1 when it is not kept.
        var open: [Int] = []
        var first = true
        while !r.isAtEnd {
            let dieOffset = r.offset
            let code = try r.uleb()
            if code == 0 {
                _ = open.popLast()
                continue
            }
            guard let a = abbreviations[code] else { throw DWARFError("unknown abbreviation \(code) at 0x\(String(dieOffset, radix: 16))") }
            let keep = first || Self.keptTags.contains(a.tag)
            var values: [UInt64: DebugInfo.Value] = [:]
            for attribute in a.attributes {
                let v = try info.readValue(&r, form: attribute.form, implicitConst: attribute.implicitConst, unit: unit, depth: 0)
                if keep && (first || Self.keptAttributes.contains(attribute.name)) { values[attribute.name] = v }
            }
            if first {
                first = false
                info.configure(&unit, from: values)
            }
            var index = -1
            if keep {
                index = base + read.count
                let parent = open.last { $0 >= 0 } ?? -1
                read.append(Entry(offset: dieOffset, tag: a.tag, unit: unitIndex, parent: parent, values: values))
            }
            if a.hasChildren { open.append(index) }
        }
        units.append(unit)
        for (i, e) in read.enumerated() { byOffset[e.offset] = base + i }
        entries += read
    }

    // MARK: Attributes

    private func unit(of entry: Int) -> DebugInfo.Unit { units[entries[entry].unit] }

    /// An attribute of the entry or, when it has none, of its abstract origin or specification
    /// (a few steps at most).
    private func inherited(_ attribute: UInt64, of entry: Int) -> (value: DebugInfo.Value, entry: Int)? {
        var current = entry
        for _ in 0..<8 {
            let values = entries[current].values
            if let v = values[attribute] { return (v, current) }
            guard case .reference(let o)? = values[At.abstractOrigin] ?? values[At.specification], let next = byOffset[o] else { return nil }
            current = next
        }
        return nil
    }

    private func name(of entry: Int) -> String? {
        guard let (v, e) = inherited(At.name, of: entry) else { return nil }
        return try? info.string(v, unit: unit(of: e))
    }

    private func unsigned(_ attribute: UInt64, of entry: Int) -> UInt64? {
        entries[entry].values[attribute].flatMap(info.unsignedValue)
    }

    private func flag(_ attribute: UInt64, of entry: Int) -> Bool {
        unsigned(attribute, of: entry).map { $0 != 0 } ?? false
    }

    private func ranges(of entry: Int) -> [(UInt64, UInt64)] {
        (try? info.ranges(entries[entry].values, unit: unit(of: entry))) ?? []
    }

    private func contains(_ entry: Int, _ address: UInt64) -> Bool {
        ranges(of: entry).contains { $0.0 <= address && address < $0.1 }
    }

    private func declaration(of entry: Int) -> SourceLocation? {
        guard let (lineValue, e) = inherited(At.declLine, of: entry), let line = info.unsignedValue(lineValue),
            let fileValue = entries[e].values[At.declFile], let file = info.unsignedValue(fileValue),
            let stmtList = unit(of: e).stmtList, let program = programs[stmtList],
            let path = program.file(UInt32(truncatingIfNeeded: file))?.path
        else { return nil }
        return SourceLocation(path: path, line: Int(clamping: line), column: 0)
    }

    // MARK: Locations

    /// Decodes the expression in a block value.
    private func expression(_ value: DebugInfo.Value, unit: DebugInfo.Unit) -> LocationExpression? {
        guard case .block(let start, let length) = value else { return nil }
        return expression(info.info[start..<start + length], unit: unit)
    }

    private func expression(_ bytes: ArraySlice<UInt8>, unit: DebugInfo.Unit) -> LocationExpression {
        let info = self.info
        return LocationExpression(bytes, addressSize: unit.addressSize, offsetSize: unit.is64 ? 8 : 4) { (i: UInt64) throws(DWARFError) -> UInt64 in
            try info.indexedAddress(i, unit: unit)
        }
    }

    /// The location of a variable entry: its expression, or the location-list entry covering
    /// `address` (nil address: the variable must have a single expression).
    private func location(of entry: Int, at address: UInt64?) -> (VariableLocation, LocationExpression?) {
        let unit = unit(of: entry)
        let values = entries[entry].values
        guard let value = values[At.location] else {
            if let (c, e) = inherited(At.constValue, of: entry), let x = constant(c, of: e) {
                return (x.plainLocation(), x)
            }
            return (.optimizedOut, nil)
        }
        if let x = expression(value, unit: unit) { return (x.plainLocation(), x) }
        guard let address else { return (.unsupported("location list"), nil) }
        do {
            guard let bytes = try locationListEntry(value, unit: unit, at: address) else { return (.optimizedOut, nil) }
            let x = expression(bytes, unit: unit)
            return (x.plainLocation(), x)
        } catch {
            return (.unsupported("bad location list: \(error.message)"), nil)
        }
    }

    /// A `DW_AT_const_value` as an expression giving that value.
    private func constant(_ value: DebugInfo.Value, of entry: Int) -> LocationExpression? {
        let unit = unit(of: entry)
        switch value {
        case .signed(let s): return LocationExpression(constant: UInt64(bitPattern: s), signed: true, addressSize: unit.addressSize)
        case .unsigned(let u): return LocationExpression(constant: u, signed: false, addressSize: unit.addressSize)
        case .block(let start, let length): return LocationExpression(constantBytes: Array(info.info[start..<start + length]), addressSize: unit.addressSize)
        default: return nil
        }
    }

    /// The expression bytes of the location-list entry covering `address`, or nil when none does.
    func locationListEntry(_ value: DebugInfo.Value, unit: DebugInfo.Unit, at address: UInt64) throws(DWARFError) -> ArraySlice<UInt8>? {
        if unit.version >= 5 {
            guard let section = info.loclists else { throw DWARFError("location list without .debug_loclists") }
            let offset: UInt64
            switch value {
            case .loclistx(let i):
                guard let base = unit.loclistsBase else { throw DWARFError("DW_FORM_loclistx without DW_AT_loclists_base") }
                let size = UInt64(unit.is64 ? 8 : 4)
                let (product, overflow) = i.multipliedReportingOverflow(by: size)
                guard !overflow, base <= UInt64(section.count), product <= UInt64(section.count) - base else {
                    throw DWARFError("location list index \(i) out of range")
                }
                var r = ByteReader(section, from: Int(base + product))
                offset = base &+ (try r.unsigned(size: Int(size)))
            case .sectionOffset(let o): offset = o
            default: throw DWARFError("unexpected form of DW_AT_location")
            }
            return try locationList5(section, at: offset, unit: unit, address: address)
        }
        guard let section = info.loc else { throw DWARFError("location list without .debug_loc") }
        guard case .sectionOffset(let offset) = value else { throw DWARFError("unexpected form of DW_AT_location") }
        return try locationList4(section, at: offset, unit: unit, address: address)
    }

    /// A DWARF 2–4 `.debug_loc` list: (start, end, 2-byte length, expression) entries.
    private func locationList4(_ section: [UInt8], at offset: UInt64, unit: DebugInfo.Unit, address: UInt64) throws(DWARFError) -> ArraySlice<UInt8>? {
        guard offset < UInt64(section.count) else { throw DWARFError("location list offset 0x\(String(offset, radix: 16)) outside .debug_loc") }
        var r = ByteReader(section, from: Int(offset))
        let size = unit.addressSize
        let all: UInt64 = size == 8 ? .max : 0xFFFF_FFFF
        var base = unit.baseAddress
        while true {
            let start = try r.unsigned(size: size)
            let end = try r.unsigned(size: size)
            if start == 0 && end == 0 { return nil }
            if start == all {
                base = end
                continue
            }
            let length = Int(try r.u16())
            let at = r.offset
            try r.skip(length)
            // wasm-ld marks entries of discarded functions with the -2 tombstone.
            if start >= all - 1 { continue }
            if base &+ start <= address && address < base &+ end { return section[at..<at + length] }
        }
    }

    /// A DWARF 5 `.debug_loclists` list.
    private func locationList5(_ section: [UInt8], at offset: UInt64, unit: DebugInfo.Unit, address: UInt64) throws(DWARFError) -> ArraySlice<UInt8>? {
        guard offset < UInt64(section.count) else { throw DWARFError("location list offset 0x\(String(offset, radix: 16)) outside .debug_loclists") }
        var r = ByteReader(section, from: Int(offset))
        var base = unit.baseAddress
        var fallback: ArraySlice<UInt8>?
        func expression(_ r: inout ByteReader) throws(DWARFError) -> ArraySlice<UInt8> {
            let length = try r.ulebInt()
            let at = r.offset
            try r.skip(length)
            return section[at..<at + length]
        }
        while true {
            let kind = try r.u8()
            var range: (UInt64, UInt64)?
            switch kind {
            case 0x00: return fallback  // end_of_list
            case 0x01: base = try info.indexedAddress(try r.uleb(), unit: unit)  // base_addressx
            case 0x02:  // startx_endx
                let s = try info.indexedAddress(try r.uleb(), unit: unit)
                range = (s, try info.indexedAddress(try r.uleb(), unit: unit))
            case 0x03:  // startx_length
                let s = try info.indexedAddress(try r.uleb(), unit: unit)
                range = (s, s &+ (try r.uleb()))
            case 0x04:  // offset_pair
                let s = try r.uleb()
                range = (base &+ s, base &+ (try r.uleb()))
            case 0x05: fallback = try expression(&r)  // default_location
            case 0x06: base = try r.unsigned(size: unit.addressSize)  // base_address
            case 0x07:  // start_end
                let s = try r.unsigned(size: unit.addressSize)
                range = (s, try r.unsigned(size: unit.addressSize))
            case 0x08:  // start_length
                let s = try r.unsigned(size: unit.addressSize)
                range = (s, s &+ (try r.uleb()))
            default: throw DWARFError("unknown location list entry kind \(kind)")
            }
            if let (start, end) = range {
                let bytes = try expression(&r)
                if start <= address && address < end { return bytes }
            }
        }
    }

    // MARK: Variables

    private func variable(_ entry: Int, kind: SourceVariable.Kind, at address: UInt64?, function: String?, frameBase: LocationExpression?) -> SourceVariable? {
        guard let name = name(of: entry) else { return nil }
        let (location, expression) = location(of: entry, at: address)
        return SourceVariable(
            name: name, kind: kind, type: type(of: entry), location: location,
            frameBase: frameBase.map { $0.plainLocation(asFrameBase: true) }, function: function,
            declaration: declaration(of: entry), expression: expression, frameBaseExpression: frameBase)
    }

    private var globalsCache: [SourceVariable]?

    /// Variables of compilation units and namespaces that are defined (not just declared) and named.
    func globals() -> [SourceVariable] {
        if let globalsCache { return globalsCache }
        var result: [SourceVariable] = []
        for (i, e) in entries.enumerated() where e.tag == Tag.variable && !flag(At.declaration, of: i) {
            var p = e.parent
            var isGlobal = true
            while p >= 0 {
                if Self.scopeTags.contains(entries[p].tag) {
                    isGlobal = false
                    break
                }
                p = entries[p].parent
            }
            guard isGlobal, let v = variable(i, kind: .global, at: nil, function: nil, frameBase: nil) else { continue }
            result.append(v)
        }
        globalsCache = result
        return result
    }

    /// The parameters and locals in scope at code `address`, innermost scope first.
    func variables(at address: UInt64, demangle: (String) -> String?) -> [SourceVariable] {
        variablesByFrame(at: address, demangle: demangle).flatMap { $0 }
    }

    /// The parameters and locals in scope at code `address`, one list per source frame there:
    /// the innermost inlined call's scopes first, then each enclosing inlined call's, and last
    /// the function's. Within a list, the innermost block first. Empty when no function with
    /// debug information contains the address.
    func variablesByFrame(at address: UInt64, demangle: (String) -> String?) -> [[SourceVariable]] {
        // The function: the narrowest range containing the address.
        guard
            let function = functionRanges.filter({ $0.start <= address && address < $0.end })
                .min(by: { $0.end - $0.start < $1.end - $1.start })?.entry
        else { return [] }
        var chain = [function]
        var guardSteps = 0
        while guardSteps < 256, let scope = chain.last {
            guardSteps += 1
            let inner = children[scope, default: []].first { c in
                let tag = entries[c].tag
                guard tag == Tag.lexicalBlock || tag == Tag.inlinedSubroutine else { return false }
                let values = entries[c].values
                // A block without addresses covers its whole parent.
                if values[At.lowPC] == nil && values[At.ranges] == nil { return tag == Tag.lexicalBlock }
                return contains(c, address)
            }
            guard let inner else { break }
            chain.append(inner)
        }
        let frameBase = entries[function].values[VariableIndex.At.frameBase].flatMap { expression($0, unit: unit(of: function)) }
        var result: [[SourceVariable]] = []
        var currentOwner: Int?
        for scope in chain.reversed() {
            // The function a scope belongs to: the nearest inlined call or the function itself.
            var owner = scope
            while entries[owner].tag == Tag.lexicalBlock, entries[owner].parent >= 0 { owner = entries[owner].parent }
            if owner != currentOwner {
                result.append([])
                currentOwner = owner
            }
            let functionName = info.functionName(die: entries[owner].offset, demangle: demangle)
            var members = children[scope, default: []].filter { c in
                let tag = entries[c].tag
                return (tag == Tag.variable || tag == Tag.formalParameter) && !flag(At.declaration, of: c)
            }
            // An inlined call (or an out-of-line copy of an inline function) may leave out
            // parameters and locals that have no location; its abstract origin lists them all.
            if case .reference(let o)? = entries[scope].values[At.abstractOrigin], let origin = byOffset[o] {
                var present = Set<Int>()
                for c in members {
                    if case .reference(let r)? = entries[c].values[At.abstractOrigin] { present.insert(r) }
                }
                for c in children[origin, default: []] where !present.contains(entries[c].offset) {
                    let tag = entries[c].tag
                    if (tag == Tag.variable || tag == Tag.formalParameter) && !flag(At.declaration, of: c) { members.append(c) }
                }
            }
            for c in members {
                let kind: SourceVariable.Kind = entries[c].tag == Tag.variable ? .local : .parameter
                if let v = variable(c, kind: kind, at: address, function: functionName, frameBase: frameBase) {
                    result[result.count - 1].append(v)
                }
            }
        }
        return result
    }

    // MARK: Types

    /// The type of a variable (or of a type DIE's target), through abstract origins.
    private func type(of entry: Int) -> SourceType? {
        guard let (v, _) = inherited(At.type, of: entry), case .reference(let o) = v else { return nil }
        return type(at: o)
    }

    /// The type DIE at `.debug_info` offset `offset`.
    func type(at offset: Int) -> SourceType {
        if let t = typeCache[offset] { return t }
        var truncated = false
        typeBudget = 4096
        let t = resolve(offset, depth: 0, truncated: &truncated)
        if !truncated { typeCache[offset] = t }
        return t
    }

    private static let unknown = SourceType(name: "?", byteSize: nil, kind: .other(tag: 0))

    private func resolve(_ offset: Int, depth: Int, truncated: inout Bool) -> SourceType {
        typeBudget -= 1
        guard depth < 16, typeBudget >= 0 else {
            truncated = true
            return Self.unknown
        }
        guard let i = byOffset[offset] else { return Self.unknown }
        let e = entries[i]
        let name = e.values[At.name].flatMap { try? info.string($0, unit: unit(of: i)) }
        let size = unsigned(At.byteSize, of: i).map { Int(clamping: $0) }
        func target() -> SourceType? {
            guard case .reference(let o)? = e.values[At.type] else { return nil }
            if let cached = typeCache[o] { return cached }
            return resolve(o, depth: depth + 1, truncated: &truncated)
        }
        switch e.tag {
        case Tag.baseType:
            let encoding: SourceType.BaseEncoding
            switch unsigned(At.encoding, of: i) ?? 0 {
            case 0x01, 0x07: encoding = .unsigned  // address, unsigned
            case 0x02: encoding = .boolean
            case 0x04: encoding = .float
            case 0x05: encoding = .signed
            case 0x06: encoding = .signedChar
            case 0x08, 0x10: encoding = .unsignedChar  // unsigned_char, UTF
            case let other: encoding = .other(other)
            }
            return SourceType(name: name ?? "?", byteSize: size, kind: .base(encoding))
        case Tag.pointerType, Tag.referenceType, Tag.rvalueReferenceType:
            let pointee = target()
            let marker = e.tag == Tag.pointerType ? "*" : e.tag == Tag.referenceType ? "&" : "&&"
            let text: String
            switch pointee?.kind {
            case .function?:
                // `int (int, int)` → `int (*)(int, int)`
                let n = pointee!.name
                if let paren = n.firstIndex(of: "(") {
                    text = "\(n[..<paren])(\(marker))\(n[paren...])"
                } else {
                    text = "\(n) (\(marker))"
                }
            case .array?:
                let n = pointee!.name
                if let bracket = n.firstIndex(of: "[") {
                    text = "\(n[..<bracket]) (\(marker))\(n[bracket...])"
                } else {
                    text = "\(n) \(marker)"
                }
            default:
                let n = pointee?.name ?? "void"
                text = n.hasSuffix("*") ? "\(n)\(marker)" : "\(n) \(marker)"
            }
            return SourceType(name: text, byteSize: size ?? unit(of: i).addressSize, kind: .pointer(to: pointee))
        case Tag.typedef:
            let t = target() ?? SourceType(name: "void", byteSize: nil, kind: .void)
            return SourceType(name: name ?? t.name, byteSize: t.byteSize, kind: t.kind, dieOffset: t.dieOffset)
        case Tag.constType, Tag.volatileType, Tag.restrictType, Tag.atomicType:
            let t = target() ?? SourceType(name: "void", byteSize: nil, kind: .void)
            let qualifier =
                e.tag == Tag.constType ? "const" : e.tag == Tag.volatileType ? "volatile" : e.tag == Tag.restrictType ? "restrict" : "_Atomic"
            let text: String
            if case .pointer = t.kind { text = "\(t.name)\(qualifier)" } else { text = "\(qualifier) \(t.name)" }
            return SourceType(name: text, byteSize: t.byteSize, kind: t.kind, dieOffset: t.dieOffset)
        case Tag.structureType, Tag.classType, Tag.unionType:
            let keyword = e.tag == Tag.structureType ? "struct" : e.tag == Tag.unionType ? "union" : "class"
            return SourceType(
                name: "\(keyword) \(name ?? "<anonymous>")", byteSize: size,
                kind: e.tag == Tag.unionType ? .union : .structure, dieOffset: offset)
        case Tag.enumerationType:
            var enumerators: [SourceType.Enumerator] = []
            for c in children[i, default: []] where entries[c].tag == Tag.enumerator {
                guard let n = self.name(of: c) else { continue }
                switch entries[c].values[At.constValue] {
                case .signed(let s)?: enumerators.append(.init(name: n, value: s))
                case .unsigned(let u)?: enumerators.append(.init(name: n, value: Int64(bitPattern: u)))
                default: continue
                }
            }
            return SourceType(name: "enum \(name ?? "<anonymous>")", byteSize: size ?? target()?.byteSize, kind: .enumeration(enumerators))
        case Tag.arrayType:
            let element = target()
            var counts: [Int?] = []
            for c in children[i, default: []] where entries[c].tag == Tag.subrangeType {
                if let n = unsigned(At.count, of: c) {
                    counts.append(Int(clamping: n))
                } else if let upper = unsigned(At.upperBound, of: c) {
                    let lower = unsigned(At.lowerBound, of: c) ?? 0
                    counts.append(upper >= lower && upper - lower < UInt64(Int.max) ? Int(upper - lower) + 1 : nil)
                } else {
                    counts.append(nil)
                }
            }
            if counts.isEmpty { counts = [nil] }
            let elementName = element?.name ?? "?"
            var t = element
            var suffix = ""
            for count in counts.reversed() {
                suffix = "[\(count.map(String.init) ?? "")]" + suffix
                var bytes: Int?
                if let count, let s = t?.byteSize {
                    let (p, overflow) = count.multipliedReportingOverflow(by: s)
                    bytes = overflow ? nil : p
                }
                t = SourceType(name: elementName + suffix, byteSize: bytes, kind: .array(element: t, count: count))
            }
            var result = t!
            if let size { result.byteSize = size }
            return result
        case Tag.subroutineType:
            let returns = target()?.name ?? "void"
            var parameters: [String] = []
            for c in children[i, default: []] {
                if entries[c].tag == Tag.formalParameter {
                    parameters.append(type(ofParameter: c, depth: depth, truncated: &truncated))
                } else if entries[c].tag == Tag.unspecifiedParameters {
                    parameters.append("...")
                }
            }
            return SourceType(name: "\(returns) (\(parameters.isEmpty ? "void" : parameters.joined(separator: ", ")))", byteSize: nil, kind: .function)
        case Tag.unspecifiedType:
            return SourceType(name: name ?? "void", byteSize: size, kind: .void)
        default:
            return SourceType(name: name ?? "?", byteSize: size, kind: .other(tag: e.tag))
        }
    }

    // MARK: Members

    private var memberCache: [Int: [SourceType.Member]] = [:]
    /// Defined structures and unions by tag and name, for declarations (`struct node;` in one
    /// unit, defined in another).
    private var definitions: [String: Int]?

    /// The members of the structure or union whose DIE is at `offset`, in declaration order; a
    /// declaration without members is looked up among the definitions of that name. Nil when
    /// the DIE is no structure or union, or no definition is found.
    func members(ofTypeAt offset: Int) -> [SourceType.Member]? {
        if let m = memberCache[offset] { return m }
        guard var i = byOffset[offset], [Tag.structureType, Tag.classType, Tag.unionType].contains(entries[i].tag) else { return nil }
        if flag(At.declaration, of: i) {
            guard let key = definitionKey(i), let d = definitionIndex()[key] else { return nil }
            i = d
        }
        var result: [SourceType.Member] = []
        for c in children[i, default: []] where entries[c].tag == Tag.member {
            let values = entries[c].values
            guard case .reference(let t)? = values[At.type] else { continue }
            let type = type(at: t)
            var byteOffset = 0
            switch values[At.dataMemberLocation] {
            case .block(let start, let length)?:
                // DWARF 2 style: DW_OP_plus_uconst N.
                var r = ByteReader(info.info, from: start)
                if length > 0, (try? r.u8()) == 0x23, let n = try? r.uleb() { byteOffset = Int(clamping: n) }
            case let v?: byteOffset = info.unsignedValue(v).map { Int(clamping: $0) } ?? 0
            case nil: break
            }
            var bits: (offset: Int, size: Int)?
            if let size = unsigned(At.bitSize, of: c).map({ Int(clamping: $0) }) {
                if let o = unsigned(At.dataBitOffset, of: c).map({ Int(clamping: $0) }) {
                    bits = (o, size)
                } else if let o = unsigned(At.bitOffset, of: c).map({ Int(clamping: $0) }) {
                    // DWARF 2/3: counted from the most significant bit of the storage unit.
                    let unit = (unsigned(At.byteSize, of: c).map { Int(clamping: $0) } ?? type.byteSize ?? 4) * 8
                    bits = (byteOffset * 8 + unit - o - size, size)
                } else {
                    bits = (byteOffset * 8, size)
                }
                byteOffset = bits!.offset / 8
            }
            result.append(SourceType.Member(name: name(of: c), type: type, offset: byteOffset, bits: bits))
        }
        memberCache[offset] = result
        return result
    }

    private var namedTypes: [String: Int]?

    /// The type C writes as `name`: `struct node`, `union number`, `enum color`, a typedef
    /// or a base type's name. A definition is preferred to a declaration.
    func type(named name: String) -> SourceType? {
        if namedTypes == nil {
            var d: [String: Int] = [:]
            for (i, e) in entries.enumerated() {
                let keyword: String
                switch e.tag {
                case Tag.structureType: keyword = "struct "
                case Tag.classType: keyword = "class "
                case Tag.unionType: keyword = "union "
                case Tag.enumerationType: keyword = "enum "
                case Tag.typedef, Tag.baseType: keyword = ""
                default: continue
                }
                guard let n = self.name(of: i) else { continue }
                let key = keyword + n
                if let old = d[key], !flag(At.declaration, of: old) || flag(At.declaration, of: i) { continue }
                d[key] = i
            }
            namedTypes = d
        }
        return namedTypes![name].map { type(at: entries[$0].offset) }
    }

    private func definitionKey(_ i: Int) -> String? {
        guard let n = name(of: i) else { return nil }
        return "\(entries[i].tag) \(n)"
    }

    private func definitionIndex() -> [String: Int] {
        if let definitions { return definitions }
        var d: [String: Int] = [:]
        for (i, e) in entries.enumerated() where [Tag.structureType, Tag.classType, Tag.unionType].contains(e.tag) && !flag(At.declaration, of: i) {
            if let key = definitionKey(i), d[key] == nil { d[key] = i }
        }
        definitions = d
        return d
    }

    private func type(ofParameter entry: Int, depth: Int, truncated: inout Bool) -> String {
        guard case .reference(let o)? = entries[entry].values[At.type] else { return "?" }
        return resolve(o, depth: depth + 1, truncated: &truncated).name
    }
}
