import WeftInterpreter
import WeftScheduler
import WeftWASI

/// Event tags (the first byte of each event). See docs/trace-format.md.
enum EventTag: UInt8 {
    case slice = 1, atomic, wait, timeout, notify, spawn, exit, sleep, hostCall, end
    /// Format 2: the current thread runs on with what is left of its budget, after a number of
    /// yield points written as a varint.
    case sliceContinues = 11
}

/// The tags of format 2's one-byte forms, which take the high tag values.
enum CompactTag {
    /// `0x40 | n`: the current thread runs on after `n` (< 64) more yield points.
    static let sliceContinues: UInt8 = 0x40
    /// `0x80 | flags`: an atomic by the current thread; the low 7 bits are its flags.
    static let atomic: UInt8 = 0x80
}

/// A thread's delta bases: the position of its latest slice and the address of its latest
/// atomic.
struct ThreadCursor {
    var position: UInt64 = 0
    var address: UInt64 = 0
}

/// The latest value known at recently used atomic addresses, so atomic values can be written as
/// differences from it: 256 entries, address `a` in entry `(a >> 2) % 256`, an entry holding one
/// address and its value; an address not in its entry has the known value 0. Kept in raw memory
/// (address, value pairs), since the recorder updates it at every atomic.
struct KnownValues: ~Copyable {
    static let entries = 256
    let table: UnsafeMutablePointer<UInt64>

    init() {
        table = .allocate(capacity: 2 * Self.entries)
        for i in 0..<Self.entries {
            table[2 * i] = UInt64.max  // an address no atomic of a 32-bit memory has
            table[2 * i + 1] = 0
        }
    }

    deinit { table.deallocate() }

    @inline(__always)
    static func entry(_ address: UInt64) -> Int { 2 * Int(truncatingIfNeeded: (address >> 2) & UInt64(entries - 1)) }

    @inline(__always)
    func value(at address: UInt64) -> UInt64 {
        let i = Self.entry(address)
        return table[i] == address ? table[i + 1] : 0
    }

    /// After an atomic: its address holds what it wrote, or what a plain load read.
    @inline(__always)
    func note(_ a: AtomicAccess) {
        let v: UInt64
        if let w = a.written {
            v = w
        } else if a.kind == .load, let r = a.read {
            v = r
        } else {
            return
        }
        let i = Self.entry(a.address)
        table[i] = a.address
        table[i + 1] = v
    }
}

/// State both the encoder and the decoder keep, so that events can be written as small
/// deltas: the current thread (that of the latest slice event) with its budget and cursor, the
/// other threads' cursors, the known atomic values, and the host function names in order of
/// first use.
struct CodingState: ~Copyable {
    /// The compact forms of format 2 may be read (false while reading a version 1 trace).
    var compactForms = true
    var current: Int32?
    var currentBudget = 0
    var currentCursor = ThreadCursor()
    /// Cursors of the threads other than `current` (an entry for `current` may be stale).
    var cursors: [Int32: ThreadCursor] = [:]
    var known = KnownValues()
    var names: [String] = []
    var nameIndex: [String: Int] = [:]

    init(formatVersion: UInt16 = TraceFormat.version) {
        compactForms = formatVersion >= 2
    }

    func cursor(_ t: Int32) -> ThreadCursor {
        t == current ? currentCursor : cursors[t] ?? ThreadCursor()
    }

    mutating func setCursor(_ t: Int32, _ c: ThreadCursor) {
        if t == current { currentCursor = c } else { cursors[t] = c }
    }

    /// A slice event of `t`: it becomes the current thread.
    mutating func enterSlice(_ t: Int32, budget: Int, position: UInt64) {
        if t != current {
            if let c = current { cursors[c] = currentCursor }
            currentCursor = cursors[t] ?? ThreadCursor()
            current = t
        }
        currentBudget = budget
        currentCursor.position = position
    }
}

/// The flags byte of an atomic (bit 7 clear).
@inline(__always)
func atomicFlags(_ a: AtomicAccess) -> UInt8 {
    let widthCode: UInt8 = a.width == 8 ? 3 : a.width == 4 ? 2 : a.width == 2 ? 1 : 0
    var flags = a.kind.rawValue | widthCode << 3
    if a.read != nil { flags |= 1 << 5 }
    if a.written != nil { flags |= 1 << 6 }
    return flags
}

@inline(__always)
func difference(_ v: UInt64, from base: UInt64) -> Int64 { Int64(bitPattern: v &- base) }

/// The end of a run as a trace keeps it: the outcome and a SHA-256 of final memory.
public struct TraceEnd: Equatable, Sendable {
    public var outcome: ThreadedOutcome
    /// SHA-256 of the shared (imported) memory at the end; nil when the module has none.
    public var memoryDigest: [UInt8]?
}

