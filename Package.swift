// swift-tools-version:6.0
// Weft — a deterministic record-replay debugger for multithreaded WebAssembly.

import PackageDescription

let package = Package(
    name: "Weft",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "weft", targets: ["weft"]),
        .library(name: "WeftInterpreter", targets: ["WeftInterpreter"]),
        .library(name: "WeftTrace", targets: ["WeftTrace"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Decoding a module's bytes (or text) into Weft's module model, with names.
        .target(
            name: "WeftModule",
            dependencies: [
                .product(name: "WasmParser", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
        // Source-level information: DWARF line tables and inlined frames, demangled names.
        .target(
            name: "WeftSource",
            dependencies: ["WeftModule"]
        ),
        // Validation + translation into internal code, the runtime store, and the execution loop.
        .target(
            name: "WeftInterpreter",
            dependencies: [
                "WeftModule",
                .product(name: "WasmParser", package: "WasmKit"),
            ],
            // The execution loop is one `switch`; LLVM copies its jump-table dispatch into the
            // end of every case only when allowed to for blocks with this many predecessors and
            // successors (default 16). One dispatch branch per case predicts far better than a
            // single shared one (docs/benchmarks.md).
            swiftSettings: [
                .unsafeFlags(
                    ["-Ounchecked", "-Xllvm", "-tail-dup-pred-size=1000", "-Xllvm", "-tail-dup-succ-size=1000"],
                    .when(configuration: .release))
            ]
        ),
        // WASI preview1 host functions (WasmKit's WASI product) bound to Weft's memory.
        .target(
            name: "WeftWASI",
            dependencies: [
                "WeftInterpreter", "WeftSource",
                .product(name: "WASI", package: "WasmKit"),
            ]
        ),
        // Guest threads (wasi-threads) on one host thread under a deterministic, seedable scheduler.
        .target(
            name: "WeftScheduler",
            dependencies: ["WeftInterpreter", "WeftWASI"]
        ),
        // Traces: recording a run, replaying it exactly, and reading the format.
        .target(
            name: "WeftTrace",
            dependencies: ["WeftModule", "WeftInterpreter", "WeftWASI", "WeftScheduler"]
        ),
        // Data-race detection: a happens-before probe on the interpreter, and the batch mode
        // that runs many schedules and merges what they find.
        .target(
            name: "WeftRaces",
            dependencies: ["WeftInterpreter", "WeftScheduler", "WeftWASI", "WeftTrace"]
        ),
        // The debugger: sessions that pause, inspect, and go back in time (snapshots and
        // deterministic re-execution), and the gdb-style commands the REPL runs.
        .target(
            name: "WeftDebugger",
            dependencies: [
                "WeftInterpreter", "WeftScheduler", "WeftWASI", "WeftTrace", "WeftSource", "WeftModule", "WeftRaces",
                .product(name: "WasmParser", package: "WasmKit"),
            ]
        ),
        // GNU readline (Debian's libreadline-dev) for the REPL's line editing and history.
        .systemLibrary(
            name: "CReadline",
            path: "Sources/CReadline",
            providers: [.apt(["libreadline-dev"])]
        ),
        // The `.wast` spec-script runner.
        .target(
            name: "WeftWAST",
            dependencies: [
                "WeftInterpreter",
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
        .executableTarget(
            name: "weft",
            dependencies: [
                "WeftInterpreter", "WeftWASI", "WeftWAST", "WeftScheduler", "WeftTrace", "WeftSource", "WeftRaces",
                "WeftDebugger", "CReadline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmark: Weft vs WasmKit's engine on the same module, in one process; threaded
        // programs (Weft's scheduler vs WasmKit's wasi-threads, the latter in a child process),
        // the scheduler's own cost, and record/replay overhead.
        .executableTarget(
            name: "weft-bench",
            dependencies: [
                "WeftInterpreter", "WeftWASI", "WeftScheduler", "WeftTrace", "WeftModule", "WeftDebugger",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
                .product(name: "WASI", package: "WasmKit"),
            ],
            path: "Benchmarks/Sources/weft-bench"
        ),
        // WasmKit's own engine with its wasi-threads support, as a process of its own (it ends the
        // host process when the guest ends): the reference the differential tests and the
        // threaded benchmark compare Weft against. Test and benchmark tool only.
        .executableTarget(
            name: "wasmkit-threads-oracle",
            dependencies: [
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
                .product(name: "WasmKitWASIThreads", package: "WasmKit"),
                .product(name: "WASI", package: "WasmKit"),
            ],
            path: "Tests/Oracle"
        ),
        // Differential tests: race-free threaded programs under Weft's scheduler vs the oracle.
        .testTarget(
            name: "WeftOracleTests",
            dependencies: ["wasmkit-threads-oracle", "WeftScheduler", "WeftWASI", "WeftInterpreter"]
        ),
        .testTarget(
            name: "WeftTraceTests",
            dependencies: ["WeftTrace", "WeftScheduler", "WeftWASI", "WeftInterpreter", "WeftModule"]
        ),
        .testTarget(
            name: "WeftInterpreterTests",
            dependencies: [
                "WeftInterpreter", "WeftWAST",
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
        .testTarget(
            name: "WeftSchedulerTests",
            dependencies: ["WeftScheduler", "WeftWASI", "WeftInterpreter"]
        ),
        .testTarget(
            name: "WeftSourceTests",
            dependencies: ["WeftSource", "WeftModule"]
        ),
        .testTarget(
            name: "WeftRacesTests",
            dependencies: ["WeftRaces", "WeftScheduler", "WeftWASI", "WeftInterpreter"]
        ),
        .testTarget(
            name: "WeftDebuggerTests",
            dependencies: ["WeftDebugger", "WeftScheduler", "WeftWASI", "WeftInterpreter", "WeftTrace"]
        ),
        .testTarget(
            name: "WeftSpecTests",
            dependencies: ["WeftWAST"]
        ),
        .testTarget(
            name: "WeftCLITests",
            dependencies: [
                "WeftInterpreter", "WeftWASI",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
                .product(name: "WASI", package: "WasmKit"),
            ],
            exclude: []
        ),
    ]
)
