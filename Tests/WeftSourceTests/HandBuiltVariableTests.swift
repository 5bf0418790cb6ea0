// Variables from hand-built `.debug_info`/`.debug_abbrev` (and location lists), decoded DIE by
// DIE, and the location-expression evaluator on hand-written expressions.

import XCTest

@testable import WeftSource

/// A frame for the evaluator: whatever locals, globals, stack entries and memory a test gives.
struct FakeFrame: LocationContext {
    var locals: [Int: UInt64] = [:]
    var globals: [Int: UInt64] = [:]
    var stack: [Int: UInt64] = [:]
    var memory: [UInt64: UInt64] = [:]

    func wasmLocal(_ index: Int) -> UInt64? { locals[index] }
    func wasmGlobal(_ index: Int) -> UInt64? { globals[index] }
    func wasmStack(_ index: Int) -> UInt64? { stack[index] }
    func readMemory(address: UInt64, size: Int) -> UInt64? { memory[address] }
}

/// Builds a `.debug_abbrev` table and the DIEs of one unit, with DIE offsets for references.
struct DIEBuilder {
    var abbrev = Bytes()
    var body = Bytes()
    /// Bytes of the unit header before the first DIE (DIE offsets count from the unit start).
    let headerSize: Int

    init(version: UInt16) { headerSize = version >= 5 ? 12 : 11 }

    /// Declares abbreviation `code`: tag, children flag, (attribute, form) pairs.
    mutating func declare(_ code: UInt64, tag: UInt64, children: Bool, _ attributes: [(UInt64, UInt64)]) {
        abbrev.uleb(code)
        abbrev.uleb(tag)
        abbrev.u8(children ? 1 : 0)
        for (a, f) in attributes {
            abbrev.uleb(a)
            abbrev.uleb(f)
        }
        abbrev.uleb(0)
        abbrev.uleb(0)
    }

    /// Starts a DIE with abbreviation `code`; returns its unit-relative offset.
    @discardableResult
    mutating func die(_ code: UInt64) -> UInt32 {
        let at = UInt32(headerSize + body.bytes.count)
        body.uleb(code)
        return at
    }

    mutating func end() { body.u8(0) }

    mutating func string(_ s: String) { body.cString(s) }

    mutating func expression(_ bytes: [UInt8]) {
        body.uleb(UInt64(bytes.count))
        body.append(bytes)
    }

    /// `.debug_abbrev` (terminated) and `.debug_info` (one unit).
    func sections(version: UInt16, unitType: UInt8 = 1) -> (abbrev: [UInt8], info: [UInt8]) {
        var a = abbrev
        a.uleb(0)
        var unit = Bytes()
        unit.u16(version)
        if version >= 5 {
            unit.u8(unitType)
            unit.u8(4)  // address_size
            unit.u32(0)  // debug_abbrev_offset
        } else {
            unit.u32(0)
            unit.u8(4)
        }
        unit.append(body.bytes)
        var info = Bytes()
        info.u32(UInt32(unit.bytes.count))
        info.append(unit.bytes)
        return (a.bytes, info.bytes)
    }
}

// DWARF constants for the builders.
enum DW_TAG {
    static let compileUnit: UInt64 = 0x11, baseType: UInt64 = 0x24, variable: UInt64 = 0x34
    static let subprogram: UInt64 = 0x2e, formalParameter: UInt64 = 0x05, pointerType: UInt64 = 0x0f
    static let lexicalBlock: UInt64 = 0x0b, typedef: UInt64 = 0x16, constType: UInt64 = 0x26
}

enum DW_AT {
    static let location: UInt64 = 0x02, name: UInt64 = 0x03, byteSize: UInt64 = 0x0b, lowPC: UInt64 = 0x11
    static let highPC: UInt64 = 0x12, encoding: UInt64 = 0x3e, frameBase: UInt64 = 0x40, type: UInt64 = 0x49
    static let addrBase: UInt64 = 0x73, loclistsBase: UInt64 = 0x8c, declLine: UInt64 = 0x3b
}

