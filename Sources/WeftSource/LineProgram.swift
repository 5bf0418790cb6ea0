/// The string sections a DWARF reader may need to resolve `DW_FORM_strp` / `DW_FORM_line_strp`.
public struct DebugStrings: Sendable {
    /// `.debug_str` contents, if present.
    public var str: [UInt8]?
    /// `.debug_line_str` contents (DWARF 5), if present.
    public var lineStr: [UInt8]?

    public init(str: [UInt8]? = nil, lineStr: [UInt8]? = nil) {
        self.str = str
        self.lineStr = lineStr
    }
}

/// One entry of a line program's file table.
public struct LineFile: Sendable, Equatable {
    /// The name as recorded (`DW_LNCT_path` / the file entry's string).
    public var name: String
    /// The directory index as recorded.
    public var directoryIndex: UInt64
    /// The file's full path: its directory (and the compilation directory) joined with its name.
    public var path: String
    /// The MD5 digest of the file's contents, when the producer recorded one (DWARF 5).
    public var md5: [UInt8]?
}

/// One row of the line-number matrix: the state machine's registers when a row is appended.
public struct LineRow: Sendable, Equatable {
    /// Address (for wasm: byte offset relative to the start of the Code section's contents).
    public var address: UInt64
    /// The `file` register (an index into the program's file table).
    public var file: UInt32
    /// Source line, 1-based; 0 means the instruction has no source line.
    public var line: UInt32
    /// Source column, 1-based; 0 means unknown.
    public var column: UInt32
    public var isStmt: Bool
    public var basicBlock: Bool
    public var endSequence: Bool
    public var prologueEnd: Bool
    public var epilogueBegin: Bool
    public var discriminator: UInt32
}

/// A decoded `.debug_line` unit: its header (directories, files, opcode parameters) and the rows
/// produced by running its line-number program, split into sequences.
public struct LineProgram: Sendable {
    /// Offset of the unit in `.debug_line` (what `DW_AT_stmt_list` refers to).
    public var offset: Int
    public var version: UInt16
    /// Whether the unit uses the 64-bit DWARF format.
    public var is64: Bool
    public var minimumInstructionLength: UInt8
    public var maximumOperationsPerInstruction: UInt8
    public var defaultIsStmt: Bool
    public var lineBase: Int8
    public var lineRange: UInt8
    public var opcodeBase: UInt8
    /// Operand counts of standard opcodes 1 ..< opcodeBase.
    public var standardOpcodeLengths: [UInt8]
    /// Directories as listed. In DWARF 5 entry 0 is the compilation directory; before DWARF 5 the
    /// list starts at directory 1 (directory 0 is the compilation directory, not listed).
    public var includeDirectories: [String]
    /// Files as listed (plus any `DW_LNE_define_file`). In DWARF 5 entry 0 is file 0; before DWARF
    /// 5 entry 0 is file 1.
    public var files: [LineFile]
    /// Rows, one array per sequence; each sequence ends with its `end_sequence` row.
    public var sequences: [[LineRow]]

    /// The file-table entry the `file` register value `index` denotes, if any.
    public func file(_ index: UInt32) -> LineFile? {
        let i = version >= 5 ? Int(index) : Int(index) - 1
        return i >= 0 && i < files.count ? files[i] : nil
    }
}

// DWARF constants used by the line-number program (DWARF 5, section 6.2 and 7.22).
enum DW {
    static let LNS_copy: UInt8 = 0x01
    static let LNS_advance_pc: UInt8 = 0x02
    static let LNS_advance_line: UInt8 = 0x03
    static let LNS_set_file: UInt8 = 0x04
    static let LNS_set_column: UInt8 = 0x05
    static let LNS_negate_stmt: UInt8 = 0x06
    static let LNS_set_basic_block: UInt8 = 0x07
    static let LNS_const_add_pc: UInt8 = 0x08
    static let LNS_fixed_advance_pc: UInt8 = 0x09
    static let LNS_set_prologue_end: UInt8 = 0x0a
    static let LNS_set_epilogue_begin: UInt8 = 0x0b
    static let LNS_set_isa: UInt8 = 0x0c

