import WeftScheduler

/// What a trace says about the run it recorded: enough to run the same program the same way.
public struct TraceHeader: Equatable, Sendable {
    /// The Weft that wrote the trace.
    public var weftVersion: String
    /// SHA-256 of the module's binary bytes.
    public var moduleDigest: [UInt8]
    /// The module's file name when recorded (for messages only).
    public var moduleName: String
    /// The module's bytes, unless recorded with `--no-embed-module`.
    public var module: [UInt8]?
    /// The guest's arguments, `argv[0]` first.
    public var arguments: [String]
    public var environment: [(key: String, value: String)]
    /// Guest paths of the preopened directories (their contents are not in the trace; what the
    /// guest read from them is, as WASI call results).
    public var preopens: [String]
    public var schedule: ScheduleOptions
    public var maxThreads: Int
    public var maxSlices: Int?
    public var realTime: Bool

    public init(
        weftVersion: String, moduleDigest: [UInt8], moduleName: String, module: [UInt8]?, arguments: [String],
        environment: [(key: String, value: String)], preopens: [String], schedule: ScheduleOptions, maxThreads: Int,
        maxSlices: Int?, realTime: Bool
    ) {
        self.weftVersion = weftVersion
        self.moduleDigest = moduleDigest
        self.moduleName = moduleName
        self.module = module
        self.arguments = arguments
        self.environment = environment
        self.preopens = preopens
        self.schedule = schedule
        self.maxThreads = maxThreads
        self.maxSlices = maxSlices
        self.realTime = realTime
    }

    public static func == (a: TraceHeader, b: TraceHeader) -> Bool {
        a.weftVersion == b.weftVersion && a.moduleDigest == b.moduleDigest && a.moduleName == b.moduleName
            && a.module == b.module && a.arguments == b.arguments
            && a.environment.map(\.key) == b.environment.map(\.key) && a.environment.map(\.value) == b.environment.map(\.value)
            && a.preopens == b.preopens && a.schedule == b.schedule && a.maxThreads == b.maxThreads
            && a.maxSlices == b.maxSlices && a.realTime == b.realTime
    }

    /// The thread options the run used.
    public var threadOptions: ThreadOptions {
        var o = ThreadOptions()
        o.schedule = schedule
        o.maxThreads = maxThreads
        o.maxSlices = maxSlices
        o.realTime = realTime
        return o
    }

    func encode(into w: inout ByteWriter) {
        w.string(weftVersion)
        w.raw(moduleDigest)
        w.string(moduleName)
        if let module {
            w.u8(1)
            w.blob(module)
        } else {
            w.u8(0)
        }
        w.varint(arguments.count)
        for a in arguments { w.string(a) }
        w.varint(environment.count)
        for (k, v) in environment {
            w.string(k)
            w.string(v)
        }
        w.varint(preopens.count)
        for p in preopens { w.string(p) }
        w.u8(Self.kindCode(schedule.kind))
        w.varint(schedule.seed)
        w.varint(schedule.quantum)
        w.varint(schedule.pctDepth)
        w.varint(schedule.pctSteps)
        w.varint(maxThreads)
        w.varint(maxSlices.map { UInt64($0) + 1 } ?? 0)
        w.u8(realTime ? 1 : 0)
    }

    static func decode(_ r: inout ByteReader) throws -> TraceHeader {
        let version = try r.string()
        let digest = try r.raw(32)
        let name = try r.string()
        var module: [UInt8]?
        switch try r.u8() {
        case 0: break
        case 1: module = try r.blob()
        case let f: throw TraceFormatError("bad module flag \(f) in the header")
        }
        let limit = r.remaining
        let arguments = try (0..<r.count(max: limit)).map { _ in try r.string() }
        let environment = try (0..<r.count(max: limit)).map { _ in (key: try r.string(), value: try r.string()) }
        let preopens = try (0..<r.count(max: limit)).map { _ in try r.string() }
        var schedule = ScheduleOptions()
        schedule.kind = try kind(try r.u8())
        schedule.seed = try r.varint()
        schedule.quantum = try r.count(max: Int(Int32.max))
        schedule.pctDepth = try r.count(max: Int(Int32.max))
        schedule.pctSteps = try r.count(max: Int(Int32.max))
        guard schedule.quantum > 0, schedule.pctDepth > 0, schedule.pctSteps > 0 else {
            throw TraceFormatError("the header's schedule parameters are not positive")
        }
        let maxThreads = try r.count(max: 0x2000_0000)
        let slices = try r.count(max: Int.max - 1)
        let realTime: Bool
        switch try r.u8() {
        case 0: realTime = false
        case 1: realTime = true
        case let f: throw TraceFormatError("bad time-mode flag \(f) in the header")
        }
        return TraceHeader(
            weftVersion: version, moduleDigest: digest, moduleName: name, module: module, arguments: arguments,
            environment: environment, preopens: preopens, schedule: schedule, maxThreads: maxThreads,
            maxSlices: slices == 0 ? nil : slices - 1, realTime: realTime)
    }

    static func kindCode(_ k: ScheduleKind) -> UInt8 {
        switch k {
        case .rr: return 0
        case .random: return 1
        case .pct: return 2
        }
    }

    static func kind(_ code: UInt8) throws -> ScheduleKind {
        switch code {
        case 0: return .rr
        case 1: return .random
        case 2: return .pct
        default: throw TraceFormatError("unknown schedule kind \(code) in the header")
        }
    }
}
