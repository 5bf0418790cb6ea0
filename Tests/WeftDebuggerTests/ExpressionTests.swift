import WeftDebugger
import XCTest

/// C expressions in print, x, watch and breakpoint conditions: members, elements, pointers,
/// arithmetic, casts, and their one-line errors. Most run on Tests/Programs/O0/structs.wasm
/// (structures, a linked list, bit fields, arrays; -O0, so every variable lives in memory).
final class ExpressionTests: XCTestCase {
    /// A session stopped at the first line of `walk(head, 10)` in structs.c.
    func structsAtWalk() throws -> Transcript {
        let t = try liveSession(programPath("O0/structs"), kind: .rr, seed: 0)
        XCTAssertEqual(t.run("break walk"), "Breakpoint 1 at walk+0x2b0e (structs.c:41:9)\n")
        XCTAssertEqual(t.run("continue"), "Thread 0 hit breakpoint 1, walk+0x2b0e (structs.c:41:9)\n41\t    int sum = 0;\n")
        return t
    }

    func testMembersPointersAndStructs() throws {
        let t = try structsAtWalk()
        XCTAssertEqual(t.run("p list"), "$1 = (struct node *) 0x100130\n")
        XCTAssertEqual(t.run("p *list"), "$2 = {value = 1, next = (struct node *) 0x100138}\n")
        XCTAssertEqual(t.run("p list->next->next->value"), "$3 = 3\n")
        XCTAssertEqual(t.run("p (*list).next->value"), "$4 = 2\n")
        XCTAssertEqual(t.run("p *list->next->next"), "$5 = {value = 3, next = (struct node *) 0x0}\n")
        XCTAssertEqual(t.run("p nodes"), """
            $6 = {{value = 1, next = (struct node *) 0x100138}, {value = 2, next = (struct node *) 0x100140}, {value = 3, next = (struct node *) 0x0}}

            """)
        // Nested structures, arrays of them, a char array as a string, a union, a short array.
        XCTAssertEqual(t.run("p box"), "$7 = {name = \"box\\000\\000\\000\\000\", corners = {{x = 1, y = 2}, {x = 4, y = 4}}, u = {i = 7, f = 1e-44}, counts = {5, 5, 5}}\n")
        XCTAssertEqual(t.run("p box.corners[1]", "p box.corners[0].y", "p box.u.i", "p box.name"), "$8 = {x = 4, y = 4}\n$9 = 2\n$10 = 7\n$11 = \"box\\000\\000\\000\\000\"\n")
        // /x applies to every member.
        XCTAssertEqual(t.run("p/x box.corners"), "$12 = {{x = 0x1, y = 0x2}, {x = 0x4, y = 0x4}}\n")
        // Bit fields (a signed one too), and a char member.
        XCTAssertEqual(t.run("p fl", "p fl.level", "p fl.mode * 2"), "$13 = {ready = 1, mode = 5, level = -3, tag = 84 'T'}\n$14 = -3\n$15 = 10\n")
        // History values keep their type.
        XCTAssertEqual(t.run("p $2.value + $13.mode"), "$16 = 6\n")
    }

