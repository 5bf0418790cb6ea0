// swift-tools-version:6.0
// A libFuzzer target for Weft's trace reader and replayer. Not part of `swift test`; build and run
// it with Fuzz/run (it needs -sanitize=fuzzer, which the main package's build does not use).

import PackageDescription

let package = Package(
    name: "WeftFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Weft", path: "..")],
    targets: [
        .executableTarget(
            name: "trace-fuzz",
            dependencies: [.product(name: "WeftTrace", package: "Weft")]
        )
    ]
)