    static let LNE_end_sequence: UInt8 = 0x01
    static let LNE_set_address: UInt8 = 0x02
    static let LNE_define_file: UInt8 = 0x03
    static let LNE_set_discriminator: UInt8 = 0x04

    static let LNCT_path: UInt64 = 0x1
    static let LNCT_directory_index: UInt64 = 0x2
    static let LNCT_timestamp: UInt64 = 0x3
    static let LNCT_size: UInt64 = 0x4
    static let LNCT_MD5: UInt64 = 0x5
}

extension LineProgram {
    /// Decodes every unit of a `.debug_line` section. A unit that cannot be decoded is skipped
    /// with a warning; if its length is unusable the rest of the section is skipped too.
    /// `compilationDirectories` maps a unit's offset to its CU's `DW_AT_comp_dir`, when known.
    public static func decodeAll(
        _ section: [UInt8], strings: DebugStrings, compilationDirectories: [Int: String] = [:]
    ) -> (programs: [LineProgram], warnings: [String]) {
        var programs: [LineProgram] = []
        var warnings: [String] = []
        var offset = 0
        while offset < section.count {
            var r = ByteReader(section, from: offset)
            let unitEnd: Int
            do throws(DWARFError) {
                let (length, _) = try r.initialLength()
                guard length <= r.remaining else {
                    throw DWARFError("unit length 0x\(String(length, radix: 16)) runs past the end of the section")
                }
                unitEnd = r.offset + length
            } catch {
                warnings.append(".debug_line unit at 0x\(String(offset, radix: 16)): \(error.message); rest of section ignored")
                break
            }
            do {
                programs.append(try decode(section, at: offset, strings: strings, compilationDirectory: compilationDirectories[offset]))
            } catch {
                warnings.append(".debug_line unit at 0x\(String(offset, radix: 16)): \(error.message); unit ignored")
            }
            offset = unitEnd
        }
        return (programs, warnings)
    }

