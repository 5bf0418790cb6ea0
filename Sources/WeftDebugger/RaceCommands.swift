import WeftRaces

/// `races` and `race N`: the data races the session's run has shown so far.
extension DebugSession {
    func racesCommand() throws {
        guard let races else { throw DebugError("race detection is off in this session (started with --no-races)") }
        if races.races.isEmpty {
            say("No data races so far (the detector has seen the run up to \(frontier)).")
            return
        }
        for (i, race) in races.races.enumerated() {
            say("\(i + 1)  \(summary(race))")
        }
    }

    func raceCommand(_ argument: String) throws {
        guard let races else { throw DebugError("race detection is off in this session (started with --no-races)") }
        guard let n = Int(argument), n >= 1, n <= racePositions.count, n <= races.races.count else {
            throw DebugError(races.races.isEmpty ? "no data races so far" : "no race \"\(argument)\" (races are 1 to \(races.races.count); see \"races\")")
        }
        let (tid, position) = racePositions[n - 1]
        try goTo(position)
        if runner.execution(of: tid) != nil { currentThread = tid }
        currentFrame = 0
        say("Race \(n): thread \(tid) is about to make the second access.")
        write(races.races[n - 1].report + "\n")
        showLocation(thread: tid)
    }

    /// One line: both accesses and where.
    func summary(_ race: DataRace) -> String {
        func access(_ a: RaceAccess) -> String {
            let kind = a.isAtomic ? "atomic " : ""
            return "\(kind)\(a.isWrite ? "write" : "read") by thread \(a.thread) at \(a.site.description)"
        }
        return "\(access(race.current)) races with \(access(race.previous)), \(race.current.size) bytes at 0x\(String(race.current.address, radix: 16))"
    }

    func reportRace(_ n: Int, thread tid: Int32) {
        currentThread = tid
        currentFrame = 0
        say("Thread \(tid) made a data race (race \(n)); stopped after the access:")
        if let race = races?.races[n - 1] { write(race.report + "\n") }
        showLocation(thread: tid)
    }
}
