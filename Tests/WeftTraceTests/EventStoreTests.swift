import Foundation
import WeftInterpreter
import WeftScheduler
import WeftWASI
import XCTest

@testable import WeftTrace

final class EventStoreTests: XCTestCase {
    /// A long, varied run of events: every kind (host calls with memory writes and every
    /// outcome, waits, notifies, spawns, exits, sleeps, timeouts), slices that continue (the
    /// compact forms, whose coding state must restart at each chunk), atomics by the current
    /// and other threads, and an end.
    static func varied(_ n: Int) -> [RunEvent] {
        var events: [RunEvent] = []
        var position: [Int32: UInt64] = [:]
        var budget = 0
        var current: Int32 = 0
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: UInt64) -> UInt64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return (seed >> 33) % bound
        }
        while events.count < n - 1 {
            switch random(12) {
            case 0, 1:
                current = Int32(random(4))
                budget = 1000
                events.append(.slice(thread: current, budget: budget, position: position[current, default: 0]))
            case 2, 3:
                let used = Int(random(UInt64(min(budget, 200)) + 1))
                budget -= used
                position[current, default: 0] += UInt64(used)
                events.append(.slice(thread: current, budget: budget, position: position[current, default: 0]))
            case 4, 5:
                let kinds: [AtomicAccess.Kind] = [.load, .store, .rmw, .cmpxchg, .wait]
                let kind = kinds[Int(random(UInt64(kinds.count)))]
                let width = [1, 2, 4, 8][Int(random(4))]
                let address = 0x1000 + random(64) * 8
                let read: UInt64? = kind == .store ? nil : random(5)
                let written: UInt64? = kind == .load || kind == .wait ? nil : random(1 << 40)
                let thread = random(3) == 0 ? Int32(random(4)) : current
                events.append(.atomic(thread: thread, AtomicAccess(kind: kind, address: address, width: width, read: read, written: written)))
            case 6:
                events.append(.atomic(thread: current, AtomicAccess(kind: .fence, address: 0, width: 0)))
            case 7:
                let names = ["fd_write", "fd_read", "clock_time_get", "random_get"]
                let name = names[Int(random(4))]
                let outcome: HostCallRecord.Outcome
                switch random(4) {
                case 0: outcome = .returned([random(100)])
                case 1: outcome = .wouldBlock
                case 2: outcome = .trapped("out of bounds memory access")
                default: outcome = .returned([])
                }
                let writes = (0..<random(3)).map { i in
                    MemoryWrite(address: 0x2000 + i * 16, bytes: (0..<random(20)).map { _ in UInt8(random(256)) })
                }
                events.append(.hostCall(thread: current, HostCallRecord(name: name, arguments: (0..<random(5)).map { _ in random(1 << 20) }, outcome: outcome, writes: writes)))
            case 8:
                events.append(.wait(thread: current, address: 0x1000 + random(64) * 8, timeout: random(2) == 0 ? -1 : Int64(random(1_000_000))))
            case 9:
                events.append(.notify(thread: current, address: 0x1000 + random(64) * 8, count: UInt32(random(3)), woken: (0..<random(3)).map { _ in Int32(random(4)) }))
            case 10:
                events.append(random(2) == 0 ? .spawn(parent: current, child: Int32(random(8)) - 1, argument: UInt32(random(1 << 30))) : .exit(thread: Int32(random(4))))
            default:
                events.append(random(2) == 0 ? .sleep(thread: current) : .timeout(thread: Int32(random(4))))
            }
        }
        events.append(.end(.exited(3)))
        return events
    }

    func testEveryKindRoundTripsAcrossChunkBoundaries() {
        let events = FormatTests.sampleEvents + Self.varied(3000)
        for perChunk in [1, 7, 64, 4096] {
            let store = EventStore(eventsPerChunk: perChunk)
            for (i, e) in events.enumerated() {
                store.append(e)
                XCTAssertEqual(store.count, i + 1)
                XCTAssertEqual(store[i], e, "event \(i) just added (\(perChunk) a chunk)")
            }
            XCTAssertEqual(store.codedChunkCount, events.count / perChunk)
            for i in events.indices { XCTAssertEqual(store[i], events[i], "event \(i) in order (\(perChunk) a chunk)") }
            for i in events.indices.reversed() { XCTAssertEqual(store[i], events[i], "event \(i) backwards (\(perChunk) a chunk)") }
        }
    }

    /// Each coded chunk decodes on its own (with a fresh coding state) to exactly the events
    /// that went in, whatever was decoded before it.
    func testChunksDecodeIndependently() {
        let events = Self.varied(1000)
        let store = EventStore(eventsPerChunk: 50, cachedChunks: 1)
        for e in events { store.append(e) }
        XCTAssertEqual(store.codedChunkCount, 20)
        for c in [19, 0, 7, 7, 3, 18, 1] {
            XCTAssertEqual(store.decode(c), Array(events[(c * 50)..<(c * 50 + 50)]), "chunk \(c)")
        }
        // A continuing slice needs the previous slice of its chunk: the first event of every
        // chunk after the first must have been coded in full even where the run continues.
        for c in 1..<store.codedChunkCount {
            let first = store.chunks[c][0]
            XCTAssertLessThan(first, CompactTag.sliceContinues, "chunk \(c) starts with a full form")
        }
    }

    func testRandomAccessInAnyOrder() {
        let events = Self.varied(5000)
        let store = EventStore(eventsPerChunk: 128, cachedChunks: 2)
        for e in events { store.append(e) }
        var seed: UInt64 = 42
        for _ in 0..<3000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let i = Int((seed >> 33) % UInt64(events.count))
            XCTAssertEqual(store[i], events[i], "event \(i)")
        }
        // Around a point, as `events N` lists them: both sides of chunk boundaries.
        for center in [127, 128, 1000, 4999] {
            for i in max(0, center - 10)..<min(events.count, center + 10) { XCTAssertEqual(store[i], events[i]) }
        }
    }

    /// A recorded run's events (from a real trace) go in one by one as a trace session reads
    /// them, and take a few bytes each, as in the file.
    func testRecordedRunIsStoredCompactly() throws {
        let recorded = try record(programPath("threads_mutex"), threadOptions(.random, seed: 3, quantum: 50))
        defer { try? FileManager.default.removeItem(atPath: recorded.tracePath) }
        let reader = try TraceReader(path: recorded.tracePath)
        let store = EventStore(eventsPerChunk: 256)
        var events: [RunEvent] = []
        while let (e, _) = try reader.next() {
            events.append(e)
            store.append(e)
        }
        XCTAssertEqual(store.count, recorded.events)
        XCTAssertGreaterThan(store.codedChunkCount, 2, "the run spans several chunks")
        for i in events.indices.reversed() { XCTAssertEqual(store[i], events[i]) }
        let perEvent = Double(store.codedByteCount) / Double(store.codedChunkCount * store.eventsPerChunk)
        XCTAssertLessThan(perEvent, 8, "bytes an event")
    }
}
