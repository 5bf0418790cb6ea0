@testable import WeftRaces
import WeftScheduler
import XCTest

/// The detector's core on its own: accesses fed straight to ``RaceDetector/access`` by thread
/// slots whose clocks the test controls, checked against a byte-by-byte model of FastTrack, and
/// the shadow's bookkeeping (descriptor reference counts, lists, size).
final class ShadowTests: XCTestCase {
    /// A detector with `threads` slots and no happens-before edges between them yet.
    func detector(threads: Int) -> RaceDetector {
        let d = RaceDetector()
        for t in 0..<threads { XCTAssertEqual(d.newSlot(tid: Int32(t), parent: nil), t) }
        return d
    }

    /// One plain access; returns how many racing records it found.
    @discardableResult
    func access(_ d: RaceDetector, slot: Int, _ address: UInt64, _ size: UInt64, write: Bool, location: UInt32 = 7) -> Int {
        let before = d.racingAccesses
        let flags = write ? AccessFlags.write : 0
        let info = RaceDetector.info(slot: slot, clock: d.clocks[slot][slot], flags: flags)
        let descriptor = d.shadow.newDescriptor(info: info, location: location)
        d.access(slot: slot, clock: d.clocks[slot], address: address, size: size, info: info, descriptor: descriptor)
        return d.racingAccesses - before
    }

    /// `from` releases and `to` acquires: everything `from` did so far happens before what `to`
    /// does next.
    func synchronize(_ d: RaceDetector, from: Int, to: Int) {
        d.clocks[to].join(d.clocks[from])
        d.clocks[from][from] &+= 1
    }

    /// Every descriptor's reference count is the number of records that use it, and no record
    /// uses a free descriptor.
    func checkBookkeeping(_ d: RaceDetector, file: StaticString = #filePath, line: UInt = #line) {
        var uses: [UInt32: UInt32] = [:]
        d.shadow.forEachGranule { _, records in
            for r in records {
                XCTAssertNotEqual(r & 0xFF, 0, "a record with no bytes", file: file, line: line)
                uses[r >> 8, default: 0] += 1
            }
        }
        for (descriptor, n) in uses {
            XCTAssertNotEqual(d.shadow.infos[Int(descriptor)], ShadowMemory.freeInfo, "record uses a free descriptor", file: file, line: line)
            XCTAssertEqual(d.shadow.references[Int(descriptor)], n, "descriptor \(descriptor)", file: file, line: line)
        }
        XCTAssertEqual(d.shadow.liveDescriptors, uses.count, file: file, line: line)
    }

    func testNeighbouringAndOverlappingBytes() {
        let d = detector(threads: 2)
        XCTAssertEqual(access(d, slot: 0, 64, 4, write: true), 0)
        XCTAssertEqual(access(d, slot: 1, 68, 4, write: true), 0, "bytes 68-71 do not overlap 64-67")
        XCTAssertEqual(access(d, slot: 1, 60, 4, write: false), 0)
        XCTAssertEqual(access(d, slot: 1, 67, 1, write: false), 1, "byte 67 was written by slot 0")
        XCTAssertEqual(access(d, slot: 0, 61, 2, write: false), 0, "reads do not race with reads")
        // Bytes 62-65: slot 1's read of 60-63 races; its byte read at 67 and write at 68-71 do not overlap.
        XCTAssertEqual(access(d, slot: 0, 62, 4, write: true), 1)
        checkBookkeeping(d)
    }

    func testOrderedAccessesDoNotRace() {
        let d = detector(threads: 2)
        access(d, slot: 0, 1000, 100, write: true)
        synchronize(d, from: 0, to: 1)
        XCTAssertEqual(access(d, slot: 1, 1000, 100, write: true), 0)
        XCTAssertEqual(access(d, slot: 0, 1050, 1, write: false), 1, "slot 1's write is not ordered before slot 0")
        checkBookkeeping(d)
    }

