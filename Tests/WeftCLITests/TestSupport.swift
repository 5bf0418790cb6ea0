// Shared helpers for the WeftCLITests target: where things are on disk, scratch files, and the
// engine-neutral result of running a guest program in-process.
//
// This file deliberately imports neither WasmKit nor Weft's modules: both define `Module`, `Store`,
// `Trap`, `Instance`, ... so each engine gets its own file (WasmKitHarness.swift, WeftHarness.swift)
// and the tests only see the types below.

import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Locations

enum Paths {
    /// The package root: this file is `<root>/Tests/WeftCLITests/TestSupport.swift`.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // WeftCLITests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // <root>

    static let programsDirectory = packageRoot.appendingPathComponent("Tests/Programs")

    /// Absolute path of a checked-in test program, e.g. `program("hello")` → `.../hello.wasm`.
    static func program(_ name: String) -> String {
        programsDirectory.appendingPathComponent("\(name).wasm").path
    }
}

// MARK: - Scratch directory

/// A fresh temporary directory, removed by `remove()` (call it from a `defer` or `tearDown`).
final class ScratchDirectory {
    let url: URL

    init(_ label: String = "weft-cli-tests") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `data` to `name` inside the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let file = url.appendingPathComponent(name)
        try data.write(to: file)
        return file.path
    }

    @discardableResult
    func write(_ name: String, text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

// MARK: - In-process guest runs

/// How a guest run ended, in terms both engines can be mapped to.
enum GuestOutcome: Equatable, CustomStringConvertible {
    /// `proc_exit(code)`, or `_start` returning (0).
    case exited(UInt32)
    /// The engine reported a trap; the message is engine-specific and only used for diagnostics.
    case trapped(String)

    var isTrap: Bool {
        if case .trapped = self { return true }
        return false
    }

    var description: String {
        switch self {
        case .exited(let code): return "exited(\(code))"
        case .trapped(let message): return "trapped(\(message))"
        }
    }
}

/// What a guest program did: how it ended and what it wrote to its stdout and stderr.
struct GuestRun {
    var outcome: GuestOutcome
    var stdout: Data
    var stderr: Data

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// The WASI setup for one run; identical for both engines in a differential test.
struct GuestSetup {
    var arguments: [String]
    var environment: [String: String] = [:]
    /// What the guest reads from fd 0 (served from a regular file).
    var stdin = Data()
}

/// Standard streams for an in-process guest: stdin from a file holding `setup.stdin`, stdout and
/// stderr into files that are read back after the run. Descriptors are closed afterwards (WASI
/// borrows stdio descriptors and never closes them itself).
func withGuestStdio(
    stdin: Data, _ body: (_ stdin: Int32, _ stdout: Int32, _ stderr: Int32) throws -> GuestOutcome
) throws -> GuestRun {
    let scratch = try ScratchDirectory("weft-guest-stdio")
    defer { scratch.remove() }
    let inPath = try scratch.write("stdin", stdin)
    let outPath = scratch.path("stdout")
    let errPath = scratch.path("stderr")

    let inFD = open(inPath, O_RDONLY)
    guard inFD >= 0 else { throw StdioError.open(inPath, errno) }
    defer { close(inFD) }
    let outFD = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard outFD >= 0 else { throw StdioError.open(outPath, errno) }
    defer { close(outFD) }
    let errFD = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard errFD >= 0 else { throw StdioError.open(errPath, errno) }
    defer { close(errFD) }

    let outcome = try body(inFD, outFD, errFD)
    let out = FileManager.default.contents(atPath: outPath) ?? Data()
    let err = FileManager.default.contents(atPath: errPath) ?? Data()
    return GuestRun(outcome: outcome, stdout: out, stderr: err)
}

enum StdioError: Error, CustomStringConvertible {
    case open(String, Int32)
    var description: String {
        switch self {
        case .open(let path, let code): return "cannot open \(path): \(String(cString: strerror(code)))"
        }
    }
}

// MARK: - Byte diffs

/// A short human-readable account of where two byte strings first differ (for failure messages).
func firstDifference(_ a: Data, _ b: Data) -> String {
    let a = [UInt8](a), b = [UInt8](b)
    var index = 0
    while index < a.count, index < b.count, a[index] == b[index] { index += 1 }
    if index == a.count, index == b.count { return "identical" }
    func excerpt(_ bytes: [UInt8]) -> String {
        let start = max(0, index - 20)
        let end = min(bytes.count, index + 40)
        return String(decoding: bytes[start..<end], as: UTF8.self).debugDescription
    }
    return "lengths \(a.count) vs \(b.count), first difference at byte \(index): \(excerpt(a)) vs \(excerpt(b))"
}
