import Foundation
import WeftDebugger
import WeftScheduler
import XCTest

/// Functions the compiler inlined (DW_TAG_inlined_subroutine in the -O1 builds) are frames of
/// their own in `bt`, `frame`, `up`, `down`, `info locals` and `finish`, as in gdb.
final class InlinedFrameTests: XCTestCase {
    /// bank.weft stopped in deposit: thread 0 waits in rt_thread_join's loop, in the futex
    /// helper from weft_rt.h that was inlined into it.
    func bankSessionAtFirstDeposit() throws -> Transcript {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break deposit thread 1", "continue", "delete")
        return t
    }

    let threadZeroFrames = """
        #0  rt_futex_wait (weft_rt.h:183:12)
        #1  rt_thread_join+0x246f (rt_thread.c:333:9)
        #2  main+0x2513 (bank.c:38:9)
        #3  _start+0x2a0 (start.c:32:15)

        """

    /// The inlined call is frame 0, without an offset, at its own line; the function it is
    /// inlined into is frame 1, at the call's line; `bt N` and `bt all` count the same frames.
    func testBacktraceHasInlinedFrames() throws {
        let t = try bankSessionAtFirstDeposit()
        // The stop line and info threads still name the wasm function and offset.
        XCTAssertTrue(t.run("info threads").hasPrefix("  0  blocked on wait at 0x1001c8  rt_thread_join+0x246f (weft_rt.h:183:12)\n"))
        XCTAssertEqual(
            t.run("thread 0"),
            """
            [Switching to thread 0 (blocked on wait at 0x1001c8)]
            #0  rt_futex_wait (weft_rt.h:183:12)
            183\t    return __builtin_wasm_memory_atomic_wait32(addr, expected, -1);

            """)
        XCTAssertEqual(t.run("bt"), threadZeroFrames)
        XCTAssertEqual(t.run("bt 1"), "#0  rt_futex_wait (weft_rt.h:183:12)\n(More stack frames follow...)\n")
        XCTAssertEqual(
            t.run("bt 2"), "#0  rt_futex_wait (weft_rt.h:183:12)\n#1  rt_thread_join+0x246f (rt_thread.c:333:9)\n(More stack frames follow...)\n")
        XCTAssertEqual(t.run("bt 4"), threadZeroFrames, "exactly as many frames as there are: nothing follows")
        let all = t.run("bt all")
        XCTAssertTrue(all.hasPrefix("Thread 0 (blocked on wait at 0x1001c8):\n" + threadZeroFrames + "Thread 1 (runnable):\n#0  deposit+0x25d5 (bank.c:17:13)\n"), all)
    }

