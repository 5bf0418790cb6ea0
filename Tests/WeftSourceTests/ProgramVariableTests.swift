// Variables of the project's C programs (built with -g by Tests/Programs/build.sh): -O1 with
// DWARF 4 (Tests/Programs/*.wasm, traces/bank.wasm) and -O0 with DWARF 5 (Tests/Programs/O0/).
// Lines are found by searching the C sources. Global addresses and types are checked against the
// module's initial memory image (its data segments, placed where __wasm_init_memory copies them).

import XCTest

@testable import WeftModule
@testable import WeftSource

/// The initial contents of linear memory: the module's passive data segments at the addresses
/// its `memory.init` instructions (`i32.const dest; i32.const 0; i32.const size; memory.init seg`)
/// copy them to, and active segments at their offsets.
struct MemoryImage {
    private var pieces: [(start: UInt64, bytes: [UInt8])] = []

    init(module bytes: [UInt8]) {
        func uleb(_ i: inout Int) -> UInt64? {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while i < bytes.count, shift < 64 {
                let b = bytes[i]
                i += 1
                v |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return v }
                shift += 7
            }
            return nil
        }
        func sleb(_ i: inout Int) -> Int64? {
            var v: Int64 = 0
            var shift: Int64 = 0
            while i < bytes.count, shift < 64 {
                let b = bytes[i]
                i += 1
                v |= Int64(b & 0x7F) << shift
                shift += 7
                if b & 0x80 == 0 { return shift < 64 && b & 0x40 != 0 ? v | -(1 << shift) : v }
            }
            return nil
        }
        var passive: [Int: [UInt8]] = [:]
        var code: Range<Int> = 0..<0
        var i = 8
        while i < bytes.count {
            let id = bytes[i]
            i += 1
            guard let size = uleb(&i), i + Int(size) <= bytes.count else { break }
            let end = i + Int(size)
            if id == 10 { code = i..<end }
            if id == 11 {
                var j = i
                let count = uleb(&j) ?? 0
                for index in 0..<Int(count) {
                    let flags = uleb(&j) ?? 0
                    var offset: Int64?
                    if flags == 2 { _ = uleb(&j) }
                    if flags != 1, bytes[j] == 0x41 {
                        j += 1
                        offset = sleb(&j)
                        j += 1  // end
                    }
                    let n = Int(uleb(&j) ?? 0)
                    let data = Array(bytes[j..<j + n])
                    j += n
                    if let offset { pieces.append((UInt64(UInt32(truncatingIfNeeded: offset)), data)) } else { passive[index] = data }
                }
            }
            i = end
        }
        var k = code.lowerBound
        while k < code.upperBound {
            var j = k
            k += 1
            guard bytes[j] == 0x41 else { continue }
            j += 1
            guard let dest = sleb(&j), j < bytes.count, bytes[j] == 0x41 else { continue }
            j += 1
            guard let source = sleb(&j), j < bytes.count, bytes[j] == 0x41 else { continue }
            j += 1
            guard let size = sleb(&j), j + 1 < bytes.count, bytes[j] == 0xFC, bytes[j + 1] == 0x08 else { continue }
            j += 2
            guard let segment = uleb(&j), let data = passive[Int(segment)], source >= 0, size >= 0, Int(source + size) <= data.count else { continue }
            pieces.append((UInt64(UInt32(truncatingIfNeeded: dest)), Array(data[Int(source)..<Int(source + size)])))
        }
    }

    var isEmpty: Bool { pieces.isEmpty }

    /// `count` bytes at `address`, when one piece holds them all.
    func bytes(at address: UInt64, count: Int) -> [UInt8]? {
        for piece in pieces.reversed() where piece.start <= address && address + UInt64(count) <= piece.start + UInt64(piece.bytes.count) {
            let from = Int(address - piece.start)
            return Array(piece.bytes[from..<from + count])
        }
        return nil
    }

    func integer(at address: UInt64, size: Int) -> UInt64? {
        bytes(at: address, count: size).map { $0.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } }
    }
}

final class ProgramVariableTests: XCTestCase {
    static let variablesBuilds = ["Tests/Programs/variables.wasm", "Tests/Programs/O0/variables.wasm"]

