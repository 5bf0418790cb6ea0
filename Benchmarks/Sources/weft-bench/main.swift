// weft-bench: runs WASI command modules with Weft and with WasmKit's engine in the same process,
// alternating between the two, and prints each engine's median wall time and the ratio.
//
//     swift build -c release --product weft-bench --scratch-path .build-bench
//     .build-bench/release/weft-bench [--rounds N] [--warmup N] [--markdown] [module.wasm ...]
//     .build-bench/release/weft-bench --threads [--oracle PATH] [--rounds N] ... [module.wasm ...]
//
// `--threads` benchmarks multithreaded modules instead (ThreadsMode.swift): Weft's scheduler vs
// WasmKit's wasi-threads in a child process, scheduling points per second, and record/replay cost.
//
// Without module arguments it runs every `Benchmarks/programs/*.wasm`. Guest stdio goes to
// /dev/null while timing; before timing, each module is run once per engine with its output
// captured, and the two engines' stdout, stderr and exit code are compared. The exit status is 1
// when an engine could not run a module or the engines disagreed, 0 otherwise.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Build configuration

/// Whether this is a debug build, whose timings say nothing about either engine. (A function
/// rather than a constant, so that the compiler does not flag the branches it makes dead.)
func isDebugBuild() -> Bool {
    #if DEBUG
    return true
    #else
    return false
    #endif
}

let debugBuildWarning = """
    !!! WARNING: weft-bench was built in DEBUG configuration. Both engines run unoptimized,  !!!
    !!! so these numbers are meaningless. Rebuild with `swift build -c release ...`.         !!!
    """

// MARK: - Command line

struct Options {
    var rounds = 5
    var warmup = 1
    var markdown = false
    var threads = false
    var debugger = false
    var oracle: String?
    var modules: [String] = []
}

let usage = """
    usage: weft-bench [--threads [--oracle PATH] | --debugger] [--rounds N] [--warmup N] [--markdown] [module.wasm ...]

      --rounds N   timed rounds per module and engine (default 5)
      --warmup N   untimed rounds per module and engine before timing (default 1)
      --markdown   print the results as a Markdown table
      --threads    multithreaded modules: Weft's scheduler vs WasmKit's wasi-threads (child
                   process), scheduling points per second, record and replay cost (default
                   modules: Benchmarks/programs/threads/*.wasm and three Tests/Programs/threads_*)
      --oracle P   the wasmkit-threads-oracle executable (default: next to weft-bench)
      --debugger   debugging cost: a debug session vs a plain run, and reverse commands timed
                   from the end of the run (default modules: Benchmarks/programs/threads/*.wasm)
      module.wasm  WASI command modules to run (default: every Benchmarks/programs/*.wasm)
    """

/// Prints `message` and the usage to stderr, and exits with status 64 (usage error).
func usageError(_ message: String) -> Never {
    printError("weft-bench: \(message)\n\n\(usage)\n")
    exit(64)
}

func parseOptions(_ arguments: ArraySlice<String>) -> Options {
    var options = Options()
    var remaining = arguments[...]
    /// The value of a `--name N` or `--name=N` option, as a count no smaller than `minimum`.
    func countValue(_ name: String, inline: String?, minimum: Int) -> Int {
        guard let text = inline ?? remaining.popFirst() else { usageError("\(name) needs a value") }
        guard let value = Int(text), value >= minimum else {
            usageError("\(name) needs an integer of at least \(minimum), not '\(text)'")
        }
        return value
    }
    while let argument = remaining.popFirst() {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        let name = parts.first ?? argument
        let inline = argument.hasPrefix("--") && parts.count == 2 ? parts[1] : nil
        switch name {
        case "--rounds": options.rounds = countValue(name, inline: inline, minimum: 1)
        case "--warmup": options.warmup = countValue(name, inline: inline, minimum: 0)
        case "--markdown" where inline == nil: options.markdown = true
        case "--threads" where inline == nil: options.threads = true
        case "--debugger" where inline == nil: options.debugger = true
        case "--oracle":
            guard let path = inline ?? remaining.popFirst() else { usageError("--oracle needs a path") }
            options.oracle = path
        case "-h", "--help":
            print(usage)
            exit(0)
        case "--":
            options.modules += remaining
            remaining = []
        default:
            if argument.hasPrefix("-") { usageError("unknown option '\(argument)'") }
            options.modules.append(argument)
        }
    }
    return options
}

// MARK: - Finding the default modules

/// The last component of `path`.
func fileName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

/// The `.wasm` files directly in `directory`, sorted by name; nil when it cannot be read.
func wasmFiles(in directory: String) -> [String]? {
    guard let stream = opendir(directory) else { return nil }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafePointer(to: &entry.pointee.d_name) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
        if name.hasSuffix(".wasm") { names.append(name) }
    }
    return names.sorted().map { "\(directory)/\($0)" }
}

