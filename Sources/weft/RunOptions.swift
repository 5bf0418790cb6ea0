import ArgumentParser
import Foundation
import WeftInterpreter
import WeftModule
import WeftSource
import WeftScheduler
import WeftWASI

/// The options of a run, one set shared by `run`, `record`, `races` and `debug`, so that every
/// command that starts a program accepts the same ones. The schedule's default is the command's
/// (`rr`, or `random` for `races`).
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("env"), help: ArgumentHelp("Set an environment variable for the guest.", valueName: "K=V"))
    var environment: [String] = []

    @Option(name: .customLong("dir"), help: ArgumentHelp("Preopen a host directory, optionally under another guest path.", valueName: "HOST[::GUEST]"))
    var directories: [String] = []

    @Option(help: "How threads are interleaved: rr (round robin), random, or pct (default rr; weft races: random, and not rr).")
    var schedule: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed for the random and pct schedules (weft races: the first seed).", valueName: "S"))
    var seed: String = "0"

    @Option(help: "Yield points (loop back edges and calls) a thread runs before round robin switches; the upper bound of random slices otherwise.")
    var quantum: Int = 10_000

    @Option(help: "PCT bug depth d (d - 1 priority change points).")
    var pctDepth: Int = 3

    @Option(help: "Most threads alive at once, the main thread included.")
    var maxThreads: Int = 64

    @Option(help: "Stop a runaway program after this many scheduling slices (exit 136; weft races: a finding).")
    var maxInstructions: Int?

    @Flag(help: "Use the host's clocks and really sleep, instead of virtual time derived from execution.")
    var realTime = false

    /// The scheduler options; `defaultSchedule` is the command's schedule when none is given.
    func threadOptions(defaultSchedule: ScheduleKind = .rr) throws -> ThreadOptions {
        var kind = defaultSchedule
        if let schedule {
            guard let k = ScheduleKind(rawValue: schedule) else {
                throw ValidationError("--schedule must be rr, random or pct, not \(schedule)")
            }
            kind = k
        }
        guard let seedValue = UInt64(seed) else {
            throw ValidationError("--seed expects an unsigned integer (0 to \(UInt64.max)), got \(seed)")
        }
        for (name, value) in [("--quantum", quantum), ("--pct-depth", pctDepth), ("--max-threads", maxThreads)] where value <= 0 {
            throw ValidationError("\(name) must be positive, got \(value)")
        }
        if let m = maxInstructions, m <= 0 { throw ValidationError("--max-instructions must be positive, got \(m)") }
        for (host, _) in preopens {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: host, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--dir \(host): no such directory")
            }
        }
        var o = ThreadOptions()
        o.schedule.kind = kind
        o.schedule.seed = seedValue
        o.schedule.quantum = quantum
        o.schedule.pctDepth = pctDepth
        o.maxThreads = maxThreads
        o.maxSlices = maxInstructions
        o.realTime = realTime
        return o
    }

    func parsedEnvironment() throws -> [(key: String, value: String)] {
        try parseEnvironment(environment)
    }

    var preopens: [(host: String, guest: String)] {
        directories.map { d in
            if let r = d.range(of: "::") { return (String(d[..<r.lowerBound]), String(d[r.upperBound...])) }
            return (d, d)
        }
    }

    /// Loads and prepares `module` with these options; an unusable module exits 65 with one line.
    func loadProgram(_ module: String, arguments: [String]) throws -> (Program, [UInt8]) {
        var env: [String: String] = [:]
        for (k, v) in try parsedEnvironment() { env[k] = v }
        let options = WASIOptions(arguments: [module] + arguments, environment: env, preopens: preopens)
        guard FileManager.default.fileExists(atPath: module) else {
            report("\(module): no such file")
            throw ExitCode(ExitStatus.badModule)
        }
        do {
            let (decoded, bytes) = try Module.load(path: module)
            return (try Program(compiled: try CompiledModule.compile(decoded), options: options), bytes)
        } catch {
            report("\(module): \(error)")
            throw ExitCode(ExitStatus.badModule)
        }
    }
}

/// The guest's arguments as parsed after the module: a `--` right after the module ends Weft's
/// options and is not passed on (a later `--` is the guest's own).
func guestArguments(_ parsed: [String]) -> [String] {
    parsed.first == "--" ? Array(parsed.dropFirst()) : parsed
}

/// Prints how a run ended (nothing for a normal exit).
func reportOutcome(_ outcome: ThreadedOutcome) {
    switch outcome {
    case .exited: break
    case .trapped(let thread, let message): report("\(message), thread \(thread)")
    case .deadlock(let summary, let threads):
        report(summary)
        for line in threads { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
    case .limitExceeded(let slices): report("stopped after \(slices) scheduling slices (--max-instructions)")
    }
}

/// One line if the module's debug information was read and parts of it were unreadable.
func reportSourceWarnings(_ program: Program) {
    if let info = program.sourceInfo, info.isLoaded, let first = info.warnings.first {
        let more = info.warnings.count > 1 ? " (and \(info.warnings.count - 1) more)" : ""
        report("warning: debug information partly unreadable: \(first)\(more)")
    }
}

/// `--env K=V` values as pairs, in order; a value without `=` is a usage error.
func parseEnvironment(_ values: [String]) throws -> [(key: String, value: String)] {
    try values.map { e in
        guard let eq = e.firstIndex(of: "=") else { throw ValidationError("--env expects K=V, got \(e)") }
        return (String(e[..<eq]), String(e[e.index(after: eq)...]))
    }
}
