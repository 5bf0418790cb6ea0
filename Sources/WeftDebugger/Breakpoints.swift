import WeftInterpreter
import WeftScheduler

/// A breakpoint: the code addresses of one location, optionally for one thread or under a
/// condition.
struct Breakpoint {
    var number: Int
    /// What the user typed (`worker`, `bank.c:21`, `*0x1a2`).
    var spec: String
    /// Where it resolved, for `info breakpoints`.
    var whereText: String
    var addresses: [UInt]
    var thread: Int32?
    var condition: Condition?
    var temporary: Bool
    var enabled = true
    var hits = 0
}

/// A watchpoint on `length` bytes at `address`.
struct Watchpoint {
    enum Kind: String { case write = "watchpoint", read = "read watchpoint", access = "access watchpoint" }
    var number: Int
    var kind: Kind
    var address: UInt64
    var length: Int
    var enabled = true
    var hits = 0
}

/// A watchpoint firing: which, who, and the value before and after.
struct WatchHit {
    var number: Int
    var kind: Watchpoint.Kind
    var thread: Int32
    var address: UInt64
    var length: Int
    var old: [UInt8]?
    var new: [UInt8]
    var wasWrite: Bool
    /// The access came from this WASI call, not an instruction.
    var hostCall: String?
}

/// The session's probe on each thread: checks memory accesses against watchpoints, and passes
/// everything to `inner` (the race detector's probe) while the run is new.
final class SessionProbe: ExecutionProbe {
    // Read on every memory access: `unowned(unsafe)` spares the reference counting `unowned`
    // does on each use. The session owns the runner, whose threads hold these probes, and a
    // probe is only called while the session runs them.
    unowned(unsafe) let session: DebugSession
    let tid: Int32
    let inner: (any ExecutionProbe)?
    let activity: ActivityRecorder

    /// The race detector's fast entry, if it has one.
    let innerHook: AccessHook?

    init(session: DebugSession, tid: Int32, inner: (any ExecutionProbe)?, activity: ActivityRecorder) {
        self.session = session
        self.tid = tid
        self.inner = inner
        self.activity = activity
        innerHook = inner?.accessHook
    }

    var accessHook: AccessHook? {
        AccessHook(context: Unmanaged.passUnretained(self).toOpaque()) { context, thread, address, size, flags in
            Unmanaged<SessionProbe>.fromOpaque(context)._withUnsafeGuaranteedRef { probe in
                AccessHook.withThread(thread) { t in probe.access(t, thread, address, size, flags) }
            }
        }
    }

    @inline(__always)
    func access(_ thread: ExecutionThread, _ raw: UnsafeMutableRawPointer, _ address: UInt64, _ size: Int, _ flags: UInt32) {
        if session.fresh, let hook = innerHook {
            let known = session.races?.races.count ?? 0
            hook.function(hook.context, raw, address, size, flags)
            if (session.races?.races.count ?? 0) > known { session.raceFound(thread: tid, before: true) }
        } else {
            toDetector { $0.memoryAccess(thread: thread, address: address, size: size, isWrite: flags & AccessHook.write != 0, isAtomic: flags & AccessHook.atomic != 0) }
        }
        if session.watchActive {
            session.checkWatch(thread: thread, tid: tid, address: address, size: UInt64(size), isWrite: flags & AccessHook.write != 0, hostCall: nil)
        }
    }

    // The interpreter marks the session's activity bitmaps itself; the probe is called only
    // while a watchpoint is enabled or the race detector is being fed.
    func memoryAccess(thread: ExecutionThread, address: UInt64, size: Int, isWrite: Bool, isAtomic: Bool) {
        toDetector { $0.memoryAccess(thread: thread, address: address, size: size, isWrite: isWrite, isAtomic: isAtomic) }
        if session.watchActive { session.checkWatch(thread: thread, tid: tid, address: address, size: UInt64(size), isWrite: isWrite, hostCall: nil) }
    }

    func bulkAccess(thread: ExecutionThread, address: UInt64, size: UInt64, isWrite: Bool) {
        toDetector { $0.bulkAccess(thread: thread, address: address, size: size, isWrite: isWrite) }
        if session.watchActive, size > 0 { session.checkWatch(thread: thread, tid: tid, address: address, size: size, isWrite: isWrite, hostCall: nil) }
    }

    /// Passes an access to the race detector while the run is new, and notes a race it finds.
    @inline(__always)
    private func toDetector(_ access: (any ExecutionProbe) -> Void) {
        guard session.fresh, let inner else { return }
        let known = session.races?.races.count ?? 0
        access(inner)
        if (session.races?.races.count ?? 0) > known { session.raceFound(thread: tid, before: true) }
    }

    func call(thread: ExecutionThread, function: FunctionRef) {
        if session.fresh { inner?.call(thread: thread, function: function) }
    }

    func `return`(thread: ExecutionThread) {
        if session.fresh { inner?.return(thread: thread) }
    }

    func synchronization(thread: ExecutionThread, kind: SyncKind, address: UInt64) {
        if session.fresh { inner?.synchronization(thread: thread, kind: kind, address: address) }
    }
}

