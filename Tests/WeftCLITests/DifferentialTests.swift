// Differential tests: every single-threaded test program runs under Weft and under WasmKit's
// engine with the same arguments, environment and stdin; stdout, stderr and the outcome must agree.
// Each test also checks output that is known independently of either engine.

import Foundation
import XCTest

final class DifferentialTests: XCTestCase {
    static let arguments = ["prog", "one", "two"]

    /// Runs `name` under both engines, asserts they agree, and returns Weft's run.
    @discardableResult
    func compareEngines(
        _ name: String, _ setup: GuestSetup = GuestSetup(arguments: DifferentialTests.arguments),
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> GuestRun {
        let path = Paths.program(name)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "missing test program \(path)", file: file, line: line)

        let weft = try WeftHarness.run(path: path, setup)
        let wasmKit = try WasmKitHarness.run(path: path, setup)

        switch (weft.outcome, wasmKit.outcome) {
        case (.exited(let a), .exited(let b)):
            XCTAssertEqual(a, b, "\(name): exit codes differ (Weft \(a), WasmKit \(b))", file: file, line: line)
        case (.trapped, .trapped):
            break
        default:
            XCTFail("\(name): outcomes differ: Weft \(weft.outcome), WasmKit \(wasmKit.outcome)", file: file, line: line)
        }
        XCTAssertEqual(
            weft.stdout, wasmKit.stdout, "\(name): stdout differs: \(firstDifference(weft.stdout, wasmKit.stdout))",
            file: file, line: line)
        XCTAssertEqual(
            weft.stderr, wasmKit.stderr, "\(name): stderr differs: \(firstDifference(weft.stderr, wasmKit.stderr))",
            file: file, line: line)
        return weft
    }

    func testHello() throws {
        var setup = GuestSetup(arguments: Self.arguments)
        setup.environment = ["WEFT_GREETING": "hi", "OTHER": "x"]
        let run = try compareEngines("hello", setup)
        XCTAssertEqual(run.outcome, .exited(0))
        XCTAssertEqual(
            run.stdoutText,
            """
            hello from weft
            argc=3
            argv[0]=prog
            argv[1]=one
            argv[2]=two
            WEFT_GREETING=hi

            """)
    }

    func testHelloWithoutEnvironment() throws {
        let run = try compareEngines("hello", GuestSetup(arguments: ["hello"]))
        XCTAssertEqual(run.outcome, .exited(0))
        XCTAssertEqual(run.stdoutText, "hello from weft\nargc=1\nargv[0]=hello\nWEFT_GREETING is not set\n")
    }

    func testExitCode() throws {
        let run = try compareEngines("exitcode")
        XCTAssertEqual(run.outcome, .exited(7))
        XCTAssertEqual(run.stdoutText, "exiting with status 7\n")
    }

    func testTrap() throws {
        let run = try compareEngines("trap")
        guard case .trapped(let message) = run.outcome else {
            return XCTFail("trap.wasm should trap under Weft, got \(run.outcome)")
        }
        XCTAssertEqual(run.stdoutText, "about to trap\n", "output before the trap")
        XCTAssertTrue(message.contains("unreachable"), "trap message: \(message)")
        XCTAssertTrue(message.contains("crash"), "trap message should name the function: \(message)")
    }

    func testCompute() throws {
        let run = try compareEngines("compute")
        XCTAssertEqual(run.outcome, .exited(0))
        let lines = run.stdoutText.split(separator: "\n").map(String.init)
        // π(20000) = 2262; CRC-32 check value; C's truncating division and arithmetic shift.
        XCTAssertTrue(lines.contains("primes below 20000: 2262 (largest 19997)"), run.stdoutText)
        XCTAssertTrue(lines.contains("crc32(\"123456789\") = cbf43926"), run.stdoutText)
        XCTAssertTrue(lines.contains("-7/2=-3 -7%2=-1 -7>>1=-4 (u32)-7=4294967289"), run.stdoutText)
        XCTAssertTrue(lines.contains("2^40=1099511627776 2^40*3-1=3298534883327 hex=2ffffffffff"), run.stdoutText)
        XCTAssertTrue(lines.contains("clz(1)=31 ctz(64)=6 popcount(0xF0F0)=8 rotl=34567812"), run.stdoutText)
    }

