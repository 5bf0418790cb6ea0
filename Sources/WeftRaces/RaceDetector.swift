import WeftInterpreter
import WeftScheduler
import WeftWASI

/// Flags in the info word of an access descriptor (bits 8–15, see ``ShadowMemory/infos``).
enum AccessFlags {
    static let write: UInt64 = 1 << 8
    static let atomic: UInt64 = 1 << 9
    /// A plain load of 1, 2, 4 or 8 bytes at an address that is a multiple of its size.
    static let alignedRead: UInt64 = 1 << 10
}

/// A happens-before data-race detector for a multithreaded run: vector clocks with FastTrack's
/// epoch representation (Flanagan & Freund, PLDI 2009), byte-exact over 8-byte granules.
///
/// Register it with ``ThreadedRunner/addObserver(_:)`` before the run: it attaches a probe to
/// every thread as it starts (keeping the runner's preemption at memory accesses) and takes
/// its happens-before edges from the run's events:
/// - spawn: the parent's accesses before `thread-spawn` happen before the child's;
/// - atomics: every atomic access (and `wait`) to an address acquires and then releases that
///   address's clock, as a sequentially consistent access does;
/// - notify: the notifier's accesses happen before those of each thread its notify wakes.
/// See docs/races.md for the rules, including plain loads of atomically written words.
public final class RaceDetector: RunObserver {
    /// Stop recording new reports after this many (the run goes on).
    public var maxReports = 1000
    /// The seed stamped on reports.
    public var seed: UInt64?

    public private(set) var races: [DataRace] = []
    /// How many racing access pairs were found, before removing duplicates.
    public private(set) var racingAccesses = 0

