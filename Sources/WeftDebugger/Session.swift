#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeftInterpreter
import WeftModule
import WeftRaces
import WeftScheduler
import WeftSource
import WeftTrace
import WeftWASI

/// A point in a debugging session's run: instructions executed by all threads, and events so
/// far. The same program, inputs and schedule reach each position in the same state.
public struct Position: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var time: UInt64
    public var events: Int

    public init(time: UInt64, events: Int) {
        self.time = time
        self.events = events
    }

    public static func < (a: Position, b: Position) -> Bool {
        (a.time, a.events) < (b.time, b.events)
    }

    public var description: String { "event \(events), instruction \(time)" }
}

/// Why a forward or backward motion stopped.
enum Stop {
    case breakpoint(Int, thread: Int32)
    case watchpoint(WatchHit)
    case stepped(thread: Int32)
    case finished(thread: Int32)
    case arrived
    case interrupted(thread: Int32)
    case ended(ThreadedOutcome)
    case noEarlierHit
    case race(Int, thread: Int32)
}

/// A debugging session: a program run under Weft's scheduler that can pause anywhere, be
/// inspected, and go back to any earlier position by restoring a snapshot and re-executing
/// (the timeline supplies the same schedule and WASI answers again).
public final class DebugSession {
    public let program: Program
    let runner: ThreadedRunner
    let timeline: Timeline
    /// Line tables and names of the module, when it has them.
    let sourceInfo: ModuleSourceInfo?
    /// The module's translated code (for locations).
    let compiled: CompiledModule
    /// Where the session's text goes (the REPL writes it to stdout).
    public var write: (String) -> Void = { print($0, terminator: "") }
    /// Where the guest's stdout and stderr go when they come from the recording (a trace
    /// session); a live session's guest writes to the host descriptors itself.
    public var replayedOutput: ((Int32, [UInt8]) -> Void)? = { fd, bytes in writeAll(fd, bytes) }
    /// Directories searched for source files (`directory`, `--source-dir`).
    public var sourceDirectories: [String] = []

    var snapshots: [RunnerSnapshot] = []
    /// Instructions between automatic snapshots.
    public var snapshotInterval: UInt64 = 1_000_000
    /// Events between automatic snapshots (whichever interval comes first).
    public var snapshotEventInterval = 20_000
    /// Most snapshots kept; older ones are thinned out (every other one dropped).
    public var maxSnapshots = 256

