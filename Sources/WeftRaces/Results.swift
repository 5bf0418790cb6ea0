import Foundation
import WeftScheduler

/// The merged findings of many schedules: what `weft races` prints and writes as JSON (schema
/// in docs/races.md). Results of disjoint seed ranges (shards) combine with ``merge(_:)``.
public struct RaceCheckResult: Equatable, Sendable {
    /// A data race with the first (lowest) seed that showed it and how many schedules did.
    public struct Race: Equatable, Sendable {
        public var race: DataRace
        public var seed: UInt64
        public var schedules: Int
    }
    public struct Deadlock: Equatable, Sendable {
        public var seed: UInt64
        public var summary: String
        public var threads: [String]
    }
    public struct TrapFinding: Equatable, Sendable {
        public var seed: UInt64
        public var thread: Int32
        public var message: String
    }
    public struct Exit: Equatable, Sendable {
        public var seed: UInt64
        public var code: Int32
        public var reason: String
    }
    public struct Divergence: Equatable, Sendable {
        public var seed: UInt64
        public var referenceSeed: UInt64
        public var digest: String
        public var referenceDigest: String
    }

    public var module: String
    public var schedule: String
    /// Every seed that ran, ascending.
    public var seeds: [UInt64]
    public var races: [Race] = []
    public var deadlocks: [Deadlock] = []
    public var traps: [TrapFinding] = []
    /// Runs that exited with a non-zero code (not traps or deadlocks), or hit the slice limit.
    public var exits: [Exit] = []
    /// Digest of guest stdout → the seeds that printed it.
    public var outputs: [String: [UInt64]] = [:]

    public var schedules: Int { seeds.count }

    /// Measurements over the runs of this invocation (not kept in JSON): the largest shadow
    /// memory, guest memory touched (in 4 KiB pages and in 64-byte lines), and guest memory
    /// size of any schedule.
    public var peakShadowBytes = 0
    public var peakTouchedGuestBytes = 0
    public var peakTouchedLineBytes = 0
    public var peakGuestMemoryBytes = 0

    /// Schedules whose stdout differs from that of the lowest seed.
    public var divergentOutputs: [Divergence] {
        guard let first = seeds.first, let reference = outputs.first(where: { $0.value.contains(first) })?.key else { return [] }
        var result: [Divergence] = []
        for (digest, seeds) in outputs where digest != reference {
            for s in seeds { result.append(Divergence(seed: s, referenceSeed: first, digest: digest, referenceDigest: reference)) }
        }
        return result.sorted { $0.seed < $1.seed }
    }

    /// True when anything was found (the exit status is then 1).
    public var hasFindings: Bool {
        !races.isEmpty || !deadlocks.isEmpty || !traps.isEmpty || !exits.isEmpty || !divergentOutputs.isEmpty
    }

    public init(module: String, schedule: String, seeds: [UInt64]) {
        self.module = module
        self.schedule = schedule
        self.seeds = seeds.sorted()
    }

    init(module: String, schedule: String, runs: [ScheduleRun]) {
        self.init(module: module, schedule: schedule, seeds: runs.map(\.seed))
        for run in runs.sorted(by: { $0.seed < $1.seed }) {
            for r in run.races { addRace(Race(race: r, seed: run.seed, schedules: 1)) }
            switch run.outcome {
            case .exited(0): break
            case .exited(let c): exits.append(Exit(seed: run.seed, code: Int32(c), reason: "exit code \(c)"))
            case .trapped(let thread, let message): traps.append(TrapFinding(seed: run.seed, thread: thread, message: message))
            case .deadlock(let summary, let threads): deadlocks.append(Deadlock(seed: run.seed, summary: summary, threads: threads))
            case .limitExceeded(let slices):
                exits.append(Exit(seed: run.seed, code: ThreadExitStatus.limitExceeded, reason: "stopped after \(slices) scheduling slices"))
            }
            outputs[digest(run.stdout), default: []].append(run.seed)
            peakShadowBytes = max(peakShadowBytes, run.peakShadowBytes)
            peakTouchedGuestBytes = max(peakTouchedGuestBytes, run.touchedGuestBytes)
            peakTouchedLineBytes = max(peakTouchedLineBytes, run.touchedLineBytes)
            peakGuestMemoryBytes = max(peakGuestMemoryBytes, run.guestMemoryBytes)
        }
    }

    mutating func addRace(_ r: Race) {
        if let i = races.firstIndex(where: { $0.race.key == r.race.key }) {
            races[i].schedules += r.schedules
            if r.seed < races[i].seed {
                let count = races[i].schedules
                races[i] = r
                races[i].schedules = count
            }
        } else {
            races.append(r)
        }
    }

    /// Combines results of disjoint seed ranges of the same module and schedule kind.
    public static func merge(_ parts: [RaceCheckResult]) throws -> RaceCheckResult {
        guard let first = parts.first else { throw RaceToolError("nothing to merge") }
        for p in parts where p.schedule != first.schedule {
            throw RaceToolError("cannot merge results of different schedule kinds (\(first.schedule), \(p.schedule))")
        }
        var all = RaceCheckResult(module: first.module, schedule: first.schedule, seeds: parts.flatMap(\.seeds))
        guard Set(all.seeds).count == all.seeds.count else { throw RaceToolError("the results share seeds: merge disjoint shards only") }
        for p in parts {
            for r in p.races { all.addRace(r) }
            all.deadlocks += p.deadlocks
            all.traps += p.traps
            all.exits += p.exits
            for (d, s) in p.outputs { all.outputs[d, default: []] += s }
        }
        all.races.sort { $0.seed < $1.seed }
        all.deadlocks.sort { $0.seed < $1.seed }
        all.traps.sort { $0.seed < $1.seed }
        all.exits.sort { $0.seed < $1.seed }
        for k in all.outputs.keys { all.outputs[k]!.sort() }
        return all
    }

    /// The human-readable summary: every distinct race's report, then one line per other finding.
    public var text: String {
        var lines: [String] = []
        for r in races {
            var race = r.race
            race.seed = r.seed
            lines.append(race.report)
            if r.schedules > 1 { lines.append("(seen in \(r.schedules) schedules)") }
        }
        for d in deadlocks {
            lines.append("deadlock (seed \(d.seed)): \(d.summary)")
            lines += d.threads.map { "  \($0)" }
        }
        for t in traps { lines.append("trap (seed \(t.seed)): \(t.message), thread \(t.thread)") }
        for e in exits { lines.append("non-zero exit (seed \(e.seed)): \(e.reason)") }
        for d in divergentOutputs { lines.append("divergent output (seed \(d.seed)): stdout differs from seed \(d.referenceSeed)'s") }
        lines.append("weft races: \(schedules) schedule\(schedules == 1 ? "" : "s") (\(schedule)), \(races.count) data race\(races.count == 1 ? "" : "s"), "
            + "\(deadlocks.count) deadlock\(deadlocks.count == 1 ? "" : "s"), \(traps.count) trap\(traps.count == 1 ? "" : "s"), "
            + "\(exits.count) non-zero exit\(exits.count == 1 ? "" : "s"), \(divergentOutputs.count) divergent output\(divergentOutputs.count == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }
}

/// FNV-1a, 64-bit, as 16 hex digits: a stable digest of guest output.
func digest(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
    }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}
