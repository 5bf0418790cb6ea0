import Foundation
import WeftInterpreter
import WeftScheduler
import WeftWASI
import XCTest

/// The repository root, two levels above this file's folder.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct ThreadedRunResult: Equatable {
    var outcome: ThreadedOutcome
    var stdout: String
    var slices: Int
    var clock: UInt64
}

/// Runs a module under the scheduler with stdout captured in a temporary file.
/// With `openPipeStdin`, the guest's fd 0 is a pipe that stays open with nothing written to it
/// (a read from it would block forever), as the wasi-threads `*_wasi_read` tests expect.
func runThreaded(_ path: String, _ options: ThreadOptions, arguments: [String] = [], openPipeStdin: Bool = false) throws -> ThreadedRunResult {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("weft-sched-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    let handle = try FileHandle(forWritingTo: out)
    defer { try? handle.close() }
    var wasi = WASIOptions(arguments: [path] + arguments)
    wasi.stdout = handle.fileDescriptor
    var ends: [Int32] = [-1, -1]
    if openPipeStdin {
        XCTAssertEqual(pipe(&ends), 0)
    } else {
        ends[0] = open("/dev/null", O_RDONLY)
    }
    defer { for fd in ends where fd >= 0 { close(fd) } }
    wasi.stdin = ends[0]
    let program = try Program(path: path, options: wasi)
    let runner = ThreadedRunner(program: program, options: options)
    let outcome = try runner.run()
    let text = String(decoding: try Data(contentsOf: out), as: UTF8.self)
    return ThreadedRunResult(outcome: outcome, stdout: text, slices: runner.slices, clock: runner.clock)
}

func options(_ kind: ScheduleKind, seed: UInt64, quantum: Int = 200) -> ThreadOptions {
    var o = ThreadOptions()
    o.schedule.kind = kind
    o.schedule.seed = seed
    o.schedule.quantum = quantum
    return o
}

final class SchedulerTests: XCTestCase {
    func program(_ name: String) -> String { packageRoot.appendingPathComponent("Tests/Programs/\(name).wasm").path }

    /// Race-free programs print the same thing under every strategy and seed, and what they
    /// print is right.
    func testRaceFreeProgramsAgreeAcrossSchedules() throws {
        let expectations: [String: [String]] = [
            "threads_mutex": ["counter = 40000 (expected 40000)", "init ran 1 time(s)"],
            "threads_cond": ["consumed 4000 items, sum 603998000 (expected 4000 items, sum 603998000)"],
            "threads_barrier": ["phase 5: sum 24042, all threads agree: yes, serial threads: 1"],
            "threads_rwlock": ["inconsistent reads: 0"],
            "threads_join_detach": ["sum of squares 1..6 = 91", "detached threads done: 6, sum 210"],
            "threads_tls": ["main: counter=1 name=main big=-5 thread-id=0"],
            "threads_spin": ["counter = 20000 (expected 20000)"],
            "threads_many": ["100 threads finished, checksum 4903c250"],
        ]
        for (name, lines) in expectations.sorted(by: { $0.key < $1.key }) {
            let reference = try runThreaded(program(name), options(.rr, seed: 0))
            XCTAssertEqual(reference.outcome, .exited(0), name)
            for line in lines { XCTAssertTrue(reference.stdout.contains(line), "\(name): missing \(line) in\n\(reference.stdout)") }
            for (kind, seed) in [(ScheduleKind.random, UInt64(1)), (.random, 2), (.pct, 1), (.pct, 2)] {
                let r = try runThreaded(program(name), options(kind, seed: seed))
                XCTAssertEqual(r.outcome, .exited(0), "\(name) \(kind) \(seed)")
                XCTAssertEqual(r.stdout, reference.stdout, "\(name) under \(kind) seed \(seed)")
            }
        }
    }

    /// The same module, inputs, strategy and seed give the same execution.
    func testSameSeedSameExecution() throws {
        for kind in ScheduleKind.allCases {
            let a = try runThreaded(program("threads_cond"), options(kind, seed: 42, quantum: 37))
            let b = try runThreaded(program("threads_cond"), options(kind, seed: 42, quantum: 37))
            XCTAssertEqual(a, b, "\(kind)")
            XCTAssertGreaterThan(a.slices, 10)
        }
        // Different seeds take different paths through the same program.
        let s1 = try runThreaded(program("threads_cond"), options(.random, seed: 1, quantum: 37))
        let s2 = try runThreaded(program("threads_cond"), options(.random, seed: 2, quantum: 37))
        XCTAssertNotEqual(s1.slices, s2.slices)
    }

    /// Random schedules switch threads between memory accesses, so the unsynchronized
    /// `counter++` of racy_counter loses updates, reproducibly for a given seed.
    func testRandomSchedulesInterleaveAtMemoryAccesses() throws {
        var counts: [String] = []
        for seed in UInt64(1)...3 {
            let r = try runThreaded(program("racy_counter"), options(.random, seed: seed, quantum: 50))
            XCTAssertEqual(r.outcome, .exited(0))
            let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
            XCTAssertTrue(line.hasPrefix("counter = "), line)
            counts.append(line)
            let again = try runThreaded(program("racy_counter"), options(.random, seed: seed, quantum: 50))
            XCTAssertEqual(again.stdout, r.stdout, "seed \(seed) must reproduce")
        }
        XCTAssertTrue(counts.contains { !$0.hasPrefix("counter = 40000 ") }, "no lost update under any seed: \(counts)")
        // Round robin switches only at yield points and synchronization, so no update is lost.
        let rr = try runThreaded(program("racy_counter"), options(.rr, seed: 0))
        XCTAssertTrue(rr.stdout.contains("counter = 40000 "), rr.stdout)
    }

    func testDeadlockIsReportedWithEveryThread() throws {
        let r = try runThreaded(program("threads_deadlock"), options(.rr, seed: 0))
        guard case .deadlock(let summary, let threads) = r.outcome else { return XCTFail("\(r.outcome)") }
        XCTAssertEqual(summary, "deadlock: all 3 live threads wait with no timeout")
        XCTAssertEqual(threads.count, 3)
        XCTAssertTrue(threads[1].hasPrefix("thread 1: blocked on wait at 0x"), threads[1])
        XCTAssertTrue(threads[1].contains("rt_mutex_lock"), threads[1])
        XCTAssertTrue(threads[0].contains("rt_thread_join"), threads[0])
        XCTAssertEqual(r.outcome.exitStatus, ThreadExitStatus.deadlock)
    }

    func testSpawnFailsBeyondMaxThreads() throws {
        var o = options(.rr, seed: 0)
        o.maxThreads = 2
        let r = try runThreaded(program("threads_mutex"), o)
        XCTAssertTrue(r.stdout.contains("thread create failed"), r.stdout)
        XCTAssertEqual(r.outcome, .exited(1))
    }

    func testSliceLimitStopsARunawayProgram() throws {
        let wat = FileManager.default.temporaryDirectory.appendingPathComponent("spin-\(UUID().uuidString).wat")
        try "(module (func (export \"_start\") (loop (br 0))))".write(to: wat, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: wat) }
        var o = options(.rr, seed: 0, quantum: 1000)
        o.maxSlices = 50
        let r = try runThreaded(wat.path, o)
        XCTAssertEqual(r.outcome, .limitExceeded(slices: 50))
        XCTAssertEqual(r.outcome.exitStatus, ThreadExitStatus.limitExceeded)
    }

    /// The wasi-threads conformance tests from `$WEFT_WASI_THREADS_TESTSUITE`.
    func testWasiThreadsSuite() throws {
        guard let path = ProcessInfo.processInfo.environment["WEFT_WASI_THREADS_TESTSUITE"], !path.isEmpty else {
            throw XCTSkip("WEFT_WASI_THREADS_TESTSUITE is not set; point it at wasi-threads-testsuite/test/testsuite to run these tests")
        }
        let dir = URL(fileURLWithPath: path)
        let tests = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "wat" }.sorted { $0.path < $1.path }
        XCTAssertGreaterThan(tests.count, 10)
        var ran = 0
        for test in tests {
            let name = test.deletingPathExtension().lastPathComponent
            var expected: UInt32 = 0
            let json = test.deletingPathExtension().appendingPathExtension("json")
            if let data = try? Data(contentsOf: json),
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let code = object["exit_code"] as? Int
            {
                expected = UInt32(code)
            }
            for (kind, seed) in [(ScheduleKind.rr, UInt64(0)), (.random, 1), (.random, 2), (.pct, 3)] {
                // fd 0 is an open, empty pipe: the `*_wasi_read` tests block a thread reading it.
                let r = try runThreaded(test.path, options(kind, seed: seed), openPipeStdin: true)
                XCTAssertEqual(r.outcome, .exited(expected), "\(name) under \(kind) seed \(seed)")
            }
            ran += 1
        }
        XCTAssertEqual(ran, tests.count)
    }
}