    /// Decodes the unit at `offset` of a `.debug_line` section: header and program.
    static func decode(
        _ section: [UInt8], at offset: Int, strings: DebugStrings, compilationDirectory: String?
    ) throws(DWARFError) -> LineProgram {
        var r = ByteReader(section, from: offset)
        let (length, is64) = try r.initialLength()
        guard length <= r.remaining else { throw DWARFError("unit length runs past the end of the section") }
        let unitEnd = r.offset + length
        r = ByteReader(section, from: r.offset, to: unitEnd)
        let version = try r.u16()
        guard (2...5).contains(version) else { throw DWARFError("unsupported line table version \(version)") }
        var addressSize: Int?
        if version >= 5 {
            let a = Int(try r.u8())
            guard a == 4 || a == 8 else { throw DWARFError("unsupported address size \(a)") }
            addressSize = a
            let segmentSelectorSize = try r.u8()
            guard segmentSelectorSize == 0 else { throw DWARFError("segmented addresses are not supported") }
        }
        let headerLength = try r.offsetValue(is64: is64)
        guard headerLength <= UInt64(r.remaining) else { throw DWARFError("header length runs past the end of the unit") }
        let programStart = r.offset + Int(headerLength)
        var header = ByteReader(section, from: r.offset, to: programStart)
        let minimumInstructionLength = try header.u8()
        let maximumOperations = version >= 4 ? try header.u8() : 1
        let defaultIsStmt = try header.u8() != 0
        let lineBase = try header.i8()
        let lineRange = try header.u8()
        guard lineRange != 0 else { throw DWARFError("line_range is 0") }
        let opcodeBase = try header.u8()
        guard opcodeBase != 0 else { throw DWARFError("opcode_base is 0") }
        var standardOpcodeLengths: [UInt8] = []
        for _ in 1..<Int(opcodeBase) { standardOpcodeLengths.append(try header.u8()) }

        var program = LineProgram(
            offset: offset, version: version, is64: is64, minimumInstructionLength: minimumInstructionLength,
            maximumOperationsPerInstruction: maximumOperations, defaultIsStmt: defaultIsStmt, lineBase: lineBase,
            lineRange: lineRange, opcodeBase: opcodeBase, standardOpcodeLengths: standardOpcodeLengths,
            includeDirectories: [], files: [], sequences: [])
        var directories: [String] = []
        if version >= 5 {
            let context = EntryContext(is64: is64, strings: strings)
            for entry in try readEntries(&header, context) {
                directories.append(entry.path ?? "")
            }
            program.includeDirectories = directories
            for entry in try readEntries(&header, context) {
                program.files.append(
                    LineFile(name: entry.path ?? "", directoryIndex: entry.directoryIndex, path: "", md5: entry.md5))
            }
        } else {
            while true {
                let d = try header.cString()
                if d.isEmpty { break }
                directories.append(d)
            }
            program.includeDirectories = directories
            while true {
                let name = try header.cString()
                if name.isEmpty { break }
                let dir = try header.uleb()
                _ = try header.uleb()  // modification time
                _ = try header.uleb()  // length
                program.files.append(LineFile(name: name, directoryIndex: dir, path: "", md5: nil))
            }
        }
        for i in program.files.indices {
            program.files[i].path = program.resolvePath(program.files[i], compilationDirectory: compilationDirectory)
        }

        var body = ByteReader(section, from: programStart, to: unitEnd)
        try program.run(&body, addressSize: addressSize, compilationDirectory: compilationDirectory)
        return program
    }

    /// The full path of a file entry: directory joined with name, relative directories placed
    /// under the compilation directory.
    func resolvePath(_ file: LineFile, compilationDirectory: String?) -> String {
        if file.name.hasPrefix("/") { return normalizePath(file.name) }
        var dir: String?
        var compDir = compilationDirectory
        if version >= 5 {
            if !includeDirectories.isEmpty { compDir = includeDirectories[0] }
            let i = Int(clamping: file.directoryIndex)
            dir = i > 0 && i < includeDirectories.count ? includeDirectories[i] : nil
        } else {
            let i = Int(clamping: file.directoryIndex)
            dir = i > 0 && i <= includeDirectories.count ? includeDirectories[i - 1] : nil
        }
        var parts: [String] = []
        if let dir, dir.hasPrefix("/") {
            parts = [dir]
        } else {
            if let compDir, !compDir.isEmpty { parts.append(compDir) }
            if let dir, !dir.isEmpty { parts.append(dir) }
        }
        parts.append(file.name)
        return normalizePath(parts.joined(separator: "/"))
    }

    // MARK: DWARF 5 entry formats

    struct EntryContext {
        let is64: Bool
        let strings: DebugStrings
    }

    struct Entry {
        var path: String?
        var directoryIndex: UInt64 = 0
        var md5: [UInt8]?
    }

