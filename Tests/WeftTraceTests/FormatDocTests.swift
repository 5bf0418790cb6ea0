import Foundation
import WeftInterpreter
import WeftScheduler
import WeftWASI
import XCTest

@testable import WeftTrace

/// docs/trace-format.md ends with an example trace in hex; it must decode to what the page says.
final class FormatDocTests: XCTestCase {
    func testTheDocumentedExampleDecodes() throws {
        let doc = try String(contentsOf: packageRoot.appendingPathComponent("docs/trace-format.md"), encoding: .utf8)
        let block = try XCTUnwrap(doc.components(separatedBy: "```hex\n").last?.components(separatedBy: "```").first)
        let bytes = block.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
        XCTAssertEqual(bytes.count, 195)
        let reader = try TraceReader(bytes: bytes)
        XCTAssertEqual(reader.formatVersion, 2)
        assertDocumentedHeader(reader.header)
        var events: [RunEvent] = []
        var end: TraceEnd?
        while let (e, x) = try reader.next() {
            events.append(e)
            end = x ?? end
        }
        XCTAssertEqual(events, [
            .slice(thread: 0, budget: 10000, position: 0),
            .spawn(parent: 0, child: 1, argument: 0x10),
            .slice(thread: 1, budget: 10000, position: 0),
            .atomic(thread: 1, AtomicAccess(kind: .rmw, address: 0x100, width: 4, read: 0, written: 1)),
            .slice(thread: 1, budget: 9997, position: 3),
            .atomic(thread: 1, AtomicAccess(kind: .load, address: 0x104, width: 4, read: 7)),
            .slice(thread: 1, budget: 9897, position: 103),
            .atomic(thread: 1, AtomicAccess(kind: .rmw, address: 0x100, width: 4, read: 1, written: 2)),
            .slice(thread: 1, budget: 9895, position: 105),
            .hostCall(thread: 1, HostCallRecord(name: "fd_write", arguments: [1, 0x200, 1, 0x208], outcome: .returned([0]), writes: [MemoryWrite(address: 0x208, bytes: [6])])),
            .exit(thread: 1),
            .slice(thread: 0, budget: 9990, position: 12),
            .end(.exited(0)),
        ])
        XCTAssertFalse(reader.endsEarly)

        // The digest is the one the page describes: one 64 KiB page holding 2 at 0x100, 7 at
        // 0x104 and 6 at 0x208, computed here by the recorder's own function.
        let memory = try LinearMemory(minPages: 1, maxPages: 1, shared: true)
        memory.base.storeBytes(of: 2, toByteOffset: 0x100, as: UInt8.self)
        memory.base.storeBytes(of: 7, toByteOffset: 0x104, as: UInt8.self)
        memory.base.storeBytes(of: 6, toByteOffset: 0x208, as: UInt8.self)
        XCTAssertEqual(end, TraceEnd(outcome: .exited(0), memoryDigest: memoryDigest(memory)))

        // And the writer produces exactly these bytes from these events.
        var encoder = CodingState()
        var w = ByteWriter()
        for e in events {
            if case .end = e { encoder.encode(e, memoryDigest: end?.memoryDigest, into: &w) } else { encoder.encode(e, into: &w) }
        }
        let payloadStart = bytes.count - 4 - w.count
        XCTAssertEqual(w.bytes, Array(bytes[payloadStart..<(bytes.count - 4)]))
    }

    /// The example of the version 1 page (before the compact forms): a version 1 trace still
    /// reads, with its tags meaning what they meant then.
    func testAVersion1TraceStillReads() throws {
        let text = """
            57 45 46 54 54 52 43 0a 01 00 01 43 00 00 00 05
            30 2e 31 2e 30 93 a4 4b bb 96 c7 51 21 8e 4c 00
            d4 79 e4 c1 43 58 12 2a 38 9a cc a1 62 05 b1 e4
            d0 dc 5f 94 76 06 6d 2e 77 61 73 6d 00 01 06 6d
            2e 77 61 73 6d 00 00 00 00 90 4e 03 a0 8d 06 40
            00 00 68 1c 9a f0 02 3b 00 00 00 01 00 90 4e 00
            06 00 02 10 01 02 90 4e 00 02 02 72 80 04 00 01
            09 02 00 08 66 64 5f 77 72 69 74 65 04 01 80 04
            01 88 04 00 01 00 01 88 04 01 06 07 02 01 00 86
            4e 18 0a 00 00 00 58 82 89 86
            """
        let bytes = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
        let reader = try TraceReader(bytes: bytes)
        XCTAssertEqual(reader.formatVersion, 1)
        assertDocumentedHeader(reader.header)
        var events: [RunEvent] = []
        while let (e, _) = try reader.next() { events.append(e) }
        XCTAssertEqual(events, [
            .slice(thread: 0, budget: 10000, position: 0),
            .spawn(parent: 0, child: 1, argument: 0x10),
            .slice(thread: 1, budget: 10000, position: 0),
            .atomic(thread: 1, AtomicAccess(kind: .rmw, address: 0x100, width: 4, read: 0, written: 1)),
            .hostCall(thread: 1, HostCallRecord(name: "fd_write", arguments: [1, 0x200, 1, 0x208], outcome: .returned([0]), writes: [MemoryWrite(address: 0x208, bytes: [6])])),
            .exit(thread: 1),
            .slice(thread: 0, budget: 9990, position: 12),
            .end(.exited(0)),
        ])
        XCTAssertFalse(reader.endsEarly)
    }

    func assertDocumentedHeader(_ h: TraceHeader, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(h.weftVersion, "0.1.0", file: file, line: line)
        XCTAssertEqual(h.moduleDigest, SHA256.hash([0, 0x61, 0x73, 0x6D, 1, 0, 0, 0]), file: file, line: line)
        XCTAssertNil(h.module, file: file, line: line)
        XCTAssertEqual(h.arguments, ["m.wasm"], file: file, line: line)
        XCTAssertEqual(h.schedule.kind, .rr, file: file, line: line)
        XCTAssertEqual(h.schedule.quantum, 10000, file: file, line: line)
        XCTAssertEqual(h.maxThreads, 64, file: file, line: line)
        XCTAssertNil(h.maxSlices, file: file, line: line)
        XCTAssertFalse(h.realTime, file: file, line: line)
    }
}