    let shadow = ShadowMemory()
    let sites = SiteTable()
    /// Per thread slot: its vector clock, wasi-threads id, probe, creation site.
    var clocks: [VectorClock] = []
    var slotTids: [Int32] = []
    var probes: [ThreadProbe?] = []
    var spawnSites: [SpawnSite?] = []
    var slotOfTid: [Int32: Int] = [:]
    /// The clock of each address used atomically (its last release).
    var syncClocks: [UInt64: VectorClock] = [:]
    /// Reported pairs of locations, and of code sites, so each is reported once.
    var seenLocationPairs: Set<UInt64> = []
    var seenKeys: Set<String> = []
    /// Scratch list for updating one granule's records.
    let scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: ShadowMemory.listLimit + 2)
    /// The most thread slots a record can name.
    static let maxSlots = 1 << 16

    public init() {}

    deinit {
        scratch.deallocate()
    }

    /// Shadow memory allocated at its peak, in bytes: the arena of page tables, lines and
    /// record lists, the page directory and the descriptor table (vector clocks and interned
    /// stacks not included).
    public var peakShadowBytes: Int { max(shadow.peakBytes, shadow.bytes) }
    /// Guest memory in 4 KiB pages that some access touched, in bytes.
    public var touchedGuestBytes: Int { shadow.touchedGuestBytes }
    /// Guest memory in 64-byte lines that some access touched (shadow's unit of allocation).
    public var touchedLineBytes: Int { shadow.touchedLineBytes }

    // MARK: RunObserver

    public func threadStarted(_ thread: Int32, execution: ExecutionThread) {
        let slot = slotOfTid[thread] ?? newSlot(tid: thread, parent: nil)
        guard slot >= 0 else { return }
        let probe = ThreadProbe(detector: self, slot: slot, execution: execution)
        probes[slot] = probe
        execution.probe = probe
    }

    public func event(_ event: RunEvent) throws {
        switch event {
        case .spawn(let parent, let child, _) where child >= 0:
            guard let p = slotOfTid[parent] else { return }
            let slot = newSlot(tid: child, parent: p)
            guard slot >= 0 else { return }
            // The child starts knowing everything its parent did; the parent moves on.
            clocks[slot].assign(clocks[p])
            clocks[slot][slot] = 1
            clocks[p][p] &+= 1
        case .notify(let thread, _, _, let woken):
            guard let n = slotOfTid[thread], !woken.isEmpty else { return }
            for w in woken {
                if let s = slotOfTid[w] { clocks[s].join(clocks[n]) }
            }
            clocks[n][n] &+= 1
        case .hostCall(let thread, let record):
            guard let slot = slotOfTid[thread], let probe = probes[slot], !record.writes.isEmpty else { return }
            let location = probe.location(label: record.name)
            let clock = clocks[slot]
            for w in record.writes where !w.bytes.isEmpty {
                let info = Self.info(slot: slot, clock: clock[slot], flags: AccessFlags.write)
                let d = shadow.newDescriptor(info: info, location: location)
                access(slot: slot, clock: clock, address: w.address, size: UInt64(w.bytes.count), info: info, descriptor: d)
            }
        default:
            break
        }
    }

    func newSlot(tid: Int32, parent: Int?) -> Int {
        guard clocks.count < Self.maxSlots else { return -1 }
        let slot = clocks.count
        let clock = VectorClock(capacity: max(8, slot + 1))
        clock[slot] = 1
        clocks.append(clock)
        slotTids.append(tid)
        probes.append(nil)
        slotOfTid[tid] = slot
        var site: SpawnSite?
        if let parent, let probe = probes[parent] {
            site = SpawnSite(parent: slotTids[parent], stack: describe(probe.location(label: nil), probe.execution))
        }
        spawnSites.append(site)
        return slot
    }

    // MARK: Synchronization

    /// An atomic access by `slot` to `address`: acquire the address's clock, then (after the
    /// access is checked) release into it and start a new epoch.
    @inline(never)
    func atomicAccess(slot: Int, address: UInt64, size: Int, isWrite: Bool, location: UInt32) {
        let clock = clocks[slot]
        let sync: VectorClock
        if let s = syncClocks[address] { sync = s } else {
            sync = VectorClock(capacity: clocks.count)
            syncClocks[address] = sync
        }
        clock.join(sync)
        if size > 0 {
            // Each atomic access starts a new epoch, so it gets a descriptor of its own.
            let info = Self.info(slot: slot, clock: clock[slot], flags: AccessFlags.atomic | (isWrite ? AccessFlags.write : 0))
            let d = shadow.newDescriptor(info: info, location: location)
            access(slot: slot, clock: clock, address: address, size: UInt64(size), info: info, descriptor: d)
        }
        sync.assign(clock)
        clock[slot] &+= 1
    }

    /// A plain load that reads what an atomic store wrote acquires that store's address.
    @inline(never)
    func acquire(clock: VectorClock, address: UInt64) {
        if let s = syncClocks[address] { clock.join(s) }
    }

    // MARK: Accesses

    /// The info word of an access by `slot` at its current clock (see ``ShadowMemory/infos``).
    @inline(__always)
    static func info(slot: Int, clock: UInt32, flags: UInt64) -> UInt64 {
        flags | (UInt64(slot) << 16) | (UInt64(clock) << 32)
    }

    /// Checks and records an access of `size` bytes at `address` by thread `slot`, described by
    /// `descriptor` (whose info word is `info`). Walks the access line by line, so a bulk access
    /// looks each 64-byte line up once.
    @inline(__always)
    func access(slot: Int, clock: VectorClock, address: UInt64, size: UInt64, info: UInt64, descriptor d: UInt32) {
        var a = address
        let end = address &+ size
        while a < end {
            let lineEnd = min((a | 63) &+ 1, end)
            var cell = shadow.cell(granule: a >> 3)
            while true {
                let offset = a & 7
                let n = min(8 - offset, lineEnd - a)
                let mask = UInt32(truncatingIfNeeded: ((UInt64(1) << n) - 1) << offset)
                let fast = fastPath(cell: cell, mask: mask, info: info, descriptor: d)
                if !fast {
                    accessGranule(slot: slot, clock: clock, granule: a >> 3, mask: mask, info: info, descriptor: d, address: address, size: size)
                }
                a &+= n
                if a >= lineEnd { break }
                // The slow path may have moved the arena.
                cell = fast ? cell + 2 : shadow.cell(granule: a >> 3)
            }
        }
        // No record uses the descriptor when the access was redundant everywhere (a read of
        // what this thread wrote in this epoch).
        shadow.discardIfUnused(d)
    }

    /// The common cases, in the granule's cells: nothing there yet; the only record is this
    /// descriptor's (same thread, epoch, kind and place); this is a read and the only record
    /// is a write of these bytes by this thread in this epoch, which makes the read redundant
    /// (see ``update(count:slot:clock:info:descriptor:granule:mask:address:size:)``); or every
    /// record is this thread's (``ownRecordsPath(cell:c0:c1:mask:info:descriptor:)``). Each
    /// leaves the granule as `update` would. Returns false for everything else.
    @inline(__always)
    func fastPath(cell: UnsafeMutablePointer<UInt32>, mask: UInt32, info: UInt64, descriptor d: UInt32) -> Bool {
        let c0 = cell[0], c1 = cell[1]
        if c1 == 0 {
            if c0 >> 8 == d {
                cell[0] = c0 | mask
                return true
            }
            if c0 == 0 {
                cell[0] = (d << 8) | mask
                shadow.retain(d)
                return true
            }
            if info & AccessFlags.write == 0, c0 & mask == mask,
                shadow.infos[Int(c0 >> 8)] == (info & ~AccessFlags.alignedRead) | AccessFlags.write {
                return true
            }
        } else if c0 == ShadowMemory.linkTag {
            return false
        }
        return ownRecordsPath(cell: cell, c0: c0, c1: c1, mask: mask, info: info, descriptor: d)
    }

    /// The granule's one or two inline records are all this thread's (earlier epochs or other
    /// places), so none can race: a write that covers all their bytes replaces them; a read
    /// replaces this thread's read of no more bytes and keeps a plain write. (What a bulk copy
    /// or a loop over memory this thread used before meets.)
    @inline(__always)
    func ownRecordsPath(cell: UnsafeMutablePointer<UInt32>, c0: UInt32, c1: UInt32, mask: UInt32, info: UInt64, descriptor d: UInt32) -> Bool {
        let slotBits: UInt64 = 0xFFFF_0000
        let i0 = shadow.infos[Int(c0 >> 8)]
        guard (i0 ^ info) & slotBits == 0 else { return false }
        let i1 = c1 == 0 ? info : shadow.infos[Int(c1 >> 8)]
        guard (i1 ^ info) & slotBits == 0 else { return false }
        if info & AccessFlags.write != 0 {
            guard (c0 | c1) & 0xFF & ~mask == 0 else { return false }
            shadow.retain(d)  // first: a record being replaced may use `d`
            shadow.release(c0 >> 8)
            if c1 != 0 { shadow.release(c1 >> 8) }
            cell[0] = (d << 8) | mask
            cell[1] = 0
            return true
        }
        // A read: no atomic records (a plain load may acquire from those), and no write of this
        // epoch covering the read (which would make it redundant: `update` handles that).
        guard (i0 | i1) & AccessFlags.atomic == 0 else { return false }
        let ownWrite = (info & ~AccessFlags.alignedRead) | AccessFlags.write
        let w0 = i0 & AccessFlags.write != 0, w1 = c1 != 0 && i1 & AccessFlags.write != 0
        if (w0 && i0 == ownWrite && c0 & mask == mask) || (w1 && i1 == ownWrite && c1 & mask == mask) { return false }
        let mine = (d << 8) | mask
        // The record the read replaces (0: none, it is added), and the write that stays.
        let replaced: UInt32, kept: UInt32
        if c1 == 0 {
            if w0 {
                (replaced, kept) = (0, c0)
            } else {
                guard c0 & 0xFF & ~mask == 0 else { return false }
                (replaced, kept) = (c0, 0)
            }
        } else if w0 && !w1 && c1 & 0xFF & ~mask == 0 {
            (replaced, kept) = (c1, c0)
        } else if w1 && !w0 && c0 & 0xFF & ~mask == 0 {
            (replaced, kept) = (c0, c1)
        } else {
            return false
        }
        shadow.retain(d)  // first: the replaced record may use `d`
        if replaced != 0 { shadow.release(replaced >> 8) }
        if kept != 0 {
            cell[0] = kept
            cell[1] = mine
        } else {
            cell[0] = mine
        }
        return true
    }

    /// The FastTrack step on one granule, when ``fastPath(cell:mask:info:descriptor:)`` did not
    /// apply.
    @inline(never)
    func accessGranule(slot: Int, clock: VectorClock, granule: UInt64, mask: UInt32, info: UInt64, descriptor d: UInt32, address: UInt64, size: UInt64) {
        var cell = shadow.cell(granule: granule)
        let c0 = cell[0]
        if c0 != ShadowMemory.linkTag {
            var count = 0
            if c0 != 0 {
                scratch[0] = c0
                count = 1
                let c1 = cell[1]
                if c1 != 0 { scratch[1] = c1; count = 2 }
            }
            let n = update(count: count, slot: slot, clock: clock, info: info, descriptor: d, granule: granule, mask: mask, address: address, size: size)
            if n <= 2 {
                cell[0] = n > 0 ? scratch[0] : 0
                cell[1] = n > 1 ? scratch[1] : 0
            } else {
                let list = storeList(count: n)
                cell = shadow.cell(granule: granule)  // the arena may have moved
                cell[0] = ShadowMemory.linkTag
                cell[1] = list
            }
        } else {
            let list = cell[1]
            let header = shadow.words[Int(list)]
            let count = Int(header & 0xFF)
            scratch.update(from: shadow.words + Int(list) + 1, count: count)
            let n = update(count: count, slot: slot, clock: clock, info: info, descriptor: d, granule: granule, mask: mask, address: address, size: size)
            if n <= 2 {
                shadow.freeList(list)
                cell[0] = scratch[0]
                cell[1] = n > 1 ? scratch[1] : 0
            } else if n <= ShadowMemory.listCapacity(sizeClass: header >> 8) {
                shadow.words[Int(list)] = (header & ~0xFF) | UInt32(n)
                (shadow.words + Int(list) + 1).update(from: scratch, count: n)
            } else {
                let bigger = storeList(count: n)
                shadow.freeList(list)
                cell = shadow.cell(granule: granule)
                cell[1] = bigger
            }
        }
    }

    /// Stores the scratch list in a new list block and returns its offset (the arena may move).
    /// Past ``ShadowMemory/listLimit`` records the oldest are forgotten: this can hide a race,
    /// never report a false one.
    func storeList(count: Int) -> UInt32 {
        var n = count
        var first = 0
        if n > ShadowMemory.listLimit {
            first = n - ShadowMemory.listLimit
            for i in 0..<first { shadow.release(scratch[i] >> 8) }
            n = ShadowMemory.listLimit
        }
        let list = shadow.allocateList(records: n)
        shadow.words[Int(list)] |= UInt32(n)
        (shadow.words + Int(list) + 1).update(from: scratch + first, count: n)
        return list
    }

    /// The FastTrack step on one granule's records (in the scratch list, `count` of them): report
    /// the records that race with the new access, drop the bytes the new access makes redundant,
    /// and add it (merging it into a record with the same descriptor or an equal one). Keeps the
    /// descriptors' reference counts. Returns the new count.
    ///
    /// A read is not added when a plain write by the same thread in the same epoch covers its
    /// bytes: whatever would race with the read races with that write too (same thread and
    /// epoch, so ordered the same way), and the write stays until a write ordered after both
    /// replaces it. Such a race is then reported against the write.
    @inline(__always)
    func update(count: Int, slot: Int, clock: VectorClock, info: UInt64, descriptor d: UInt32, granule: UInt64, mask: UInt32, address: UInt64, size: UInt64) -> Int {
        let isWrite = info & AccessFlags.write != 0
        let isAtomic = info & AccessFlags.atomic != 0
        let alignedRead = info & AccessFlags.alignedRead != 0
        let infos = shadow.infos
        if alignedRead {
            // A plain word load of what an atomic store wrote reads it as an atomic load would.
            for i in 0..<count {
                let r = scratch[i]
                if r & mask != 0, infos[Int(r >> 8)] & (AccessFlags.write | AccessFlags.atomic) == (AccessFlags.write | AccessFlags.atomic) {
                    acquire(clock: clock, address: address)
                    break
                }
            }
        }
        // Check.
        for i in 0..<count {
            let r = scratch[i]
            if r & mask == 0 { continue }
            let e = infos[Int(r >> 8)]
            let es = Int((e >> 16) & 0xFFFF)
            if es == slot || UInt32(truncatingIfNeeded: e >> 32) <= clock[es] { continue }
            let eWrite = e & AccessFlags.write != 0
            let eAtomic = e & AccessFlags.atomic != 0
            if !eWrite && !isWrite { continue }
            if eAtomic && isAtomic { continue }
            if alignedRead && eAtomic { continue }
            if e & AccessFlags.alignedRead != 0 && isAtomic { continue }
            found(slot: slot, record: r, granule: granule, isWrite: isWrite, isAtomic: isAtomic, descriptor: d, address: address, size: size)
        }
        // Merge, prune.
        let location = shadow.locations[Int(d)]
        let ownWrite = (info & ~AccessFlags.alignedRead) | AccessFlags.write
        var k = 0
        var merged = false
        for i in 0..<count {
            var r = scratch[i]
            let rd = r >> 8
            if !isWrite, !merged, r & mask == mask, infos[Int(rd)] == ownWrite {
                // This thread wrote these bytes in this epoch: the read adds nothing.
                merged = true
            } else if !merged, rd == d || (infos[Int(rd)] == info && shadow.locations[Int(rd)] == location) {
                if rd != d {
                    // An equal descriptor (made after a cache miss): use ours, so the fast path hits.
                    shadow.retain(d)
                    shadow.release(rd)
                    r = (d << 8) | (r & 0xFF)
                }
                r |= mask
                merged = true
            } else if r & mask != 0 {
                if isWrite {
                    r &= ~mask
                } else {
                    let e = infos[Int(rd)]
                    if e & AccessFlags.write == 0 {
                        let es = Int((e >> 16) & 0xFFFF)
                        if es == slot || UInt32(truncatingIfNeeded: e >> 32) <= clock[es] { r &= ~mask }
                    }
                }
                if r & 0xFF == 0 {
                    shadow.release(rd)
                    continue
                }
            }
            scratch[k] = r
            k += 1
        }
        if !merged {
            scratch[k] = (d << 8) | mask
            shadow.retain(d)
            k += 1
        }
        return k
    }

    // MARK: Reports

    @inline(never)
    func found(slot: Int, record r: UInt32, granule: UInt64, isWrite: Bool, isAtomic: Bool, descriptor d: UInt32, address: UInt64, size: UInt64) {
        racingAccesses += 1
        let e = shadow.infos[Int(r >> 8)]
        let recordLocation = shadow.locations[Int(r >> 8)]
        let location = shadow.locations[Int(d)]
        let pair = (UInt64(min(location, recordLocation)) << 32) | UInt64(max(location, recordLocation))
        guard races.count < maxReports, seenLocationPairs.insert(pair).inserted, let probe = probes[slot] else { return }
        let es = Int((e >> 16) & 0xFFFF)
        let granuleBase = granule << 3
        let bits = r & 0xFF
        let first = UInt64(bits.trailingZeroBitCount)
        let last = UInt64(31 - bits.leadingZeroBitCount)
        let previous = RaceAccess(
            thread: slotTids[es], isWrite: e & AccessFlags.write != 0, isAtomic: e & AccessFlags.atomic != 0,
            size: Int(last - first + 1), address: granuleBase + first,
            stack: describe(recordLocation, probe.execution), hostCall: sites.label(of: recordLocation))
        let current = RaceAccess(
            thread: slotTids[slot], isWrite: isWrite, isAtomic: isAtomic, size: Int(size), address: address,
            stack: describe(location, probe.execution), hostCall: sites.label(of: location))
        let race = DataRace(current: current, previous: previous, currentSpawn: spawnSites[slot], previousSpawn: spawnSites[es], seed: seed)
        guard seenKeys.insert(race.key).inserted else { return }
        races.append(race)
    }

    /// The stack of a location, named through `thread` (any thread of the store).
    func describe(_ location: UInt32, _ thread: ExecutionThread) -> [StackFrame] {
        sites.frames(of: location).map { frame in
            guard let f = frame.function else { return StackFrame(function: "?", offset: nil) }
            let offset = thread.wasmOffset(of: frame.code, in: f)
            return StackFrame(function: thread.name(of: f), offset: offset, source: offset.flatMap { thread.sourcePosition(of: f, moduleOffset: $0) })
        }
    }
}

