import WeftInterpreter
import WeftScheduler

/// A debugger command: its names (the first is the full one) and what it does.
struct CommandSpec: Sendable {
    var names: [String]
    var usage: String
    var summary: String
    /// Repeated by an empty line (gdb's habit for motion commands).
    var repeats = false
    var run: @Sendable (DebugSession, String) throws -> Void
}

/// What the front end does after a command.
public enum CommandOutcome: Equatable {
    case proceed
    case quit
}

extension DebugSession {
    static let commands: [CommandSpec] = [
        // Running
        CommandSpec(names: ["run", "r"], usage: "run", summary: "Start again from the beginning and continue.") { s, _ in try s.restartAndContinue() },
        CommandSpec(names: ["continue", "c"], usage: "continue", summary: "Run until a breakpoint, watchpoint, the end, or Ctrl-C.", repeats: true) { s, _ in try s.continueForward() },
        CommandSpec(names: ["step", "s"], usage: "step [N]", summary: "Run to the next source line, entering calls.", repeats: true) { s, a in try s.repeatCount(a) { try s.stepLine(into: true) } },
        CommandSpec(names: ["next", "n"], usage: "next [N]", summary: "Run to the next source line, stepping over calls.", repeats: true) { s, a in try s.repeatCount(a) { try s.stepLine(into: false) } },
        CommandSpec(names: ["stepi", "si"], usage: "stepi [N]", summary: "Execute one instruction of the current thread.", repeats: true) { s, a in try s.stepInstruction(count: try s.countArgument(a)) },
        CommandSpec(names: ["finish", "fin"], usage: "finish", summary: "Run until the selected frame returns.", repeats: true) { s, _ in try s.finishFrame() },
        CommandSpec(names: ["until", "u"], usage: "until [LOCATION]", summary: "Run to a greater source line in this frame (or to LOCATION).", repeats: true) { s, a in try s.until(a) },
        CommandSpec(names: ["advance"], usage: "advance LOCATION", summary: "Run until LOCATION is reached.") { s, a in try s.until(a) },
        // Going back
        CommandSpec(names: ["reverse-continue", "rc"], usage: "reverse-continue", summary: "Run backwards to the last breakpoint or watchpoint hit.", repeats: true) { s, _ in try s.reverseContinue() },
        CommandSpec(names: ["reverse-step", "rs"], usage: "reverse-step", summary: "Run backwards to the start of the previous source line, entering calls.", repeats: true) { s, _ in try s.reverseStep(into: true) },
        CommandSpec(names: ["reverse-next", "rn"], usage: "reverse-next", summary: "Run backwards to the start of the previous source line in this frame.", repeats: true) { s, _ in try s.reverseStep(into: false) },
        CommandSpec(names: ["reverse-stepi", "rsi"], usage: "reverse-stepi", summary: "Go back one instruction of the current thread.", repeats: true) { s, _ in try s.reverseStepInstruction() },
        CommandSpec(names: ["reverse-finish"], usage: "reverse-finish", summary: "Go back to the call of the selected frame's function.", repeats: true) { s, _ in try s.reverseFinish() },
        CommandSpec(names: ["when"], usage: "when", summary: "Show the current position (event index, instruction counts).") { s, _ in s.showWhen() },
        CommandSpec(names: ["goto"], usage: "goto EVENT", summary: "Go to the position of trace event EVENT (see `events`).") { s, a in try s.gotoEvent(a) },
        CommandSpec(names: ["save"], usage: "save trace FILE | save breakpoints FILE", summary: "Write the run so far as a trace (for weft replay and weft debug), or the breakpoints as commands for -x.") { s, a in try s.saveCommand(a) },
        CommandSpec(names: ["checkpoint"], usage: "checkpoint", summary: "Remember the current position as a numbered checkpoint.") { s, _ in s.makeCheckpoint() },
        CommandSpec(names: ["restart"], usage: "restart N", summary: "Go to checkpoint N.") { s, a in try s.restartCheckpoint(a) },
        // Breakpoints
        CommandSpec(names: ["break", "b", "br"], usage: "break LOCATION [thread N] [if EXPR]", summary: "Stop before LOCATION: FUNCTION, FUNCTION+0xOFF, *0xOFF, FILE:LINE or LINE.") { s, a in try s.addBreakpoint(a, temporary: false) },
        CommandSpec(names: ["tbreak"], usage: "tbreak LOCATION [thread N] [if EXPR]", summary: "Like break, deleted when first hit.") { s, a in try s.addBreakpoint(a, temporary: true) },
        CommandSpec(names: ["delete", "d"], usage: "delete [N...]", summary: "Delete breakpoints and watchpoints (all without N).") { s, a in try s.deleteCommand(a) },
        CommandSpec(names: ["disable"], usage: "disable [N...]", summary: "Disable breakpoints and watchpoints.") { s, a in try s.enableCommand(a, enabled: false) },
        CommandSpec(names: ["enable"], usage: "enable [N...]", summary: "Enable breakpoints and watchpoints.") { s, a in try s.enableCommand(a, enabled: true) },
        CommandSpec(names: ["watch"], usage: "watch EXPR [LENGTH]", summary: "Stop after any thread changes what EXPR names in memory (or LENGTH bytes at the address EXPR).") { s, a in try s.addWatchpoint(a, kind: .write) },
        CommandSpec(names: ["rwatch"], usage: "rwatch EXPR [LENGTH]", summary: "Stop after any thread reads them.") { s, a in try s.addWatchpoint(a, kind: .read) },
        CommandSpec(names: ["awatch"], usage: "awatch EXPR [LENGTH]", summary: "Stop after any thread reads or writes them.") { s, a in try s.addWatchpoint(a, kind: .access) },
        // Threads and frames
        CommandSpec(names: ["thread", "t"], usage: "thread [N]", summary: "Switch to thread N (show the current one without N).") { s, a in try s.switchThread(a) },
        CommandSpec(names: ["backtrace", "bt", "where"], usage: "backtrace [N | all]", summary: "Show the call stack (N innermost frames; every thread's with `all`).") { s, a in try s.backtraceCommand(a) },
        CommandSpec(names: ["frame", "f"], usage: "frame [N]", summary: "Select frame N (show the selected one without N).") { s, a in try s.frameCommand(a) },
        CommandSpec(names: ["up"], usage: "up [N]", summary: "Select the caller's frame.") { s, a in try s.moveFrame(Int(try s.countArgument(a))) },
        CommandSpec(names: ["down"], usage: "down [N]", summary: "Select the callee's frame.") { s, a in try s.moveFrame(-Int(try s.countArgument(a))) },
        // Data
        CommandSpec(names: ["print", "p", "inspect"], usage: "print[/FMT] EXPR", summary: "Show a value: a C expression (p->count, arr[2] + 1, *(int *) 0x100158), $localN, $argN, $globalN, $N.") { s, a in try s.printCommand(a) },
        CommandSpec(names: ["whatis"], usage: "whatis EXPR", summary: "Show the type of EXPR (or of a type name).") { s, a in try s.typeCommand(a, expand: false) },
        CommandSpec(names: ["ptype"], usage: "ptype EXPR", summary: "Show the type of EXPR (or a type name) with its structure, union or enum written out.") { s, a in try s.typeCommand(a, expand: true) },
        CommandSpec(names: ["x"], usage: "x/NFU ADDRESS", summary: "Examine memory: N units, format x d u o t c a s (strings), unit b h w g.") { s, a in try s.examineCommand(a) },
        CommandSpec(names: ["info", "i"], usage: "info WHAT", summary: "threads, breakpoints, locals, args, globals, frame, source, checkpoints, all-registers.") { s, a in try s.infoCommand(a) },
        CommandSpec(names: ["list", "l"], usage: "list [LOCATION]", summary: "Show source lines around the current position or LOCATION.", repeats: true) { s, a in try s.listCommand(a) },
        CommandSpec(names: ["disassemble"], usage: "disassemble", summary: "Show the instructions around the current one.") { s, _ in try s.disassembleCommand() },
        CommandSpec(names: ["directory", "dir"], usage: "directory DIR", summary: "Also look for source files in DIR.") { s, a in s.addSourceDirectory(a) },
        // Weft
        CommandSpec(names: ["events"], usage: "events [N]", summary: "Show the N (10) run events before and after the current position.") { s, a in try s.eventsCommand(a) },
        CommandSpec(names: ["schedule"], usage: "schedule [N]", summary: "Show the next N (10) thread switches, when known.") { s, a in try s.scheduleCommand(a) },
        CommandSpec(names: ["races"], usage: "races", summary: "List the data races found so far in this run, numbered.") { s, _ in try s.racesCommand() },
        CommandSpec(names: ["race"], usage: "race N", summary: "Go to the second access of race N and show its report.") { s, a in try s.raceCommand(a) },
        CommandSpec(names: ["help", "h"], usage: "help [COMMAND]", summary: "List commands, or describe one.") { s, a in try s.helpCommand(a) },
    ]

