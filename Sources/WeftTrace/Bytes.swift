/// Little-endian, LEB128-varint byte encoding for traces.

/// Appends trace fields to a growable byte buffer. The recorder encodes every event through
/// one of these, so it writes straight into raw memory: no per-byte array append, uniqueness
/// check or reallocation in the common case (see ``reserve(_:)``).
struct ByteWriter: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    /// Bytes written so far.
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// A copy of the bytes written.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    var isEmpty: Bool { count == 0 }

    /// The bytes written, in place.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Forgets the bytes from `index` on, keeping the buffer.
    mutating func truncate(to index: Int) {
        precondition(index >= 0 && index <= count)
        count = index
    }

    /// Overwrites the byte already written at `index` with `v`.
    mutating func patchU8(_ v: UInt8, at index: Int) {
        precondition(index >= 0 && index < count)
        base[index] = v
    }

    /// Overwrites four bytes already written at `index` with `v`, little-endian.
    mutating func patchU32(_ v: UInt32, at index: Int) {
        precondition(index >= 0 && index + 4 <= count)
        UnsafeMutableRawPointer(base + index).storeBytes(of: v.littleEndian, as: UInt32.self)
    }

    /// Makes room for `n` more bytes.
    @inline(__always)
    mutating func reserve(_ n: Int) {
        if n > capacity &- count { grow(n) }
    }

    @inline(never)
    mutating func grow(_ n: Int) {
        var c = capacity
        while n > c - count { c *= 2 }
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        new.update(from: base, count: count)
        base.deallocate()
        base = new
        capacity = c
    }

    @inline(__always)
    mutating func u8(_ v: UInt8) {
        reserve(1)
        base[count] = v
        count &+= 1
    }

    mutating func u16(_ v: UInt16) {
        u8(UInt8(v & 0xFF))
        u8(UInt8(v >> 8))
    }

    mutating func u32(_ v: UInt32) {
        reserve(4)
        UnsafeMutableRawPointer(base + count).storeBytes(of: v.littleEndian, as: UInt32.self)
        count &+= 4
    }

    /// Unsigned LEB128.
    @inline(__always)
    mutating func varint(_ v: UInt64) {
        reserve(10)
        var v = v
        var i = count
        while v >= 0x80 {
            base[i] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            i &+= 1
        }
        base[i] = UInt8(truncatingIfNeeded: v)
        count = i &+ 1
    }

    mutating func varint(_ v: Int) { varint(UInt64(v)) }

    /// Signed values as zigzag varints (small magnitudes stay small).
    @inline(__always)
    mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func raw(_ b: [UInt8]) {
        b.withUnsafeBytes { raw($0) }
    }

    mutating func raw(_ b: UnsafeRawBufferPointer) {
        guard !b.isEmpty else { return }
        reserve(b.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: b.baseAddress!, byteCount: b.count)
        count &+= b.count
    }

    /// A length-prefixed byte string.
    mutating func blob(_ b: [UInt8]) {
        varint(b.count)
        raw(b)
    }

    mutating func string(_ s: String) { blob(Array(s.utf8)) }
}

/// A trace that cannot be read: one line saying why.
public struct TraceFormatError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads trace fields, checking every length against what is left.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = end ?? bytes.count
    }

    var atEnd: Bool { offset >= end }
    var remaining: Int { end - offset }

    mutating func u8() throws -> UInt8 {
        guard offset < end else { throw TraceFormatError("unexpected end of data") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws -> UInt16 {
        let a = try u8(), b = try u8()
        return UInt16(a) | UInt16(b) << 8
    }

    mutating func u32() throws -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(try u8()) << (8 * UInt32(i)) }
        return v
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8()
            if shift == 63, b > 1 { throw TraceFormatError("varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw TraceFormatError("varint longer than 10 bytes") }
        }
    }

    /// A varint that must fit `limit` (a count or length); guards allocations.
    mutating func count(max limit: Int) throws -> Int {
        let v = try varint()
        guard v <= UInt64(limit) else { throw TraceFormatError("count \(v) exceeds the limit \(limit)") }
        return Int(v)
    }

    mutating func int32() throws -> Int32 {
        let v = try zigzag()
        guard let r = Int32(exactly: v) else { throw TraceFormatError("value \(v) out of range") }
        return r
    }

    mutating func uint32() throws -> UInt32 {
        let v = try varint()
        guard let r = UInt32(exactly: v) else { throw TraceFormatError("value \(v) out of range") }
        return r
    }

    mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func raw(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= remaining else { throw TraceFormatError("a field of \(n) bytes runs past the end of its chunk") }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func blob() throws -> [UInt8] {
        try raw(try count(max: remaining))
    }

    mutating func string() throws -> String {
        let b = try blob()
        guard let s = String(validating: b, as: UTF8.self) else { throw TraceFormatError("a string is not valid UTF-8") }
        return s
    }
}
