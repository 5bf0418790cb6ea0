import ArgumentParser
import Foundation
import WeftInterpreter
import WeftModule
import WeftScheduler
import WeftSource
import WeftWASI
import WeftWAST

@main
struct Weft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "A deterministic record-replay debugger for multithreaded WebAssembly.",
        version: WeftVersion.string,
        subcommands: [Run.self, Record.self, Replay.self, Dump.self, Debug.self, Races.self, Wast.self]
    )

    /// Like ArgumentParser's `main()`, but a usage error is one line on stderr.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if let exit = error as? ExitCode {
                Foundation.exit(exit.rawValue)
            }
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            report("\(message(for: error)) (see 'weft --help')")
            Foundation.exit(code.rawValue)
        }
    }
}

enum WeftVersion {
    static let string = "0.1.0"
}

/// Prints one line to stderr, prefixed with `weft:`.
func report(_ message: String) {
    FileHandle.standardError.write(Data("weft: \(message)\n".utf8))
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a WASI program (its _start export).",
        discussion: "The exit status is the guest's exit code; 134 when it traps, 65 when the module is unusable (see docs/exit-codes.md).")

    @OptionGroup var options: RunOptions

    @Flag(help: .hidden)
    var profileOps = false

    @Argument(help: "The module (.wasm or .wat).")
    var module: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the guest (after `--` to end Weft's options).")
    var arguments: [String] = []

    func run() throws {
        let threadOptions = try options.threadOptions()
        let (program, _) = try options.loadProgram(module, arguments: guestArguments(arguments))
        var profiled: ExecutionThread?
        if profileOps {
            program.prepareThread = { thread in
                thread.startOpcodeProfile()
                profiled = thread
            }
        }
        defer {
            if let thread = profiled {
                let profile = thread.opcodeProfile()
                let total = profile.reduce(0) { $0 + $1.count }
                report("executed \(total) internal instructions")
                for (name, count) in profile.prefix(40) {
                    report(String(format: "%-16@ %12d %5.1f%%", name as NSString, count, 100 * Double(count) / Double(max(total, 1))))
                }
            }
        }
        let runner = ThreadedRunner(program: program, options: threadOptions)
        let outcome: ThreadedOutcome
        do {
            outcome = try runner.run()
        } catch {
            report("\(module): \(error)")
            throw ExitCode(ExitStatus.badModule)
        }
        reportOutcome(outcome)
        reportSourceWarnings(program)
        throw ExitCode(outcome.exitStatus)
    }
}

struct Wast: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run WebAssembly spec test scripts (.wast).",
        discussion: "Prints one line per file and a total; exits 1 if any command failed.")

    @Flag(help: "Print every failure, not only the first few per file.")
    var verbose = false

    @Flag(help: "Reject modules with more than one table or memory, as proposals older than reference types (threads) expect.")
    var mvpLimits = false

    @Argument(help: "The scripts.")
    var files: [String]

    /// A script cannot be read (as a trace that cannot be read: EX_NOINPUT).
    static let unreadableStatus: Int32 = 66

    func run() throws {
        for file in files where !FileManager.default.isReadableFile(atPath: file) {
            report(FileManager.default.fileExists(atPath: file) ? "\(file): cannot read" : "\(file): no such file")
            throw ExitCode(Self.unreadableStatus)
        }
        var total = WastSummary()
        for file in files {
            let result = WastRunner.run(path: file, options: mvpLimits ? .mvpLimits : ValidationOptions())
            print(result.line(maxFailures: verbose ? Int.max : 5))
            total.add(result.summary)
        }
        print("wast: \(total.passed) passed, \(total.failed) failed, \(total.skipped) skipped")
        if total.failed > 0 { throw ExitCode(1) }
    }
}
