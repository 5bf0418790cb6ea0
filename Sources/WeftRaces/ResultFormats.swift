import Foundation

// JSON (docs/races.md has the schema) and SARIF 2.1.0 forms of a ``RaceCheckResult``.

extension RaceCheckResult {
    public static let jsonFormat = "weft-races"
    public static let jsonVersion = 1

    /// The result as one JSON object (keys sorted, so equal results give equal bytes).
    public func json() throws -> Data {
        var object: [String: Any] = [
            "format": Self.jsonFormat, "version": Self.jsonVersion,
            "module": module, "schedule": schedule, "schedules": schedules, "seeds": seeds,
        ]
        object["races"] = races.map { r -> [String: Any] in
            [
                "seed": r.seed, "schedules": r.schedules,
                "summary": "\(r.race.current.site.description) vs \(r.race.previous.site.description)",
                "current": accessJSON(r.race.current), "previous": accessJSON(r.race.previous),
                "current_thread_created": spawnJSON(r.race.currentSpawn),
                "previous_thread_created": spawnJSON(r.race.previousSpawn),
            ]
        }
        object["deadlocks"] = deadlocks.map { ["seed": $0.seed, "summary": $0.summary, "threads": $0.threads] as [String: Any] }
        object["traps"] = traps.map { ["seed": $0.seed, "thread": $0.thread, "message": $0.message] as [String: Any] }
        object["nonzero_exits"] = exits.map { ["seed": $0.seed, "code": $0.code, "reason": $0.reason] as [String: Any] }
        object["divergent_outputs"] = divergentOutputs.map {
            ["seed": $0.seed, "reference_seed": $0.referenceSeed, "digest": $0.digest, "reference_digest": $0.referenceDigest] as [String: Any]
        }
        object["outputs"] = outputs.keys.sorted().map { ["digest": $0, "seeds": outputs[$0]!] as [String: Any] }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Reads a result written by ``json()``.
    public static func fromJSON(_ data: Data, source: String = "input") throws -> RaceCheckResult {
        func bad(_ what: String) -> RaceToolError { RaceToolError("\(source): not a weft races result (\(what))") }
        guard let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw bad("not a JSON object") }
        guard o["format"] as? String == jsonFormat else { throw bad("format") }
        guard let module = o["module"] as? String, let schedule = o["schedule"] as? String,
            let seeds = o["seeds"] as? [NSNumber]
        else { throw bad("module, schedule or seeds") }
        var r = RaceCheckResult(module: module, schedule: schedule, seeds: seeds.map(\.uint64Value))
        for x in o["races"] as? [[String: Any]] ?? [] {
            guard let seed = (x["seed"] as? NSNumber)?.uint64Value, let cur = x["current"] as? [String: Any],
                let prev = x["previous"] as? [String: Any], let current = access(cur), let previous = access(prev)
            else { throw bad("race") }
            let race = DataRace(current: current, previous: previous, currentSpawn: spawn(x["current_thread_created"]),
                                previousSpawn: spawn(x["previous_thread_created"]), seed: seed)
            r.races.append(Race(race: race, seed: seed, schedules: (x["schedules"] as? NSNumber)?.intValue ?? 1))
        }
        for x in o["deadlocks"] as? [[String: Any]] ?? [] {
            guard let seed = (x["seed"] as? NSNumber)?.uint64Value else { throw bad("deadlock") }
            r.deadlocks.append(Deadlock(seed: seed, summary: x["summary"] as? String ?? "", threads: x["threads"] as? [String] ?? []))
        }
        for x in o["traps"] as? [[String: Any]] ?? [] {
            guard let seed = (x["seed"] as? NSNumber)?.uint64Value else { throw bad("trap") }
            r.traps.append(TrapFinding(seed: seed, thread: (x["thread"] as? NSNumber)?.int32Value ?? 0, message: x["message"] as? String ?? ""))
        }
        for x in o["nonzero_exits"] as? [[String: Any]] ?? [] {
            guard let seed = (x["seed"] as? NSNumber)?.uint64Value else { throw bad("exit") }
            r.exits.append(Exit(seed: seed, code: (x["code"] as? NSNumber)?.int32Value ?? 0, reason: x["reason"] as? String ?? ""))
        }
        for x in o["outputs"] as? [[String: Any]] ?? [] {
            guard let d = x["digest"] as? String, let s = x["seeds"] as? [NSNumber] else { throw bad("outputs") }
            r.outputs[d] = s.map(\.uint64Value)
        }
        return r
    }

