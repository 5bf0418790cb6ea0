#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeftInterpreter

/// What one stretch of the run (from a snapshot to the next) did, in summary: the code it ran
/// and the memory it read and wrote, coarsely. `reverse-continue` and `continue` skip a stretch
/// whose summary shows that no breakpoint or watchpoint can fire in it, instead of
/// re-executing it — so looking over a long run for a rare hit costs the stretches that may
/// hold one, not the whole run.
///
/// Every summary over-approximates: a code bit stands for several instructions, a granule may
/// have been touched elsewhere than the watched bytes. It never misses what happened.
struct SegmentActivity {
    /// The nonzero words of the stretch's code bitmap (see ``DebugState/coverage``), by index.
    var code: [(index: Int, word: UInt64)]
    /// Memory written (by instructions, bulk operations and WASI calls), as granule ranges.
    var written: GranuleRanges
    /// Memory read or written.
    var touched: GranuleRanges

    /// Whether the instruction at `codeAddress` may have run in the stretch.
    func ran(codeAddress: UInt) -> Bool {
        let (index, bit) = DebugState.coverageBit(codeAddress, mask: ActivityRecorder.coverageMask)
        var lo = 0
        var hi = code.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if code[mid].index < index { lo = mid + 1 } else { hi = mid }
        }
        return lo < code.count && code[lo].index == index && code[lo].word & bit != 0
    }

    /// Whether any of `addresses` is marked: for an instruction's
    /// ``CompiledFunction/coverageCandidates(ofCodeAddress:)``, whether it may have run.
    func ranAny(_ addresses: [UInt]) -> Bool {
        addresses.contains { ran(codeAddress: $0) }
    }
}

/// A set of memory ranges kept at a granularity of `1 << shift` bytes, coarsened when there
/// would be too many ranges to keep cheaply.
struct GranuleRanges {
    var shift: UInt64
    /// Sorted, disjoint, non-adjacent half-open granule ranges.
    var ranges: [Range<UInt64>]

    static let maxRanges = 512

    func overlaps(address: UInt64, length: UInt64) -> Bool {
        guard length > 0 else { return false }
        let first = address >> shift
        let last = (address &+ length &- 1) >> shift
        // Binary search for the first range that ends after `first`.
        var lo = 0
        var hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound <= first { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].lowerBound <= last
    }

    /// Ranges covering the set bits of `bits` (granules of `1 << shift` bytes), coarsened until
    /// at most ``maxRanges`` remain.
    init(bits: UnsafeMutablePointer<UInt64>, words: Int, shift: UInt64) {
        var ranges: [Range<UInt64>] = []
        var start: UInt64?
        for w in 0..<words {
            let word = bits[w]
            if word == 0 {
                if let s = start { ranges.append(s..<UInt64(w * 64)); start = nil }
                continue
            }
            if word == .max {
                if start == nil { start = UInt64(w * 64) }
                continue
            }
            for b in 0..<64 {
                let set = word & (1 << UInt64(b)) != 0
                let g = UInt64(w * 64 + b)
                if set, start == nil { start = g }
                if !set, let s = start { ranges.append(s..<g); start = nil }
            }
        }
        if let s = start { ranges.append(s..<UInt64(words * 64)) }
        self.shift = shift
        self.ranges = ranges
        coarsen()
    }

    /// Doubles the granule until few enough ranges remain (each range grows to whole granules).
    mutating func coarsen() {
        while ranges.count > Self.maxRanges {
            shift += 1
            var merged: [Range<UInt64>] = []
            merged.reserveCapacity(ranges.count / 2 + 1)
            for r in ranges {
                let c = (r.lowerBound >> 1)..<((r.upperBound + 1) >> 1)
                if let last = merged.last, last.upperBound >= c.lowerBound {
                    merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, c.upperBound)
                } else {
                    merged.append(c)
                }
            }
            ranges = merged
        }
    }

    /// The union of two summaries (of consecutive stretches merged into one).
    func union(_ other: GranuleRanges) -> GranuleRanges {
        let shift = max(self.shift, other.shift)
        var all = (ranges.map { ($0, self.shift) } + other.ranges.map { ($0, other.shift) }).map { r, s in
            let d = shift - s
            return (r.lowerBound >> d)..<((r.upperBound + (1 << d) - 1) >> d)
        }
        all.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<UInt64>] = []
        for r in all {
            if let last = merged.last, last.upperBound >= r.lowerBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        var result = GranuleRanges(shift: shift, ranges: merged)
        result.coarsen()
        return result
    }

    init(shift: UInt64, ranges: [Range<UInt64>]) {
        self.shift = shift
        self.ranges = ranges
    }
}

