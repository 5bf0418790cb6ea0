// Members of structures and unions (DW_TAG_member) in the project's C programs: names, types,
// byte offsets and bit fields, at -O1 (DWARF 4) and -O0 (DWARF 5).

import XCTest

@testable import WeftSource

final class MemberTests: XCTestCase {
    private func global(_ name: String, in info: ModuleSourceInfo) throws -> SourceVariable {
        try XCTUnwrap(info.globalVariables().first { $0.name == name }, name)
    }

    private func layout(_ members: [SourceType.Member]?) -> [String] {
        (members ?? []).map { m in
            let bits = m.bits.map { " bits \($0.offset)+\($0.size)" } ?? ""
            return "\(m.type.name) \(m.name ?? "<anonymous>") @\(m.offset)\(bits)"
        }
    }

    /// rt_barrier_t (a typedef of an anonymous struct) in the bank example.
    func testBarrierMembers() throws {
        let info = try Sources.info("traces/bank.wasm")
        let doors = try global("doors", in: info)
        let type = try XCTUnwrap(doors.type)
        XCTAssertEqual(type.name, "rt_barrier_t")
        XCTAssertNotNil(type.dieOffset, "a typedef of a structure keeps the structure's DIE")
        XCTAssertEqual(layout(info.members(of: type)), ["rt_mutex_t lock @0", "int count @4", "int arrived @8", "int phase @12"])
        XCTAssertNil(info.members(of: try global("balance", in: info).type!), "an int has no members")
    }

    func testStructsProgramMembers() throws {
        for path in ["Tests/Programs/structs.wasm", "Tests/Programs/O0/structs.wasm"] {
            let info = try Sources.info(path)
            // A linked list: the pointee of `next` is the structure itself, whose members are
            // read again through its DIE offset.
            let nodes = try XCTUnwrap(try global("nodes", in: info).type)
            XCTAssertEqual(nodes.name, "struct node[3]", path)
            guard case .array(let node?, 3) = nodes.kind else { return XCTFail("\(nodes.kind)") }
            let nodeMembers = info.members(of: node)
            XCTAssertEqual(layout(nodeMembers), ["int value @0", "struct node * next @4"], path)
            let next = try XCTUnwrap(nodeMembers?.last?.type.pointee)
            XCTAssertEqual(layout(info.members(of: next)), layout(nodeMembers), path)

            // Nested structures, arrays, an anonymous union type as a named member.
            let box = try XCTUnwrap(try global("box", in: info).type)
            XCTAssertEqual(box.name, "shape_t")
            XCTAssertEqual(box.byteSize, 36)
            let boxMembers = try XCTUnwrap(info.members(of: box))
            XCTAssertEqual(layout(boxMembers), ["char[8] name @0", "struct point[2] corners @8", "union <anonymous> u @24", "short[3] counts @28"], path)
            XCTAssertEqual(layout(info.members(of: boxMembers[2].type)), ["int i @0", "float f @0"], path)

            // Bit fields: offsets in bits from the start of the structure.
            let flags = try XCTUnwrap(try global("fl", in: info).type)
            XCTAssertEqual(layout(info.members(of: flags)), [
                "unsigned int ready @0 bits 0+1", "unsigned int mode @0 bits 1+3", "int level @0 bits 4+4", "unsigned char tag @1",
            ], path)

            // Types by name, for casts.
            XCTAssertEqual(info.type(named: "struct point")?.byteSize, 8)
            XCTAssertEqual(info.type(named: "shape_t")?.name, "shape_t")
            XCTAssertNil(info.type(named: "struct nosuch"))
        }
    }
}