    /// `frame N`, `up` and `down` walk the same numbering, inlined frames included, and stop at
    /// both ends.
    func testFrameUpAndDownSelectInlinedFrames() throws {
        let t = try bankSessionAtFirstDeposit()
        t.run("thread 0")
        XCTAssertEqual(t.run("frame 1"), "#1  rt_thread_join+0x246f (rt_thread.c:333:9)\n333\t        rt_futex_wait(&t->state, s);\n")
        XCTAssertEqual(t.run("up"), "#2  main+0x2513 (bank.c:38:9)\n38\t        rt_thread_join(t[i], 0);\n")
        XCTAssertEqual(t.run("up"), "#3  _start+0x2a0 (start.c:32:15)\n32\t    int ret = main((int)argc, argv);\n")
        XCTAssertEqual(t.run("up"), "initial frame selected; you cannot go up\n")
        XCTAssertEqual(t.run("down 3"), "#0  rt_futex_wait (weft_rt.h:183:12)\n183\t    return __builtin_wasm_memory_atomic_wait32(addr, expected, -1);\n")
        XCTAssertEqual(t.run("down"), "bottom (innermost) frame selected; you cannot go down\n")
        XCTAssertEqual(
            t.run("info frame"), "#0  rt_futex_wait (weft_rt.h:183:12)\n183\t    return __builtin_wasm_memory_atomic_wait32(addr, expected, -1);\ninlined into frame 1\n")
        XCTAssertEqual(t.run("up"), "#1  rt_thread_join+0x246f (rt_thread.c:333:9)\n333\t        rt_futex_wait(&t->state, s);\n")
        XCTAssertEqual(t.run("frame"), "#1  rt_thread_join+0x246f (rt_thread.c:333:9)\n333\t        rt_futex_wait(&t->state, s);\n")
        XCTAssertEqual(t.run("info frame"), "#1  rt_thread_join+0x246f (rt_thread.c:333:9)\n333\t        rt_futex_wait(&t->state, s);\n")
        XCTAssertEqual(t.run("frame 4"), "no frame 4\n")
        // `list` centres on the selected frame's line: the call site in rt_thread.c.
        XCTAssertTrue(t.run("list").contains("333\t        rt_futex_wait(&t->state, s);\n"))
        // Both frames share one wasm frame: the same $pc and wasm locals.
        let pc1 = t.run("p/x $pc")
        t.run("frame 0")
        XCTAssertEqual(t.run("p/x $pc").dropFirst(4), pc1.dropFirst(4))
        XCTAssertTrue(t.run("list").contains("183\t    return __builtin_wasm_memory_atomic_wait32(addr, expected, -1);\n"))
        // A motion selects frame 0 again, and `bt` numbers from there.
        t.run("frame 2", "thread 1")
        XCTAssertEqual(t.run("frame"), "#0  deposit+0x25d5 (bank.c:17:13)\n17\t    int b = balance;\n")
    }

    /// In an inlined frame, `info args`, `info locals` and `print` see that inlined call's
    /// variables; in the frame it is inlined into, that function's own.
    func testVariablesOfInlinedFrames() throws {
        let t = try bankSessionAtFirstDeposit()
        t.run("thread 0")
        XCTAssertEqual(t.run("info args"), "expected = <unavailable: wasm operand stack entry 1 is not available>\naddr = <optimized out>\n")
        XCTAssertEqual(t.run("info locals"), "No locals.\n")
        XCTAssertEqual(t.run("p addr"), "addr = <optimized out>\n")
        XCTAssertTrue(t.run("p t").hasPrefix("no symbol \"t\" in the current context"), "rt_thread_join's t is not in rt_futex_wait")
        XCTAssertEqual(t.run("p balance"), "$1 = 6539\n", "globals are seen from an inlined frame")
        t.run("frame 1")
        XCTAssertEqual(t.run("info args"), "t = (rt_thread_t) 0x1001c0\nresult = (void **) 0x0\n")
        XCTAssertEqual(t.run("info locals"), "s = <optimized out>\n")
        XCTAssertEqual(t.run("p/x t"), "$2 = 0x1001c0\n")
        XCTAssertTrue(t.run("p expected").hasPrefix("no symbol \"expected\" in the current context"), "rt_futex_wait's parameter is not rt_thread_join's")
        t.run("frame 2")
        XCTAssertEqual(t.run("info locals"), "i = 1\nt = {(rt_thread_t) 0x1001c0, (rt_thread_t) 0x1111d0}\nexpected = <optimized out>\n")
    }