    /// SARIF 2.1.0: one result per finding; a race's locations are both accesses' functions.
    public func sarif() throws -> Data {
        let rules: [[String: Any]] = [
            rule("data-race", "Data race", "Two threads access the same bytes without synchronization, at least one writing."),
            rule("deadlock", "Deadlock", "Every live thread waits with no timeout."),
            rule("trap", "Trap", "A guest thread trapped."),
            rule("nonzero-exit", "Non-zero exit", "The program exited with a non-zero code under some schedule."),
            rule("divergent-output", "Divergent output", "Standard output differs between schedules (nondeterminism)."),
        ]
        var results: [[String: Any]] = []
        for r in races {
            let c = r.race.current, p = r.race.previous
            let text = "Data race (seed \(r.seed)): \(c.kindWord) of size \(c.size) at 0x\(hex(c.address)) by \(threadName(c.thread)) in \(c.site.description) "
                + "conflicts with previous \(p.kindWord) by \(threadName(p.thread)) in \(p.site.description)."
            results.append([
                "ruleId": "data-race", "level": "error", "message": ["text": text],
                "locations": [location(c.site)], "relatedLocations": [location(p.site, id: 1)],
                "partialFingerprints": ["weftRacePair/v1": r.race.key],
                "properties": ["seed": r.seed, "schedules": r.schedules],
            ])
        }
        for d in deadlocks {
            results.append(moduleResult("deadlock", "Deadlock (seed \(d.seed)): \(d.summary)", seed: d.seed))
        }
        for t in traps {
            results.append(moduleResult("trap", "Trap (seed \(t.seed)) in thread \(t.thread): \(t.message)", seed: t.seed))
        }
        for e in exits {
            results.append(moduleResult("nonzero-exit", "Non-zero exit (seed \(e.seed)): \(e.reason)", seed: e.seed))
        }
        for d in divergentOutputs {
            results.append(moduleResult("divergent-output", "Output of seed \(d.seed) differs from seed \(d.referenceSeed)'s", seed: d.seed))
        }
        let log: [String: Any] = [
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [[
                "tool": ["driver": ["name": "weft", "version": "0.1.0", "rules": rules]],
                "artifacts": [["location": ["uri": module]]],
                "results": results,
                "properties": ["schedules": schedules, "schedule": schedule],
            ]],
        ]
        return try JSONSerialization.data(withJSONObject: log, options: [.prettyPrinted, .sortedKeys])
    }

    private func rule(_ id: String, _ name: String, _ text: String) -> [String: Any] {
        ["id": id, "name": name.replacingOccurrences(of: " ", with: ""), "shortDescription": ["text": text],
         "defaultConfiguration": ["level": "error"]]
    }

    private func location(_ frame: StackFrame, id: Int? = nil) -> [String: Any] {
        var physical: [String: Any] = ["artifactLocation": ["uri": module]]
        if let offset = frame.offset { physical["region"] = ["byteOffset": offset, "byteLength": 1] }
        // With debug information, point at the source line instead (what code-scanning shows).
        if let source = frame.source {
            let parts = source.split(separator: ":")
            if parts.count >= 3, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]) {
                let file = parts.dropLast(2).joined(separator: ":")
                physical = ["artifactLocation": ["uri": file], "region": ["startLine": line, "startColumn": max(column, 1)]]
            } else if parts.count == 2, let line = Int(parts[1]) {
                physical = ["artifactLocation": ["uri": String(parts[0])], "region": ["startLine": line]]
            }
        }
        var l: [String: Any] = [
            "physicalLocation": physical,
            "logicalLocations": [["name": frame.function, "kind": "function"]],
        ]
        if let id { l["id"] = id }
        return l
    }

    private func moduleResult(_ rule: String, _ text: String, seed: UInt64) -> [String: Any] {
        ["ruleId": rule, "level": "error", "message": ["text": text],
         "locations": [["physicalLocation": ["artifactLocation": ["uri": module]]]],
         "properties": ["seed": seed]]
    }
}

private func accessJSON(_ a: RaceAccess) -> [String: Any] {
    [
        "thread": a.thread, "access": a.isWrite ? "write" : "read", "atomic": a.isAtomic,
        "size": a.size, "address": a.address,
        "function": a.site.function, "offset": a.site.offset.map { $0 as Any } ?? NSNull(),
        "source": a.site.source.map { $0 as Any } ?? NSNull(),
        "stack": a.stack.map(frameJSON),
        "host_call": a.hostCall.map { $0 as Any } ?? NSNull(),
    ]
}

private func spawnJSON(_ s: SpawnSite?) -> Any {
    guard let s else { return NSNull() }
    return ["parent": s.parent, "stack": s.stack.map(frameJSON)] as [String: Any]
}

private func frameJSON(_ f: StackFrame) -> [String: Any] {
    ["function": f.function, "offset": f.offset.map { $0 as Any } ?? NSNull(), "source": f.source.map { $0 as Any } ?? NSNull()]
}

private func frames(_ x: Any?) -> [StackFrame] {
    (x as? [[String: Any]] ?? []).map {
        StackFrame(function: $0["function"] as? String ?? "?", offset: ($0["offset"] as? NSNumber)?.intValue, source: $0["source"] as? String)
    }
}

private func access(_ x: [String: Any]) -> RaceAccess? {
    guard let thread = (x["thread"] as? NSNumber)?.int32Value, let kind = x["access"] as? String,
        let size = (x["size"] as? NSNumber)?.intValue, let address = (x["address"] as? NSNumber)?.uint64Value
    else { return nil }
    return RaceAccess(thread: thread, isWrite: kind == "write", isAtomic: (x["atomic"] as? Bool) ?? false, size: size,
                      address: address, stack: frames(x["stack"]), hostCall: x["host_call"] as? String)
}

private func spawn(_ x: Any?) -> SpawnSite? {
    guard let o = x as? [String: Any], let parent = (o["parent"] as? NSNumber)?.int32Value else { return nil }
    return SpawnSite(parent: parent, stack: frames(o["stack"]))
}