    func testFloats() throws {
        let run = try compareEngines("floats")
        XCTAssertEqual(run.outcome, .exited(0))
        let lines = run.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("sqrt(2) = 1.414213562373 (newton 1.414213562373)"), run.stdoutText)
        XCTAssertTrue(lines.contains("(double)(2^53+1) = 9007199254740992.0"), run.stdoutText)
        XCTAssertTrue(lines.contains("(float)16777217 = 16777216.0"), run.stdoutText)
        XCTAssertTrue(lines.contains("f32 bits of 1.0 = 3f800000"), run.stdoutText)
        XCTAssertTrue(lines.contains("f64 bits of -2.5 = c004000000000000"), run.stdoutText)
        XCTAssertTrue(lines.contains("fmin=-1.25 fmax=3.50 copysign=-2.00 fabs=7.75"), run.stdoutText)
        XCTAssertTrue(lines.contains("1/0=inf -1/0=-inf 0/0=nan"), run.stdoutText)
    }

    func testMemory() throws {
        let run = try compareEngines("memory")
        XCTAssertEqual(run.outcome, .exited(0), "memory.c exits non-zero when a heap block was corrupted")
        let lines = run.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("churn: ") == true && lines.first?.contains(" 0 errors") == true, run.stdoutText)
        // Σ i² for i < 1000 = 332833500.
        XCTAssertTrue(lines.contains("calloc sum 0, realloc kept sum 332833500"), run.stdoutText)
        XCTAssertTrue(lines.contains("memmove: abcdabcdefghijopstuvwxyz" + String(repeating: ".", count: 39)), run.stdoutText)
        XCTAssertTrue(lines.contains("records: 0:fig 1:date 1:kiwi 1:lime 1:pear 1:plum 2:apple 2:grape"), run.stdoutText)
        XCTAssertTrue(lines.contains("list: 1000 nodes, sum 499500"), run.stdoutText)
    }

    func testCalls() throws {
        let run = try compareEngines("calls")
        XCTAssertEqual(run.outcome, .exited(0))
        let lines = run.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("fib(20) = 6765"), run.stdoutText)
        XCTAssertTrue(lines.contains("ack(2, 3) = 9, ack(3, 3) = 61"), run.stdoutText)
        for expected in ["add(12, 5) = 17", "sub(12, 5) = 7", "mul(12, 5) = 60", "xor(12, 5) = 9", "max(12, 5) = 12"] {
            XCTAssertTrue(lines.contains("  " + expected), "missing \(expected): \(run.stdoutText)")
        }
        XCTAssertTrue(lines.contains("is_even(5001) = 0, is_odd(5001) = 1"), run.stdoutText)
        XCTAssertTrue(lines.contains("many_args = 17179869266.88"), run.stdoutText)
    }

    func testStdinEcho() throws {
        var setup = GuestSetup(arguments: Self.arguments)
        // More than one 256-byte read, and no final newline.
        let body = String(repeating: "The quick brown fox jumps over the lazy dog 0123456789.\n", count: 10) + "last line, no newline"
        setup.stdin = Data(body.utf8)
        let run = try compareEngines("stdin_echo", setup)
        XCTAssertEqual(run.outcome, .exited(0))
        XCTAssertEqual(
            run.stdoutText,
            body.uppercased() + "\n[stdin_echo: \(body.utf8.count) bytes, 10 lines]\n")
    }

    func testStdinEchoEmptyInput() throws {
        let run = try compareEngines("stdin_echo", GuestSetup(arguments: ["stdin_echo"]))
        XCTAssertEqual(run.outcome, .exited(0))
        XCTAssertEqual(run.stdoutText, "[stdin_echo: 0 bytes, 0 lines]\n")
    }
}
