/// The instruction time of each event a session has passed, in event order, kept compactly:
/// in chunks of ``timesPerChunk``, each the first time then the differences from one time to
/// the next, as zigzag LEB128 varints (a byte or two an event, since events are usually a few
/// hundred instructions apart). The chunk being filled is a plain array. Times are only ever
/// added at the end, as the run first passes each event; reading one (rare: `goto`) decodes
/// its chunk up to it.
struct EventTimes {
    let timesPerChunk: Int
    /// The number of times held.
    private(set) var count = 0
    /// The full chunks, coded.
    private(set) var chunks: [[UInt8]] = []
    /// The times after the full chunks.
    private var tail: [UInt64] = []

    init(timesPerChunk: Int = 4096) {
        precondition(timesPerChunk > 0)
        self.timesPerChunk = timesPerChunk
    }

    /// The bytes the coded chunks take.
    var codedByteCount: Int { chunks.reduce(0) { $0 + $1.count } }

    mutating func append(_ time: UInt64) {
        tail.append(time)
        count += 1
        guard tail.count == timesPerChunk else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 * timesPerChunk)
        var previous: UInt64 = 0
        for t in tail {
            let d = Int64(bitPattern: t &- previous)
            var v = UInt64(bitPattern: (d << 1) ^ (d >> 63))
            while v >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
            previous = t
        }
        chunks.append(bytes)
        tail.removeAll(keepingCapacity: true)
    }

    subscript(index: Int) -> UInt64 {
        precondition(index >= 0 && index < count, "time \(index) out of range (\(count) known)")
        let chunk = index / timesPerChunk
        let offset = index - chunk * timesPerChunk
        if chunk == chunks.count { return tail[offset] }
        let bytes = chunks[chunk]
        var i = 0
        var time: UInt64 = 0
        for _ in 0...offset {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = bytes[i]
                i += 1
                v |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            time &+= UInt64(bitPattern: Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1))
        }
        return time
    }
}
