import XCTest

@testable import WeftScheduler

/// PCT's priority change points, step by step.
final class PCTTests: XCTestCase {
    func pct(depth: Int) -> Scheduler {
        var options = ScheduleOptions()
        options.kind = .pct
        options.pctDepth = depth
        options.seed = 5
        return Scheduler(options: options)
    }

    /// The i-th change point gives the thread that ran the step priority d - i, even when the
    /// step ended with that thread blocked (no `current`); none is skipped.
    func testChangePointsLowerTheThreadThatRanInOrder() {
        var s = pct(depth: 3)
        for t: Int32 in [0, 1, 2] { s.threadCreated(t) }
        s.changePoints = [2, 3]
        let first = s.pick(runnable: [0, 1, 2], current: nil, preempted: false)  // step 1
        XCTAssertEqual(first, [Int32(0), 1, 2].max { s.priorities[$0]! < s.priorities[$1]! })
        // Step 2: the first thread blocked. It is still the one lowered, to d - 1 = 2.
        let others = [Int32(0), 1, 2].filter { $0 != first }
        let second = s.pick(runnable: others, current: nil, preempted: false)
        XCTAssertEqual(s.priorities[first], 2)
        XCTAssertEqual(s.changePoints, [3])
        // Step 3: the second thread is preempted; it drops to d - 2 = 1, below the first.
        let third = s.pick(runnable: [0, 1, 2], current: second, preempted: true)
        XCTAssertEqual(s.priorities[second], 1)
        XCTAssertTrue(s.changePoints.isEmpty)
        let remaining = [Int32(0), 1, 2].first { $0 != first && $0 != second }!
        XCTAssertEqual(third, remaining, "the thread never lowered runs first")
        XCTAssertGreaterThan(s.priorities[remaining]!, 3, "initial priorities are above d")
        // Then the one lowered first, then the one lowered last.
        XCTAssertEqual(s.pick(runnable: [first, second], current: nil, preempted: false), first)
    }

    /// A change point that falls on a step nobody ran (the very first pick) waits for a thread.
    func testChangePointAtTheFirstStepIsNotLost() {
        var s = pct(depth: 2)
        for t: Int32 in [0, 1] { s.threadCreated(t) }
        s.changePoints = [1]
        let first = s.pick(runnable: [0, 1], current: nil, preempted: false)
        XCTAssertEqual(s.changePoints, [1], "no thread ran step 1 yet")
        _ = s.pick(runnable: [0, 1], current: first, preempted: true)
        XCTAssertEqual(s.priorities[first], 1)
        XCTAssertTrue(s.changePoints.isEmpty)
    }
}
