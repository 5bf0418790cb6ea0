// Broken `.debug_line` input degrades to "no source info" plus a warning: no crash, no endless
// loop, no huge allocation.

import XCTest

@testable import WeftSource

final class MalformedDWARFTests: XCTestCase {
    func decode(_ bytes: [UInt8], strings: DebugStrings = DebugStrings()) -> (programs: [LineProgram], warnings: [String]) {
        LineProgram.decodeAll(bytes, strings: strings)
    }

    func assertRejected(_ bytes: [UInt8], mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        let (programs, warnings) = decode(bytes)
        XCTAssertTrue(programs.isEmpty, "no program from a broken unit", file: file, line: line)
        XCTAssertEqual(warnings.count, 1, "\(warnings)", file: file, line: line)
        XCTAssertTrue(warnings.first?.contains(text) == true, "\(warnings) should mention \(text)", file: file, line: line)
    }

    func testEveryTruncationOfAUnit() {
        let (v5, lineStr) = version5Unit()
        for unit in [version4Unit(), v5] {
            for n in 1..<unit.count {
                let (programs, warnings) = decode(Array(unit[..<n]), strings: DebugStrings(lineStr: lineStr))
                XCTAssertTrue(programs.isEmpty, "prefix of \(n) bytes")
                XCTAssertFalse(warnings.isEmpty, "prefix of \(n) bytes must warn")
            }
        }
    }

    /// A unit whose length says it ends early cuts its own header or program short.
    func testUnitLengthShorterThanContents() {
        var unit = version4Unit()
        for length in [0, 1, 2, 5, 20, 60] {
            unit.replaceSubrange(0..<4, with: [UInt8(length), 0, 0, 0])
            let (programs, warnings) = decode(Array(unit[..<(4 + length)]))
            XCTAssertTrue(programs.isEmpty, "length \(length)")
            XCTAssertEqual(warnings.count, 1, "length \(length): \(warnings)")
        }
    }

    func testBadVersions() {
        for version: UInt16 in [0, 1, 6, 0xFFFF] {
            var unit = version4Unit()
            unit[4] = UInt8(version & 0xFF)
            unit[5] = UInt8(version >> 8)
            assertRejected(unit, mentioning: "version \(version)")
        }
    }

    func testHugeLengths() {
        var unit = version4Unit()
        unit.replaceSubrange(0..<4, with: [0xEF, 0xFF, 0xFF, 0x7F])
        assertRejected(unit, mentioning: "runs past")
        // 64-bit format with a length near 2^63.
        var big = Bytes()
        big.u32(0xFFFF_FFFF)
        big.u64(0x7FFF_FFFF_FFFF_FFFF)
        assertRejected(big.bytes + Array(version4Unit()[4...]), mentioning: "runs past")
        // Reserved initial-length values.
        assertRejected([0xF0, 0xFF, 0xFF, 0xFF] + Array(version4Unit()[4...]), mentioning: "reserved")
        // header_length beyond the unit.
        var header = version4Unit()
        header.replaceSubrange(6..<10, with: [0xFF, 0xFF, 0xFF, 0x0F])
        assertRejected(header, mentioning: "header length")
    }

    func testHugeEntryCountIsRejectedWithoutAllocating() {
        var h = Bytes()
        h.append(standardHeaderStart())
        h.u8(1)
        h.uleb(1); h.uleb(0x08)
        h.uleb(1 << 62)  // directories_count
        h.cString("x")
        assertRejected(lineUnit(version: 5, header: h.bytes, program: []), mentioning: "entry count")
        // A count with no format to read: every entry would take 0 bytes.
        var e = Bytes()
        e.append(standardHeaderStart())
        e.u8(0)
        e.uleb(1_000_000_000)
        assertRejected(lineUnit(version: 5, header: e.bytes, program: []), mentioning: "entry count")
    }

    func testBadHeaderFields() {
        var zeroRange = version4Unit()
        zeroRange[14] = 0  // line_range (after length 4, version 2, header_length 4, 4 fixed bytes)
        assertRejected(zeroRange, mentioning: "line_range")
        var unknownForm = Bytes()
        unknownForm.append(standardHeaderStart())
        unknownForm.u8(1)
        unknownForm.uleb(1); unknownForm.uleb(0x7F)
        unknownForm.uleb(1)
        unknownForm.u8(0)
        assertRejected(lineUnit(version: 5, header: unknownForm.bytes, program: []), mentioning: "form")
        var missingStrings = Bytes()
        missingStrings.append(standardHeaderStart())
        missingStrings.u8(1)
        missingStrings.uleb(1); missingStrings.uleb(0x1f)  // line_strp without .debug_line_str
        missingStrings.uleb(1)
        missingStrings.u32(0)
        assertRejected(lineUnit(version: 5, header: missingStrings.bytes, program: []), mentioning: ".debug_line_str")
    }

