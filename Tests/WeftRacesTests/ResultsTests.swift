import Foundation
import WeftRaces
import WeftScheduler
import XCTest

/// Batch mode: merged findings, JSON, SARIF, shards and the CLI's exit codes.
final class ResultsTests: XCTestCase {
    func options(_ name: String, schedules: Int, seed: UInt64 = 0) -> RaceCheckOptions {
        var o = RaceCheckOptions(modulePath: Programs.path(name))
        o.schedules = schedules
        o.firstSeed = seed
        return o
    }

    func testJSONHasTheDocumentedFields() throws {
        let result = try RaceCheck.run(options("race_counter", schedules: 2, seed: 7))
        XCTAssertEqual(result.schedules, 2)
        XCTAssertTrue(result.hasFindings)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: try result.json()) as? [String: Any])
        XCTAssertEqual(object["schedules"] as? Int, 2)
        XCTAssertEqual(object["seeds"] as? [Int], [7, 8])
        for key in ["races", "deadlocks", "traps", "divergent_outputs", "nonzero_exits"] {
            XCTAssertNotNil(object[key] as? [Any], key)
        }
        let race = try XCTUnwrap((object["races"] as? [[String: Any]])?.first)
        XCTAssertNotNil(race["seed"] as? Int)
        for side in ["current", "previous"] {
            let a = try XCTUnwrap(race[side] as? [String: Any], side)
            XCTAssertNotNil(a["thread"] as? Int)
            XCTAssertTrue(["read", "write"].contains(a["access"] as? String ?? ""))
            XCTAssertEqual(a["size"] as? Int, 4)
            XCTAssertNotNil(a["address"] as? Int)
            XCTAssertEqual(a["function"] as? String, "bump")
            XCTAssertNotNil(a["offset"] as? Int)
            // The test programs are built with -g: both accesses name their source line.
            XCTAssertTrue((a["source"] as? String)?.hasPrefix("race_counter.c:") == true, "\(a["source"] ?? "nil")")
            XCTAssertFalse((a["stack"] as? [Any] ?? []).isEmpty)
        }
        // Round trip.
        XCTAssertEqual(try RaceCheckResult.fromJSON(try result.json()).json(), try result.json())
    }

    func testSARIFHasTheRequiredFields() throws {
        let result = try RaceCheck.run(options("race_flag", schedules: 2))
        let log = try XCTUnwrap(JSONSerialization.jsonObject(with: try result.sarif()) as? [String: Any])
        XCTAssertEqual(log["version"] as? String, "2.1.0")
        XCTAssertEqual(log["$schema"] as? String, "https://json.schemastore.org/sarif-2.1.0.json")
        let runs = try XCTUnwrap(log["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 1)
        let driver = try XCTUnwrap((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
        XCTAssertEqual(driver["name"] as? String, "weft")
        let ruleIDs = Set((driver["rules"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        let results = try XCTUnwrap(runs[0]["results"] as? [[String: Any]])
        XCTAssertFalse(results.isEmpty)
        for r in results {
            let id = try XCTUnwrap(r["ruleId"] as? String)
            XCTAssertTrue(ruleIDs.contains(id), id)
            XCTAssertNotNil((r["message"] as? [String: Any])?["text"] as? String)
            let locations = try XCTUnwrap(r["locations"] as? [[String: Any]])
            XCTAssertFalse(locations.isEmpty)
            let physical = try XCTUnwrap(locations[0]["physicalLocation"] as? [String: Any])
            XCTAssertNotNil((physical["artifactLocation"] as? [String: Any])?["uri"] as? String)
        }
        XCTAssertTrue(results.contains { $0["ruleId"] as? String == "data-race" })
    }

    func testShardsMergeToTheWholeRange() throws {
        var whole = options("race_flag", schedules: 6, seed: 10)
        whole.schedule = .pct
        var first = whole, second = whole
        first.shard = (1, 2)
        second.shard = (2, 2)
        XCTAssertEqual(first.seeds, [10, 12, 14])
        XCTAssertEqual(second.seeds, [11, 13, 15])
        let all = try RaceCheck.run(whole)
        let merged = try RaceCheckResult.merge([
            try RaceCheckResult.fromJSON(try RaceCheck.run(first).json()),
            try RaceCheckResult.fromJSON(try RaceCheck.run(second).json()),
        ])
        XCTAssertEqual(merged.schedules, 6)
        XCTAssertEqual(merged.seeds, all.seeds)
        XCTAssertEqual(Set(merged.races.map(\.race.key)), Set(all.races.map(\.race.key)))
        XCTAssertEqual(merged.races.map(\.seed).sorted(), all.races.map(\.seed).sorted())
        XCTAssertEqual(merged.divergentOutputs.map(\.seed), all.divergentOutputs.map(\.seed))
        XCTAssertThrowsError(try RaceCheckResult.merge([all, all]))
    }

    func testParallelJobsFindTheSameAsOneJob() throws {
        var one = options("race_heap", schedules: 4)
        one.schedule = .random
        var four = one
        four.jobs = 4
        let a = try RaceCheck.run(one), b = try RaceCheck.run(four)
        XCTAssertEqual(try a.json(), try b.json())
    }

    func testDivergentOutputIsAFinding() throws {
        // racy_counter prints a total that depends on the interleaving.
        var o = options("racy_counter", schedules: 3)
        o.quantum = 50
        let r = try RaceCheck.run(o)
        XCTAssertFalse(r.divergentOutputs.isEmpty, r.text)
    }

    func testCommandLine() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("a.json").path
        let sarif = dir.appendingPathComponent("a.sarif").path
        let racy = try WeftBinary.run(["races", Programs.path("race_counter"), "--schedules", "2", "--json", json, "--sarif", sarif], in: dir)
        XCTAssertEqual(racy.status, 1, racy.stderr)
        XCTAssertTrue(racy.stdout.contains("WARNING: data race"), racy.stdout)
        XCTAssertTrue(racy.stdout.contains("SUMMARY: weft: data race"), racy.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: json))
        XCTAssertTrue(FileManager.default.fileExists(atPath: sarif))

        let clean = try WeftBinary.run(["races", Programs.path("norace_atomic_flag"), "--schedules", "3", "--schedule", "pct"], in: dir)
        XCTAssertEqual(clean.status, 0, clean.stdout + clean.stderr)
        XCTAssertTrue(clean.stdout.contains("0 data races"), clean.stdout)

        let json2 = dir.appendingPathComponent("b.json").path
        let shard = try WeftBinary.run(["races", Programs.path("race_counter"), "--schedules", "4", "--seed", "0", "--shard", "2/2", "--json", json2], in: dir)
        XCTAssertEqual(shard.status, 1)
        let merged = try WeftBinary.run(["races", "--merge", json, json2], in: dir)
        XCTAssertEqual(merged.status, 2, "seeds 0 and 1 in both files: " + merged.stderr)
        let json3 = dir.appendingPathComponent("c.json").path
        _ = try WeftBinary.run(["races", Programs.path("race_counter"), "--schedules", "4", "--shard", "1/2", "--json", json3], in: dir)
        let merged2 = try WeftBinary.run(["races", "--merge", json3, json2], in: dir)
        XCTAssertEqual(merged2.status, 1, merged2.stderr)
        XCTAssertTrue(merged2.stdout.contains("weft races: 4 schedules"), merged2.stdout)

        for bad in [["races", Programs.path("race_counter"), "--schedule", "sometimes"],
                    ["races", Programs.path("race_counter"), "--shard", "3/2"],
                    ["races", dir.appendingPathComponent("missing.wasm").path],
                    ["races", "--merge", dir.appendingPathComponent("missing.json").path]] {
            let r = try WeftBinary.run(bad, in: dir)
            XCTAssertGreaterThanOrEqual(r.status, 2, bad.joined(separator: " "))
            XCTAssertTrue(r.stderr.hasPrefix("weft: "), r.stderr)
        }
    }
}