extension DebugSession {
    /// The race detector reported a new race at thread `tid`'s current access (`before`: the
    /// instruction is executing, so the position before it is one instruction back).
    func raceFound(thread tid: Int32, before: Bool) {
        guard let races else { return }
        while racePositions.count < races.races.count {
            let now = runner.currentTime
            racePositions.append((tid, Position(time: before && now > 0 ? now - 1 : now, events: runner.eventCount)))
        }
        if stopOnRace, let e = runner.execution(of: tid) {
            pendingRace[tid] = races.races.count
            e.requestPause()
        }
    }
}

extension DebugSession {
    /// Whether an access must be checked against watchpoints (kept in `watchActive`, which
    /// every access reads).
    func updateWatchActive() {
        let active = !conditionsOff && watchpoints.contains { $0.enabled }
        guard active != watchActive else { return }
        watchActive = active
        for info in runner.threadInfos { info.execution.updateDebug { setFreshState(&$0) } }
    }

    /// An access by `tid` of `size` bytes at `address`, before it happens: a watched range it
    /// touches makes the thread pause right after it.
    func checkWatch(thread: ExecutionThread, tid: Int32, address: UInt64, size: UInt64, isWrite: Bool, hostCall: String?) {
        for w in watchpoints where w.enabled {
            guard address < w.address &+ UInt64(w.length), w.address < address &+ size else { continue }
            switch w.kind {
            case .write: guard isWrite else { continue }
            case .read: guard !isWrite else { continue }
            case .access: break
            }
            let old = readMemory(w.address, w.length)
            pendingWatch[tid] = (w.number, old, isWrite, hostCall)
            thread.requestPause()
            return
        }
    }

    /// WASI calls that stored into guest memory (checked after the fact: the old value of a
    /// live call is gone, a replayed one's is still there).
    func hostWrites(thread tid: Int32, _ record: HostCallRecord) {
        guard watchActive, let e = runner.execution(of: tid) else { return }
        for write in record.writes {
            checkWatch(thread: e, tid: tid, address: write.address, size: UInt64(write.bytes.count), isWrite: true, hostCall: record.name)
            if pendingWatch[tid] != nil { return }
        }
    }

    /// The watch hit a pause with reason `requested` stands for; nil when a write watchpoint's
    /// value did not change (gdb's rule: a watchpoint fires on change).
    func pendingWatchHit(thread tid: Int32) -> WatchHit? {
        guard let pending = pendingWatch.removeValue(forKey: tid),
            let w = watchpoints.first(where: { $0.number == pending.number })
        else { return nil }
        let new = readMemory(w.address, w.length) ?? []
        if w.kind == .write, pending.hostCall == nil, let old = pending.old, old == new { return nil }
        if collecting == nil, let i = watchpoints.firstIndex(where: { $0.number == w.number }) { watchpoints[i].hits += 1 }
        return WatchHit(
            number: w.number, kind: w.kind, thread: tid, address: w.address, length: w.length,
            old: pending.hostCall == nil ? pending.old : nil, new: new, wasWrite: pending.isWrite, hostCall: pending.hostCall)
    }

    func readMemory(_ address: UInt64, _ length: Int) -> [UInt8]? {
        guard let m = program.importedMemory ?? currentExecution?.memory, let b = m.bytes(at: address, count: length) else { return nil }
        return Array(b)
    }

    // MARK: Breakpoint table

    /// Rebuilds the code-address list every thread checks.
    /// Patches the enabled breakpoints into the code (and takes out the others); the
    /// addresses stay in `siteBuffer` for `info` and the stretch summaries.
    func rebuildSites() {
        let old = siteBuffer.map { Set($0) } ?? []
        siteBuffer?.deallocate()
        siteBuffer = nil
        let all = breakpoints.filter(\.enabled).flatMap(\.addresses)
        if !all.isEmpty {
            let b = UnsafeMutableBufferPointer<UInt>.allocate(capacity: all.count)
            _ = b.initialize(from: all)
            siteBuffer = b
        }
        let new = Set(all)
        for address in old.subtracting(new) { function(containingCode: address)?.clearBreakpoint(atCodeAddress: address) }
        for address in new.subtracting(old) { function(containingCode: address)?.setBreakpoint(atCodeAddress: address) }
        applyConditions()
    }

    /// The function whose code holds `address`.
    func function(containingCode address: UInt) -> CompiledFunction? {
        compiled.functions.first { $0.contains(codeAddress: address) }
    }

    /// The code addresses whose coverage marks show that the instruction at `address` may
    /// have run (see ``CompiledFunction/coverageCandidates(ofCodeAddress:)``).
    func coverageCandidates(_ address: UInt) -> [UInt] {
        function(containingCode: address)?.coverageCandidates(ofCodeAddress: address) ?? [address]
    }

    @discardableResult
    func deleteBreakpoint(_ number: Int) -> Bool {
        if let i = breakpoints.firstIndex(where: { $0.number == number }) {
            breakpoints.remove(at: i)
            rebuildSites()
            return true
        }
        if let i = watchpoints.firstIndex(where: { $0.number == number }) {
            watchpoints.remove(at: i)
            return true
        }
        return false
    }
}

extension RunnerSnapshot {
    /// Thread `tid`'s instruction count in this snapshot; nil when it did not exist yet.
    func instructionCount(of tid: Int32) -> UInt64? {
        threadCounts[tid]
    }
}
