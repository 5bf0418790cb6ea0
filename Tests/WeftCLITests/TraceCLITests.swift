import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `weft record`, `weft replay` and `weft dump` as a user runs them.
extension CLITests {
    func testRecordThenReplayReproducesARacyRun() throws {
        let trace = scratch.path("bank.weft")
        let recorded = try weft(["record", "-o", trace, "--schedule", "random", "--seed", "5", "traces/bank.wasm"])
        XCTAssertEqual(recorded.status, 1, recorded.summary)  // the race lost deposits
        XCTAssertTrue(recorded.stdout.contains("lost "), recorded.summary)
        let direct = try weft(["run", "--schedule", "random", "--seed", "5", "traces/bank.wasm"])
        XCTAssertEqual(direct.stdout, recorded.stdout, "record runs exactly like run")
        XCTAssertEqual(direct.status, recorded.status)

        let replayed = try weft(["replay", trace])
        XCTAssertEqual(replayed.status, 1, replayed.summary)
        XCTAssertEqual(replayed.stdout, recorded.stdout)
        XCTAssertEqual(replayed.stderr, "")
        let quiet = try weft(["replay", "--quiet", trace])
        XCTAssertEqual(quiet.status, 1)
        XCTAssertEqual(quiet.stdout, "")
    }

    /// The traces committed under traces/ (and the format-1 fixture under Tests/Fixtures/) replay
    /// here, with only the .weft file.
    func testCommittedTracesReplay() throws {
        let bank = try weft(["replay", "traces/bank.weft"])
        XCTAssertEqual(bank.status, 1, bank.summary)
        XCTAssertEqual(bank.stdout, "balance: 36483 (expected 40000)\nlost 3517 deposits\n")
        let primes = try weft(["replay", "traces/primes.weft"])
        XCTAssertEqual(primes.status, 0, primes.summary)
        XCTAssertEqual(primes.stdout, "9592 primes below 100000; the last ones: 99929 99961 99971 99989 99991\n")
        // A trace of the same run written in format 1 (before the compact event forms and the
        // block-wise memory digest) still replays, and dumps to the same events.
        let v1 = try weft(["replay", "Tests/Fixtures/bank-v1.weft"])
        XCTAssertEqual(v1.status, 1, v1.summary)
        XCTAssertEqual(v1.stdout, bank.stdout)
        let (dump1, dump2) = (try weft(["dump", "Tests/Fixtures/bank-v1.weft"]), try weft(["dump", "traces/bank.weft"]))
        XCTAssertEqual(dump1.stdout.split(separator: "\n").first, "Weft trace, format 1, written by Weft 0.1.0")
        XCTAssertEqual(dump1.stdout.split(separator: "\n").dropFirst(), dump2.stdout.split(separator: "\n").dropFirst())
        // Copied elsewhere, with no module or program beside it, the trace still replays.
        let copy = scratch.path("elsewhere.weft")
        try FileManager.default.copyItem(atPath: Paths.packageRoot.appendingPathComponent("traces/bank.weft").path, toPath: copy)
        XCTAssertEqual(try weft(["replay", copy]).stdout, bank.stdout)
    }