    func testBadOpcodes() {
        func unit(_ program: [UInt8]) -> [UInt8] {
            var h = Bytes()
            h.append(standardHeaderStart())
            h.u8(0)
            h.u8(0)
            return lineUnit(version: 4, header: h.bytes, program: program)
        }
        assertRejected(unit([0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), mentioning: "LEB128")
        assertRejected(unit([0, 0xFF, 0xFF, 0x03, 1]), mentioning: "extended opcode length")
        assertRejected(unit([0, 0]), mentioning: "extended opcode length")
        assertRejected(unit(Op.setAddress32(0x10) + [2] + Array(repeating: 0xFF, count: 11)), mentioning: "LEB128")
        // An extended opcode whose operands run past its declared length.
        assertRejected(unit([0, 2, 3, 0x61, 0x62, 0, 0, 0, 0] + Op.endSequence), mentioning: "overruns")
        // DWARF 5 declares 4-byte addresses; an 8-byte DW_LNE_set_address contradicts it.
        var h = Bytes()
        h.append(standardHeaderStart())
        h.u8(0); h.uleb(0); h.u8(0); h.uleb(0)
        assertRejected(lineUnit(version: 5, header: h.bytes, program: Op.extended(2, Array(repeating: 0, count: 8))), mentioning: "set_address")
    }

    /// Addresses that wrap or leave the 32-bit range are not code: lookups stay safe.
    func testOutOfRangeAddresses() {
        var h = Bytes()
        h.append(standardHeaderStart())
        h.u8(0)
        h.cString("w.c"); h.uleb(0); h.uleb(0); h.uleb(0)
        h.u8(0)
        var p = Bytes()
        p.append(Op.setAddress32(0x10))
        p.append(Op.copy)  // line 1 at 0x10
        p.append(Op.advancePC(1 << 63))
        p.append(Op.advanceLine(4))
        p.append(Op.copy)  // line 5 far beyond any code
        p.append(Op.advancePC(1 << 63))
        p.append(Op.advancePC(0x20))
        p.append(Op.advanceLine(1))
        p.append(Op.copy)  // line 6: the address wrapped around to 0x30
        p.append(Op.advancePC(2))
        p.append(Op.endSequence)
        let map = SourceMap(debugLine: lineUnit(version: 4, header: h.bytes, program: p.bytes), strings: DebugStrings())
        XCTAssertEqual(map.warnings, [])
        XCTAssertEqual(map.location(codeOffset: 0x11)?.line, 1)
        XCTAssertEqual(map.codeOffsets(file: "w.c", line: 5)?.line, 6, "the far row is skipped")
        XCTAssertEqual(map.codeOffsets(file: "w.c", line: 5)?.offsets, [0x30])
        XCTAssertEqual(map.location(codeOffset: 0x31)?.line, 6)
        XCTAssertEqual(map.location(codeOffset: Int.max)?.line, nil)
    }

    /// A broken unit between good ones costs only itself.
    func testBrokenUnitBetweenGoodOnes() {
        var bad = version4Unit()
        bad[4] = 9
        let (programs, warnings) = decode(version4Unit() + bad + version4Unit())
        XCTAssertEqual(programs.count, 2)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertEqual(programs.last?.sequences.map { $0.map(R.init) }, version4Rows)
    }

    /// Random corruptions of a valid unit: decoding always finishes, and never yields more rows
    /// than the unit has bytes (each opcode byte appends at most one row).
    func testRandomCorruptionsTerminate() {
        let original = version4Unit() + version5Unit().unit
        var rng = SplitMix(seed: 0x5EED)
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            let (programs, _) = decode(bytes)
            let rows = programs.reduce(0) { $0 + $1.sequences.reduce(0) { $0 + $1.count } }
            XCTAssertLessThanOrEqual(rows, bytes.count)
            _ = SourceMap(debugLine: bytes, strings: DebugStrings())
        }
    }
}

/// A small deterministic generator for the corruption tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