extension CodingState {
    mutating func encode(_ event: RunEvent, memoryDigest: [UInt8]? = nil, into w: inout ByteWriter) {
        switch event {
        case .slice(let t, let budget, let position):
            if t == current {
                let used = position &- currentCursor.position
                if currentBudget >= 0, used <= UInt64(currentBudget), currentBudget - Int(used) == budget {
                    if used < 64 {
                        w.u8(CompactTag.sliceContinues | UInt8(used))
                    } else {
                        w.u8(EventTag.sliceContinues.rawValue)
                        w.varint(used)
                    }
                    currentBudget = budget
                    currentCursor.position = position
                    return
                }
            }
            w.u8(EventTag.slice.rawValue)
            w.zigzag(Int64(t))
            w.varint(budget)
            w.zigzag(difference(position, from: cursor(t).position))
            enterSlice(t, budget: budget, position: position)
        case .atomic(let t, let a):
            let flags = atomicFlags(a)
            if t == current {
                w.u8(CompactTag.atomic | flags)
                w.zigzag(difference(a.address, from: currentCursor.address))
                currentCursor.address = a.address
                let base = known.value(at: a.address)
                if let r = a.read { w.zigzag(difference(r, from: base)) }
                if let v = a.written { w.zigzag(difference(v, from: a.read ?? base)) }
            } else {
                w.u8(EventTag.atomic.rawValue)
                w.zigzag(Int64(t))
                w.u8(flags)
                var c = cursor(t)
                w.zigzag(difference(a.address, from: c.address))
                c.address = a.address
                setCursor(t, c)
                if let r = a.read { w.varint(r) }
                if let v = a.written { w.varint(v) }
            }
            known.note(a)
        case .wait(let t, let address, let timeout):
            w.u8(EventTag.wait.rawValue)
            w.zigzag(Int64(t))
            w.varint(address)
            w.zigzag(timeout)
        case .timeout(let t):
            w.u8(EventTag.timeout.rawValue)
            w.zigzag(Int64(t))
        case .notify(let t, let address, let count, let woken):
            w.u8(EventTag.notify.rawValue)
            w.zigzag(Int64(t))
            w.varint(address)
            w.varint(UInt64(count))
            w.varint(woken.count)
            for x in woken { w.zigzag(Int64(x)) }
        case .spawn(let parent, let child, let argument):
            w.u8(EventTag.spawn.rawValue)
            w.zigzag(Int64(parent))
            w.zigzag(Int64(child))
            w.varint(UInt64(argument))
        case .exit(let t):
            w.u8(EventTag.exit.rawValue)
            w.zigzag(Int64(t))
        case .sleep(let t):
            w.u8(EventTag.sleep.rawValue)
            w.zigzag(Int64(t))
        case .hostCall(let t, let call):
            w.u8(EventTag.hostCall.rawValue)
            w.zigzag(Int64(t))
            if let i = nameIndex[call.name] {
                w.varint(i + 1)
            } else {
                w.varint(0)
                w.string(call.name)
                nameIndex[call.name] = names.count
                names.append(call.name)
            }
            w.varint(call.arguments.count)
            for a in call.arguments { w.varint(a) }
            switch call.outcome {
            case .returned(let results):
                w.u8(0)
                w.varint(results.count)
                for r in results { w.varint(r) }
            case .exit(let code):
                w.u8(1)
                w.varint(UInt64(code))
            case .wouldBlock:
                w.u8(2)
            case .trapped(let message):
                w.u8(3)
                w.string(message)
            }
            w.varint(call.writes.count)
            for m in call.writes {
                w.varint(m.address)
                w.blob(m.bytes)
            }
        case .end(let outcome):
            w.u8(EventTag.end.rawValue)
            switch outcome {
            case .exited(let code):
                w.u8(0)
                w.varint(UInt64(code))
            case .trapped(let thread, let message):
                w.u8(1)
                w.zigzag(Int64(thread))
                w.string(message)
            case .deadlock(let summary, let threads):
                w.u8(2)
                w.string(summary)
                w.varint(threads.count)
                for l in threads { w.string(l) }
            case .limitExceeded(let slices):
                w.u8(3)
                w.varint(slices)
            }
            if let memoryDigest {
                w.u8(1)
                w.raw(memoryDigest)
            } else {
                w.u8(0)
            }
        }
    }

