import Foundation
import WeftRaces
import WeftScheduler
import XCTest

/// The detector on the test programs: no reports on race-free programs under many schedules,
/// and every racy program caught under every schedule.
final class DetectorTests: XCTestCase {
    /// Race-free programs and how many seeds of each strategy they run under: the small ones
    /// 10, the long ones fewer, to keep this target's time in a debug build near 3 minutes.
    /// threads_spin runs random schedules only: under PCT a spinning thread with the top
    /// priority can spin until the next change point, which takes minutes in a debug build.
    static let raceFree: [(name: String, seeds: Int, kinds: [ScheduleKind])] = [
        ("norace_atomic_flag", 10, [.random, .pct]), ("norace_per_thread", 10, [.random, .pct]),
        ("norace_adjacent", 10, [.random, .pct]), ("norace_wasi", 10, [.random, .pct]),
        ("threads_join_detach", 10, [.random, .pct]),
        ("threads_tls", 10, [.random, .pct]), ("threads_barrier", 10, [.random, .pct]),
        ("threads_rwlock", 3, [.random, .pct]), ("threads_many", 2, [.random, .pct]),
        ("threads_cond", 2, [.random, .pct]), ("threads_mutex", 2, [.random, .pct]),
        ("threads_spin", 2, [.random]),
    ]

    func testRaceFreeProgramsHaveNoReports() throws {
        for (name, seeds, kinds) in Self.raceFree {
            for kind in kinds {
                var options = RaceCheckOptions(modulePath: Programs.path(name))
                options.schedule = kind
                options.schedules = seeds
                options.jobs = 2
                let result = try RaceCheck.run(options)
                XCTAssertEqual(result.schedules, seeds)
                XCTAssertTrue(result.races.isEmpty, "\(name) \(kind):\n\(result.text)")
                XCTAssertFalse(result.hasFindings, "\(name) \(kind):\n\(result.text)")
            }
        }
    }

    /// (program, a function that must be on one side of some reported race).
    static let racy: [(name: String, function: String)] = [
        ("race_counter", "bump"), ("race_byte", "byte_writer"), ("race_heap", "worker"),
        ("race_after_exit", "worker"), ("race_flag", "reader"), ("racy_counter", "increment"),
        ("race_bulk", "copier"), ("race_wasi", "rt_random"),
    ]

    func testRacyProgramsAreCaughtUnderEverySchedule() throws {
        for (name, function) in Self.racy {
            let seeds: UInt64 = name == "racy_counter" ? 2 : 10
            for kind in [ScheduleKind.random, .pct] {
                for seed in 0..<seeds {
                    let run = try Programs.run(name, kind, seed: seed)
                    let sites = run.races.flatMap { [$0.current.site.function, $0.previous.site.function] }
                    XCTAssertTrue(sites.contains(function), "\(name) \(kind) seed \(seed): no race in \(function); found \(sites)")
                }
            }
        }
    }

    func testRoundRobinScheduleIsCheckedToo() throws {
        XCTAssertFalse(try Programs.run("race_counter", .rr, seed: 0).races.isEmpty)
        XCTAssertTrue(try Programs.run("norace_adjacent", .rr, seed: 0).races.isEmpty)
    }

    func testOneReportPerPairOfCodeLocations() throws {
        let run = try Programs.run("race_counter", .random, seed: 1)
        XCTAssertEqual(Set(run.races.map(\.key)).count, run.races.count)
        // counter++ is a load and a store: at most write/write, read/write and write/read pairs.
        XCTAssertLessThanOrEqual(run.races.count, 3)
    }

    func testReportShape() throws {
        let run = try Programs.run("race_counter", .random, seed: 3)
        let write = try XCTUnwrap(run.races.first { $0.current.isWrite && $0.previous.isWrite })
        let text = write.report
        XCTAssertTrue(text.contains("WARNING: data race (seed 3)"), text)
        XCTAssertTrue(text.contains("Write of size 4 at 0x"), text)
        XCTAssertTrue(text.contains("Previous write of size 4 at 0x"), text)
        XCTAssertTrue(text.contains("    #0 bump+0x"), text)
        XCTAssertTrue(text.contains("    #1 worker+0x"), text)
        XCTAssertTrue(text.contains("Thread T\(write.current.thread) created by main thread T0 at:"), text)
        XCTAssertTrue(text.contains("rt_thread_create+0x"), text)
        XCTAssertTrue(text.contains("SUMMARY: weft: data race bump+0x"), text)
        XCTAssertNotEqual(write.current.thread, write.previous.thread)
        XCTAssertEqual(write.current.address, write.previous.address)
        // Full stacks on both sides, down to the thread's entry.
        XCTAssertEqual(write.previous.stack.last?.function, "wasi_thread_start")
        XCTAssertEqual(write.current.stack.last?.function, "wasi_thread_start")
    }

