#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import WeftInterpreter
import WeftModule
import WeftScheduler
import WeftTrace
import WeftWASI

/// What `weft races` runs: one module and its inputs under a range of schedule seeds.
public struct RaceCheckOptions: Sendable {
    public var modulePath: String
    /// The guest's arguments after its name.
    public var arguments: [String] = []
    public var environment: [String: String] = [:]
    /// Preopened directories, as `weft run --dir` gives them.
    public var preopens: [(host: String, guest: String)] = []
    /// Host clocks instead of virtual time (`--real-time`).
    public var realTime = false
    public var schedule: ScheduleKind = .random
    /// Seeds `firstSeed`, `firstSeed + 1`, ... (before sharding).
    public var firstSeed: UInt64 = 0
    public var schedules = 10
    public var quantum = 10_000
    public var pctDepth = 3
    public var maxThreads = 64
    public var maxSlices: Int?
    /// Schedules run at once, each on its own host thread with its own program.
    public var jobs = 1
    /// `(i, n)`: run only the seeds whose index in the range is `i - 1` modulo `n` (1-based `i`).
    public var shard: (index: Int, count: Int)?
    /// When set, every schedule is recorded to `DIR/seed-N.weft`, and the traces of schedules
    /// that show a finding are kept (``RaceCheck/run(_:compiled:progress:)`` removes the rest).
    public var saveTracesDirectory: String?
    /// The module's bytes, embedded in saved traces.
    public var moduleBytes: [UInt8]?

    public init(modulePath: String) { self.modulePath = modulePath }

    /// The seeds this invocation runs, in order.
    public var seeds: [UInt64] {
        (0..<max(schedules, 0)).compactMap { i -> UInt64? in
            if let shard, i % shard.count != shard.index - 1 { return nil }
            return firstSeed &+ UInt64(i)
        }
    }
}

/// One schedule's run under the detector.
public struct ScheduleRun: Sendable {
    public var seed: UInt64
    public var outcome: ThreadedOutcome
    public var stdout: [UInt8]
    public var races: [DataRace]
    public var peakShadowBytes: Int
    public var touchedGuestBytes: Int
    /// Guest memory in 64-byte lines that some access touched (shadow's unit of allocation).
    public var touchedLineBytes: Int
    public var guestMemoryBytes: Int
}

/// Errors of the tool itself (not findings): a module that cannot be loaded, files.
public struct RaceToolError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum RaceCheck {
    /// Loads and translates the module once (per host thread that runs schedules).
    public static func compile(_ path: String) throws -> CompiledModule {
        do {
            let (module, _) = try Module.load(path: path)
            return try CompiledModule.compile(module)
        } catch {
            throw RaceToolError("\(path): \(error)")
        }
    }

