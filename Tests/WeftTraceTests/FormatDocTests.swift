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
        XCTAssertEqual(bytes.count, 154)
        let reader = try TraceReader(bytes: bytes)
        let h = reader.header
        XCTAssertEqual(h.weftVersion, "0.1.0")
        XCTAssertEqual(h.moduleDigest, SHA256.hash([0, 0x61, 0x73, 0x6D, 1, 0, 0, 0]))
        XCTAssertNil(h.module)
        XCTAssertEqual(h.arguments, ["m.wasm"])
        XCTAssertEqual(h.schedule.kind, .rr)
        XCTAssertEqual(h.schedule.quantum, 10000)
        XCTAssertEqual(h.maxThreads, 64)
        XCTAssertNil(h.maxSlices)
        XCTAssertFalse(h.realTime)
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
            .hostCall(thread: 1, HostCallRecord(name: "fd_write", arguments: [1, 0x200, 1, 0x208], outcome: .returned([0]), writes: [MemoryWrite(address: 0x208, bytes: [6])])),
            .exit(thread: 1),
            .slice(thread: 0, budget: 9990, position: 12),
            .end(.exited(0)),
        ])
        XCTAssertEqual(end, TraceEnd(outcome: .exited(0), memoryDigest: nil))
        XCTAssertFalse(reader.endsEarly)
    }
}
