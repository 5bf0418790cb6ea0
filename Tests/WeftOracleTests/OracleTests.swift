import Foundation
import WeftInterpreter
import WeftScheduler
import WeftWASI
import XCTest

/// The repository root, two levels above this file's folder.
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// What a run printed and how it ended.
struct GuestResult: Equatable, CustomStringConvertible {
    var status: Int32
    var stdout: String

    var description: String { "exit \(status), stdout:\n\(stdout)" }
}

/// Differential tests: each race-free threaded program in Tests/Programs, run by WasmKit's own
/// wasi-threads implementation (threads in parallel on host threads, in the
/// `wasmkit-threads-oracle` child process) and by Weft's deterministic scheduler under many
/// schedules, must print the same stdout and exit with the same status.
///
/// Left out, with reason: `racy_counter` (its result depends on the interleaving by design, so no
/// single answer exists to compare) and `threads_deadlock` (it never finishes under a real
/// parallel engine: WasmKit would hang where Weft reports the deadlock).
///
/// Every program runs under all three strategies: `threads_spin`, whose spinners used to livelock
/// PCT, finishes under it since PCT's starvation avoidance (docs/scheduling.md).
///
/// Matrix: seeds 0..<20 for each strategy — `random` and `pct` (quantum 200, seeded), and `rr`
/// whose seed picks the quantum (20 + 97 × seed instructions, since round robin itself ignores the
/// seed). The full 20 × 3 matrix for every program runs with `WEFT_FULL_MATRIX=1`.
///
/// Cost of one Weft run in a debug build (`weft run --schedule random --quantum 200`, wall time on
/// the shared, loaded 2-core machine): threads_mutex 2.5 s, threads_spin 1.2 s, threads_cond 1.1 s;
/// barrier, rwlock, many 0.2 s; join_detach 0.1 s; tls 0.08 s. The full matrix would take about
/// 60 × 5.9 s ≈ 6 minutes, more than the rest of `swift test` together, so by default the three
/// heavy programs run 2 seeds per strategy and the others the full 20 × 3. Measured: the whole
/// test took 40 s (debug, machine loaded): barrier, join_detach, tls 2–3 s each, many 6.5 s,
/// rwlock 10 s, mutex 8.5 s, spin 2.7 s, cond ≈ 4 s. With `pct` runs of threads_spin added
/// (about 2.5 s each at quantum 200), measured on a 2-core machine at load average 8–11: the
/// default test 112 s (spin 21.6 s), the full matrix (480 Weft runs) 440 s wall, 191 s CPU
/// (mutex 162 s, spin 145 s, cond 87 s, the rest 4.5–18 s).
final class OracleTests: XCTestCase {
    /// Programs whose result does not depend on the interleaving.
    static let raceFree = [
        "threads_barrier", "threads_cond", "threads_join_detach", "threads_many", "threads_mutex",
        "threads_rwlock", "threads_spin", "threads_tls",
    ]

    /// Programs too slow in a debug build for the full matrix in every `swift test`: they run
    /// `reducedSeeds` seeds per strategy unless WEFT_FULL_MATRIX=1.
    static let heavyPrograms: Set<String> = ["threads_mutex", "threads_spin", "threads_cond"]
    static let reducedSeeds = 2
    static let fullSeeds = 20

    static var fullMatrix: Bool { ProcessInfo.processInfo.environment["WEFT_FULL_MATRIX"] == "1" }

    func testRaceFreeProgramsMatchWasmKitThreads() throws {
        let oracle = try oracleExecutable()
        for name in Self.raceFree {
            let started = ContinuousClock.now
            let path = packageRoot.appendingPathComponent("Tests/Programs/\(name).wasm").path
            let expected = try runOracle(oracle, module: path)
            // The oracle must have run the program to the end; a WasmKit failure is not a reference.
            XCTAssertEqual(expected.status, 0, "\(name) under WasmKit: \(expected)")
            XCTAssertFalse(expected.stdout.isEmpty, "\(name) under WasmKit printed nothing")
            let seeds = Self.fullMatrix || !Self.heavyPrograms.contains(name) ? Self.fullSeeds : Self.reducedSeeds
            var runs = 0
            defer { print("OracleTests: \(name): WasmKit once + Weft \(runs) runs in \(ContinuousClock.now - started)") }
            for kind in [ScheduleKind.rr, .random, .pct] {
                for seed in 0..<UInt64(seeds) {
                    var options = ThreadOptions()
                    options.schedule.kind = kind
                    options.schedule.seed = seed
                    options.schedule.quantum = kind == .rr ? 20 + 97 * Int(seed) : 200
                    // A livelock becomes a failure (exit 136) instead of a hung test.
                    options.maxSlices = 2_000_000
                    let actual = try runWeft(path, options)
                    runs += 1
                    if actual != expected {
                        // One failure per program: the rest of its matrix would only repeat it.
                        XCTFail("\(name) under Weft \(kind) seed \(seed) quantum \(options.schedule.quantum): \(actual)\nWasmKit: \(expected)")
                        break
                    }
                }
            }
        }
    }

    // MARK: running

    /// Runs `path` in process under Weft's scheduler, stdout captured in a file, stdin empty.
    func runWeft(_ path: String, _ options: ThreadOptions) throws -> GuestResult {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("weft-oracle-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        defer { try? handle.close() }
        let stdin = open("/dev/null", O_RDONLY)
        defer { close(stdin) }
        var wasi = WASIOptions(arguments: [path])
        wasi.stdout = handle.fileDescriptor
        wasi.stdin = stdin
        let runner = ThreadedRunner(program: try Program(path: path, options: wasi), options: options)
        let outcome = try runner.run()
        return GuestResult(status: outcome.exitStatus, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self))
    }

    /// Runs the oracle on `module` in a child process, killing it after `timeout` seconds.
    func runOracle(_ oracle: URL, module: String, timeout: TimeInterval = 120) throws -> GuestResult {
        let dir = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        let outURL = dir.appendingPathComponent("weft-oracle-out-\(id)")
        let errURL = dir.appendingPathComponent("weft-oracle-err-\(id)")
        for url in [outURL, errURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        defer { for url in [outURL, errURL] { try? FileManager.default.removeItem(at: url) } }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        let process = Process()
        process.executableURL = oracle
        process.arguments = [module]
        process.environment = [:]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            XCTFail("wasmkit-threads-oracle \(module) did not finish within \(timeout) s")
        }
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        if process.terminationReason == .uncaughtSignal {
            XCTFail("wasmkit-threads-oracle \(module) died of signal \(process.terminationStatus): \(stderr)")
        }
        return GuestResult(
            status: process.terminationStatus,
            stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self))
    }

    /// The oracle executable, next to the test bundle; fails the test clearly when it is missing.
    func oracleExecutable(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        var directories: [URL] = []
        // macOS: the tests run inside `<products>/WeftPackageTests.xctest`, loaded by xctest.
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        // Linux: `<products>/WeftPackageTests.xctest` is itself the executable.
        directories.append(Bundle.main.bundleURL)
        if let argv0 = CommandLine.arguments.first {
            directories.append(URL(fileURLWithPath: argv0).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for directory in directories {
            let candidate = directory.appendingPathComponent("wasmkit-threads-oracle")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
        }
        XCTFail(
            "the `wasmkit-threads-oracle` executable was not found next to the test bundle (searched: "
                + directories.map(\.path).joined(separator: ", ")
                + "); build it with `swift build --build-tests` (or `swift build --product wasmkit-threads-oracle`) first",
            file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }
}