    func testElementsAddressesAndPointerArithmetic() throws {
        let t = try structsAtWalk()
        XCTAssertEqual(t.run("p numbers", "p numbers[4]", "p &numbers[2]", "p *&numbers[2]"), "$1 = {10, 20, 30, 40, 50}\n$2 = 50\n$3 = (int *) 0x1000b8\n$4 = 30\n")
        XCTAssertEqual(t.run("p &numbers", "p numbers + 1", "p *(numbers + 3)", "p &numbers[3] - &numbers[0]"), "$5 = (int (*)[5]) 0x1000b0\n$6 = (int *) 0x1000b4\n$7 = 40\n$8 = 3\n")
        XCTAssertEqual(t.run("p &box.corners[1].y", "p list[2].value", "p &list->next"), "$9 = (int *) 0x1000d8\n$10 = 3\n$11 = (struct node **) 0x100134\n")
        XCTAssertEqual(t.run("p head == &nodes[0]", "p list != 0 && list->value == 1"), "$12 = 1\n$13 = 1\n")
        // A local of the frame (at -O0, in the frame's memory).
        XCTAssertEqual(t.run("p limit", "p &limit"), "$14 = 10\n$15 = (int *) 0xfffa8\n")
        // Casts and gdb's {TYPE} ADDRESS.
        XCTAssertEqual(t.run("p *(struct point *)&box.corners[1]", "p {int} &numbers[1]", "p (char)65", "p {short} &box.counts"), "$16 = {x = 4, y = 4}\n$17 = 20\n$18 = 65 'A'\n$19 = 5\n")
        XCTAssertEqual(t.run("p ((struct node *) 0x100138)->value", "p (shape_t *) &box"), "$20 = 2\n$21 = (shape_t *) 0x1000c4\n")
        // x takes an expression: an array's or structure's address, a pointer's value.
        XCTAssertEqual(t.run("x/5dw numbers"), "0x1000b0:\t10\t20\t30\t40\n0x1000c0:\t50\n")
        XCTAssertEqual(t.run("x/2dw list->next"), "0x100138:\t2\t1048896\n")
    }

    func testArithmeticAndPrecedence() throws {
        let t = try structsAtWalk()
        XCTAssertEqual(t.run("p 2 + 3 * 4", "p (2 + 3) * 4", "p 10 - 4 - 3", "p 7 / 2", "p -7 / 2", "p -7 % 3"), "$1 = 14\n$2 = 20\n$3 = 3\n$4 = 3\n$5 = -3\n$6 = -1\n")
        XCTAssertEqual(t.run("p 1 << 4 | 1", "p 6 & 3 ^ 1", "p ~0", "p !5", "p 3 > 2 == 1"), "$7 = 17\n$8 = 3\n$9 = -1\n$10 = 0\n$11 = 1\n")
        XCTAssertEqual(t.run("p numbers[1] + numbers[2] * 2", "p (numbers[1] + numbers[2]) * 2", "p/x numbers[4] * 3"), "$12 = 80\n$13 = 100\n$14 = 0x96\n")
        // C's conversions: unsigned int wraps, long long does not overflow int.
        XCTAssertEqual(t.run("p 0u - 1", "p 2147483647 + 1", "p 2147483648", "p 5000000000 * 2"), "$15 = 4294967295\n$16 = -2147483648\n$17 = 2147483648\n$18 = 10000000000\n")
        XCTAssertEqual(t.run("p 1.5 * 2", "p 7 / 2.0", "p 1 || 1 / 0", "p 0 && 1 / 0"), "$19 = 3.0\n$20 = 3.5\n$21 = 1\n$22 = 0\n")
    }

    /// Each error is one line; the session goes on.
    func testErrors() throws {
        let t = try structsAtWalk()
        XCTAssertEqual(t.run("p box.nope"), "there is no member named nope in shape_t\n")
        XCTAssertEqual(t.run("p list.value"), "list is not a structure or union (it is struct node *), so it has no member value\n")
        XCTAssertEqual(t.run("p box->name"), "box is a shape_t, not a pointer: use box.name\n")
        XCTAssertEqual(t.run("p limit[1]"), "cannot subscript limit: it is int, not an array or pointer\n")
        XCTAssertEqual(t.run("p *limit"), "cannot take contents of limit: it is int, not a pointer\n")
        XCTAssertEqual(t.run("p limit / (limit - 10)"), "division by zero\n")
        XCTAssertEqual(t.run("p numbers % 0"), "invalid operands to %: numbers (int[5]) and 0 (int)\n")
        XCTAssertEqual(t.run("p box + 1"), "box is shape_t, not a number\n")
        XCTAssertEqual(t.run("p &fl.mode"), "fl.mode is not in memory (mode is a bit field)\n")
        XCTAssertEqual(t.run("p (numbers[1]"), "expected ')' at the end of the expression\n")
        XCTAssertEqual(t.run("p numbers]"), "unexpected ']' in expression\n")
        XCTAssertEqual(t.run("p 1 +"), "expected an expression at the end\n")
        XCTAssertEqual(t.run("p 3 @ 4"), "invalid character '@' in expression\n")
        XCTAssertEqual(t.run("p (struct nosuch *) 0"), "no type named \"struct nosuch\"\n")
        XCTAssertEqual(t.run("p $zz"), "unknown register $zz (there are $pc, $sp, $thread, $N, $localN, $argN, $globalN)\n")
        XCTAssertEqual(t.run("p *(struct node *) 0x7fffffff"), "cannot access memory at 0x7fffffff\n")
        // The session goes on.
        XCTAssertEqual(t.run("p list->value"), "$1 = 1\n")
    }

