import WeftInterpreter
import WeftScheduler

/// Going back: every reverse command restores a snapshot from before the current position and
/// re-executes (same schedule, same WASI answers) to find its target, then goes there.
extension DebugSession {
    func reverseContinue() throws {
        let now = position
        var segmentEnd = now
        var candidates = snapshots.indices.filter { snapshotPosition(snapshots[$0]) < now }
        let mayHit = hitFilter()
        defer { collecting = nil }
        while let index = candidates.popLast() {
            let snapshot = snapshots[index]
            // A stretch whose activity rules out every breakpoint and watchpoint is skipped.
            let summary = index < activities.count ? activities[index] : activity.current()
            guard mayHit(summary) else {
                stretchesSkipped += 1
                segmentEnd = snapshotPosition(snapshot)
                continue
            }
            stretchesReexecuted += 1
            restore(before: snapshotPosition(snapshot))
            collecting = []
            applyConditions()
            _ = try run(stopAt: segmentEnd)
            let hits = (collecting ?? []).filter { $0.0 < now }
            collecting = nil
            if let (at, stop) = hits.last {
                try goTo(at)
                if case .breakpoint(let n, _) = stop, let i = breakpoints.firstIndex(where: { $0.number == n }) { breakpoints[i].hits += 1 }
                if case .watchpoint(let hit) = stop, let i = watchpoints.firstIndex(where: { $0.number == hit.number }) { watchpoints[i].hits += 1 }
                report(stop)
                return
            }
            segmentEnd = snapshotPosition(snapshot)
        }
        try goTo(Position(time: 0, events: 0))
        currentThread = 0
        currentFrame = 0
        report(.noEarlierHit)
    }

    /// Whether a stretch with a given activity can hold a hit of an enabled breakpoint or
    /// watchpoint.
    func hitFilter() -> (SegmentActivity) -> Bool {
        let sites = Array(Set(breakpoints.filter(\.enabled).flatMap(\.addresses))).map(coverageCandidates)
        let watched = watchpoints.filter(\.enabled)
        return { a in
            if sites.contains(where: { a.ranAny($0) }) { return true }
            return watched.contains { w in
                let ranges = w.kind == .write ? a.written : a.touched
                return ranges.overlaps(address: w.address, length: UInt64(w.length))
            }
        }
    }

    func reverseStepInstruction() throws {
        guard let e = currentExecution else { throw DebugError("no thread") }
        let count = e.debug.instructionCount
        guard count > 0 else { throw DebugError("thread \(currentThread) is at its first instruction") }
        let tid = currentThread
        try goTo(thread: tid, count: count - 1)
        currentFrame = 0
        showLocation(thread: tid, instruction: true)
    }

    func reverseStep(into: Bool) throws {
        guard let e = currentExecution else { throw DebugError("no thread") }
        let tid = currentThread
        let count = e.debug.instructionCount
        guard count > 0 else { throw DebugError("thread \(tid) is at its first instruction") }
        guard let line = lineOf(e) else { return try reverseStepInstruction() }
        let depth = e.callDepth
        let function = e.stackFrames().first.map { UInt(truncatingIfNeeded: $0.function.bits) } ?? 0
        let target = try searchHistory(thread: tid, maxDepth: into ? .max : depth) { entries in
            // Newest first: skip the rest of this line, then find where the previous line began.
            var i = entries.count - 1
            func lineAt(_ k: Int) -> SourceLine? { self.sourceLine(codeAddress: entries[k].codeAddress) }
            while i >= 0, entries[i].depth == depth, entries[i].function == function, lineAt(i) == line { i -= 1 }
            while i >= 0, lineAt(i) == nil { i -= 1 }
            guard i >= 0 else { return nil }
            let previous = (lineAt(i), entries[i].depth, entries[i].function)
            var k = i
            while k > 0, (lineAt(k - 1), entries[k - 1].depth, entries[k - 1].function) == previous { k -= 1 }
            if k == 0, entries.count == Self.historyCapacity { return entries[0].count }
            return k == 0 && entries[0].count != 0 ? nil : entries[k].count
        }
        guard let target else { throw DebugError("no earlier source line in thread \(tid)") }
        try goTo(thread: tid, count: target)
        currentFrame = 0
        showLocation(thread: tid)
    }

    func reverseFinish() throws {
        guard let shown = selectedSourceFrame() else { throw DebugError("no frame selected") }
        if shown.isInlined {
            throw DebugError("\"reverse-finish\" cannot leave inlined frame #\(shown.number) (\(shown.function)); select the frame it is inlined into")
        }
        let frame = shown.wasm
        let tid = currentThread
        guard frame.depth > 0 else { throw DebugError("\"reverse-finish\" not meaningful in the outermost frame") }
        let callerDepth = frame.depth - 1
        let target = try searchHistory(thread: tid, maxDepth: callerDepth) { entries in
            entries.last { $0.depth == callerDepth }?.count
        }
        guard let target else { throw DebugError("cannot find where \(frame.name) was called") }
        try goTo(thread: tid, count: target)
        currentFrame = 0
        say("Run back to call of #\(shown.number) \(frame.name)")
        showLocation(thread: tid)
    }

    /// Re-executes from snapshots before the current position (newest first) with thread
    /// `tid`'s instructions at depth ≤ `maxDepth` recorded, until `analyze` finds a target
    /// instruction count in that history (oldest entry first).
    func searchHistory(thread tid: Int32, maxDepth: Int, analyze: ([HistoryEntry]) -> UInt64?) throws -> UInt64? {
        let now = position
        guard let count = currentExecution?.debug.instructionCount else { return nil }
        if historyRing == nil { historyRing = .allocate(capacity: Self.historyCapacity) }
        historyThread = tid
        historyMaxDepth = maxDepth
        conditionsOff = true
        defer {
            historyThread = nil
            conditionsOff = false
        }
        var candidates = snapshots.filter { snapshotPosition($0) < now }
        while let snapshot = candidates.popLast() {
            restore(before: snapshotPosition(snapshot))
            // Restart the thread's ring for this pass.
            runner.execution(of: tid)?.updateDebug { $0.history = nil }
            applyConditions()
            _ = try run(stopAt: now)
            guard let e = runner.execution(of: tid), let ring = historyRing else { continue }
            let written = e.debug.historyWritten
            let n = min(written, Self.historyCapacity)
            var entries: [HistoryEntry] = []
            entries.reserveCapacity(n)
            for k in (written - n)..<written { entries.append(ring[k & (Self.historyCapacity - 1)]) }
            entries.removeAll { $0.count >= count }
            if let target = analyze(entries) {
                applyConditions()
                return target
            }
            if written > Self.historyCapacity { break }
        }
        return nil
    }

    /// The source line of a code address.
    func sourceLine(codeAddress: UInt) -> SourceLine? {
        sourceLocation(of: codeAddress).map { SourceLine(file: $0.path, line: $0.line) }
    }
}
