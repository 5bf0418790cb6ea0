#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WasmTypes
import WeftInterpreter
import WeftScheduler
import WeftSource
import WeftTrace

/// A frame as `bt` numbers them: a wasm function's frame, or a call inlined into its code
/// (gdb's inlined frames). An inlined frame shares its wasm frame's instruction and locals.
struct SourceStackFrame {
    /// Its number in `bt`, `frame N`, `up` and `down` (0 is the innermost).
    var number: Int
    /// The wasm frame it belongs to.
    var wasm: StackFrame
    /// Its place among the source frames at the wasm frame's instruction, innermost first:
    /// below ``inlineCount`` for an inlined call, ``inlineCount`` for the wasm function itself.
    var index: Int
    /// How many calls are inlined at the wasm frame's instruction.
    var inlineCount: Int
    /// The function's name (an inlined call's from the debug information, else the wasm frame's).
    var function: String
    /// The position in the function: the instruction's for the innermost source frame of its
    /// wasm frame, else the site of the call inlined into it.
    var location: SourceLocation?

    /// Whether this is a call inlined into its wasm frame's function.
    var isInlined: Bool { index < inlineCount }
}

/// A source line a thread is on.
struct SourceLine: Equatable {
    var file: String
    var line: Int
}

extension DebugSession {
    // MARK: Lines

    /// The source line of thread `e`'s current instruction.
    func lineOf(_ e: ExecutionThread) -> SourceLine? {
        guard let frame = e.stackFrames().first, let offset = frame.moduleOffset,
            let loc = sourceInfo?.location(moduleOffset: offset)
        else { return nil }
        return SourceLine(file: loc.path, line: loc.line)
    }

    /// The run of instructions around the current one that share its source line, in the
    /// current function, and the frame's depth.
    func lineRange(_ e: ExecutionThread) -> (range: Range<UInt>, depth: Int) {
        let address = e.codeAddress
        guard let frame = e.stackFrames().first, let f = frame.compiled else { return (address..<address + 1, e.callDepth) }
        let instructions = f.instructions()
        guard let i = instructions.firstIndex(where: { $0.codeAddress == address }) else { return (address..<address + 1, e.callDepth) }
        func line(_ k: Int) -> Int? { sourceInfo?.location(moduleOffset: instructions[k].moduleOffset)?.line }
        let here = line(i)
        var lo = i, hi = i + 1
        while lo > 0, line(lo - 1) == here { lo -= 1 }
        while hi < instructions.count, line(hi) == here { hi += 1 }
        let end = hi < instructions.count ? instructions[hi].codeAddress : address + 1_000_000
        return (instructions[lo].codeAddress..<max(end, address + 1), e.callDepth)
    }

    // MARK: Source files

    /// Line `line` of source file `path`, found as given, or by name in the source
    /// directories; nil when the file is not at hand.
    func sourceLine(_ path: String, _ line: Int) -> String? {
        guard let lines = sourceFile(path), line >= 1, line <= lines.count else { return nil }
        return lines[line - 1]
    }

    func sourceFile(_ path: String) -> [String]? {
        if let cached = sourceCache[path] { return cached }
        var candidates = [path]
        let name = lastPathComponent(path)
        for d in sourceDirectories { candidates.append(d + "/" + name); candidates.append(d + "/" + path) }
        for c in candidates {
            if let text = readTextFile(c) {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                sourceCache[path] = lines
                return lines
            }
        }
        return nil
    }

    func addSourceDirectory(_ dir: String) {
        let d = dir.trimmed
        guard !d.isEmpty else { say("Source directories: \(sourceDirectories.joined(separator: ":"))"); return }
        sourceDirectories.insert(d, at: 0)
        sourceCache = [:]
        say("Source directories: \(sourceDirectories.joined(separator: ":"))")
    }

