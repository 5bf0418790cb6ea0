// `weft-bench --threads`: multithreaded programs under Weft's deterministic scheduler vs WasmKit's
// wasi-threads (parallel host threads, in a child process), the scheduler's own cost, and the
// cost of recording a trace and replaying it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import WeftScheduler

/// Medians of everything measured for one threaded module.
struct ThreadedResult {
    var name: String
    var run: Double
    var oracle: Double?
    var record: Double
    var replay: Double
    var slices: Int
    var yieldPoints: UInt64
    var traceEvents: Int
    var traceBytes: Int
}

/// The default threaded modules: Benchmarks/programs/threads/*.wasm, then a few of the test
/// programs (short runs, dominated by synchronization).
func defaultThreadedModules() -> [String] {
    let root = "/" + String(#filePath).split(separator: "/").dropLast(4).joined(separator: "/")
    var modules: [String] = []
    for base in [".", root] {
        if let files = wasmFiles(in: "\(base)/Benchmarks/programs/threads"), !files.isEmpty {
            modules = files
            for test in ["threads_mutex", "threads_cond", "threads_many"] {
                modules.append("\(base)/Tests/Programs/\(test).wasm")
            }
            return modules
        }
    }
    printError("weft-bench: no Benchmarks/programs/threads/*.wasm found from here or from \(root)\n")
    exit(66)
}

/// Checks, warms up and times one threaded module: plain run, record, replay, and the oracle.
@MainActor
func benchmarkThreaded(_ module: String, options: Options, oracle: String?, devNull: Int32) throws -> ThreadedResult {
    let name = fileName(module)
    let arguments = [name]
    let schedule = ThreadOptions()  // `weft run`'s defaults: round robin, quantum 10000
    let quiet = GuestStdio(stdin: devNull, stdout: devNull, stderr: devNull)
    let traceFile = CaptureFileName()
    defer { unlink(traceFile.path) }

    // Untimed: both engines' stdout and exit status must agree, and so must a recording's.
    printError("\(name): checking outputs…")
    let weftOut = try CaptureFile()
    let weft = try WeftThreaded.run(
        path: module, arguments: arguments, stdio: GuestStdio(stdin: devNull, stdout: weftOut.fd, stderr: devNull),
        options: schedule)
    let recordOut = try CaptureFile()
    let recorded = try WeftThreaded.run(
        path: module, arguments: arguments, stdio: GuestStdio(stdin: devNull, stdout: recordOut.fd, stderr: devNull),
        options: schedule, traceTo: traceFile.path)
    let (recordText, plainText) = (try recordOut.contents(), try weftOut.contents())
    if recordText != plainText || recorded.status != weft.status {
        warn("\(name): a recorded run printed or ended differently from a plain run")
    }
    let (_, replayed) = try WeftThreaded.replay(trace: traceFile.path)
    if replayed != weft.status { warn("\(name): replay ended with \(replayed), the run with \(weft.status)") }
    if weft.status != 0 { warn("\(name): under Weft the guest exited with \(weft.status), not 0", failure: false) }
    if let oracle {
        let oracleOut = try CaptureFile()
        let (_, status) = try OracleProcess.run(
            oracle: oracle, module: module, arguments: arguments,
            stdio: GuestStdio(stdin: devNull, stdout: oracleOut.fd, stderr: devNull))
        let (oracleText, weftText) = (try oracleOut.contents(), try weftOut.contents())
        if status != weft.status || oracleText != weftText {
            warn("\(name): WasmKit wasi-threads printed or ended differently (exit \(status), Weft \(weft.status))")
        }
    }

    for round in 0..<options.warmup {
        printError(" warm-up \(round + 1)/\(options.warmup)…")
        _ = try WeftThreaded.run(path: module, arguments: arguments, stdio: quiet, options: schedule)
        if let oracle { _ = try OracleProcess.run(oracle: oracle, module: module, arguments: arguments, stdio: quiet) }
    }
    var runs: [Duration] = [], records: [Duration] = [], replays: [Duration] = [], oracles: [Duration] = []
    var last = weft, lastRecord = recorded
    for round in 0..<options.rounds {
        printError(" round \(round + 1)/\(options.rounds)…")
        // Rotate the order so no measurement always follows the same one.
        var steps = ["run", "record", "replay", "oracle"]
        steps = Array(steps[(round % 4)...] + steps[..<(round % 4)])
        for step in steps {
            switch step {
            case "run":
                last = try WeftThreaded.run(path: module, arguments: arguments, stdio: quiet, options: schedule)
                runs.append(last.total)
            case "record":
                // A fresh file each round: replacing the file the previous round just wrote
                // makes the file system wait for that file's writeback (ext4 flushes a file
                // that was truncated and rewritten when it is closed), which is no cost of
                // recording. The previous trace is replaced outside the timing.
                let fresh = CaptureFileName()
                lastRecord = try WeftThreaded.run(
                    path: module, arguments: arguments, stdio: quiet, options: schedule, traceTo: fresh.path)
                records.append(lastRecord.total)
                rename(fresh.path, traceFile.path)
            case "replay":
                // Replays the most recent recording (made in the check above or this round).
                replays.append(try WeftThreaded.replay(trace: traceFile.path).0)
            default:
                if let oracle {
                    oracles.append(try OracleProcess.run(oracle: oracle, module: module, arguments: arguments, stdio: quiet).0)
                }
            }
        }
    }
    printError(" done\n")
    if last.slices != weft.slices || lastRecord.slices != weft.slices {
        warn("\(name): the number of slices changed between runs of the same schedule")
    }
    return ThreadedResult(
        name: name, run: median(runs), oracle: oracles.isEmpty ? nil : median(oracles), record: median(records),
        replay: median(replays), slices: weft.slices, yieldPoints: weft.yieldPoints,
        traceEvents: lastRecord.traceEvents, traceBytes: lastRecord.traceBytes)
}

/// A unique temporary path (the file itself is created by whoever writes it).
struct CaptureFileName {
    let path: String
    init() {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(directory)/weft-bench-trace-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 { close(fd) }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// Runs the threaded benchmarks and prints their two tables; returns the exit status.
@MainActor
func runThreadsMode(_ options: Options, devNull: Int32) -> Int32 {
    let modules = options.modules.isEmpty ? defaultThreadedModules() : options.modules
    let oracle = OracleProcess.locate(options.oracle)
    if oracle == nil {
        warn("wasmkit-threads-oracle not found (build it: swift build -c release --product wasmkit-threads-oracle "
            + "--scratch-path .build-bench, or pass --oracle PATH); WasmKit column left empty")
    }
    var results: [ThreadedResult] = []
    for module in modules {
        do {
            results.append(try benchmarkThreaded(module, options: options, oracle: oracle, devNull: devNull))
        } catch {
            printError(" failed\n")
            warn("\(fileName(module)): \(error)")
        }
    }
    func s(_ seconds: Double) -> String { fixed(seconds, decimals: 3) }
    func rate(_ count: Double, _ seconds: Double) -> String { fixed(count / seconds / 1e6, decimals: 2) }

    print("- engines: Weft's ThreadedRunner (all guest threads on one host thread, `weft run` defaults: rr, quantum 10000) "
        + "vs WasmKit 0.4.2 + WasmKitWASIThreads (guest threads in PARALLEL on host threads, "
        + "\(counted(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), "core")) here; "
        + "run as a child process `wasmkit-threads-oracle`, timed spawn to exit)")
    print("- build: \(isDebugBuild() ? "DEBUG (numbers meaningless)" : "release"); "
        + "\(counted(options.rounds, "timed round")) after \(counted(options.warmup, "warm-up round")), medians of wall time; "
        + "Weft times include load (decode, validate, translate)")
    print("")
    print(renderTable(
        header: ["module", "Weft (s)", "WasmKit threads (s)", "Weft/WasmKit", "slices", "yield points",
                 "slices/s (M)", "yield points/s (M)"],
        rows: results.map { r in
            [r.name, s(r.run), r.oracle.map(s) ?? "-", r.oracle.map { fixed(r.run / $0, decimals: 2) } ?? "-",
             "\(r.slices)", "\(r.yieldPoints)", rate(Double(r.slices), r.run), rate(Double(r.yieldPoints), r.run)]
        }, markdown: options.markdown))
    print("")
    print("- record: the same run with a TraceRecorder writing a trace file (module embedded), as `weft record`; "
        + "replay: that trace re-executed and checked event by event, output not re-emitted, as `weft replay --quiet`")
    print("")
    print(renderTable(
        header: ["module", "run (s)", "record (s)", "replay (s)", "record/run", "replay/record", "events",
                 "trace bytes", "bytes/event", "bytes/M yield points"],
        rows: results.map { r in
            [r.name, s(r.run), s(r.record), s(r.replay), fixed(r.record / r.run, decimals: 2),
             fixed(r.replay / r.record, decimals: 2), "\(r.traceEvents)", "\(r.traceBytes)",
             fixed(Double(r.traceBytes) / Double(max(r.traceEvents, 1)), decimals: 2),
             fixed(Double(r.traceBytes) / Double(max(r.yieldPoints, 1)) * 1e6, decimals: 0)]
        }, markdown: options.markdown))
    if !warnings.isEmpty { print("") }
    for warning in warnings {
        print(options.markdown ? "- **warning:** \(warning)" : "warning: \(warning)")
    }
    return failed ? 1 : 0
}