    /// Runs one schedule with the race detector attached; guest stdout is captured, stderr
    /// discarded, stdin empty.
    public static func runSchedule(_ compiled: CompiledModule, options: RaceCheckOptions, seed: UInt64) throws -> ScheduleRun {
        var template = "/tmp/weft-races-XXXXXX".utf8CString
        let out = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard out >= 0 else { throw RaceToolError("cannot create a temporary file for guest output") }
        let outPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        unlink(outPath)
        let null = open("/dev/null", O_RDWR)
        defer {
            close(out)
            if null >= 0 { close(null) }
        }
        var wasi = WASIOptions(arguments: [options.modulePath] + options.arguments, environment: options.environment, preopens: options.preopens)
        wasi.stdout = out
        wasi.stderr = null >= 0 ? null : 2
        wasi.stdin = null >= 0 ? null : 0
        let program: Program
        do {
            program = try Program(compiled: compiled, options: wasi)
        } catch {
            throw RaceToolError("\(options.modulePath): \(error)")
        }
        var threadOptions = ThreadOptions()
        threadOptions.schedule.kind = options.schedule
        threadOptions.schedule.seed = seed
        threadOptions.schedule.quantum = options.quantum
        threadOptions.schedule.pctDepth = options.pctDepth
        threadOptions.maxThreads = options.maxThreads
        threadOptions.maxSlices = options.maxSlices
        threadOptions.realTime = options.realTime
        let runner = ThreadedRunner(program: program, options: threadOptions)
        if let directory = options.saveTracesDirectory, let bytes = options.moduleBytes {
            let header = TraceHeader(
                weftVersion: weftVersion, moduleDigest: SHA256.hash(bytes),
                moduleName: URL(fileURLWithPath: options.modulePath).lastPathComponent, module: bytes,
                arguments: [options.modulePath] + options.arguments,
                environment: options.environment.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) },
                preopens: options.preopens.map(\.guest), schedule: threadOptions.schedule, maxThreads: threadOptions.maxThreads,
                maxSlices: threadOptions.maxSlices, realTime: options.realTime)
            let path = tracePath(directory, seed: seed)
            do {
                runner.addObserver(TraceRecorder(writer: try TraceWriter(path: path, header: header), memory: program.importedMemory))
            } catch {
                throw RaceToolError("\(error)")
            }
        }
        let detector = RaceDetector()
        detector.seed = seed
        runner.addObserver(detector)
        let outcome: ThreadedOutcome
        do {
            outcome = try runner.run()
        } catch {
            throw RaceToolError("\(options.modulePath): \(error)")
        }
        var bytes: [UInt8] = []
        lseek(out, 0, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(out, $0.baseAddress, 65536) }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return ScheduleRun(
            seed: seed, outcome: outcome, stdout: bytes, races: detector.races,
            peakShadowBytes: detector.peakShadowBytes, touchedGuestBytes: detector.touchedGuestBytes,
            touchedLineBytes: detector.touchedLineBytes,
            guestMemoryBytes: program.importedMemory?.byteCount ?? 0)
    }

    /// Runs every seed of `options` (on `options.jobs` host threads) and merges the findings.
    /// `progress` is called after each schedule with (done, total, findings so far).
    /// `compiled`, when given, is the module already translated (used by the first job).
    public static func run(_ options: RaceCheckOptions, compiled: CompiledModule? = nil, progress: ((Int, Int, Int) -> Void)? = nil) throws -> RaceCheckResult {
        let seeds = options.seeds
        let jobs = max(1, min(options.jobs, seeds.count))
        let collector = Collector(total: seeds.count, progress: progress)
        if jobs == 1 {
            let compiled = try compiled ?? compile(options.modulePath)
            for seed in seeds { collector.add(try runSchedule(compiled, options: options, seed: seed)) }
        } else {
            let next = Collector.Counter()
            let group = DispatchGroup()
            for _ in 0..<jobs {
                group.enter()
                let thread = Thread {
                    defer { group.leave() }
                    do {
                        let compiled = try compile(options.modulePath)
                        while let i = next.take(below: seeds.count), !collector.failed {
                            collector.add(try runSchedule(compiled, options: options, seed: seeds[i]))
                        }
                    } catch {
                        collector.fail(error)
                    }
                }
                thread.stackSize = 16 << 20
                thread.start()
            }
            group.wait()
        }
        if let error = collector.error { throw error }
        let result = RaceCheckResult(module: options.modulePath, schedule: options.schedule.rawValue, runs: collector.runs)
        if let directory = options.saveTracesDirectory {
            // Keep the traces that show something.
            var keep = Set(result.races.map(\.seed))
            keep.formUnion(result.deadlocks.map(\.seed))
            keep.formUnion(result.traps.map(\.seed))
            keep.formUnion(result.exits.map(\.seed))
            keep.formUnion(result.divergentOutputs.map(\.seed))
            for seed in seeds where !keep.contains(seed) { unlink(tracePath(directory, seed: seed)) }
        }
        return result
    }

    /// Where `--save-traces` puts the trace of `seed`.
    public static func tracePath(_ directory: String, seed: UInt64) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("seed-\(seed).weft").path
    }

    /// The Weft version written into saved traces.
    nonisolated(unsafe) public static var weftVersionString = "0.1.0"
}

var weftVersion: String { RaceCheck.weftVersionString }

/// Gathers schedule results from worker threads.
final class Collector: @unchecked Sendable {
    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var value = 0
        func take(below n: Int) -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard value < n else { return nil }
            value += 1
            return value - 1
        }
    }

    let lock = NSLock()
    let total: Int
    let progress: ((Int, Int, Int) -> Void)?
    var runs: [ScheduleRun] = []
    var error: (any Error)?
    var findings = 0

    init(total: Int, progress: ((Int, Int, Int) -> Void)?) {
        self.total = total
        self.progress = progress
    }

    var failed: Bool { lock.lock(); defer { lock.unlock() }; return error != nil }

    func add(_ run: ScheduleRun) {
        lock.lock(); defer { lock.unlock() }
        runs.append(run)
        findings += run.races.count
        if case .exited(0) = run.outcome {} else { findings += 1 }
        progress?(runs.count, total, findings)
    }

    func fail(_ e: any Error) {
        lock.lock(); defer { lock.unlock() }
        if error == nil { error = e }
    }
}