    /// Decodes one event; for an `end` event also its memory digest.
    mutating func decode(_ r: inout ByteReader) throws -> (RunEvent, TraceEnd?) {
        let tagByte = try r.u8()
        if tagByte >= CompactTag.sliceContinues, compactForms {
            guard let t = current else { throw TraceFormatError("tag 0x\(String(tagByte, radix: 16)) before any slice") }
            if tagByte >= CompactTag.atomic { return (.atomic(thread: t, try decodeAtomic(flags: tagByte & 0x7F, compact: true, &r)), nil) }
            return (try continueSlice(t, used: UInt64(tagByte & 0x3F)), nil)
        }
        guard let tag = EventTag(rawValue: tagByte), tag != .sliceContinues || compactForms else {
            throw TraceFormatError("unknown event tag \(tagByte)")
        }
        let limit = r.remaining
        switch tag {
        case .slice:
            let t = try r.int32()
            let budget = try r.count(max: Int.max)
            let position = cursor(t).position &+ UInt64(bitPattern: try r.zigzag())
            enterSlice(t, budget: budget, position: position)
            return (.slice(thread: t, budget: budget, position: position), nil)
        case .sliceContinues:
            guard let t = current else { throw TraceFormatError("tag \(tagByte) before any slice") }
            return (try continueSlice(t, used: try r.varint()), nil)
        case .atomic:
            let t = try r.int32()
            var c = cursor(t)
            let a = try decodeAtomic(flags: try r.u8(), compact: false, &r, cursor: &c)
            setCursor(t, c)
            return (.atomic(thread: t, a), nil)
        case .wait:
            return (.wait(thread: try r.int32(), address: try r.varint(), timeout: try r.zigzag()), nil)
        case .timeout:
            return (.timeout(thread: try r.int32()), nil)
        case .notify:
            let t = try r.int32()
            let address = try r.varint()
            let count = try r.uint32()
            let woken = try (0..<r.count(max: limit)).map { _ in try r.int32() }
            return (.notify(thread: t, address: address, count: count, woken: woken), nil)
        case .spawn:
            return (.spawn(parent: try r.int32(), child: try r.int32(), argument: try r.uint32()), nil)
        case .exit:
            return (.exit(thread: try r.int32()), nil)
        case .sleep:
            return (.sleep(thread: try r.int32()), nil)
        case .hostCall:
            let t = try r.int32()
            let ref = try r.count(max: names.count)
            let name: String
            if ref == 0 {
                name = try r.string()
                nameIndex[name] = names.count
                names.append(name)
            } else {
                name = names[ref - 1]
            }
            let arguments = try (0..<r.count(max: limit)).map { _ in try r.varint() }
            let outcome: HostCallRecord.Outcome
            switch try r.u8() {
            case 0: outcome = .returned(try (0..<r.count(max: limit)).map { _ in try r.varint() })
            case 1: outcome = .exit(try r.uint32())
            case 2: outcome = .wouldBlock
            case 3: outcome = .trapped(try r.string())
            case let o: throw TraceFormatError("unknown host call outcome \(o)")
            }
            let writes = try (0..<r.count(max: limit)).map { _ in MemoryWrite(address: try r.varint(), bytes: try r.blob()) }
            return (.hostCall(thread: t, HostCallRecord(name: name, arguments: arguments, outcome: outcome, writes: writes)), nil)
        case .end:
            let outcome: ThreadedOutcome
            switch try r.u8() {
            case 0: outcome = .exited(try r.uint32())
            case 1: outcome = .trapped(thread: try r.int32(), message: try r.string())
            case 2:
                let summary = try r.string()
                outcome = .deadlock(summary: summary, threads: try (0..<r.count(max: limit)).map { _ in try r.string() })
            case 3: outcome = .limitExceeded(slices: try r.count(max: Int.max))
            case let o: throw TraceFormatError("unknown run outcome \(o)")
            }
            var digest: [UInt8]?
            switch try r.u8() {
            case 0: break
            case 1: digest = try r.raw(32)
            case let f: throw TraceFormatError("bad memory digest flag \(f)")
            }
            return (.end(outcome), TraceEnd(outcome: outcome, memoryDigest: digest))
        }
    }

    /// The current thread `t` runs on after `used` more yield points.
    mutating func continueSlice(_ t: Int32, used: UInt64) throws -> RunEvent {
        guard currentBudget >= 0, used <= UInt64(currentBudget) else {
            throw TraceFormatError("a slice runs on for \(used) yield points, more than the \(currentBudget) left")
        }
        currentBudget -= Int(used)
        currentCursor.position &+= used
        return .slice(thread: t, budget: currentBudget, position: currentCursor.position)
    }

    /// An atomic by the current thread (compact form).
    mutating func decodeAtomic(flags: UInt8, compact: Bool, _ r: inout ByteReader) throws -> AtomicAccess {
        var c = currentCursor
        let a = try decodeAtomic(flags: flags, compact: compact, &r, cursor: &c)
        currentCursor = c
        return a
    }

    /// An atomic's flags and fields: in the compact form its values are differences from the
    /// known value at its address (the written one from the read one, when both are present).
    mutating func decodeAtomic(flags: UInt8, compact: Bool, _ r: inout ByteReader, cursor c: inout ThreadCursor) throws -> AtomicAccess {
        guard let kind = AtomicAccess.Kind(rawValue: flags & 7), flags & 0x80 == 0 else {
            throw TraceFormatError("bad atomic flags 0x\(String(flags, radix: 16))")
        }
        let width = kind == .fence ? 0 : 1 << Int((flags >> 3) & 3)
        let address = c.address &+ UInt64(bitPattern: try r.zigzag())
        c.address = address
        var read: UInt64?
        var written: UInt64?
        if compact {
            let base = known.value(at: address)
            if flags & (1 << 5) != 0 { read = base &+ UInt64(bitPattern: try r.zigzag()) }
            if flags & (1 << 6) != 0 { written = (read ?? base) &+ UInt64(bitPattern: try r.zigzag()) }
        } else {
            if flags & (1 << 5) != 0 { read = try r.varint() }
            if flags & (1 << 6) != 0 { written = try r.varint() }
        }
        let a = AtomicAccess(kind: kind, address: address, width: width, read: read, written: written)
        known.note(a)
        return a
    }
}
