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
        XCTAssertEqual(message(future), "trace format version 9 is newer than this Weft reads (1); use a newer Weft")
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
