import ArgumentParser
import Foundation
import WeftInterpreter
import WeftModule
import WeftScheduler
import WeftWASI
import WeftWAST

@main
struct Weft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "A deterministic record-replay debugger for multithreaded WebAssembly.",
        version: WeftVersion.string,
        subcommands: [Run.self, Wast.self, Races.self]
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
        discussion: "The exit status is the guest's exit code; 134 when it traps, 65 when the module is unusable.")

    @Option(name: .customLong("env"), help: ArgumentHelp("Set an environment variable for the guest.", valueName: "K=V"))
    var environment: [String] = []

    @Option(name: .customLong("dir"), help: ArgumentHelp("Preopen a host directory, optionally under another guest path.", valueName: "HOST[::GUEST]"))
    var directories: [String] = []

    @Option(help: "How threads are interleaved: rr (round robin), random, or pct.")
    var schedule: String = "rr"

    @Option(help: "Seed for the random and pct schedules.")
    var seed: UInt64 = 0

    @Option(help: "Yield points (loop back edges and calls) a thread runs before round robin switches; the upper bound of random slices otherwise.")
    var quantum: Int = 10_000

    @Option(help: "PCT bug depth d (d - 1 priority change points).")
    var pctDepth: Int = 3

    @Option(help: "Most threads alive at once, the main thread included.")
    var maxThreads: Int = 64

    @Option(help: "Stop a runaway program after this many scheduling slices (exit 136).")
    var maxInstructions: Int?

    @Flag(help: "Use the host's clocks and really sleep, instead of virtual time derived from execution.")
    var realTime = false

    @Flag(help: .hidden)
    var profileOps = false

    @Argument(help: "The module (.wasm or .wat).")
    var module: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the guest.")
    var arguments: [String] = []

    func run() throws {
        var env: [String: String] = [:]
        for e in environment {
            guard let eq = e.firstIndex(of: "=") else { throw ValidationError("--env expects K=V, got \(e)") }
            env[String(e[..<eq])] = String(e[e.index(after: eq)...])
        }
        let preopens = directories.map { d -> (host: String, guest: String) in
            if let r = d.range(of: "::") { return (String(d[..<r.lowerBound]), String(d[r.upperBound...])) }
            return (d, d)
        }
        let options = WASIOptions(arguments: [module] + arguments, environment: env, preopens: preopens)
        let program: Program
        do {
            program = try Program(path: module, options: options)
        } catch {
            report("\(module): \(error)")
            throw ExitCode(ExitStatus.badModule)
        }
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
        guard let kind = ScheduleKind(rawValue: schedule) else {
            throw ValidationError("--schedule must be rr, random or pct, not \(schedule)")
        }
        guard quantum > 0, pctDepth > 0, maxThreads > 0 else {
            throw ValidationError("--quantum, --pct-depth and --max-threads must be positive")
        }
        var threadOptions = ThreadOptions()
        threadOptions.schedule.kind = kind
        threadOptions.schedule.seed = seed
        threadOptions.schedule.quantum = quantum
        threadOptions.schedule.pctDepth = pctDepth
        threadOptions.maxThreads = maxThreads
        threadOptions.maxSlices = maxInstructions
        threadOptions.realTime = realTime
        let runner = ThreadedRunner(program: program, options: threadOptions)
        let outcome: ThreadedOutcome
        do {
            outcome = try runner.run()
        } catch {
            report("\(module): \(error)")
            throw ExitCode(ExitStatus.badModule)
        }
        switch outcome {
        case .exited: break
        case .trapped(let thread, let message): report("\(message), thread \(thread)")
        case .deadlock(let summary, let threads):
            report(summary)
            for line in threads { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
        case .limitExceeded(let slices): report("stopped after \(slices) scheduling slices (--max-instructions)")
        }
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

    func run() throws {
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
