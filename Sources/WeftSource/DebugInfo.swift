/// What Weft reads from `.debug_info` (DWARF 2–5): each compilation unit's directory and line
/// table, the address ranges of functions (`DW_TAG_subprogram`) and of inlined calls
/// (`DW_TAG_inlined_subroutine`, with their call sites), so a code address can be expanded into
/// the chain of source functions it belongs to. It also keeps the sections and unit reading that
/// ``VariableIndex`` uses for variables.
///
/// Units that cannot be read are skipped with a warning; other DIEs are skipped by their forms.
struct DebugInfo {
    /// `DW_AT_stmt_list` → `DW_AT_comp_dir` of each compilation unit.
    var compilationDirectories: [Int: String] = [:]
    var warnings: [String] = []
    /// Concrete functions (with code), by address range.
    var functions: [FunctionRange] = []
    /// Inlined calls, by address range.
    var inlines: [InlineRange] = []
    /// Names of subprogram DIEs by their `.debug_info` offset (for abstract origins / specifications).
    var names: [Int: NameRecord] = [:]

    struct FunctionRange {
        var start: UInt64
        var end: UInt64
        var die: Int
    }

    struct InlineRange {
        var start: UInt64
        var end: UInt64
        /// Number of enclosing inlined calls (0 = inlined directly into the function).
        var depth: Int
        /// The DIE of the inlined call (its name comes from its abstract origin).
        var die: Int
        var callFile: UInt64?
        var callLine: Int
        var callColumn: Int
        var stmtList: Int?
        /// The call site's file path, filled in by ``resolveCallFiles(using:)``.
        var callPath: String?
    }

    /// A DIE's name-related attributes, resolved lazily.
    struct NameRecord {
        var name: String?
        var linkageName: String?
        /// `DW_AT_abstract_origin` or `DW_AT_specification`, as a `.debug_info` offset.
        var origin: Int?
    }

    // Tags and attributes used here (DWARF 5, section 7.5).
    enum Tag {
        static let compileUnit: UInt64 = 0x11
        static let inlinedSubroutine: UInt64 = 0x1d
        static let subprogram: UInt64 = 0x2e
        static let partialUnit: UInt64 = 0x3c
        static let skeletonUnit: UInt64 = 0x4a
    }

    enum At {
        static let name: UInt64 = 0x03
        static let stmtList: UInt64 = 0x10
        static let lowPC: UInt64 = 0x11
        static let highPC: UInt64 = 0x12
        static let compDir: UInt64 = 0x1b
        static let abstractOrigin: UInt64 = 0x31
        static let specification: UInt64 = 0x47
        static let ranges: UInt64 = 0x55
        static let callColumn: UInt64 = 0x57
        static let callFile: UInt64 = 0x58
        static let callLine: UInt64 = 0x59
        static let linkageName: UInt64 = 0x6e
        static let mipsLinkageName: UInt64 = 0x2007
        static let strOffsetsBase: UInt64 = 0x72
        static let addrBase: UInt64 = 0x73
        static let rnglistsBase: UInt64 = 0x74
        static let loclistsBase: UInt64 = 0x8c
    }

    struct Abbreviation {
        var tag: UInt64
        var hasChildren: Bool
        var attributes: [(name: UInt64, form: UInt64, implicitConst: Int64)]
    }

    /// An attribute value as read, before strings, addresses and ranges are resolved.
    enum Value {
        case unsigned(UInt64)
        case signed(Int64)
        case inlineString(Int)
        case strp(UInt64)
        case lineStrp(UInt64)
        case strx(UInt64)
        case address(UInt64)
        case addrx(UInt64)
        case reference(Int)
        case sectionOffset(UInt64)
        case rnglistx(UInt64)
        case loclistx(UInt64)
        /// An `exprloc` or `block*` value: its bytes are `info[start..<start + length]`.
        case block(start: Int, length: Int)
        case other
    }

