// Source information of the project's C test programs (built with -g by Tests/Programs/build.sh):
// -O1 with DWARF 4 (Tests/Programs/*.wasm) and -O0 with DWARF 5 (Tests/Programs/O0/*.wasm).
// Expected lines are found by searching the C sources, not written down.

import Foundation
import XCTest

@testable import WeftModule
@testable import WeftSource

enum Sources {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func info(_ relative: String) throws -> ModuleSourceInfo {
        ModuleSourceInfo(module: try Module.load(path: path(relative)).module)
    }

    /// The 1-based number of the only line of `file` containing `text`.
    static func line(of text: String, in file: String, file testFile: StaticString = #filePath, line testLine: UInt = #line) throws -> Int {
        let source = try String(contentsOfFile: path(file), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let hits = lines.indices.filter { lines[$0].contains(text) }
        XCTAssertEqual(hits.count, 1, "\(text) in \(file)", file: testFile, line: testLine)
        return try XCTUnwrap(hits.first, file: testFile, line: testLine) + 1
    }
}

final class ProgramSourceTests: XCTestCase {
    static let builds = [("Tests/Programs/trap.wasm", 4), ("Tests/Programs/O0/trap.wasm", 5)]

    func testFunctionsAtTheirSourceLines() throws {
        let trapLine = try Sources.line(of: "__builtin_trap();", in: "Tests/Programs/trap.c")
        let callLine = try Sources.line(of: "crash(argc > 5", in: "Tests/Programs/trap.c")
        for (wasm, version) in Self.builds {
            let info = try Sources.info(wasm)
            XCTAssertEqual(info.warnings, [], wasm)
            XCTAssertEqual(Set(info.sourceMap.programs.map(\.version)), [UInt16(version)], wasm)
            XCTAssertTrue(info.sourceMap.files.contains("Tests/Programs/trap.c"), "\(wasm): \(info.sourceMap.files)")
            XCTAssertTrue(info.sourceMap.files.contains("Tests/Programs/runtime/weft_rt.h"), "\(wasm): \(info.sourceMap.files)")

            for (line, function) in [(trapLine, "crash"), (callLine, "main")] {
                let found = try XCTUnwrap(info.moduleOffsets(file: "trap.c", line: line), "\(wasm) line \(line)")
                XCTAssertEqual(found.line, line, wasm)
                XCTAssertFalse(found.offsets.isEmpty, wasm)
                for offset in found.offsets {
                    let location = try XCTUnwrap(info.location(moduleOffset: offset))
                    XCTAssertEqual(location.path, "Tests/Programs/trap.c", wasm)
                    XCTAssertEqual(location.line, line, wasm)
                    XCTAssertEqual(info.frames(moduleOffset: offset).last?.function, function, "\(wasm) 0x\(String(offset, radix: 16))")
                    XCTAssertEqual(info.sourcePosition(moduleOffset: offset), "\(location)", "no inlining at these lines")
                }
            }
        }
    }

    /// A line without code (a comment before the function) resolves to the next line that has code.
    func testLineWithoutCodeMovesToTheNextLine() throws {
        let comment = try Sources.line(of: "/* noinline so the trap", in: "Tests/Programs/trap.c")
        let body = try Sources.line(of: "if (depth == 0)", in: "Tests/Programs/trap.c")
        for (wasm, _) in Self.builds {
            let info = try Sources.info(wasm)
            let found = try XCTUnwrap(info.moduleOffsets(file: "Tests/Programs/trap.c", line: comment))
            XCTAssertGreaterThan(found.line, comment, wasm)
            XCTAssertLessThanOrEqual(found.line, body, wasm)
            for offset in found.offsets {
                XCTAssertEqual(info.frames(moduleOffset: offset).last?.function, "crash", wasm)
            }
            XCTAssertNil(info.moduleOffsets(file: "trap.c", line: 10_000))
            XCTAssertNil(info.moduleOffsets(file: "no_such_file.c", line: 1))
        }
    }

    /// At -O1 the runtime's futex helper is inlined into the mutex: the frames at the wait name
    /// both, with the call site in rt_thread.c. At -O0 it is a function of its own.
    func testInlinedFrames() throws {
        let waitLine = try Sources.line(of: "return __builtin_wasm_memory_atomic_wait32", in: "Tests/Programs/runtime/weft_rt.h")
        // rt_mutex_lock's wait: two lines after this comment (the second of two identical calls in the file).
        let callLine = try Sources.line(of: "/* Mark the lock contended (2) and sleep", in: "Tests/Programs/runtime/rt_thread.c") + 2

        let optimized = try Sources.info("Tests/Programs/threads_deadlock.wasm")
        XCTAssertEqual(optimized.warnings, [])
        let offsets = try XCTUnwrap(optimized.moduleOffsets(file: "weft_rt.h", line: waitLine)).offsets
        let inLock = offsets.map { optimized.frames(moduleOffset: $0) }.filter { $0.last?.function == "rt_mutex_lock" }
        XCTAssertFalse(inLock.isEmpty, "the wait inlined into rt_mutex_lock")
        for frames in inLock {
            XCTAssertEqual(frames.count, 2, "\(frames)")
            XCTAssertEqual(frames.first?.function, "rt_futex_wait")
            XCTAssertEqual(frames.first?.location?.line, waitLine)
            XCTAssertEqual(frames.last?.location?.path, "Tests/Programs/runtime/rt_thread.c")
            XCTAssertEqual(frames.last?.location?.line, callLine)
        }
        let position = try XCTUnwrap(offsets.lazy.compactMap { optimized.sourcePosition(moduleOffset: $0) }.first { $0.contains("rt_thread.c:\(callLine)") })
        XCTAssertTrue(position.hasPrefix("rt_futex_wait at weft_rt.h:\(waitLine)"), position)
        XCTAssertTrue(position.contains(", inlined at rt_thread.c:\(callLine):"), position)

        let unoptimized = try Sources.info("Tests/Programs/O0/threads_deadlock.wasm")
        XCTAssertEqual(unoptimized.warnings, [])
        let plain = try XCTUnwrap(unoptimized.moduleOffsets(file: "weft_rt.h", line: waitLine)).offsets
        XCTAssertFalse(plain.isEmpty)
        for offset in plain {
            let frames = unoptimized.frames(moduleOffset: offset)
            XCTAssertEqual(frames.map(\.function), ["rt_futex_wait"])
        }
    }

