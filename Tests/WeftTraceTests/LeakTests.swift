import Foundation
import WeftInterpreter
import WeftScheduler
import WeftWASI
import XCTest

@testable import WeftTrace

/// Batch modes run many schedules in one process: a finished run must free everything it made.
final class LeakTests: XCTestCase {
    func testAFinishedRunFreesItsProgramRunnerAndThreads() throws {
        weak var program: Program?
        weak var runner: ThreadedRunner?
        weak var store: Store?
        weak var thread: ExecutionThread?
        try { () throws -> Void in
            let reader = try TraceReader(path: packageRoot.appendingPathComponent("traces/bank.weft").path)
            let setup = try ReplaySetup(reader: reader, module: try XCTUnwrap(reader.header.module))
            setup.runner.replayOutput = nil
            final class Grab: RunObserver {
                weak var thread: ExecutionThread?
                func threadStarted(_ t: Int32, execution: ExecutionThread) { if t == 1 { thread = execution } }
                func event(_ event: RunEvent) throws {}
            }
            let grab = Grab()
            setup.runner.addObserver(grab)
            XCTAssertEqual(try setup.runner.run(), .exited(1))
            program = setup.program
            runner = setup.runner
            store = setup.program.store
            thread = grab.thread
            XCTAssertNotNil(thread)
        }()
        XCTAssertNil(runner, "runner")
        XCTAssertNil(program, "program")
        XCTAssertNil(store, "store")
        XCTAssertNil(thread, "spawned thread")
    }
}
