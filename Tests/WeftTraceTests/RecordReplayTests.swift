import Foundation
import WeftInterpreter
import WeftScheduler
import XCTest

@testable import WeftTrace

final class RecordReplayTests: XCTestCase {
    /// Every threaded test program, recorded under several strategies and seeds, replays with the
    /// same output, exit status and final memory (the replayer checks the digest at the end).
    func testThreadProgramsReplayUnderManySeeds() throws {
        // The heavier programs run one schedule each, to keep the debug-build test time down.
        let light = ["threads_barrier", "threads_rwlock", "threads_join_detach", "threads_tls", "threads_many", "racy_counter", "threads_deadlock"]
        let heavy = ["threads_mutex", "threads_cond", "threads_spin"]
        var runs: [(String, ScheduleKind, UInt64)] = []
        for name in light { runs += [(name, .rr, 0), (name, .random, 1), (name, .pct, 2)] }
        runs += [("threads_mutex", .random, 7), ("threads_cond", .pct, 11), ("threads_spin", .random, 4)]
        XCTAssertEqual(Set(runs.map(\.0)), Set(light + heavy))
        for (name, kind, seed) in runs {
            let r = try record(programPath(name), threadOptions(kind, seed: seed))
            defer { try? FileManager.default.removeItem(atPath: r.tracePath) }
            let p = try replay(r.tracePath)
            let what = "\(name) \(kind) seed \(seed)"
            XCTAssertEqual(p.stdout, r.stdout, what)
            XCTAssertEqual(p.outcome, r.outcome, what)
            XCTAssertEqual(p.verified, r.events, "\(what): every recorded event checked")
        }
    }

    /// A racy program's output depends on the schedule; each trace reproduces its own run.
    func testRacyRunsReplayTheirOwnInterleaving() throws {
        var outputs: Set<String> = []
        for seed in UInt64(1)...4 {
            let r = try record(programPath("racy_counter"), threadOptions(.random, seed: seed, quantum: 50))
            defer { try? FileManager.default.removeItem(atPath: r.tracePath) }
            outputs.insert(r.stdout)
            XCTAssertEqual(try replay(r.tracePath).stdout, r.stdout)
        }
        XCTAssertGreaterThan(outputs.count, 1, "different seeds should lose different numbers of updates")
    }

    /// Replaying with a different module stops at the first event that differs, naming it.
    func testDivergenceIsReportedWithTheEvent() throws {
        let r = try record(programPath("threads_mutex"), threadOptions(.random, seed: 3))
        defer { try? FileManager.default.removeItem(atPath: r.tracePath) }
        let other = try Data(contentsOf: URL(fileURLWithPath: programPath("threads_cond")))
        XCTAssertThrowsError(try replay(r.tracePath, module: [UInt8](other))) { error in
            let d = error as? ReplayDivergence
            XCTAssertNotNil(d, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("replay diverged at event "), "\(error)")
        }
    }

    /// A trace whose atomic (written in the compact form, as a difference from the value known
    /// at its address) records another value: the replay stops at exactly that event and names
    /// its number, thread, function and offset, and both events in full.
    func testDivergenceAtACompactAtomicNamesTheEventExactly() throws {
        let r = try record(programPath("threads_mutex"), threadOptions(.rr, seed: 0))
        defer { try? FileManager.default.removeItem(atPath: r.tracePath) }
        let reader = try TraceReader(path: r.tracePath)
        var events: [(event: RunEvent, end: TraceEnd?)] = []
        while let e = try reader.next() { events.append(e) }
        let atomics = events.indices.filter { i in
            if case .atomic(let t, let a) = events[i].event { return t != 0 && a.read != nil } else { return false }
        }
        let index = try XCTUnwrap(atomics.dropFirst(atomics.count / 2).first)
        guard case .atomic(let thread, let actual) = events[index].event else { return XCTFail() }
        var altered = actual
        altered.read = actual.read! &+ 1
        events[index].event = .atomic(thread: thread, altered)
        let path = temporaryPath(".weft")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let writer = try TraceWriter(path: path, header: reader.header)
            for e in events { try writer.append(e.event, memoryDigest: e.end?.memoryDigest) }
            try writer.flush()
        }
        XCTAssertThrowsError(try replay(path)) { error in
            guard let d = error as? ReplayDivergence else { return XCTFail("\(error)") }
            XCTAssertEqual(d.event, index)
            XCTAssertEqual(d.thread, thread)
            XCTAssertTrue(d.location?.contains("+0x") == true, d.location ?? "no location")
            XCTAssertEqual(d.expected, describe(RunEvent.atomic(thread: thread, altered)))
            XCTAssertEqual(d.actual, describe(RunEvent.atomic(thread: thread, actual)))
            XCTAssertEqual(
                "\(d)",
                "replay diverged at event \(index), thread \(thread) in \(d.location!): the trace has \(d.expected), the run did \(d.actual)")
        }
    }

    /// A trace cut after some chunks replays up to its last complete chunk and then says so.
    func testTruncatedTraceEndsEarly() throws {
        let r = try record(programPath("threads_mutex"), threadOptions(.random, seed: 5))
        defer { try? FileManager.default.removeItem(atPath: r.tracePath) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: r.tracePath)))
        XCTAssertGreaterThan(bytes.count, 3 * TraceFormat.chunkTarget, "the trace should span several chunks")
        bytes.removeLast(bytes.count / 2)
        let cut = temporaryPath(".weft")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try Data(bytes).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try replay(cut)) { error in
            guard let e = error as? TraceEndsEarly else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(e.event, 0)
            XCTAssertLessThan(e.event, r.events)
        }
    }

    /// WASI inputs come from the trace: a program reading the clock and random bytes replays
    /// with the recorded values even under --real-time.
    func testInputsReplayFromTheTrace() throws {
        var o = threadOptions(.rr, seed: 0)
        o.realTime = true
        let r = try record(programPath("clock_random"), o)
        defer { try? FileManager.default.removeItem(atPath: r.tracePath) }
        XCTAssertEqual(try replay(r.tracePath).stdout, r.stdout)
        var sawClock = false
        let reader = try TraceReader(path: r.tracePath)
        while let (event, _) = try reader.next() {
            if case .hostCall(_, let call) = event, call.name == "clock_time_get" { sawClock = true }
        }
        XCTAssertTrue(sawClock, "a real-time clock reading is recorded")
    }

    /// Virtual time: clock readings are the same on every run of the same schedule.
    func testVirtualClockIsDeterministic() throws {
        let a = try record(programPath("clock_random"), threadOptions(.rr, seed: 0))
        let b = try record(programPath("clock_random"), threadOptions(.rr, seed: 0))
        defer {
            try? FileManager.default.removeItem(atPath: a.tracePath)
            try? FileManager.default.removeItem(atPath: b.tracePath)
        }
        // The program prints its random bytes before reading the clocks, so how far virtual time
        // has advanced by then depends on those bytes; what lies between two clock readings does
        // not. Realtime starts at the virtual epoch (2000-01-01).
        let monotonicLines = { (s: String) in s.split(separator: "\n").filter { $0.contains("monotonic") } }
        XCTAssertEqual(monotonicLines(a.stdout).count, 2, a.stdout)
        XCTAssertEqual(monotonicLines(a.stdout), monotonicLines(b.stdout))
        for run in [a, b] {
            XCTAssertTrue(run.stdout.contains("realtime: 9466848000"), run.stdout)
        }
    }
}
