#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeftScheduler

/// The trace container: magic, format version, then chunks. See docs/trace-format.md.
public enum TraceFormat {
    /// "WEFTTRC" and a newline.
    public static let magic: [UInt8] = [0x57, 0x45, 0x46, 0x54, 0x54, 0x52, 0x43, 0x0A]
    /// The format version this Weft writes, and the newest it reads.
    public static let version: UInt16 = 2
    static let headerChunk: UInt8 = 1
    static let eventChunk: UInt8 = 2
    /// Chunk kinds from 128 up are optional: a reader that does not know one skips it.
    static let firstOptionalChunk: UInt8 = 128
    /// An event chunk is written once its payload reaches this size.
    static let chunkTarget = 64 * 1024
}

/// Writes a trace as the run goes: the header first, then events in chunks, each with its
/// length and CRC-32, written to the file as soon as it fills (or every quarter second), so a
/// killed recording still leaves every complete chunk readable.
public final class TraceWriter {
    let fd: Int32
    // The writer's state is only touched by its own methods, which never overlap (nothing they
    // call comes back into the writer), so the run-time exclusivity checks Swift would make on
    // every access to these properties (a few per event) are switched off.
    @exclusivity(unchecked) var state = CodingState()
    /// The chunk being filled: its kind and length bytes (filled in when it is written), then
    /// the events; the checksum is appended in place, so a chunk goes to the file in one write.
    @exclusivity(unchecked) var chunk = ByteWriter(capacity: TraceFormat.chunkTarget + 1024)
    @exclusivity(unchecked) var lastFlush = monotonicMilliseconds()
    @exclusivity(unchecked) public private(set) var eventCount = 0
    @exclusivity(unchecked) public private(set) var byteCount = 0
    var failure: String?
    /// Kind byte and payload length before the payload of every chunk.
    static let chunkPrefix = 5

    public init(path: String, header: TraceHeader) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TraceFormatError("cannot create \(path): \(String(cString: strerror(errno)))") }
        var w = ByteWriter()
        w.raw(TraceFormat.magic)
        w.u16(TraceFormat.version)
        try w.withUnsafeBytes { try write($0) }
        var h = ByteWriter()
        for _ in 0..<Self.chunkPrefix { h.u8(0) }
        header.encode(into: &h)
        try writeChunk(kind: TraceFormat.headerChunk, &h)
        for _ in 0..<Self.chunkPrefix { chunk.u8(0) }
    }

    deinit {
        try? flush()
        close(fd)
    }

    /// Appends one event (`memoryDigest` goes with an `end` event).
    public func append(_ event: RunEvent, memoryDigest: [UInt8]? = nil) throws {
        state.encode(event, memoryDigest: memoryDigest, into: &chunk)
        eventCount += 1
        if chunk.count >= TraceFormat.chunkTarget + Self.chunkPrefix {
            try flush()
        } else if eventCount & 255 == 0 {
            let now = monotonicMilliseconds()
            if now - lastFlush >= 250 { try flush() }
        }
    }

    /// Writes the pending events as a chunk.
    public func flush() throws {
        guard chunk.count > Self.chunkPrefix else { return }
        lastFlush = monotonicMilliseconds()
        defer { chunk.truncate(to: Self.chunkPrefix) }
        try writeChunk(kind: TraceFormat.eventChunk, &chunk)
    }

    /// Writes `w` as a chunk of `kind`: `w` holds ``chunkPrefix`` bytes of room, then the payload.
    func writeChunk(kind: UInt8, _ w: inout ByteWriter) throws {
        let payloadLength = w.count - Self.chunkPrefix
        w.patchU8(kind, at: 0)
        w.patchU32(UInt32(payloadLength), at: 1)
        w.u32(w.withUnsafeBytes { CRC32.checksum($0) })
        try w.withUnsafeBytes { try write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let failure { throw TraceFormatError(failure) }
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                failure = "cannot write the trace: \(String(cString: strerror(errno)))"
                throw TraceFormatError(failure!)
            }
            offset += n
        }
        byteCount += bytes.count
    }
}

