// Hand-built `.debug_line` units decoded byte by byte: DWARF 4 and 5 headers, every standard and
// extended opcode, several sequences and units, and the SourceMap lookups built on them.

import XCTest

@testable import WeftSource

/// A row as the tests spell it: address, file register, line, column, flags.
struct R: Equatable, CustomStringConvertible {
    var address: UInt64
    var file: UInt32
    var line: UInt32
    var column: UInt32
    var stmt = true
    var basicBlock = false
    var end = false
    var prologueEnd = false
    var epilogueBegin = false
    var discriminator: UInt32 = 0

    init(_ address: UInt64, _ file: UInt32, _ line: UInt32, _ column: UInt32, stmt: Bool = true, basicBlock: Bool = false,
         end: Bool = false, prologueEnd: Bool = false, epilogueBegin: Bool = false, discriminator: UInt32 = 0) {
        self.address = address
        self.file = file
        self.line = line
        self.column = column
        self.stmt = stmt
        self.basicBlock = basicBlock
        self.end = end
        self.prologueEnd = prologueEnd
        self.epilogueBegin = epilogueBegin
        self.discriminator = discriminator
    }

    init(_ row: LineRow) {
        self.init(row.address, row.file, row.line, row.column, stmt: row.isStmt, basicBlock: row.basicBlock,
                  end: row.endSequence, prologueEnd: row.prologueEnd, epilogueBegin: row.epilogueBegin,
                  discriminator: row.discriminator)
    }

    var description: String {
        "0x\(String(address, radix: 16)) f\(file) \(line):\(column)\(stmt ? " stmt" : "")\(basicBlock ? " bb" : "")"
            + "\(end ? " end" : "")\(prologueEnd ? " pe" : "")\(epilogueBegin ? " eb" : "")\(discriminator > 0 ? " d\(discriminator)" : "")"
    }
}

/// The DWARF 4 unit used by several tests: two directories, two files, a program exercising every
/// standard and extended opcode, and two sequences.
func version4Unit() -> [UInt8] {
    var h = Bytes()
    // opcode_base 14: opcode 13 is a standard opcode this reader does not know, with 2 operands.
    h.append(standardHeaderStart(opcodeBase: 14, extraLengths: [2]))
    h.cString("src")
    h.cString("/usr/include")
    h.u8(0)
    h.cString("main.c")
    h.uleb(1)
    h.uleb(0)
    h.uleb(0)
    h.cString("stdio.h")
    h.uleb(2)
    h.uleb(5)
    h.uleb(100)
    h.u8(0)

    var p = Bytes()
    p.append(Op.setAddress32(0x100))
    p.append(Op.advanceLine(9))  // line 10
    p.append(Op.copy)  // A
    p.append(Op.setColumn(5))
    p.append(Op.setPrologueEnd)
    p.append(special(address: 3, line: 1, opcodeBase: 14))  // B: 0x103, line 11
    p.append(Op.negateStmt)
    p.append(special(address: 2, line: 0, opcodeBase: 14))  // C: 0x105, not a statement
    p.append(Op.negateStmt)
    p.append(Op.constAddPC)  // +17 ((255 - 14) / 14): 0x116
    p.append(Op.setDiscriminator(3))
    p.append(Op.setBasicBlock)
    p.append(special(address: 0, line: 2, opcodeBase: 14))  // D: 0x116, line 13
    p.append(Op.fixedAdvancePC(0x20))  // 0x136
    p.append(Op.setFile(2))
    p.append(Op.setISA(7))
    p.append(Op.advanceLine(-12))  // line 1
    p.append(Op.setEpilogueBegin)
    p.append(Op.copy)  // E
    p.append([13, 0x81, 0x01, 0x05])  // unknown standard opcode 13 and its two ULEB operands
    p.append(Op.extended(0x80, [1, 2, 3]))  // unknown extended opcode, skipped by length
    var define = Bytes()
    define.cString("gen.c")
    define.uleb(0)
    define.uleb(0)
    define.uleb(0)
    p.append(Op.extended(3, define.bytes))  // DW_LNE_define_file: file 3
    p.append(Op.setFile(3))
    p.append(Op.advancePC(4))  // 0x13a
    p.append(Op.copy)  // F
    p.append(Op.advancePC(2))
    p.append(Op.endSequence)  // G: 0x13c
    p.append(Op.setAddress32(0x200))
    p.append(special(address: 0, line: 4, opcodeBase: 14))  // H: 0x200, line 5
    p.append(Op.advancePC(0x10))
    p.append(Op.endSequence)  // I: 0x210
    return lineUnit(version: 4, header: h.bytes, program: p.bytes)
}

