/// Why debug information could not be read. One line; the reader that throws it gives up on the
/// unit (or section) it was reading and reports the text as a warning.
struct DWARFError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A little-endian cursor over a byte array with every read bounds-checked against a window
/// `[offset, end)`. Reads past the window throw instead of trapping.
struct ByteReader {
    let bytes: [UInt8]
    /// Position of the next read.
    var offset: Int
    /// One past the last readable byte.
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        let e = min(end ?? bytes.count, bytes.count)
        self.offset = min(max(start, 0), e)
        self.end = e
    }

    var isAtEnd: Bool { offset >= end }
    var remaining: Int { end - offset }

    private mutating func need(_ n: Int) throws(DWARFError) {
        guard n >= 0, n <= end - offset else {
            throw DWARFError("truncated data at offset 0x\(String(offset, radix: 16))")
        }
    }

    mutating func u8() throws(DWARFError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func i8() throws(DWARFError) -> Int8 { Int8(bitPattern: try u8()) }

    /// An unsigned little-endian integer of `size` bytes (1...8).
    mutating func unsigned(size: Int) throws(DWARFError) -> UInt64 {
        guard size >= 1, size <= 8 else { throw DWARFError("unsupported integer size \(size)") }
        try need(size)
        var v: UInt64 = 0
        for i in 0..<size { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += size
        return v
    }

    mutating func u16() throws(DWARFError) -> UInt16 { UInt16(try unsigned(size: 2)) }
    mutating func u32() throws(DWARFError) -> UInt32 { UInt32(try unsigned(size: 4)) }
    mutating func u64() throws(DWARFError) -> UInt64 { try unsigned(size: 8) }

    /// Unsigned LEB128. Bits beyond 64 must be zero; more than 10 bytes is an error.
    mutating func uleb() throws(DWARFError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8()
            if shift < 64 {
                result |= UInt64(b & 0x7F) << shift
            }
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift >= 70 { throw DWARFError("LEB128 number too long at offset 0x\(String(offset, radix: 16))") }
        }
    }

    /// Signed LEB128 (up to 10 bytes).
    mutating func sleb() throws(DWARFError) -> Int64 {
        var result: Int64 = 0
        var shift: Int64 = 0
        var b: UInt8
        repeat {
            b = try u8()
            if shift < 64 { result |= Int64(b & 0x7F) << shift }
            shift += 7
            if shift >= 70 && b & 0x80 != 0 {
                throw DWARFError("LEB128 number too long at offset 0x\(String(offset, radix: 16))")
            }
        } while b & 0x80 != 0
        if shift < 64 && b & 0x40 != 0 { result |= -(Int64(1) << shift) }
        return result
    }

    /// A ULEB128 that must fit in `Int` (counts, indices, lengths).
    mutating func ulebInt() throws(DWARFError) -> Int {
        let v = try uleb()
        guard v <= UInt64(Int.max) else { throw DWARFError("number out of range") }
        return Int(v)
    }

    /// A NUL-terminated string (invalid UTF-8 is repaired).
    mutating func cString() throws(DWARFError) -> String {
        var i = offset
        while i < end, bytes[i] != 0 { i += 1 }
        guard i < end else { throw DWARFError("unterminated string at offset 0x\(String(offset, radix: 16))") }
        let s = String(decoding: bytes[offset..<i], as: UTF8.self)
        offset = i + 1
        return s
    }

    mutating func skip(_ n: Int) throws(DWARFError) {
        try need(n)
        offset += n
    }

    /// Moves to an absolute position inside the window.
    mutating func seek(to position: Int) throws(DWARFError) {
        guard position >= 0, position <= end else { throw DWARFError("offset 0x\(String(position, radix: 16)) out of range") }
        offset = position
    }

    /// Reads a DWARF initial length; returns the unit's length and whether it uses the 64-bit
    /// format (offsets of 8 bytes instead of 4).
    mutating func initialLength() throws(DWARFError) -> (length: Int, is64: Bool) {
        let first = try u32()
        if first == 0xFFFF_FFFF {
            let l = try u64()
            guard l <= UInt64(Int.max) else { throw DWARFError("unit length out of range") }
            return (Int(l), true)
        }
        guard first < 0xFFFF_FFF0 else { throw DWARFError("reserved unit length 0x\(String(first, radix: 16))") }
        return (Int(first), false)
    }

    /// A section offset: 4 bytes in the 32-bit DWARF format, 8 in the 64-bit one.
    mutating func offsetValue(is64: Bool) throws(DWARFError) -> UInt64 {
        try unsigned(size: is64 ? 8 : 4)
    }
}

/// The NUL-terminated string at `offset` of a string section (`.debug_str`, `.debug_line_str`).
func string(in section: [UInt8]?, at offset: UInt64, name: String) throws(DWARFError) -> String {
    guard let section else { throw DWARFError("string refers to missing \(name) section") }
    guard offset < UInt64(section.count) else { throw DWARFError("string offset 0x\(String(offset, radix: 16)) outside \(name)") }
    var r = ByteReader(section, from: Int(offset))
    return try r.cString()
}