    /// Per-unit context for resolving values.
    struct Unit {
        var offset: Int
        var version: UInt16
        var is64: Bool
        var addressSize: Int
        var strOffsetsBase: UInt64?
        var addrBase: UInt64?
        var rnglistsBase: UInt64?
        var loclistsBase: UInt64?
        var baseAddress: UInt64 = 0
        var stmtList: Int?
    }

    let info: [UInt8]
    let abbrev: [UInt8]
    let strings: DebugStrings
    let strOffsets: [UInt8]?
    let addr: [UInt8]?
    let rangesSection: [UInt8]?
    let rnglists: [UInt8]?
    /// Location lists: `.debug_loc` (DWARF 2–4) and `.debug_loclists` (DWARF 5).
    let loc: [UInt8]?
    let loclists: [UInt8]?

    init(
        info: [UInt8], abbrev: [UInt8], strings: DebugStrings, strOffsets: [UInt8]?, addr: [UInt8]?,
        ranges: [UInt8]?, rnglists: [UInt8]?, loc: [UInt8]? = nil, loclists: [UInt8]? = nil
    ) {
        self.info = info
        self.abbrev = abbrev
        self.strings = strings
        self.strOffsets = strOffsets
        self.addr = addr
        self.rangesSection = ranges
        self.rnglists = rnglists
        self.loc = loc
        self.loclists = loclists
        var abbrevCache: [UInt64: [UInt64: Abbreviation]] = [:]
        let (units, sectionProblem) = Self.unitOffsets(in: info)
        for offset in units {
            do {
                try readUnit(at: offset, cache: &abbrevCache)
            } catch {
                warnings.append(Self.unitIgnored(at: offset, error))
            }
        }
        if let sectionProblem { warnings.append(sectionProblem) }
        functions.sort { $0.start < $1.start }
    }

    // MARK: Units and DIEs

    /// The offsets of the units in the `.debug_info` bytes `section`, in order. A unit whose
    /// length cannot be read ends the list, with a warning about the rest of the section.
    static func unitOffsets(in section: [UInt8]) -> (offsets: [Int], warning: String?) {
        var offsets: [Int] = []
        var offset = 0
        while offset < section.count {
            var r = ByteReader(section, from: offset)
            do throws(DWARFError) {
                let (length, _) = try r.initialLength()
                guard length <= r.remaining else { throw DWARFError("unit length runs past the end of the section") }
                offsets.append(offset)
                offset = r.offset + length
            } catch {
                return (offsets, ".debug_info unit at 0x\(String(offset, radix: 16)): \(error.message); rest of section ignored")
            }
        }
        return (offsets, nil)
    }

    /// The warning for a unit that could not be read (and is left out).
    static func unitIgnored(at offset: Int, _ error: DWARFError) -> String {
        ".debug_info unit at 0x\(String(offset, radix: 16)): \(error.message); unit ignored"
    }

    /// Reads the header of the unit at `offset` and its abbreviations (cached by table offset).
    /// Returns the unit, its abbreviations and a reader bounded by the unit, at its first DIE; nil
    /// for units that carry no code (type units).
    func openUnit(at offset: Int, cache: inout [UInt64: [UInt64: Abbreviation]]) throws(DWARFError) -> (unit: Unit, abbreviations: [UInt64: Abbreviation], reader: ByteReader)? {
        var r = ByteReader(info, from: offset)
        let (length, is64) = try r.initialLength()
        guard length <= r.remaining else { throw DWARFError("unit length runs past the end of the section") }
        let unitEnd = r.offset + length
        r = ByteReader(info, from: r.offset, to: unitEnd)
        let version = try r.u16()
        guard (2...5).contains(version) else { throw DWARFError("unsupported version \(version)") }
        let abbrevOffset: UInt64
        let addressSize: Int
        if version >= 5 {
            let unitType = try r.u8()
            addressSize = Int(try r.u8())
            abbrevOffset = try r.offsetValue(is64: is64)
            switch unitType {
            case 0x01, 0x03: break  // compile, partial
            case 0x04, 0x05: try r.skip(8)  // skeleton, split_compile: dwo_id
            default: return nil  // type units and others carry no code
            }
        } else {
            abbrevOffset = try r.offsetValue(is64: is64)
            addressSize = Int(try r.u8())
        }
        guard addressSize == 4 || addressSize == 8 else { throw DWARFError("unsupported address size \(addressSize)") }
        let abbreviations: [UInt64: Abbreviation]
        if let cached = cache[abbrevOffset] {
            abbreviations = cached
        } else {
            abbreviations = try Self.readAbbreviations(abbrev, at: abbrevOffset)
            cache[abbrevOffset] = abbreviations
        }
        return (Unit(offset: offset, version: version, is64: is64, addressSize: addressSize), abbreviations, r)
    }

