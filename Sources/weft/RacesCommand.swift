import ArgumentParser
import Foundation
import WeftModule
import WeftInterpreter
import WeftRaces
import WeftScheduler
import WeftWASI

/// `weft races`: data-race detection over many schedules, for CI.
struct Races: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look for data races, deadlocks, traps and nondeterministic output over many schedules.",
        discussion: """
            Runs the program under N schedules (seeds S, S+1, ...) with a happens-before race detector \
            attached and prints every distinct finding with the seed that shows it. Exit status: 0 nothing \
            found, 1 findings, 2 or more a usage or tool error (docs/exit-codes.md). \
            `weft races --merge a.json b.json` combines the JSON results of shards.
            """)

    @Option(help: "How many schedules to run (seeds S, S+1, ...).")
    var schedules: Int = 10

    @Option(help: ArgumentHelp("Run only shard i of n of the seed range (1-based).", valueName: "i/n"))
    var shard: String?

    @Option(help: "Schedules to run at once (host threads).")
    var jobs: Int = 1

    @Option(help: ArgumentHelp("Write the findings as JSON here.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write the findings as SARIF 2.1.0 here.", valueName: "FILE"))
    var sarif: String?

    @Option(help: ArgumentHelp("Record every schedule and keep the traces of those with findings here, as seed-N.weft ('weft replay' re-runs one exactly).", valueName: "DIR"))
    var saveTraces: String?

    @Flag(help: "Print shadow-memory figures to stderr after the run.")
    var stats = false

    @Flag(help: "Combine JSON results (the arguments) instead of running a program.")
    var merge = false

    @OptionGroup var options: RunOptions

    @Argument(help: "The module (.wasm or .wat), or with --merge the JSON files.")
    var module: String?

    @Argument(parsing: .allUnrecognized, help: "Arguments passed to the guest (after `--` when they look like options).")
    var arguments: [String] = []

    /// Exit statuses besides 0 (nothing found) and 1 (findings); docs/exit-codes.md.
    static let usageStatus: Int32 = ExitStatus.usage
    static let badModuleStatus: Int32 = ExitStatus.badModule
    static let toolErrorStatus: Int32 = 2

    func fail(_ message: String, _ status: Int32 = usageStatus) -> ExitCode {
        report(message)
        return ExitCode(status)
    }

    func run() throws {
        let result: RaceCheckResult
        if merge {
            guard let module else { throw fail("--merge needs the JSON files to combine") }
            var parts: [RaceCheckResult] = []
            for file in [module] + arguments {
                guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot read \(file)", Self.toolErrorStatus) }
                do { parts.append(try RaceCheckResult.fromJSON(data, source: file)) } catch { throw fail("\(error)", Self.toolErrorStatus) }
            }
            do { result = try RaceCheckResult.merge(parts) } catch { throw fail("\(error)", Self.toolErrorStatus) }
        } else {
            guard let module else { throw fail("missing the module to check (or --merge and JSON files)") }
            result = try check(module)
        }
        do {
            if let json { try result.json().write(to: URL(fileURLWithPath: json)) }
            if let sarif { try result.sarif().write(to: URL(fileURLWithPath: sarif)) }
        } catch {
            throw fail("cannot write results: \(error.localizedDescription)", Self.toolErrorStatus)
        }
        print(result.text)
        if stats, !merge {
            report("peak shadow memory \(result.peakShadowBytes) bytes; guest memory touched \(result.peakTouchedGuestBytes) bytes "
                + "(4 KiB pages), \(result.peakTouchedLineBytes) bytes (64-byte lines) of \(result.peakGuestMemoryBytes)")
        }
        throw ExitCode(result.hasFindings ? 1 : 0)
    }

    func check(_ module: String) throws -> RaceCheckResult {
        let threadOptions: ThreadOptions
        let environment: [(key: String, value: String)]
        do {
            threadOptions = try options.threadOptions(defaultSchedule: .random)
            environment = try options.parsedEnvironment()
        } catch let e as ValidationError {
            throw fail(e.message)
        }
        guard threadOptions.schedule.kind != .rr else {
            throw fail("--schedule must be random or pct, not rr (one round-robin schedule is what weft run does)")
        }
        for (name, value) in [("--schedules", schedules), ("--jobs", jobs)] where value <= 0 {
            throw fail("\(name) must be positive, got \(value)")
        }
        var raceOptions = RaceCheckOptions(modulePath: module)
        raceOptions.arguments = guestArguments(arguments)
        for (k, v) in environment { raceOptions.environment[k] = v }
        raceOptions.preopens = options.preopens
        if let shard {
            let parts = shard.split(separator: "/")
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n > 0, i >= 1, i <= n else {
                throw fail("--shard expects i/n with 1 <= i <= n, got \(shard)")
            }
            raceOptions.shard = (i, n)
        }
        raceOptions.schedule = threadOptions.schedule.kind
        raceOptions.firstSeed = threadOptions.schedule.seed
        raceOptions.schedules = schedules
        raceOptions.quantum = threadOptions.schedule.quantum
        raceOptions.pctDepth = threadOptions.schedule.pctDepth
        raceOptions.maxThreads = threadOptions.maxThreads
        raceOptions.maxSlices = threadOptions.maxSlices
        raceOptions.realTime = threadOptions.realTime
        raceOptions.jobs = jobs
        guard FileManager.default.fileExists(atPath: module) else { throw fail("\(module): no such file", Self.badModuleStatus) }
        let compiled: CompiledModule
        do { compiled = try RaceCheck.compile(module) } catch { throw fail("\(error)", Self.badModuleStatus) }
        if let saveTraces {
            do {
                try FileManager.default.createDirectory(atPath: saveTraces, withIntermediateDirectories: true)
                raceOptions.moduleBytes = try Module.load(path: module).bytes
            } catch {
                throw fail("--save-traces \(saveTraces): \(error)")
            }
            raceOptions.saveTracesDirectory = saveTraces
            RaceCheck.weftVersionString = WeftVersion.string
        }
        let terminal = isatty(2) != 0
        do {
            let result = try RaceCheck.run(raceOptions, compiled: compiled) { done, total, findings in
                guard terminal else { return }
                FileHandle.standardError.write(Data("\rweft races: \(done)/\(total) schedules, \(findings) finding\(findings == 1 ? "" : "s")".utf8))
                if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
            }
            return result
        } catch {
            throw fail("\(error)", Self.toolErrorStatus)
        }
    }
}