    func global(_ name: String, in globals: [SourceVariable], file: StaticString = #filePath, line: UInt = #line) throws -> SourceVariable {
        let found = globals.filter { $0.name == name }
        XCTAssertEqual(found.count, 1, name, file: file, line: line)
        return try XCTUnwrap(found.first, file: file, line: line)
    }

    /// `balance` in the racy bank example: a file-static int in linear memory.
    func testBankGlobals() throws {
        let info = try Sources.info("traces/bank.wasm")
        let globals = info.globalVariables()
        XCTAssertEqual(info.warnings, [])
        let balance = try global("balance", in: globals)
        XCTAssertEqual(balance.kind, .global)
        XCTAssertEqual(balance.type, SourceType(name: "int", byteSize: 4, kind: .base(.signed)))
        XCTAssertEqual(balance.declaration, SourceLocation(path: "traces/bank.c", line: try Sources.line(of: "static int balance;", in: "traces/bank.c"), column: 0))
        guard case .address(let address) = balance.location else { return XCTFail("\(balance.location)") }
        // --stack-first: data lies after the 1 MiB stack, below the 16 MiB maximum.
        XCTAssertTrue(address >= 0x10_0000 && address < 0x100_0000 && address % 4 == 0, "0x\(String(address, radix: 16))")
        XCTAssertEqual(balance.evaluate(in: FakeFrame()), .memory(address))

        let doors = try global("doors", in: globals)
        XCTAssertEqual(doors.type?.name, "rt_barrier_t")
        XCTAssertEqual(doors.type?.kind, .structure)
        XCTAssertEqual(doors.type?.byteSize, 16)
        guard case .address(let doorsAddress) = doors.location else { return XCTFail("\(doors.location)") }
        XCTAssertTrue(doorsAddress + 16 <= address || address + 4 <= doorsAddress, "balance and doors do not overlap")
        // The runtime's globals come with the program's.
        XCTAssertTrue(globals.contains { $0.declaration?.path.hasPrefix("Tests/Programs/runtime/") == true })
    }

