import WeftInterpreter
import WeftScheduler
import WeftWASI

/// Flags of an access record (bits 8–15, see ``ShadowMemory``).
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
    let scratchRecords = UnsafeMutablePointer<UInt64>.allocate(capacity: ShadowMemory.overflowCapacity + 2)
    let scratchLocations = UnsafeMutablePointer<UInt32>.allocate(capacity: ShadowMemory.overflowCapacity + 2)
    /// The most thread slots a record can name.
    static let maxSlots = 1 << 16

    public init() {}

    deinit {
        scratchRecords.deallocate()
        scratchLocations.deallocate()
    }

    /// Shadow memory in use at its peak, in bytes (pages, page table, overflow blocks, vector
    /// clocks not included).
    public var peakShadowBytes: Int { max(shadow.peakBytes, shadow.bytes) }
    /// Guest memory covered by shadow pages (4 KiB pages touched by some access), in bytes.
    public var touchedGuestBytes: Int { shadow.touchedGuestBytes }

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
            for w in record.writes where !w.bytes.isEmpty {
                access(slot: slot, clock: clocks[slot], address: w.address, size: UInt64(w.bytes.count), flags: AccessFlags.write, location: location)
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
            access(slot: slot, clock: clock, address: address, size: UInt64(size), flags: AccessFlags.atomic | (isWrite ? AccessFlags.write : 0), location: location)
        }
        sync.assign(clock)
        clock[slot] &+= 1
    }

    /// A plain load that reads what an atomic store wrote acquires that store's address.
    func acquire(slot: Int, address: UInt64) {
        if let s = syncClocks[address] { clocks[slot].join(s) }
    }

    // MARK: Accesses

    /// Checks and records an access of `size` bytes at `address` by thread `slot`.
    @inline(__always)
    func access(slot: Int, clock: VectorClock, address: UInt64, size: UInt64, flags: UInt64, location: UInt32) {
        var a = address
        let end = address &+ size
        while a < end {
            let offset = a & 7
            let n = min(8 - offset, end - a)
            let mask = ((UInt64(1) << n) - 1) << offset
            accessGranule(slot: slot, clock: clock, granule: a >> 3, mask: mask, flags: flags, location: location, address: address, size: size)
            a &+= n
        }
    }

    @inline(__always)
    func accessGranule(slot: Int, clock: VectorClock, granule: UInt64, mask: UInt64, flags: UInt64, location: UInt32, address: UInt64, size: UInt64) {
        let (records, locations) = shadow.cell(granule: granule)
        let mine = (UInt64(clock[slot]) << 32) | (UInt64(slot) << 16) | flags
        let r0 = records[0]
        if r0 & ShadowMemory.overflowFlag == 0 {
            // Fast path: the granule's only record is this thread's, same epoch, kind and place.
            if r0 & ~0xFF == mine, locations[0] == location, records[1] == 0 {
                records[0] = r0 | mask
                return
            }
            scratchRecords[0] = r0
            scratchLocations[0] = locations[0]
            scratchRecords[1] = records[1]
            scratchLocations[1] = locations[1]
            let n = update(count: 2, slot: slot, clock: clock, mine: mine, mask: mask, location: location, address: address, size: size)
            if n <= ShadowMemory.inlineRecords {
                records[0] = n > 0 ? scratchRecords[0] : 0
                locations[0] = n > 0 ? scratchLocations[0] : 0
                records[1] = n > 1 ? scratchRecords[1] : 0
                locations[1] = n > 1 ? scratchLocations[1] : 0
            } else {
                let b = shadow.allocateBlock()
                store(block: b, count: n)
                records[0] = (UInt64(UInt32(b)) << 32) | ShadowMemory.overflowFlag
                records[1] = 0
            }
        } else {
            let b = Int32(truncatingIfNeeded: r0 >> 32)
            let count = Int(shadow.overflowCounts[Int(b)])
            let base = Int(b) * ShadowMemory.overflowCapacity
            scratchRecords.update(from: shadow.overflowRecords + base, count: count)
            scratchLocations.update(from: shadow.overflowLocations + base, count: count)
            let n = update(count: count, slot: slot, clock: clock, mine: mine, mask: mask, location: location, address: address, size: size)
            if n <= ShadowMemory.inlineRecords {
                shadow.freeBlock(b)
                records[0] = n > 0 ? scratchRecords[0] : 0
                locations[0] = n > 0 ? scratchLocations[0] : 0
                records[1] = n > 1 ? scratchRecords[1] : 0
                locations[1] = n > 1 ? scratchLocations[1] : 0
            } else {
                store(block: b, count: n)
            }
        }
    }

    func store(block b: Int32, count: Int) {
        var n = count
        var first = 0
        if n > ShadowMemory.overflowCapacity {
            // Forget the oldest records: this can hide a race, never report a false one.
            first = n - ShadowMemory.overflowCapacity
            n = ShadowMemory.overflowCapacity
        }
        let base = Int(b) * ShadowMemory.overflowCapacity
        (shadow.overflowRecords + base).update(from: scratchRecords + first, count: n)
        (shadow.overflowLocations + base).update(from: scratchLocations + first, count: n)
        shadow.overflowCounts[Int(b)] = Int32(n)
    }

    /// The FastTrack step on one granule's records (in the scratch list, `count` of them, empty
    /// ones are 0): report the records that race with the new access, drop the bytes the new
    /// access makes redundant, and add it. Returns the new count.
    @inline(__always)
    func update(count: Int, slot: Int, clock: VectorClock, mine: UInt64, mask: UInt64, location: UInt32, address: UInt64, size: UInt64) -> Int {
        let isWrite = mine & AccessFlags.write != 0
        let isAtomic = mine & AccessFlags.atomic != 0
        let alignedRead = mine & AccessFlags.alignedRead != 0
        if alignedRead {
            // A plain word load of what an atomic store wrote reads it as an atomic load would.
            for i in 0..<count {
                let e = scratchRecords[i]
                if e & mask != 0, e & (AccessFlags.write | AccessFlags.atomic) == (AccessFlags.write | AccessFlags.atomic) {
                    acquire(slot: slot, address: address)
                    break
                }
            }
        }
        // Check.
        for i in 0..<count {
            let e = scratchRecords[i]
            if e & mask == 0 { continue }
            let es = Int((e >> 16) & 0xFFFF)
            if es == slot || UInt32(truncatingIfNeeded: e >> 32) <= clock[es] { continue }
            let eWrite = e & AccessFlags.write != 0
            let eAtomic = e & AccessFlags.atomic != 0
            if !eWrite && !isWrite { continue }
            if eAtomic && isAtomic { continue }
            if alignedRead && eAtomic { continue }
            if e & AccessFlags.alignedRead != 0 && isAtomic { continue }
            found(slot: slot, record: e, recordLocation: scratchLocations[i], granuleMask: mask,
                  isWrite: isWrite, isAtomic: isAtomic, location: location, address: address, size: size)
        }
        // Prune and merge.
        var k = 0
        var merged = false
        for i in 0..<count {
            var e = scratchRecords[i]
            if e & 0xFF == 0 { continue }
            if e & mask != 0 {
                if isWrite {
                    e &= ~mask
                } else if e & AccessFlags.write == 0 {
                    let es = Int((e >> 16) & 0xFFFF)
                    if es == slot || UInt32(truncatingIfNeeded: e >> 32) <= clock[es] { e &= ~mask }
                }
                if e & 0xFF == 0 { continue }
            }
            if !merged, e & ~0xFF == mine, scratchLocations[i] == location {
                e |= mask
                merged = true
            }
            scratchRecords[k] = e
            scratchLocations[k] = scratchLocations[i]
            k += 1
        }
        if !merged {
            scratchRecords[k] = mine | mask
            scratchLocations[k] = location
            k += 1
        }
        return k
    }

    // MARK: Reports

    @inline(never)
    func found(slot: Int, record e: UInt64, recordLocation: UInt32, granuleMask: UInt64, isWrite: Bool, isAtomic: Bool,
               location: UInt32, address: UInt64, size: UInt64) {
        racingAccesses += 1
        let pair = (UInt64(min(location, recordLocation)) << 32) | UInt64(max(location, recordLocation))
        guard races.count < maxReports, seenLocationPairs.insert(pair).inserted, let probe = probes[slot] else { return }
        let es = Int((e >> 16) & 0xFFFF)
        let granuleBase = address & ~7
        let bits = e & 0xFF
        let first = UInt64(bits.trailingZeroBitCount)
        let last = UInt64(63 - bits.leadingZeroBitCount)
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
    unowned(unsafe) let detector: RaceDetector
    let slot: Int
    unowned(unsafe) var execution: ExecutionThread
    /// The thread's vector clock (owned by the detector).
    unowned(unsafe) let clock: VectorClock
    /// Shadow call stack: stack-node ids, the innermost last.
    var stack: [UInt32]
    /// A direct-mapped cache of (node, code address) -> location id.
    let cacheCode: UnsafeMutablePointer<UInt>
    let cacheNode: UnsafeMutablePointer<UInt32>
    let cacheLocation: UnsafeMutablePointer<UInt32>
    /// A direct-mapped cache of (parent node, call site, callee) -> stack node.
    let nodeCacheSite: UnsafeMutablePointer<UInt>
    let nodeCacheFunction: UnsafeMutablePointer<UInt>
    let nodeCacheParent: UnsafeMutablePointer<UInt32>
    let nodeCacheNode: UnsafeMutablePointer<UInt32>
    static let cacheSize = 1024

    init(detector: RaceDetector, slot: Int, execution: ExecutionThread) {
        self.detector = detector
        self.slot = slot
        self.execution = execution
        clock = detector.clocks[slot]
        var root: UInt32 = 0
        if let f = execution.currentFunction { root = detector.sites.node(parent: 0, callSite: 0, function: f) }
        stack = [root]
        stack.reserveCapacity(64)
        cacheCode = .allocate(capacity: Self.cacheSize)
        cacheCode.initialize(repeating: 0, count: Self.cacheSize)
        cacheNode = .allocate(capacity: Self.cacheSize)
        cacheNode.initialize(repeating: 0, count: Self.cacheSize)
        cacheLocation = .allocate(capacity: Self.cacheSize)
        cacheLocation.initialize(repeating: 0, count: Self.cacheSize)
        nodeCacheSite = .allocate(capacity: Self.cacheSize)
        nodeCacheSite.initialize(repeating: 0, count: Self.cacheSize)
        nodeCacheFunction = .allocate(capacity: Self.cacheSize)
        nodeCacheFunction.initialize(repeating: 0, count: Self.cacheSize)
        nodeCacheParent = .allocate(capacity: Self.cacheSize)
        nodeCacheParent.initialize(repeating: 0, count: Self.cacheSize)
        nodeCacheNode = .allocate(capacity: Self.cacheSize)
        nodeCacheNode.initialize(repeating: 0, count: Self.cacheSize)
    }

    deinit {
        cacheCode.deallocate()
        cacheNode.deallocate()
        cacheLocation.deallocate()
        nodeCacheSite.deallocate()
        nodeCacheFunction.deallocate()
        nodeCacheParent.deallocate()
        nodeCacheNode.deallocate()
    }

    /// The location of the thread's current instruction.
    @inline(__always)
    func currentLocation() -> UInt32 {
        let code = execution.codeAddress
        let node = stack[stack.count - 1]
        let h = Int(truncatingIfNeeded: ((code >> 2) ^ (UInt(node) &* 0x9E37_79B9))) & (Self.cacheSize - 1)
        if cacheCode[h] == code, cacheNode[h] == node, cacheLocation[h] != 0 { return cacheLocation[h] }
        let l = detector.sites.location(node: node, code: code)
        cacheCode[h] = code
        cacheNode[h] = node
        cacheLocation[h] = l
        return l
    }

    /// The current location, for an access not made by an instruction of its own (a WASI call's
    /// writes carry its name; a spawn site has none).
    func location(label: String?) -> UInt32 {
        detector.sites.location(node: stack[stack.count - 1], code: execution.codeAddress, label: label)
    }

    func memoryAccess(thread: ExecutionThread, address: UInt64, size: Int, isWrite: Bool, isAtomic: Bool) {
        let location = currentLocation()
        if isAtomic {
            detector.atomicAccess(slot: slot, address: address, size: size, isWrite: isWrite, location: location)
            return
        }
        var flags: UInt64 = isWrite ? AccessFlags.write : 0
        if !isWrite, size & (size - 1) == 0, address & UInt64(size - 1) == 0 { flags |= AccessFlags.alignedRead }
        detector.access(slot: slot, clock: clock, address: address, size: UInt64(size), flags: flags, location: location)
    }

    func bulkAccess(thread: ExecutionThread, address: UInt64, size: UInt64, isWrite: Bool) {
        guard size > 0 else { return }
        // The loop does not update the thread's position before a bulk access: name the function only.
        let node = stack[stack.count - 1]
        let location = detector.sites.location(node: node, code: 0)
        detector.access(slot: slot, clock: clock, address: address, size: size, flags: isWrite ? AccessFlags.write : 0, location: location)
    }

    func call(thread: ExecutionThread, function: FunctionRef) {
        let parent = stack[stack.count - 1]
        let site = thread.callSiteAddress
        let bits = UInt(truncatingIfNeeded: function.bits)
        let h = Int(truncatingIfNeeded: (site >> 2) ^ (bits >> 4) ^ (UInt(parent) &* 0x9E37_79B9)) & (Self.cacheSize - 1)
        if nodeCacheSite[h] == site, nodeCacheFunction[h] == bits, nodeCacheParent[h] == parent, nodeCacheNode[h] != 0 {
            stack.append(nodeCacheNode[h])
            return
        }
        let node = detector.sites.node(parent: parent, callSite: site, function: function)
        nodeCacheSite[h] = site
        nodeCacheFunction[h] = bits
        nodeCacheParent[h] = parent
        nodeCacheNode[h] = node
        stack.append(node)
    }

    func `return`(thread: ExecutionThread) {
        if stack.count > 1 { stack.removeLast() }
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