/// Reads a trace: the header at once, then events one by one. Every length is checked against
/// the bytes present; a damaged chunk is an error, and a file that stops part way (a killed
/// recording) reads up to its last complete chunk, with ``endsEarly`` set.
public final class TraceReader {
    public let header: TraceHeader
    let bytes: [UInt8]
    // As in the writer: only this reader's own, never overlapping methods touch these, so the
    // run-time exclusivity checks (several per event) are switched off.
    @exclusivity(unchecked) var offset: Int
    @exclusivity(unchecked) var chunk: ByteReader?
    @exclusivity(unchecked) var state: CodingState
    /// The format version of the trace (1 up to ``TraceFormat/version``).
    public let formatVersion: UInt16
    /// Events returned so far.
    @exclusivity(unchecked) public private(set) var eventIndex = 0
    /// Set when the data stops before the recorded run's end event: the file was cut short.
    @exclusivity(unchecked) public private(set) var endsEarly = false
    @exclusivity(unchecked) public private(set) var sawEnd = false

    public convenience init(path: String) throws {
        guard let f = fopen(path, "rb") else {
            throw TraceFormatError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n > 0 { data.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count { break }
        }
        if ferror(f) != 0 { throw TraceFormatError("cannot read \(path)") }
        try self.init(bytes: data)
    }

    public init(bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 10, Array(bytes[0..<8]) == TraceFormat.magic else {
            throw TraceFormatError("not a Weft trace (bad magic)")
        }
        let version = UInt16(bytes[8]) | UInt16(bytes[9]) << 8
        guard version >= 1 else { throw TraceFormatError("trace format version 0 is not a released format") }
        guard version <= TraceFormat.version else {
            throw TraceFormatError("trace format version \(version) is newer than this Weft reads (\(TraceFormat.version)); use a newer Weft")
        }
        formatVersion = version
        state = CodingState(formatVersion: version)
        offset = 10
        guard let (kind, payload) = try Self.chunk(in: bytes, at: &offset), kind == TraceFormat.headerChunk else {
            throw TraceFormatError("the trace has no complete header")
        }
        var r = ByteReader(bytes, from: payload.lowerBound, to: payload.upperBound)
        do {
            header = try TraceHeader.decode(&r)
        } catch let e as TraceFormatError {
            throw TraceFormatError("bad header: \(e.message)")
        }
        guard r.atEnd else { throw TraceFormatError("bad header: \(r.remaining) unexpected bytes after it") }
    }

    /// The next chunk at `offset`: its kind and payload range; nil when the file ends (cleanly or
    /// part way through a chunk: then `truncated` is set).
    static func chunk(in bytes: [UInt8], at offset: inout Int, truncated: UnsafeMutablePointer<Bool>? = nil) throws -> (UInt8, Range<Int>)? {
        let left = bytes.count - offset
        if left == 0 { return nil }
        guard left >= 9 else {
            truncated?.pointee = true
            return nil
        }
        let kind = bytes[offset]
        var r = ByteReader(bytes, from: offset + 1)
        let length = Int(try r.u32())
        guard length <= left - 9 else {
            truncated?.pointee = true
            return nil
        }
        let payload = (offset + 5)..<(offset + 5 + length)
        var c = ByteReader(bytes, from: payload.upperBound)
        let stored = try c.u32()
        let sum = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<payload.upperBound])) }
        guard sum == stored else {
            throw TraceFormatError("the chunk at byte \(offset) is damaged (CRC mismatch)")
        }
        offset = payload.upperBound + 4
        return (kind, payload)
    }

    /// The next event, with the recorded end (outcome and memory digest) for an `end` event; nil
    /// after the last one.
    public func next() throws -> (event: RunEvent, end: TraceEnd?)? {
        while chunk == nil || chunk!.atEnd {
            chunk = nil
            var truncated = false
            let start = offset
            guard let (kind, payload) = try Self.chunk(in: bytes, at: &offset, truncated: &truncated) else {
                if !sawEnd { endsEarly = true }
                return nil
            }
            switch kind {
            case TraceFormat.eventChunk:
                chunk = ByteReader(bytes, from: payload.lowerBound, to: payload.upperBound)
            case TraceFormat.headerChunk:
                throw TraceFormatError("a second header at byte \(start)")
            case let k where k >= TraceFormat.firstOptionalChunk:
                continue
            default:
                throw TraceFormatError("unknown chunk kind \(kind) at byte \(start)")
            }
        }
        if sawEnd { throw TraceFormatError("events after the end of the run (event \(eventIndex))") }
        do {
            let (event, end) = try state.decode(&chunk!)
            eventIndex += 1
            if end != nil { sawEnd = true }
            return (event, end)
        } catch let e as TraceFormatError {
            throw TraceFormatError("event \(eventIndex): \(e.message)")
        }
    }
}

func monotonicMilliseconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    write(fd, p, n)
}
