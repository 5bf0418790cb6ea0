import WeftInterpreter
import WeftModule
import WeftScheduler
import WeftWASI

/// A replay ready to run: the program, and a runner whose schedule and WASI results come from the
/// trace, checked event by event.
public struct ReplaySetup {
    public let program: Program
    public let runner: ThreadedRunner
    public let replayer: TraceReplayer

    /// Prepares to replay `reader`'s trace with `module` (the embedded one, or a `--module`).
    /// No host file, directory or stdin is used: every WASI call is answered from the trace.
    public init(reader: TraceReader, module: [UInt8]) throws {
        var env: [String: String] = [:]
        for (k, v) in reader.header.environment { env[k] = v }
        program = try Program(
            compiled: try CompiledModule.compile(try Module.decode(module)),
            options: WASIOptions(arguments: reader.header.arguments, environment: env))
        replayer = TraceReplayer(reader: reader, memory: program.importedMemory)
        runner = ThreadedRunner(program: program, options: reader.header.threadOptions, schedule: replayer, hostCalls: replayer)
        runner.addObserver(replayer)
    }
}

/// Helpers for the fuzz target in Fuzz/: build a trace around arbitrary event bytes and replay it.
public enum FuzzSupport {
    nonisolated(unsafe) static var modules: [String: [UInt8]] = [:]

    /// A trace with a valid header embedding `moduleText` (assembled once) and one event chunk
    /// holding `eventPayload` with a correct checksum.
    public static func trace(moduleText: String, eventPayload: [UInt8]) throws -> [UInt8] {
        let module: [UInt8]
        if let m = modules[moduleText] {
            module = m
        } else {
            module = try Module.assemble(text: moduleText)
            modules[moduleText] = module
        }
        var schedule = ScheduleOptions()
        schedule.kind = .random
        schedule.quantum = 4
        let header = TraceHeader(
            weftVersion: "fuzz", moduleDigest: SHA256.hash(module), moduleName: "fuzz.wasm", module: module,
            arguments: ["fuzz.wasm"], environment: [], preopens: [], schedule: schedule, maxThreads: 4,
            maxSlices: 10_000, realTime: false)
        var w = ByteWriter()
        w.raw(TraceFormat.magic)
        w.u16(TraceFormat.version)
        var h = ByteWriter()
        header.encode(into: &h)
        for (kind, payload) in [(TraceFormat.headerChunk, h.bytes), (TraceFormat.eventChunk, eventPayload)] {
            let start = w.bytes.count
            w.u8(kind)
            w.u32(UInt32(payload.count))
            w.raw(payload)
            w.u32(CRC32.checksum(w.bytes[start...]))
        }
        return w.bytes
    }

    /// Replays `trace` quietly to its end or first error.
    public static func replay(_ trace: [UInt8]) throws -> ThreadedOutcome {
        let reader = try TraceReader(bytes: trace)
        guard let module = reader.header.module else { throw TraceFormatError("no module") }
        let setup = try ReplaySetup(reader: reader, module: module)
        setup.runner.replayOutput = nil
        return try setup.runner.run()
    }
}
