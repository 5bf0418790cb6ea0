#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shadow memory: what the detector remembers about past accesses to each 8-byte granule of
/// guest memory, byte-exact, in about one byte of shadow per guest byte that was touched.
///
/// **Records.** An access record is 32 bits: a byte mask (bits 0–7: which of the granule's
/// bytes it covers) and a *descriptor* index (bits 8–31). A descriptor says who accessed and
/// how: the FastTrack epoch `clock@slot`, the flags (write, atomic, aligned plain read: see
/// ``AccessFlags``) and the location (call stack and instruction, see ``SiteTable``). Accesses
/// of one instruction in one epoch share a descriptor, so a loop filling an array, or a
/// `memory.fill`, costs 4 bytes of record per granule and one descriptor. Descriptors are
/// reference-counted by the records that use them and their slots reused when the count drops
/// to zero, so the table holds live descriptors only (16 bytes each).
///
/// **Granules.** A granule has two 32-bit cells (8 bytes of shadow per 8 guest bytes): up to
/// two records inline; a granule that needs more (bytes written by different instructions or
/// epochs, concurrent readers) sets cell 0 to ``linkTag`` and cell 1 to the offset of a *list*
/// of up to ``listLimit`` records; beyond that the oldest is forgotten (which can hide a race,
/// never invent one).
///
/// **Allocation.** Everything except descriptors lives in one arena of 32-bit words, addressed
/// by 32-bit offsets (0 = none): a *page table* (64 words) for each 4 KiB guest page that was
/// touched, holding the offsets of its 64-byte *lines*; a line (16 words: 8 granules × 2 cells)
/// is allocated the first time an access touches it; lists come in four sizes and are recycled
/// through free lists. A directory maps guest page numbers to page tables. So shadow grows with
/// the lines that accesses touch, not with the guest's memory size. The arena grows by a
/// sixteenth at a time (with `realloc`, which moves large blocks without copying), so little of
/// it is unused.
final class ShadowMemory {
    /// Guest bytes per page (the unit of ``touchedPages``), as a shift.
    static let pageShift = 12
    static let linesPerPage = 64
    /// Arena words per line: 8 granules of 2 cells.
    static let lineWords = 16
    /// Cell 0 of a granule whose records are in a list (cell 1 is the list's offset). A record
    /// never has an empty mask, so this cannot be one.
    static let linkTag: UInt32 = 1 << 8
    /// Descriptor indices 0 and 1 are never used (0: empty cell, 1: ``linkTag``).
    static let firstDescriptor = 2
    /// The most records a granule keeps.
    static let listLimit = 31
    /// Free (or never used) descriptor slots have this info, which no access has.
    static let freeInfo = UInt64.max

    // MARK: Arena

    /// The arena of 32-bit words; moves when it grows, so offsets, not pointers, are kept.
    private(set) var words: UnsafeMutablePointer<UInt32>
    private(set) var wordCapacity: Int
    private(set) var wordsUsed: Int
    /// Heads of the free lists of list blocks of 4, 8, 16 and 32 words.
    private let freeBlocks = UnsafeMutablePointer<UInt32>.allocate(capacity: 4)

    /// Guest page number → offset of its page table (0: untouched).
    private(set) var directory: UnsafeMutablePointer<UInt32>
    private(set) var directoryCount: Int

    // MARK: Descriptors

    /// Per descriptor: flags (bits 8–15), slot (16–31) and clock (32–63), as in ``RaceDetector``.
    private(set) var infos: UnsafeMutablePointer<UInt64>
    /// Per descriptor: its location id (for a free slot: the next free slot).
    private(set) var locations: UnsafeMutablePointer<UInt32>
    /// Per descriptor: how many records use it.
    private(set) var references: UnsafeMutablePointer<UInt32>
    private(set) var descriptorCapacity: Int
    /// Slots below this have been used; free ones among them are chained from `freeDescriptor`.
    private var descriptorsUsed = ShadowMemory.firstDescriptor
    private var freeDescriptor: UInt32 = 0
    private(set) var liveDescriptors = 0
    /// The most descriptors the table may hold (the 24 bits of a record's index). When that
    /// many are live and another is needed, the shadow is cleared (see ``reset()``).
    var maxDescriptors = 1 << 24
    /// How many times the shadow was cleared because the descriptor table was full.
    private(set) var resets = 0

    // MARK: Accounting

    private(set) var touchedPages = 0
    private(set) var touchedLines = 0
    private(set) var peakBytes = 0