enum DW_FORM {
    static let addr: UInt64 = 0x01, data1: UInt64 = 0x0b, data4: UInt64 = 0x06, string: UInt64 = 0x08
    static let ref4: UInt64 = 0x13, exprloc: UInt64 = 0x18, secOffset: UInt64 = 0x17, addrx: UInt64 = 0x1b
    static let loclistx: UInt64 = 0x22
}

final class HandBuiltVariableTests: XCTestCase {
    static let codeBase = 0x100

    /// A DWARF 4 unit: two globals, a function with parameters and locals, one in a block with a
    /// `.debug_loc` location list, and typedef/const/pointer types.
    static func version4Unit(locListOffset: UInt32 = 0) -> (sections: [String: [UInt8]], loc: [UInt8]) {
        var b = DIEBuilder(version: 4)
        b.declare(1, tag: DW_TAG.compileUnit, children: true, [(DW_AT.name, DW_FORM.string), (DW_AT.lowPC, DW_FORM.addr)])
        b.declare(2, tag: DW_TAG.baseType, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.encoding, DW_FORM.data1), (DW_AT.byteSize, DW_FORM.data1)])
        b.declare(3, tag: DW_TAG.variable, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.type, DW_FORM.ref4), (DW_AT.location, DW_FORM.exprloc)])
        b.declare(4, tag: DW_TAG.subprogram, children: true, [(DW_AT.name, DW_FORM.string), (DW_AT.lowPC, DW_FORM.addr), (DW_AT.highPC, DW_FORM.data4), (DW_AT.frameBase, DW_FORM.exprloc)])
        b.declare(5, tag: DW_TAG.formalParameter, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.type, DW_FORM.ref4), (DW_AT.location, DW_FORM.exprloc)])
        b.declare(6, tag: DW_TAG.pointerType, children: false, [(DW_AT.type, DW_FORM.ref4)])
        b.declare(7, tag: DW_TAG.lexicalBlock, children: true, [(DW_AT.lowPC, DW_FORM.addr), (DW_AT.highPC, DW_FORM.data4)])
        b.declare(8, tag: DW_TAG.variable, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.type, DW_FORM.ref4), (DW_AT.location, DW_FORM.secOffset)])
        b.declare(9, tag: DW_TAG.variable, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.type, DW_FORM.ref4)])
        b.declare(10, tag: DW_TAG.typedef, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.type, DW_FORM.ref4)])
        b.declare(11, tag: DW_TAG.constType, children: false, [(DW_AT.type, DW_FORM.ref4)])

        b.die(1)
        b.string("t.c")
        b.body.u32(0)
        let int = b.die(2)
        b.string("int")
        b.body.u8(0x05)  // DW_ATE_signed
        b.body.u8(4)
        let pointer = b.die(6)
        b.body.u32(int)
        let myint = b.die(10)
        b.string("myint")
        b.body.u32(int)
        let constMyint = b.die(11)
        b.body.u32(myint)
        b.die(3)
        b.string("g")
        b.body.u32(int)
        b.expression([0x03, 0x00, 0x10, 0x00, 0x00])  // DW_OP_addr 0x1000
        b.die(3)
        b.string("s")
        b.body.u32(constMyint)
        b.expression([0x03, 0x00, 0x20, 0x00, 0x00, 0x23, 0x04])  // DW_OP_addr 0x2000, DW_OP_plus_uconst 4
        b.die(4)
        b.string("f")
        b.body.u32(0x10)
        b.body.u32(0x40)
        b.expression([0xed, 0x00, 0x01, 0x9f])  // frame base: local 1
        b.die(5)
        b.string("x")
        b.body.u32(int)
        b.expression([0x91, 0x0c])  // DW_OP_fbreg +12
        b.die(5)
        b.string("p")
        b.body.u32(pointer)
        b.expression([0xed, 0x00, 0x00, 0x9f])  // local 0
        b.die(3)
        b.string("y")
        b.body.u32(int)
        b.expression([0x91, 0x7c])  // DW_OP_fbreg -4
        b.die(7)
        b.body.u32(0x20)
        b.body.u32(0x10)
        b.die(8)
        b.string("z")
        b.body.u32(int)
        b.body.u32(locListOffset)
        b.die(9)
        b.string("w")
        b.body.u32(int)
        b.end()  // block
        b.end()  // f
        b.end()  // unit

        // .debug_loc: [0x20, 0x28) operand stack entry 1; [0x28, 0x30) global 0 (kind 3, u32 index).
        var loc = Bytes()
        loc.u32(0x20)
        loc.u32(0x28)
        loc.u16(4)
        loc.append([0xed, 0x02, 0x01, 0x9f])
        loc.u32(0x28)
        loc.u32(0x30)
        loc.u16(7)
        loc.append([0xed, 0x03, 0x00, 0x00, 0x00, 0x00, 0x9f])
        loc.u32(0)
        loc.u32(0)
        let (abbrev, info) = b.sections(version: 4)
        return ([".debug_info": info, ".debug_abbrev": abbrev, ".debug_loc": loc.bytes], loc.bytes)
    }

    func info(_ sections: [String: [UInt8]]) -> ModuleSourceInfo {
        ModuleSourceInfo(debugSections: sections, codeSectionOffset: Self.codeBase)
    }

    func testVersion4Unit() throws {
        let info = info(Self.version4Unit().sections)
        let int = SourceType(name: "int", byteSize: 4, kind: .base(.signed))

        let globals = info.globalVariables()
        XCTAssertEqual(info.warnings, [])
        XCTAssertEqual(globals.map(\.name), ["g", "s"])
        XCTAssertEqual(globals[0].location, .address(0x1000))
        XCTAssertEqual(globals[0].type, int)
        XCTAssertEqual(globals[0].kind, .global)
        XCTAssertNil(globals[0].frameBase)
        XCTAssertEqual(globals[0].expression?.description, "DW_OP_addr 0x1000")
        XCTAssertEqual(globals[1].location, .address(0x2004), "DW_OP_plus_uconst folds into the address")
        XCTAssertEqual(globals[1].type, SourceType(name: "const myint", byteSize: 4, kind: .base(.signed)), "typedef and const resolve to int, keeping the names")

        // Inside the block: its variables first, then the function's.
        let inBlock = info.variables(atModuleOffset: Self.codeBase + 0x22)
        XCTAssertEqual(inBlock.map(\.name), ["z", "w", "x", "p", "y"])
        XCTAssertEqual(inBlock.map(\.location), [.wasmStack(1), .optimizedOut, .frameBaseOffset(12), .wasmLocal(0), .frameBaseOffset(-4)])
        XCTAssertEqual(inBlock.map(\.kind), [.local, .local, .parameter, .parameter, .local])
        XCTAssertEqual(Set(inBlock.map(\.frameBase)), [.wasmLocal(1)])
        XCTAssertEqual(Set(inBlock.map(\.function)), ["f"])
        XCTAssertEqual(inBlock[3].type, SourceType(name: "int *", byteSize: 4, kind: .pointer(to: int)))
        XCTAssertEqual(inBlock[3].type?.pointee, int)

        // The location list's second entry.
        XCTAssertEqual(info.variables(atModuleOffset: Self.codeBase + 0x2f).first?.location, .wasmGlobal(0))

        // Outside the block, and outside the function.
        for offset in [0x10, 0x1f, 0x30, 0x4f] {
            XCTAssertEqual(info.variables(atModuleOffset: Self.codeBase + offset).map(\.name), ["x", "p", "y"], "0x\(String(offset, radix: 16))")
        }
        for offset in [0, 0x0f, 0x50, 0x1000] {
            XCTAssertEqual(info.variables(atModuleOffset: Self.codeBase + offset), [])
        }
        XCTAssertEqual(info.variables(atModuleOffset: 0x20), [], "before the code section")

        // Evaluating: fbreg is the frame base (local 1) plus the offset.
        let frame = FakeFrame(locals: [0: 0x5000, 1: 1000], globals: [0: 77], stack: [1: 42])
        XCTAssertEqual(inBlock.map { $0.evaluate(in: frame) }, [.value(42), .optimizedOut, .memory(1012), .value(0x5000), .memory(996)])
        XCTAssertEqual(globals.map { $0.evaluate(in: frame) }, [.memory(0x1000), .memory(0x2004)])
    }

    /// Every truncation of the unit, and a location list offset outside `.debug_loc`: no crash,
    /// no variables from a broken unit, a warning.
    func testBrokenVersion4Unit() {
        let sections = Self.version4Unit().sections
        let full = sections[".debug_info"]!
        for n in 0..<full.count {
            var cut = sections
            cut[".debug_info"] = Array(full[..<n])
            let info = info(cut)
            XCTAssertEqual(info.globalVariables(), [], "prefix of \(n) bytes")
            XCTAssertEqual(info.variables(atModuleOffset: Self.codeBase + 0x22), [], "prefix of \(n) bytes")
            if n > 0 { XCTAssertFalse(info.warnings.isEmpty, "prefix of \(n) bytes must warn") }
        }
        let badList = info(Self.version4Unit(locListOffset: 0x400).sections)
        let z = badList.variables(atModuleOffset: Self.codeBase + 0x22).first
        XCTAssertEqual(z?.name, "z")
        guard case .unsupported(let why)? = z?.location else { return XCTFail("\(String(describing: z))") }
        XCTAssertTrue(why.contains("location list"), why)
        XCTAssertEqual(badList.variables(atModuleOffset: Self.codeBase + 0x22).count, 5, "the other variables are unaffected")

        var noLoc = sections
        noLoc[".debug_loc"] = nil
        guard case .unsupported(let missing)? = info(noLoc).variables(atModuleOffset: Self.codeBase + 0x22).first?.location else {
            return XCTFail("a location list without .debug_loc")
        }
        XCTAssertTrue(missing.contains(".debug_loc"), missing)
    }

    /// DWARF 5: `DW_OP_addrx` through `.debug_addr`, `DW_FORM_addrx` low_pc, a `loclistx`
    /// location list in `.debug_loclists` with a base address, offset pairs and a default entry.
    func testVersion5LocationLists() throws {
        var b = DIEBuilder(version: 5)
        b.declare(1, tag: DW_TAG.compileUnit, children: true, [(DW_AT.name, DW_FORM.string), (DW_AT.lowPC, DW_FORM.addr), (DW_AT.addrBase, DW_FORM.secOffset), (DW_AT.loclistsBase, DW_FORM.secOffset)])
        b.declare(2, tag: DW_TAG.baseType, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.encoding, DW_FORM.data1), (DW_AT.byteSize, DW_FORM.data1)])
        b.declare(3, tag: DW_TAG.variable, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.type, DW_FORM.ref4), (DW_AT.location, DW_FORM.exprloc)])
        b.declare(4, tag: DW_TAG.subprogram, children: true, [(DW_AT.name, DW_FORM.string), (DW_AT.lowPC, DW_FORM.addrx), (DW_AT.highPC, DW_FORM.data4), (DW_AT.frameBase, DW_FORM.exprloc)])
        b.declare(5, tag: DW_TAG.variable, children: false, [(DW_AT.name, DW_FORM.string), (DW_AT.type, DW_FORM.ref4), (DW_AT.location, DW_FORM.loclistx)])
        b.die(1)
        b.string("u.c")
        b.body.u32(0)
        b.body.u32(8)  // DW_AT_addr_base: after the .debug_addr header
        b.body.u32(12)  // DW_AT_loclists_base: after the .debug_loclists header
        let uchar = b.die(2)
        b.string("unsigned char")
        b.body.u8(0x08)  // DW_ATE_unsigned_char
        b.body.u8(1)
        b.die(3)
        b.string("g5")
        b.body.u32(uchar)
        b.expression([0xa1, 0x00])  // DW_OP_addrx 0
        b.die(4)
        b.string("h")
        b.body.uleb(1)  // low_pc: address index 1
        b.body.u32(0x40)
        b.expression([0xed, 0x03, 0x00, 0x00, 0x00, 0x00, 0x9f])  // frame base: global 0
        b.die(5)
        b.string("v")
        b.body.u32(uchar)
        b.body.uleb(0)  // location list 0
        b.end()
        b.end()
        let (abbrev, info) = b.sections(version: 5)

        var addr = Bytes()
        addr.u32(12)  // unit_length: version, sizes and two addresses
        addr.u16(5)
        addr.u8(4)
        addr.u8(0)
        addr.u32(0x3000)  // index 0
        addr.u32(0x10)  // index 1

        var list = Bytes()
        list.u8(0x04); list.uleb(0x10); list.uleb(0x18)  // offset_pair from the unit base 0: [0x10, 0x18)
        list.uleb(2); list.append([0x91, 0x08])  // DW_OP_fbreg +8
        list.u8(0x01); list.uleb(1)  // base_addressx: 0x10
        list.u8(0x04); list.uleb(0x08); list.uleb(0x10)  // [0x18, 0x20)
        list.uleb(4); list.append([0xed, 0x00, 0x05, 0x9f])  // local 5
        list.u8(0x05)  // default_location
        list.uleb(2); list.append([0x30, 0x9f])  // DW_OP_lit0, DW_OP_stack_value
        list.u8(0x00)
        var loclists = Bytes()
        loclists.u32(UInt32(8 + 4 + list.bytes.count))  // unit_length
        loclists.u16(5)
        loclists.u8(4)
        loclists.u8(0)
        loclists.u32(1)  // offset_entry_count
        loclists.u32(4)  // offsets[0], from the base (12)
        loclists.append(list.bytes)

        let source = ModuleSourceInfo(
            debugSections: [".debug_info": info, ".debug_abbrev": abbrev, ".debug_addr": addr.bytes, ".debug_loclists": loclists.bytes],
            codeSectionOffset: Self.codeBase)
        let uint8 = SourceType(name: "unsigned char", byteSize: 1, kind: .base(.unsignedChar))
        let globals = source.globalVariables()
        XCTAssertEqual(source.warnings, [])
        XCTAssertEqual(globals.map(\.name), ["g5"])
        XCTAssertEqual(globals.first?.location, .address(0x3000))
        XCTAssertEqual(globals.first?.type, uint8)
        XCTAssertEqual(globals.first?.expression?.description, "DW_OP_addrx 0x0 (0x3000)")

        func v(_ offset: Int) -> SourceVariable? {
            let all = source.variables(atModuleOffset: Self.codeBase + offset)
            XCTAssertEqual(all.map(\.name), ["v"], "0x\(String(offset, radix: 16))")
            return all.first
        }
        XCTAssertEqual(v(0x12)?.location, .frameBaseOffset(8))
        XCTAssertEqual(v(0x12)?.frameBase, .wasmGlobal(0))
        XCTAssertEqual(v(0x12)?.evaluate(in: FakeFrame(globals: [0: 0x8000])), .memory(0x8008))
        XCTAssertEqual(v(0x1f)?.location, .wasmLocal(5))
        let fallback = try XCTUnwrap(v(0x30))
        XCTAssertEqual(fallback.location, .unsupported("DW_OP_lit0, DW_OP_stack_value"))
        XCTAssertEqual(fallback.evaluate(in: FakeFrame()), .value(0))
        XCTAssertEqual(source.variables(atModuleOffset: Self.codeBase + 0x50), [])
    }

    // MARK: Expressions

    func expression(_ bytes: [UInt8], addressSize: Int = 4) -> LocationExpression {
        LocationExpression(bytes[...], addressSize: addressSize, offsetSize: 4) { (i: UInt64) throws(DWARFError) -> UInt64 in
            guard i < 2 else { throw DWARFError("address index \(i) out of range") }
            return 0x9000 + i * 4
        }
    }

    func testPlainLocations() {
        XCTAssertEqual(expression([]).plainLocation(), .optimizedOut)
        XCTAssertEqual(expression([0x03, 0x10, 0, 0, 0, 0x23, 0x08]).plainLocation(), .address(0x18))
        XCTAssertEqual(expression([0xa1, 0x01]).plainLocation(), .address(0x9004))
        XCTAssertEqual(expression([0x91, 0x78, 0x23, 0x04]).plainLocation(), .frameBaseOffset(-4))
        XCTAssertEqual(expression([0xed, 0x01, 0x83, 0x01, 0x9f]).plainLocation(), .wasmGlobal(131))
        XCTAssertEqual(expression([0xed, 0x02, 0x00, 0x9f]).plainLocation(), .wasmStack(0))
        // A bare DW_OP_WASM_location: the local holds the variable's address; as a frame base,
        // the local's value is the frame base.
        XCTAssertEqual(expression([0xed, 0x00, 0x01]).plainLocation(), .unsupported("DW_OP_WASM_location 0x0 0x1"))
        XCTAssertEqual(expression([0xed, 0x00, 0x01]).plainLocation(asFrameBase: true), .wasmLocal(1))
        XCTAssertEqual(
            expression([0xed, 0x00, 0x04, 0x23, 0x01, 0x9f]).plainLocation(),
            .unsupported("DW_OP_WASM_location 0x0 0x4, DW_OP_plus_uconst 0x1, DW_OP_stack_value"))
        XCTAssertEqual(expression([0x11, 0xc0, 0xb8, 0x02, 0x9f]).description, "DW_OP_consts +40000, DW_OP_stack_value")
        guard case .unsupported(let why) = expression([0xed, 0x07, 0x00]).plainLocation() else { return XCTFail() }
        XCTAssertTrue(why.contains("kind 7"), why)
    }

    func testEvaluation() {
        let frame = FakeFrame(
            locals: [0: 0xFFFF_FFF8, 2: 1000, 4: 16, 6: 0x1_2345_6789], globals: [1: 0x5000], stack: [0: 9],
            memory: [0x100: 0x2000, 0x2000: 0xAB])
        func eval(_ bytes: [UInt8], frameBase: [UInt8]? = nil) -> EvaluatedLocation {
            expression(bytes).evaluate(in: frame, frameBase: frameBase.map { expression($0) })
        }
        // `for (int i ...)` at -O1: i = local 4 / 8 + 1.
        XCTAssertEqual(eval([0xed, 0x00, 0x04, 0x11, 0x08, 0x1b, 0x11, 0x01, 0x22, 0x9f]), .value(3))
        XCTAssertEqual(eval([0x91, 0x18], frameBase: [0xed, 0x00, 0x02, 0x9f]), .memory(1024))
        XCTAssertEqual(eval([0x91, 0x18], frameBase: [0xed, 0x00, 0x02]), .memory(1024), "older frame base form")
        // A thread-local: __tls_base (global 1) plus the variable's offset.
        XCTAssertEqual(eval([0xed, 0x03, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x00, 0x00, 0x00, 0x22]), .memory(0x5004))
        XCTAssertEqual(eval([0x03, 0x00, 0x01, 0x00, 0x00, 0x06]), .memory(0x2000), "DW_OP_deref")
        XCTAssertEqual(eval([0x03, 0x00, 0x01, 0x00, 0x00, 0x06, 0x94, 0x01, 0x9f]), .value(0xAB), "DW_OP_deref_size")
        // 32-bit arithmetic: -8 / 2 = -4, and -1 + 0 wraps to 0xFFFFFFFF.
        XCTAssertEqual(eval([0xed, 0x00, 0x00, 0x32, 0x1b, 0x9f]), .value(0xFFFF_FFFC))
        XCTAssertEqual(eval([0xed, 0x00, 0x02, 0x11, 0x7f, 0x1e, 0x23, 0x00, 0x9f]), .value(0xFFFF_FC18))
        XCTAssertEqual(eval([0xed, 0x00, 0x00, 0x31, 0x26, 0x9f]), .value(0xFFFF_FFFC), "DW_OP_shra")
        XCTAssertEqual(eval([0xed, 0x00, 0x00, 0x31, 0x25, 0x9f]), .value(0x7FFF_FFFC), "DW_OP_shr")
        XCTAssertEqual(eval([0xed, 0x00, 0x00, 0x30, 0x2d, 0x9f]), .value(1), "-8 < 0")
        // A 64-bit local passed through untouched keeps its 64 bits.
        XCTAssertEqual(eval([0xed, 0x00, 0x06, 0x9f]), .value(0x1_2345_6789))
        XCTAssertEqual(eval([0xed, 0x02, 0x00, 0x9f]), .value(9))
        // A bare DW_OP_WASM_location (a structure passed by value, at -O0): the local holds its address.
        XCTAssertEqual(eval([0xed, 0x00, 0x02]), .memory(1000))
        XCTAssertEqual(eval([0x9e, 0x02, 0x34, 0x12]), .value(0x1234), "DW_OP_implicit_value")
        // Stack operations: 1 2 swap - = 1; 5 dup over pick... rot.
        XCTAssertEqual(eval([0x31, 0x32, 0x16, 0x1c, 0x9f]), .value(1))
        XCTAssertEqual(eval([0x31, 0x32, 0x33, 0x17, 0x13, 0x13, 0x9f]), .value(3), "rot moves the top below the next two")
        XCTAssertEqual(eval([0x35, 0x12, 0x14, 0x15, 0x02, 0x22, 0x22, 0x22, 0x9f]), .value(20))
        // bra over lit5 when the condition is not zero.
        XCTAssertEqual(eval([0x31, 0x28, 0x01, 0x00, 0x35, 0x37, 0x9f]), .value(7))
        XCTAssertEqual(eval([0x30, 0x28, 0x01, 0x00, 0x35, 0x9f]), .value(5))

        XCTAssertEqual(eval([]), .optimizedOut)
        func unavailable(_ bytes: [UInt8], _ text: String, frameBase: [UInt8]? = nil, file: StaticString = #filePath, line: UInt = #line) {
            guard case .unavailable(let why) = eval(bytes, frameBase: frameBase) else {
                return XCTFail("\(eval(bytes, frameBase: frameBase))", file: file, line: line)
            }
            XCTAssertTrue(why.contains(text), "\(why) should mention \(text)", file: file, line: line)
        }
        unavailable([0xed, 0x00, 0x09, 0x9f], "wasm local 9")
        unavailable([0x91, 0x08], "frame base")
        unavailable([0x91, 0x08], "wasm local 5", frameBase: [0xed, 0x00, 0x05, 0x9f])
        unavailable([0x03, 0x00, 0x02, 0x00, 0x00, 0x06], "0x200")
        unavailable([0x22], "empty stack")
        unavailable([0x31, 0x30, 0x1b, 0x9f], "division by zero")
        unavailable([0x2f, 0xfd, 0xff], "does not finish")
        unavailable([0x03, 0x00, 0x10, 0x00, 0x00, 0x93, 0x04], "DW_OP_piece")
        unavailable([0x50], "DW_OP_reg0")
        unavailable([0x31, 0x9f, 0x31], "composite")
        unavailable([0x03, 0x00, 0x10], "truncated")
        unavailable([0xff], "unknown operation 0xff")
        unavailable([0xa1, 0x05], "address index 5")
        unavailable([0x2f, 0xfe, 0xff, 0x9f], "middle of an operation")
    }
}