let version4Rows: [[R]] = [
    [
        R(0x100, 1, 10, 0),
        R(0x103, 1, 11, 5, prologueEnd: true),
        R(0x105, 1, 11, 5, stmt: false),
        R(0x116, 1, 13, 5, basicBlock: true, discriminator: 3),
        R(0x136, 2, 1, 5, epilogueBegin: true),
        R(0x13a, 3, 1, 5),
        R(0x13c, 3, 1, 5, end: true),
    ],
    [
        R(0x200, 1, 5, 0),
        R(0x210, 1, 5, 0, end: true),
    ],
]

/// A DWARF 5 unit: directories as `DW_FORM_line_strp`, files with string path, udata directory
/// index and data16 MD5.
func version5Unit(is64: Bool = false) -> (unit: [UInt8], lineStr: [UInt8]) {
    var lineStr = Bytes()
    lineStr.cString("/work")  // 0
    lineStr.cString("inc")  // 6
    var h = Bytes()
    h.append(standardHeaderStart())
    h.u8(1)  // directory_entry_format_count
    h.uleb(1)  // DW_LNCT_path
    h.uleb(0x1f)  // DW_FORM_line_strp
    h.uleb(2)  // directories_count
    if is64 { h.u64(0); h.u64(6) } else { h.u32(0); h.u32(6) }
    h.u8(3)  // file_name_entry_format_count
    h.uleb(1); h.uleb(0x08)  // path, string
    h.uleb(2); h.uleb(0x0f)  // directory_index, udata
    h.uleb(5); h.uleb(0x1e)  // MD5, data16
    h.uleb(2)  // file_names_count
    h.cString("a.c"); h.uleb(0); h.append(Array(0..<16))
    h.cString("b.h"); h.uleb(1); h.append(Array(16..<32))
    var p = Bytes()
    p.append(Op.setAddress32(0x40))
    p.append(Op.setFile(0))
    p.append(Op.advanceLine(2))
    p.append(Op.copy)
    p.append(special(address: 4, line: 1))
    p.append(Op.setFile(1))
    p.append(special(address: 2, line: 3))
    p.append(Op.advancePC(1))
    p.append(Op.endSequence)
    return (lineUnit(version: 5, header: h.bytes, program: p.bytes, is64: is64), lineStr.bytes)
}

final class LineProgramTests: XCTestCase {
    func testVersion4HeaderAndEveryOpcode() throws {
        let (programs, warnings) = LineProgram.decodeAll(version4Unit(), strings: DebugStrings(), compilationDirectories: [0: "/home/u"])
        XCTAssertEqual(warnings, [])
        let p = try XCTUnwrap(programs.first)
        XCTAssertEqual(programs.count, 1)
        XCTAssertEqual(p.version, 4)
        XCTAssertFalse(p.is64)
        XCTAssertEqual(p.lineBase, -5)
        XCTAssertEqual(p.lineRange, 14)
        XCTAssertEqual(p.opcodeBase, 14)
        XCTAssertEqual(p.standardOpcodeLengths, [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 2])
        XCTAssertEqual(p.includeDirectories, ["src", "/usr/include"])
        XCTAssertEqual(p.files.map(\.name), ["main.c", "stdio.h", "gen.c"])
        XCTAssertEqual(p.files.map(\.path), ["/home/u/src/main.c", "/usr/include/stdio.h", "/home/u/gen.c"])
        XCTAssertEqual(p.file(1)?.name, "main.c")
        XCTAssertNil(p.file(0), "DWARF 4 file numbers start at 1")
        XCTAssertEqual(p.sequences.map { $0.map(R.init) }, version4Rows)
    }

