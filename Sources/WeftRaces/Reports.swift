import WeftInterpreter

/// One frame of a call stack: a function name and the wasm code offset of the instruction, when
/// known.
public struct StackFrame: Equatable, Hashable, Sendable, Codable {
    public var function: String
    public var offset: Int?
    /// `file:line:column` from the module's DWARF, when it has some.
    public var source: String?

    public init(function: String, offset: Int?, source: String? = nil) {
        self.function = function
        self.offset = offset
        self.source = source
    }

    /// `name+0xOFF (file:line:col)`, as in Weft's backtraces; the bare name when the offset is
    /// unknown.
    public var description: String {
        let at = offset.map { "\(function)+0x\(String($0, radix: 16))" } ?? function
        return source.map { "\(at) (\($0))" } ?? at
    }
}

/// One side of a data race.
public struct RaceAccess: Equatable, Sendable, Codable {
    /// The wasi-threads thread id (0 for the main thread).
    public var thread: Int32
    public var isWrite: Bool
    public var isAtomic: Bool
    /// Bytes accessed and the first one's address. For the previous access these are the bytes
    /// of its 8-byte granule the detector remembers it touching.
    public var size: Int
    public var address: UInt64
    /// Innermost first; empty when unknown.
    public var stack: [StackFrame]
    /// Set when the bytes were written by a WASI call on the thread's behalf (its name).
    public var hostCall: String?

    public init(thread: Int32, isWrite: Bool, isAtomic: Bool, size: Int, address: UInt64, stack: [StackFrame], hostCall: String? = nil) {
        self.thread = thread
        self.isWrite = isWrite
        self.isAtomic = isAtomic
        self.size = size
        self.address = address
        self.stack = stack
        self.hostCall = hostCall
    }

    /// The innermost frame: what identifies the access's code location.
    public var site: StackFrame { stack.first ?? StackFrame(function: "?", offset: nil) }

    var kindWord: String {
        let rw = isWrite ? "write" : "read"
        return isAtomic ? "atomic \(rw)" : rw
    }
}

/// Where a thread was created: by which thread and with what stack (nil for the main thread).
public struct SpawnSite: Equatable, Sendable, Codable {
    public var parent: Int32
    public var stack: [StackFrame]

    public init(parent: Int32, stack: [StackFrame]) {
        self.parent = parent
        self.stack = stack
    }
}

/// Two accesses to overlapping bytes from different threads, at least one a write and one not
/// atomic, with neither happening before the other.
public struct DataRace: Equatable, Sendable, Codable {
    /// The access that found the race.
    public var current: RaceAccess
    /// The earlier access it conflicts with.
    public var previous: RaceAccess
    /// Where each thread was created (nil: the main thread).
    public var currentSpawn: SpawnSite?
    public var previousSpawn: SpawnSite?
    /// The schedule seed of the run that showed it, when the run had one.
    public var seed: UInt64?

    /// Races with the same pair of code locations (in either order) count once.
    public var key: String {
        let a = current.site.description + (current.isWrite ? "(w)" : "(r)")
        let b = previous.site.description + (previous.isWrite ? "(w)" : "(r)")
        return a < b ? "\(a)|\(b)" : "\(b)|\(a)"
    }

    /// The report, in ThreadSanitizer's shape.
    public var report: String {
        var lines = ["=================="]
        lines.append("WARNING: data race" + (seed.map { " (seed \($0))" } ?? ""))
        func describe(_ a: RaceAccess, previous: Bool) {
            var head = previous ? "Previous \(a.kindWord)" : a.kindWord.prefix(1).uppercased() + a.kindWord.dropFirst()
            head += " of size \(a.size) at 0x\(hex(a.address)) by \(threadName(a.thread))"
            if let call = a.hostCall { head += " (WASI \(call))" }
            lines.append("  \(head):")
            if a.stack.isEmpty { lines.append("    #0 <unknown>") }
            for (i, f) in a.stack.enumerated() { lines.append("    #\(i) \(f.description)") }
            lines.append("")
        }
        describe(current, previous: false)
        describe(previous, previous: true)
        var shown: Set<Int32> = []
        for (thread, spawn) in [(current.thread, currentSpawn), (previous.thread, previousSpawn)] where !shown.contains(thread) {
            shown.insert(thread)
            if let spawn {
                lines.append("  Thread T\(thread) created by \(threadName(spawn.parent)) at:")
                for (i, f) in spawn.stack.enumerated() { lines.append("    #\(i) \(f.description)") }
            } else {
                lines.append("  Thread T\(thread) is the main thread.")
            }
            lines.append("")
        }
        lines.append("SUMMARY: weft: data race \(current.site.description) (\(current.kindWord)) vs \(previous.site.description) (\(previous.kindWord))")
        lines.append("==================")
        return lines.joined(separator: "\n")
    }
}

func threadName(_ tid: Int32) -> String { tid == 0 ? "main thread T0" : "thread T\(tid)" }

func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 8 - s.count)) + s
}
