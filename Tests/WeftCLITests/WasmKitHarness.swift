// Runs a WASI command with WasmKit's own engine, in-process: the reference Weft is compared with.
//
// The test programs are built for wasm32-wasip1-threads: they import a shared memory as
// `env.memory` and a `wasi.thread-spawn` function. WasmKit's plain WASI linking provides neither,
// so the memory is created here (with the threads feature enabled, which shared memories need) and
// thread-spawn is a stub that reports failure (-1). The programs compared here never spawn threads.

import Foundation
import WasmKit
import WasmKitWASI

enum WasmKitHarness {
    static func run(path: String, _ setup: GuestSetup) throws -> GuestRun {
        try withGuestStdio(stdin: setup.stdin) { stdin, stdout, stderr in
            var configuration = EngineConfiguration()
            configuration.features.insert(.threads)
            let engine = Engine(configuration: configuration)
            let module = try parseWasm(filePath: path, features: configuration.features)
            let store = Store(engine: engine)

            let wasi = try WASIBridgeToHost(
                args: setup.arguments, environment: setup.environment,
                stdin: stdin, stdout: stdout, stderr: stderr)
            return try wasi.runAndClose { wasi in
                var imports = Imports()
                wasi.link(to: &imports, store: store)
                for entry in module.imports {
                    if case .memory(let type) = entry.descriptor {
                        imports.define(module: entry.module, name: entry.name, try Memory(store: store, type: type))
                    }
                }
                let spawnStub = Function(store: store, parameters: [.i32], results: [.i32]) { _, _ in
                    [.i32(UInt32(bitPattern: -1))]
                }
                imports.define(module: "wasi", name: "thread-spawn", spawnStub)

                do {
                    let instance = try module.instantiate(store: store, imports: imports)
                    return .exited(try wasi.start(instance))
                } catch let trap as Trap {
                    return .trapped(trap.description)
                }
            }
        }
    }
}