/// Every `Benchmarks/programs/*.wasm`, looked for from the current directory (the package root,
/// or `Benchmarks/` itself) and then next to this source file.
func defaultModules() -> [String] {
    // This file is `<root>/Benchmarks/Sources/weft-bench/main.swift`.
    let benchmarksFromSource = "/" + String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
    let candidates = ["Benchmarks/programs", "programs", "\(benchmarksFromSource)/programs"]
    for directory in candidates {
        if let files = wasmFiles(in: directory), !files.isEmpty { return files }
    }
    printError("weft-bench: no modules given, and no .wasm files in any of: \(candidates.joined(separator: ", "))\n")
    exit(66)
}

// MARK: - Running

/// What was measured for one module: per-engine samples, in the order of `engines`.
struct ModuleResult {
    var module: String
    /// nil when the module could not be benchmarked (an engine failed to run it).
    var samples: [[RunSample]]?
}

/// Problems found along the way, printed under the table.
var warnings: [String] = []
/// Whether a module could not be benchmarked or the engines disagreed about it (exit status 1).
var failed = false

/// Records a warning; `failure` makes weft-bench exit with status 1.
@MainActor
func warn(_ message: String, failure: Bool = true) {
    warnings.append(message)
    if failure { failed = true }
}

/// Runs `module` once on each engine with stdout and stderr captured, outside any timing, and
/// records a warning for every way the two engines' results differ. Returns each engine's
/// outcome, or nil when an engine could not run the module at all.
@MainActor
func checkAgreement(
    of module: String, arguments: [String], engines: [any BenchmarkedEngine], devNull: Int32
) throws -> [GuestOutcome]? {
    struct Observed {
        var outcome: GuestOutcome
        var stdout: [UInt8]
        var stderr: [UInt8]
    }
    var observed: [Observed] = []
    for engine in engines {
        let guestOut = try CaptureFile()
        let guestErr = try CaptureFile()
        let stdio = GuestStdio(stdin: devNull, stdout: guestOut.fd, stderr: guestErr.fd)
        do {
            let sample = try engine.runOnce(path: module, arguments: arguments, stdio: stdio)
            observed.append(
                Observed(outcome: sample.outcome, stdout: try guestOut.contents(), stderr: try guestErr.contents()))
        } catch {
            warn("\(fileName(module)): \(engine.name) cannot run it: \(error)")
            return nil
        }
    }

    let (first, second) = (observed[0], observed[1])
    let (firstName, secondName) = (engines[0].name, engines[1].name)
    let name = fileName(module)
    if !first.outcome.sameEnding(as: second.outcome) {
        warn("\(name): guest ended differently: \(firstName) \(first.outcome), \(secondName) \(second.outcome)")
    }
    for (stream, a, b) in [("stdout", first.stdout, second.stdout), ("stderr", first.stderr, second.stderr)] where a != b {
        let at = a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count
        warn(
            "\(name): guest \(stream) differs: \(firstName) wrote \(a.count) bytes, \(secondName) \(b.count) bytes, "
                + "first difference at byte \(at)")
    }
    if first.outcome.sameEnding(as: second.outcome), first.outcome != .exited(0) {
        // The engines agree, so the timings are comparable, but a benchmark is not meant to fail.
        warn("\(name): under both engines the guest ended with \(first.outcome), not exit code 0", failure: false)
    }
    return observed.map(\.outcome)
}

/// Checks, warms up and times one module on every engine.
@MainActor
func benchmark(
    _ module: String, engines: [any BenchmarkedEngine], options: Options, devNull: Int32
) throws -> ModuleResult {
    let name = fileName(module)
    // The guest's argv: just its name, the same for both engines.
    let arguments = [name]
    printError("\(name): checking outputs…")
    guard let expected = try checkAgreement(of: module, arguments: arguments, engines: engines, devNull: devNull) else {
        printError(" failed\n")
        return ModuleResult(module: module, samples: nil)
    }

    let quiet = GuestStdio(stdin: devNull, stdout: devNull, stderr: devNull)
    for round in 0..<options.warmup {
        printError(" warm-up \(round + 1)/\(options.warmup)…")
        for engine in engines {
            _ = try engine.runOnce(path: module, arguments: arguments, stdio: quiet)
        }
    }

    var samples = Array(repeating: [RunSample](), count: engines.count)
    var unstable = Set<String>()
    for round in 0..<options.rounds {
        printError(" round \(round + 1)/\(options.rounds)…")
        // Alternate which engine goes first, so that neither always runs on a machine just
        // warmed (or heated) by the other.
        let order = round % 2 == 0 ? Array(engines.indices) : engines.indices.reversed()
        for index in order {
            let cpuBefore = processCPUTime()
            var sample = try engines[index].runOnce(path: module, arguments: arguments, stdio: quiet)
            sample.cpu = processCPUTime() - cpuBefore
            if !sample.outcome.sameEnding(as: expected[index]) { unstable.insert(engines[index].name) }
            samples[index].append(sample)
        }
    }
    printError(" done\n")
    for engine in unstable.sorted() {
        warn("\(name): under \(engine) the guest did not end the same way in every round")
    }
    return ModuleResult(module: module, samples: samples)
}