    /// `&` of a variable kept in a wasm local (at -O1) says it has no address.
    func testAddressOfAWasmLocal() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break deposit", "continue")
        XCTAssertEqual(t.run("p &amount"), "amount is not in memory (a wasm local or value)\n")
        XCTAssertEqual(t.run("watch amount"), "amount is not in memory (a wasm local or value); watch an address instead\n")
        XCTAssertEqual(t.run("p amount + 1", "p balance * 2 + amount"), "$1 = 2\n$2 = 1\n")
        XCTAssertEqual(t.run("p doors", "p doors.lock.state + doors.count", "p/x doors"), "$3 = {lock = {state = 0}, count = 2, arrived = 0, phase = 1}\n$4 = 2\n$5 = {lock = {state = 0x0}, count = 0x2, arrived = 0x0, phase = 0x1}\n")
    }

    /// watch takes any lvalue: a member through a pointer, an array element.
    func testWatchMembersAndElements() throws {
        let t = try liveSession(programPath("O0/structs"), kind: .rr, seed: 0)
        XCTAssertEqual(t.run("watch nodes[1].value"), "Watchpoint 1: *0x100138 (4 bytes) (nodes[1].value)\n")
        XCTAssertEqual(t.run("watch box.corners[1].x"), "Watchpoint 2: *0x1000d4 (4 bytes) (box.corners[1].x)\n")
        XCTAssertEqual(t.run("watch numbers 8"), "Watchpoint 3: *0x1000b0 (8 bytes) (numbers)\n")
        XCTAssertEqual(t.run("watch &numbers[1] 4"), "Watchpoint 4: *0x1000b4 (4 bytes)\n")
        XCTAssertEqual(t.run("watch fl.mode"), "fl.mode is not in memory (mode is a bit field); watch an address instead\n")
        let hit = t.run("continue")
        XCTAssertTrue(hit.hasPrefix("Thread 0 hit watchpoint 1: *0x100138 (4 bytes)\nOld value = 0\nNew value = 2\n"), hit)
        let second = t.run("continue")
        XCTAssertTrue(second.hasPrefix("Thread 0 hit watchpoint 2: *0x1000d4 (4 bytes)\nOld value = 3\nNew value = 4\n"), second)
        t.run("delete", "break walk", "continue")
        XCTAssertEqual(t.run("watch list->next->value"), "Watchpoint 6: *0x100138 (4 bytes) (list->next->value)\n")
    }

    /// Conditions use the same expressions, parsed when the breakpoint is set.
    func testConditions() throws {
        let t = try liveSession(programPath("O0/structs"), kind: .rr, seed: 0)
        XCTAssertEqual(t.run("break structs.c:44 if p->value == 3 && sum > 2"), "Breakpoint 1 at structs.c:44\n")
        XCTAssertTrue(t.run("continue").hasPrefix("Thread 0 hit breakpoint 1, walk+"))
        XCTAssertEqual(t.run("p sum", "p steps", "p *p"), "$1 = 3\n$2 = 2\n$3 = {value = 3, next = (struct node *) 0x0}\n")
        XCTAssertEqual(t.run("info breakpoints"), """
            Num  Type            Enb  Hits  What
            1    breakpoint      y    1     structs.c:44 if p->value == 3 && sum > 2

            """)
        XCTAssertEqual(t.run("break walk if (limit"), "expected ')' at the end of the expression\n")
        XCTAssertEqual(t.run("info breakpoints").split(separator: "\n").count, 2, "a malformed condition sets no breakpoint")
    }

    /// whatis and ptype, of expressions and of type names.
    func testTypes() throws {
        let t = try structsAtWalk()
        XCTAssertEqual(t.run("whatis list", "whatis box", "whatis &numbers", "whatis box.corners[1]", "whatis numbers[1] + 2u"), """
            type = struct node *
            type = shape_t
            type = int (*)[5]
            type = struct point
            type = unsigned int

            """)
        XCTAssertEqual(t.run("ptype list"), "type = struct node {\n    int value;\n    struct node *next;\n} *\n")
        XCTAssertEqual(t.run("ptype box"), """
            type = struct {
                char name[8];
                struct point corners[2];
                union {
                    int i;
                    float f;
                } u;
                short counts[3];
            }

            """)
        XCTAssertEqual(t.run("ptype struct flags"), """
            type = struct flags {
                unsigned int ready : 1;
                unsigned int mode : 3;
                int level : 4;
                unsigned char tag;
            }

            """)
        XCTAssertEqual(t.run("ptype nodes", "whatis struct node *", "ptype unsigned char"), "type = struct node {\n    int value;\n    struct node *next;\n} [3]\ntype = struct node *\ntype = unsigned char\n")
        XCTAssertEqual(t.run("ptype enum color"), "no type named \"enum color\"\n")
        XCTAssertEqual(t.run("whatis nosuch"), "no symbol \"nosuch\" in the current context (locals are $localN, $argN; globals $globalN or their names)\n")
    }

    /// An enum's constants (with the values that do not follow on), a union.
    func testEnumAndUnionTypes() throws {
        let t = try liveSession(programPath("O0/variables"), kind: .rr, seed: 0)
        XCTAssertEqual(t.run("ptype shade", "ptype number", "whatis watched"), """
            type = enum color {RED, GREEN = 5, BLUE}
            type = union number {
                int i;
                float f;
            }
            type = int *volatile

            """)
        XCTAssertEqual(t.run("p origin", "p table", "p shade == 5", "p &origin.y"), "$1 = {x = 1, y = 2}\n$2 = {1, 2, 3, 4}\n$3 = 1\n$4 = (int *) 0x1000e4\n")
    }
}