    func listCommand(_ argument: String) throws {
        var file: String
        var center: Int
        if argument.isEmpty {
            if let last = lastListed {
                file = last.file
                center = last.next + 5
            } else {
                guard let loc = selectedSourceFrame()?.location else { throw DebugError("no source line here") }
                file = loc.path
                center = loc.line
            }
        } else if let colon = argument.lastIndex(of: ":"), let line = Int(argument[argument.index(after: colon)...]) {
            // FILE:LINE lists the file there, code or not.
            let name = String(argument[..<colon])
            file = sourceInfo?.sourceMap.files(matching: name).first ?? name
            center = line
        } else if let line = Int(argument) {
            guard let current = currentSourceFile() else { throw DebugError("no current source file") }
            file = current
            center = line
        } else {
            let location = try resolveLocation(argument)
            if let f = location.file, let l = location.line {
                file = sourceInfo?.sourceMap.files(matching: f).first ?? f
                center = l
            } else if let a = location.addresses.first, let loc = sourceLocation(of: a) {
                file = loc.path
                center = loc.line
            } else {
                throw DebugError("no source line for \(argument)")
            }
        }
        guard let lines = sourceFile(file) else { throw DebugError("cannot find source file \(file) (add its directory with \"directory DIR\")") }
        let first = max(1, center - 5)
        let last = min(lines.count, first + 9)
        guard first <= last else { throw DebugError("line \(center) is past the end of \(lastPathComponent(file))") }
        for l in first...last { say("\(l)\t\(lines[l - 1])") }
        lastListed = (file, last + 1)
        lastListedFile = file
    }

    func sourceLocation(of address: UInt) -> SourceLocation? {
        for f in compiled.functions where f.contains(codeAddress: address) {
            return f.moduleOffset(ofCodeAddress: address).flatMap { sourceInfo?.location(moduleOffset: $0) }
        }
        return nil
    }

    // MARK: Threads and frames

    func switchThread(_ argument: String) throws {
        if argument.isEmpty {
            say("[Current thread is \(currentThread)]")
            return
        }
        guard let n = Int32(argument), let e = runner.execution(of: n) else { throw DebugError("no thread \(argument) (see \"info threads\")") }
        currentThread = n
        currentFrame = 0
        lastListed = nil
        var state = runner.threadInfos.first { $0.tid == n }?.state ?? ""
        if state == "runnable", runner.ended == nil, runner.lastThread == n { state = "running" }
        say("[Switching to thread \(n) (\(state))]")
        if !e.hasFinished, let frame = sourceFrames(e, through: 0).first { say("#0  \(frameText(frame))"); showSourceLine(thread: n) }
    }

    func infoThreads() {
        let running = runner.ended == nil ? runner.lastThread : nil
        for info in runner.threadInfos {
            let mark = info.tid == currentThread ? "*" : " "
            var state = info.state
            if info.tid == running, state == "runnable" { state = "running" }
            let whereText = info.exited ? "" : "  " + locationText(thread: info.tid)
            say("\(mark) \(info.tid)  \(state)\(whereText)")
        }
    }

    /// The wasm frame of the selected frame (an inlined frame's is the function it is inlined into).
    func selectedFrame() -> StackFrame? {
        if currentFrame == 0 { return currentExecution?.stackFrames().first }
        return selectedSourceFrame()?.wasm
    }

    /// The selected frame, as `bt` numbers frames.
    func selectedSourceFrame() -> SourceStackFrame? {
        guard let e = currentExecution else { return nil }
        let frames = sourceFrames(e, through: currentFrame)
        return frames.isEmpty ? nil : frames[min(currentFrame, frames.count - 1)]
    }

    /// Thread `e`'s frames as `bt` numbers them, innermost first: each wasm frame is preceded by
    /// the calls inlined at its instruction, innermost first. With `through`, only the frames up
    /// to that number (or all, when there are fewer).
    func sourceFrames(_ e: ExecutionThread, through last: Int = .max) -> [SourceStackFrame] {
        var result: [SourceStackFrame] = []
        for wasm in e.stackFrames() {
            if result.count > last { break }
            let chain = wasm.moduleOffset.flatMap { sourceInfo?.frames(moduleOffset: $0) } ?? []
            let inlined = max(chain.count - 1, 0)
            for k in 0..<inlined {
                result.append(
                    SourceStackFrame(
                        number: result.count, wasm: wasm, index: k, inlineCount: inlined, function: chain[k].function ?? "??",
                        location: chain[k].location))
            }
            result.append(
                SourceStackFrame(number: result.count, wasm: wasm, index: inlined, inlineCount: inlined, function: wasm.name, location: chain.last?.location))
        }
        return result
    }

