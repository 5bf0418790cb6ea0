import WeftInterpreter
import WeftScheduler

/// Text and JSON renderings of trace contents (`weft dump`). The JSON Lines schema is documented
/// in docs/trace-format.md; fields are only ever added to it.

func hex64(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// One line describing an event.
public func describe(_ event: RunEvent) -> String {
    switch event {
    case .slice(let t, let budget, let position):
        return "slice thread \(t) budget \(budget) position \(position)"
    case .atomic(let t, let a):
        var s = "atomic thread \(t) \(a.kind) \(a.width) bytes at \(hex64(a.address))"
        if let r = a.read { s += " read \(hex64(r))" }
        if let w = a.written { s += " wrote \(hex64(w))" }
        return s
    case .wait(let t, let address, let timeout):
        return "wait thread \(t) at \(hex64(address)) timeout \(timeout < 0 ? "none" : "\(timeout) ns")"
    case .timeout(let t):
        return "timeout thread \(t)"
    case .notify(let t, let address, let count, let woken):
        return "notify thread \(t) at \(hex64(address)) count \(count) woke [\(woken.map(String.init).joined(separator: ", "))]"
    case .spawn(let parent, let child, let argument):
        return child < 0 ? "spawn by thread \(parent) failed (argument \(hex64(UInt64(argument))))"
            : "spawn thread \(child) by thread \(parent) argument \(hex64(UInt64(argument)))"
    case .exit(let t):
        return "exit thread \(t)"
    case .sleep(let t):
        return "sleep thread \(t)"
    case .hostCall(let t, let call):
        var s = describeCall(thread: t, name: call.name, arguments: call.arguments)
        switch call.outcome {
        case .returned(let r): s += " -> \(r.count == 1 ? String(r[0]) : "\(r.count) results")"
        case .exit(let code): s += " -> exit \(code)"
        case .wouldBlock: s += " -> would block"
        case .trapped(let m): s += " -> trap: \(m)"
        }
        if !call.writes.isEmpty {
            s += ", wrote " + call.writes.map { "\($0.bytes.count) bytes at \(hex64($0.address))" }.joined(separator: ", ")
        }
        return s
    case .end(let outcome):
        return "end: " + describe(outcome)
    }
}

/// A WASI call without its outcome: `host thread T name(args)`.
func describeCall(thread: Int32, name: String, arguments: [UInt64]) -> String {
    "host thread \(thread) \(name)(\(arguments.map { String($0) }.joined(separator: ", ")))"
}

public func describe(_ outcome: ThreadedOutcome) -> String {
    switch outcome {
    case .exited(let code): return "exit code \(code)"
    case .trapped(let thread, let message): return "trap in thread \(thread): \(message)"
    case .deadlock(let summary, _): return summary
    case .limitExceeded(let slices): return "stopped after \(slices) scheduling slices"
    }
}

/// A tiny JSON writer: objects with ordered keys.
struct JSONObject {
    var fields: [String] = []

    mutating func add(_ key: String, _ value: String) { fields.append("\(quote(key)):\(quote(value))") }
    mutating func add(_ key: String, _ value: Int) { fields.append("\(quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: Int32) { fields.append("\(quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: UInt64) { fields.append("\(quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: Bool) { fields.append("\(quote(key)):\(value)") }
    mutating func addRaw(_ key: String, _ json: String) { fields.append("\(quote(key)):\(json)") }
    mutating func addNull(_ key: String) { fields.append("\(quote(key)):null") }

    var text: String { "{" + fields.joined(separator: ",") + "}" }
}

func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case let c where c.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count) + String(c.value, radix: 16)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

func jsonArray(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

/// The header as one JSON object.
public func json(_ h: TraceHeader, formatVersion: UInt16 = TraceFormat.version) -> String {
    var o = JSONObject()
    o.add("type", "header")
    o.add("format_version", Int(formatVersion))
    o.add("weft_version", h.weftVersion)
    o.add("module_name", h.moduleName)
    o.add("module_sha256", hex(h.moduleDigest))
    o.add("module_embedded", h.module != nil)
    if let m = h.module { o.add("module_size", m.count) }
    o.addRaw("args", jsonArray(h.arguments.map(quote)))
    o.addRaw("env", jsonArray(h.environment.map { quote("\($0.key)=\($0.value)") }))
    o.addRaw("preopens", jsonArray(h.preopens.map(quote)))
    o.add("schedule", h.schedule.kind.rawValue)
    o.add("seed", h.schedule.seed)
    o.add("quantum", h.schedule.quantum)
    o.add("pct_depth", h.schedule.pctDepth)
    o.add("pct_steps", h.schedule.pctSteps)
    o.add("max_threads", h.maxThreads)
    if let s = h.maxSlices { o.add("max_slices", s) } else { o.addNull("max_slices") }
    o.add("time", h.realTime ? "real" : "virtual")
    return o.text
}

/// One event as a JSON object.
public func json(_ event: RunEvent, index: Int, end: TraceEnd? = nil) -> String {
    var o = JSONObject()
    o.add("index", index)
    switch event {
    case .slice(let t, let budget, let position):
        o.add("type", "slice"); o.add("thread", t); o.add("budget", budget); o.add("position", position)
    case .atomic(let t, let a):
        o.add("type", "atomic"); o.add("thread", t); o.add("op", "\(a.kind)"); o.add("address", a.address); o.add("width", a.width)
        if let r = a.read { o.add("read", r) } else { o.addNull("read") }
        if let w = a.written { o.add("written", w) } else { o.addNull("written") }
    case .wait(let t, let address, let timeout):
        o.add("type", "wait"); o.add("thread", t); o.add("address", address); o.add("timeout_ns", Int(timeout))
    case .timeout(let t):
        o.add("type", "timeout"); o.add("thread", t)
    case .notify(let t, let address, let count, let woken):
        o.add("type", "notify"); o.add("thread", t); o.add("address", address); o.add("count", UInt64(count))
        o.addRaw("woken", jsonArray(woken.map { String($0) }))
    case .spawn(let parent, let child, let argument):
        o.add("type", "spawn"); o.add("thread", parent); o.add("child", child); o.add("argument", UInt64(argument))
    case .exit(let t):
        o.add("type", "exit"); o.add("thread", t)
    case .sleep(let t):
        o.add("type", "sleep"); o.add("thread", t)
    case .hostCall(let t, let call):
        o.add("type", "host_call"); o.add("thread", t); o.add("function", call.name)
        o.addRaw("args", jsonArray(call.arguments.map { String($0) }))
        switch call.outcome {
        case .returned(let r): o.add("outcome", "returned"); o.addRaw("results", jsonArray(r.map { String($0) }))
        case .exit(let code): o.add("outcome", "exit"); o.add("exit_code", UInt64(code))
        case .wouldBlock: o.add("outcome", "would_block")
        case .trapped(let m): o.add("outcome", "trap"); o.add("message", m)
        }
        o.addRaw("writes", jsonArray(call.writes.map { w in
            var m = JSONObject()
            m.add("address", w.address)
            m.add("hex", hex(w.bytes))
            return m.text
        }))
    case .end(let outcome):
        o.add("type", "end")
        switch outcome {
        case .exited(let code): o.add("outcome", "exit"); o.add("exit_code", UInt64(code))
        case .trapped(let thread, let message): o.add("outcome", "trap"); o.add("thread", thread); o.add("message", message)
        case .deadlock(let summary, let threads):
            o.add("outcome", "deadlock"); o.add("message", summary); o.addRaw("threads", jsonArray(threads.map(quote)))
        case .limitExceeded(let slices): o.add("outcome", "limit"); o.add("slices", slices)
        }
        if let d = end?.memoryDigest { o.add("memory_sha256", hex(d)) } else { o.addNull("memory_sha256") }
    }
    return o.text
}

/// The header in text, a line per field.
public func describe(_ h: TraceHeader, formatVersion: UInt16 = TraceFormat.version) -> [String] {
    var lines = [
        "Weft trace, format \(formatVersion), written by Weft \(h.weftVersion)",
        "module: \(h.moduleName) sha256 \(hex(h.moduleDigest))" + (h.module.map { " (embedded, \($0.count) bytes)" } ?? " (not embedded)"),
        "args: \(h.arguments.joined(separator: " "))",
    ]
    if !h.environment.isEmpty { lines.append("env: " + h.environment.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
    if !h.preopens.isEmpty { lines.append("preopens: " + h.preopens.joined(separator: " ")) }
    var schedule = "schedule: \(h.schedule.kind.rawValue) seed \(h.schedule.seed) quantum \(h.schedule.quantum)"
    if h.schedule.kind == .pct { schedule += " pct-depth \(h.schedule.pctDepth)" }
    lines.append(schedule + ", max threads \(h.maxThreads)" + (h.maxSlices.map { ", max slices \($0)" } ?? ""))
    lines.append("time: \(h.realTime ? "real (host clocks)" : "virtual")")
    return lines
}