    /// Reads a DWARF 5 entry-format description and the entries it describes.
    static func readEntries(_ r: inout ByteReader, _ context: EntryContext) throws(DWARFError) -> [Entry] {
        let formatCount = Int(try r.u8())
        var format: [(content: UInt64, form: UInt64)] = []
        for _ in 0..<formatCount { format.append((try r.uleb(), try r.uleb())) }
        let count = try r.uleb()
        if count == 0 { return [] }
        // Every entry takes at least one byte per format item: a count beyond the bytes left is bogus.
        guard !format.isEmpty, count <= UInt64(r.remaining) else {
            throw DWARFError("entry count \(count) does not fit in the header")
        }
        var entries: [Entry] = []
        for _ in 0..<Int(count) {
            var e = Entry()
            for (content, form) in format {
                let value = try readFormValue(&r, form: form, context)
                switch content {
                case DW.LNCT_path:
                    guard case .string(let s) = value else { throw DWARFError("path with non-string form 0x\(String(form, radix: 16))") }
                    e.path = s
                case DW.LNCT_directory_index:
                    guard case .unsigned(let v) = value else { throw DWARFError("directory index with form 0x\(String(form, radix: 16))") }
                    e.directoryIndex = v
                case DW.LNCT_MD5:
                    if case .block(let b) = value, b.count == 16 { e.md5 = b }
                default: break  // timestamp, size, vendor content: read and ignored
                }
            }
            entries.append(e)
        }
        return entries
    }

    enum FormValue {
        case string(String)
        case unsigned(UInt64)
        case block([UInt8])
    }

    /// Reads one attribute value of the forms allowed in line table entry formats.
    static func readFormValue(_ r: inout ByteReader, form: UInt64, _ context: EntryContext) throws(DWARFError) -> FormValue {
        switch form {
        case Form.string: return .string(try r.cString())
        case Form.line_strp:
            return .string(try string(in: context.strings.lineStr, at: try r.offsetValue(is64: context.is64), name: ".debug_line_str"))
        case Form.strp:
            return .string(try string(in: context.strings.str, at: try r.offsetValue(is64: context.is64), name: ".debug_str"))
        case Form.udata: return .unsigned(try r.uleb())
        case Form.data1: return .unsigned(try r.unsigned(size: 1))
        case Form.data2: return .unsigned(try r.unsigned(size: 2))
        case Form.data4: return .unsigned(try r.unsigned(size: 4))
        case Form.data8: return .unsigned(try r.unsigned(size: 8))
        case Form.data16:
            let start = r.offset
            try r.skip(16)
            return .block(Array(r.bytes[start..<start + 16]))
        case Form.block, Form.block1, Form.block2, Form.block4:
            let n: Int
            switch form {
            case Form.block1: n = Int(try r.u8())
            case Form.block2: n = Int(try r.u16())
            case Form.block4: n = Int(try r.u32())
            default: n = try r.ulebInt()
            }
            let start = r.offset
            try r.skip(n)
            return .block(Array(r.bytes[start..<start + n]))
        case Form.sdata: return .unsigned(UInt64(bitPattern: try r.sleb()))
        default:
            throw DWARFError("unsupported form 0x\(String(form, radix: 16)) in a line table entry")
        }
    }

    // MARK: The line-number state machine

