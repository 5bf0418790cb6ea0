import Foundation
import WeftInterpreter
import WeftScheduler
import WeftWASI
import XCTest

@testable import WeftTrace

final class FormatTests: XCTestCase {
    func testVarintsRoundTripAndRejectOverlongForms() throws {
        let values: [UInt64] = [0, 1, 127, 128, 300, 1 << 32, UInt64.max]
        var w = ByteWriter()
        for v in values { w.varint(v) }
        for v: Int64 in [0, -1, 1, -64, 64, .min, .max] { w.zigzag(v) }
        XCTAssertEqual(Array(w.bytes[0..<5]), [0x00, 0x01, 0x7F, 0x80, 0x01])
        var r = ByteReader(w.bytes)
        for v in values { XCTAssertEqual(try r.varint(), v) }
        for v: Int64 in [0, -1, 1, -64, 64, .min, .max] { XCTAssertEqual(try r.zigzag(), v) }
        XCTAssertTrue(r.atEnd)
        var long = ByteReader([UInt8](repeating: 0x80, count: 11) + [0])
        XCTAssertThrowsError(try long.varint())
        var overflow = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02])
        XCTAssertThrowsError(try overflow.varint())
    }

    func testChecksumsMatchPublishedValues() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(hex(SHA256.hash(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(SHA256.hash([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        XCTAssertEqual(hex(SHA256.hash(long)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var split = SHA256()
        split.update(Array(long[0..<7]))
        split.update(Array(long[7...]))
        XCTAssertEqual(split.finish(), SHA256.hash(long))
    }

    static let sampleEvents: [RunEvent] = [
        .slice(thread: 0, budget: 200, position: 0),
        .hostCall(thread: 0, HostCallRecord(name: "fd_write", arguments: [1, 1024, 1, 1020], outcome: .returned([0]), writes: [MemoryWrite(address: 1020, bytes: [5])])),
        .spawn(parent: 0, child: 1, argument: 0x1234),
        .slice(thread: 1, budget: 17, position: 0),
        .atomic(thread: 1, AtomicAccess(kind: .rmw, address: 0x100110, width: 4, read: 0, written: 1)),
        .atomic(thread: 1, AtomicAccess(kind: .fence, address: 0, width: 0)),
        .atomic(thread: 1, AtomicAccess(kind: .load, address: 0x100108, width: 8, read: UInt64.max)),
        .wait(thread: 1, address: 0x100110, timeout: -1),
        .slice(thread: 0, budget: 200, position: 412),
        .notify(thread: 0, address: 0x100110, count: 1, woken: [1]),
        .sleep(thread: 0),
        .timeout(thread: 0),
        .hostCall(thread: 1, HostCallRecord(name: "fd_read", arguments: [0, 8, 1, 4], outcome: .wouldBlock, writes: [])),
        .hostCall(thread: 1, HostCallRecord(name: "fd_write", arguments: [2, 8, 1, 4], outcome: .trapped("out of bounds memory access"), writes: [])),
        .spawn(parent: 1, child: -1, argument: 7),
        .exit(thread: 1),
        .hostCall(thread: 0, HostCallRecord(name: "proc_exit", arguments: [3], outcome: .exit(3), writes: [])),
        .end(.deadlock(summary: "deadlock: all 2 live threads wait with no timeout", threads: ["thread 0: …", "thread 1: …"])),
    ]

    func testEveryEventKindRoundTrips() throws {
        var encoder = CodingState()
        var w = ByteWriter()
        let digest = SHA256.hash([1, 2, 3])
        for e in Self.sampleEvents {
            if case .end = e { encoder.encode(e, memoryDigest: digest, into: &w) } else { encoder.encode(e, into: &w) }
        }
        var decoder = CodingState()
        var r = ByteReader(w.bytes)
        for e in Self.sampleEvents {
            let (decoded, end) = try decoder.decode(&r)
            XCTAssertEqual(decoded, e)
            if case .end(let o) = e { XCTAssertEqual(end, TraceEnd(outcome: o, memoryDigest: digest)) }
        }
        XCTAssertTrue(r.atEnd)
        for o: ThreadedOutcome in [.exited(255), .trapped(thread: 3, message: "integer divide by zero"), .limitExceeded(slices: 9)] {
            var e = CodingState(), d = CodingState(), b = ByteWriter()
            e.encode(.end(o), into: &b)
            var rr = ByteReader(b.bytes)
            XCTAssertEqual(try d.decode(&rr).0, .end(o))
        }
    }

    /// Encodes `events` one by one, returning each one's bytes.
    func encodeEach(_ events: [RunEvent], _ encoder: inout CodingState) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for e in events {
            var w = ByteWriter()
            encoder.encode(e, into: &w)
            out.append(w.bytes)
        }
        return out
    }

    /// The short forms of format 2: a thread that runs on with the rest of its budget is one
    /// byte (or a tag and a varint), an atomic by the current thread carries no thread and writes
    /// its values as differences; anything else falls back to the full forms. All round-trip.
    func testCompactFormsAreUsedWhereTheyApplyAndRoundTrip() throws {
        let events: [RunEvent] = [
            .slice(thread: 3, budget: 1000, position: 50),
            .atomic(thread: 3, AtomicAccess(kind: .rmw, address: 0x2000, width: 8, read: 1 << 40, written: (1 << 40) + 2)),
            .slice(thread: 3, budget: 997, position: 53),
            .atomic(thread: 3, AtomicAccess(kind: .cmpxchg, address: 0x2000, width: 8, read: (1 << 40) + 2, written: 5)),
            .slice(thread: 3, budget: 800, position: 250),
            .atomic(thread: 3, AtomicAccess(kind: .load, address: 0x1ff8, width: 4, read: UInt64(UInt32.max))),
            .atomic(thread: 3, AtomicAccess(kind: .fence, address: 0, width: 0)),
            .atomic(thread: 3, AtomicAccess(kind: .store, address: 0x1ff8, width: 4, written: 0)),
            .atomic(thread: 4, AtomicAccess(kind: .load, address: 0x2000, width: 8, read: 5)),
            .slice(thread: 3, budget: 1000, position: 260),  // a new quantum: not a continuation
            .slice(thread: 4, budget: 1000, position: 7),
            .slice(thread: 4, budget: 500, position: 7),  // budget not what was left: full form
            .slice(thread: 3, budget: 990, position: 270),  // back to thread 3: its cursor is kept
            .slice(thread: 3, budget: 0, position: 1260),  // runs on 990: the varint form
            .atomic(thread: 3, AtomicAccess(kind: .wait, address: 0x1ff8, width: 4, read: 1)),
        ]
        var encoder = CodingState()
        let encoded = encodeEach(events, &encoder)
        XCTAssertEqual(encoded[0].first, EventTag.slice.rawValue)
        // RMW (2), 8 bytes (3), read and written: tag 0x80 | 0x7A; address 0 + 0x2000; read 1 << 40
        // (nothing known at 0x2000 yet); written 2 more than read.
        XCTAssertEqual(encoded[1], [0xFA, 0x80, 0x80, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0x04])
        XCTAssertEqual(encoded[2], [0x43], "runs on after 3 yield points")
        // cmpxchg at the same address, reading the value the RMW left: address and read differ by 0.
        XCTAssertEqual(Array(encoded[3].prefix(3)), [0xFB, 0x00, 0x00])
        XCTAssertEqual(encoded[4], [EventTag.sliceContinues.rawValue, 197, 1], "197 yield points: tag 11 and a varint")
        XCTAssertEqual(encoded[8].first, EventTag.atomic.rawValue, "an atomic by another thread names it")
        XCTAssertEqual(encoded[9].first, EventTag.slice.rawValue)
        XCTAssertEqual(encoded[10].first, EventTag.slice.rawValue)
        XCTAssertEqual(encoded[11].first, EventTag.slice.rawValue)
        XCTAssertEqual(encoded[12].first, EventTag.slice.rawValue)
        XCTAssertEqual(encoded[13], [EventTag.sliceContinues.rawValue, 0xDE, 0x07])
        XCTAssertEqual(encoded[14].first.map { $0 & 0x87 }, 0x84, "a wait by the current thread, compact")

        var decoder = CodingState()
        var r = ByteReader(encoded.flatMap { $0 })
        for e in events { XCTAssertEqual(try decoder.decode(&r).0, e) }
        XCTAssertTrue(r.atEnd)
    }

    func testCompactFormsAreCheckedWhenRead() throws {
        func decodeAll(_ bytes: [UInt8], version: UInt16 = TraceFormat.version) -> String? {
            var d = CodingState(formatVersion: version)
            var r = ByteReader(bytes)
            do {
                while !r.atEnd { _ = try d.decode(&r) }
                return nil
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(decodeAll([0x43]), "tag 0x43 before any slice")
        XCTAssertEqual(decodeAll([0xF2, 0, 0, 0]), "tag 0xf2 before any slice")
        XCTAssertEqual(decodeAll([11, 1]), "tag 11 before any slice")
        // slice thread 0 budget 5, then run on 6: more than the budget.
        XCTAssertEqual(decodeAll([1, 0, 5, 0, 11, 6]), "a slice runs on for 6 yield points, more than the 5 left")
        XCTAssertNil(decodeAll([1, 0, 5, 0, 11, 5, 0x40]))
        XCTAssertEqual(decodeAll([1, 0, 5, 0, 0xFF]), "bad atomic flags 0x7f")
        XCTAssertEqual(decodeAll([12]), "unknown event tag 12")
        // Version 1 has none of them.
        XCTAssertEqual(decodeAll([1, 0, 5, 0, 0x41], version: 1), "unknown event tag 65")
        XCTAssertEqual(decodeAll([1, 0, 5, 0, 11, 1], version: 1), "unknown event tag 11")
        XCTAssertEqual(decodeAll([1, 0, 5, 0, 0xF2, 0, 0, 0], version: 1), "unknown event tag 242")
    }

    /// Format 2's memory digest, computed here from its definition in docs/trace-format.md.
    func testMemoryDigestHashesTheNonzeroBlocksWithTheirNumbers() throws {
        let memory = try LinearMemory(minPages: 2, maxPages: 4, shared: true)
        memory.base.storeBytes(of: 0xAB, toByteOffset: 5 * 4096 + 17, as: UInt8.self)
        memory.base.storeBytes(of: 0xCD, toByteOffset: 31 * 4096 + 4095, as: UInt8.self)
        var expected = SHA256()
        var input: [UInt8] = [0, 0, 2, 0, 0, 0, 0, 0]  // 131072, little-endian
        for block in [5, 31] {
            input += [UInt8(block), 0, 0, 0]
            input += Array(UnsafeRawBufferPointer(start: memory.base + block * 4096, count: 4096))
        }
        expected.update(input)
        XCTAssertEqual(memoryDigest(memory), expected.finish())
        XCTAssertEqual(memoryDigest(memory, formatVersion: 1), SHA256.hash(Array(UnsafeRawBufferPointer(start: memory.base, count: 131072))))

        // The size counts even when every block is zero, and so does where a byte is.
        let zeros = try LinearMemory(minPages: 1, maxPages: 4, shared: true)
        let before = memoryDigest(zeros)
        XCTAssertEqual(zeros.grow(by: 1), 1)
        XCTAssertNotEqual(memoryDigest(zeros), before)
        let a = try LinearMemory(minPages: 1, maxPages: 1, shared: true)
        let b = try LinearMemory(minPages: 1, maxPages: 1, shared: true)
        a.base.storeBytes(of: 1, toByteOffset: 4096, as: UInt8.self)
        b.base.storeBytes(of: 1, toByteOffset: 8192, as: UInt8.self)
        XCTAssertNotEqual(memoryDigest(a), memoryDigest(b))
        XCTAssertNil(memoryDigest(nil))
    }

    func sampleHeader(module: [UInt8]? = [0, 0x61, 0x73, 0x6D, 1, 0, 0, 0]) -> TraceHeader {
        var schedule = ScheduleOptions()
        schedule.kind = .pct
        schedule.seed = 42
        schedule.quantum = 100
        return TraceHeader(
            weftVersion: "0.1.0", moduleDigest: SHA256.hash(module ?? []), moduleName: "m.wasm", module: module,
            arguments: ["m.wasm", "x"], environment: [("A", "1")], preopens: ["/data"], schedule: schedule,
            maxThreads: 8, maxSlices: 1000, realTime: false)
    }

    /// Writes a trace file with the sample events and returns its bytes.
    func sampleTrace() throws -> [UInt8] {
        let path = temporaryPath(".weft")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let writer = try TraceWriter(path: path, header: sampleHeader())
            for e in Self.sampleEvents { try writer.append(e) }
            try writer.flush()
        }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func testFileRoundTrip() throws {
        let reader = try TraceReader(bytes: try sampleTrace())
        XCTAssertEqual(reader.header, sampleHeader())
        var events: [RunEvent] = []
        while let (e, _) = try reader.next() { events.append(e) }
        XCTAssertEqual(events, Self.sampleEvents)
        XCTAssertFalse(reader.endsEarly)
    }

    func testDamagedTracesFailWithOneLine() throws {
        let good = try sampleTrace()
        func message(_ bytes: [UInt8]) -> String? {
            do {
                let r = try TraceReader(bytes: bytes)
                while try r.next() != nil {}
                return r.endsEarly ? "ends early" : nil
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(message([]), "not a Weft trace (bad magic)")
        XCTAssertEqual(message(Array("hello, world".utf8)), "not a Weft trace (bad magic)")
        var future = good
        future[8] = 9
        XCTAssertEqual(message(future), "trace format version 9 is newer than this Weft reads (2); use a newer Weft")
        XCTAssertEqual(message(Array(good[0..<12])), "the trace has no complete header")
        var flipped = good
        flipped[good.count - 10] ^= 0x10
        XCTAssertTrue(message(flipped)?.contains("damaged (CRC mismatch)") == true, message(flipped) ?? "")
        XCTAssertEqual(message(Array(good.dropLast(3))), "ends early")
        for m in [message([]), message(flipped)] { XCTAssertFalse(m?.contains("\n") ?? true) }
    }

    /// Many mutated traces: the reader must always return or throw, never crash, hang or
    /// allocate without bound (the fuzz target in Fuzz/ does this at scale).
    func testMutatedTracesNeverCrashTheReader() throws {
        let good = try sampleTrace()
        var rng = SplitMix64(seed: 99)
        for _ in 0..<3000 {
            var b = good
            for _ in 0...rng.below(4) {
                switch rng.below(3) {
                case 0: b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b.removeLast(rng.below(min(b.count, 40)))
                default: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(b.count))
                }
            }
            if let r = try? TraceReader(bytes: b) {
                var n = 0
                while let _ = try? r.next() {
                    n += 1
                    if n > 10_000 { XCTFail("reader does not stop"); break }
                }
            }
        }
    }
}
