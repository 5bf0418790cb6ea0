import XCTest

@testable import WeftDebugger

/// Stretch summaries that let reverse-continue skip re-execution: exact where small, coarser
/// but never missing anything where large, and the same hits as re-executing everything.
final class ActivityTests: XCTestCase {
    func testGranuleRangesFromBitsAndOverlap() {
        let recorder = ActivityRecorder()
        recorder.noteAccess(address: 0x1000, size: 4, isWrite: true)
        recorder.noteAccess(address: 0x10ff, size: 2, isWrite: false)  // crosses into the next granule
        recorder.noteAccess(address: 0x9000_0000, size: 8, isWrite: true)  // grows the bitsets
        recorder.noteCode(0x5000_1234)
        recorder.noteCode(0x5000_1238)
        let a = recorder.take()
        XCTAssertEqual(a.written.ranges, [0x10..<0x11, 0x90_0000..<0x90_0001])
        XCTAssertEqual(a.touched.ranges, [0x10..<0x12, 0x90_0000..<0x90_0001])
        XCTAssertTrue(a.written.overlaps(address: 0x10fc, length: 4))
        XCTAssertFalse(a.written.overlaps(address: 0x1100, length: 4))
        XCTAssertTrue(a.touched.overlaps(address: 0x1100, length: 4))
        XCTAssertFalse(a.touched.overlaps(address: 0xff0, length: 0x10))
        XCTAssertTrue(a.touched.overlaps(address: 0xff0, length: 0x11))
        XCTAssertTrue(a.written.overlaps(address: 0x9000_00ff, length: 1))
        XCTAssertFalse(a.written.overlaps(address: 0x9000_0100, length: 1))
        XCTAssertTrue(a.ran(codeAddress: 0x5000_1234) && a.ran(codeAddress: 0x5000_1238))
        XCTAssertFalse(a.ran(codeAddress: 0x5000_1230) || a.ran(codeAddress: 0x5000_123c))
        // The bitmap is hashed: an address one bitmap span away shares the bit.
        XCTAssertTrue(a.ran(codeAddress: 0x5000_1234 + (ActivityRecorder.coverageMask + 1) * 4))
        // take() starts over.
        let empty = recorder.take()
        XCTAssertTrue(empty.touched.ranges.isEmpty && !empty.ran(codeAddress: 0x5000_1234))
        // Not recording (re-execution): nothing is noted.
        recorder.recording = false
        recorder.noteAccess(address: 0, size: 4, isWrite: true)
        recorder.noteCode(0x100)
        let none = recorder.take()
        XCTAssertTrue(none.written.ranges.isEmpty && !none.ran(codeAddress: 0x100))
    }

    func testCoarseningAndUnionNeverLoseAnAccess() {
        let recorder = ActivityRecorder()
        // Every other granule over 4 MiB: far more ranges than are kept.
        var addresses: [UInt64] = []
        var a: UInt64 = 0x2000
        while a < 0x40_0000 {
            addresses.append(a)
            a += 512
        }
        for a in addresses { recorder.noteAccess(address: a + 7, size: 1, isWrite: true) }
        let first = recorder.take()
        XCTAssertLessThanOrEqual(first.written.ranges.count, GranuleRanges.maxRanges)
        XCTAssertGreaterThan(first.written.shift, ActivityRecorder.shift)
        for a in addresses { XCTAssertTrue(first.written.overlaps(address: a + 7, length: 1)) }
        XCTAssertFalse(first.written.overlaps(address: 0, length: 0x2000), "coarsening stays near what was touched")
        recorder.noteAccess(address: 0x8000_0000, size: 300, isWrite: false)
        recorder.noteCode(0x40)
        let second = recorder.take()
        let both = first.union(second)
        for a in addresses { XCTAssertTrue(both.written.overlaps(address: a + 7, length: 1)) }
        XCTAssertTrue(both.touched.overlaps(address: 0x8000_012b, length: 1))
        XCTAssertFalse(both.written.overlaps(address: 0x8000_0000, length: 300), "a read is not a write")
        XCTAssertTrue(both.ran(codeAddress: 0x40) && !both.ran(codeAddress: 0x44))
    }

    /// reverse-continue from the end meets every breakpoint hit that continue met, in reverse,
    /// while re-executing only the stretches that can hold one.
    func testReverseContinueSkipsStretchesButMissesNoHit() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.session.snapshotInterval = 5_000
        t.session.snapshotEventInterval = 200
        // Code that runs at the start and the end only: teller's first line (teller's loop and
        // deposit run throughout) and functions main calls.
        t.run("break teller", "break rt_barrier_wait", "break rt_thread_join")
        var forward: [String] = []
        while true {
            let out = t.run("continue")
            guard out.contains("hit breakpoint") else { break }
            forward.append(position(t))
        }
        XCTAssertEqual(forward.count, 6, "main creates two tellers, each waits at the barrier, main joins two")
        var backward: [String] = []
        while true {
            let out = t.run("reverse-continue")
            guard out.contains("hit breakpoint") else { break }
            backward.append(position(t))
        }
        XCTAssertEqual(backward, forward.reversed())
        // Forward again from the start, behind the frontier: the same hits, stretches skipped.
        let skippedBefore = t.session.stretchesSkipped
        var again: [String] = []
        while true {
            let out = t.run("continue")
            guard out.contains("hit breakpoint") else {
                XCTAssertTrue(out.contains("exited with code 1"), out)
                break
            }
            again.append(position(t))
        }
        XCTAssertEqual(again, forward)
        XCTAssertGreaterThan(t.session.stretchesSkipped - skippedBefore, 10)
        let stretches = t.session.snapshotCount
        XCTAssertGreaterThan(stretches, 20)
        // About one stretch per reverse-continue (the one holding the hit), not the whole run.
        XCTAssertLessThanOrEqual(t.session.stretchesReexecuted, 2 * (forward.count + 1))
    }

    /// The same for a watchpoint: the writes met going forward are met again going back.
    func testReverseContinueWithWatchpointMeetsEveryWrite() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.session.snapshotInterval = 2_000
        t.session.snapshotEventInterval = 100
        t.run("watch balance")
        var forward: [String] = []
        for _ in 0..<4 {
            XCTAssertTrue(t.run("continue").contains("hit watchpoint 1"))
            forward.append(position(t))
        }
        var backward: [String] = []
        while true {
            let out = t.run("reverse-continue")
            guard out.contains("hit watchpoint 1") else { break }
            backward.append(position(t))
        }
        XCTAssertEqual(backward, forward.dropLast().reversed())
        XCTAssertEqual(position(t), "Current position: event 0, instruction 0 (thread 0 instruction 0)")
        var again: [String] = []
        for _ in 0..<4 {
            XCTAssertTrue(t.run("continue").contains("hit watchpoint 1"))
            again.append(position(t))
        }
        XCTAssertEqual(again, forward)
    }
}
