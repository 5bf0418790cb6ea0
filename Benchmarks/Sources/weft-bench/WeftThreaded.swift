// Weft's side of the threaded benchmarks: a run under the deterministic scheduler (ThreadedRunner,
// as `weft run` does it), the same run recorded to a trace (as `weft record` does it), and the
// replay of that trace (as `weft replay` does it). Kept apart from WasmKit's types, like
// WeftEngine.swift.

import WeftInterpreter
import WeftModule
import WeftScheduler
import WeftTrace
import WeftWASI

/// One threaded run under Weft.
struct ThreadedSample {
    /// Load (decode, validate, translate) plus the run, wall time.
    var total: Duration
    /// The guest's exit status, as `weft run` would exit.
    var status: Int32
    /// Scheduler slices (each a scheduling decision and a resumption of a green thread).
    var slices: Int
    /// Yield points executed (from the virtual clock: 100 ns per yield point, at least one per
    /// slice; these programs never sleep, so this is the count).
    var yieldPoints: UInt64
    /// For a recording: events and bytes written to the trace.
    var traceEvents = 0
    var traceBytes = 0
}

enum WeftThreaded {
    /// The guest's WASI options: `arguments`, stdio bound to `stdio`.
    static func wasiOptions(_ arguments: [String], _ stdio: GuestStdio) -> WASIOptions {
        var options = WASIOptions(arguments: arguments)
        options.stdin = stdio.stdin
        options.stdout = stdio.stdout
        options.stderr = stdio.stderr
        return options
    }

    /// Runs `path` under `options`; with `traceTo`, records the run there as `weft record` does
    /// (module embedded).
    static func run(
        path: String, arguments: [String], stdio: GuestStdio, options: ThreadOptions, traceTo: String? = nil
    ) throws -> ThreadedSample {
        let clock = ContinuousClock()
        let start = clock.now
        let program: Program
        var writer: TraceWriter?
        if let traceTo {
            // Decoded once, as `weft record` does (the bytes go into the trace).
            let (module, bytes) = try Module.load(path: path)
            program = try Program(compiled: try CompiledModule.compile(module), options: wasiOptions(arguments, stdio))
            let header = TraceHeader(
                weftVersion: "weft-bench", moduleDigest: SHA256.hash(bytes), moduleName: fileName(path), module: bytes,
                arguments: arguments, environment: [], preopens: [], schedule: options.schedule,
                maxThreads: options.maxThreads, maxSlices: options.maxSlices, realTime: options.realTime)
            writer = try TraceWriter(path: traceTo, header: header)
        } else {
            program = try Program(path: path, options: wasiOptions(arguments, stdio))
        }
        let runner = ThreadedRunner(program: program, options: options)
        if let writer { runner.addObserver(TraceRecorder(writer: writer, memory: program.importedMemory)) }
        let outcome = try runner.run()
        try writer?.flush()
        let elapsed = clock.now - start
        return ThreadedSample(
            total: elapsed, status: outcome.exitStatus, slices: runner.slices,
            yieldPoints: runner.clock / ThreadedRunner.nanosecondsPerYieldPoint,
            traceEvents: writer?.eventCount ?? 0, traceBytes: writer?.byteCount ?? 0)
    }

    /// Replays the trace at `path` (its embedded module, output not re-emitted, as `weft replay
    /// --quiet`), checking every event. Returns the wall time (reading the trace included) and the
    /// recorded exit status.
    static func replay(trace path: String) throws -> (Duration, Int32) {
        let clock = ContinuousClock()
        let start = clock.now
        let reader = try TraceReader(path: path)
        guard let module = reader.header.module else { throw BenchError("\(path): no embedded module") }
        let setup = try ReplaySetup(reader: reader, module: module)
        setup.runner.replayOutput = nil
        let outcome = try setup.runner.run()
        return (clock.now - start, outcome.exitStatus)
    }
}
