import WAT
import WeftInterpreter
import WeftModule
import XCTest

/// Helpers: assemble WAT, instantiate with no imports, call exports.
func compile(_ wat: String) throws -> CompiledModule {
    let bytes = try wat2wasm(wat, features: Module.parsingFeatures, options: EncodeOptions(nameSection: true))
    return try CompiledModule.compile(try Module.decode(bytes))
}

final class Harness {
    let store = Store()
    let thread: ExecutionThread
    let instance: Instance

    init(_ wat: String, imports: [String: [String: ExternalValue]] = [:]) throws {
        thread = ExecutionThread(store: store)
        instance = try store.instantiate(try compile(wat), thread: thread) { imports[$0]?[$1] }
    }

    func call(_ name: String, _ args: [UInt64] = []) throws -> [UInt64] {
        guard let f = instance.exportedFunction(name) else { throw XCTSkip("no export \(name)") }
        return try thread.invoke(f, arguments: args)
    }
}

final class InterpreterTests: XCTestCase {
    func testArithmeticAndLocals() throws {
        let h = try Harness("""
            (module
              (func (export "sum") (param $n i32) (result i32) (local $acc i32)
                (block $done (loop $l
                  (br_if $done (i32.eqz (local.get $n)))
                  (local.set $acc (i32.add (local.get $acc) (local.get $n)))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br $l)))
                (local.get $acc))
              (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0)))
            """)
        XCTAssertEqual(try h.call("sum", [100]), [5050])
        XCTAssertEqual(try h.call("swap", [1, 2]).map { UInt32(truncatingIfNeeded: $0) }, [2, 1])
    }

    func testTrapNamesFunctionAndOffset() throws {
        let h = try Harness("""
            (module
              (func $inner (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
              (func $outer (export "outer") (param i32) (result i32) (call $inner (local.get 0))))
            """)
        XCTAssertThrowsError(try h.call("outer", [0])) { error in
            guard let t = error as? Trap else { return XCTFail("not a trap: \(error)") }
            XCTAssertEqual(t.kind, .integerDivideByZero)
            XCTAssertEqual(t.function, "inner")
            XCTAssertNotNil(t.offset)
            XCTAssertEqual(t.backtrace.count, 2)
            XCTAssertTrue(t.backtrace[1].hasPrefix("outer+0x"), "\(t.backtrace)")
            XCTAssertTrue(t.description.hasPrefix("trap: integer divide by zero in inner at offset 0x"), t.description)
        }
        // The thread is usable again after a trap.
        XCTAssertEqual(try h.call("outer", [1]), [1])
    }

    func testUnboundedRecursionTrapsInsteadOfCrashing() throws {
        let h = try Harness("""
            (module (func $f (export "f") (param i64) (result i64)
              (i64.add (call $f (i64.add (local.get 0) (i64.const 1))) (i64.const 1))))
            """)
        XCTAssertThrowsError(try h.call("f", [0])) { error in
            XCTAssertEqual((error as? Trap)?.kind, .callStackExhausted)
        }
    }

    func testYieldBudgetSuspendsAndResumesExactly() throws {
        let wat = """
            (module (memory 1)
              (func (export "count") (param $n i32) (result i32) (local $i i32)
                (loop $l
                  (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $i)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
                (i32.load (i32.const 0))))
            """
        let h = try Harness(wat)
        let f = try XCTUnwrap(h.instance.exportedFunction("count"))
        try h.thread.start(f, arguments: [1000])
        var yields = 0
        while true {
            h.thread.yieldBudget = 7
            switch h.thread.resume() {
            case .yielded: yields += 1; continue
            case .returned: break
            default: XCTFail("unexpected stop")
            }
            break
        }
        XCTAssertEqual(h.thread.results, [499_500])
        XCTAssertGreaterThan(yields, 100)
    }

