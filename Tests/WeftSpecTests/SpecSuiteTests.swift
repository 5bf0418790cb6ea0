import Foundation
import WeftInterpreter
import WeftWAST
import XCTest

/// Runs the official WebAssembly spec test suite from `$WEFT_SPEC_TESTSUITE` (`.ci/run` points it
/// at `../shared/wasm-testsuite`). Without the variable the tests skip with a message.
final class SpecSuiteTests: XCTestCase {
    /// Core files Weft runs. Every `.wast` at the top of the suite is here unless listed in
    /// ``excluded``; a test below checks that the two lists cover the directory exactly.
    ///
    /// Excluded files and why:
    static let excluded: [String: String] = {
        var e: [String: String] = [:]
        for f in ["array", "array_copy", "array_fill", "array_init_data", "array_init_elem", "array_new_data",
            "array_new_elem", "struct", "i31", "ref_cast", "ref_test", "ref_eq", "ref_null", "br_on_cast",
            "br_on_cast_fail", "extern", "type-canon", "type-rec", "type-subtyping"]
        {
            e[f] = "garbage collection (GC proposal): not supported"
        }
        for f in ["throw", "throw_ref", "try_table", "tag", "instance"] {
            e[f] = "exception handling: not supported (instance.wast defines every module with tags)"
        }
        for f in ["return_call", "return_call_indirect", "return_call_ref"] { e[f] = "tail calls: not supported" }
        e["table_copy_mixed"] = "mixes 32- and 64-bit tables (memory64): not supported"
        e["memory64-imports"] = "memory64: not supported"
        for f in ["i16x8_relaxed_q15mulr_s", "i32x4_relaxed_trunc", "i8x16_relaxed_swizzle", "relaxed_dot_product",
            "relaxed_laneselect", "relaxed_madd_nmadd", "relaxed_min_max"]
        {
            e[f] = "relaxed SIMD: not supported"
        }
        return e
    }()

    /// File-name patterns excluded as a group: SIMD (`simd_*`) and memory64 (`*64.wast`).
    static func excludedByPattern(_ name: String) -> String? {
        if name.hasPrefix("simd_") { return "SIMD: not supported" }
        if name.hasSuffix("64") { return "memory64 / table64: not supported" }
        return nil
    }

    /// Commands expected to fail, by file and line, each with its reason. Everything else must pass.
    static let knownFailures: [String: [Int: String]] = [
        "binary-leb128.wast": [
            964: "WasmKit 0.4.2's WasmParser rejects an over-long LEB128 encoding of a 0xFC sub-opcode (\\fc\\80\\00)"
        ]
    ]

    var suite: URL!

    override func setUpWithError() throws {
        guard let path = ProcessInfo.processInfo.environment["WEFT_SPEC_TESTSUITE"], !path.isEmpty else {
            throw XCTSkip("WEFT_SPEC_TESTSUITE is not set; set it to a checkout of the WebAssembly spec testsuite to run these tests")
        }
        suite = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: suite.path) else {
            throw XCTSkip("WEFT_SPEC_TESTSUITE=\(path) does not exist")
        }
    }

    func coreFiles() throws -> [URL] {
        let all = try FileManager.default.contentsOfDirectory(at: suite, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "wast" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return all.filter {
            let base = $0.deletingPathExtension().lastPathComponent
            return Self.excluded[base] == nil && Self.excludedByPattern(base) == nil
        }
    }

    func runFiles(_ files: [URL], options: ValidationOptions = ValidationOptions()) -> WastSummary {
        var total = WastSummary()
        for file in files {
            let result = WastRunner.run(path: file.path, options: options)
            total.add(result.summary)
            let known = Self.knownFailures[result.file] ?? [:]
            var unexpected: [String] = []
            for failure in result.failures {
                // "FILE:LINE: message"
                let line = Int(failure.dropFirst(result.file.count + 1).prefix { $0.isNumber }) ?? -1
                if known[line] == nil { unexpected.append(failure) }
            }
            XCTAssertTrue(unexpected.isEmpty, "\(result.line(maxFailures: 20))")
            XCTAssertEqual(result.summary.failed, result.failures.count)
            XCTAssertEqual(result.failures.count - unexpected.count, known.count, "known failures of \(result.file) changed: \(result.failures)")
        }
        return total
    }

    func testCoreSuite() throws {
        let files = try coreFiles()
        XCTAssertGreaterThan(files.count, 100, "expected the core spec files in \(suite.path)")
        let total = runFiles(files)
        print("spec core: \(files.count) files, \(total.passed) passed, \(total.failed) failed, \(total.skipped) skipped \(total.skippedFeatures)")
        XCTAssertLessThan(Double(total.skipped), 0.10 * Double(total.total), "skips must stay under 10% of commands")
        // The README's counts are those of the core files and proposals/threads together.
        let threads = runFiles(try threadsFiles(), options: .mvpLimits)
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let shown = "\(Self.grouped(total.passed + threads.passed)) commands pass, \(total.failed + threads.failed) fails"
        XCTAssertTrue(readme.contains(shown), "README.md should say \"\(shown)\"")
        XCTAssertTrue(readme.contains("\(Self.grouped(total.skipped + threads.skipped)) are skipped"), "README.md's skipped count")
    }

    /// `n` with thousands separated by commas, as the README writes numbers.
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        return digits.enumerated().map { i, c in (i > 0 && (digits.count - i) % 3 == 0 ? "," : "") + String(c) }.joined()
    }

    func threadsFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: suite.appendingPathComponent("proposals/threads"), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "wast" }
    }

    func testThreadsProposal() throws {
        let files = try threadsFiles()
        XCTAssertFalse(files.isEmpty, "expected proposals/threads/*.wast")
        // The threads proposal predates reference types and multi-memory; its own tests expect
        // modules with several tables or memories to be invalid.
        let total = runFiles(files, options: .mvpLimits)
        print("spec threads: \(files.count) files, \(total.passed) passed, \(total.failed) failed, \(total.skipped) skipped")
        XCTAssertEqual(total.skipped, 0)
        XCTAssertGreaterThan(total.passed, 500)
    }

    func testExclusionListsNameRealFiles() throws {
        let names = Set(
            try FileManager.default.contentsOfDirectory(atPath: suite.path)
                .filter { $0.hasSuffix(".wast") }.map { String($0.dropLast(5)) })
        for name in Self.excluded.keys {
            XCTAssertTrue(names.contains(name), "excluded file \(name).wast is not in the suite; update the list")
        }
    }
}