    /// Takes the unit-wide bases and the base address from the attributes of a unit's first DIE.
    func configure(_ unit: inout Unit, from values: [UInt64: Value]) {
        if case .sectionOffset(let v)? = values[At.strOffsetsBase] { unit.strOffsetsBase = v }
        if case .sectionOffset(let v)? = values[At.addrBase] { unit.addrBase = v }
        if case .sectionOffset(let v)? = values[At.rnglistsBase] { unit.rnglistsBase = v }
        if case .sectionOffset(let v)? = values[At.loclistsBase] { unit.loclistsBase = v }
        if let low = values[At.lowPC], let a = try? address(low, unit: unit) { unit.baseAddress = a }
        if let v = values[At.stmtList], let s = unsignedValue(v) { unit.stmtList = Int(clamping: s) }
    }

    private mutating func readUnit(at offset: Int, cache: inout [UInt64: [UInt64: Abbreviation]]) throws(DWARFError) {
        guard let opened = try openUnit(at: offset, cache: &cache) else { return }
        var (unit, abbreviations, r) = opened
        // For each open DIE with children: whether it is an inlined call (for nesting depth).
        var open: [Bool] = []
        var inlineDepth = 0
        var first = true
        while !r.isAtEnd {
            let dieOffset = r.offset
            let code = try r.uleb()
            if code == 0 {
                if let wasInline = open.popLast(), wasInline { inlineDepth -= 1 }
                continue
            }
            guard let a = abbreviations[code] else { throw DWARFError("unknown abbreviation \(code) at 0x\(String(dieOffset, radix: 16))") }
            let interesting =
                first || a.tag == Tag.subprogram || a.tag == Tag.inlinedSubroutine
            var values: [UInt64: Value] = [:]
            for attribute in a.attributes {
                let v = try readValue(&r, form: attribute.form, implicitConst: attribute.implicitConst, unit: unit, depth: 0)
                if interesting { values[attribute.name] = v }
            }
            if first {
                first = false
                guard a.tag == Tag.compileUnit || a.tag == Tag.partialUnit || a.tag == Tag.skeletonUnit else {
                    throw DWARFError("unit does not start with a compile unit DIE")
                }
                configure(&unit, from: values)
                if let s = unit.stmtList, let dir = values[At.compDir], let text = try? string(dir, unit: unit) {
                    compilationDirectories[s] = text
                }
            } else if a.tag == Tag.subprogram || a.tag == Tag.inlinedSubroutine {
                var record = NameRecord()
                if let v = values[At.name] { record.name = try? string(v, unit: unit) }
                if let v = values[At.linkageName] ?? values[At.mipsLinkageName] { record.linkageName = try? string(v, unit: unit) }
                if case .reference(let o)? = values[At.abstractOrigin] ?? values[At.specification] { record.origin = o }
                names[dieOffset] = record
                let ranges = (try? self.ranges(values, unit: unit)) ?? []
                for (start, end) in ranges where SourceMap.isLive(start) && end > start {
                    if a.tag == Tag.subprogram {
                        functions.append(FunctionRange(start: start, end: end, die: dieOffset))
                    } else {
                        inlines.append(
                            InlineRange(
                                start: start, end: end, depth: inlineDepth, die: dieOffset,
                                callFile: values[At.callFile].flatMap(unsignedValue),
                                callLine: values[At.callLine].flatMap(unsignedValue).map { Int(clamping: $0) } ?? 0,
                                callColumn: values[At.callColumn].flatMap(unsignedValue).map { Int(clamping: $0) } ?? 0,
                                stmtList: unit.stmtList))
                    }
                }
            }
            if a.hasChildren {
                let isInline = a.tag == Tag.inlinedSubroutine
                open.append(isInline)
                if isInline { inlineDepth += 1 }
            }
        }
    }

