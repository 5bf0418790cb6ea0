// `weft run` names source positions (from the programs' DWARF) in trap messages and deadlock reports.

import Foundation
import XCTest

extension CLITests {
    /// The 1-based number of the only line of `file` (relative to the package root) containing `text`.
    func sourceLine(of text: String, in file: String) throws -> Int {
        let source = try String(contentsOf: Paths.packageRoot.appendingPathComponent(file), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let hits = lines.indices.filter { lines[$0].contains(text) }
        XCTAssertEqual(hits.count, 1, "\(text) in \(file)")
        return try XCTUnwrap(hits.first) + 1
    }

    func testRunTrapNamesSourceLine() throws {
        let line = try sourceLine(of: "__builtin_trap();", in: "Tests/Programs/trap.c")
        for wasm in ["Tests/Programs/trap.wasm", "Tests/Programs/O0/trap.wasm"] {
            let result = try weft(["run", wasm])
            XCTAssertEqual(result.status, 134, result.summary)
            XCTAssertEqual(result.stderrLines.count, 1, result.summary)
            let message = String(result.stderrLines.first ?? "")
            XCTAssertTrue(message.hasPrefix("weft: trap: unreachable in crash at offset 0x"), message)
            XCTAssertTrue(message.contains(" (trap.c:\(line):"), "\(wasm): names trap.c:\(line): \(message)")
        }
    }

    func testDeadlockReportNamesSourceLines() throws {
        let line1 = try sourceLine(of: "rt_mutex_lock(&lock_b); /* blocks forever", in: "Tests/Programs/threads_deadlock.c")
        let line2 = try sourceLine(of: "rt_mutex_lock(&lock_a); /* blocks forever", in: "Tests/Programs/threads_deadlock.c")
        for wasm in ["Tests/Programs/threads_deadlock.wasm", "Tests/Programs/O0/threads_deadlock.wasm"] {
            let result = try weft(["run", wasm])
            XCTAssertEqual(result.status, 135, result.summary)
            let report = result.stderr
            XCTAssertTrue(report.contains("thread1+0x"), result.summary)
            XCTAssertNotNil(report.range(of: #"thread1\+0x[0-9a-f]+ \(threads_deadlock\.c:\#(line1):\d+\)"#, options: .regularExpression), "\(wasm): \(report)")
            XCTAssertNotNil(report.range(of: #"thread2\+0x[0-9a-f]+ \(threads_deadlock\.c:\#(line2):\d+\)"#, options: .regularExpression), "\(wasm): \(report)")
        }
    }
}