extension ExpressionTests {
    /// `$sp` is the thread's own `__stack_pointer` global; `x` reads from it.
    func testStackPointerRegister() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break deposit", "continue")
        let sp1 = t.run("p/x $sp")
        XCTAssertTrue(sp1.hasPrefix("$1 = 0x"), sp1)
        XCTAssertTrue(t.run("x/1xw $sp").hasPrefix("0x" + sp1.dropFirst(7).dropLast() + ":"), "x at $sp starts at $sp")
        t.run("thread 0")
        XCTAssertNotEqual(t.run("p/x $sp").dropFirst(5), sp1.dropFirst(5), "each thread has its own stack")
    }
}

extension ExpressionTests {
    /// A `char *` prints with its string, as gdb shows it; `x/s` reads strings one after another.
    func testCharPointersAndExamineStrings() throws {
        let t = try liveSession(programPath("O0/variables"), kind: .rr, seed: 0)
        t.run("break main", "continue")
        XCTAssertEqual(t.run("p greeting"), "$1 = 0x10002e \"hi\"\n")
        XCTAssertEqual(t.run("p argv[0]"), "$2 = 0x100190 \"variables.wasm\"\n")
        XCTAssertEqual(t.run("p *argv[0]"), "$3 = 118 'v'\n")
        XCTAssertEqual(t.run("p/x greeting"), "$4 = 0x10002e\n", "a format shows the pointer alone")
        XCTAssertEqual(t.run("x/2s greeting"), "0x10002e:\t\"hi\"\n0x100031:\t\"inf\"\n")
        XCTAssertEqual(t.run("p (char *)0"), "$5 = 0x0\n")
        XCTAssertEqual(t.run("p (char *)0xffffffff"), "$6 = 0xffffffff <error: cannot access memory at 0xffffffff>\n")
        XCTAssertEqual(t.run("x/s 0xffffffff"), "cannot access memory at 0xffffffff\n")
    }
}
