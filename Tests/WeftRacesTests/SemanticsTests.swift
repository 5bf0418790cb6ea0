import Foundation
import WeftRaces
import WeftScheduler
import XCTest

/// The race rules on tiny hand-written modules: a child thread does `child`, the main thread
/// does `main` after spawning it and then sleeps in a timed-out wait (no edge), so both run in
/// every schedule.
final class SemanticsTests: XCTestCase {
    func races(child: String, main: String, seeds: Int = 4) throws -> RaceCheckResult {
        let wat = """
            (module
              (import "env" "memory" (memory 1 1 shared))
              (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
              (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
              (func $child_body \(child))
              (func $main_body \(main))
              (func (export "wasi_thread_start") (param i32 i32) (call $child_body))
              (func (export "_start")
                (drop (call $spawn (i32.const 0)))
                (call $main_body)
                (drop (memory.atomic.wait32 (i32.const 512) (i32.const 0) (i64.const 1000000)))
                (call $main_body)))
            """
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.wat").path
        try wat.write(toFile: path, atomically: true, encoding: .utf8)
        var options = RaceCheckOptions(modulePath: path)
        options.schedules = seeds
        return try RaceCheck.run(options)
    }

    func testPlainWriteRacesWithAtomicStore() throws {
        let r = try races(child: "(i32.store (i32.const 64) (i32.const 1))",
                          main: "(i32.atomic.store (i32.const 64) (i32.const 2))")
        XCTAssertEqual(r.races.count, 1, r.text)
        XCTAssertEqual(r.races.first?.schedules, 4)
    }

    func testAlignedPlainLoadOfAnAtomicWordIsNotARace() throws {
        let r = try races(child: "(drop (i32.load (i32.const 64)))",
                          main: "(i32.atomic.store (i32.const 64) (i32.const 2))")
        XCTAssertTrue(r.races.isEmpty, r.text)
    }

    func testUnalignedPlainLoadOfAnAtomicWordIsARace() throws {
        let r = try races(child: "(drop (i32.load (i32.const 66)))",
                          main: "(i32.atomic.store (i32.const 64) (i32.const 2))")
        XCTAssertEqual(r.races.count, 1, r.text)
    }

    func testAtomicsDoNotRaceWithEachOther() throws {
        let r = try races(child: "(drop (i32.atomic.rmw.add (i32.const 64) (i32.const 1)))",
                          main: "(i32.atomic.store (i32.const 64) (i32.const 2))")
        XCTAssertTrue(r.races.isEmpty, r.text)
    }

    func testNeighbouringBytesDoNotRace() throws {
        let r = try races(child: "(i32.store8 (i32.const 67) (i32.const 1)) (i32.store16 (i32.const 68) (i32.const 1))",
                          main: "(i32.store16 (i32.const 64) (i32.const 2)) (i32.store8 (i32.const 66) (i32.const 2)) (i32.store8 (i32.const 70) (i32.const 2))")
        XCTAssertTrue(r.races.isEmpty, r.text)
    }

    func testPartialOverlapAcrossGranulesRaces() throws {
        // An unaligned 8-byte store over two granules overlaps a 1-byte load in the second.
        let r = try races(child: "(i64.store (i32.const 69) (i64.const 1))",
                          main: "(drop (i32.load8_u (i32.const 76)))")
        XCTAssertEqual(r.races.count, 1, r.text)
        let race = try XCTUnwrap(r.races.first).race
        let byte = race.current.size == 1 ? race.current : race.previous
        XCTAssertEqual(byte.address, 76)
    }

    func testBulkMemoryAccessesAreChecked() throws {
        let r = try races(child: "(memory.fill (i32.const 100) (i32.const 7) (i32.const 40))",
                          main: "(drop (i32.load (i32.const 136)))")
        XCTAssertEqual(r.races.count, 1, r.text)
        let race = try XCTUnwrap(r.races.first).race
        XCTAssertTrue(race.key.contains("child_body"), r.text)
        // The fill is named by its instruction's offset, like any other access.
        let fill = race.current.isWrite ? race.current : race.previous
        XCTAssertEqual(fill.site.function, "child_body")
        XCTAssertNotNil(fill.site.offset, race.report)
        if race.current.isWrite {
            XCTAssertEqual([fill.address, UInt64(fill.size)], [100, 40], race.report)
        } else {
            // As the previous access: the bytes of the racing granule that the fill covered.
            XCTAssertEqual([fill.address, UInt64(fill.size)], [136, 4], race.report)
        }
    }

    func testPreviousAccessInALaterGranuleIsNamedExactly() throws {
        // main loads byte 76 and then sleeps; the child sleeps first, then stores 8 bytes at 69
        // (granules 64-71 and 72-79): the store finds the load in its second granule.
        let wat = """
            (module
              (import "env" "memory" (memory 1 1 shared))
              (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
              (func (export "wasi_thread_start") (param i32 i32)
                (drop (memory.atomic.wait32 (i32.const 516) (i32.const 0) (i64.const 1000000)))
                (i64.store (i32.const 69) (i64.const -1)))
              (func (export "_start")
                (drop (call $spawn (i32.const 0)))
                (drop (i32.load8_u (i32.const 76)))
                (drop (memory.atomic.wait32 (i32.const 512) (i32.const 0) (i64.const 100000000)))))
            """
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("g.wat").path
        try wat.write(toFile: path, atomically: true, encoding: .utf8)
        var options = RaceCheckOptions(modulePath: path)
        options.schedules = 4
        let r = try RaceCheck.run(options)
        XCTAssertEqual(r.races.count, 1, r.text)
        let race = try XCTUnwrap(r.races.first).race
        XCTAssertEqual(race.current.size, 8, race.report)
        XCTAssertEqual(race.current.address, 69, race.report)
        XCTAssertEqual(race.previous.size, 1, race.report)
        XCTAssertEqual(race.previous.address, 76, race.report)
    }

    func testWASIWritesAreAccessesOfTheCallingThread() throws {
        let r = try races(child: "(drop (call $random_get (i32.const 200) (i32.const 8)))",
                          main: "(drop (i32.load (i32.const 204)))")
        XCTAssertEqual(r.races.count, 1, r.text)
        let race = try XCTUnwrap(r.races.first).race
        let write = race.current.isWrite ? race.current : race.previous
        XCTAssertEqual(write.hostCall, "random_get")
        XCTAssertTrue(race.report.contains("(WASI random_get)"), race.report)
    }

    func testNotifyOrdersTheWokenWaiter() throws {
        // The child writes, then notifies; main waits (no timeout) and then reads: ordered.
        // (A wait that times out orders nothing: see the other tests.)
        let wat = """
            (module
              (import "env" "memory" (memory 1 1 shared))
              (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
              (func (export "wasi_thread_start") (param i32 i32)
                (i32.store (i32.const 64) (i32.const 1))
                (loop $again
                  (br_if $again (i32.eqz (memory.atomic.notify (i32.const 512) (i32.const 1))))))
              (func (export "_start")
                (drop (call $spawn (i32.const 0)))
                (drop (memory.atomic.wait32 (i32.const 512) (i32.const 0) (i64.const -1)))
                (drop (i32.load (i32.const 64)))))
            """
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("n.wat").path
        try wat.write(toFile: path, atomically: true, encoding: .utf8)
        var options = RaceCheckOptions(modulePath: path)
        options.schedules = 6
        let r = try RaceCheck.run(options)
        XCTAssertTrue(r.races.isEmpty, r.text)
        XCTAssertTrue(r.traps.isEmpty && r.deadlocks.isEmpty, r.text)
    }
}