/// The probe on one thread: keeps the thread's shadow call stack and hands its accesses to
/// the detector.
final class ThreadProbe: ExecutionProbe {
    /// The detector (which keeps the probe: not retained), and the same as an unmanaged
    /// reference that the hot paths use without reference counting.
    unowned(unsafe) let detector: RaceDetector
    let detectorRef: Unmanaged<RaceDetector>
    let shadow: ShadowMemory
    let slot: Int
    unowned(unsafe) var execution: ExecutionThread
    /// The thread's vector clock (also the detector's).
    let clock: VectorClock
    /// Shadow call stack: stack-node ids, the innermost at `depth - 1`.
    var stack: UnsafeMutablePointer<UInt32>
    var depth = 1
    var stackCapacity = 64
    /// A direct-mapped cache of (node, code address) -> location id, and per entry the
    /// descriptors last used there for reads and for writes. A cached descriptor is used only
    /// while its info and location still match (its slot may have been freed and reused).
    let cacheCode: UnsafeMutablePointer<UInt>
    let cacheNode: UnsafeMutablePointer<UInt32>
    let cacheLocation: UnsafeMutablePointer<UInt32>
    let cacheRead: UnsafeMutablePointer<UInt32>
    let cacheWrite: UnsafeMutablePointer<UInt32>
    /// A direct-mapped cache of (parent node, call site, callee) -> stack node.
    let nodeCacheSite: UnsafeMutablePointer<UInt>
    let nodeCacheFunction: UnsafeMutablePointer<UInt>
    let nodeCacheParent: UnsafeMutablePointer<UInt32>
    let nodeCacheNode: UnsafeMutablePointer<UInt32>
    static let cacheSize = 1024

