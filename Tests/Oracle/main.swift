// wasmkit-threads-oracle: runs a wasm32-wasip1-threads command module on WasmKit's own engine with
// its wasi-threads support (WasmKitWASIThreads), so tests and the benchmark can compare Weft
// against an independent implementation.
//
//     wasmkit-threads-oracle MODULE [ARGS...]
//
// The guest gets this process's stdin, stdout and stderr, its arguments are MODULE ARGS..., and
// its environment is empty. WasmKit runs every guest thread on its own host thread, in parallel,
// and ends the whole host process when the guest ends, so this is a process of its own: its exit
// status is the guest's (`_start` returning gives 0, `proc_exit(n)` gives n, a trap gives 1 with a
// line on stderr). Bad usage or a module that cannot be loaded exits 2 with one line.

import Foundation
import WASI
import WasmKit
import WasmKitWASI
import WasmKitWASIThreads

/// Prints one line on stderr and exits with `status`.
func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("wasmkit-threads-oracle: \(message)\n".utf8))
    exit(status)
}

let commandLine = CommandLine.arguments
guard commandLine.count >= 2 else { fail("usage: wasmkit-threads-oracle MODULE [ARGS...]") }
let path = commandLine[1]

// What WasmKitWASIThreads requires of the engine (the same as `wasmkit run --wasi-threads`):
// the threads proposal, direct-threaded code, and bounds checks by guard pages (mprotect).
var configuration = EngineConfiguration(threadingModel: .direct, memoryBoundsChecking: .mprotect)
configuration.features.insert(.threads)
let engine = Engine(configuration: configuration)

let module: Module
do {
    module = try parseWasm(filePath: path, features: configuration.features)
} catch {
    fail("\(path): \(error)")
}

do {
    let wasi = try WASIBridgeToHost(args: Array(commandLine[1...]), environment: [:])
    let control = WASIThreadsProcessControl(
        terminateAfterMainReturn: { code in
            // Flush nothing: the guest writes straight to fd 1 and 2 through WASI.
            exit(Int32(truncatingIfNeeded: code))
        },
        terminateAfterWorkerFailure: { error in
            if let exitCode = error as? WASIExitCode { exit(Int32(truncatingIfNeeded: exitCode.code)) }
            FileHandle.standardError.write(Data("wasmkit-threads-oracle: a guest thread failed: \(error)\n".utf8))
            exit(1)
        })
    let threads = try WASIThreads(
        module: module, engine: engine, configuration: .init(maximumThreads: 64), processControl: control,
        childImports: { store in
            var imports = Imports()
            wasi.link(to: &imports, store: store)
            return imports
        })
    try wasi.runAndClose { wasi in
        let store = Store(engine: engine)
        let imports = try threads.makeImports(store: store)
        let instance = try module.instantiate(store: store, imports: imports)
        let code = try wasi.start(instance)
        threads.mainThreadDidExit(code: code)
    }
} catch let exitCode as WASIExitCode {
    exit(Int32(truncatingIfNeeded: exitCode.code))
} catch let trap as Trap {
    fail("trap: \(trap)", status: 1)
} catch {
    fail("\(path): \(error)", status: 1)
}
fail("the guest ended without an exit status", status: 1)