    init() {
        wordCapacity = 1024
        words = Self.resize(nil, from: 0, to: wordCapacity, fill: 0)
        // Offset 0 means "none": the first words are never handed out.
        wordsUsed = 16
        freeBlocks.initialize(repeating: 0, count: 4)
        directoryCount = 0
        directory = Self.resize(nil, from: 0, to: 1, fill: 0)
        descriptorCapacity = 64
        infos = Self.resize(nil, from: 0, to: descriptorCapacity, fill: Self.freeInfo)
        locations = Self.resize(nil, from: 0, to: descriptorCapacity, fill: 0)
        references = Self.resize(nil, from: 0, to: descriptorCapacity, fill: 0)
        peakBytes = bytes
    }

    deinit {
        free(words)
        freeBlocks.deallocate()
        free(directory)
        free(infos)
        free(locations)
        free(references)
    }

    /// A `malloc`ed buffer of `T` (a trivial type) resized from `old` to `new` elements, the new
    /// ones set to `fill`.
    static func resize<T>(_ p: UnsafeMutablePointer<T>?, from old: Int, to new: Int, fill: T) -> UnsafeMutablePointer<T> {
        guard let raw = realloc(p, new * MemoryLayout<T>.stride) else {
            fatalError("race detector: out of memory for \(new * MemoryLayout<T>.stride) bytes of shadow")
        }
        let q = raw.bindMemory(to: T.self, capacity: new)
        (q + old).initialize(repeating: fill, count: new - old)
        return q
    }

    /// Bytes of shadow allocated now: the arena, the directory and the descriptor table.
    var bytes: Int {
        wordCapacity * 4 + directoryCount * 4 + descriptorCapacity * (8 + 4 + 4)
    }

    /// Guest bytes in 4 KiB pages that some access touched.
    var touchedGuestBytes: Int { touchedPages << Self.pageShift }
    /// Guest bytes in 64-byte lines that some access touched.
    var touchedLineBytes: Int { touchedLines * 64 }

    // MARK: Cells

    /// The two cells of `granule`; allocates its line (and page table) on first touch. The
    /// pointer is valid until the arena next grows (``allocateList(records:)``, another line).
    @inline(__always)
    func cell(granule: UInt64) -> UnsafeMutablePointer<UInt32> {
        let page = Int(truncatingIfNeeded: granule >> UInt64(Self.pageShift - 3))
        if page < directoryCount {
            let table = directory[page]
            if table != 0 {
                let line = words[Int(table) + Int(truncatingIfNeeded: (granule >> 3) & 63)]
                if line != 0 { return words + Int(line) + Int(truncatingIfNeeded: granule & 7) * 2 }
            }
        }
        return allocateCell(granule: granule)
    }

    @inline(never)
    func allocateCell(granule: UInt64) -> UnsafeMutablePointer<UInt32> {
        let page = Int(truncatingIfNeeded: granule >> UInt64(Self.pageShift - 3))
        if page >= directoryCount { growDirectory(to: page + 1) }
        if directory[page] == 0 {
            directory[page] = allocateWords(Self.linesPerPage)
            touchedPages += 1
        }
        let entry = Int(directory[page]) + Int(truncatingIfNeeded: (granule >> 3) & 63)
        if words[entry] == 0 {
            let line = allocateWords(Self.lineWords)
            words[entry] = line
            touchedLines += 1
        }
        return words + Int(words[entry]) + Int(truncatingIfNeeded: granule & 7) * 2
    }

    private func growDirectory(to n: Int) {
        // Geometric growth, rounded to 64 entries (the directory has 4 bytes per 4 KiB page).
        let count = (max(n, directoryCount + directoryCount / 8) + 63) & ~63
        directory = Self.resize(directory, from: directoryCount, to: count, fill: 0)
        directoryCount = count
        notePeak()
    }

    /// `n` zeroed words from the end of the arena (growing it), returning their offset.
    private func allocateWords(_ n: Int) -> UInt32 {
        if wordsUsed + n > wordCapacity {
            let capacity = (max(wordsUsed + n, wordCapacity + wordCapacity / 16) + 1023) & ~1023
            precondition(capacity <= 1 << 32, "race detector: shadow memory exceeds 16 GiB")
            words = Self.resize(words, from: wordCapacity, to: capacity, fill: 0)
            wordCapacity = capacity
            notePeak()
        }
        let offset = wordsUsed
        wordsUsed += n
        return UInt32(offset)
    }

    private func notePeak() {
        peakBytes = max(peakBytes, bytes)
    }

    // MARK: Lists

    /// A list's header word: record count (bits 0–7) and size class (bits 8–15); the records
    /// follow. Class k is a block of 4 << k words holding (4 << k) - 1 records.
    static func listCapacity(sizeClass k: UInt32) -> Int { (4 << Int(k)) - 1 }