    func testThreadFunctionLines() throws {
        let line = try Sources.line(of: "rt_mutex_lock(&lock_b); /* blocks forever", in: "Tests/Programs/threads_deadlock.c")
        for wasm in ["Tests/Programs/threads_deadlock.wasm", "Tests/Programs/O0/threads_deadlock.wasm"] {
            let info = try Sources.info(wasm)
            let found = try XCTUnwrap(info.moduleOffsets(file: "threads_deadlock.c", line: line))
            XCTAssertEqual(found.line, line)
            XCTAssertTrue(found.offsets.contains { info.frames(moduleOffset: $0).last?.function == "thread1" }, wasm)
        }
    }

    /// A module without DWARF has no positions and no warnings.
    func testModuleWithoutDebugInfo() throws {
        var module = try Module.load(path: Sources.path("Tests/Programs/trap.wasm")).module
        module.customSections.removeAll { $0.name.hasPrefix(".debug_") }
        let info = ModuleSourceInfo(module: module)
        XCTAssertFalse(info.hasLineTables)
        XCTAssertTrue(info.sourceMap.isEmpty)
        XCTAssertEqual(info.warnings, [])
        XCTAssertNil(info.sourcePosition(moduleOffset: 0x100))
        XCTAssertEqual(info.displayName(ofFunction: 0), module.functionNames[0])
    }

    /// Corrupted or truncated debug sections of a real module: reading finishes, warns when it
    /// had to give something up, and lookups stay safe.
    func testCorruptedDebugSectionsOfARealModule() throws {
        let original = try Sources.bytes("Tests/Programs/O0/trap.wasm")
        let names = [".debug_line", ".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_addr", ".debug_str_offsets", ".debug_rnglists"]
        var rng = SplitMix(seed: 42)
        for name in names {
            for cut in [0, 1, 7, 40] {
                let bytes = try XCTUnwrap(replacingCustomSection(name, in: original) { Array($0.prefix(cut)) }, name)
                let info = ModuleSourceInfo(module: try Module.decode(bytes))
                for offset in stride(from: 0, to: bytes.count, by: 97) { _ = info.sourcePosition(moduleOffset: offset) }
                if name == ".debug_line" && cut > 0 { XCTAssertFalse(info.warnings.isEmpty, "\(name) cut to \(cut)") }
            }
            for _ in 0..<25 {
                let bytes = try XCTUnwrap(replacingCustomSection(name, in: original) { contents in
                    var c = contents
                    for _ in 0..<(1 + Int(rng.next() % 8)) where !c.isEmpty {
                        c[Int(rng.next() % UInt64(c.count))] = UInt8(truncatingIfNeeded: rng.next())
                    }
                    return c
                })
                let info = ModuleSourceInfo(module: try Module.decode(bytes))
                for offset in stride(from: 0, to: bytes.count, by: 61) { _ = info.sourcePosition(moduleOffset: offset) }
                _ = info.moduleOffsets(file: "trap.c", line: 8)
            }
        }
    }
}

/// `module` with custom section `name`'s contents replaced by `transform(contents)`, or nil when
/// the module has no such section.
func replacingCustomSection(_ name: String, in module: [UInt8], _ transform: ([UInt8]) -> [UInt8]) -> [UInt8]? {
    func uleb(_ bytes: [UInt8], _ i: inout Int) -> Int {
        var v = 0, shift = 0
        while true {
            let b = bytes[i]
            i += 1
            v |= Int(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }
    var out = Array(module[..<8])
    var i = 8
    var found = false
    while i < module.count {
        let id = module[i]
        i += 1
        let size = uleb(module, &i)
        let payload = Array(module[i..<i + size])
        i += size
        var newPayload = payload
        if id == 0 {
            var j = 0
            let nameLength = uleb(payload, &j)
            let sectionName = String(decoding: payload[j..<j + nameLength], as: UTF8.self)
            if sectionName == name {
                found = true
                newPayload = Array(payload[..<(j + nameLength)]) + transform(Array(payload[(j + nameLength)...]))
            }
        }
        var header = Bytes()
        header.u8(id)
        header.uleb(UInt64(newPayload.count))
        out += header.bytes + newPayload
    }
    return found ? out : nil
}
