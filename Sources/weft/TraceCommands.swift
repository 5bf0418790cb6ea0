import ArgumentParser
import Foundation
import WeftInterpreter
import WeftModule
import WeftRaces
import WeftScheduler
import WeftTrace
import WeftWASI

/// Exit statuses of the trace commands (docs/exit-codes.md).
enum TraceExitStatus {
    /// The trace cannot be read: wrong magic, newer format, damaged chunk, bad header.
    static let badTrace: Int32 = 66
    /// The trace file cannot be written.
    static let cannotWrite: Int32 = 73
    /// The trace stops before the recorded run's end (a killed or cut recording).
    static let endsEarly: Int32 = 75
    /// The replay did something the trace did not record.
    static let diverged: Int32 = 76
}

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a WASI program like 'run' and record a trace of it.",
        discussion: "Output and exit status are the same as 'weft run'. The trace holds the schedule, every atomic, wait, notify, spawn and exit, every WASI result, and (unless --no-embed-module) the module itself; 'weft replay' re-executes it exactly.")

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write the trace.", valueName: "FILE"))
    var output: String

    @Flag(name: .customLong("no-embed-module"), help: "Do not put the module's bytes in the trace (replay then needs --module).")
    var noEmbedModule = false

    @OptionGroup var options: RunOptions

    @Argument(help: "The module (.wasm or .wat).")
    var module: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the guest (after `--` to end Weft's options).")
    var arguments: [String] = []

    func run() throws {
        let arguments = guestArguments(self.arguments)
        let threadOptions = try options.threadOptions()
        let (program, bytes) = try options.loadProgram(module, arguments: arguments)
        let header = try options.traceHeader(module: module, bytes: bytes, arguments: arguments, embed: !noEmbedModule, threadOptions: threadOptions)
        let writer: TraceWriter
        do {
            writer = try TraceWriter(path: output, header: header)
        } catch {
            report("\(error)")
            throw ExitCode(TraceExitStatus.cannotWrite)
        }
        let runner = ThreadedRunner(program: program, options: threadOptions)
        runner.addObserver(TraceRecorder(writer: writer, memory: program.importedMemory))
        let outcome: ThreadedOutcome
        do {
            outcome = try runner.run()
        } catch let e as TraceFormatError {
            report("\(output): \(e)")
            throw ExitCode(TraceExitStatus.cannotWrite)
        } catch {
            try? writer.flush()
            report("\(module): \(error)")
            throw ExitCode(ExitStatus.badModule)
        }
        reportOutcome(outcome)
        if isatty(2) != 0 {
            report("recorded \(writer.eventCount) events (\(writer.byteCount) bytes) to \(output)")
        }
        throw ExitCode(outcome.exitStatus)
    }
}

extension RunOptions {
    /// The header of a trace of `module` (its `bytes`) run with these options and `arguments`.
    func traceHeader(module: String, bytes: [UInt8], arguments: [String], embed: Bool, threadOptions: ThreadOptions) throws -> TraceHeader {
        TraceHeader(
            weftVersion: WeftVersion.string, moduleDigest: SHA256.hash(bytes),
            moduleName: URL(fileURLWithPath: module).lastPathComponent, module: embed ? bytes : nil,
            arguments: [module] + arguments, environment: try parsedEnvironment(),
            preopens: preopens.map(\.guest), schedule: threadOptions.schedule,
            maxThreads: threadOptions.maxThreads, maxSlices: threadOptions.maxSlices, realTime: threadOptions.realTime)
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-execute a recorded trace exactly, checking every event.",
        discussion: "Re-emits the guest's output and exits with the recorded exit status. Exits 76 at the first difference from the trace, 75 when the trace ends early, 66 when it cannot be read.")

    @Argument(help: "The trace (.weft).")
    var trace: String

    @Option(help: ArgumentHelp("Use this module instead of the one embedded in the trace.", valueName: "FILE"))
    var module: String?

    @Flag(help: "Accept a --module whose digest differs from the recorded one.")
    var force = false

    @Flag(help: "Do not re-emit the guest's stdout and stderr.")
    var quiet = false

    @Flag(help: "Report the data races of this exact run (on stderr, after the run).")
    var races = false

