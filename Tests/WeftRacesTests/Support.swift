import Foundation
import WeftInterpreter
import WeftRaces
import WeftScheduler
import XCTest

enum Programs {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Programs")
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ name: String) -> String { directory.appendingPathComponent("\(name).wasm").path }

    nonisolated(unsafe) static var compiled: [String: CompiledModule] = [:]
    static let lock = NSLock()

    static func module(_ name: String) throws -> CompiledModule {
        lock.lock(); defer { lock.unlock() }
        if let m = compiled[name] { return m }
        let m = try RaceCheck.compile(path(name))
        compiled[name] = m
        return m
    }

    /// One schedule of `name` with the detector.
    static func run(_ name: String, _ kind: ScheduleKind, seed: UInt64, quantum: Int = 10_000) throws -> ScheduleRun {
        var options = RaceCheckOptions(modulePath: path(name))
        options.schedule = kind
        options.quantum = quantum
        return try RaceCheck.runSchedule(try module(name), options: options, seed: seed)
    }
}

/// The built `weft` executable, found next to the test bundle.
enum WeftBinary {
    static func url() throws -> URL {
        var candidates: [URL] = []
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        if let argv0 = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: argv0).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for d in candidates {
            let c = d.appendingPathComponent("weft")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: c.path, isDirectory: &isDirectory), !isDirectory.boolValue { return c }
        }
        throw XCTSkip("the weft executable is not built (swift build --build-tests)")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], in directory: URL) throws -> Result {
        let p = Process()
        p.executableURL = try url()
        p.arguments = arguments
        p.currentDirectoryURL = Programs.packageRoot
        let out = directory.appendingPathComponent("stdout-\(UUID().uuidString)")
        let err = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        p.standardOutput = outHandle
        p.standardError = errHandle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Result(
            status: p.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}

func scratchDirectory() throws -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("weft-races-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}
