import ArgumentParser
import Foundation
import WeftInterpreter
import WeftModule
import WeftWASI
import WeftWAST

@main
struct Weft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "A deterministic record-replay debugger for multithreaded WebAssembly.",
        version: WeftVersion.string,
        subcommands: [Run.self, Wast.self]
    )
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
        let outcome: ProgramOutcome
        do {
            outcome = try program.run()
        } catch {
            report("\(module): \(error)")
            throw ExitCode(ExitStatus.badModule)
        }
        if case .trapped(let message) = outcome { report(message) }
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
