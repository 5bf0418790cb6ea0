import Foundation
import WeftInterpreter
import WeftModule
import WeftScheduler
import WeftWASI
import XCTest

@testable import WeftTrace

/// The repository root, two levels above this file's folder.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func programPath(_ name: String) -> String {
    packageRoot.appendingPathComponent("Tests/Programs/\(name).wasm").path
}

func temporaryPath(_ suffix: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("weft-trace-\(UUID().uuidString)\(suffix)").path
}

struct Recorded {
    var tracePath: String
    var stdout: String
    var outcome: ThreadedOutcome
    var events: Int
}

/// Records `path` under `options` to a temporary trace, with stdout captured.
func record(_ path: String, _ options: ThreadOptions, arguments: [String] = [], embed: Bool = true) throws -> Recorded {
    let out = temporaryPath(".out")
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: out) }
    let handle = try XCTUnwrap(FileHandle(forWritingAtPath: out))
    defer { try? handle.close() }
    var wasi = WASIOptions(arguments: [path] + arguments)
    wasi.stdout = handle.fileDescriptor
    let nullIn = open("/dev/null", O_RDONLY)
    defer { close(nullIn) }
    wasi.stdin = nullIn
    let (module, bytes) = try Module.load(path: path)
    let program = try Program(compiled: try CompiledModule.compile(module), options: wasi)
    let header = TraceHeader(
        weftVersion: "test", moduleDigest: SHA256.hash(bytes), moduleName: (path as NSString).lastPathComponent,
        module: embed ? bytes : nil, arguments: [path] + arguments, environment: [], preopens: [],
        schedule: options.schedule, maxThreads: options.maxThreads, maxSlices: options.maxSlices, realTime: options.realTime)
    let tracePath = temporaryPath(".weft")
    let writer = try TraceWriter(path: tracePath, header: header)
    let runner = ThreadedRunner(program: program, options: options)
    runner.addObserver(TraceRecorder(writer: writer, memory: program.importedMemory))
    let outcome = try runner.run()
    let stdout = String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)), as: UTF8.self)
    return Recorded(tracePath: tracePath, stdout: stdout, outcome: outcome, events: writer.eventCount)
}

struct Replayed {
    var stdout: String
    var outcome: ThreadedOutcome
    var verified: Int
}

/// Replays a trace in process; errors (divergence, early end) are thrown.
func replay(_ tracePath: String, module: [UInt8]? = nil) throws -> Replayed {
    let reader = try TraceReader(path: tracePath)
    let bytes = try XCTUnwrap(module ?? reader.header.module)
    let setup = try ReplaySetup(reader: reader, module: bytes)
    let (runner, replayer) = (setup.runner, setup.replayer)
    var stdout: [UInt8] = []
    runner.replayOutput = { fd, b in if fd == 1 { stdout += b } }
    let outcome = try runner.run()
    return Replayed(stdout: String(decoding: stdout, as: UTF8.self), outcome: outcome, verified: replayer.verified)
}

func threadOptions(_ kind: ScheduleKind, seed: UInt64, quantum: Int = 200) -> ThreadOptions {
    var o = ThreadOptions()
    o.schedule.kind = kind
    o.schedule.seed = seed
    o.schedule.quantum = quantum
    return o
}