    func testProbeSeesMemoryAccessesAndSync() throws {
        final class Recorder: ExecutionProbe {
            var accesses: [(UInt64, Int, Bool, Bool)] = []
            var syncs: [SyncKind] = []
            var calls = 0
            func memoryAccess(thread: ExecutionThread, address: UInt64, size: Int, isWrite: Bool, isAtomic: Bool) {
                accesses.append((address, size, isWrite, isAtomic))
            }
            func bulkAccess(thread: ExecutionThread, address: UInt64, size: UInt64, isWrite: Bool) {}
            func call(thread: ExecutionThread, function: FunctionRef) { calls += 1 }
            func `return`(thread: ExecutionThread) {}
            func synchronization(thread: ExecutionThread, kind: SyncKind, address: UInt64) { syncs.append(kind) }
        }
        let h = try Harness("""
            (module (memory 1 1 shared)
              (func $g (result i32) (i32.load16_u offset=2 (i32.const 8)))
              (func (export "f") (result i32)
                (i32.store (i32.const 8) (i32.const 0x00050000))
                (drop (i32.atomic.rmw.add (i32.const 16) (i32.const 1)))
                (atomic.fence)
                (call $g)))
            """)
        let probe = Recorder()
        h.thread.probe = probe
        XCTAssertEqual(try h.call("f"), [5])
        XCTAssertEqual(probe.accesses.count, 3)
        XCTAssertTrue(probe.accesses[0] == (8, 4, true, false))
        XCTAssertTrue(probe.accesses[1] == (16, 4, true, true))
        XCTAssertTrue(probe.accesses[2] == (10, 2, false, false))
        XCTAssertEqual(probe.syncs, [.rmw, .fence])
        XCTAssertEqual(probe.calls, 1)
    }

    func testAtomicsAndSingleThreadWait() throws {
        let h = try Harness("""
            (module (memory 1 1 shared)
              (func (export "cas") (param i32 i32) (result i32) (i32.atomic.rmw.cmpxchg (i32.const 0) (local.get 0) (local.get 1)))
              (func (export "wait") (param i32 i64) (result i32) (memory.atomic.wait32 (i32.const 0) (local.get 0) (local.get 1)))
              (func (export "unaligned") (result i32) (i32.atomic.load (i32.const 2))))
            """)
        XCTAssertEqual(try h.call("cas", [0, 5]), [0])
        XCTAssertEqual(try h.call("cas", [0, 9]), [5])  // no exchange: expected 0, found 5
        XCTAssertEqual(try h.call("wait", [4, 0]), [1])  // not equal
        XCTAssertEqual(try h.call("wait", [5, 100]), [2])  // the only agent times out
        XCTAssertThrowsError(try h.call("wait", [5, UInt64(bitPattern: -1)])) { error in
            guard case .deadlock? = (error as? Trap)?.kind else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try h.call("unaligned")) { XCTAssertEqual(($0 as? Trap)?.kind, .unalignedAtomic) }
    }
}

final class ModuleErrorTests: XCTestCase {
    func testMalformedBytesGiveOneLine() {
        XCTAssertThrowsError(try Module.decode([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0xFF])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("malformed module:"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        XCTAssertThrowsError(try Module.decode([1, 2, 3])) { XCTAssertTrue("\($0)".hasPrefix("malformed module:")) }
    }

    func testInvalidFunctionIsNamed() {
        XCTAssertThrowsError(try compile("(module (func $bad (result i32) (i64.const 1)))")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("invalid module: type mismatch"), text)
            XCTAssertTrue(text.contains("function 0"), text)
            XCTAssertTrue(text.contains("offset 0x"), text)
            XCTAssertTrue(text.contains("(bad)"), text)
        }
    }

    func testUnsupportedFeaturesAreNamed() {
        let cases: [(String, String)] = [
            ("(module (func (result v128) (v128.const i32x4 0 0 0 0)))", "simd"),
            ("(module (func $f (return_call $f)))", "tail-call"),
            ("(module (memory i64 1))", "memory64"),
            ("(module (tag $e) (func (throw $e)))", "exceptions"),
            ("(module (type (struct)))", "gc"),
        ]
        for (wat, feature) in cases {
            XCTAssertThrowsError(try compile(wat), wat) { error in
                guard case .unsupported(let f, _)? = error as? ModuleError else { return XCTFail("\(wat): \(error)") }
                XCTAssertEqual(f, feature, wat)
            }
        }
    }

    func testFunctionNamesFallBackToExports() throws {
        let m = try compile("(module (func (export \"visible\")) (func))").module
        XCTAssertEqual(m.functionName(0), "visible")
        XCTAssertEqual(m.functionName(1), "func[1]")
    }
}