    /// Reads the abbreviation table at `offset` of `.debug_abbrev`.
    static func readAbbreviations(_ section: [UInt8], at offset: UInt64) throws(DWARFError) -> [UInt64: Abbreviation] {
        guard offset < UInt64(section.count) else { throw DWARFError("abbreviation offset 0x\(String(offset, radix: 16)) outside .debug_abbrev") }
        var r = ByteReader(section, from: Int(offset))
        var table: [UInt64: Abbreviation] = [:]
        while true {
            let code = try r.uleb()
            if code == 0 { break }
            let tag = try r.uleb()
            let hasChildren = try r.u8() != 0
            var attributes: [(UInt64, UInt64, Int64)] = []
            while true {
                let name = try r.uleb()
                let form = try r.uleb()
                if name == 0 && form == 0 { break }
                let implicitConst = form == Form.implicit_const ? try r.sleb() : 0
                attributes.append((name, form, implicitConst))
            }
            table[code] = Abbreviation(tag: tag, hasChildren: hasChildren, attributes: attributes)
        }
        return table
    }

    /// Reads (or skips) one attribute value.
    func readValue(_ r: inout ByteReader, form: UInt64, implicitConst: Int64, unit: Unit, depth: Int) throws(DWARFError) -> Value {
        let refSize = unit.is64 ? 8 : 4
        switch form {
        case Form.addr: return .address(try r.unsigned(size: unit.addressSize))
        case Form.data1, Form.ref1, Form.flag, Form.strx1, Form.addrx1:
            let v = try r.unsigned(size: 1)
            return form == Form.ref1 ? .reference(unit.offset + Int(v)) : form == Form.strx1 ? .strx(v) : form == Form.addrx1 ? .addrx(v) : .unsigned(v)
        case Form.data2, Form.ref2, Form.strx2, Form.addrx2:
            let v = try r.unsigned(size: 2)
            return form == Form.ref2 ? .reference(unit.offset + Int(v)) : form == Form.strx2 ? .strx(v) : form == Form.addrx2 ? .addrx(v) : .unsigned(v)
        case Form.strx3, Form.addrx3:
            let v = try r.unsigned(size: 3)
            return form == Form.strx3 ? .strx(v) : .addrx(v)
        case Form.data4, Form.ref4, Form.strx4, Form.addrx4, Form.ref_sup4:
            let v = try r.unsigned(size: 4)
            switch form {
            case Form.ref4: return .reference(unit.offset + Int(v))
            case Form.strx4: return .strx(v)
            case Form.addrx4: return .addrx(v)
            case Form.data4 where unit.version < 4: return .sectionOffset(v)  // DWARF 2/3 used data4 for offsets
            default: return .unsigned(v)
            }
        case Form.data8, Form.ref8, Form.ref_sig8, Form.ref_sup8:
            let v = try r.unsigned(size: 8)
            if form == Form.ref8 { return v < UInt64(info.count) ? .reference(unit.offset + Int(v)) : .other }
            return .unsigned(v)
        case Form.data16: try r.skip(16); return .other
        case Form.sdata: return .signed(try r.sleb())
        case Form.udata: return .unsigned(try r.uleb())
        case Form.ref_udata:
            let v = try r.uleb()
            return v < UInt64(info.count) ? .reference(unit.offset + Int(v)) : .other
        case Form.ref_addr:
            // DWARF 2 used the address size for DW_FORM_ref_addr.
            let v = try r.unsigned(size: unit.version == 2 ? unit.addressSize : refSize)
            return v < UInt64(info.count) ? .reference(Int(v)) : .other
        case Form.string:
            let start = r.offset
            _ = try r.cString()
            return .inlineString(start)
        case Form.strp: return .strp(try r.unsigned(size: refSize))
        case Form.line_strp: return .lineStrp(try r.unsigned(size: refSize))
        case Form.strp_sup: _ = try r.unsigned(size: refSize); return .other
        case Form.sec_offset: return .sectionOffset(try r.unsigned(size: refSize))
        case Form.strx: return .strx(try r.uleb())
        case Form.addrx: return .addrx(try r.uleb())
        case Form.rnglistx: return .rnglistx(try r.uleb())
        case Form.loclistx: return .loclistx(try r.uleb())
        case Form.flag_present: return .unsigned(1)
        case Form.implicit_const: return .signed(implicitConst)
        case Form.exprloc, Form.block: return try block(&r, length: try r.ulebInt())
        case Form.block1: return try block(&r, length: Int(try r.u8()))
        case Form.block2: return try block(&r, length: Int(try r.u16()))
        case Form.block4: return try block(&r, length: Int(try r.u32()))
        case Form.indirect:
            guard depth < 4 else { throw DWARFError("nested DW_FORM_indirect") }
            let actual = try r.uleb()
            let c = actual == Form.implicit_const ? try r.sleb() : 0
            return try readValue(&r, form: actual, implicitConst: c, unit: unit, depth: depth + 1)
        default:
            throw DWARFError("unknown attribute form 0x\(String(form, radix: 16))")
        }
    }