    /// `bt`'s text for a frame: `deposit+0x25d5 (bank.c:17:13)` for a wasm function's frame (its
    /// instruction's module offset, and its source position: for a function with calls inlined
    /// at the instruction, the outermost call's site), `rt_futex_wait (weft_rt.h:183:12)` for an
    /// inlined call (no offset: it shares the instruction of the frame it is inlined into).
    func frameText(_ frame: SourceStackFrame) -> String {
        var text = frame.function
        if !frame.isInlined, let offset = frame.wasm.moduleOffset { text += "+0x\(String(offset, radix: 16))" }
        if let loc = frame.location { text += " (\(loc))" }
        return text
    }

    /// The C parameters and locals of the selected frame, innermost block first: for an inlined
    /// frame those of its inlined call, for a function's frame its own (not those of the calls
    /// inlined at its instruction). Nil when the wasm frame has none from DWARF at all.
    func selectedFrameVariables() throws -> [SourceVariable]? {
        guard let info = sourceInfo, let frame = selectedSourceFrame(), let offset = frame.wasm.moduleOffset else { return nil }
        if frame.inlineCount == 0 {
            let all = info.variables(atModuleOffset: offset)
            return all.isEmpty ? nil : all
        }
        let groups = info.variablesByFrame(atModuleOffset: offset)
        if groups.allSatisfy(\.isEmpty) { return nil }
        guard groups.count == frame.inlineCount + 1 else {
            throw DebugError(
                "cannot tell which variables belong to frame #\(frame.number): the debug information's scopes at 0x\(String(offset, radix: 16)) do not match its \(frame.inlineCount) inlined calls")
        }
        return groups[frame.index]
    }

    /// The C variable `name` as the selected frame sees it: its parameters and locals (for an
    /// inlined frame, those of its inlined call), then globals.
    func selectedFrameVariable(_ name: String) -> SourceVariable? {
        guard let info = sourceInfo else { return nil }
        guard let frame = selectedSourceFrame(), let offset = frame.wasm.moduleOffset else { return info.lookupVariable(name, atModuleOffset: nil) }
        if frame.inlineCount == 0 { return info.lookupVariable(name, atModuleOffset: offset) }
        if let local = (try? selectedFrameVariables())??.first(where: { $0.name == name }) { return local }
        return info.globalVariable(name, preferringFile: frame.location?.path)
    }

    /// `finish` from an inlined frame: runs the thread until it leaves the inlined call's code
    /// in its wasm frame (or that frame returns), as gdb steps out of an inlined function. When
    /// the inlined frame is in a caller, the functions it called return first.
    func finishInlined(_ frame: SourceStackFrame) throws {
        guard let info = sourceInfo, let offset = frame.wasm.moduleOffset, let compiled = frame.wasm.compiled else {
            throw DebugError("no code known for inlined frame #\(frame.number)")
        }
        let calls = info.inlinedCalls(moduleOffset: offset)
        guard frame.index < calls.count else { throw DebugError("no code known for inlined frame #\(frame.number)") }
        let call = calls[frame.index]
        let tid = currentThread
        let depth = frame.wasm.depth
        if frame.wasm.level > 0 {
            applyConditions(stepThread: tid, belowDepth: depth + 1)
            let stop = try run()
            applyConditions()
            guard case .finished(let t) = stop, t == tid else { report(stop); return }
        }
        if let stop = try leaveInlinedCall(call, thread: tid, depth: depth, compiled: compiled) {
            report(stop)
            return
        }
        currentFrame = 0
        showLocation(thread: tid)
    }