    func testVersion5HeaderWithLineStrpAndMD5() throws {
        let (unit, lineStr) = version5Unit()
        let (programs, warnings) = LineProgram.decodeAll(unit, strings: DebugStrings(lineStr: lineStr))
        XCTAssertEqual(warnings, [])
        let p = try XCTUnwrap(programs.first)
        XCTAssertEqual(p.version, 5)
        XCTAssertEqual(p.includeDirectories, ["/work", "inc"])
        XCTAssertEqual(p.files.map(\.path), ["/work/a.c", "/work/inc/b.h"])
        XCTAssertEqual(p.files[0].md5, Array(0..<16))
        XCTAssertEqual(p.files[1].md5, Array(16..<32))
        XCTAssertEqual(p.file(0)?.name, "a.c", "DWARF 5 file numbers start at 0")
        XCTAssertEqual(
            p.sequences.map { $0.map(R.init) },
            [[R(0x40, 0, 3, 0), R(0x44, 0, 4, 0), R(0x46, 1, 7, 0), R(0x47, 1, 7, 0, end: true)]])
    }

    func testVersion5SixtyFourBitFormat() throws {
        let (unit, lineStr) = version5Unit(is64: true)
        let (programs, warnings) = LineProgram.decodeAll(unit, strings: DebugStrings(lineStr: lineStr))
        XCTAssertEqual(warnings, [])
        let p = try XCTUnwrap(programs.first)
        XCTAssertTrue(p.is64)
        XCTAssertEqual(p.files.map(\.path), ["/work/a.c", "/work/inc/b.h"])
        XCTAssertEqual(p.sequences.first?.count, 4)
    }

    /// strp / data1 / data4 / block forms, and a vendor content type that is read and ignored.
    func testVersion5OtherForms() throws {
        var str = Bytes()
        str.cString("root")  // 0
        str.cString("x.c")  // 5
        var h = Bytes()
        h.append(standardHeaderStart())
        h.u8(1)
        h.uleb(1); h.uleb(0x08)  // path: string
        h.uleb(1)
        h.cString("/src")
        h.u8(5)
        h.uleb(1); h.uleb(0x0e)  // path: strp
        h.uleb(2); h.uleb(0x0b)  // directory_index: data1
        h.uleb(3); h.uleb(0x06)  // timestamp: data4
        h.uleb(0x2001); h.uleb(0x05)  // vendor content: data2
        h.uleb(5); h.uleb(0x09)  // MD5: block
        h.uleb(1)
        h.u32(5); h.u8(0); h.u32(0x1234_5678); h.u16(9); h.uleb(16); h.append(Array(repeating: 0xAB, count: 16))
        var p = Bytes()
        p.append(Op.setAddress32(0x10))
        p.append(Op.setFile(0))
        p.append(Op.copy)
        p.append(Op.advancePC(3))
        p.append(Op.endSequence)
        let (programs, warnings) = LineProgram.decodeAll(
            lineUnit(version: 5, header: h.bytes, program: p.bytes), strings: DebugStrings(str: str.bytes))
        XCTAssertEqual(warnings, [])
        let program = try XCTUnwrap(programs.first)
        XCTAssertEqual(program.files.map(\.path), ["/src/x.c"])
        XCTAssertEqual(program.files.first?.md5, Array(repeating: 0xAB, count: 16))
    }

