// `weft-bench --debugger`: what debugging costs. For each multithreaded module, a debugging
// session (live, random schedule) runs to the end, and is compared with a plain run of the
// same schedule; then reverse commands are timed from the end of the run, which is what the
// debugger issue's "under 200 ms on a run of 10^8 instructions" target is about.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import WeftDebugger
import WeftInterpreter
import WeftModule
import WeftScheduler
import WeftWASI

func runDebuggerMode(_ options: Options, devNull: Int32) -> Int32 {
    let modules = options.modules.isEmpty ? ["Benchmarks/programs/threads/bench_threads.wasm", "Benchmarks/programs/threads/bench_sched.wasm"] : options.modules
    var rows: [[String]] = []
    for path in modules {
        do {
            rows += try measureDebugger(path, devNull: devNull)
        } catch {
            printError("weft-bench: \(path): \(error)\n")
            return 1
        }
    }
    print(renderTable(header: ["module", "measure", "value"], rows: rows, markdown: options.markdown))
    return 0
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func timed(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return seconds(clock.now - start)
}

func makeProgram(_ path: String, devNull: Int32) throws -> Program {
    var wasi = WASIOptions(arguments: [path])
    wasi.stdout = devNull
    wasi.stdin = devNull
    let (module, _) = try Module.load(path: path)
    return try Program(compiled: try CompiledModule.compile(module), options: wasi)
}

/// A line inside each benchmark's hottest loop.
let hotLine = ["bench_threads.wasm": 20, "bench_sched.wasm": 16]

func measureDebugger(_ path: String, devNull: Int32) throws -> [[String]] {
    var options = ThreadOptions()
    options.schedule.kind = .random
    options.schedule.seed = 1
    let name = fileName(path)

    let plain = try timed { _ = try ThreadedRunner(program: try makeProgram(path, devNull: devNull), options: options).run() }

    let session = try DebugSession(program: try makeProgram(path, devNull: devNull), options: options, detectRaces: false)
    var transcript = ""
    session.write = { transcript += $0 }
    func run(_ command: String) -> Double {
        transcript = ""
        return timed { _ = session.execute(command) }
    }
    let forward = run("continue")
    let instructions = session.position.time
    var rows: [[String]] = [
        [name, "plain run (s)", fixed(plain, decimals: 3)],
        [name, "debug session to the end (s)", fixed(forward, decimals: 3)],
        [name, "debug / plain", fixed(forward / plain, decimals: 2)],
        [name, "instructions", String(instructions)],
        [name, "snapshots", "\(session.snapshotCount) (\(session.snapshotBytes / 1024) KiB)"],
    ]
    for command in ["reverse-stepi", "reverse-stepi", "reverse-next", "reverse-finish", "stepi", "goto 10", "goto 1000"] {
        let t = run(command)
        rows.append([name, command + " (ms)", fixed(t * 1000, decimals: 1)])
    }
    // reverse-continue to the last hit of a breakpoint on the hottest function.
    _ = run("continue")
    _ = run("break worker")
    if !transcript.hasPrefix("no function") {
        let t = run("reverse-continue")
        rows.append([name, "reverse-continue to last breakpoint hit (ms)", fixed(t * 1000, decimals: 1)])
    }
    // reverse-continue looks back over the whole run for a function that ran only at its start:
    // the stretches in between are ruled out by what they ran, without re-executing them.
    _ = run("delete")
    _ = run("continue")
    _ = run("break rt_thread_create")
    let before = session.stretchesReexecuted
    var t = run("reverse-continue")
    rows.append([name, "reverse-continue to a breakpoint hit only at the start (ms)", fixed(t * 1000, decimals: 1)])
    rows.append([name, "  stretches re-executed of \(session.snapshotCount)", String(session.stretchesReexecuted - before)])
    // The worst case: a breakpoint in the loop that runs throughout, whose condition never
    // holds, so every stretch may hold a hit and is re-executed: the whole run.
    _ = run("delete")
    _ = run("continue")
    _ = run("break \(name.replacingOccurrences(of: ".wasm", with: ".c")):\(hotLine[name] ?? 0) if 0")
    t = run("reverse-continue")
    rows.append([name, "reverse-continue, breakpoint in the hot loop, condition never true: whole run (ms)", fixed(t * 1000, decimals: 1)])
    _ = run("delete")
    t = run("reverse-continue")
    rows.append([name, "reverse-continue with no breakpoint (ms)", fixed(t * 1000, decimals: 1)])
    return rows
}