    /// A list block with room for `records` records (at most ``listLimit``); the arena may move.
    /// Takes a free block of the size, or splits a larger free one, before it grows the arena.
    func allocateList(records: Int) -> UInt32 {
        var k = 0
        while Self.listCapacity(sizeClass: UInt32(k)) < records { k += 1 }
        var offset: UInt32 = 0
        if freeBlocks[k] != 0 {
            offset = popFree(k)
        } else if let larger = (k + 1..<4).first(where: { freeBlocks[$0] != 0 }) {
            // Halve a larger free block down to this size, freeing the other halves.
            offset = popFree(larger)
            for j in (k..<larger).reversed() {
                let half = offset + UInt32(4 << j)
                words[Int(half)] = freeBlocks[j]
                freeBlocks[j] = half
            }
        } else {
            offset = allocateWords(4 << k)
        }
        words[Int(offset)] = UInt32(k) << 8
        return offset
    }

    private func popFree(_ k: Int) -> UInt32 {
        let head = freeBlocks[k]
        freeBlocks[k] = words[Int(head)]
        return head
    }

    func freeList(_ offset: UInt32) {
        let k = Int((words[Int(offset)] >> 8) & 0xFF)
        words[Int(offset)] = freeBlocks[k]
        freeBlocks[k] = offset
    }

    // MARK: Descriptors

    /// A new descriptor, not referenced yet: the caller uses it for one access, which stores
    /// records with it or frees it (``discardIfUnused(_:)``). Clears the shadow when the table
    /// is full at ``maxDescriptors``.
    func newDescriptor(info: UInt64, location: UInt32) -> UInt32 {
        let d: UInt32
        if freeDescriptor != 0 {
            d = freeDescriptor
            freeDescriptor = locations[Int(d)]
        } else {
            if descriptorsUsed == descriptorCapacity {
                if descriptorCapacity >= maxDescriptors { reset() } else { growDescriptors() }
            }
            d = UInt32(descriptorsUsed)
            descriptorsUsed += 1
        }
        infos[Int(d)] = info
        locations[Int(d)] = location
        references[Int(d)] = 0
        liveDescriptors += 1
        return d
    }

    private func growDescriptors() {
        let n = min(descriptorCapacity + max(descriptorCapacity / 2, 64), maxDescriptors)
        infos = Self.resize(infos, from: descriptorCapacity, to: n, fill: Self.freeInfo)
        locations = Self.resize(locations, from: descriptorCapacity, to: n, fill: 0)
        references = Self.resize(references, from: descriptorCapacity, to: n, fill: 0)
        descriptorCapacity = n
        notePeak()
    }

    @inline(__always)
    func retain(_ d: UInt32) {
        references[Int(d)] &+= 1
    }

    @inline(__always)
    func release(_ d: UInt32) {
        let n = references[Int(d)] &- 1
        references[Int(d)] = n
        if n == 0 { recycle(d) }
    }

    /// Frees `d` if no record uses it (a new descriptor whose access stored no record).
    @inline(__always)
    func discardIfUnused(_ d: UInt32) {
        if references[Int(d)] == 0 { recycle(d) }
    }

    private func recycle(_ d: UInt32) {
        infos[Int(d)] = Self.freeInfo
        locations[Int(d)] = freeDescriptor
        freeDescriptor = d
        liveDescriptors -= 1
    }

    /// Forgets every record (the descriptor table was full): accesses before this point are
    /// no longer checked against later ones, which can hide races but never invent one.
    func reset() {
        resets += 1
        words.update(repeating: 0, count: wordsUsed)
        wordsUsed = 16
        freeBlocks.update(repeating: 0, count: 4)
        directory.update(repeating: 0, count: directoryCount)
        touchedPages = 0
        touchedLines = 0
        infos.update(repeating: Self.freeInfo, count: descriptorCapacity)
        references.update(repeating: 0, count: descriptorCapacity)
        descriptorsUsed = Self.firstDescriptor
        freeDescriptor = 0
        liveDescriptors = 0
    }

    // MARK: Inspection (tests, statistics)

    /// Calls `body` with the granule number and records of every granule that has any.
    func forEachGranule(_ body: (UInt64, [UInt32]) -> Void) {
        for page in 0..<directoryCount where directory[page] != 0 {
            let table = Int(directory[page])
            for l in 0..<Self.linesPerPage where words[table + l] != 0 {
                let line = Int(words[table + l])
                for g in 0..<8 {
                    let c0 = words[line + 2 * g], c1 = words[line + 2 * g + 1]
                    var records: [UInt32] = []
                    if c0 == Self.linkTag {
                        let count = Int(words[Int(c1)] & 0xFF)
                        for i in 0..<count { records.append(words[Int(c1) + 1 + i]) }
                    } else {
                        if c0 != 0 { records.append(c0) }
                        if c1 != 0 { records.append(c1) }
                    }
                    if !records.isEmpty { body(UInt64(page * Self.linesPerPage + l) * 8 + UInt64(g), records) }
                }
            }
        }
    }
}
