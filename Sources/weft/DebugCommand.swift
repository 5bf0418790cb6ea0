import ArgumentParser
@preconcurrency import CReadline
import Foundation
import WeftDebugger
import WeftModule
import WeftScheduler
import WeftTrace
import WeftWASI

struct Debug: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Debug a program, or a recorded trace, with gdb-style commands that also run backwards.",
        discussion: """
            A program (.wasm) runs under the scheduler options given, recorded as it goes; a trace \
            (.weft) replays its run. The session starts before the first instruction of _start. \
            Type 'help' at the prompt; docs/repl.md has every command. With --batch, the commands \
            of -x files and -ex options run and the debugger exits (1 if a command failed).
            """)

    @Flag(help: "Run the -x files' and -ex commands, then exit.")
    var batch = false

    @Option(name: .customShort("x"), help: ArgumentHelp("Run the commands in FILE first (one per line).", valueName: "FILE"))
    var commandFiles: [String] = []

    @Option(name: .customLong("ex", withSingleDash: true), help: ArgumentHelp("Run COMMAND first (after -x files; repeatable).", valueName: "COMMAND"))
    var commands: [String] = []

    @Option(name: .customLong("source-dir"), help: ArgumentHelp("Look for source files in DIR too (repeatable).", valueName: "DIR"))
    var sourceDirectories: [String] = []

    @Option(help: ArgumentHelp("For a trace: use this module instead of the embedded one.", valueName: "FILE"))
    var module: String?

    @Flag(help: "For a trace: accept a --module whose digest differs from the recorded one.")
    var force = false

    @Flag(help: "Do not look for data races (the 'races' and 'race' commands are then unavailable).")
    var noRaces = false

    @Flag(help: "Stop right after the access that shows a new data race.")
    var stopOnRace = false

    @Option(help: ArgumentHelp("For a program: write the run to this trace as the session first passes it (the save trace command writes one on demand).", valueName: "FILE"))
    var record: String?

    @OptionGroup var options: RunOptions

    @Argument(help: "The program (.wasm or .wat) or trace (.weft).")
    var target: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the program (after `--` to end Weft's options).")
    var arguments: [String] = []

    func run() throws {
        // The command files are read first, so that a missing one is the only thing printed.
        var script: [String] = []
        for file in commandFiles {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                report("cannot read command file \(file)")
                throw ExitCode(ExitStatus.usage)
            }
            script += text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        script += commands

        let session = try openSession()
        session.stopOnRace = stopOnRace
        session.write = { text in writeAll(1, Array(text.utf8)) }
        let targetDirectory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        session.sourceDirectories = sourceDirectories + [targetDirectory, FileManager.default.currentDirectoryPath]
        installInterruptHandler(session)

        var failed = false
        for line in script {
            if batch || !script.isEmpty { echoCommand(line, session: session) }
            let before = session.errorCount
            if session.execute(line) == .quit { return }
            if session.errorCount > before { failed = true }
        }
        if batch { throw ExitCode(failed ? 1 : 0) }
        try interactive(session)
    }

    /// Prints a scripted command as gdb would show it typed (so a transcript reads well).
    func echoCommand(_ line: String, session: DebugSession) {
        let t = line.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t.hasPrefix("#") { return }
        session.write("(weft) \(t)\n")
    }

    func openSession() throws -> DebugSession {
        if isTrace(target) {
            if record != nil {
                report("--record is for a program; \(target) is a trace already (the save trace command copies it)")
                throw ExitCode(ExitStatus.usage)
            }
            let reader = try openTrace(target)
            let header = reader.header
            let bytes = try traceModule(reader, tracePath: target, module: module, force: force)
            do {
                let session = try DebugSession(trace: reader, module: bytes, detectRaces: !noRaces)
                banner("trace \(URL(fileURLWithPath: target).lastPathComponent) of \(header.moduleName), schedule \(header.schedule.kind.rawValue) seed \(header.schedule.seed)")
                return session
            } catch let e as TraceFormatError {
                report("\(target): \(e)")
                throw ExitCode(TraceExitStatus.badTrace)
            } catch {
                report("\(target): \(error)")
                throw ExitCode(ExitStatus.badModule)
            }
        }
        let arguments = guestArguments(self.arguments)
        let threadOptions = try options.threadOptions()
        let (program, bytes) = try options.loadProgram(target, arguments: arguments)
        reportSourceWarnings(program)
        let header = try options.traceHeader(module: target, bytes: bytes, arguments: arguments, embed: true, threadOptions: threadOptions)
        let session: DebugSession
        do {
            session = try DebugSession(program: program, options: threadOptions, detectRaces: !noRaces)
        } catch {
            report("\(target): \(error)")
            throw ExitCode(ExitStatus.badModule)
        }
        session.traceHeader = header
        if let record { try startRecording(session, to: record) }
        banner("\(URL(fileURLWithPath: target).lastPathComponent), schedule \(threadOptions.schedule.kind.rawValue) seed \(threadOptions.schedule.seed)")
        return session
    }

    func startRecording(_ session: DebugSession, to path: String) throws {
        do {
            try session.record(to: path)
        } catch {
            report("\(error)")
            throw ExitCode(TraceExitStatus.cannotWrite)
        }
    }

    func banner(_ what: String) {
        writeAll(1, Array("Weft debugger: \(what). Stopped before the first instruction; type \"help\" for commands.\n".utf8))
    }

    func isTrace(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let magic = (try? h.read(upToCount: TraceFormat.magic.count)) ?? Data()
        return Array(magic) == TraceFormat.magic
    }

    /// Reads commands until `quit` or end of input: through readline (history in
    /// ~/.weft_history, completion of command names) on a terminal, plainly otherwise.
    func interactive(_ session: DebugSession) throws {
        let terminal = isatty(0) != 0
        let historyPath = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.weft_history"
        if terminal {
            using_history()
            if read_history(historyPath) != 0 { _ = write_history(historyPath) }
            completionWords = DebugSession.commandNames + ["threads", "breakpoints", "locals", "args", "globals", "source", "checkpoints", "all"]
            rl_completion_entry_function = completeWord
        }
        var last = ""
        while true {
            let line: String
            if terminal {
                guard let raw = readline("(weft) ") else {
                    writeAll(1, Array("quit\n".utf8))
                    break
                }
                line = String(cString: raw)
                free(raw)
                if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    add_history(line)
                    _ = append_history(1, historyPath)
                }
            } else {
                guard let l = Swift.readLine(strippingNewline: true) else { break }
                line = l
            }
            var command = line
            if command.trimmingCharacters(in: .whitespaces).isEmpty {
                guard DebugSession.repeats(last) else { continue }
                command = last
            }
            last = command
            session.interrupt.pointee = 0
            if session.execute(command) == .quit { break }
        }
        if terminal { _ = history_truncate_file(historyPath, 1000) }
    }
}

nonisolated(unsafe) var completionWords: [String] = []
nonisolated(unsafe) var completionIndex = 0

/// readline's completion generator: command (and `info`) words starting with `text`.
let completeWord: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { text, state in
    if state == 0 { completionIndex = 0 }
    let prefix = text.map { String(cString: $0) } ?? ""
    while completionIndex < completionWords.count {
        let word = completionWords[completionIndex]
        completionIndex += 1
        if word.hasPrefix(prefix) { return strdup(word) }
    }
    return nil
}

nonisolated(unsafe) var interruptFlag: UnsafeMutablePointer<sig_atomic_t>?

/// Ctrl-C stops a running command at the next scheduling point and returns to the prompt.
func installInterruptHandler(_ session: DebugSession) {
    interruptFlag = session.interrupt
    signal(SIGINT) { _ in interruptFlag?.pointee = 1 }
}