    func testSeveralUnitsAndVersions() throws {
        let (v5, lineStr) = version5Unit()
        let section = version4Unit() + v5 + version4Unit()
        let (programs, warnings) = LineProgram.decodeAll(section, strings: DebugStrings(lineStr: lineStr))
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(programs.map(\.version), [4, 5, 4])
        XCTAssertEqual(programs.map(\.offset), [0, version4Unit().count, version4Unit().count + v5.count])
    }

    func testSourceMapLookups() throws {
        let (v5, lineStr) = version5Unit()
        let map = SourceMap(debugLine: version4Unit() + v5, strings: DebugStrings(lineStr: lineStr), compilationDirectories: [0: "/home/u"])
        XCTAssertEqual(map.warnings, [])
        XCTAssertEqual(map.files, ["/home/u/src/main.c", "/usr/include/stdio.h", "/home/u/gen.c", "/work/a.c", "/work/inc/b.h"])
        func at(_ a: Int) -> String? { map.location(codeOffset: a).map { "\($0)" } }
        XCTAssertNil(at(0xff))
        XCTAssertEqual(at(0x100), "main.c:10")
        XCTAssertEqual(at(0x102), "main.c:10")
        XCTAssertEqual(at(0x103), "main.c:11:5")
        XCTAssertEqual(at(0x105), "main.c:11:5", "a non-statement row still gives the position")
        XCTAssertEqual(at(0x115), "main.c:11:5")
        XCTAssertEqual(at(0x116), "main.c:13:5")
        XCTAssertEqual(at(0x137), "stdio.h:1:5")
        XCTAssertEqual(at(0x13b), "gen.c:1:5")
        XCTAssertNil(at(0x13c), "end of the first sequence")
        XCTAssertNil(at(0x1ff))
        XCTAssertEqual(at(0x20f), "main.c:5")
        XCTAssertNil(at(0x210))
        XCTAssertEqual(at(0x45), "a.c:4")
        XCTAssertEqual(map.location(codeOffset: 0x46)?.path, "/work/inc/b.h")

        XCTAssertEqual(map.codeOffsets(file: "main.c", line: 11)?.offsets, [0x103], "only statement rows")
        XCTAssertEqual(map.codeOffsets(file: "main.c", line: 12)?.line, 13, "a line without code moves to the next one")
        XCTAssertEqual(map.codeOffsets(file: "main.c", line: 12)?.offsets, [0x116])
        XCTAssertEqual(map.codeOffsets(file: "src/main.c", line: 5)?.offsets, [0x200])
        XCTAssertEqual(map.codeOffsets(file: "/home/u/src/main.c", line: 1)?.line, 5)
        XCTAssertNil(map.codeOffsets(file: "main.c", line: 14), "no code after line 13")
        XCTAssertNil(map.codeOffsets(file: "ain.c", line: 10), "file names match whole components")
        XCTAssertEqual(map.codeOffsets(file: "stdio.h", line: 1)?.offsets, [0x136])
        XCTAssertEqual(map.linesWithCode(file: "main.c"), [5, 10, 11, 13])
    }

    /// Sequences the linker dropped (address 0 or the -1 tombstone) are not code.
    func testDiscardedSequencesAreIgnored() throws {
        var h = Bytes()
        h.append(standardHeaderStart())
        h.u8(0)
        h.cString("d.c"); h.uleb(0); h.uleb(0); h.uleb(0)
        h.u8(0)
        var p = Bytes()
        for start: UInt32 in [0, 0xFFFF_FFFF, 0x30] {
            p.append(Op.setAddress32(start))
            p.append(Op.copy)
            p.append(Op.advancePC(8))
            p.append(Op.endSequence)
        }
        let map = SourceMap(debugLine: lineUnit(version: 4, header: h.bytes, program: p.bytes), strings: DebugStrings())
        XCTAssertEqual(map.warnings, [])
        XCTAssertNil(map.location(codeOffset: 4))
        XCTAssertEqual(map.location(codeOffset: 0x34)?.line, 1)
        XCTAssertEqual(map.codeOffsets(file: "d.c", line: 1)?.offsets, [0x30])
    }
}
