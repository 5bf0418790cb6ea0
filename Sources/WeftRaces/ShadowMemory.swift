/// Shadow memory: what the detector remembers about past accesses to each 8-byte granule of
/// guest memory. Shadow pages cover 4 KiB of guest memory each and are allocated the first time
/// an access touches that range, so shadow grows with touched memory only.
///
/// A granule holds a short list of *access records*. One record is 64 bits:
///
/// | bits  | meaning                                                        |
/// |-------|----------------------------------------------------------------|
/// | 0–7   | byte mask: which of the granule's 8 bytes the record covers    |
/// | 8–15  | flags: write, atomic, aligned plain read (``AccessFlags``)      |
/// | 16–31 | thread slot                                                    |
/// | 32–63 | the thread's clock (FastTrack epoch `clock@slot`)              |
///
/// plus a 32-bit location id (call stack and instruction, see ``SiteTable``). Two records fit
/// in the page itself (24 bytes per granule: 3 bytes of shadow per guest byte). A granule
/// that needs more (different threads, epochs or instructions on different bytes of it) moves
/// its list to an overflow block of up to ``overflowCapacity`` records; beyond that the oldest
/// record is forgotten (which can hide a race, never invent one).
final class ShadowMemory {
    static let pageShift = 12
    static let granulesPerPage = 1 << (pageShift - 3)
    /// Record slots per granule kept in the page.
    static let inlineRecords = 2
    static let overflowCapacity = 32
    /// Set in a granule's first record when its list lives in overflow block `record >> 32`.
    static let overflowFlag: UInt64 = 1 << 15

    /// One entry per 4 KiB of guest memory: the page's records (2 per granule) followed by its
    /// location ids (2 per granule), or nil if untouched.
    private(set) var pages: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private(set) var pageCount: Int
    private(set) var touchedPages = 0

    // Overflow blocks: records and locations, `overflowCapacity` each, and a count per block.
    var overflowRecords: UnsafeMutablePointer<UInt64>
    var overflowLocations: UnsafeMutablePointer<UInt32>
    var overflowCounts: UnsafeMutablePointer<Int32>
    var overflowBlocks = 0
    var overflowAllocated: Int
    var freeBlocks: [Int32] = []
    private(set) var peakBytes = 0

    static let pageBytes = granulesPerPage * inlineRecords * (MemoryLayout<UInt64>.stride + MemoryLayout<UInt32>.stride)

    init() {
        pageCount = 16
        pages = .allocate(capacity: pageCount)
        pages.initialize(repeating: nil, count: pageCount)
        overflowAllocated = 16
        overflowRecords = .allocate(capacity: overflowAllocated * Self.overflowCapacity)
        overflowLocations = .allocate(capacity: overflowAllocated * Self.overflowCapacity)
        overflowCounts = .allocate(capacity: overflowAllocated)
    }

    deinit {
        for i in 0..<pageCount { pages[i]?.deallocate() }
        pages.deallocate()
        overflowRecords.deallocate()
        overflowLocations.deallocate()
        overflowCounts.deallocate()
    }

    /// Guest bytes covered by allocated shadow pages.
    var touchedGuestBytes: Int { touchedPages << Self.pageShift }

    /// Bytes of shadow in use now: pages, the page table and overflow blocks.
    var bytes: Int {
        touchedPages * Self.pageBytes + pageCount * MemoryLayout<UnsafeMutableRawPointer?>.stride
            + overflowAllocated * (Self.overflowCapacity * 12 + 4)
    }

    static let pageRecordBytes = granulesPerPage * inlineRecords * MemoryLayout<UInt64>.stride

    /// The records of granule `granule` (``inlineRecords`` UInt64s) and their location ids;
    /// allocates the page on first touch.
    @inline(__always)
    func cell(granule: UInt64) -> (records: UnsafeMutablePointer<UInt64>, locations: UnsafeMutablePointer<UInt32>) {
        let page = Int(truncatingIfNeeded: granule >> UInt64(Self.pageShift - 3))
        let index = (Int(truncatingIfNeeded: granule) & (Self.granulesPerPage - 1)) * Self.inlineRecords
        let p: UnsafeMutableRawPointer
        if page < pageCount, let existing = pages[page] { p = existing } else { p = allocatePage(page) }
        return (p.assumingMemoryBound(to: UInt64.self) + index,
                (p + Self.pageRecordBytes).assumingMemoryBound(to: UInt32.self) + index)
    }

    @inline(never)
    func allocatePage(_ page: Int) -> UnsafeMutableRawPointer {
        if page >= pageCount {
            let n = max(page + 1, pageCount * 2)
            let bigger = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: n)
            bigger.initialize(from: pages, count: pageCount)
            (bigger + pageCount).initialize(repeating: nil, count: n - pageCount)
            pages.deallocate()
            pages = bigger
            pageCount = n
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: Self.pageBytes, alignment: 16)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: Self.pageBytes)
        pages[page] = p
        touchedPages += 1
        peakBytes = max(peakBytes, bytes)
        return p
    }

    // MARK: Overflow blocks

    func allocateBlock() -> Int32 {
        if let b = freeBlocks.popLast() { overflowCounts[Int(b)] = 0; return b }
        if overflowBlocks == overflowAllocated {
            let n = overflowAllocated * 2
            let r = UnsafeMutablePointer<UInt64>.allocate(capacity: n * Self.overflowCapacity)
            r.initialize(from: overflowRecords, count: overflowAllocated * Self.overflowCapacity)
            overflowRecords.deallocate()
            overflowRecords = r
            let l = UnsafeMutablePointer<UInt32>.allocate(capacity: n * Self.overflowCapacity)
            l.initialize(from: overflowLocations, count: overflowAllocated * Self.overflowCapacity)
            overflowLocations.deallocate()
            overflowLocations = l
            let c = UnsafeMutablePointer<Int32>.allocate(capacity: n)
            c.initialize(from: overflowCounts, count: overflowAllocated)
            overflowCounts.deallocate()
            overflowCounts = c
            overflowAllocated = n
            peakBytes = max(peakBytes, bytes)
        }
        let b = Int32(overflowBlocks)
        overflowBlocks += 1
        overflowCounts[Int(b)] = 0
        return b
    }

    func freeBlock(_ b: Int32) {
        freeBlocks.append(b)
    }
}
