// Tests of the `weft` executable, run as a subprocess from the package root.

import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The result of one `weft` invocation.
struct CommandResult {
    var status: Int32
    /// True when the process was killed by a signal (a crash), in which case `status` is the signal.
    var signaled: Bool
    var stdout: String
    var stderr: String

    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stderr.hasSuffix("\n") ? 1 : 0) }
    var stdoutLines: [Substring] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stdout.hasSuffix("\n") ? 1 : 0) }

    /// For failure messages: the status and the start of each stream (a crash report can be long).
    var summary: String {
        func excerpt(_ text: String) -> String {
            text.count <= 600 ? text.debugDescription : (String(text.prefix(600)) + "...").debugDescription
        }
        return "status \(status)\(signaled ? " (signal)" : ""), stdout: \(excerpt(stdout)), stderr: \(excerpt(stderr))"
    }
}

enum WeftExecutable {
    /// Directories where SwiftPM puts built products, derived from where this test bundle runs.
    static var productDirectories: [URL] {
        var candidates: [URL] = []
        // macOS: the tests run inside `<products>/WeftPackageTests.xctest`, loaded by xctest.
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        // Linux: `<products>/WeftPackageTests.xctest` is itself the executable; its directory is the main bundle.
        candidates.append(Bundle.main.bundleURL)
        if let argv0 = CommandLine.arguments.first {
            let url = URL(fileURLWithPath: argv0).resolvingSymlinksInPath()
            candidates.append(url.deletingLastPathComponent())
        }
        return candidates
    }
}

