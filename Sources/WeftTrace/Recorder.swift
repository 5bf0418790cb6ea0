#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeftInterpreter
import WeftScheduler

/// Writes a run's events to a trace as they happen (attach with
/// ``ThreadedRunner/addObserver(_:)``). The `end` event carries a digest of final memory.
public final class TraceRecorder: RunObserver {
    public let writer: TraceWriter
    let memory: LinearMemory?

    public init(writer: TraceWriter, memory: LinearMemory?) {
        self.writer = writer
        self.memory = memory
    }

    public func event(_ event: RunEvent) throws {
        if case .end = event {
            try writer.append(event, memoryDigest: memoryDigest(memory))
            try writer.flush()
        } else {
            try writer.append(event)
        }
    }
}

/// The digest of a memory's current contents that an `end` event holds; nil without a memory.
/// Format 2 (the default): SHA-256 of the memory's size in bytes (u64, little-endian), then of
/// every 4 KiB block that holds a nonzero byte, in order, as its block number (u32,
/// little-endian) and its bytes; so memory a program never wrote costs a scan, not a hash (most
/// of a threaded program's memory is untouched stack). Format 1: SHA-256 of the whole memory.
public func memoryDigest(_ memory: LinearMemory?, formatVersion: UInt16 = TraceFormat.version) -> [UInt8]? {
    guard let memory else { return nil }
    var sha = SHA256()
    let bytes = UnsafeRawBufferPointer(start: memory.base, count: memory.byteCount)
    if formatVersion < 2 {
        sha.update(bytes)
        return sha.finish()
    }
    var size = UInt64(bytes.count).littleEndian
    withUnsafeBytes(of: &size) { sha.update($0) }
    zeroBlock.withUnsafeBytes { zero in
        var start = 0
        var number: UInt32 = 0
        while start < bytes.count {
            let length = min(digestBlock, bytes.count - start)
            let p = bytes.baseAddress! + start
            if memcmp(p, zero.baseAddress!, length) != 0 {
                var n = number.littleEndian
                withUnsafeBytes(of: &n) { sha.update($0) }
                sha.update(UnsafeRawBufferPointer(start: p, count: length))
            }
            start += length
            number &+= 1
        }
    }
    return sha.finish()
}

/// The block size of format 2's memory digest, and a block of zeros to compare blocks with.
let digestBlock = 4096
let zeroBlock = [UInt8](repeating: 0, count: digestBlock)