    public internal(set) var currentThread: Int32 = 0
    /// Commands that failed so far (a batch run exits 1 when any did).
    public internal(set) var errorCount = 0
    /// The selected frame of the current thread (0 = innermost).
    public internal(set) var currentFrame = 0
    var breakpoints: [Breakpoint] = []
    var nextBreakpointNumber = 1
    var siteBuffer: UnsafeMutableBufferPointer<UInt>?
    var watchpoints: [Watchpoint] = [] {
        didSet { updateWatchActive() }
    }
    /// Some watchpoint is enabled and conditions are on (see ``updateWatchActive()``).
    var watchActive = false
    /// Temporary breakpoints that were hit (and deleted), for the stop message.
    var temporaryHits: Set<Int> = []
    /// Why the condition of the breakpoint just hit could not be evaluated.
    var conditionProblem: String?
    /// Accesses that touched a watchpoint, by thread, until the thread pauses after them.
    var pendingWatch: [Int32: (number: Int, old: [UInt8]?, isWrite: Bool, hostCall: String?)] = [:]
    /// Hits seen while scanning a stretch of the run (reverse-continue).
    var collecting: [(Position, Stop)]?
    /// While true, user breakpoints and watchpoints do not fire (going to a position).
    var conditionsOff = false {
        didSet { updateWatchActive() }
    }
    var checkpoints: [Int: Position] = [:]
    var checkpointThreads: [Int: Int32] = [:]
    var sourceCache: [String: [String]] = [:]
    /// `print`'s value history ($1, $2, ...).
    var valueHistory: [Value] = []
    /// `x`'s last format and unit size.
    var lastExamine: (format: Character, unit: Int) = ("x", 4)
    /// Where `list` without an argument goes on.
    var lastListed: (file: String, next: Int)?
    var lastListedFile: String?
    var nextCheckpoint = 1
    /// Per-thread instruction targets to set when the thread appears (re-execution).
    var pendingTargets: [Int32: UInt64] = [:]
    /// The thread whose history is being recorded, and the ring.
    var historyThread: Int32?
    var historyRing: UnsafeMutablePointer<HistoryEntry>?
    static let historyCapacity = 1 << 16
    var historyMaxDepth = Int.max
    /// Set (e.g. by a SIGINT handler) to stop a running command at the next slice boundary.
    public let interrupt: UnsafeMutablePointer<sig_atomic_t> = {
        let p = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    var lastEventWasFirstPass = true
    /// Finds data races in the run, fed only the first time the run passes each point
    /// (re-execution reproduces what it already saw).
    public let races: RaceDetector?
    /// Stop right after the access that reveals a new race.
    public var stopOnRace = false
    /// Where each race was found: the thread and the position before the racing access.
    var racePositions: [(thread: Int32, position: Position)] = []
    var pendingRace: [Int32: Int] = [:]
    /// The furthest position the run has reached; `fresh` while the run is there (observers
    /// that see each point once, like the race detector, are fed only then).
    var frontier = Position(time: 0, events: 0)
    var fresh = true {
        didSet {
            guard fresh != oldValue else { return }
            activity.recording = fresh
            // Threads note the code they run and the memory they touch only while the run is
            // new, and feed the race detector only then.
            for info in runner.threadInfos { info.execution.updateDebug { setFreshState(&$0) } }
        }
    }
    /// What the stretch from each snapshot to the next did (`activities[i]` follows
    /// `snapshots[i]`); the stretch after the last snapshot is still being collected by
    /// `activity`.
    var activities: [SegmentActivity] = []
    /// The header a saved trace of this session gets (a trace session's own; a live session's
    /// from whoever started it, e.g. the CLI with the module bytes and options).
    public var traceHeader: TraceHeader?
    /// Where `--record` writes the run as the session first passes it.
    var recordingWriter: TraceWriter?
    var recordingPath: String?
    /// The memory digest the run's `end` event goes with (computed when the run first ends,
    /// or read from the trace).
    var endDigest: [UInt8]?
    /// Stretches `reverse-continue` re-executed so far (the others it ruled out by activity).
    public internal(set) var stretchesReexecuted = 0
    /// Stretches `continue` and `reverse-continue` did not re-execute because their activity
    /// ruled out every breakpoint and watchpoint.
    public internal(set) var stretchesSkipped = 0
    let activity: ActivityRecorder

    /// A live session: the program runs under `options` and is recorded as it goes.
    public convenience init(program: Program, options: ThreadOptions, detectRaces: Bool = true) throws {
        let timeline = Timeline(live: LiveSchedule(options: options.schedule))
        try self.init(program: program, options: options, timeline: timeline, detectRaces: detectRaces)
    }

    /// A session on a recorded trace (`module` is the embedded one or a `--module`).
    public convenience init(trace reader: TraceReader, module: [UInt8], detectRaces: Bool = true) throws {
        var env: [String: String] = [:]
        for (k, v) in reader.header.environment { env[k] = v }
        let decoded = try Module.decode(module)
        let compiled = try CompiledModule.compile(decoded)
        let program = try Program(compiled: compiled, options: WASIOptions(arguments: reader.header.arguments, environment: env))
        let events = EventStore()
        var end: TraceEnd?
        while let (event, e) = try reader.next() {
            events.append(event)
            if let e { end = e }
        }
        try self.init(program: program, options: reader.header.threadOptions, timeline: Timeline(recorded: events), detectRaces: detectRaces)
        traceHeader = reader.header
        endDigest = end?.memoryDigest
    }

    init(program: Program, options: ThreadOptions, timeline: Timeline, detectRaces: Bool) throws {
        self.program = program
        races = detectRaces ? RaceDetector() : nil
        races?.seed = timeline.live == nil ? nil : options.schedule.seed
        self.timeline = timeline
        compiled = program.compiled
        activity = ActivityRecorder()
        sourceInfo = compiled.sourceDescriber as? ModuleSourceInfo
        runner = ThreadedRunner(program: program, options: options, schedule: timeline, hostCalls: timeline)
        runner.debugging = true
        runner.addObserver(timeline)
        runner.addObserver(SessionObserver(self))
        timeline.clock = { [unowned runner] in runner.currentTime }
        timeline.firstPass = { [unowned self] index in
            self.lastEventWasFirstPass = true
            self.firstPassed(index)
        }
        runner.replayOutput = { [unowned self] fd, bytes in
            // Guest output is shown the first time the run passes it, not again on re-execution.
            if self.lastEventWasFirstPass { self.replayedOutput?(fd, bytes) }
        }
        runner.betweenSlices = { [unowned self] in self.betweenSlices() }
        activity.memoryBytes = { [unowned self] in
            (self.program.importedMemory ?? self.runner.execution(of: 0)?.memory)?.byteCount ?? 0
        }
        if let outcome = try runner.start() {
            throw DebugError("the program ended before its first instruction: \(describeOutcome(outcome))")
        }
        snapshots = [runner.snapshot()]
    }

    deinit {
        for f in compiled.functions { f.clearAllBreakpoints() }
        siteBuffer?.deallocate()
        historyRing?.deallocate()
        interrupt.deallocate()
    }

    /// Snapshots kept now, and the bytes they hold (memory pages shared between snapshots
    /// counted once).
    public var snapshotCount: Int { snapshots.count }
    public var snapshotBytes: Int {
        var total = 0
        var previous: RunnerSnapshot?
        for s in snapshots {
            total += (s.memory?.ownBytes(comparedTo: previous?.memory) ?? 0) + s.threadBytes
            previous = s
        }
        return total
    }

    // MARK: Positions

    public var position: Position { Position(time: runner.time, events: runner.eventCount) }

    /// How the run ended, if the session is at its end.
    public var outcome: ThreadedOutcome? { runner.ended }

    var currentExecution: ExecutionThread? { runner.execution(of: currentThread) }

    func betweenSlices() -> Bool {
        if interrupt.pointee != 0 { return true }
        let last = snapshots.last!
        // Every `snapshotInterval` instructions, or every `snapshotEventInterval` events in a
        // run that mostly schedules (re-executing events costs more than instructions do).
        let due = runner.time >= last.instructionTime &+ snapshotInterval || runner.eventCount >= last.events + snapshotEventInterval
        // Snapshots are taken where the run is new, so each stretch's activity is complete.
        if due, fresh, position > Position(time: last.instructionTime, events: last.events) {
            snapshots.append(runner.snapshot(sharingWith: last))
            activities.append(activity.take())
            if snapshots.count > maxSnapshots { thinSnapshots() }
        }
        return false
    }

    /// Keeps the first snapshot and every other later one (the stretches of the ones dropped
    /// join the stretch before them).
    func thinSnapshots() {
        var kept: [RunnerSnapshot] = []
        var keptActivities: [SegmentActivity] = []
        for (i, s) in snapshots.enumerated() {
            if i == 0 || i % 2 == 1 || i == snapshots.count - 1 {
                kept.append(s)
                if i < activities.count { keptActivities.append(activities[i]) }
            } else {
                keptActivities[keptActivities.count - 1] = keptActivities[keptActivities.count - 1].union(activities[i])
            }
        }
        snapshots = kept
        activities = keptActivities
        snapshotInterval *= 2
        snapshotEventInterval *= 2
    }

    func snapshotPosition(_ s: RunnerSnapshot) -> Position { Position(time: s.instructionTime, events: s.events) }

    /// Restores the latest snapshot at or before `target` that `accept` allows.
    func restore(before target: Position, where accept: (RunnerSnapshot) -> Bool = { _ in true }) {
        let s = snapshots.last { snapshotPosition($0) <= target && accept($0) } ?? snapshots[0]
        runner.restore(s)
        timeline.cursor = s.events
        lastEventWasFirstPass = false
        fresh = position == frontier
    }

    // MARK: Running

    /// Sets every thread's conditions for the next motion.
    func applyConditions(step: StepRange? = nil, stepThread: Int32? = nil, belowDepth: Int = 0, target: (Int32, UInt64)? = nil) {
        for info in runner.threadInfos { configure(info.tid, info.execution, step: step, stepThread: stepThread, belowDepth: belowDepth, target: target) }
        pendingTargets = [:]
        if let target, runner.execution(of: target.0) == nil { pendingTargets[target.0] = target.1 }
        motion = (step, stepThread, belowDepth, target)
    }

    var motion: (step: StepRange?, stepThread: Int32?, belowDepth: Int, target: (Int32, UInt64)?) = (nil, nil, 0, nil)

    /// The debugging settings that depend on whether the run is new.
    func setFreshState(_ d: inout DebugState) {
        d.coverage = fresh ? activity.coverage : nil
        d.coverageMask = ActivityRecorder.coverageMask
        d.readGranules = fresh ? activity.read : nil
        d.writtenGranules = fresh ? activity.written : nil
        d.probeEvents = watchActive || (fresh && races != nil)
    }

    func configure(_ tid: Int32, _ e: ExecutionThread, step: StepRange?, stepThread: Int32?, belowDepth: Int, target: (Int32, UInt64)?) {
        let breakpointsOn = !conditionsOff
        e.updateDebug { d in
            d.breakpointsActive = breakpointsOn
            d.step = tid == stepThread ? step : nil
            d.pauseBelowDepth = tid == stepThread ? belowDepth : 0
            d.pauseAtInstruction = target.flatMap { $0.0 == tid ? $0.1 : nil } ?? .max
            setFreshState(&d)
            if tid == historyThread, let ring = historyRing {
                if d.history != ring { d.historyWritten = 0 }
                d.history = ring
                d.historyCapacity = Self.historyCapacity
                d.historyMaxDepth = historyMaxDepth
            } else {
                d.history = nil
            }
        }
        if !(e.probe is SessionProbe) { e.probe = SessionProbe(session: self, tid: tid, inner: e.probe, activity: activity) }
    }

    func threadStarted(_ tid: Int32, _ e: ExecutionThread) {
        if let races {
            // The detector keeps one probe per guest thread; a re-executed thread gets it back.
            if let probe = races.probe(forThread: tid, movingTo: e) {
                e.probe = probe
            } else {
                races.threadStarted(tid, execution: e)
            }
        }
        let m = motion
        configure(tid, e, step: m.step, stepThread: m.stepThread, belowDepth: m.belowDepth, target: pendingTargets[tid].map { (tid, $0) } ?? m.target)
    }

    /// Runs until something stops the run: a user breakpoint or watchpoint, the motion's own
    /// condition, the end, an interrupt, or `stopAt`.
    func run(stopAt: Position? = nil) throws -> Stop {
        defer {
            runner.stopAt = nil
            if fresh, frontier < position { frontier = position }
        }
        if !fresh, position == frontier { fresh = true }
        while true {
            // Behind the frontier, pause there first: from there on the run is new.
            var target = stopAt
            var atFrontier = false
            if !fresh, target.map({ frontier < $0 }) ?? true {
                target = frontier
                atFrontier = true
            }
            runner.stopAt = target.map { ($0.time, $0.events) }
            let progress: RunProgress
            do {
                progress = try runner.advance()
            } catch let e as DebugError {
                throw e
            } catch {
                throw DebugError("\(error)")
            }
            switch progress {
            case .ended(let outcome):
                return .ended(outcome)
            case .paused(_, .boundary) where atFrontier:
                fresh = true
                continue
            case .paused(let tid, let reason):
                if reason == nil {
                    interrupt.pointee = 0
                    return .interrupted(thread: tid)
                }
                if let stop = try classify(tid, reason!) { return stop }
            }
        }
    }

    /// What a pause means; nil to go on (a breakpoint whose thread or condition does not match).
    func classify(_ tid: Int32, _ reason: PauseReason) throws -> Stop? {
        switch reason {
        case .boundary: return .arrived
        case .instructionTarget: return .stepped(thread: tid)
        case .stepped: return .stepped(thread: tid)
        case .returned: return .finished(thread: tid)
        case .breakpoint:
            guard let e = runner.execution(of: tid) else { return nil }
            let address = e.codeAddress
            var hit: Int?
            for i in breakpoints.indices where breakpoints[i].enabled && breakpoints[i].addresses.contains(address) {
                if let t = breakpoints[i].thread, t != tid { continue }
                if let condition = breakpoints[i].condition {
                    do {
                        if !(try evaluateCondition(condition, thread: tid)) { continue }
                    } catch {
                        // gdb's rule: a condition that cannot be evaluated stops, and says why.
                        conditionProblem = "\(error)"
                    }
                }
                hit = i
                break
            }
            guard let i = hit else { return nil }
            let number = breakpoints[i].number
            if collecting != nil {
                collecting!.append((position, .breakpoint(number, thread: tid)))
                return nil
            }
            breakpoints[i].hits += 1
            if breakpoints[i].temporary {
                temporaryHits.insert(number)
                deleteBreakpoint(number)
            }
            return .breakpoint(number, thread: tid)
        case .requested:
            if let race = pendingRace.removeValue(forKey: tid) {
                if collecting == nil, stopOnRace { return .race(race, thread: tid) }
                if pendingWatch[tid] == nil { return nil }
            }
            guard let hit = pendingWatchHit(thread: tid) else { return nil }
            if collecting != nil {
                collecting!.append((position, .watchpoint(hit)))
                return nil
            }
            return .watchpoint(hit)
        }
    }

    /// Goes to `target` (at or before the end of what the run has reached, or beyond in a live
    /// session) with user breakpoints and watchpoints off.
    func goTo(_ target: Position) throws {
        conditionsOff = true
        defer { conditionsOff = false }
        if target < position || target == position {
            restore(before: target)
        }
        applyConditions()
        if position == target { return }
        _ = try run(stopAt: target)
    }

    /// Goes to where thread `tid` is about to execute its instruction number `count` (0-based).
    func goTo(thread tid: Int32, count: UInt64) throws {
        conditionsOff = true
        defer { conditionsOff = false }
        restore(before: position) { s in (s.instructionCount(of: tid) ?? 0) <= count }
        applyConditions(target: (tid, count))
        while true {
            if let e = runner.execution(of: tid), e.debug.instructionCount == count, e.debug.pauseReason == .instructionTarget { break }
            switch try run() {
            case .stepped(let t) where t == tid: return
            case .ended: return
            default: continue
            }
        }
    }
}

/// Forwards run events a session needs: new threads get its probe and conditions; WASI writes
/// are checked against watchpoints.
final class SessionObserver: RunObserver {
    unowned let session: DebugSession
    init(_ session: DebugSession) { self.session = session }

    func threadStarted(_ thread: Int32, execution: ExecutionThread) {
        session.threadStarted(thread, execution)
    }

    func event(_ event: RunEvent) throws {
        if session.fresh, let races = session.races {
            let known = races.races.count
            try races.event(event)
            if races.races.count > known, let tid = event.thread { session.raceFound(thread: tid, before: false) }
        }
        if case .hostCall(let tid, let record) = event, !record.writes.isEmpty {
            for w in record.writes { session.activity.noteAccess(address: w.address, size: UInt64(w.bytes.count), isWrite: true) }
            session.hostWrites(thread: tid, record)
        }
    }
}

func describeOutcome(_ outcome: ThreadedOutcome) -> String {
    switch outcome {
    case .exited(let code): return "exited with code \(code)"
    case .trapped(let thread, let message): return "thread \(thread) trapped: \(message)"
    case .deadlock(let summary, _): return summary
    case .limitExceeded(let slices): return "stopped after \(slices) scheduling slices (--max-instructions)"
    }
}
