import Foundation
import XCTest

/// The run options shared by `run`, `record`, `races` and `debug`, the `--` that ends them, and
/// the one-line errors of bad command lines.
extension CLITests {
    static let programCommands = ["run", "record", "races", "debug"]

    /// The arguments that make each command run `Tests/Programs/args.wasm` (which prints its
    /// arguments and exits with argc) with `options` before the module and `guest` after it.
    func programCommand(_ command: String, options: [String] = [], guest: [String]) -> [String] {
        switch command {
        case "record": return ["record", "-o", scratch.path("run.weft")] + options + ["Tests/Programs/args.wasm"] + guest
        case "races": return ["races", "--schedules", "1"] + options + ["Tests/Programs/args.wasm"] + guest
        case "debug": return ["debug", "--batch", "-ex", "continue"] + options + ["Tests/Programs/args.wasm"] + guest
        default: return [command] + options + ["Tests/Programs/args.wasm"] + guest
        }
    }

    /// `weft CMD prog.wasm -- a --foo` gives the guest `a --foo` only, in every command that runs
    /// a program (races shows it through the exit status, argc = 3).
    func testDoubleDashEndsWeftOptions() throws {
        for command in Self.programCommands {
            let r = try weft(programCommand(command, guest: ["--", "a", "--foo"]))
            XCTAssertFalse(r.signaled, r.summary)
            if command == "races" {
                XCTAssertTrue(r.stdout.contains("non-zero exit (seed 0): exit code 3\n"), "\(command): \(r.summary)")
            } else {
                XCTAssertTrue(r.stdout.contains("arg 1: a\narg 2: --foo\n"), "\(command): \(r.summary)")
                XCTAssertFalse(r.stdout.contains("arg 3"), "\(command): \(r.summary)")
            }
        }
    }

    /// Only the first `--` is Weft's: a later one is the guest's own argument.
    func testLaterDoubleDashReachesTheGuest() throws {
        let r = try weft(["run", "Tests/Programs/args.wasm", "--", "a", "--", "b"])
        XCTAssertEqual(r.status, 4, r.summary)
        XCTAssertEqual(r.stdout, "arg 1: a\narg 2: --\narg 3: b\n")
    }

    /// `weft races` takes its options after the guest's arguments too; after `--` they are the guest's.
    func testRacesOptionsAfterDoubleDashAreTheGuests() throws {
        let r = try weft(["races", "Tests/Programs/args.wasm", "--schedules", "1", "--", "--schedules", "5"])
        XCTAssertTrue(r.stdout.contains("non-zero exit (seed 0): exit code 3\n"), r.summary)
        XCTAssertTrue(r.stdout.contains("weft races: 1 schedule (random)"), r.summary)
    }

    /// Every option of `weft run` is accepted, with the same meaning, by record, races and debug.
    func testEveryCommandTakesEveryRunOption() throws {
        let run = try weft(["run", "--help"])
        let options = Set(run.stdout.split(whereSeparator: { " ,\n[]=<>".contains($0) }).filter { $0.hasPrefix("--") && $0 != "--help" }.map(String.init))
        XCTAssertTrue(options.isSuperset(of: ["--env", "--dir", "--schedule", "--seed", "--quantum", "--pct-depth", "--max-threads", "--max-instructions", "--real-time"]), "\(options)")
        for command in Self.programCommands.dropFirst() {
            let help = try weft([command, "--help"]).stdout
            for option in options {
                XCTAssertTrue(help.contains(option), "weft \(command) --help lacks \(option)")
            }
        }
        let data = scratch.path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let all = [
            "--env", "A=1", "--dir", data, "--dir", data + "::/data", "--schedule", "pct", "--seed", "5", "--quantum", "100",
            "--pct-depth", "2", "--max-threads", "8", "--max-instructions", "100000", "--real-time",
        ]
        // args.wasm exits with argc (2); races reports that as a finding; a debug session exits 0.
        let expected: [String: Int32] = ["run": 2, "record": 2, "races": 1, "debug": 0]
        for command in Self.programCommands {
            let r = try weft(programCommand(command, options: all, guest: ["x"]))
            XCTAssertEqual(r.stderr, "", "\(command): \(r.summary)")
            XCTAssertEqual(r.status, expected[command], "\(command): \(r.summary)")
        }
    }

    /// `weft races --dir` preopens the directory for the guest, as `weft run --dir` does: the module
    /// exits with `fd_prestat_get(3)`'s errno, 0 with a preopen and EBADF (8) without one.
    func testRacesPreopensDirectories() throws {
        let module = try scratch.write(
            "prestat.wat",
            text: """
                (module
                  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
                  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                  (memory (export "memory") 1)
                  (func (export "_start") (call $exit (call $prestat (i32.const 3) (i32.const 0)))))
                """)
        XCTAssertEqual(try weft(["run", module]).status, 8)
        XCTAssertEqual(try weft(["run", "--dir", scratch.url.path, module]).status, 0)
        let without = try weft(["races", "--schedules", "1", module])
        XCTAssertTrue(without.stdout.contains("non-zero exit (seed 0): exit code 8\n"), without.summary)
        let with = try weft(["races", "--schedules", "1", "--dir", scratch.url.path, module])
        XCTAssertEqual(with.status, 0, with.summary)
        XCTAssertTrue(with.stdout.contains("0 non-zero exits"), with.summary)
    }