final class CLITests: XCTestCase {
    var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory("weft-cli")
    }

    override func tearDown() {
        scratch?.remove()
        scratch = nil
    }

    /// The `weft` executable; fails the test with a clear message when it was not built.
    func weftExecutable(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        for directory in WeftExecutable.productDirectories {
            let candidate = directory.appendingPathComponent("weft")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
        }
        let searched = WeftExecutable.productDirectories.map(\.path).joined(separator: ", ")
        XCTFail(
            "the `weft` executable was not found next to the test bundle (searched: \(searched)); "
                + "build it with `swift build --build-tests` (or `swift build --product weft`) first",
            file: file, line: line)
        throw CLITestError.executableNotFound
    }

    /// Runs `weft ARGUMENTS` from the package root, with a time limit.
    func weft(_ arguments: [String], timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        try runProcess(try weftExecutable(file: file, line: line).path, arguments, timeout: timeout, file: file, line: line)
    }

    func runProcess(
        _ executable: String, _ arguments: [String], timeout: TimeInterval = 30,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = Paths.packageRoot
        var environment = ProcessInfo.processInfo.environment
        environment["WEFT_GREETING"] = nil
        process.environment = environment

        // Files rather than pipes: nothing can block on a full pipe buffer.
        let id = UUID().uuidString
        let outURL = scratch.url.appendingPathComponent("out-\(id)")
        let errURL = scratch.url.appendingPathComponent("err-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            XCTFail("`weft \(arguments.joined(separator: " "))` did not finish within \(timeout) s", file: file, line: line)
        }
        let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return CommandResult(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            stdout: stdout, stderr: stderr)
    }

    /// A Weft error: it exited (no signal, no Swift runtime crash report) with a non-zero status and
    /// printed exactly one line on stderr, starting with `weft:`.
    func assertCleanError(
        _ result: CommandResult, status expected: Int32? = nil, mentioning fragments: [String] = [],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let crashMarkers = ["Fatal error", "Backtracing", "Precondition failed", "Assertion failed", "Program crashed"]
        if result.signaled || crashMarkers.contains(where: result.stderr.contains) {
            // One failure for a crash; the checks below would only repeat it.
            return XCTFail("weft crashed: \(result.summary)", file: file, line: line)
        }
        XCTAssertNotEqual(result.status, 0, "expected a failure status: \(result.summary)", file: file, line: line)
        if let expected {
            XCTAssertEqual(result.status, expected, "exit status: \(result.summary)", file: file, line: line)
        }
        XCTAssertEqual(result.stderrLines.count, 1, "stderr should be exactly one line: \(result.summary)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("weft: "), "stderr should start with `weft: `: \(result.summary)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(result.stderr.contains(fragment), "stderr should mention \(fragment.debugDescription): \(result.summary)", file: file, line: line)
        }
    }

    // MARK: weft run

    func testRunHello() throws {
        let result = try weft(["run", "Tests/Programs/hello.wasm", "a", "b"])
        XCTAssertFalse(result.signaled, result.summary)
        XCTAssertEqual(result.status, 0, result.summary)
        XCTAssertEqual(
            result.stdout,
            """
            hello from weft
            argc=3
            argv[0]=Tests/Programs/hello.wasm
            argv[1]=a
            argv[2]=b
            WEFT_GREETING is not set

            """)
        XCTAssertEqual(result.stderr, "")
    }

    func testRunPassesEnvironment() throws {
        let result = try weft(["run", "--env", "WEFT_GREETING=hi there", "--env", "OTHER=1", "Tests/Programs/hello.wasm"])
        XCTAssertEqual(result.status, 0, result.summary)
        XCTAssertEqual(result.stdoutLines.last, "WEFT_GREETING=hi there", result.summary)
        XCTAssertEqual(result.stdoutLines.first, "hello from weft", result.summary)
    }

    func testRunEnvironmentValueWithEqualsSign() throws {
        let result = try weft(["run", "--env", "WEFT_GREETING=a=b", "Tests/Programs/hello.wasm"])
        XCTAssertEqual(result.status, 0, result.summary)
        XCTAssertEqual(result.stdoutLines.last, "WEFT_GREETING=a=b", result.summary)
    }

    func testRunPassesDashedGuestArguments() throws {
        let result = try weft(["run", "Tests/Programs/hello.wasm", "--env", "-x"])
        XCTAssertEqual(result.status, 0, result.summary)
        XCTAssertEqual(
            Array(result.stdoutLines),
            ["hello from weft", "argc=3", "argv[0]=Tests/Programs/hello.wasm", "argv[1]=--env", "argv[2]=-x", "WEFT_GREETING is not set"],
            result.summary)
    }

    func testRunExitCode() throws {
        let result = try weft(["run", "Tests/Programs/exitcode.wasm"])
        XCTAssertFalse(result.signaled, result.summary)
        XCTAssertEqual(result.status, 7, result.summary)
        XCTAssertEqual(result.stdout, "exiting with status 7\n")
        XCTAssertEqual(result.stderr, "")
    }

    func testRunTrap() throws {
        let result = try weft(["run", "Tests/Programs/trap.wasm"])
        XCTAssertFalse(result.signaled, result.summary)
        XCTAssertEqual(result.status, 134, result.summary)
        XCTAssertEqual(result.stdout, "about to trap\n")
        XCTAssertEqual(result.stderrLines.count, 1, "one line on stderr: \(result.summary)")
        let message = String(result.stderrLines.first ?? "")
        XCTAssertTrue(message.hasPrefix("weft: trap: unreachable"), message)
        XCTAssertTrue(message.contains(" in crash"), "names the function: \(message)")
        XCTAssertNotNil(message.range(of: #"offset 0x[0-9a-f]+"#, options: .regularExpression), "names an offset: \(message)")
        XCTAssertFalse(message.contains("Backtracing") || message.contains("Fatal error"), message)
    }

    func testRunTextModule() throws {
        let path = try scratch.write(
            "exit3.wat",
            text: """
                (module
                  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                  (memory (export "memory") 1)
                  (func (export "_start") (call $exit (i32.const 3))))
                """)
        let result = try weft(["run", path])
        XCTAssertFalse(result.signaled, result.summary)
        XCTAssertEqual(result.status, 3, result.summary)
        XCTAssertEqual(result.stderr, "")
    }

    // MARK: weft run: bad input

    func testRunMissingFile() throws {
        let path = scratch.path("does-not-exist.wasm")
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["does-not-exist.wasm"])
    }

    func testRunRandomBytes() throws {
        // Deterministic pseudo-random bytes (xorshift32), with an invalid UTF-8 byte so the file is
        // neither a binary module nor text.
        var state: UInt32 = 0x9E37_79B9
        var bytes: [UInt8] = [0xFF]
        for _ in 0..<4096 {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            bytes.append(UInt8(truncatingIfNeeded: state >> 24))
        }
        let path = try scratch.write("random.bin", Data(bytes))
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["random.bin"])
    }

    func testRunRandomBytesAfterWasmHeader() throws {
        var state: UInt32 = 12345
        var bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        for _ in 0..<512 {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes.append(UInt8(truncatingIfNeeded: state >> 24))
        }
        let path = try scratch.write("header-then-noise.wasm", Data(bytes))
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["header-then-noise.wasm"])
    }

    func testRunTruncatedModule() throws {
        let hello = try Data(contentsOf: URL(fileURLWithPath: Paths.program("hello")))
        let path = try scratch.write("truncated.wasm", hello.prefix(100))
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["truncated.wasm"])
    }

    func testRunEmptyFile() throws {
        let path = try scratch.write("empty.wasm", Data())
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["empty.wasm"])
    }

    func testRunInvalidText() throws {
        let path = try scratch.write("notes.wat", text: "These are notes, not a module.\nSecond line (unbalanced\n")
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["notes.wat"])
    }

    func testRunModuleFailingValidation() throws {
        let path = try scratch.write("invalid.wat", text: "(module (func (result i32) (i64.const 0)))\n")
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["invalid.wat"])
    }

    func testRunModuleWithoutStart() throws {
        let path = try scratch.write("library.wat", text: #"(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#)
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["_start"])
    }

    func testRunModuleWithUnknownImport() throws {
        let path = try scratch.write("imports.wat", text: #"(module (import "env" "missing" (func)) (func (export "_start")))"#)
        assertCleanError(try weft(["run", path]), status: 65, mentioning: ["missing"])
    }

    /// A program whose imported memory cannot be reserved (the address-space limit is lowered with
    /// `ulimit -v` below the 4 GiB Weft reserves for a memory of maximum 65536 pages) must be reported
    /// as an error, not crash.
    func testRunMemoryReservationFailure() throws {
        #if os(Linux)
            let weftPath = try weftExecutable().path
            guard FileManager.default.isExecutableFile(atPath: "/bin/sh") else { throw XCTSkip("no /bin/sh") }
            // 3 GB of address space is enough for weft itself, not for a 4 GiB reservation.
            let script = #"ulimit -v 3000000 && exec "$0" run "$1""#
            let control = try runProcess("/bin/sh", ["-c", script, weftPath, Paths.program("exitcode")])
            guard control.status == 7, !control.signaled else {
                throw XCTSkip("weft does not run under `ulimit -v 3000000` here: \(control.summary)")
            }
            let path = try scratch.write(
                "bigmemory.wat", text: #"(module (import "env" "memory" (memory 1 65536 shared)) (func (export "_start")))"#)
            let result = try runProcess("/bin/sh", ["-c", script, weftPath, path])
            assertCleanError(result, status: 65, mentioning: ["bigmemory.wat"])
        #else
            throw XCTSkip("relies on `ulimit -v`, which is Linux-specific")
        #endif
    }

    func testRunUsageErrorForMalformedEnv() throws {
        // ArgumentParser's usage errors are multi-line; only the status and the message are checked.
        let result = try weft(["run", "--env", "NOEQUALS", "Tests/Programs/hello.wasm"])
        XCTAssertFalse(result.signaled, result.summary)
        XCTAssertEqual(result.status, 64, result.summary)
        XCTAssertTrue(result.stderr.contains("NOEQUALS"), result.summary)
        XCTAssertEqual(result.stdout, "", "the guest must not run: \(result.summary)")
    }

    // MARK: weft wast

    func testWastWithOneFailure() throws {
        let path = try scratch.write(
            "mixed.wast",
            text: """
                (assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
                (assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")

                """)
        let result = try weft(["wast", path])
        XCTAssertFalse(result.signaled, result.summary)
        XCTAssertEqual(result.status, 1, result.summary)
        let lines = result.stdoutLines
        XCTAssertEqual(lines.first, "mixed.wast: 1 passed, 1 failed, 0 skipped", result.summary)
        XCTAssertTrue(lines.contains { $0.hasPrefix("    mixed.wast:2: ") }, "the failure names its file and line: \(result.summary)")
        XCTAssertEqual(lines.last, "wast: 1 passed, 1 failed, 0 skipped", result.summary)
    }

    func testWastAllPassing() throws {
        let path = try scratch.write(
            "passing.wast",
            text: """
                (assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
                (assert_trap (module (func $f unreachable) (start $f)) "unreachable")

                """)
        let result = try weft(["wast", path])
        XCTAssertFalse(result.signaled, result.summary)
        XCTAssertEqual(result.status, 0, result.summary)
        XCTAssertEqual(Array(result.stdoutLines), ["passing.wast: 2 passed, 0 failed, 0 skipped", "wast: 2 passed, 0 failed, 0 skipped"], result.summary)
    }

    func testWastTotalsSeveralFiles() throws {
        let first = try scratch.write(
            "first.wast",
            text: """
                (module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
                (assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
                (assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))

                """)
        let second = try scratch.write("second.wast", text: #"(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")"# + "\n")
        let result = try weft(["wast", first, second])
        XCTAssertFalse(result.signaled, result.summary)
        XCTAssertEqual(result.status, 1, result.summary)
        let lines = result.stdoutLines
        XCTAssertTrue(lines.contains { $0.hasPrefix("first.wast: ") && $0.hasSuffix(" 1 failed, 0 skipped") }, result.summary)
        XCTAssertTrue(lines.contains("second.wast: 1 passed, 0 failed, 0 skipped"), result.summary)
        XCTAssertTrue(lines.last?.hasPrefix("wast: ") == true && lines.last?.hasSuffix(" 1 failed, 0 skipped") == true, result.summary)
    }
}

enum CLITestError: Error, CustomStringConvertible {
    case executableNotFound
    var description: String { "the weft executable was not found" }
}