    func testManyRecordsInOneGranuleGoToAListAndBack() {
        let d = detector(threads: 3)
        // Eight single-byte writes from eight instructions: eight records.
        for b in 0..<8 { access(d, slot: 0, 800 + UInt64(b), 1, write: true, location: 100 + UInt32(b)) }
        var counts: [Int] = []
        d.shadow.forEachGranule { g, records in if g == 100 { counts.append(records.count) } }
        XCTAssertEqual(counts, [8])
        // Concurrent readers of every byte add their records; each byte still races exactly once.
        XCTAssertEqual(access(d, slot: 1, 800, 8, write: false), 8)
        XCTAssertEqual(access(d, slot: 2, 803, 2, write: false), 2)
        checkBookkeeping(d)
        // One write over the granule replaces them all: back to one inline record.
        synchronize(d, from: 0, to: 2)
        synchronize(d, from: 1, to: 2)
        XCTAssertEqual(access(d, slot: 2, 800, 8, write: true), 0)
        d.shadow.forEachGranule { g, records in if g == 100 { XCTAssertEqual(records.count, 1) } }
        checkBookkeeping(d)
        XCTAssertEqual(d.shadow.liveDescriptors, 1)
    }

    func testAGranuleKeepsAtMostTheListLimit() {
        let d = detector(threads: 40)
        // 39 concurrent readers of one byte: the oldest 8 records are forgotten.
        for t in 1..<40 { access(d, slot: t, 16, 1, write: false, location: 200 + UInt32(t)) }
        d.shadow.forEachGranule { _, records in XCTAssertEqual(records.count, ShadowMemory.listLimit) }
        checkBookkeeping(d)
        XCTAssertEqual(access(d, slot: 0, 16, 1, write: true), ShadowMemory.listLimit)
        checkBookkeeping(d)
    }

    /// Random plain accesses of 2 threads (so no granule needs more than the list limit) with
    /// random synchronization, against a model that keeps, per byte, FastTrack's state: the last
    /// write and the reads since that are not ordered before a later read.
    func testAgreesWithAByteModel() {
        struct Epoch { var slot: Int; var clock: UInt32 }
        var outcomes: Set<Bool> = []
        for round in 0..<40 {
            var rng = SplitMix64(seed: UInt64(round))
            let d = detector(threads: 2)
            var writes: [UInt64: Epoch] = [:]
            var reads: [UInt64: [Epoch]] = [:]
            for step in 0..<400 {
                let slot = Int.random(in: 0..<2, using: &rng)
                if Int.random(in: 0..<6, using: &rng) == 0 {
                    synchronize(d, from: slot, to: 1 - slot)
                    continue
                }
                let address = UInt64.random(in: 0..<48, using: &rng)
                let size = [1, 2, 4, 8, 3, 16][Int.random(in: 0..<6, using: &rng)]
                let write = Bool.random(using: &rng)
                let location = UInt32.random(in: 1...4, using: &rng)
                // The model.
                let clock = d.clocks[slot]
                let me = Epoch(slot: slot, clock: clock[slot])
                func concurrent(_ e: Epoch) -> Bool { e.slot != slot && e.clock > clock[e.slot] }
                var expected = false
                for a in address..<address + UInt64(size) {
                    if let w = writes[a], concurrent(w) { expected = true }
                    if write, reads[a, default: []].contains(where: concurrent) { expected = true }
                }
                for a in address..<address + UInt64(size) {
                    if write {
                        writes[a] = me
                        reads[a] = []
                    } else {
                        reads[a] = reads[a, default: []].filter { concurrent($0) } + [me]
                    }
                }
                let found = access(d, slot: slot, address, UInt64(size), write: write, location: location)
                XCTAssertEqual(found > 0, expected, "round \(round) step \(step): slot \(slot) \(write ? "write" : "read") of \(size) at \(address)")
                outcomes.insert(expected)
                if step % 100 == 99 { checkBookkeeping(d) }
            }
            checkBookkeeping(d)
        }
        XCTAssertEqual(outcomes, [false, true], "both racing and race-free accesses were tried")
    }

