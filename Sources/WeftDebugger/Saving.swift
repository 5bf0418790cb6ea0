#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeftScheduler
import WeftTrace

/// Keeping a session's run: `save trace FILE` writes the events the session has seen as a
/// trace that `weft replay` and `weft debug` open; a live session started with `--record FILE`
/// writes them as the run first passes them, so nothing is lost if the debugger is killed.
/// `save breakpoints FILE` writes the breakpoints as commands for `-x` (gdb's command).
extension DebugSession {
    /// Starts writing the run to a trace at `path`: the events so far, then each new one as
    /// the run first passes it (flushed after every command).
    public func record(to path: String) throws {
        guard let header = traceHeader else { throw DebugError("no trace header for this session") }
        let writer = try writeTrace(path, header: header, events: timeline.highWater)
        recordingWriter = writer
        recordingPath = path
    }

    /// A trace at `path` holding the timeline's first `count` events, flushed.
    func writeTrace(_ path: String, header: TraceHeader, events count: Int) throws -> TraceWriter {
        let writer = try TraceWriter(path: path, header: header)
        for i in 0..<count { try writer.append(timeline.events[i], memoryDigest: endDigestIfEnd(i)) }
        try writer.flush()
        return writer
    }

    /// The events the timeline passes for the first time go to the recording, if any.
    func firstPassed(_ index: Int) {
        if case .end = timeline.events[index], endDigest == nil { endDigest = memoryDigest(program.importedMemory) }
        guard let writer = recordingWriter else { return }
        do {
            try writer.append(timeline.events[index], memoryDigest: endDigestIfEnd(index))
        } catch {
            recordingWriter = nil
            say("warning: stopped recording to \(recordingPath ?? "the trace"): \(error)")
        }
    }

    func endDigestIfEnd(_ index: Int) -> [UInt8]? {
        if case .end = timeline.events[index] { return endDigest }
        return nil
    }

    /// Writes what is pending in the recording (after each command, and on quitting).
    public func flushRecording() {
        guard let writer = recordingWriter else { return }
        do {
            try writer.flush()
        } catch {
            recordingWriter = nil
            say("warning: stopped recording to \(recordingPath ?? "the trace"): \(error)")
        }
    }

    func saveCommand(_ argument: String) throws {
        let words = argument.split(separator: " ", maxSplits: 1).map { String($0).trimmed }
        guard words.count == 2, !words[1].isEmpty else { throw DebugError("usage: save trace FILE | save breakpoints FILE") }
        switch words[0] {
        case "trace": try saveTrace(words[1])
        case "breakpoints": try saveBreakpoints(words[1])
        default: throw DebugError("usage: save trace FILE | save breakpoints FILE")
        }
    }

    func saveTrace(_ path: String) throws {
        guard let header = traceHeader else { throw DebugError("no trace header for this session") }
        let count = timeline.live == nil ? timeline.events.count : timeline.highWater
        do {
            _ = try writeTrace(path, header: header, events: count)
        } catch let e as TraceFormatError {
            throw DebugError("\(e)")
        }
        let ended = count > 0 && { if case .end = timeline.events[count - 1] { return true } else { return false } }()
        if ended {
            say("Saved the run (\(count) events) to \(path).")
        } else {
            say("Saved \(count) events to \(path). The run has not ended: a replay of it stops at event \(count).")
        }
    }

    func saveBreakpoints(_ path: String) throws {
        // In creation order; `disable N` numbers them as a fresh session will.
        var lines: [String] = []
        var made: [(number: Int, line: String, enabled: Bool)] = []
        for b in breakpoints {
            var line = (b.temporary ? "tbreak " : "break ") + b.spec
            if let t = b.thread { line += " thread \(t)" }
            if let c = b.condition { line += " if \(c)" }
            made.append((b.number, line, b.enabled))
        }
        for w in watchpoints {
            let command = w.kind == .write ? "watch" : w.kind == .read ? "rwatch" : "awatch"
            made.append((w.number, "\(command) *0x\(String(w.address, radix: 16)) \(w.length)", w.enabled))
        }
        for (i, m) in made.sorted(by: { $0.number < $1.number }).enumerated() {
            lines.append(m.line)
            if !m.enabled { lines.append("disable \(i + 1)") }
        }
        let text = lines.map { $0 + "\n" }.joined()
        guard let file = fopen(path, "w") else { throw DebugError("cannot create \(path)") }
        defer { fclose(file) }
        guard fputs(text, file) >= 0 else { throw DebugError("cannot write \(path)") }
        say("Saved \(breakpoints.count + watchpoints.count) breakpoints and watchpoints to \(path).")
    }
}
