// WasmKit's wasi-threads side of the threaded benchmark: the `wasmkit-threads-oracle` executable
// (Tests/Oracle), run as a child process because WasmKitWASIThreads ends the host process when
// the guest ends. Its time therefore includes starting a process, parsing the module and
// WasmKit's lazy compilation; its guest threads run in parallel on host threads.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum OracleProcess {
    /// `wasmkit-threads-oracle` given with `--oracle`, else next to this executable (both are
    /// products of the same package and build directory).
    static func locate(_ explicit: String?) -> String? {
        if let explicit { return access(explicit, X_OK) == 0 ? explicit : nil }
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let directory = me.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let candidate = "\(directory.isEmpty ? "." : directory)/wasmkit-threads-oracle"
        return access(candidate, X_OK) == 0 ? candidate : nil
    }

    /// Runs `oracle module arguments...` with the given stdio (an empty environment), waits for
    /// it, and returns the wall time from spawn to exit and its exit status.
    static func run(oracle: String, module: String, arguments: [String], stdio: GuestStdio) throws -> (Duration, Int32) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdio.stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdio.stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stdio.stderr, 2)
        // argv: the oracle, the module, then the guest's arguments after its argv[0].
        let argv: [UnsafeMutablePointer<CChar>?] = ([oracle, module] + arguments.dropFirst()).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let envp: [UnsafeMutablePointer<CChar>?] = [nil]
        let clock = ContinuousClock()
        let start = clock.now
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, oracle, &actions, nil, argv, envp)
        guard spawned == 0 else { throw BenchError("cannot start \(oracle): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw BenchError("waitpid failed: errno \(errno)") }
        }
        let elapsed = clock.now - start
        // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the C macros are not imported).
        if status & 0x7f == 0 { return (elapsed, (status >> 8) & 0xff) }
        throw BenchError("\(fileName(module)): wasmkit-threads-oracle died of signal \(status & 0x7f)")
    }
}