    func testOneByteOverlapIsExact() throws {
        for seed: UInt64 in 0..<4 {
            let run = try Programs.run("race_byte", .random, seed: seed)
            XCTAssertEqual(run.races.count, 1, run.races.map(\.report).joined(separator: "\n"))
            let race = try XCTUnwrap(run.races.first)
            let (byte, word) = race.current.size == 1 ? (race.current, race.previous) : (race.previous, race.current)
            XCTAssertEqual(byte.size, 1)
            XCTAssertEqual(byte.site.function, "byte_writer")
            XCTAssertEqual(word.site.function, "main")
            XCTAssertEqual(byte.address, word.address + 1, race.report)
        }
    }

    func testHeapRaceNamesTheSharedElementOnly() throws {
        let run = try Programs.run("race_heap", .pct, seed: 5)
        XCTAssertFalse(run.races.isEmpty)
        let addresses = Set(run.races.map(\.current.address))
        XCTAssertEqual(addresses.count, 1, "only cells[0] races: \(run.races.map(\.report))")
    }

    func testShadowMemoryGrowsWithTouchedMemoryOnly() throws {
        // The goal: peak shadow (everything it allocates) at most twice the guest memory the
        // program touched, in 4 KiB pages.
        for name in ["norace_per_thread", "threads_many", "threads_mutex", "race_heap", "race_bulk"] {
            let run = try Programs.run(name, .random, seed: 0)
            XCTAssertGreaterThan(run.touchedGuestBytes, 0)
            XCTAssertLessThan(run.touchedGuestBytes, run.guestMemoryBytes)
            XCTAssertLessThanOrEqual(run.peakShadowBytes, run.touchedGuestBytes * 2, "\(name): \(run.peakShadowBytes) bytes of shadow for \(run.touchedGuestBytes) touched")
        }
    }

    /// memory.copy and memory.fill are named by their instruction, like other accesses.
    func testBulkAccessesNameTheirInstructionAndLine() throws {
        for kind in [ScheduleKind.random, .pct] {
            for seed: UInt64 in 0..<3 {
                let run = try Programs.run("race_bulk", kind, seed: seed)
                XCTAssertEqual(run.races.count, 2, run.races.map(\.report).joined(separator: "\n"))
                var lines: Set<String> = []
                for race in run.races {
                    let bulk = race.current.site.function == "copier" ? race.current : race.previous
                    XCTAssertEqual(bulk.site.function, "copier", race.report)
                    XCTAssertTrue(bulk.isWrite, race.report)
                    XCTAssertNotNil(bulk.site.offset, race.report)
                    XCTAssertEqual(bulk.stack.first?.offset, bulk.site.offset)
                    let source = try XCTUnwrap(bulk.site.source, race.report)
                    let parts = source.split(separator: ":")
                    lines.insert("\(parts[0]):\(parts[1])")
                    XCTAssertTrue(race.report.contains("copier+0x"), race.report)
                }
                // __builtin_memcpy on line 15 (memory.copy), __builtin_memset on line 16 (memory.fill).
                XCTAssertEqual(lines, ["race_bulk.c:15", "race_bulk.c:16"], "\(kind) seed \(seed)")
            }
        }
    }

    /// Bytes random_get writes are a write of the calling thread, named after the call.
    func testWASIWritesRaceWithPlainReads() throws {
        for kind in [ScheduleKind.random, .pct] {
            for seed: UInt64 in 0..<3 {
                let run = try Programs.run("race_wasi", kind, seed: seed)
                XCTAssertEqual(run.races.count, 1, run.races.map(\.report).joined(separator: "\n"))
                let race = try XCTUnwrap(run.races.first)
                let write = race.current.isWrite ? race.current : race.previous
                let read = race.current.isWrite ? race.previous : race.current
                XCTAssertEqual(write.hostCall, "random_get", race.report)
                XCTAssertEqual(write.stack.map(\.function).prefix(2), ["rt_random", "filler"], race.report)
                XCTAssertEqual(read.site.function, "main", race.report)
                XCTAssertTrue(race.report.contains("(WASI random_get)"), race.report)
            }
        }
    }
}