extension SegmentActivity {
    func union(_ other: SegmentActivity) -> SegmentActivity {
        var words: [Int: UInt64] = [:]
        for (i, w) in code { words[i, default: 0] |= w }
        for (i, w) in other.code { words[i, default: 0] |= w }
        let code = words.sorted { $0.key < $1.key }.map { (index: $0.key, word: $0.value) }
        return SegmentActivity(code: code, written: written.union(other.written), touched: touched.union(other.touched))
    }
}

/// Collects the activity of the stretch the run is in, the first time the run passes it. The
/// interpreter marks both while the run is new: code through ``DebugState/coverage`` (where
/// control arrives other than by falling through) and memory through
/// ``DebugState/readGranules`` and ``DebugState/writtenGranules``, which point at this
/// recorder's bitmaps; WASI writes are noted here with ``noteAccess(address:size:isWrite:)``.
final class ActivityRecorder {
    /// True while the run is new (at the session's frontier); re-execution repeats what the
    /// summaries already hold.
    var recording = true
    /// Bytes per granule, as a shift: 256-byte granules.
    static let shift: UInt64 = DebugState.granuleShift
    /// The code bitmap's size: 2^17 bits (16 KiB).
    static let coverageMask: UInt = (1 << 17) - 1
    let coverage: UnsafeMutablePointer<UInt64>
    private static var coverageWords: Int { Int(coverageMask + 1) / 64 }
    /// Granules read and written: bitmaps covering every address a wasm32 access reaches,
    /// mapped lazily (only the pages holding set bits cost memory).
    let read: UnsafeMutablePointer<UInt64>
    let written: UnsafeMutablePointer<UInt64>
    private static var granuleBytes: Int { DebugState.granuleWords * 8 }
    /// The bitmap words that may hold set bits: those of the memory's current size.
    var memoryBytes: () -> Int = { 0 }
    /// The most words scanned or cleared so far (memory only grows, but a restore may shrink it).
    private var span = 0

    init() {
        func map() -> UnsafeMutablePointer<UInt64> {
            guard let p = mmap(nil, Self.granuleBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                p != MAP_FAILED
            else { fatalError("weft: cannot map the debugger's access bitmaps") }
            return p.bindMemory(to: UInt64.self, capacity: DebugState.granuleWords)
        }
        read = map()
        written = map()
        coverage = .allocate(capacity: Self.coverageWords)
        coverage.initialize(repeating: 0, count: Self.coverageWords)
    }

    deinit {
        munmap(read, Self.granuleBytes)
        munmap(written, Self.granuleBytes)
        coverage.deallocate()
    }

    /// Notes an access the interpreter does not see (a WASI call's writes).
    func noteAccess(address: UInt64, size: UInt64, isWrite: Bool) {
        guard recording, size > 0 else { return }
        var g = address >> Self.shift
        let last = min((address &+ size &- 1) >> Self.shift, UInt64(DebugState.granuleWords * 64 - 1))
        guard last >= g else { return }  // wrapped: an out-of-bounds access that traps
        let bits = isWrite ? written : read
        while true {
            bits[Int(g >> 6)] |= 1 << (g & 63)
            if g == last { break }
            g += 1
        }
        span = max(span, Int(last >> 6) + 1)
    }

    /// Notes that the instruction at `codeAddress` ran (as the interpreter does).
    func noteCode(_ codeAddress: UInt) {
        guard recording else { return }
        let (word, bit) = DebugState.coverageBit(codeAddress, mask: Self.coverageMask)
        coverage[word] |= bit
    }

    /// Words of the granule bitmaps that may hold bits.
    private func words() -> Int {
        let bytes = memoryBytes()
        let w = (bytes + (64 << Int(Self.shift)) - 1) >> (6 + Int(Self.shift)) + 1
        span = min(max(span, w), DebugState.granuleWords)
        return span
    }

    /// The activity collected so far, without clearing it.
    func current() -> SegmentActivity {
        var code: [(index: Int, word: UInt64)] = []
        for i in 0..<Self.coverageWords where coverage[i] != 0 { code.append((i, coverage[i])) }
        let n = words()
        let touched = UnsafeMutablePointer<UInt64>.allocate(capacity: max(n, 1))
        defer { touched.deallocate() }
        for i in 0..<n { touched[i] = read[i] | written[i] }
        return SegmentActivity(
            code: code,
            written: GranuleRanges(bits: written, words: n, shift: Self.shift),
            touched: GranuleRanges(bits: touched, words: n, shift: Self.shift))
    }

    /// The activity collected so far; starts over empty.
    func take() -> SegmentActivity {
        let result = current()
        let n = words()
        read.update(repeating: 0, count: n)
        written.update(repeating: 0, count: n)
        coverage.update(repeating: 0, count: Self.coverageWords)
        return result
    }
}