    /// Calls inlined into inlined calls: rt_mutex_lock into reap_zombies into rt_thread_create.
    func testNestedInlinedFrames() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break rt_thread_create")
        XCTAssertEqual(t.run("continue"), "Thread 0 hit breakpoint 1, rt_thread_create+0x2262 (rt_thread.c:51:9)\n51\t    if (CMPXCHG(&m->state, expected, 1))\n")
        XCTAssertEqual(
            t.run("bt"),
            """
            #0  rt_mutex_lock (rt_thread.c:51:9)
            #1  reap_zombies (rt_thread.c:282:5)
            #2  rt_thread_create+0x2262 (rt_thread.c:297:5)
            #3  main+0x24e5 (bank.c:35:13)
            #4  _start+0x2a0 (start.c:32:15)

            """)
        XCTAssertEqual(t.run("info args"), "m = <optimized out>\n")
        XCTAssertEqual(t.run("up"), "#1  reap_zombies (rt_thread.c:282:5)\n282\t    rt_mutex_lock(&zombie_lock);\n")
        XCTAssertEqual(t.run("info locals"), "link = <optimized out>\n")
        XCTAssertEqual(t.run("info args"), "No arguments.\n")
        XCTAssertEqual(t.run("up"), "#2  rt_thread_create+0x2262 (rt_thread.c:297:5)\n297\t    reap_zombies();\n")
        XCTAssertTrue(t.run("info locals").hasPrefix("tls_align = <optimized out>\n"))
        XCTAssertFalse(t.run("info locals").contains("link ="), "reap_zombies' local is not rt_thread_create's")
    }

    /// `finish` in an inlined frame runs until the thread leaves the inlined call's code.
    func testFinishFromInlinedFrame() throws {
        let t = try bankSessionAtFirstDeposit()
        t.run("thread 0")
        XCTAssertEqual(
            t.run("finish"),
            """
            Run till exit from #0 rt_futex_wait (weft_rt.h:183:12)
            [thread 0] rt_thread_join+0x2476 (rt_thread.c:332:17)
            332\t    while ((s = *(volatile int *)&t->state) != 0)

            """)
        XCTAssertEqual(t.run("bt"), "#0  rt_thread_join+0x2476 (rt_thread.c:332:17)\n#1  main+0x2513 (bank.c:38:9)\n#2  _start+0x2a0 (start.c:32:15)\n")
        // One instruction back is the wait, in the inlined call again.
        t.run("reverse-stepi")
        XCTAssertEqual(t.run("bt"), threadZeroFrames)

        // Nested: finishing rt_mutex_lock leaves it, but not reap_zombies around it.
        let n = try traceSession(tracePath("bank.weft"))
        n.run("break rt_thread_create", "continue", "delete")
        XCTAssertEqual(
            n.run("finish"),
            "Run till exit from #0 rt_mutex_lock (rt_thread.c:51:9)\n[thread 0] rt_thread_create+0x2315 (rt_thread.c:284:12)\n284\t    while (*link) {\n")
        XCTAssertEqual(n.run("bt 2"), "#0  reap_zombies (rt_thread.c:284:12)\n#1  rt_thread_create+0x2315 (rt_thread.c:297:5)\n(More stack frames follow...)\n")
        // The function's own frame, selected above its inlined frames, finishes as a wasm frame.
        n.run("frame 1")
        // (The instruction after the call has no line of its own.)
        XCTAssertEqual(n.run("finish"), "Run till exit from #1 rt_thread_create+0x2315 (rt_thread.c:297:5)\n[thread 0] main+0x24eb\n")
        XCTAssertEqual(n.run("bt"), "#0  main+0x24eb\n#1  _start+0x2a0 (start.c:32:15)\n")
    }

    /// `finish` in an inlined frame of a caller: the callee returns first, then the inlined
    /// call's code runs to its end (reap_zombies, inlined into rt_thread_create, calls free).
    func testFinishFromInlinedFrameInACaller() throws {
        let t = try liveSession(programPath("threads_join_detach"), kind: .rr, seed: 0)
        t.run("break rt_thread.c:288", "continue", "step", "delete")
        XCTAssertEqual(
            t.run("bt"),
            """
            #0  free+0x1d40 (rt_core.c:719:9)
            #1  reap_zombies (rt_thread.c:288:13)
            #2  rt_thread_create+0x21f0 (rt_thread.c:297:5)
            #3  main+0x2732 (threads_join_detach.c:59:13)
            #4  _start+0x2a2 (start.c:32:15)

            """)
        XCTAssertEqual(t.run("frame 1"), "#1  reap_zombies (rt_thread.c:288:13)\n288\t            free(t);\n")
        XCTAssertEqual(t.run("info locals"), "t = (struct rt_thread *) 0x155260\nlink = (struct rt_thread **) 0x100194\n")
        let out = t.run("finish")
        XCTAssertEqual(
            out,
            "Run till exit from #1 reap_zombies (rt_thread.c:288:13)\n[thread 0] rt_thread_create+0x2233 (rt_thread.c:299:24)\n299\t    size_t tls_align = __builtin_wasm_tls_align();\n")
        XCTAssertEqual(t.run("bt 1"), "#0  rt_thread_create+0x2233 (rt_thread.c:299:24)\n(More stack frames follow...)\n")
    }

    /// `reverse-finish` refuses in an inlined frame, in one line, and numbers frames as `bt` does
    /// in the function's own frame.
    func testReverseFinishAndInlinedFrames() throws {
        let t = try bankSessionAtFirstDeposit()
        t.run("thread 0")
        let before = position(t)
        XCTAssertEqual(t.run("reverse-finish"), "\"reverse-finish\" cannot leave inlined frame #0 (rt_futex_wait); select the frame it is inlined into\n")
        XCTAssertEqual(position(t), before)
        t.run("frame 1")
        XCTAssertEqual(
            t.run("reverse-finish"), "Run back to call of #1 rt_thread_join\n[thread 0] main+0x2513 (bank.c:38:9)\n38\t        rt_thread_join(t[i], 0);\n")
    }

    /// `next` steps over a call inlined into the line (rt_futex_wait in rt_thread_join's wait
    /// loop, which blocks until the tellers end) as over a real call; `step` stops inside it.
    func testNextStepsOverInlinedCallsAndStepEntersThem() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break rt_thread_join", "continue", "delete")
        XCTAssertEqual(t.run("next"), "[thread 0] rt_thread_join+0x2454 (rt_thread.c:332:17)\n332\t    while ((s = *(volatile int *)&t->state) != 0)\n")
        t.run("checkpoint")
        XCTAssertEqual(t.run("next"), "[thread 0] rt_thread_join+0x2488 (rt_thread.c:334:9)\n334\t    if (result)\n")
        t.run("restart 1")
        XCTAssertEqual(t.run("step"), "[thread 0] rt_thread_join+0x246f (weft_rt.h:183:12)\n183\t    return __builtin_wasm_memory_atomic_wait32(addr, expected, -1);\n")
        XCTAssertTrue(t.run("bt").hasPrefix("#0  rt_futex_wait (weft_rt.h:183:12)\n#1  rt_thread_join+0x246f (rt_thread.c:333:9)\n"))
        XCTAssertEqual(t.run("next"), "[thread 0] rt_thread_join+0x2476 (rt_thread.c:332:17)\n332\t    while ((s = *(volatile int *)&t->state) != 0)\n", "out of the inlined call")
    }

    /// `break NAME` stops at every place NAME was inlined, and at its own body when it has one.
    func testBreakOnAnInlinedFunction() throws {
        let t = try traceSession(tracePath("bank.weft"))
        XCTAssertEqual(t.run("break rt_futex_wait"), "Breakpoint 1 at rt_futex_wait (inlined) (5 locations)\n")
        XCTAssertEqual(t.run("break rt_mutex_lock"), "Breakpoint 2 at rt_mutex_lock+0x2037 (rt_thread.c:51:9), also inlined (2 locations)\n")
        t.run("delete 2")
        // Each stop is in a different function, inside its copy of rt_futex_wait.
        var outer: [String] = []
        for _ in 0..<2 {
            XCTAssertTrue(t.run("continue").contains("hit breakpoint 1, "))
            let bt = t.run("bt").split(separator: "\n")
            XCTAssertEqual(bt.first, "#0  rt_futex_wait (weft_rt.h:183:12)")
            outer.append(String(bt[1].split(separator: "+").first ?? ""))
        }
        XCTAssertEqual(outer, ["#1  rt_barrier_wait", "#1  rt_thread_join"])
        XCTAssertTrue(t.run("continue").hasSuffix("[program exited with code 1]\n"), "only those two threads waited")
        XCTAssertEqual(t.run("break no_such_function"), "no function \"no_such_function\"\n")
    }
}
