// Weft's side of the comparison, through the same `Program` API the `weft run` command uses.
// (Kept in its own file: Weft and WasmKit both have types named `Store`, `Memory`, `Trap`, …,
// and a file that imports only one of them never has to disambiguate.)

import WeftWASI

struct WeftEngine: BenchmarkedEngine {
    let name = "Weft"

    func runOnce(path: String, arguments: [String], stdio: GuestStdio) throws -> RunSample {
        var options = WASIOptions(arguments: arguments)
        options.stdin = stdio.stdin
        options.stdout = stdio.stdout
        options.stderr = stdio.stderr

        let clock = ContinuousClock()
        let start = clock.now
        // A `Program` is single-use, so every run builds a new one: reading, decoding,
        // validating and translating every function of the module happen here.
        let program = try Program(path: path, options: options)
        let loaded = clock.now
        // Instantiation and `_start`, on one thread, to the end.
        let outcome = try program.run()
        let finished = clock.now

        let guestOutcome: GuestOutcome
        switch outcome {
        case .exited(let code): guestOutcome = .exited(code)
        case .trapped(let message): guestOutcome = .trapped(message)
        }
        return RunSample(load: loaded - start, run: finished - loaded, outcome: guestOutcome)
    }
}
