import WeftInterpreter
import WeftScheduler
import WeftWASI

/// Event tags (the first byte of each event). See docs/trace-format.md.
enum EventTag: UInt8 {
    case slice = 1, atomic, wait, timeout, notify, spawn, exit, sleep, hostCall, end
}

/// Per-thread state both the encoder and the decoder keep, so that events can be written as
/// small deltas: a thread's position grows from its previous slice, and an atomic address is
/// written relative to the thread's previous atomic address. Host function names are numbered
/// in order of first use.
struct CodingState {
    var positions: [Int32: UInt64] = [:]
    var addresses: [Int32: UInt64] = [:]
    var names: [String] = []
    var nameIndex: [String: Int] = [:]
}

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
            w.u8(EventTag.slice.rawValue)
            w.zigzag(Int64(t))
            w.varint(budget)
            let last = positions[t] ?? 0
            w.zigzag(Int64(bitPattern: position &- last))
            positions[t] = position
        case .atomic(let t, let a):
            w.u8(EventTag.atomic.rawValue)
            w.zigzag(Int64(t))
            let widthCode: UInt8 = a.width == 8 ? 3 : a.width == 4 ? 2 : a.width == 2 ? 1 : 0
            var flags = a.kind.rawValue | widthCode << 3
            if a.read != nil { flags |= 1 << 5 }
            if a.written != nil { flags |= 1 << 6 }
            w.u8(flags)
            let last = addresses[t] ?? 0
            w.zigzag(Int64(bitPattern: a.address &- last))
            addresses[t] = a.address
            if let r = a.read { w.varint(r) }
            if let v = a.written { w.varint(v) }
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
        guard let tag = EventTag(rawValue: tagByte) else { throw TraceFormatError("unknown event tag \(tagByte)") }
        let limit = r.remaining
        switch tag {
        case .slice:
            let t = try r.int32()
            let budget = try r.count(max: Int.max)
            let position = (positions[t] ?? 0) &+ UInt64(bitPattern: try r.zigzag())
            positions[t] = position
            return (.slice(thread: t, budget: budget, position: position), nil)
        case .atomic:
            let t = try r.int32()
            let flags = try r.u8()
            guard let kind = AtomicAccess.Kind(rawValue: flags & 7), flags & 0x80 == 0 else {
                throw TraceFormatError("bad atomic flags 0x\(String(flags, radix: 16))")
            }
            let width = kind == .fence ? 0 : 1 << Int((flags >> 3) & 3)
            let address = (addresses[t] ?? 0) &+ UInt64(bitPattern: try r.zigzag())
            addresses[t] = address
            let read = flags & (1 << 5) != 0 ? try r.varint() : nil
            let written = flags & (1 << 6) != 0 ? try r.varint() : nil
            return (.atomic(thread: t, AtomicAccess(kind: kind, address: address, width: width, read: read, written: written)), nil)
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
}