    /// Runs thread `tid`, in the wasm frame at call depth `depth` running `compiled`, until its
    /// instruction is no longer code of the inlined `call` (calls it makes run through); nil when
    /// it got there, else the stop that came first.
    func leaveInlinedCall(_ call: InlinedCall, thread tid: Int32, depth: Int, compiled: CompiledFunction) throws -> Stop? {
        let instructions = compiled.instructions()
        while let e = runner.execution(of: tid), !e.hasFinished, e.callDepth == depth,
            let i = instructions.firstIndex(where: { $0.codeAddress == e.codeAddress }),
            call.contains(moduleOffset: instructions[i].moduleOffset)
        {
            // The run of instructions around this one that belong to the call.
            var lo = i, hi = i + 1
            while lo > 0, call.contains(moduleOffset: instructions[lo - 1].moduleOffset) { lo -= 1 }
            while hi < instructions.count, call.contains(moduleOffset: instructions[hi].moduleOffset) { hi += 1 }
            let end = hi < instructions.count ? instructions[hi].codeAddress : instructions[instructions.count - 1].codeAddress + 1
            applyConditions(step: StepRange(low: instructions[lo].codeAddress, high: end, depth: depth, into: false), stepThread: tid)
            let stop = try run()
            applyConditions()
            guard case .stepped(let t) = stop, t == tid else { return stop }
        }
        return nil
    }

    /// The inlined calls at thread `e`'s instruction (innermost first), for its innermost wasm
    /// frame.
    func inlinedCalls(_ e: ExecutionThread) -> [InlinedCall] {
        guard let offset = e.stackFrames().first?.moduleOffset else { return [] }
        return sourceInfo?.inlinedCalls(moduleOffset: offset) ?? []
    }

    func backtraceCommand(_ argument: String) throws {
        if argument == "all" || argument == "full all" {
            for info in runner.threadInfos where !info.exited {
                say("Thread \(info.tid) (\(info.state)):")
                printBacktrace(info.execution)
            }
            return
        }
        guard let e = currentExecution else { throw DebugError("no thread") }
        if e.hasFinished { say("Thread \(currentThread) has exited."); return }
        var limit = Int.max
        if !argument.isEmpty {
            guard let n = Int(argument), n > 0 else { throw DebugError("backtrace takes \"all\" or a number of frames, not \"\(argument)\"") }
            limit = n
        }
        printBacktrace(e, limit: limit)
    }

    func printBacktrace(_ e: ExecutionThread, limit: Int = .max) {
        let frames = sourceFrames(e, through: limit)
        for frame in frames.prefix(limit) { say("#\(frame.number)  \(frameText(frame))") }
        if frames.count > limit { say("(More stack frames follow...)") }
    }

    func frameCommand(_ argument: String) throws {
        if !argument.isEmpty {
            guard let n = Int(argument), n >= 0 else { throw DebugError("bad frame number \"\(argument)\"") }
            try selectFrame(n)
        }
        guard let frame = selectedSourceFrame() else { throw DebugError("no frame") }
        say("#\(frame.number)  \(frameText(frame))")
        if let loc = frame.location, let text = sourceLine(loc.path, loc.line) {
            say("\(loc.line)\t\(text)")
        }
    }

    func selectFrame(_ n: Int) throws {
        guard let e = currentExecution, n < sourceFrames(e, through: n).count else { throw DebugError("no frame \(n)") }
        currentFrame = n
        lastListed = nil
    }

    func moveFrame(_ delta: Int) throws {
        let frames = currentExecution.map { sourceFrames($0) } ?? []
        let target = currentFrame + delta
        if target < 0 { throw DebugError("bottom (innermost) frame selected; you cannot go down") }
        if target >= frames.count { throw DebugError("initial frame selected; you cannot go up") }
        try selectFrame(target)
        try frameCommand("")
    }

    // MARK: info

