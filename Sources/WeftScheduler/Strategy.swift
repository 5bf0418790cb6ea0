/// A small, seedable, platform-independent PRNG (SplitMix64): the same seed gives the same
/// sequence everywhere, which schedules depend on.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0..<bound without modulo bias worth caring about for scheduling.
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }
}

/// How the scheduler picks the next thread at each scheduling point.
public enum ScheduleKind: String, CaseIterable, Sendable {
    /// Round robin: a thread runs until its quantum is used up or it blocks.
    case rr
    /// Uniformly random among the runnable threads at every scheduling point.
    case random
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): random distinct thread
    /// priorities, the highest-priority runnable thread runs, and at `depth - 1` random steps the
    /// running thread drops below every initial priority. Starvation avoidance: a thread that
    /// uses ``ScheduleOptions/pctStarvationQuanta`` whole slices without blocking, spawning or
    /// being lowered drops below every thread, so a spin loop cannot starve the thread it waits for.
    case pct
}

/// The scheduling parameters of a run. Together with the module and its inputs they determine
/// the execution exactly.
public struct ScheduleOptions: Sendable, Equatable {
    public var kind: ScheduleKind = .rr
    public var seed: UInt64 = 0
    /// Yield points (loop back edges and calls) a thread may run before round robin preempts it.
    public var quantum: Int = 10_000
    /// PCT's bug depth d: d - 1 priority change points.
    public var pctDepth: Int = 3
    /// PCT's estimate of the number of scheduling steps, over which change points are spread.
    public var pctSteps: Int = 100_000

    /// PCT's starvation bound K: a thread whose slice has ended by budget K times since it last
    /// blocked, exited, spawned a thread or had its priority lowered drops below every other
    /// thread, so a spin loop cannot starve the thread it waits for. A constant, not an option,
    /// so that a seed and depth keep meaning one schedule (and traces need not record it).
    ///
    /// Why 8 (docs/scheduling.md): that is K × (quantum + 1) / 2 yield points on average without
    /// blocking, about 40 000 at the default quantum, so work that blocks or ends sooner keeps
    /// PCT's priority order; a much smaller K turns PCT into a coarse round robin, a much larger
    /// one makes every spinning episode proportionally longer (each demotion costs the spinner K
    /// slices).
    public static let pctStarvationQuanta = 8

    public init() {}
}

/// Decides which thread runs. Threads are identified by their wasi-threads id.
struct Scheduler {
    let options: ScheduleOptions
    var rng: SplitMix64
    /// PCT: priority per thread id (higher runs first).
    var priorities: [Int32: Int] = [:]
    var changePoints: [Int] = []
    var step = 0
    var nextLowPriority = 0
    /// PCT starvation avoidance: the thread picked last, slices each thread ended by budget since
    /// it last blocked, exited, spawned or was lowered, and the next priority below all others.
    var lastPicked: Int32?
    var wholeQuanta: [Int32: Int] = [:]
    var nextStarvedPriority = -1

    init(options: ScheduleOptions) {
        self.options = options
        rng = SplitMix64(seed: options.seed)
        if options.kind == .pct {
            changePoints = (0..<max(options.pctDepth - 1, 0)).map { _ in 1 + rng.below(options.pctSteps) }.sorted()
        }
    }

    /// A new thread appeared (PCT gives it a random priority above all lowered ones). Its parent,
    /// the thread running now, has made progress: its starvation count starts again.
    mutating func threadCreated(_ tid: Int32) {
        guard options.kind == .pct else { return }
        priorities[tid] = options.pctDepth + 1 + rng.below(1 << 30)
        if let parent = lastPicked { wholeQuanta[parent] = 0 }
    }

    /// Picks among `runnable` (sorted by id). `current` is the thread that just stopped, if it can
    /// go on, and `preempted` whether its quantum ran out.
    mutating func pick(runnable: [Int32], current: Int32?, preempted: Bool) -> Int32 {
        step += 1
        switch options.kind {
        case .rr:
            if let current, !preempted, runnable.contains(current) { return current }
            guard let current else { return runnable[0] }
            return runnable.first { $0 > current } ?? runnable[0]
        case .random:
            return runnable[rng.below(runnable.count)]
        case .pct:
            // A change point lowers the thread that ran the step, also when that step ended by
            // blocking or exiting (then it is not `current`): the i-th change point gives it
            // priority d - i, below every initial priority (PCT's rule).
            if let point = changePoints.first, point <= step, let ran = current ?? lastPicked {
                changePoints.removeFirst()
                priorities[ran] = options.pctDepth - 1 - nextLowPriority
                nextLowPriority += 1
                wholeQuanta[ran] = 0
                if let current, current != ran { wholeQuanta[current] = 0 }
            } else if let current {
                if preempted { wholeQuanta[current, default: 0] += 1 }
                if wholeQuanta[current, default: 0] >= ScheduleOptions.pctStarvationQuanta {
                    // Starvation avoidance: below every thread, lowered ones included, so the
                    // thread it may be spinning on (whatever its priority) gets to run.
                    priorities[current] = nextStarvedPriority
                    nextStarvedPriority -= 1
                    wholeQuanta[current] = 0
                }
            } else if let last = lastPicked {
                // The thread that ran last blocked, slept or exited.
                wholeQuanta[last] = 0
            }
            let next = runnable.max { (priorities[$0] ?? 0, -$0) < (priorities[$1] ?? 0, -$1) } ?? runnable[0]
            lastPicked = next
            return next
        }
    }

    /// The budget (yield points) for the next slice.
    mutating func quantum() -> Int {
        switch options.kind {
        case .rr: return options.quantum
        case .random, .pct: return 1 + rng.below(options.quantum)
        }
    }
}