    private func block(_ r: inout ByteReader, length: Int) throws(DWARFError) -> Value {
        let start = r.offset
        try r.skip(length)
        return .block(start: start, length: length)
    }

    // MARK: Resolving values

    func unsignedValue(_ v: Value) -> UInt64? {
        switch v {
        case .unsigned(let u), .sectionOffset(let u): return u
        case .signed(let s): return s >= 0 ? UInt64(s) : nil
        default: return nil
        }
    }

    func string(_ v: Value, unit: Unit) throws(DWARFError) -> String {
        switch v {
        case .inlineString(let at):
            var r = ByteReader(info, from: at)
            return try r.cString()
        case .strp(let o): return try WeftSource.string(in: strings.str, at: o, name: ".debug_str")
        case .lineStrp(let o): return try WeftSource.string(in: strings.lineStr, at: o, name: ".debug_line_str")
        case .strx(let i):
            guard let table = strOffsets else { throw DWARFError("DW_FORM_strx without .debug_str_offsets") }
            let size = unit.is64 ? 8 : 4
            let base = unit.strOffsetsBase ?? UInt64(unit.is64 ? 16 : 8)
            let (product, overflow) = i.multipliedReportingOverflow(by: UInt64(size))
            guard !overflow, base <= UInt64(table.count), product <= UInt64(table.count) - base else {
                throw DWARFError("string index \(i) out of range")
            }
            var r = ByteReader(table, from: Int(base + product))
            return try WeftSource.string(in: strings.str, at: try r.unsigned(size: size), name: ".debug_str")
        default: throw DWARFError("not a string")
        }
    }

    func address(_ v: Value, unit: Unit) throws(DWARFError) -> UInt64 {
        switch v {
        case .address(let a): return a
        case .addrx(let i): return try indexedAddress(i, unit: unit)
        default: throw DWARFError("not an address")
        }
    }