    func infoCommand(_ argument: String) throws {
        let words = argument.split(separator: " ").map(String.init)
        switch words.first ?? "" {
        case "threads", "thread": infoThreads()
        case "breakpoints", "b", "break", "watchpoints": infoBreakpoints()
        case "locals": try infoLocals(args: false)
        case "args": try infoLocals(args: true)
        case "globals", "variables": infoGlobals()
        case "frame", "f":
            try frameCommand("")
            if let frame = selectedSourceFrame(), frame.isInlined { say("inlined into frame \(frame.number + 1)") }
        case "source": infoSource()
        case "checkpoints": infoCheckpoints()
        case "all-registers", "registers", "wasm-locals": try infoLocals(args: nil)
        case "": throw DebugError("info what? threads, breakpoints, locals, args, globals, frame, source, checkpoints")
        default: throw DebugError("unknown info command \"\(words[0])\"; try \"help info\"")
        }
    }

    func infoBreakpoints() {
        if breakpoints.isEmpty && watchpoints.isEmpty {
            say("No breakpoints or watchpoints.")
            return
        }
        say("Num  Type            Enb  Hits  What")
        var rows: [(Int, String)] = []
        for b in breakpoints {
            var what = b.whereText
            if let t = b.thread { what += " thread \(t)" }
            if let c = b.condition { what += " if \(c)" }
            let type = b.temporary ? "tbreakpoint" : "breakpoint"
            rows.append((b.number, pad("\(b.number)", 5) + pad(type, 16) + pad(b.enabled ? "y" : "n", 5) + pad("\(b.hits)", 6) + what))
        }
        for w in watchpoints {
            let what = "*0x\(String(w.address, radix: 16)) (\(w.length) bytes)"
            rows.append((w.number, pad("\(w.number)", 5) + pad(w.kind == .write ? "watchpoint" : w.kind == .read ? "read watchpoint" : "acc watchpoint", 16) + pad(w.enabled ? "y" : "n", 5) + pad("\(w.hits)", 6) + what))
        }
        for (_, r) in rows.sorted(by: { $0.0 < $1.0 }) { say(r) }
    }

    /// Locals of the selected frame: parameters (`args: true`), declared locals (`false`), or
    /// all slots (`nil`).
    func infoLocals(args: Bool?) throws {
        guard let e = currentExecution, let frame = selectedFrame() else { throw DebugError("no frame selected") }
        if let args, try infoSourceVariables(args: args) { return }
        let values = e.locals(of: frame)
        let paramCount = frame.function.parameterCount(in: e)
        var any = false
        for (i, v) in values.enumerated() {
            let isParam = i < paramCount
            if let args, args != isParam { continue }
            let name = isParam ? "$arg\(i)" : "$local\(i)"
            say("\(name) = \(v.description) (\(v.typeName))")
            any = true
        }
        if !any { say(args == true ? "No arguments." : "No locals.") }
    }

    func infoGlobals() {
        guard let e = currentExecution else { return }
        for (i, g) in e.globals().enumerated() {
            let name = g.name.map { "\($0) " } ?? ""
            say("$global\(i) \(name)= \(g.value.description) (\(g.mutable ? "mut " : "")\(g.value.typeName))")
        }
    }

    func infoSource() {
        guard let file = currentSourceFile() else {
            say(sourceInfo?.hasLineTables == true ? "No current source file." : "No source information (the module has no DWARF line tables; build with -g).")
            return
        }
        say("Current source file is \(file)")
        if let lines = sourceFile(file) {
            say("Contains \(lines.count) lines.")
        } else {
            say("The file is not at hand (add its directory with \"directory DIR\").")
        }
        if let info = sourceInfo {
            let lines = info.sourceMap.linesWithCode(file: file)
            if let first = lines.first, let last = lines.last { say("Lines with code: \(first)-\(last) (\(lines.count) lines).") }
        }
    }

    func infoCheckpoints() {
        if checkpoints.isEmpty { say("No checkpoints."); return }
        for (n, p) in checkpoints.sorted(by: { $0.key < $1.key }) { say("\(n)  \(p)") }
    }

    // MARK: events / schedule / when

    func showWhen() {
        var text = "Current position: \(position)"
        if let e = currentExecution { text += " (thread \(currentThread) instruction \(e.debug.instructionCount))" }
        say(text)
    }