    func run() throws {
        let reader = try openTrace(trace)
        let header = reader.header
        let bytes = try traceModule(reader, tracePath: trace, module: module, force: force)
        let setup: ReplaySetup
        do {
            setup = try ReplaySetup(reader: reader, module: bytes)
        } catch {
            report("\(header.moduleName): \(error)")
            throw ExitCode(ExitStatus.badModule)
        }
        let (runner, replayer) = (setup.runner, setup.replayer)
        let detector = races ? RaceDetector() : nil
        if let detector { runner.addObserver(detector) }
        if quiet { runner.replayOutput = nil }
        let outcome: ThreadedOutcome
        do {
            outcome = try runner.run()
        } catch let e as ReplayDivergence {
            report("\(e)")
            throw ExitCode(TraceExitStatus.diverged)
        } catch let e as ScheduleError {
            report("replay diverged at event \(replayer.verified): \(e)")
            throw ExitCode(TraceExitStatus.diverged)
        } catch let e as TraceEndsEarly {
            report("\(trace): \(e)")
            throw ExitCode(TraceExitStatus.endsEarly)
        } catch let e as TraceFormatError {
            report("\(trace): \(e)")
            throw ExitCode(TraceExitStatus.badTrace)
        } catch {
            report("\(trace): replay stopped at event \(replayer.verified): \(error)")
            throw ExitCode(TraceExitStatus.diverged)
        }
        reportOutcome(outcome)
        if let detector {
            for race in detector.races { FileHandle.standardError.write(Data((race.report + "\n").utf8)) }
            let n = detector.races.count
            report(n == 0 ? "no data races in this run" : "\(n) data race\(n == 1 ? "" : "s") in this run")
        }
        throw ExitCode(outcome.exitStatus)
    }
}

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a trace: its header, then one event per line.",
        discussion: "--json prints JSON Lines: the header object, then one object per event (schema in docs/trace-format.md).")

    @Argument(help: "The trace (.weft).")
    var trace: String

    @Flag(help: "Print JSON Lines.")
    var json = false

    func run() throws {
        let reader = try openTrace(trace)
        var out = OutputBuffer()
        if json {
            out.line(WeftTrace.json(reader.header, formatVersion: reader.formatVersion))
        } else {
            for l in describe(reader.header, formatVersion: reader.formatVersion) { out.line(l) }
        }
        do {
            while let (event, end) = try reader.next() {
                let index = reader.eventIndex - 1
                out.line(json ? WeftTrace.json(event, index: index, end: end) : "#\(index) \(describe(event))")
            }
        } catch let e as TraceFormatError {
            out.flush()
            report("\(trace): \(e)")
            throw ExitCode(TraceExitStatus.badTrace)
        }
        out.flush()
        if reader.endsEarly {
            report("\(trace): trace ends early at event \(reader.eventIndex): the recording stopped before the run ended")
            throw ExitCode(TraceExitStatus.endsEarly)
        }
    }
}

/// Opens a trace, or exits 66 with one line.
/// The module to run a trace with: `module` (refused, exit 64, when its digest is not the
/// recorded one, unless `force`), else the one the trace embeds; one line and exit 64/65 otherwise.
func traceModule(_ reader: TraceReader, tracePath: String, module: String?, force: Bool) throws -> [UInt8] {
    let header = reader.header
    guard let module else {
        if let embedded = header.module { return embedded }
        report("\(tracePath) does not embed its module (\(header.moduleName)); pass it with --module")
        throw ExitCode(ExitStatus.usage)
    }
    let bytes: [UInt8]
    do {
        bytes = try Module.load(path: module).bytes
    } catch {
        report("\(module): \(error)")
        throw ExitCode(ExitStatus.badModule)
    }
    if SHA256.hash(bytes) != header.moduleDigest, !force {
        report("\(module) is not the module this trace recorded (\(header.moduleName)); --force uses it anyway")
        throw ExitCode(ExitStatus.usage)
    }
    return bytes
}

func openTrace(_ path: String) throws -> TraceReader {
    guard FileManager.default.fileExists(atPath: path) else {
        report("\(path): no such file")
        throw ExitCode(TraceExitStatus.badTrace)
    }
    do {
        return try TraceReader(path: path)
    } catch {
        report("\(path): \(error)")
        throw ExitCode(TraceExitStatus.badTrace)
    }
}

/// Collects stdout lines and writes them in large blocks.
struct OutputBuffer {
    var text = ""

    mutating func line(_ s: String) {
        text += s
        text += "\n"
        if text.utf8.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(text.utf8))
        text = ""
    }
}
