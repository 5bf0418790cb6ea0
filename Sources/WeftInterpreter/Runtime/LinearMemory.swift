#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The plain data of a linear memory that the execution loop reads: a base address that never
/// moves and the current size. Threads that share a memory share one of these.
public struct MemoryData {
    /// Start of the reservation; stable for the memory's lifetime, so growth never moves it.
    public var base: UnsafeMutableRawPointer
    /// Current size in bytes (a multiple of the 64 KiB page).
    public var byteCount: Int
    /// Largest size in pages the memory may grow to.
    public var maxPages: Int
    public var isShared: Bool
}

/// A linear memory. The whole maximum size is reserved up front (address space only, with
/// `MAP_NORESERVE`), so the base pointer that running code caches is valid for ever.
public final class LinearMemory {
    public static let pageSize = 65536
    /// The 32-bit index space allows at most 65536 pages (4 GiB).
    public static let maxPages32 = 65536

    public let data: UnsafeMutablePointer<MemoryData>
    let reservedBytes: Int
    /// The maximum the memory was declared with (import matching compares it).
    public let declaredMaxPages: Int?

    public init(minPages: Int, maxPages: Int?, shared: Bool) throws(MemoryAllocationError) {
        let limit = min(maxPages ?? Self.maxPages32, Self.maxPages32)
        let reserve = max(limit * Self.pageSize, Self.pageSize)
        guard let p = mmap(nil, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            p != MAP_FAILED
        else {
            throw MemoryAllocationError(bytes: reserve)
        }
        reservedBytes = reserve
        declaredMaxPages = maxPages
        data = .allocate(capacity: 1)
        data.initialize(to: MemoryData(base: p, byteCount: minPages * Self.pageSize, maxPages: limit, isShared: shared))
    }

    deinit {
        munmap(data.pointee.base, reservedBytes)
        data.deallocate()
    }

    public var pageCount: Int { data.pointee.byteCount / Self.pageSize }
    public var byteCount: Int { data.pointee.byteCount }
    public var isShared: Bool { data.pointee.isShared }
    public var base: UnsafeMutableRawPointer { data.pointee.base }

    /// Grows by `delta` pages; returns the old page count, or -1 when the maximum forbids it.
    public func grow(by delta: UInt64) -> Int64 {
        let old = pageCount
        let new = UInt64(old) + delta
        guard new <= UInt64(data.pointee.maxPages) else { return -1 }
        data.pointee.byteCount = Int(new) * Self.pageSize
        return Int64(old)
    }

    /// A bounds-checked view of `count` bytes at `offset`, or nil when out of bounds.
    public func bytes(at offset: UInt64, count: Int) -> UnsafeMutableRawBufferPointer? {
        guard offset <= UInt64(byteCount), UInt64(count) <= UInt64(byteCount) - offset else { return nil }
        return UnsafeMutableRawBufferPointer(start: base + Int(offset), count: count)
    }
}

public struct MemoryAllocationError: Error, CustomStringConvertible {
    public let bytes: Int
    public var description: String { "cannot reserve \(bytes) bytes of address space for a linear memory" }
}