    /// Globals of every type in variables.c, at -O1 (DWARF 4, DW_OP_addr) and -O0 (DWARF 5,
    /// DW_OP_addrx): the address and type DWARF gives read back the value the C source
    /// initialises the variable with, from the module's data segments.
    func testGlobalsReadTheirInitialValues() throws {
        for wasm in Self.variablesBuilds {
            let bytes = try Sources.bytes(wasm)
            let image = MemoryImage(module: bytes)
            XCTAssertFalse(image.isEmpty, wasm)
            let info = ModuleSourceInfo(module: try Module.decode(bytes))
            let globals = info.globalVariables()
            XCTAssertEqual(info.warnings, [], wasm)

            func value(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> (SourceVariable, UInt64) {
                let v = try global(name, in: globals, file: file, line: line)
                XCTAssertEqual(v.declaration?.path, "Tests/Programs/variables.c", file: file, line: line)
                guard case .address(let a) = v.location, let size = v.type?.byteSize, size <= 8 else {
                    throw DWARFError("\(wasm): \(v) has no address, or is not a scalar")
                }
                return (v, try XCTUnwrap(image.integer(at: a, size: size), "\(wasm): \(name) at 0x\(String(a, radix: 16))", file: file, line: line))
            }
            let (counter, counterValue) = try value("counter")
            XCTAssertEqual(counter.type, SourceType(name: "int", byteSize: 4, kind: .base(.signed)))
            XCTAssertEqual(counterValue, 7)
            let (ticks, ticksValue) = try value("ticks")
            XCTAssertEqual(ticks.type, SourceType(name: "counter_t", byteSize: 4, kind: .base(.unsigned)), "typedef name, base type")
            XCTAssertEqual(ticksValue, 3)
            let (ratio, ratioBits) = try value("ratio")
            XCTAssertEqual(ratio.type?.kind, .base(.float))
            XCTAssertEqual(Double(bitPattern: ratioBits), 2.5)
            let (shade, shadeValue) = try value("shade")
            XCTAssertEqual(shade.type?.name, "enum color")
            XCTAssertEqual(shade.type?.kind, .enumeration([.init(name: "RED", value: 0), .init(name: "GREEN", value: 5), .init(name: "BLUE", value: 6)]))
            XCTAssertEqual(shadeValue, 5, "GREEN")
            let (flags, flagsValue) = try value("flags")
            XCTAssertEqual(flags.type, SourceType(name: "unsigned char", byteSize: 1, kind: .base(.unsignedChar)))
            XCTAssertEqual(flagsValue, 0x81)
            let (big, bigValue) = try value("big")
            XCTAssertEqual(big.type, SourceType(name: "long long", byteSize: 8, kind: .base(.signed)))
            XCTAssertEqual(Int64(bitPattern: bigValue), -5_000_000_000)
            // A pointer: its initial value is the address DWARF gives for `counter`.
            let (watched, watchedValue) = try value("watched")
            XCTAssertEqual(watched.type?.name, "int *volatile")
            XCTAssertEqual(watched.type?.pointee, SourceType(name: "int", byteSize: 4, kind: .base(.signed)))
            XCTAssertEqual(watched.type?.byteSize, 4)
            XCTAssertEqual(counter.location, .address(watchedValue))

            let table = try global("table", in: globals)
            let short = SourceType(name: "short", byteSize: 2, kind: .base(.signed))
            XCTAssertEqual(table.type, SourceType(name: "short[4]", byteSize: 8, kind: .array(element: short, count: 4)))
            guard case .address(let tableAddress) = table.location else { return XCTFail("\(table)") }
            XCTAssertEqual((0..<4).map { image.integer(at: tableAddress + UInt64($0) * 2, size: 2) }, [1, 2, 3, 4])

            // What -O1 keeps out of memory has no plain address there; -O0 has all of them.
            let greeting = try global("greeting", in: globals)
            XCTAssertEqual(greeting.type?.name, "const char *")
            XCTAssertEqual(greeting.type?.pointee?.kind, .base(.signedChar))
            let origin = try global("origin", in: globals)
            XCTAssertEqual(origin.type?.name, "struct point")
            XCTAssertEqual(origin.type?.byteSize, 8)
            if wasm.contains("/O0/") {
                guard case .address(let g) = greeting.location, let pointer = image.integer(at: g, size: 4) else { return XCTFail("\(greeting)") }
                XCTAssertEqual(image.bytes(at: pointer, count: 3), Array("hi\0".utf8))
                guard case .address(let o) = origin.location else { return XCTFail("\(origin)") }
                XCTAssertEqual(image.integer(at: o, size: 4), 1)
                XCTAssertEqual(image.integer(at: o + 4, size: 4), 2)
                XCTAssertEqual(try global("ready", in: globals).type, SourceType(name: "_Bool", byteSize: 1, kind: .base(.boolean)))
                XCTAssertEqual(try global("number", in: globals).type, SourceType(name: "union number", byteSize: 4, kind: .union))
            } else {
                XCTAssertEqual(greeting.location, .optimizedOut, "a constant at -O1")
                XCTAssertEqual(origin.location, .unsupported(origin.expression?.description ?? "-"), "only x is in memory: a DW_OP_piece")
                XCTAssertTrue(origin.expression?.description.hasSuffix("DW_OP_piece 0x4") == true)
            }

            // A thread-local: __tls_base (a wasm global) plus its offset in the TLS block.
            let perThread = try global("per_thread", in: globals)
            guard case .unsupported(let text) = perThread.location else { return XCTFail("\(perThread)") }
            XCTAssertTrue(text.hasPrefix("DW_OP_WASM_location 0x3 "), text)
            guard case .memory(let tls) = perThread.evaluate(in: AnyGlobal(value: 0x40_0000)) else { return XCTFail("\(perThread)") }
            XCTAssertTrue(tls >= 0x40_0000 && tls < 0x40_0100, "0x\(String(tls, radix: 16))")

            // No two globals of variables.c overlap.
            var spans: [(UInt64, UInt64)] = []
            for g in globals where g.declaration?.path == "Tests/Programs/variables.c" {
                if case .address(let a) = g.location, let size = g.type?.byteSize { spans.append((a, a + UInt64(size))) }
            }
            spans.sort { $0.0 < $1.0 }
            XCTAssertGreaterThanOrEqual(spans.count, 8, wasm)
            for (x, y) in zip(spans, spans.dropFirst()) { XCTAssertLessThanOrEqual(x.1, y.0, wasm) }
        }
    }

    /// A context whose every global has the same value (for thread-locals).
    struct AnyGlobal: LocationContext {
        var value: UInt64
        func wasmLocal(_ index: Int) -> UInt64? { nil }
        func wasmGlobal(_ index: Int) -> UInt64? { value }
        func wasmStack(_ index: Int) -> UInt64? { nil }
        func readMemory(address: UInt64, size: Int) -> UInt64? { nil }
    }

    func offsets(_ info: ModuleSourceInfo, _ text: String, in file: String, file testFile: StaticString = #filePath, line testLine: UInt = #line) throws -> [Int] {
        let line = try Sources.line(of: text, in: file, file: testFile, line: testLine)
        let found = try XCTUnwrap(info.moduleOffsets(file: file, line: line), text, file: testFile, line: testLine)
        XCTAssertEqual(found.line, line, text, file: testFile, line: testLine)
        XCTAssertFalse(found.offsets.isEmpty, text, file: testFile, line: testLine)
        return found.offsets
    }

    /// At -O0 every parameter and local lives in the frame: `DW_OP_fbreg` from a frame base in a
    /// wasm local. Inner blocks come first; variables of blocks not entered are not listed.
    func testUnoptimizedLocals() throws {
        let info = try Sources.info("Tests/Programs/O0/variables.wasm")
        let file = "Tests/Programs/variables.c"
        let int = SourceType(name: "int", byteSize: 4, kind: .base(.signed))
        let point = SourceType(name: "struct point", byteSize: 8, kind: .structure)

        for offset in try offsets(info, "total += scaled", in: file) {
            let vars = info.variables(atModuleOffset: offset)
            XCTAssertEqual(vars.map(\.name), ["scaled", "i", "points", "n", "weight", "total"])
            XCTAssertEqual(vars.map(\.kind), [.local, .local, .parameter, .parameter, .parameter, .local])
            XCTAssertEqual(vars.map(\.type), [
                int, int, SourceType(name: "const struct point *", byteSize: 4, kind: .pointer(to: SourceType(name: "const struct point", byteSize: 8, kind: .structure))),
                int, SourceType(name: "float", byteSize: 4, kind: .base(.float)), int,
            ])
            XCTAssertEqual(Set(vars.map(\.function)), ["sum_points"])
            assertFrame(vars, "sum_points")
        }
        // Name lookup: locals first, then globals.
        let inLoop = try XCTUnwrap(offsets(info, "total += scaled", in: file).first)
        XCTAssertEqual(info.lookupVariable("total", atModuleOffset: inLoop)?.kind, .local)
        XCTAssertEqual(info.lookupVariable("points", atModuleOffset: inLoop)?.kind, .parameter)
        XCTAssertEqual(info.lookupVariable("counter", atModuleOffset: inLoop)?.kind, .global)
        XCTAssertEqual(info.lookupVariable("counter", atModuleOffset: nil), info.lookupVariable("counter", atModuleOffset: inLoop))
        XCTAssertNil(info.lookupVariable("total", atModuleOffset: nil))
        XCTAssertNil(info.lookupVariable("no_such_variable", atModuleOffset: inLoop))
        for offset in try offsets(info, "return total;", in: file) {
            XCTAssertEqual(info.variables(atModuleOffset: offset).map(\.name), ["points", "n", "weight", "total"], "the loop's variables are out of scope")
        }
        for offset in try offsets(info, "*c += (counter_t)how", in: file) {
            let vars = info.variables(atModuleOffset: offset)
            XCTAssertEqual(vars.map(\.name), ["calls", "c", "how"])
            guard case .address = vars[0].location else { return XCTFail("a static local is in memory: \(vars[0])") }
            XCTAssertEqual(vars[1].type?.name, "counter_t *")
            XCTAssertEqual(vars[1].type?.pointee, SourceType(name: "counter_t", byteSize: 4, kind: .base(.unsigned)))
            XCTAssertEqual(vars[2].type?.name, "enum color")
            assertFrame(Array(vars.dropFirst()), "bump")
        }
        for offset in try offsets(info, "rt_printf(\"%s", in: file) {
            let vars = info.variables(atModuleOffset: offset)
            XCTAssertEqual(vars.map(\.name), ["argc", "argv", "pts", "result"])
            XCTAssertEqual(vars[1].type?.name, "char **")
            XCTAssertEqual(vars[2].type, SourceType(name: "struct point[3]", byteSize: 24, kind: .array(element: point, count: 3)))
            assertFrame(vars, "main")
        }

        // trap.c's recursive function, DWARF 5 too.
        let trap = try Sources.info("Tests/Programs/O0/trap.wasm")
        for offset in try offsets(trap, "crash(depth - 1);", in: "Tests/Programs/trap.c") {
            let vars = trap.variables(atModuleOffset: offset)
            XCTAssertEqual(vars.map(\.name), ["depth"])
            XCTAssertEqual(vars.first?.type, int)
            assertFrame(vars, "crash")
        }
    }

    /// Every variable of one -O0 frame: at `fbreg` offsets that do not overlap, from a frame base
    /// in a wasm local; evaluating gives frame base + offset.
    func assertFrame(_ vars: [SourceVariable], _ function: String, file: StaticString = #filePath, line: UInt = #line) {
        var spans: [(Int64, Int64)] = []
        for v in vars {
            XCTAssertEqual(v.function, function, file: file, line: line)
            guard case .frameBaseOffset(let o) = v.location, let size = v.type?.byteSize else {
                return XCTFail("\(v) is not in the frame", file: file, line: line)
            }
            guard case .wasmLocal(let n)? = v.frameBase else { return XCTFail("frame base \(String(describing: v.frameBase))", file: file, line: line) }
            XCTAssertEqual(v.evaluate(in: FakeFrame(locals: [n: 0x8000])), .memory(UInt64(0x8000 + o)), file: file, line: line)
            spans.append((o, o + Int64(size)))
        }
        spans.sort { $0.0 < $1.0 }
        for (x, y) in zip(spans, spans.dropFirst()) { XCTAssertLessThanOrEqual(x.1, y.0, "\(vars)", file: file, line: line) }
    }

    /// At -O1 variables live in wasm locals or on the operand stack, are computed from them, are
    /// constants, or are optimized out, depending on the offset. Every location is one of those
    /// forms and evaluates (given the locals); constants propagated into a function give the
    /// values the source passes.
    func testOptimizedLocals() throws {
        let info = try Sources.info("Tests/Programs/variables.wasm")
        let file = "Tests/Programs/variables.c"
        let everything = FakeFrame(
            locals: Dictionary(uniqueKeysWithValues: (0..<64).map { ($0, UInt64(0x1000 + 8 * $0)) }),
            globals: Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, UInt64(0x9_0000)) }),
            stack: Dictionary(uniqueKeysWithValues: (0..<16).map { ($0, UInt64(100 + $0)) }))
        var seen: Set<String> = []
        for (text, names) in [
            ("total += scaled", ["scaled", "i", "points", "n", "weight", "total"]),
            ("*c += (counter_t)how", ["calls", "c", "how"]),
            ("rt_printf(\"%s", ["argc", "argv", "pts", "result"]),
        ] {
            for offset in try offsets(info, text, in: file) {
                let vars = info.variables(atModuleOffset: offset)
                XCTAssertEqual(vars.map(\.name), names, "\(text) 0x\(String(offset, radix: 16))")
                for v in vars {
                    switch v.location {
                    case .wasmLocal, .wasmStack, .wasmGlobal, .optimizedOut, .address, .frameBaseOffset:
                        seen.insert("\(v.location)".components(separatedBy: " ")[0])
                    case .unsupported(let expression):
                        XCTAssertTrue(expression.hasPrefix("DW_OP_WASM_location") || expression.hasPrefix("DW_AT_const_value") || expression.hasPrefix("DW_OP_consts") || expression.hasPrefix("DW_OP_lit"), "\(v)")
                        seen.insert("computed")
                    }
                    switch v.evaluate(in: everything) {
                    case .unavailable(let why): XCTFail("\(v): \(why)")
                    case .optimizedOut: XCTAssertEqual(v.location, .optimizedOut)
                    case .memory, .value: XCTAssertNotEqual(v.location, .optimizedOut)
                    }
                }
                if let n = vars.first(where: { $0.name == "n" }) {
                    XCTAssertEqual(n.evaluate(in: everything), .value(3), "sum_points(pts, 3, …)")
                }
            }
        }
        XCTAssertTrue(seen.isSuperset(of: ["local", "optimized", "computed"]), "\(seen)")

        // bank.c at -O1: deposit(1)'s amount is the constant 1; main's expected is 40000 where set.
        let bank = try Sources.info("traces/bank.wasm")
        for offset in try offsets(bank, "balance = b + amount;", in: "traces/bank.c") {
            let vars = bank.variables(atModuleOffset: offset)
            XCTAssertEqual(vars.map(\.name), ["amount", "b"])
            XCTAssertEqual(vars.first?.evaluate(in: everything), .value(1))
        }
        var expectedSeen = false
        for offset in try offsets(bank, "rt_printf(\"balance", in: "traces/bank.c") {
            let vars = bank.variables(atModuleOffset: offset)
            XCTAssertEqual(vars.map(\.name), ["argc", "argv", "t", "expected"])
            if let expected = vars.last, expected.location != .optimizedOut {
                XCTAssertEqual(expected.evaluate(in: everything), .value(40000))
                expectedSeen = true
            }
            XCTAssertEqual(vars[2].type?.name, "rt_thread_t[2]")
            guard case .frameBaseOffset = vars[2].location else { return XCTFail("an array in memory: \(vars[2])") }
        }
        XCTAssertTrue(expectedSeen)
    }

    /// Variables of inlined calls come first, named from their abstract origins; parameters the
    /// inlined copy leaves out are listed as optimized out.
    func testInlinedCallVariables() throws {
        let info = try Sources.info("Tests/Programs/threads_deadlock.wasm")
        let waitLine = try Sources.line(of: "return __builtin_wasm_memory_atomic_wait32", in: "Tests/Programs/runtime/weft_rt.h")
        var checked = 0
        for offset in try XCTUnwrap(info.moduleOffsets(file: "weft_rt.h", line: waitLine)).offsets {
            let frames = info.frames(moduleOffset: offset).compactMap(\.function)
            guard frames.count > 1 else { continue }
            let vars = info.variables(atModuleOffset: offset)
            let inner = vars.filter { $0.function == "rt_futex_wait" }
            XCTAssertEqual(Set(inner.map(\.name)), ["addr", "expected"], "\(frames)")
            XCTAssertEqual(inner.first { $0.name == "addr" }?.type?.name, "int *")
            XCTAssertTrue(inner.allSatisfy { $0.kind == .parameter })
            // Innermost first: the inlined function's, then its callers' in frame order.
            var order: [String] = []
            for v in vars where order.last != v.function { order.append(v.function ?? "?") }
            XCTAssertEqual(order.first, "rt_futex_wait")
            XCTAssertEqual(order.last, frames.last, "\(order) vs \(frames)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0)
    }

    /// Corrupted debug sections: variable lookups finish and stay safe.
    func testCorruptedSections() throws {
        var rng = SplitMix(seed: 7)
        for wasm in ["traces/bank.wasm", "Tests/Programs/O0/variables.wasm"] {
            let original = try Sources.bytes(wasm)
            let codeOffsets = try offsets(Sources.info(wasm), wasm.contains("bank") ? "balance = b + amount;" : "total += scaled", in: wasm.contains("bank") ? "traces/bank.c" : "Tests/Programs/variables.c")
            for name in [".debug_info", ".debug_abbrev", ".debug_loc", ".debug_addr", ".debug_str_offsets", ".debug_str"] {
                for round in 0..<12 {
                    guard let bytes = replacingCustomSection(name, in: original, { contents in
                        if round < 3 { return Array(contents.prefix([0, 9, contents.count / 2][round])) }
                        var c = contents
                        for _ in 0..<(1 + Int(rng.next() % 8)) where !c.isEmpty {
                            c[Int(rng.next() % UInt64(c.count))] = UInt8(truncatingIfNeeded: rng.next())
                        }
                        return c
                    }) else { continue }
                    let info = ModuleSourceInfo(module: try Module.decode(bytes))
                    for g in info.globalVariables() { _ = g.evaluate(in: FakeFrame()) }
                    for offset in codeOffsets + Array(stride(from: 0, to: bytes.count, by: 997)) {
                        for v in info.variables(atModuleOffset: offset) { _ = v.evaluate(in: FakeFrame()) }
                    }
                    if name == ".debug_info" && round > 0 && round < 3 { XCTAssertFalse(info.warnings.isEmpty, "\(wasm) \(name) cut") }
                }
            }
        }
    }
}