    func testDumpPrintsHeaderAndEvents() throws {
        let text = try weft(["dump", "traces/bank.weft"])
        XCTAssertEqual(text.status, 0, text.summary)
        let lines = text.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "Weft trace, format 2, written by Weft 0.1.0")
        XCTAssertTrue(lines.contains("schedule: random seed 2 quantum 10000, max threads 64"), text.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("#0 slice thread 0 ") }, text.stdout)
        XCTAssertTrue(lines.contains { $0.contains(" spawn thread 1 by thread 0 ") }, text.stdout)
        XCTAssertTrue(lines.last?.hasSuffix("end: exit code 1") == true, text.stdout)

        let json = try weft(["dump", "--json", "traces/bank.weft"])
        XCTAssertEqual(json.status, 0, json.summary)
        var types: [String] = []
        for (i, line) in json.stdout.split(separator: "\n").enumerated() {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            types.append(try XCTUnwrap(object["type"] as? String))
            if i > 0 { XCTAssertEqual(object["index"] as? Int, i - 1) }
        }
        XCTAssertEqual(types.first, "header")
        XCTAssertEqual(types.last, "end")
        XCTAssertTrue(types.contains("atomic") && types.contains("spawn") && types.contains("host_call"))
        XCTAssertEqual(types.count, lines.count - 5 + 1)  // text has 5 header lines, JSON one
    }

    func testDamagedTracesFailCleanly() throws {
        let good = try Data(contentsOf: Paths.packageRoot.appendingPathComponent("traces/bank.weft"))
        assertCleanError(try weft(["replay", scratch.path("missing.weft")]), status: 66, mentioning: ["missing.weft: no such file"])
        assertCleanError(try weft(["replay", "Tests/Programs/hello.wasm"]), status: 66, mentioning: ["not a Weft trace"])
        assertCleanError(try weft(["dump", "traces/bank.c"]), status: 66, mentioning: ["not a Weft trace"])
        var future = good
        future[8] = 3
        assertCleanError(try weft(["replay", try scratch.write("future.weft", future)]), status: 66, mentioning: ["newer than this Weft reads"])
        assertCleanError(try weft(["replay", try scratch.write("header.weft", good.prefix(200))]), status: 66, mentioning: ["no complete header"])
        var flipped = good
        flipped[good.count - 40] ^= 0x04
        assertCleanError(try weft(["replay", try scratch.write("flipped.weft", flipped)]), status: 66, mentioning: ["CRC mismatch"])
        let cut = try scratch.write("cut.weft", good.prefix(good.count - 30))
        let replayCut = try weft(["replay", "--quiet", cut])
        assertCleanError(replayCut, status: 75, mentioning: ["trace ends early at event"])
        let dumpCut = try weft(["dump", cut])
        assertCleanError(dumpCut, status: 75, mentioning: ["trace ends early at event"])
        XCTAssertTrue(dumpCut.stdout.hasPrefix("Weft trace, format 2"), "what is readable is still printed")
    }

    func testReplayChecksTheModule() throws {
        assertCleanError(
            try weft(["replay", "--module", "Tests/Programs/hello.wasm", "traces/bank.weft"]), status: 64,
            mentioning: ["not the module this trace recorded", "--force"])
        let forced = try weft(["replay", "--force", "--quiet", "--module", "traces/primes.wasm", "traces/bank.weft"])
        assertCleanError(forced, status: 76, mentioning: ["replay diverged at event"])
        let same = try weft(["replay", "--module", "traces/bank.wasm", "traces/bank.weft"])
        XCTAssertEqual(same.status, 1, same.summary)

        let bare = scratch.path("bare.weft")
        XCTAssertEqual(try weft(["record", "--no-embed-module", "-o", bare, "traces/primes.wasm", "100"]).status, 0)
        XCTAssertLessThan(try Data(contentsOf: URL(fileURLWithPath: bare)).count, 2000, "no module inside")
        assertCleanError(try weft(["replay", bare]), status: 64, mentioning: ["does not embed its module", "--module"])
        let withModule = try weft(["replay", "--module", "traces/primes.wasm", bare])
        XCTAssertEqual(withModule.status, 0, withModule.summary)
        XCTAssertTrue(withModule.stdout.hasPrefix("25 primes below 100"), withModule.stdout)
    }

    func testRecordToAnUnwritablePath() throws {
        assertCleanError(
            try weft(["record", "-o", scratch.path("no/such/dir/t.weft"), "traces/primes.wasm"]), status: 73,
            mentioning: ["cannot create"])
    }

    /// A recording killed with SIGKILL leaves a trace that replays up to its last complete chunk.
    func testKilledRecordingReplaysUpToWhereItStopped() throws {
        let wat = try scratch.write(
            "forever.wat",
            text: """
                (module
                  (memory (export "memory") 1 1 shared)
                  (func (export "_start")
                    (loop (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1))) (br 0))))
                """)
        let trace = scratch.path("killed.weft")
        let process = Process()
        process.executableURL = try weftExecutable()
        process.arguments = ["record", "-o", trace, wat]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until some chunks are on disk, then kill without warning.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: trace)[.size] as? Int) ?? 0
            if size > 200_000 { break }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let replayed = try weft(["replay", trace], timeout: 60)
        assertCleanError(replayed, status: 75, mentioning: ["trace ends early at event"])
    }

    /// `weft replay --races` reports the races of that exact run, with both source lines.
    func testReplayReportsTheRacesOfTheRecordedRun() throws {
        let r = try weft(["replay", "--races", "--quiet", "traces/bank.weft"])
        XCTAssertEqual(r.status, 1, r.summary)  // the recorded exit status
        XCTAssertTrue(r.stderr.contains("WARNING: data race"), r.stderr)
        XCTAssertTrue(r.stderr.contains("deposit+0x") && r.stderr.contains("(bank.c:17:13)") && r.stderr.contains("(bank.c:18:13)"), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("weft: 2 data races in this run\n"), r.stderr)
        let clean = try weft(["replay", "--races", "--quiet", "traces/primes.weft"])
        XCTAssertEqual(clean.status, 0, clean.summary)
        XCTAssertEqual(clean.stderr, "weft: no data races in this run\n")
    }

    /// `weft races --save-traces DIR` keeps a trace for each schedule with a finding, and the
    /// trace replays that schedule with its races.
    func testRacesSavesTracesThatReplayTheFindings() throws {
        let dir = scratch.path("traces")
        let r = try weft(["races", "traces/bank.wasm", "--schedules", "2", "--seed", "1", "--save-traces", dir])
        XCTAssertEqual(r.status, 1, r.summary)
        let saved = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(saved, ["seed-1.weft", "seed-2.weft"])
        let replayed = try weft(["replay", "--races", "--quiet", dir + "/seed-2.weft"])
        XCTAssertEqual(replayed.status, 1, replayed.summary)
        XCTAssertTrue(replayed.stderr.contains("(bank.c:18:13)") && replayed.stderr.hasSuffix("data races in this run\n"), replayed.stderr)

        let clean = scratch.path("clean")
        XCTAssertEqual(try weft(["races", "Tests/Programs/threads_tls.wasm", "--schedules", "2", "--save-traces", clean]).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: clean), [], "no findings, no traces kept")
    }
}
