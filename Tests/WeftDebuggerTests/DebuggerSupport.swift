import Foundation
import WeftDebugger
import WeftInterpreter
import WeftModule
import WeftScheduler
import WeftTrace
import WeftWASI
import XCTest

/// The repository root, two levels above this file's folder.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func programPath(_ name: String) -> String {
    packageRoot.appendingPathComponent("Tests/Programs/\(name).wasm").path
}

func tracePath(_ name: String) -> String {
    packageRoot.appendingPathComponent("traces/\(name)").path
}

/// A session whose output (and the guest's, for a trace) is collected.
final class Transcript {
    let session: DebugSession
    var text = ""

    init(_ session: DebugSession) {
        self.session = session
        session.sourceDirectories = [packageRoot.appendingPathComponent("traces").path, packageRoot.appendingPathComponent("Tests/Programs").path]
        session.write = { [unowned self] in self.text += $0 }
        session.replayedOutput = { [unowned self] _, bytes in self.text += String(decoding: bytes, as: UTF8.self) }
    }

    /// Runs `commands`; returns what they printed.
    @discardableResult
    func run(_ commands: String...) -> String {
        let start = text.endIndex
        for c in commands { _ = session.execute(c) }
        return String(text[start...])
    }
}

/// A live session on `path` (guest output discarded).
func liveSession(_ path: String, kind: ScheduleKind = .random, seed: UInt64 = 2) throws -> Transcript {
    // argv[0] is a path relative to the repository, as in the committed traces: the guest's
    // start-up copies it, so an absolute path would make instruction counts depend on where the
    // clone lives.
    let name = URL(fileURLWithPath: path).lastPathComponent
    var wasi = WASIOptions(arguments: [path.contains("/traces/") ? "traces/" + name : name])
    let null = open("/dev/null", O_RDWR)
    wasi.stdout = null
    wasi.stdin = null
    let (module, _) = try Module.load(path: path)
    let program = try Program(compiled: try CompiledModule.compile(module), options: wasi)
    var options = ThreadOptions()
    options.schedule.kind = kind
    options.schedule.seed = seed
    return Transcript(try DebugSession(program: program, options: options))
}

/// A session on the trace at `path`.
func traceSession(_ path: String) throws -> Transcript {
    let reader = try TraceReader(path: path)
    return Transcript(try DebugSession(trace: reader, module: try XCTUnwrap(reader.header.module)))
}

/// The text after "Current position: " that `when` prints.
func position(_ t: Transcript) -> String {
    let out = t.run("when")
    return out.split(separator: "\n").first.map(String.init) ?? out
}