    /// `--dir` of a directory that does not exist is a usage error naming it, in every command.
    func testMissingPreopenDirectoryIsAUsageError() throws {
        let missing = scratch.path("no-such-directory")
        for command in Self.programCommands {
            let r = try weft(programCommand(command, options: ["--dir", missing], guest: []))
            assertCleanError(r, status: 64, mentioning: ["--dir \(missing): no such directory"])
            XCTAssertFalse(r.stderr.contains("args.wasm"), "\(command): \(r.summary)")
        }
    }

    /// A seed is unsigned, and the message says so, in every command.
    func testNegativeSeedSaysSeedsAreUnsigned() throws {
        for command in Self.programCommands {
            assertCleanError(try weft(programCommand(command, options: ["--seed", "-1"], guest: [])), status: 64, mentioning: ["unsigned", "-1"])
        }
    }

    /// A bad numeric option is named, alone.
    func testNonPositiveOptionsAreNamed() throws {
        let r = try weft(["races", "--jobs", "0", "Tests/Programs/args.wasm"])
        assertCleanError(r, status: 64, mentioning: ["--jobs must be positive, got 0"])
        XCTAssertFalse(r.stderr.contains("--schedules"), r.summary)
        assertCleanError(try weft(["run", "--quantum", "0", "Tests/Programs/args.wasm"]), status: 64, mentioning: ["--quantum must be positive, got 0"])
    }

    /// A module that does not exist: "no such file", naming it once.
    func testMissingModuleSaysNoSuchFile() throws {
        let missing = scratch.path("nonexistent.wasm")
        for command in Self.programCommands {
            let r = try weft(programCommand(command, guest: []).map { $0 == "Tests/Programs/args.wasm" ? missing : $0 })
            assertCleanError(r, status: 65)
            XCTAssertEqual(r.stderr, "weft: \(missing): no such file\n", "\(command): \(r.summary)")
        }
    }

    /// A trace that does not exist: "no such file", naming it once.
    func testMissingTraceSaysNoSuchFile() throws {
        let missing = scratch.path("nonexistent.weft")
        for command in ["replay", "dump"] {
            let r = try weft([command, missing])
            assertCleanError(r, status: 66)
            XCTAssertEqual(r.stderr, "weft: \(missing): no such file\n", "\(command): \(r.summary)")
        }
    }

    func testRacesMergeWithoutFiles() throws {
        assertCleanError(try weft(["races", "--merge"]), status: 64, mentioning: ["--merge needs the JSON files"])
    }

    /// A missing -x file is the only thing printed: no banner first.
    func testDebugMissingCommandFilePrintsNoBanner() throws {
        let r = try weft(["debug", "--batch", "-x", scratch.path("missing.gdb"), "traces/bank.weft"])
        assertCleanError(r, status: 64, mentioning: ["missing.gdb"])
        XCTAssertEqual(r.stdout, "", r.summary)
    }

    /// A script that does not exist is an error on stderr, not a failed command on stdout.
    func testWastMissingScript() throws {
        let r = try weft(["wast", scratch.path("nonexistent.wast")])
        assertCleanError(r, status: 66, mentioning: ["nonexistent.wast: no such file"])
        XCTAssertEqual(r.stdout, "", r.summary)
    }

    /// A text module that does not parse is reported at FILE:LINE:COLUMN, in plain words.
    func testWastParseErrorPosition() throws {
        let path = try scratch.write("bad.wat", text: "(module\n  (func (i32.bogus)))\n")
        let r = try weft(["wast", path])
        XCTAssertEqual(r.status, 1, r.summary)
        XCTAssertEqual(r.stdoutLines.dropFirst().first, "    bad.wat:2:20: cannot assemble module: unknown instruction i32.bogus", r.summary)
        XCTAssertFalse(r.stdout.contains("Location("), r.summary)
    }

    /// A script that is not an S-expression at all is reported at the position of the problem.
    func testWastScriptSyntaxErrorPosition() throws {
        let path = try scratch.write("broken.wast", text: "(module)\n(assert_return (invoke \"f\")\n")
        let r = try weft(["wast", path])
        XCTAssertEqual(r.status, 1, r.summary)
        let failure = r.stdoutLines.dropFirst().first.map(String.init) ?? ""
        XCTAssertTrue(failure.range(of: #"^    broken\.wast:\d+:\d+: "#, options: .regularExpression) != nil, r.summary)
        XCTAssertFalse(r.stdout.contains("Location("), r.summary)
    }
}