    func indexedAddress(_ i: UInt64, unit: Unit) throws(DWARFError) -> UInt64 {
        guard let table = addr else { throw DWARFError("DW_FORM_addrx without .debug_addr") }
        let base = unit.addrBase ?? 8
        let (product, overflow) = i.multipliedReportingOverflow(by: UInt64(unit.addressSize))
        guard !overflow, base <= UInt64(table.count), product <= UInt64(table.count) - base else {
            throw DWARFError("address index \(i) out of range")
        }
        var r = ByteReader(table, from: Int(base + product))
        return try r.unsigned(size: unit.addressSize)
    }

    /// The address ranges of a DIE: `DW_AT_low_pc`/`DW_AT_high_pc` or `DW_AT_ranges`.
    func ranges(_ values: [UInt64: Value], unit: Unit) throws(DWARFError) -> [(UInt64, UInt64)] {
        if let lowValue = values[At.lowPC] {
            let low = try address(lowValue, unit: unit)
            guard let highValue = values[At.highPC] else { return [(low, low &+ 1)] }
            switch highValue {
            case .address, .addrx: return [(low, try address(highValue, unit: unit))]
            default:
                guard let length = unsignedValue(highValue) else { return [] }
                return [(low, low &+ length)]
            }
        }
        guard let rangesValue = values[At.ranges] else { return [] }
        if unit.version >= 5 {
            guard let section = rnglists else { throw DWARFError("DW_AT_ranges without .debug_rnglists") }
            var offset: UInt64
            switch rangesValue {
            case .rnglistx(let i):
                guard let base = unit.rnglistsBase else { throw DWARFError("DW_FORM_rnglistx without DW_AT_rnglists_base") }
                let size = UInt64(unit.is64 ? 8 : 4)
                let (product, overflow) = i.multipliedReportingOverflow(by: size)
                guard !overflow, base <= UInt64(section.count), product <= UInt64(section.count) - base else {
                    throw DWARFError("range list index \(i) out of range")
                }
                var r = ByteReader(section, from: Int(base + product))
                offset = base &+ (try r.unsigned(size: Int(size)))
            default:
                guard let o = unsignedValue(rangesValue) else { return [] }
                offset = o
            }
            return try rangeList5(section, at: offset, unit: unit)
        }
        guard let section = rangesSection, let offset = unsignedValue(rangesValue) else { return [] }
        return try rangeList4(section, at: offset, unit: unit)
    }

    /// A DWARF 2–4 `.debug_ranges` list.
    func rangeList4(_ section: [UInt8], at offset: UInt64, unit: Unit) throws(DWARFError) -> [(UInt64, UInt64)] {
        guard offset < UInt64(section.count) else { throw DWARFError("range list offset out of range") }
        var r = ByteReader(section, from: Int(offset))
        let size = unit.addressSize
        let all: UInt64 = size == 8 ? .max : 0xFFFF_FFFF
        var base = unit.baseAddress
        var result: [(UInt64, UInt64)] = []
        while true {
            let start = try r.unsigned(size: size)
            let end = try r.unsigned(size: size)
            if start == 0 && end == 0 { break }
            if start == all { base = end; continue }
            // wasm-ld marks ranges of discarded functions with the -2 tombstone.
            if start >= all - 1 { continue }
            result.append((base &+ start, base &+ end))
        }
        return result
    }

    /// A DWARF 5 `.debug_rnglists` list.
    func rangeList5(_ section: [UInt8], at offset: UInt64, unit: Unit) throws(DWARFError) -> [(UInt64, UInt64)] {
        guard offset < UInt64(section.count) else { throw DWARFError("range list offset out of range") }
        var r = ByteReader(section, from: Int(offset))
        var base = unit.baseAddress
        var result: [(UInt64, UInt64)] = []
        while true {
            let kind = try r.u8()
            switch kind {
            case 0x00: return result  // end_of_list
            case 0x01: base = try indexedAddress(try r.uleb(), unit: unit)  // base_addressx
            case 0x02:  // startx_endx
                let s = try indexedAddress(try r.uleb(), unit: unit)
                result.append((s, try indexedAddress(try r.uleb(), unit: unit)))
            case 0x03:  // startx_length
                let s = try indexedAddress(try r.uleb(), unit: unit)
                result.append((s, s &+ (try r.uleb())))
            case 0x04:  // offset_pair
                let s = try r.uleb()
                result.append((base &+ s, base &+ (try r.uleb())))
            case 0x05: base = try r.unsigned(size: unit.addressSize)  // base_address
            case 0x06:  // start_end
                let s = try r.unsigned(size: unit.addressSize)
                result.append((s, try r.unsigned(size: unit.addressSize)))
            case 0x07:  // start_length
                let s = try r.unsigned(size: unit.addressSize)
                result.append((s, s &+ (try r.uleb())))
            default: throw DWARFError("unknown range list entry kind \(kind)")
            }
        }
    }

