// Byte-level builders for hand-written DWARF in tests.

/// Appends little-endian integers, LEB128 numbers and strings to a byte array.
struct Bytes {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { le(UInt64(v), 2) }
    mutating func u32(_ v: UInt32) { le(UInt64(v), 4) }
    mutating func u64(_ v: UInt64) { le(v, 8) }
    mutating func le(_ v: UInt64, _ size: Int) {
        for i in 0..<size { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
    mutating func uleb(_ v: UInt64) {
        var v = v
        repeat {
            var b = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { b |= 0x80 }
            bytes.append(b)
        } while v != 0
    }
    mutating func sleb(_ v: Int64) {
        var v = v
        while true {
            let b = UInt8(v & 0x7F)
            v >>= 7
            if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
                bytes.append(b)
                return
            }
            bytes.append(b | 0x80)
        }
    }
    mutating func cString(_ s: String) {
        bytes += Array(s.utf8)
        bytes.append(0)
    }
    mutating func append(_ other: [UInt8]) { bytes += other }
}

/// Line-number program opcodes for the tests (standard opcode numbers from DWARF 5 section 7.22).
enum Op {
    static func extended(_ sub: UInt8, _ operands: [UInt8]) -> [UInt8] {
        var b = Bytes()
        b.u8(0)
        b.uleb(UInt64(operands.count + 1))
        b.u8(sub)
        b.append(operands)
        return b.bytes
    }
    static func setAddress32(_ a: UInt32) -> [UInt8] {
        var b = Bytes()
        b.u32(a)
        return extended(2, b.bytes)
    }
    static let endSequence = extended(1, [])
    static let copy: [UInt8] = [1]
    static func advancePC(_ n: UInt64) -> [UInt8] {
        var b = Bytes()
        b.u8(2)
        b.uleb(n)
        return b.bytes
    }
    static func advanceLine(_ n: Int64) -> [UInt8] {
        var b = Bytes()
        b.u8(3)
        b.sleb(n)
        return b.bytes
    }
    static func setFile(_ n: UInt64) -> [UInt8] {
        var b = Bytes()
        b.u8(4)
        b.uleb(n)
        return b.bytes
    }
    static func setColumn(_ n: UInt64) -> [UInt8] {
        var b = Bytes()
        b.u8(5)
        b.uleb(n)
        return b.bytes
    }
    static let negateStmt: [UInt8] = [6]
    static let setBasicBlock: [UInt8] = [7]
    static let constAddPC: [UInt8] = [8]
    static func fixedAdvancePC(_ n: UInt16) -> [UInt8] {
        var b = Bytes()
        b.u8(9)
        b.u16(n)
        return b.bytes
    }
    static let setPrologueEnd: [UInt8] = [10]
    static let setEpilogueBegin: [UInt8] = [11]
    static func setISA(_ n: UInt64) -> [UInt8] {
        var b = Bytes()
        b.u8(12)
        b.uleb(n)
        return b.bytes
    }
    static func setDiscriminator(_ n: UInt64) -> [UInt8] {
        var b = Bytes()
        b.uleb(n)
        return extended(4, b.bytes)
    }
}

/// Wraps a line table header body and program into a unit: `unit_length`, `version`, (v5:
/// address and segment selector sizes), `header_length`, header, program. 32-bit format.
func lineUnit(version: UInt16, header: [UInt8], program: [UInt8], is64: Bool = false) -> [UInt8] {
    var afterLength = Bytes()
    afterLength.u16(version)
    if version >= 5 {
        afterLength.u8(4)  // address_size
        afterLength.u8(0)  // segment_selector_size
    }
    if is64 { afterLength.u64(UInt64(header.count)) } else { afterLength.u32(UInt32(header.count)) }
    afterLength.append(header)
    afterLength.append(program)
    var unit = Bytes()
    if is64 {
        unit.u32(0xFFFF_FFFF)
        unit.u64(UInt64(afterLength.bytes.count))
    } else {
        unit.u32(UInt32(afterLength.bytes.count))
    }
    unit.append(afterLength.bytes)
    return unit.bytes
}

/// The fixed part of a header: min_inst_length 1, max_ops 1, default_is_stmt 1, line_base -5,
/// line_range 14, opcode_base 13 (or `opcodeBase` with extra opcode lengths), standard lengths.
func standardHeaderStart(opcodeBase: UInt8 = 13, extraLengths: [UInt8] = []) -> [UInt8] {
    var b = Bytes()
    b.u8(1)  // minimum_instruction_length
    b.u8(1)  // maximum_operations_per_instruction
    b.u8(1)  // default_is_stmt
    b.u8(UInt8(bitPattern: -5))  // line_base
    b.u8(14)  // line_range
    b.u8(opcodeBase)
    b.append([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1] + extraLengths)
    return b.bytes
}

/// A special opcode for (operation advance, line advance) with line_base -5, line_range 14, opcode_base 13.
func special(address: Int, line: Int, opcodeBase: Int = 13) -> [UInt8] {
    let v = (line - -5) + 14 * address + opcodeBase
    precondition(line >= -5 && line < 9 && v <= 255)
    return [UInt8(v)]
}
