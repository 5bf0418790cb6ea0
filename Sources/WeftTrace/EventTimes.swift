/// The instruction time of each event a debugging session has passed, in event order, kept
/// compactly: in chunks of ``timesPerChunk``, each the differences from one time to the next
/// (the first from 0) as zigzag varints, the trace format's coding (a byte or two an event,
/// since events are usually a few hundred instructions apart). The chunk being filled is a
/// plain array. Times are only ever added at the end, as the run first passes each event;
/// reading one (rare: `goto`) decodes its chunk up to it.
public struct EventTimes {
    public let timesPerChunk: Int
    /// The number of times held.
    public private(set) var count = 0
    /// The full chunks, coded.
    public private(set) var chunks: [[UInt8]] = []
    /// The times after the full chunks.
    private var tail: [UInt64] = []

    public init(timesPerChunk: Int = 4096) {
        precondition(timesPerChunk > 0)
        self.timesPerChunk = timesPerChunk
    }

    /// The bytes the coded chunks take.
    public var codedByteCount: Int { chunks.reduce(0) { $0 + $1.count } }

    public mutating func append(_ time: UInt64) {
        tail.append(time)
        count += 1
        guard tail.count == timesPerChunk else { return }
        var w = ByteWriter(capacity: 2 * timesPerChunk)
        var previous: UInt64 = 0
        for t in tail {
            w.zigzag(Int64(bitPattern: t &- previous))
            previous = t
        }
        chunks.append(w.bytes)
        tail.removeAll(keepingCapacity: true)
    }

    public subscript(index: Int) -> UInt64 {
        precondition(index >= 0 && index < count, "time \(index) out of range (\(count) known)")
        let chunk = index / timesPerChunk
        let offset = index - chunk * timesPerChunk
        if chunk == chunks.count { return tail[offset] }
        var r = ByteReader(chunks[chunk])
        var time: UInt64 = 0
        for _ in 0...offset {
            // The chunk was coded here, with all its times, so it cannot end early.
            time &+= UInt64(bitPattern: try! r.zigzag())
        }
        return time
    }
}
