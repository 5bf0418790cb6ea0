import Foundation
import WeftInterpreter
import WeftScheduler
import WeftTrace
import XCTest

@testable import WeftDebugger

final class TimelineStoreTests: XCTestCase {
    func testTimesRoundTripAcrossChunksInAnyOrder() {
        var times: [UInt64] = []
        var t: UInt64 = 0
        var seed: UInt64 = 7
        for i in 0..<2000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            switch i % 5 {
            case 0: t += 0  // events at the same instruction
            case 1: t += (seed >> 40) % 300
            case 2: t += (seed >> 20)  // a long stretch without events
            case 3: t = t &- 5  // not required to grow
            default: t += 1
            }
            times.append(t)
        }
        times.append(UInt64.max)
        times.append(0)
        var store = EventTimes(timesPerChunk: 100)
        for (i, time) in times.enumerated() {
            store.append(time)
            XCTAssertEqual(store.count, i + 1)
            XCTAssertEqual(store[i], time)
        }
        XCTAssertEqual(store.chunks.count, times.count / 100)
        for i in times.indices.reversed() { XCTAssertEqual(store[i], times[i], "time \(i)") }
        for i in stride(from: 0, to: times.count, by: 37) { XCTAssertEqual(store[i], times[i], "time \(i)") }
        XCTAssertLessThan(store.codedByteCount, 6 * times.count)
    }

    /// A trace session's timeline learns each event's time the first time the run passes it,
    /// and keeps it when re-execution passes it again; events are checked one by one.
    func testRecordedTimelineFillsTimesOnFirstPass() throws {
        let events = EventStore(eventsPerChunk: 4)
        let recorded: [RunEvent] = (0..<10).map { .slice(thread: 0, budget: 100, position: UInt64($0) * 10) } + [.end(.exited(0))]
        for e in recorded { events.append(e) }
        let timeline = Timeline(recorded: events)
        var now: UInt64 = 0
        timeline.clock = { now }
        var firstPasses: [Int] = []
        timeline.firstPass = { firstPasses.append($0) }
        XCTAssertTrue(timeline.replaying)
        for i in 0..<6 {
            now = UInt64(i) * 100 + 5
            XCTAssertEqual(try timeline.expected(), recorded[i])
            try timeline.event(recorded[i])
        }
        XCTAssertEqual(timeline.highWater, 6)
        XCTAssertTrue(timeline.timeKnown(5))
        XCTAssertFalse(timeline.timeKnown(6))
        XCTAssertEqual((0..<6).map { timeline.times[$0] }, [5, 105, 205, 305, 405, 505])
        // Back to a snapshot at event 2: re-execution passes 2...5 again, then goes further.
        timeline.cursor = 2
        for i in 2..<11 {
            now = UInt64(i) * 100 + 5 + (i < 6 ? 1 : 0)  // a known time is not written again
            try timeline.event(recorded[i])
        }
        XCTAssertEqual(firstPasses, Array(0..<11))
        XCTAssertEqual((0..<11).map { timeline.times[$0] }, [5, 105, 205, 305, 405, 505, 605, 705, 805, 905, 1005])
        XCTAssertThrowsError(try timeline.event(.exit(thread: 0))) { XCTAssertTrue("\($0)".contains("past the end of the recording"), "\($0)") }
        timeline.cursor = 3
        XCTAssertThrowsError(try timeline.event(.exit(thread: 0))) { XCTAssertTrue("\($0)".contains("diverged at event 3"), "\($0)") }
    }

    /// A live session's timeline records events and their times as the run first passes them
    /// (past a chunk), and replays them when the run goes back.
    func testLiveTimelineRecordsAndReplays() throws {
        final class Fixed: ScheduleSource {
            var decidesTimeouts: Bool { false }
            func threadCreated(_ thread: Int32) {}
            func next(runnable: [Int32], blockedInHost: [Int32], current: (thread: Int32, budget: Int)?) throws -> ScheduleDecision { .run(thread: 0, budget: 1) }
        }
        let timeline = Timeline(live: Fixed())
        var now: UInt64 = 0
        timeline.clock = { now }
        let n = 10_000
        let recorded: [RunEvent] = (0..<n).map { .slice(thread: Int32($0 % 3), budget: 50, position: UInt64($0)) }
        for (i, e) in recorded.enumerated() {
            now = UInt64(i) * 3
            XCTAssertFalse(timeline.replaying)
            try timeline.event(e)
        }
        XCTAssertEqual(timeline.events.count, n)
        XCTAssertEqual(timeline.times.count, n)
        timeline.cursor = 4000
        for i in 4000..<n {
            XCTAssertTrue(timeline.replaying)
            let decision = try timeline.next(runnable: [0, 1, 2], blockedInHost: [], current: nil)
            XCTAssertEqual(decision, .run(thread: Int32(i % 3), budget: 50))
            try timeline.event(recorded[i])
        }
        for i in stride(from: 0, to: n, by: 997) { XCTAssertEqual(timeline.times[i], UInt64(i) * 3) }
        XCTAssertFalse(timeline.replaying)
    }
}