    // MARK: Frames

    /// Fills in inlined calls' call-site paths from the units' line tables.
    mutating func resolveCallFiles(using programs: [LineProgram]) {
        var byOffset: [Int: LineProgram] = [:]
        for p in programs { byOffset[p.offset] = p }
        for i in inlines.indices {
            guard let s = inlines[i].stmtList, let file = inlines[i].callFile, let p = byOffset[s] else { continue }
            inlines[i].callPath = p.file(UInt32(truncatingIfNeeded: file))?.path
        }
    }

    /// The name of the function a subprogram or inlined-call DIE denotes (following abstract
    /// origins and specifications), demangled when possible.
    func functionName(die: Int, demangle: (String) -> String?) -> String? {
        var current: Int? = die
        var steps = 0
        var plain: String?
        while let d = current, steps < 8, let record = names[d] {
            if let linkage = record.linkageName { return demangle(linkage) ?? plain ?? linkage }
            if plain == nil { plain = record.name }
            current = record.origin
            steps += 1
        }
        return plain
    }

    /// The inlined calls containing `address`, innermost first (one per inlined frame of
    /// ``frames(at:innermost:demangle:)``): each call's DIE and every code range it covers.
    func inlinedCalls(at address: UInt64) -> [(die: Int, ranges: [Range<UInt64>])] {
        let chain = inlines.filter { $0.start <= address && address < $0.end }.sorted { $0.depth < $1.depth }
        return chain.reversed().map { call in
            (call.die, inlines.filter { $0.die == call.die }.map { $0.start..<$0.end }.sorted { $0.lowerBound < $1.lowerBound })
        }
    }

    /// Where each inlined copy of the function called `name` begins: the lowest address of each
    /// inlined call's ranges, in address order.
    func inlinedEntries(named name: String, demangle: (String) -> String?) -> [UInt64] {
        var entries: [Int: UInt64] = [:]
        var names: [Int: String?] = [:]
        for r in inlines {
            let n = names[r.die] ?? { let n = functionName(die: r.die, demangle: demangle); names[r.die] = n; return n }()
            if n == name { entries[r.die] = min(entries[r.die] ?? .max, r.start) }
        }
        return entries.values.sorted()
    }

    /// Source frames at `address`, innermost first (see ``ModuleSourceInfo/frames(moduleOffset:)``).
    func frames(at address: UInt64, innermost: SourceLocation?, demangle: (String) -> String?) -> [SourceFrame] {
        let chain = inlines.filter { $0.start <= address && address < $0.end }.sorted { $0.depth < $1.depth }
        var function: String?
        var lo = 0, hi = functions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if functions[mid].start <= address { lo = mid + 1 } else { hi = mid }
        }
        if lo > 0, address < functions[lo - 1].end { function = functionName(die: functions[lo - 1].die, demangle: demangle) }
        var frames: [SourceFrame] = []
        var location = innermost
        for inline in chain.reversed() {
            frames.append(SourceFrame(function: functionName(die: inline.die, demangle: demangle), location: location))
            location = inline.callPath.map { SourceLocation(path: $0, line: inline.callLine, column: inline.callColumn) }
        }
        frames.append(SourceFrame(function: function, location: location))
        return frames
    }
}
