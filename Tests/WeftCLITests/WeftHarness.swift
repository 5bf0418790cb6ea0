// Runs a WASI command with Weft's interpreter, in-process (the library API the `weft` CLI uses).

import Foundation
import WeftWASI

enum WeftHarness {
    /// Loads `path` and runs its `_start` on a single thread with the given WASI setup.
    static func run(path: String, _ setup: GuestSetup) throws -> GuestRun {
        try withGuestStdio(stdin: setup.stdin) { stdin, stdout, stderr in
            var options = WASIOptions(arguments: setup.arguments, environment: setup.environment)
            options.stdin = stdin
            options.stdout = stdout
            options.stderr = stderr
            let program = try Program(path: path, options: options)
            switch try program.run() {
            case .exited(let code): return .exited(code)
            case .trapped(let message): return .trapped(message)
            }
        }
    }
}
