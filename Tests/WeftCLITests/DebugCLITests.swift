import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension CLITests {
    /// `weft debug --batch` runs -x files and -ex commands in order, echoing them, and exits 0.
    func testDebugBatchScript() throws {
        let script = try scratch.write("cmds.txt", text: "break deposit\n# a comment\ncontinue\nbt\n")
        let r = try weft(["debug", "--batch", "-x", script, "-ex", "info threads", "traces/bank.weft"])
        XCTAssertEqual(r.status, 0, r.summary)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("Weft debugger: trace bank.weft of bank.wasm, schedule random seed 2.") == true, r.stdout)
        XCTAssertTrue(lines.contains("(weft) break deposit"), r.stdout)
        XCTAssertTrue(lines.contains("Thread 2 hit breakpoint 1, deposit+0x25d5 (bank.c:17:13)"), r.stdout)
        XCTAssertTrue(lines.contains("#1  teller+0x25b8 (bank.c:25:9)"), r.stdout)
        XCTAssertTrue(lines.contains("* 2  running  deposit+0x25d5 (bank.c:17:13)"), r.stdout)
        XCTAssertEqual(r.stderr, "")
    }

    /// A failing command in a batch run makes the exit status 1; the session still runs the rest.
    func testDebugBatchFailureStatus() throws {
        let r = try weft(["debug", "--batch", "-ex", "frobnicate", "-ex", "break teller", "traces/bank.weft"])
        XCTAssertEqual(r.status, 1, r.summary)
        XCTAssertTrue(r.stdout.contains("unknown command \"frobnicate\"; try \"help\"\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Breakpoint 1 at teller+"), r.stdout)
    }

    /// A live session on a program: stdin not a terminal, commands read plainly; end of input quits.
    func testDebugLiveSessionReadsStdin() throws {
        let input = try scratch.write("in.txt", text: "break teller\ncontinue\n\ninfo threads\n")
        let r = try runShell("\(try weftExecutable().path) debug --schedule random --seed 2 traces/bank.wasm < \(input)")
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertTrue(r.stdout.contains("Thread 1 hit breakpoint 1, teller+"), r.stdout)
        // The empty line repeated `continue`: the second teller stops too.
        XCTAssertTrue(r.stdout.contains("Thread 2 hit breakpoint 1, teller+"), r.stdout)
    }

    /// Bad input to `weft debug` is one line and a non-zero status.
    func testDebugBadTargets() throws {
        let bad = try scratch.write("bad.wasm", Data([0, 0x61, 0x73, 0x6d, 9, 9]))
        assertCleanError(try weft(["debug", "--batch", bad]), status: 65)
        var trace = [UInt8](try Data(contentsOf: Paths.packageRoot.appendingPathComponent("traces/bank.weft")))
        trace[20] ^= 0xFF
        let damaged = try scratch.write("damaged.weft", Data(trace))
        assertCleanError(try weft(["debug", "--batch", damaged]), status: 66)
    }

    /// `save trace` in a live session writes the run it saw: the same events as `weft record`
    /// of the same program and seed, which `weft replay` re-executes.
    func testSaveTraceOfLiveSessionIsTheRecording() throws {
        let saved = scratch.path("saved.weft")
        let r = try weft(["debug", "--batch", "--schedule", "random", "--seed", "2", "-ex", "continue", "-ex", "save trace \(saved)", "traces/bank.wasm"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertTrue(r.stdout.contains("Saved the run (106 events) to \(saved).\n"), r.stdout)
        let mine = try weft(["dump", saved])
        let recorded = try weft(["dump", "traces/bank.weft"])
        XCTAssertEqual(mine.status, 0, mine.summary)
        XCTAssertEqual(mine.stdout.split(separator: "\n").dropFirst(), recorded.stdout.split(separator: "\n").dropFirst(), "everything but the first line (the format and Weft version)")
        let replay = try weft(["replay", saved])
        XCTAssertEqual(replay.status, 1, replay.summary)
        XCTAssertEqual(replay.stdout, "balance: 36483 (expected 40000)\nlost 3517 deposits\n")
    }

    /// `--record` writes the events as the session first passes them: a session quit halfway
    /// leaves a trace that replays up to there and says where it ends.
    func testRecordWritesTheSessionAsItGoes() throws {
        let path = scratch.path("rec.weft")
        let r = try weft(["debug", "--batch", "--schedule", "random", "--seed", "2", "--record", path,
                          "-ex", "break deposit thread 2", "-ex", "continue", "-ex", "reverse-stepi", "-ex", "continue", "traces/bank.wasm"])
        XCTAssertEqual(r.status, 0, r.summary)
        let mine = try weft(["dump", path]).stdout.split(separator: "\n").dropFirst()
        let recorded = try weft(["dump", "traces/bank.weft"]).stdout.split(separator: "\n").dropFirst()
        XCTAssertGreaterThan(mine.count, 50)
        XCTAssertEqual(Array(mine), Array(recorded.prefix(mine.count)), "the events up to where the session went, once each")
        let replay = try weft(["replay", "--quiet", path])
        XCTAssertEqual(replay.status, 75, replay.summary)
        XCTAssertTrue(replay.stderr.contains("trace ends early at event \(mine.count - 4)"), replay.stderr)
        // --record is for programs; an unwritable path is one line.
        assertCleanError(try weft(["debug", "--batch", "--record", path, "traces/bank.weft"]), status: 64)
        assertCleanError(try weft(["debug", "--batch", "--record", scratch.path("no/such/dir.weft"), "traces/bank.wasm"]), status: 73)
    }

    /// `save breakpoints` writes commands that recreate them in a new session.
    func testSaveBreakpointsRoundTrip() throws {
        let file = scratch.path("bp.txt")
        let first = try weft(["debug", "--batch", "-ex", "break deposit", "-ex", "tbreak teller thread 2", "-ex", "break bank.c:25 if i == 3",
                              "-ex", "watch balance", "-ex", "disable 2", "-ex", "save breakpoints \(file)", "-ex", "info breakpoints", "traces/bank.weft"])
        XCTAssertEqual(first.status, 0, first.summary)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "break deposit\ntbreak teller thread 2\ndisable 2\nbreak bank.c:25 if i == 3\nwatch *0x100158 4\n")
        let second = try weft(["debug", "--batch", "-x", file, "-ex", "info breakpoints", "traces/bank.weft"])
        XCTAssertEqual(second.status, 0, second.summary)
        func table(_ out: String) -> String { String(out[out.range(of: "(weft) info breakpoints\n")!.upperBound...]) }
        // The same table, but watch *0x100158 is not named after the variable.
        XCTAssertEqual(table(second.stdout), table(first.stdout).replacingOccurrences(of: " (balance)", with: ""))
        let bad = try weft(["debug", "--batch", "-ex", "save", "-ex", "save frames x", "-ex", "save trace \(scratch.path("no/such/dir.weft"))", "traces/bank.weft"])
        XCTAssertEqual(bad.status, 1, bad.summary)
        XCTAssertTrue(bad.stdout.contains("(weft) save\nusage: save trace FILE | save breakpoints FILE\n(weft) save frames x\nusage: save trace FILE | save breakpoints FILE\n"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("cannot create "), bad.stdout)
    }

    /// The readline front end, driven through a pseudo-terminal (`script`): history recall with
    /// the up arrow, editing keys, tab completion, and the history file.
    func testDebugReadlineThroughPseudoTerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw XCTSkip("script(1) is not installed; the pseudo-terminal test needs it")
        }
        let home = scratch.path("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let weftPath = try weftExecutable().path
        // Keystrokes, with pauses so readline sees each line at a prompt:
        // 1. a command; 2. up arrow recalls it, Ctrl-A + Ctrl-D edits its first letter away
        //    ("xinfo threads" → "info threads"); 3. tab completes "backt" to "backtrace".
        let steps: [String] = [
            "break deposit\r",
            "continue\r",
            "xinfo threads\u{1}\u{4}\r",
            "\u{1b}[A\u{1b}[A\u{1b}[A\r",
            "backt\t\r",
            "quit\r",
        ]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfec", "\(weftPath) debug traces/bank.weft", "/dev/null"]
        process.currentDirectoryURL = Paths.packageRoot
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["TERM"] = "xterm"
        environment["INPUTRC"] = "/dev/null"
        process.environment = environment
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let reader = DispatchQueue(label: "pty-output")
        final class Collected: @unchecked Sendable { var data = Data() }
        let collected = Collected()
        let done = DispatchSemaphore(value: 0)
        let handle = output.fileHandleForReading
        reader.async {
            collected.data = handle.readDataToEndOfFile()
            done.signal()
        }
        for step in steps {
            Thread.sleep(forTimeInterval: 0.6)
            input.fileHandleForWriting.write(Data(step.utf8))
        }
        Thread.sleep(forTimeInterval: 0.5)
        try? input.fileHandleForWriting.close()
        if done.wait(timeout: .now() + 30) == .timedOut {
            process.terminate()
            XCTFail("the debugger under a pseudo-terminal did not quit")
            return
        }
        process.waitUntilExit()
        let text = String(decoding: collected.data, as: UTF8.self)
        XCTAssertTrue(text.contains("Thread 2 hit breakpoint 1, deposit+0x25d5"), text)
        XCTAssertTrue(text.contains("* 2  running  deposit+0x25d5"), "Ctrl-A, Ctrl-D edited the line: \(text)")
        // Up three times from the prompt: "break deposit" again, so a second breakpoint.
        XCTAssertTrue(text.contains("Breakpoint 2 at deposit+0x25d5"), "history recall: \(text)")
        XCTAssertTrue(text.contains("#1  teller+0x25b8"), "tab completion of backtrace: \(text)")
        let history = (try? String(contentsOfFile: home + "/.weft_history", encoding: .utf8)) ?? ""
        XCTAssertTrue(history.contains("break deposit") && history.contains("info threads"), "history file: \(history)")
    }

    /// The README's debugging transcript is what `weft debug` prints for those commands.
    func testReadmeDebugTranscriptIsReal() throws {
        let readme = try String(contentsOf: Paths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: "$ weft debug traces/bank.weft\n"), "the README shows a debugging session")
        let rest = readme[start.upperBound...]
        let transcript = String(rest[..<(try XCTUnwrap(rest.range(of: "```"))).lowerBound])
        let commands = transcript.split(separator: "\n").filter { $0.hasPrefix("(weft) ") }.map { String($0.dropFirst(7)) }
        XCTAssertGreaterThan(commands.count, 3)
        let r = try weft(["debug", "--batch"] + commands.flatMap { ["-ex", $0] } + ["traces/bank.weft"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(r.stdout, transcript)
    }

    /// docs/repl.md's walkthrough is one session, shown in pieces between paragraphs: its
    /// commands, run in one batch session, print exactly those pieces.
    func testReplWalkthroughIsReal() throws {
        let doc = try String(contentsOf: Paths.packageRoot.appendingPathComponent("docs/repl.md"), encoding: .utf8)
        let section = try XCTUnwrap(doc.range(of: "## Walkthrough:"), "docs/repl.md has a walkthrough")
        let end = doc.range(of: "\n## ", range: section.upperBound..<doc.endIndex)?.lowerBound ?? doc.endIndex
        let lines = doc[section.upperBound..<end].split(separator: "\n", omittingEmptySubsequences: false)
        // The untagged code blocks from the one that starts the session on.
        var transcript = ""
        var fence: Substring?  // the opening line of the block being read
        var started = false
        for line in lines {
            if line.hasPrefix("```") {
                fence = fence == nil ? line : nil
                continue
            }
            guard fence == "```" else { continue }
            if line == "$ weft debug traces/bank.weft" {
                started = true
                continue
            }
            if started { transcript += line + "\n" }
        }
        let commands = transcript.split(separator: "\n").filter { $0.hasPrefix("(weft) ") }.map { String($0.dropFirst(7)) }
        XCTAssertGreaterThan(commands.count, 20, "the walkthrough's commands")
        let r = try weft(["debug", "--batch"] + commands.flatMap { ["-ex", $0] } + ["traces/bank.weft"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(r.stdout, transcript)
    }

    /// Runs a shell command line from the package root.
    func runShell(_ command: String, timeout: TimeInterval = 60) throws -> CommandResult {
        try runProcess("/bin/sh", ["-c", command], timeout: timeout)
    }
}
