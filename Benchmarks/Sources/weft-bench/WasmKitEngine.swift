// WasmKit's side of the comparison: its engine, run the way `wasmkit run --wasi-threads` runs a
// WASI command module, minus the thread machinery (the benchmarks never spawn a thread).

import WASI
import WasmKit
import WasmKitWASI

struct WasmKitEngine: BenchmarkedEngine {
    let name = "WasmKit"

    /// The engine's configuration: WasmKit's defaults (its platform's fastest threading model,
    /// lazy compilation, its preferred bounds checking), plus the threads proposal, without which
    /// a `wasm32-wasip1-threads` module's shared memory does not validate.
    let configuration: EngineConfiguration
    /// One engine for every run, as WasmKit intends (each run gets a fresh `Store`).
    private let engine: Engine

    init() {
        var configuration = EngineConfiguration()
        configuration.features.insert(.threads)
        engine = Engine(configuration: configuration)
        // The engine may adjust what it was asked for (e.g. fall back to software bounds checks).
        self.configuration = engine.configuration
    }

    /// The configuration in force, for the report's header.
    var configurationSummary: String {
        "EngineConfiguration() + threads feature (threading model: \(configuration.threadingModel), "
            + "compilation: \(configuration.compilationMode), bounds checks: \(configuration.memoryBoundsChecking))"
    }

    func runOnce(path: String, arguments: [String], stdio: GuestStdio) throws -> RunSample {
        let clock = ContinuousClock()
        let start = clock.now
        // Reading and decoding only: WasmKit validates and translates each function lazily, on
        // its first call, so that work lands in the run phase below.
        let module = try parseWasm(filePath: path, features: configuration.features)
        let loaded = clock.now
        let outcome = try run(module, arguments: arguments, stdio: stdio)
        let finished = clock.now
        return RunSample(load: loaded - start, run: finished - loaded, outcome: outcome)
    }

    /// Instantiates `module` in a new store with WASI and the wasi-threads imports, and runs `_start`.
    private func run(_ module: Module, arguments: [String], stdio: GuestStdio) throws -> GuestOutcome {
        let wasi = try WASIBridgeToHost(
            args: arguments, environment: [:],
            stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr)
        return try wasi.runAndClose { wasi in
            let store = Store(engine: engine)
            var imports = Imports()
            wasi.link(to: &imports, store: store)
            for entry in module.imports {
                // `wasm32-wasip1-threads` programs import their (shared) memory as `env.memory`;
                // the embedder creates it, as `wasmkit run --wasi-threads` does.
                if case .memory(let type) = entry.descriptor {
                    imports.define(module: entry.module, name: entry.name, try Memory(store: store, type: type))
                }
            }
            // Spawning a thread fails (-1), as it would when the host is out of threads; the
            // benchmark programs never try.
            imports.define(
                module: "wasi", name: "thread-spawn",
                Function(store: store, parameters: [.i32], results: [.i32]) { _, _ in
                    [.i32(UInt32(bitPattern: -1))]
                })
            do {
                let instance = try module.instantiate(store: store, imports: imports)
                return .exited(try wasi.start(instance))
            } catch let trap as Trap {
                return .trapped(trap.description)
            } catch let exit as WASIExitCode {
                // `proc_exit` from a start function, outside `start(_:)`'s own handling.
                return .exited(exit.code)
            }
        }
    }
}