    /// Runs the line-number program in `r`, appending rows to ``sequences``. Every iteration
    /// consumes at least one byte, so the loop ends; rows are bounded by the program's size.
    mutating func run(_ r: inout ByteReader, addressSize: Int?, compilationDirectory: String?) throws(DWARFError) {
        let maxOps = UInt64(max(maximumOperationsPerInstruction, 1))
        let minLength = UInt64(minimumInstructionLength)
        var state = Registers(defaultIsStmt: defaultIsStmt)
        var rows: [LineRow] = []

        func advance(_ operationAdvance: UInt64) {
            if maxOps == 1 {
                state.address &+= minLength &* operationAdvance
            } else {
                let total = state.opIndex &+ operationAdvance
                state.address &+= minLength &* (total / maxOps)
                state.opIndex = total % maxOps
            }
        }
        func emit() {
            rows.append(state.row)
            state.discriminator = 0
            state.basicBlock = false
            state.prologueEnd = false
            state.epilogueBegin = false
        }

        while !r.isAtEnd {
            let opcode = try r.u8()
            if opcode >= opcodeBase {
                let adjusted = UInt64(opcode - opcodeBase)
                advance(adjusted / UInt64(lineRange))
                state.line &+= Int64(lineBase) + Int64(adjusted % UInt64(lineRange))
                emit()
                continue
            }
            switch opcode {
            case 0:
                let length = try r.ulebInt()
                guard length >= 1, length <= r.remaining else { throw DWARFError("extended opcode length \(length) out of range") }
                let next = r.offset + length
                let sub = try r.u8()
                switch sub {
                case DW.LNE_end_sequence:
                    state.endSequence = true
                    emit()
                    sequences.append(rows)
                    rows = []
                    state = Registers(defaultIsStmt: defaultIsStmt)
                case DW.LNE_set_address:
                    let size = length - 1
                    if let addressSize, size != addressSize {
                        throw DWARFError("DW_LNE_set_address with \(size) bytes, expected \(addressSize)")
                    }
                    state.address = try r.unsigned(size: size)
                    state.opIndex = 0
                case DW.LNE_define_file:
                    let name = try r.cString()
                    let dir = try r.uleb()
                    _ = try r.uleb()
                    _ = try r.uleb()
                    var f = LineFile(name: name, directoryIndex: dir, path: "", md5: nil)
                    f.path = resolvePath(f, compilationDirectory: compilationDirectory)
                    files.append(f)
                case DW.LNE_set_discriminator:
                    state.discriminator = UInt32(truncatingIfNeeded: try r.uleb())
                default:
                    break  // unknown extended opcode: skipped by its length
                }
                guard r.offset <= next else { throw DWARFError("extended opcode 0x\(String(sub, radix: 16)) overruns its length") }
                try r.seek(to: next)
            case DW.LNS_copy:
                emit()
            case DW.LNS_advance_pc:
                advance(try r.uleb())
            case DW.LNS_advance_line:
                state.line &+= try r.sleb()
            case DW.LNS_set_file:
                state.file = UInt32(truncatingIfNeeded: try r.uleb())
            case DW.LNS_set_column:
                state.column = UInt32(truncatingIfNeeded: try r.uleb())
            case DW.LNS_negate_stmt:
                state.isStmt.toggle()
            case DW.LNS_set_basic_block:
                state.basicBlock = true
            case DW.LNS_const_add_pc:
                advance(UInt64(255 - opcodeBase) / UInt64(lineRange))
            case DW.LNS_fixed_advance_pc:
                state.address &+= UInt64(try r.u16())
                state.opIndex = 0
            case DW.LNS_set_prologue_end:
                state.prologueEnd = true
            case DW.LNS_set_epilogue_begin:
                state.epilogueBegin = true
            case DW.LNS_set_isa:
                _ = try r.uleb()
            default:
                // An opcode this reader does not know: skip the operands the header declares.
                let n = Int(standardOpcodeLengths[Int(opcode) - 1])
                for _ in 0..<n { _ = try r.uleb() }
            }
        }
        // Rows after the last end_sequence do not form a sequence (the range has no end); dropped.
    }

    /// The line-number state machine's registers.
    struct Registers {
        var address: UInt64 = 0
        var opIndex: UInt64 = 0
        var file: UInt32 = 1
        var line: Int64 = 1
        var column: UInt32 = 0
        var isStmt: Bool
        var basicBlock = false
        var endSequence = false
        var prologueEnd = false
        var epilogueBegin = false
        var discriminator: UInt32 = 0

        init(defaultIsStmt: Bool) { isStmt = defaultIsStmt }

        var row: LineRow {
            LineRow(
                address: address, file: file, line: UInt32(clamping: max(line, 0)), column: column, isStmt: isStmt,
                basicBlock: basicBlock, endSequence: endSequence, prologueEnd: prologueEnd,
                epilogueBegin: epilogueBegin, discriminator: discriminator)
        }
    }
}

/// Removes `.` components and repeated slashes: `././Tests//a.c` becomes `Tests/a.c`.
func normalizePath(_ path: String) -> String {
    let absolute = path.hasPrefix("/")
    let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
    let joined = parts.joined(separator: "/")
    return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
}