    init(detector: RaceDetector, slot: Int, execution: ExecutionThread) {
        self.detector = detector
        detectorRef = Unmanaged.passUnretained(detector)
        shadow = detector.shadow
        self.slot = slot
        self.execution = execution
        clock = detector.clocks[slot]
        var root: UInt32 = 0
        if let f = execution.currentFunction { root = detector.sites.node(parent: 0, callSite: 0, function: f) }
        stack = .allocate(capacity: stackCapacity)
        stack[0] = root
        func table<T>(_ zero: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: Self.cacheSize)
            p.initialize(repeating: zero, count: Self.cacheSize)
            return p
        }
        cacheCode = table(0)
        cacheNode = table(0)
        cacheLocation = table(0)
        cacheRead = table(0)
        cacheWrite = table(0)
        nodeCacheSite = table(0)
        nodeCacheFunction = table(0)
        nodeCacheParent = table(0)
        nodeCacheNode = table(0)
    }

    deinit {
        stack.deallocate()
        cacheCode.deallocate()
        cacheNode.deallocate()
        cacheLocation.deallocate()
        cacheRead.deallocate()
        cacheWrite.deallocate()
        nodeCacheSite.deallocate()
        nodeCacheFunction.deallocate()
        nodeCacheParent.deallocate()
        nodeCacheNode.deallocate()
    }

    /// The location of `thread`'s current instruction (`thread` is the probe's thread), and
    /// its cache entry.
    @inline(__always)
    func currentLocation(_ thread: ExecutionThread) -> (location: UInt32, entry: Int) {
        let code = thread.codeAddress
        let node = stack[depth - 1]
        let h = Int(truncatingIfNeeded: ((code >> 2) ^ (UInt(node) &* 0x9E37_79B9))) & (Self.cacheSize - 1)
        if cacheCode[h] == code, cacheNode[h] == node, cacheLocation[h] != 0 { return (cacheLocation[h], h) }
        let l = detector.sites.location(node: node, code: code)
        cacheCode[h] = code
        cacheNode[h] = node
        cacheLocation[h] = l
        return (l, h)
    }

    /// The location, for an access not made by an instruction of its own (a WASI call's
    /// writes carry its name; a spawn site has none).
    func location(label: String?) -> UInt32 {
        detector.sites.location(node: stack[depth - 1], code: execution.codeAddress, label: label)
    }

    /// A plain access at the current instruction: its descriptor (cached per instruction and
    /// kind while the thread's epoch lasts), then the check.
    @inline(__always)
    func plainAccess(address: UInt64, size: UInt64, flags: UInt64, location: UInt32, entry h: Int) {
        let info = RaceDetector.info(slot: slot, clock: clock[slot], flags: flags)
        let cache = flags & AccessFlags.write != 0 ? cacheWrite : cacheRead
        var d = cache[h]
        if shadow.infos[Int(d)] != info || shadow.locations[Int(d)] != location {
            d = shadow.newDescriptor(info: info, location: location)
            cache[h] = d
        }
        detectorRef._withUnsafeGuaranteedRef {
            $0.access(slot: slot, clock: clock, address: address, size: size, info: info, descriptor: d)
        }
    }

    func memoryAccess(thread: ExecutionThread, address: UInt64, size: Int, isWrite: Bool, isAtomic: Bool) {
        let (location, h) = currentLocation(thread)
        if isAtomic {
            detector.atomicAccess(slot: slot, address: address, size: size, isWrite: isWrite, location: location)
            return
        }
        var flags: UInt64 = isWrite ? AccessFlags.write : 0
        if !isWrite, size & (size - 1) == 0, address & UInt64(size - 1) == 0 { flags |= AccessFlags.alignedRead }
        plainAccess(address: address, size: UInt64(size), flags: flags, location: location, entry: h)
    }

    func bulkAccess(thread: ExecutionThread, address: UInt64, size: UInt64, isWrite: Bool) {
        guard size > 0 else { return }
        // The interpreter publishes the bulk instruction's position, as for other accesses.
        let (location, h) = currentLocation(thread)
        plainAccess(address: address, size: size, flags: isWrite ? AccessFlags.write : 0, location: location, entry: h)
    }

    func call(thread: ExecutionThread, function: FunctionRef) {
        let parent = stack[depth - 1]
        let site = thread.callSiteAddress
        let bits = UInt(truncatingIfNeeded: function.bits)
        let h = Int(truncatingIfNeeded: (site >> 2) ^ (bits >> 4) ^ (UInt(parent) &* 0x9E37_79B9)) & (Self.cacheSize - 1)
        if depth == stackCapacity { growStack() }
        if nodeCacheSite[h] == site, nodeCacheFunction[h] == bits, nodeCacheParent[h] == parent, nodeCacheNode[h] != 0 {
            stack[depth] = nodeCacheNode[h]
            depth += 1
            return
        }
        let node = detector.sites.node(parent: parent, callSite: site, function: function)
        nodeCacheSite[h] = site
        nodeCacheFunction[h] = bits
        nodeCacheParent[h] = parent
        nodeCacheNode[h] = node
        stack[depth] = node
        depth += 1
    }

    @inline(never)
    func growStack() {
        let bigger = UnsafeMutablePointer<UInt32>.allocate(capacity: stackCapacity * 2)
        bigger.initialize(from: stack, count: depth)
        stack.deallocate()
        stack = bigger
        stackCapacity *= 2
    }

    func `return`(thread: ExecutionThread) {
        if depth > 1 { depth -= 1 }
    }

    func synchronization(thread: ExecutionThread, kind: SyncKind, address: UInt64) {
        // A wait reads its address atomically; read-modify-writes were reported as accesses;
        // fences and notifies are not edges of their own (notify's is in the run events).
        if kind == .wait {
            detector.atomicAccess(slot: slot, address: address, size: 0, isWrite: false, location: 0)
        }
    }
}

extension RaceDetector {
    /// The probe observing thread `tid` (made by ``threadStarted(_:execution:)``), moved onto
    /// `execution`: the same guest thread's interpreter state when a debugger re-executes the
    /// run and recreates it. Nil when the detector has not seen the thread start.
    public func probe(forThread tid: Int32, movingTo execution: ExecutionThread) -> (any ExecutionProbe)? {
        guard let slot = slotOfTid[tid], slot < probes.count, let probe = probes[slot] else { return nil }
        probe.execution = execution
        return probe
    }
}