    static func command(named name: String) -> CommandSpec? {
        commands.first { $0.names.contains(name) }
    }

    /// Runs one command line; errors become one line of output and the session goes on.
    public func execute(_ line: String) -> CommandOutcome {
        let text = line.trimmed
        if text.isEmpty || text.hasPrefix("#") { return .proceed }
        var name = text
        var arguments = ""
        if let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) {
            name = String(text[..<space])
            arguments = String(text[space...]).trimmed
        }
        // `x/4xw ADDR`, `p/x EXPR`: the format is part of the command word.
        var format = ""
        if let slash = name.firstIndex(of: "/") {
            format = String(name[slash...])
            name = String(name[..<slash])
        }
        if ["quit", "q", "exit"].contains(name) { return .quit }
        guard let command = Self.command(named: name) else {
            errorCount += 1
            say("unknown command \"\(name)\"; try \"help\"")
            return .proceed
        }
        do {
            try command.run(self, format.isEmpty ? arguments : format + " " + arguments)
        } catch {
            errorCount += 1
            say("\(error)")
        }
        flushRecording()
        return .proceed
    }

    /// True when an empty line should repeat `line` (gdb repeats motion commands).
    public static func repeats(_ line: String) -> Bool {
        let word = line.trimmed.split(separator: " ").first.map(String.init) ?? ""
        return command(named: String(word.split(separator: "/").first ?? ""))?.repeats ?? false
    }

    /// Command names, for completion.
    public static var commandNames: [String] {
        commands.flatMap(\.names) + ["quit"]
    }

    func say(_ line: String) {
        write(line + "\n")
    }

    func countArgument(_ text: String) throws -> UInt64 {
        let t = text.trimmed
        if t.isEmpty { return 1 }
        guard let n = parseNumber(t), n > 0, n < 1 << 40 else { throw DebugError("expected a positive count, got \"\(t)\"") }
        return n
    }

    func repeatCount(_ text: String, _ body: () throws -> Bool) throws {
        let n = try countArgument(text)
        for _ in 0..<n { if try !body() { return } }
    }

    // MARK: Forward motion

    func requireRunning() throws {
        if let outcome = runner.ended { throw DebugError("the program is not running (\(describeOutcome(outcome))); use reverse commands, goto or run") }
    }

    func restartAndContinue() throws {
        try goTo(Position(time: 0, events: 0))
        currentThread = 0
        currentFrame = 0
        try continueForward()
    }

    func continueForward() throws {
        try requireRunning()
        applyConditions()
        report(try runSkippingQuietStretches())
    }

    /// Runs on like ``run(stopAt:)``; behind the frontier, a whole stretch whose activity rules
    /// out every breakpoint and watchpoint is not re-executed: the next snapshot is restored
    /// instead (what the stretch did is already known, and its output was shown).
    func runSkippingQuietStretches() throws -> Stop {
        let mayHit = hitFilter()
        while !fresh {
            guard let i = snapshots.lastIndex(where: { snapshotPosition($0) <= position }), i + 1 < snapshots.count else { break }
            let next = snapshotPosition(snapshots[i + 1])
            if snapshotPosition(snapshots[i]) == position, !mayHit(activities[i]) {
                stretchesSkipped += 1
                restore(before: next)
                applyConditions()
                continue
            }
            let stop = try run(stopAt: next)
            guard case .arrived = stop, position == next else { return stop }
        }
        return try run()
    }

    /// One `step` or `next`; false when the motion stopped for another reason than reaching a
    /// new line (so a count stops early).
    @discardableResult
    func stepLine(into: Bool, quiet: Bool = false) throws -> Bool {
        try requireRunning()
        guard let e = currentExecution, !e.hasFinished else { throw DebugError("thread \(currentThread) has exited") }
        guard let start = lineOf(e) else {
            // No line information here: step an instruction (gdb's stepi fallback would refuse;
            // stepping is more useful).
            return try stepInstruction(count: 1)
        }
        let tid = currentThread
        let startDepth = e.callDepth
        let startInlined = inlinedCalls(e).count
        while true {
            let (range, depth) = lineRange(e)
            applyConditions(step: StepRange(low: range.lowerBound, high: range.upperBound, depth: depth, into: into), stepThread: tid)
            let stop = try run()
            guard case .stepped(let t) = stop, t == tid, let e2 = runner.execution(of: tid) else {
                applyConditions()
                report(stop)
                return false
            }
            if e2.callDepth > startDepth {
                // Entered a call: stop at its first line, unless it has no line information,
                // which `step` runs through as `next` would.
                if lineOf(e2) != nil { break }
                applyConditions(stepThread: tid, belowDepth: e2.callDepth)
                let back = try run()
                guard case .finished = back else {
                    applyConditions()
                    report(back)
                    return false
                }
                if let l = lineOf(e2), l != start || e2.callDepth < startDepth { break }
                continue
            }
            if e2.callDepth < startDepth { break }
            // `next` steps over a call that was inlined here, as over a real call (gdb's rule);
            // `step` stops at its first line.
            if !into {
                var calls = inlinedCalls(e2)
                while calls.count > startInlined, let compiled = e2.stackFrames().first?.compiled {
                    let before = e2.debug.instructionCount
                    if let stop = try leaveInlinedCall(calls[calls.count - startInlined - 1], thread: tid, depth: startDepth, compiled: compiled) {
                        report(stop)
                        return false
                    }
                    if e2.debug.instructionCount == before { break }  // no way out found: stop here
                    calls = inlinedCalls(e2)
                }
                if e2.hasFinished || e2.callDepth != startDepth { break }
            }
            guard let now = lineOf(e2) else { continue }
            // Another part of the same line (a loop's condition, say) is not a new line (gdb's rule).
            if now != start { break }
        }
        applyConditions()
        currentFrame = 0
        if !quiet { showLocation(thread: tid) }
        return true
    }

    @discardableResult
    func stepInstruction(count: UInt64) throws -> Bool {
        try requireRunning()
        guard let e = currentExecution, !e.hasFinished else { throw DebugError("thread \(currentThread) has exited") }
        let tid = currentThread
        let target = e.debug.instructionCount &+ count
        applyConditions(target: (tid, target))
        defer { applyConditions() }
        while true {
            let stop = try run()
            if case .stepped(let t) = stop, t == tid, runner.execution(of: tid)?.debug.instructionCount == target { break }
            report(stop)
            return false
        }
        currentFrame = 0
        showLocation(thread: tid, instruction: true)
        return true
    }

    func finishFrame() throws {
        try requireRunning()
        guard let e = currentExecution else { throw DebugError("no thread") }
        let frames = sourceFrames(e)
        guard currentFrame + 1 < frames.count else { throw DebugError("\"finish\" not meaningful in the outermost frame") }
        let frame = frames[currentFrame]
        say("Run till exit from #\(currentFrame) \(frameText(frame))")
        if frame.isInlined { return try finishInlined(frame) }
        applyConditions(stepThread: currentThread, belowDepth: frame.wasm.depth)
        let stop = try run()
        applyConditions()
        if case .finished(let t) = stop {
            currentFrame = 0
            showLocation(thread: t)
        } else {
            report(stop)
        }
    }

    func until(_ argument: String) throws {
        try requireRunning()
        if argument.isEmpty { return try untilLaterLine() }
        let location = try resolveLocation(argument)
        let number = nextBreakpointNumber
        breakpoints.append(Breakpoint(number: number, spec: argument, whereText: location.description, addresses: location.addresses, thread: nil, condition: nil, temporary: true))
        nextBreakpointNumber += 1
        rebuildSites()
        defer { _ = deleteBreakpoint(number) }
        applyConditions()
        let stop = try run()
        if case .breakpoint(let n, let t) = stop, n == number {
            currentThread = t
            currentFrame = 0
            showLocation(thread: t)
        } else {
            report(stop)
        }
    }

    /// `until` without a location: run the current thread until it reaches a line after this
    /// one in this frame (so a loop runs to its end), or the frame returns. The instructions of
    /// later lines become breakpoints for this thread, so the loop runs at full speed instead
    /// of line by line.
    func untilLaterLine() throws {
        guard let e = currentExecution, let start = lineOf(e), let function = e.stackFrames().first?.compiled else {
            _ = try stepLine(into: false)
            return
        }
        let tid = currentThread
        let depth = e.callDepth
        let later = function.instructions().map(\.codeAddress).filter { address in
            guard let line = sourceLine(codeAddress: address) else { return false }
            return line.file != start.file || line.line > start.line
        }
        let number = nextBreakpointNumber
        nextBreakpointNumber += 1
        breakpoints.append(Breakpoint(number: number, spec: "until", whereText: "", addresses: later, thread: tid, condition: nil, temporary: false))
        rebuildSites()
        defer {
            breakpoints.removeAll { $0.number == number }
            nextBreakpointNumber = number  // the internal breakpoint takes no number
            rebuildSites()
        }
        applyConditions(stepThread: tid, belowDepth: depth)
        while true {
            let stop = try run()
            switch stop {
            case .breakpoint(let n, let t) where n == number && t == tid:
                // A recursive call of this function reaches those lines too; go on to this frame's.
                if runner.execution(of: tid)?.callDepth != depth { continue }
            case .finished(let t) where t == tid:
                break
            default:
                applyConditions()
                report(stop)
                return
            }
            applyConditions()
            currentFrame = 0
            showLocation(thread: tid)
            return
        }
    }

    // MARK: Reporting stops

    func report(_ stop: Stop) {
        switch stop {
        case .breakpoint(let n, let tid):
            currentThread = tid
            currentFrame = 0
            let kind = temporaryHits.contains(n) ? "temporary breakpoint" : "breakpoint"
            say("Thread \(tid) hit \(kind) \(n), \(locationText(thread: tid))")
            if let problem = conditionProblem {
                say("(the condition of breakpoint \(n) could not be evaluated: \(problem))")
                conditionProblem = nil
            }
            showSourceLine(thread: tid)
        case .watchpoint(let hit):
            currentThread = hit.thread
            currentFrame = 0
            let what = "\(hit.kind.rawValue) \(hit.number): *0x\(String(hit.address, radix: 16)) (\(hit.length) bytes)"
            let by = hit.hostCall.map { " in WASI call \($0)" } ?? ""
            say("Thread \(hit.thread) hit \(what)\(by)")
            if hit.wasWrite {
                if let old = hit.old { say("Old value = \(formatValue(old))") }
                say("New value = \(formatValue(hit.new))")
            } else {
                say("Value = \(formatValue(hit.new))")
            }
            say("at \(locationText(thread: hit.thread))")
            showSourceLine(thread: hit.thread)
        case .stepped(let tid), .finished(let tid):
            currentThread = tid
            currentFrame = 0
            showLocation(thread: tid)
        case .arrived:
            showLocation(thread: currentThread)
        case .interrupted(let tid):
            if runner.execution(of: tid) != nil { currentThread = tid }
            currentFrame = 0
            say("Interrupted.")
            showLocation(thread: currentThread)
        case .race(let n, let tid):
            reportRace(n, thread: tid)
        case .noEarlierHit:
            say("No earlier breakpoint or watchpoint hit: at the beginning of the run.")
            showLocation(thread: currentThread)
        case .ended(let outcome):
            switch outcome {
            case .exited(let code):
                say("[program exited with code \(code)]")
            case .trapped(let thread, let message):
                currentThread = thread
                currentFrame = 0
                say("Thread \(thread) trapped: \(message)")
            case .deadlock(let summary, let lines):
                say("[\(summary)]")
                for l in lines { say("  \(l)") }
            case .limitExceeded:
                say("[\(describeOutcome(outcome))]")
            }
        }
    }

    /// The location line shown after a motion (`thread 2: worker+0x1f4 (bank.c:21:9)`), then
    /// the source line.
    func showLocation(thread tid: Int32, instruction: Bool = false) {
        say("[thread \(tid)] \(locationText(thread: tid))")
        showSourceLine(thread: tid)
    }

    func locationText(thread tid: Int32) -> String {
        guard let e = runner.execution(of: tid) else { return "thread \(tid) does not exist here" }
        if e.hasFinished { return "thread \(tid) has exited" }
        guard let frame = e.stackFrames().first else { return "thread \(tid) has not started" }
        return frameText(frame)
    }

    func frameText(_ frame: StackFrame) -> String {
        var text = frame.name
        if let offset = frame.moduleOffset { text += "+0x\(String(offset, radix: 16))" }
        if let offset = frame.moduleOffset, let loc = sourceInfo?.location(moduleOffset: offset) { text += " (\(loc))" }
        return text
    }

    func showSourceLine(thread tid: Int32) {
        guard let e = runner.execution(of: tid), let frame = e.stackFrames().first, let offset = frame.moduleOffset,
            let loc = sourceInfo?.location(moduleOffset: offset), let text = sourceLine(loc.path, loc.line)
        else { return }
        say("\(loc.line)\t\(text)")
    }
}