    func testOwnRecordsFromEarlierEpochsAreReplacedAndStillChecked() {
        let d = detector(threads: 2)
        // A buffer written and read over and over by slot 0, each time in a new epoch (as a
        // loop that takes a lock in between): a write and a read record per granule, the
        // earlier ones replaced, one descriptor for each kind.
        for _ in 0..<5 {
            access(d, slot: 0, 4096, 256, write: true, location: 1)
            synchronize(d, from: 0, to: 1)
            access(d, slot: 0, 4096, 256, write: false, location: 2)
            synchronize(d, from: 0, to: 1)
            d.shadow.forEachGranule { _, records in XCTAssertEqual(records.count, 2) }
            checkBookkeeping(d)
            XCTAssertEqual(d.shadow.liveDescriptors, 2)
        }
        // A read in the epoch of the thread's own write of the same bytes adds nothing.
        access(d, slot: 0, 4096, 256, write: true, location: 1)
        access(d, slot: 0, 4096, 256, write: false, location: 2)
        d.shadow.forEachGranule { _, records in XCTAssertEqual(records.count, 1) }
        checkBookkeeping(d)
        synchronize(d, from: 0, to: 1)
        // Slot 1 synchronized after every round: its write is ordered after all of them.
        XCTAssertEqual(access(d, slot: 1, 4096, 8, write: true), 0)
        // Slot 0 goes on without synchronizing; slot 1's read of what slot 0 writes races.
        access(d, slot: 0, 4200, 8, write: true, location: 3)
        XCTAssertEqual(access(d, slot: 1, 4200, 4, write: false), 1)
        checkBookkeeping(d)
    }

    func testFreeListBlocksAreReusedAndSplit() {
        let shadow = ShadowMemory()
        let big = shadow.allocateList(records: ShadowMemory.listLimit)  // 32 words
        shadow.freeList(big)
        let used = shadow.wordsUsed
        // A 32-word block splits into 4 + 4 + 8 + 16 words, all used before the arena grows.
        let a = shadow.allocateList(records: 3)
        let b = shadow.allocateList(records: 2)
        let c = shadow.allocateList(records: 7)
        let d = shadow.allocateList(records: 15)
        XCTAssertEqual([a, b, c, d], [big, big + 4, big + 8, big + 16])
        XCTAssertEqual(shadow.wordsUsed, used)
        XCTAssertEqual(shadow.allocateList(records: 1), UInt32(used))
        shadow.freeList(c)
        XCTAssertEqual(shadow.allocateList(records: 4), c)
    }

    func testFullDescriptorTableClearsTheShadow() {
        let d = detector(threads: 2)
        d.shadow.maxDescriptors = d.shadow.descriptorCapacity
        // More live descriptors than the table holds: distinct instructions on distinct words.
        for i in 0..<(d.shadow.descriptorCapacity + 10) {
            access(d, slot: 0, UInt64(i) * 8, 4, write: true, location: UInt32(10 + i))
        }
        XCTAssertEqual(d.shadow.resets, 1)
        checkBookkeeping(d)
        // Detection goes on after the reset.
        XCTAssertEqual(access(d, slot: 1, UInt64(d.shadow.descriptorCapacity + 5) * 8, 4, write: true), 1)
    }

    /// Dense memory: an array written by one loop and read by another thread after
    /// synchronizing needs two records per granule, sharing two descriptors: about one byte of
    /// shadow per guest byte.
    func testDenseMemoryCostsAboutOneBytePerByte() {
        let d = detector(threads: 2)
        let base: UInt64 = 1 << 20, bytes: UInt64 = 1 << 20
        let writeInfo = RaceDetector.info(slot: 0, clock: d.clocks[0][0], flags: AccessFlags.write)
        let writer = d.shadow.newDescriptor(info: writeInfo, location: 1)
        for a in stride(from: base, to: base + bytes, by: 4) {
            d.access(slot: 0, clock: d.clocks[0], address: a, size: 4, info: writeInfo, descriptor: writer)
        }
        synchronize(d, from: 0, to: 1)
        let readInfo = RaceDetector.info(slot: 1, clock: d.clocks[1][1], flags: AccessFlags.alignedRead)
        let reader = d.shadow.newDescriptor(info: readInfo, location: 2)
        for a in stride(from: base, to: base + bytes, by: 8) {
            d.access(slot: 1, clock: d.clocks[1], address: a, size: 8, info: readInfo, descriptor: reader)
        }
        XCTAssertEqual(d.racingAccesses, 0)
        XCTAssertEqual(d.touchedGuestBytes, Int(bytes))
        XCTAssertEqual(d.shadow.liveDescriptors, 2)
        XCTAssertLessThanOrEqual(d.peakShadowBytes, Int(bytes) * 5 / 4, "\(d.peakShadowBytes) bytes of shadow")
        checkBookkeeping(d)
    }
}