    func eventsCommand(_ argument: String) throws {
        let n = argument.isEmpty ? 10 : Int(try countArgument(argument))
        let cursor = runner.eventCount
        let events = timeline.events
        let lo = max(0, cursor - n)
        let hi = min(events.count, cursor + n)
        if lo == hi { say("No events yet."); return }
        for i in lo..<hi {
            let mark = i == cursor ? "=>" : "  "
            say("\(mark) \(pad(String(i), 7)) \(WeftTrace.describe(events[i]))")
        }
        if cursor >= events.count { say("=> \(pad(String(cursor), 7)) (next event not decided yet)") }
    }

    func scheduleCommand(_ argument: String) throws {
        let n = argument.isEmpty ? 10 : Int(try countArgument(argument))
        var last = runner.lastThread
        var shown = 0
        var i = runner.eventCount
        let events = timeline.events
        while i < events.count, shown < n {
            if case .slice(let t, let budget, _) = events[i], t != last {
                say("event \(i): thread \(t) runs (budget \(budget))")
                last = t
                shown += 1
            }
            i += 1
        }
        if shown == 0 {
            say(timeline.live == nil ? "No more thread switches: the recording ends." : "The schedule past this point is not decided yet (it is, once the run gets there).")
        }
    }

    func makeCheckpoint() {
        let n = nextCheckpoint
        nextCheckpoint += 1
        checkpoints[n] = position
        checkpointThreads[n] = currentThread
        say("Checkpoint \(n) at \(position).")
    }

    func restartCheckpoint(_ argument: String) throws {
        guard let n = Int(argument), let p = checkpoints[n] else { throw DebugError("no checkpoint \"\(argument)\" (see \"info checkpoints\")") }
        let thread = checkpointThreads[n] ?? currentThread
        try goTo(p)
        if runner.execution(of: thread) != nil { currentThread = thread }
        currentFrame = 0
        say("Restarted at checkpoint \(n) (\(p)).")
        showLocation(thread: currentThread)
    }

    func gotoEvent(_ argument: String) throws {
        guard let n = Int(argument.trimmed), n >= 0 else { throw DebugError("goto needs an event index (see \"events\")") }
        if timeline.live == nil, n > timeline.events.count { throw DebugError("the recording has \(timeline.events.count) events") }
        let time: UInt64 = timeline.timeKnown(n) ? timeline.times[n] : 0
        let target = Position(time: time, events: n)
        if timeline.timeKnown(n), target < position || target == position {
            conditionsOff = true
            defer { conditionsOff = false }
            restore(before: Position(time: time, events: n))
            applyConditions()
        }
        conditionsOff = true
        defer { conditionsOff = false }
        applyConditions()
        let stop = try run(stopAt: target)
        applyConditions()
        if let t = runner.lastThread { currentThread = t }
        currentFrame = 0
        if case .ended = stop { report(stop); return }
        say("At \(position).")
        showLocation(thread: currentThread)
    }

    // MARK: help

    func helpCommand(_ argument: String) throws {
        if argument.isEmpty {
            say("Commands (gdb and rr names; an empty line repeats step, next, continue and the like):")
            for c in Self.commands {
                let names = c.names.count > 1 ? " (" + c.names.dropFirst().joined(separator: ", ") + ")" : ""
                say("  \(pad(c.usage, 38)) \(c.summary)\(names)")
            }
            say("  \(pad("quit", 38)) Leave the debugger (q, Ctrl-D).")
            return
        }
        guard let c = Self.command(named: argument) else { throw DebugError("unknown command \"\(argument)\"; try \"help\"") }
        say("\(c.usage)\n  \(c.summary)")
        if c.names.count > 1 { say("  Also: \(c.names.dropFirst().joined(separator: ", "))") }
    }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// The contents of a text file, or nil.
func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
        if bytes.count > 64 << 20 { return nil }
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension FunctionRef {
    /// The number of parameters of this function.
    func parameterCount(in e: ExecutionThread) -> Int {
        e.parameterCount(of: self)
    }
}