// MARK: - Report

/// The table's rows: per module, the medians of total, run and load time, and the ratios.
func tableRows(_ results: [ModuleResult]) -> [[String]] {
    results.map { result in
        let name = fileName(result.module)
        guard let samples = result.samples else {
            return [name] + Array(repeating: "error", count: 9)
        }
        let (weft, wasmKit) = (samples[0], samples[1])
        let total = (median(weft.map(\.total)), median(wasmKit.map(\.total)))
        let run = (median(weft.map(\.run)), median(wasmKit.map(\.run)))
        let load = (median(weft.map(\.load)), median(wasmKit.map(\.load)))
        let cpu = (median(weft.map(\.cpu)), median(wasmKit.map(\.cpu)))
        func s(_ seconds: Double) -> String { fixed(seconds, decimals: 3) }
        return [
            name,
            s(total.0), s(total.1), fixed(total.0 / total.1, decimals: 2),
            s(run.0), s(run.1), fixed(run.0 / run.1, decimals: 2),
            s(load.0), s(load.1), fixed(cpu.0 / cpu.1, decimals: 2),
        ]
    }
}

/// "1 round", "2 rounds".
func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

// MARK: - Main

let options = parseOptions(CommandLine.arguments.dropFirst())

if isDebugBuild() { printError(debugBuildWarning + "\n") }

let devNull: Int32
do {
    devNull = try openDevNull()
} catch {
    printError("weft-bench: \(error)\n")
    exit(1)
}
if options.threads { exit(runThreadsMode(options, devNull: devNull)) }
if options.debugger { exit(runDebuggerMode(options, devNull: devNull)) }

let modules = options.modules.isEmpty ? defaultModules() : options.modules
let wasmKit = WasmKitEngine()
let engines: [any BenchmarkedEngine] = [WeftEngine(), wasmKit]

var results: [ModuleResult] = []
for module in modules {
    do {
        results.append(try benchmark(module, engines: engines, options: options, devNull: devNull))
    } catch {
        printError(" failed\n")
        warn("\(fileName(module)): \(error)")
        results.append(ModuleResult(module: module, samples: nil))
    }
}

let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
#if os(Linux)
let system = "Linux"
#elseif os(macOS)
let system = "macOS"
#else
let system = "unknown OS"
#endif
#if arch(x86_64)
let architecture = "x86_64"
#elseif arch(arm64)
let architecture = "arm64"
#else
let architecture = "unknown architecture"
#endif

let about: [(String, String)] = [
    ("engines", "Weft vs WasmKit 0.4.2, in one process, alternating engine order every round"),
    ("build", isDebugBuild() ? "DEBUG (numbers meaningless, see warning)" : "release"),
    ("machine", "\(cores) cores, \(system) \(architecture)"),
    ("WasmKit", wasmKit.configurationSummary),
    (
        "rounds",
        "\(counted(options.rounds, "timed round")) per engine, after \(counted(options.warmup, "warm-up round")); "
            + "medians of wall time (ContinuousClock)"
    ),
    ("timed", "each round times load and run separately; total = load + run"),
    ("load", "read + decode; Weft also validates and translates every function here"),
    ("run", "instantiate + _start; WasmKit validates and translates each function lazily, on first call, in here"),
    ("stdio", "guest stdio is /dev/null; stdout, stderr and exit code were compared once per module, untimed"),
    ("ratio", "Weft / WasmKit: above 1.00 means Weft is slower"),
    ("CPU ratio", "the same ratio of the medians of process CPU time (load + run), steadier on a busy machine"),
]
let header = [
    "module", "Weft (s)", "WasmKit (s)", "Weft/WasmKit",
    "Weft run (s)", "WasmKit run (s)", "run ratio", "Weft load (s)", "WasmKit load (s)", "CPU ratio",
]
let table = renderTable(header: header, rows: tableRows(results), markdown: options.markdown)

if isDebugBuild() { print(debugBuildWarning + "\n") }
let labelWidth = about.map(\.0.count).max() ?? 0
for (label, text) in about {
    if options.markdown {
        print("- \(label): \(text)")
    } else {
        print(label + ":" + String(repeating: " ", count: labelWidth - label.count + 1) + text)
    }
}
print("")
print(table)
if !warnings.isEmpty { print("") }
for warning in warnings {
    print(options.markdown ? "- **warning:** \(warning)" : "warning: \(warning)")
}
if isDebugBuild() { print("\n" + debugBuildWarning) }
exit(failed ? 1 : 0)
