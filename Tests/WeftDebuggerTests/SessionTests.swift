import Foundation
import WeftDebugger
import XCTest

final class SessionTests: XCTestCase {
    /// A breakpoint in a function only spawned threads run stops in one of them, and the
    /// stop, `bt` and `info threads` say so.
    func testBreakpointInSpawnedThread() throws {
        let t = try traceSession(tracePath("bank.weft"))
        XCTAssertEqual(t.run("break deposit"), "Breakpoint 1 at deposit+0x25d5 (bank.c:17:13)\n")
        let stop = t.run("continue")
        XCTAssertTrue(stop.hasPrefix("Thread 2 hit breakpoint 1, deposit+0x25d5 (bank.c:17:13)\n"), stop)
        XCTAssertTrue(stop.contains("17\t    int b = balance;"), "the source line follows: \(stop)")
        let bt = t.run("bt").split(separator: "\n").map(String.init)
        XCTAssertEqual(bt.first, "#0  deposit+0x25d5 (bank.c:17:13)")
        XCTAssertTrue(bt.count >= 3 && bt[1].hasPrefix("#1  teller+") && bt[1].hasSuffix("(bank.c:25:9)"), "\(bt)")
        XCTAssertEqual(bt.last?.hasPrefix("#\(bt.count - 1)  wasi_thread_start"), true, "\(bt)")
        XCTAssertEqual(t.run("bt 1"), "#0  deposit+0x25d5 (bank.c:17:13)\n(More stack frames follow...)\n")
        let threads = t.run("info threads").split(separator: "\n").map(String.init)
        XCTAssertEqual(threads.count, 3, "\(threads)")
        XCTAssertTrue(threads[0].hasPrefix("  0  blocked on wait at 0x"), threads[0])
        XCTAssertTrue(threads[2].hasPrefix("* 2  running  deposit+0x25d5"), threads[2])
        XCTAssertTrue(t.run("thread 1").hasPrefix("[Switching to thread 1 ("), "thread N switches")
        XCTAssertTrue(t.run("info threads").contains("* 1  "), "the mark follows the switch")
    }

    /// A live session with a seed and the trace recorded with that seed stop at the same
    /// positions, instruction for instruction.
    func testLiveSessionAndTraceAgree() throws {
        let commands = ["break deposit thread 1", "continue", "when", "continue", "when", "next", "when", "goto 40", "when", "info threads"]
        let live = try liveSession(tracePath("bank.wasm"))
        let trace = try traceSession(tracePath("bank.weft"))
        for c in commands {
            XCTAssertEqual(live.run(c), trace.run(c), "after \(c)")
        }
        XCTAssertTrue(live.text.contains("Current position: event 57, instruction 52831 (thread 1 instruction 39)"), live.text)
    }

    /// stepi then reverse-stepi, next then reverse-next, come back to the same position.
    func testStepsAndReverseStepsReturn() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break deposit", "continue", "continue")
        let start = position(t)
        t.run("stepi", "stepi", "stepi")
        XCTAssertNotEqual(position(t), start)
        t.run("reverse-stepi", "reverse-stepi", "reverse-stepi")
        XCTAssertEqual(position(t), start)
        let next = t.run("next")
        XCTAssertEqual(next, "[thread 2] deposit+0x25de (bank.c:18:17)\n18\t    balance = b + amount;\n")
        XCTAssertTrue(t.run("next").contains("(bank.c:19:1)"))
        XCTAssertTrue(t.run("reverse-next").contains("(bank.c:18:17)"))
        let back = t.run("reverse-next")
        XCTAssertEqual(back, "[thread 2] deposit+0x25d5 (bank.c:17:13)\n17\t    int b = balance;\n")
        XCTAssertEqual(position(t), start, "reverse-next goes back to the start of line 17")
    }

    /// reverse-continue finds the previous hit of a breakpoint; goto moves to an event both ways.
    func testReverseContinueAndGoto() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break deposit thread 1", "continue")
        let first = position(t)
        t.run("continue", "continue")
        XCTAssertNotEqual(position(t), first)
        t.run("reverse-continue", "reverse-continue")
        XCTAssertEqual(position(t), first)
        let none = t.run("reverse-continue")
        XCTAssertTrue(none.hasPrefix("No earlier breakpoint or watchpoint hit"), none)
        XCTAssertEqual(position(t), "Current position: event 0, instruction 0 (thread 0 instruction 0)")
        t.run("delete", "goto 100")
        let at100 = position(t)
        XCTAssertTrue(at100.hasPrefix("Current position: event 100,"), at100)
        t.run("goto 20")
        XCTAssertTrue(position(t).hasPrefix("Current position: event 20,"))
        t.run("goto 100")
        XCTAssertEqual(position(t), at100, "going forward again reaches the same instruction")
    }

    /// finish returns to the caller; reverse-finish goes back to the call.
    func testFinishAndReverseFinish() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break deposit", "continue")
        let finish = t.run("finish")
        XCTAssertTrue(finish.hasPrefix("Run till exit from #0 deposit+0x25d5 (bank.c:17:13)\n[thread 2] teller+"), finish)
        t.run("continue")
        let back = t.run("reverse-finish")
        XCTAssertTrue(back.contains("[thread 2] teller+") && back.contains("(bank.c:25:9)"), back)
        XCTAssertEqual(t.run("bt").split(separator: "\n").first.map(String.init)?.hasPrefix("#0  teller+"), true)
    }

    /// Checkpoints return to where they were taken.
    func testCheckpointRestart() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break teller", "continue")
        let here = position(t)
        XCTAssertTrue(t.run("checkpoint").hasPrefix("Checkpoint 1 at event "))
        t.run("delete", "break deposit", "continue", "continue")
        XCTAssertNotEqual(position(t), here)
        XCTAssertTrue(t.run("restart 1").hasPrefix("Restarted at checkpoint 1"))
        XCTAssertEqual(position(t), here)
    }

    /// The end of the run: the exit is reported, motion forward is refused, going back works.
    func testRunToTheEndAndBack() throws {
        let t = try traceSession(tracePath("bank.weft"))
        let end = t.run("continue")
        XCTAssertTrue(end.contains("balance: 36483 (expected 40000)\nlost 3517 deposits\n"), "guest output is shown: \(end)")
        XCTAssertTrue(end.hasSuffix("[program exited with code 1]\n"), end)
        XCTAssertTrue(t.run("next").hasPrefix("the program is not running (exited with code 1)"))
        let back = t.run("reverse-stepi")
        XCTAssertTrue(back.hasPrefix("[thread 0] "), back)
        let again = t.run("continue")
        XCTAssertEqual(again, "[program exited with code 1]\n", "output is shown once, not again on re-execution")
    }

    /// A deadlocked program stops with every thread's state; their stacks can be seen.
    func testDeadlockStops() throws {
        let t = try liveSession(programPath("threads_deadlock"), kind: .rr, seed: 0)
        let out = t.run("continue")
        XCTAssertTrue(out.hasPrefix("[deadlock: all "), out)
        XCTAssertTrue(out.contains("blocked on wait at 0x"), out)
        let all = t.run("bt all")
        XCTAssertTrue(all.contains("Thread 1 (blocked on wait at 0x"), all)
    }

    /// Errors are one line and the session goes on.
    func testErrorsAreOneLine() throws {
        let t = try traceSession(tracePath("bank.weft"))
        XCTAssertEqual(t.run("foo"), "unknown command \"foo\"; try \"help\"\n")
        XCTAssertEqual(t.run("break nosuchfunction"), "no function \"nosuchfunction\"\n")
        XCTAssertEqual(t.run("break bank.c:9999"), "no code at or after bank.c:9999\n")
        XCTAssertEqual(t.run("x/4xw 0xfffffff0"), "cannot access memory at 0xfffffff0\n")
        XCTAssertEqual(t.run("thread 9"), "no thread 9 (see \"info threads\")\n")
        XCTAssertEqual(t.run("frame 40"), "no frame 40\n")
        XCTAssertEqual(t.run("restart 3"), "no checkpoint \"3\" (see \"info checkpoints\")\n")
        XCTAssertEqual(t.session.errorCount, 7)
        XCTAssertTrue(t.run("break deposit").hasPrefix("Breakpoint 1 at "), "the session goes on")
    }

    /// An interrupt (Ctrl-C) stops a continue at the next scheduling point.
    func testInterruptStopsContinue() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.session.interrupt.pointee = 1
        let out = t.run("continue")
        XCTAssertTrue(out.hasPrefix("Interrupted.\n[thread "), out)
        XCTAssertTrue(t.run("continue").hasSuffix("[program exited with code 1]\n"), "the next continue runs on")
    }

    /// x and print read memory and values.
    func testExamineAndPrint() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break deposit", "continue")
        XCTAssertEqual(t.run("p 42"), "$1 = 42\n")
        XCTAssertEqual(t.run("p/x 255"), "$2 = 0xff\n")
        XCTAssertTrue(t.run("p $global0").hasPrefix("$3 = "), "globals by index")
        XCTAssertTrue(t.run("p __stack_pointer").hasPrefix("$4 = "), "globals by name")
        let x = t.run("x/2xw $global0")
        XCTAssertTrue(x.hasPrefix("0x") && x.split(separator: "\t").count == 3, x)
        let bytes = t.run("x/8xb 0x400")
        XCTAssertTrue(bytes.hasPrefix("0x400:\t0x"), bytes)
        XCTAssertEqual(bytes.split(separator: "\t").count, 9, bytes)
        XCTAssertEqual(t.run("up"), "#1  teller+0x25b8 (bank.c:25:9)\n25\t        deposit(1);\n")
        XCTAssertEqual(t.run("info wasm-locals"), "$arg0 = 0 (i32)\n$local1 = 20000 (i32)\n$local2 = 0 (i32)\n", "wasm locals by index")
        XCTAssertEqual(t.run("p $local1"), "$5 = 20000\n")
        XCTAssertEqual(t.run("info args"), "arg = <optimized out>\n", "C parameters by name (-O1 dropped arg)")
    }

    /// watch + reverse-continue answers "who last wrote this, in which thread?".
    func testWatchAndReverseContinueFindTheWriter() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("continue", "race 1")
        XCTAssertEqual(t.run("p balance"), "$1 = 6539\n")
        XCTAssertEqual(t.run("watch balance"), "Watchpoint 1: *0x100158 (4 bytes) (balance)\n")
        let writer = t.run("reverse-continue")
        XCTAssertEqual(writer, """
            Thread 2 hit watchpoint 1: *0x100158 (4 bytes)
            Old value = 6538
            New value = 6539
            at deposit+0x25e6 (bank.c:19:1)
            19\t}

            """)
        XCTAssertEqual(t.run("p balance"), "$2 = 6539\n")
        // Forward again: the next change of balance.
        let next = t.run("continue")
        XCTAssertTrue(next.hasPrefix("Thread ") && next.contains("Old value = 6539\nNew value = 6540\n"), next)
    }

    /// Races are found as the run first passes them; `race N` goes to the second access.
    func testRacesAndRaceN() throws {
        let t = try traceSession(tracePath("bank.weft"))
        XCTAssertTrue(t.run("races").hasPrefix("No data races so far"))
        t.run("continue")
        let list = t.run("races").split(separator: "\n").map(String.init)
        XCTAssertEqual(list, [
            "1  read by thread 1 at deposit+0x25d5 (bank.c:17:13) races with write by thread 2 at deposit+0x25df (bank.c:18:13), 4 bytes at 0x100158",
            "2  write by thread 1 at deposit+0x25df (bank.c:18:13) races with write by thread 2 at deposit+0x25df (bank.c:18:13), 4 bytes at 0x100158",
        ])
        let race = t.run("race 1")
        XCTAssertTrue(race.hasPrefix("Race 1: thread 1 is about to make the second access.\n=================="), race)
        XCTAssertTrue(race.hasSuffix("[thread 1] deposit+0x25d5 (bank.c:17:13)\n17\t    int b = balance;\n"), race)
        XCTAssertEqual(position(t), "Current position: event 57, instruction 52831 (thread 1 instruction 39)")
        XCTAssertEqual(t.run("races").split(separator: "\n").count, 2, "going back forgets no race")
        XCTAssertEqual(t.run("race 3"), "no race \"3\" (races are 1 to 2; see \"races\")\n")
    }

    /// --stop-on-race stops right after the access that shows a race.
    func testStopOnRace() throws {
        let t = try liveSession(tracePath("bank.wasm"))
        t.session.stopOnRace = true
        let out = t.run("continue")
        XCTAssertTrue(out.hasPrefix("Thread 1 made a data race (race 1); stopped after the access:\n"), out)
        XCTAssertTrue(out.contains("SUMMARY: weft: data race deposit+0x25d5 (bank.c:17:13) (read) vs deposit+0x25df (bank.c:18:13) (write)"), out)
    }

    /// C variables by name from DWARF: parameters, locals, globals, addresses.
    func testSourceVariables() throws {
        let t = try traceSession(tracePath("bank.weft"))
        t.run("break deposit", "continue")
        XCTAssertEqual(t.run("info args"), "amount = 1\n")
        XCTAssertEqual(t.run("info locals"), "b = <optimized out>\n", "-O1 keeps b only in a register-like wasm value")
        XCTAssertEqual(t.run("p amount"), "$1 = 1\n")
        XCTAssertEqual(t.run("disassemble"), """
            Dump of deposit around 0x25d5:
              bank.c:17
               0x25d1:\ti32.const 0
               0x25d3:\ti32.const 0
            => 0x25d5:\ti32.load offset=1048920 align=4
               0x25dc:\ti32.const 1
              bank.c:18
               0x25de:\ti32.add
               0x25df:\ti32.store offset=1048920 align=4
              bank.c:19
               0x25e6:\tend

            """)
        XCTAssertEqual(t.run("p &balance"), "$2 = (int *) 0x100158\n")
        XCTAssertEqual(t.run("p/x balance"), "$3 = 0x0\n")
        XCTAssertEqual(t.run("x/1dw &balance"), "0x100158:\t0\n")
        XCTAssertEqual(t.run("p nosuch"), "no symbol \"nosuch\" in the current context (locals are $localN, $argN; globals $globalN or their names)\n")
        // The racy example's own line, in a worker thread.
        t.run("delete")
        XCTAssertEqual(t.run("break bank.c:18"), "Breakpoint 2 at bank.c:18\n")
        XCTAssertTrue(t.run("continue").hasPrefix("Thread 2 hit breakpoint 2, deposit+0x25de (bank.c:18:17)\n"))
        XCTAssertEqual(t.run("p amount"), "$4 = 1\n")
        // Conditions can use them.
        t.run("delete", "break deposit if balance == 100", "continue")
        XCTAssertEqual(t.run("p balance"), "$5 = 100\n")
    }

    /// -O0 code: a breakpoint by file:line, locals and parameters by name, typed values.
    func testVariablesAtO0() throws {
        let t = try liveSession(programPath("O0/variables"), kind: .rr, seed: 0)
        XCTAssertEqual(t.run("break variables.c:38"), "Breakpoint 1 at variables.c:38\n")
        XCTAssertTrue(t.run("continue").hasPrefix("Thread 0 hit breakpoint 1, sum_points+"))
        XCTAssertEqual(t.run("info locals"), "scaled = 2\ni = 0\ntotal = 0\n")
        XCTAssertEqual(t.run("info args"), "points = (const struct point *) 0xfffc0\nn = 3\nweight = 2.5\n")
        XCTAssertEqual(t.run("p shade", "p flags", "p big"), "$1 = GREEN\n$2 = 129 '\\201'\n$3 = -5000000000\n")
        t.run("continue")
        XCTAssertEqual(t.run("p i", "p scaled", "p total"), "$4 = 1\n$5 = 7\n$6 = 4\n")
    }

    /// A breakpoint by file:line hits in a spawned thread; its parameter prints by name.
    func testLineBreakpointInWorkerAtO0() throws {
        let t = try liveSession(programPath("O0/threads_deadlock"), kind: .rr, seed: 0)
        t.run("break threads_deadlock.c:28")
        let stop = t.run("continue")
        XCTAssertTrue(stop.hasPrefix("Thread 2 hit breakpoint 1, thread2+") && stop.contains("(threads_deadlock.c:28:5)"), stop)
        XCTAssertEqual(t.run("p arg"), "$1 = (void *) 0x0\n")
        XCTAssertEqual(t.run("p &lock_b"), "$2 = (rt_mutex_t *) 0x1001bc\n")
        let end = t.run("continue")
        XCTAssertTrue(end.hasPrefix("[deadlock: all 3 live threads wait with no timeout]\n"), end)
    }

    /// Locations: a line whose first wasm instruction compiles to nothing, offsets outside a
    /// function, list going on, until stopping once, history values.
    func testLocationsListUntilAndHistory() throws {
        let t = try traceSession(tracePath("bank.weft"))
        XCTAssertEqual(t.run("break bank.c:17"), "Breakpoint 1 at bank.c:17\n")
        XCTAssertEqual(t.run("break deposit+0x10"), "offset 0x10 is not in deposit (module offsets 0x25d1-0x25e6, as backtraces print them)\n")
        XCTAssertTrue(t.run("list bank.c:5").hasPrefix("1\t/* bank.c"))
        XCTAssertTrue(t.run("list").hasPrefix("11\t\n12\tstatic int balance;"), "list goes on after line 10")
        t.run("delete", "break teller", "continue", "delete")
        XCTAssertEqual(t.run("until"), "[thread 1] teller+0x25b8 (bank.c:25:9)\n25\t        deposit(1);\n")
        XCTAssertEqual(t.run("until"), "[thread 1] teller+0x25ce (bank.c:26:5)\n26\t    return 0;\n", "the loop runs to its end, printing only the stop")
        // until's own breakpoint on the later lines takes no number and is gone afterwards.
        XCTAssertEqual(t.run("break deposit thread 2"), "Breakpoint 3 at deposit+0x25d5 (bank.c:17:13)\n")
        XCTAssertEqual(t.run("info breakpoints").split(separator: "\n").count, 2)
        t.run("goto 0", "continue", "delete")
        XCTAssertEqual(t.run("until", "until"), "[thread 2] deposit+0x25de (bank.c:18:17)\n18\t    balance = b + amount;\n[thread 2] deposit+0x25e6 (bank.c:19:1)\n19\t}\n")
        XCTAssertEqual(t.run("until"), "[thread 2] teller+0x25c2 (bank.c:24:23)\n24\t    for (int i = 0; i < DEPOSITS; i++)\n", "the frame returned")
        XCTAssertEqual(t.run("p 7", "p $1"), "$1 = 7\n$2 = 7\n")
        XCTAssertEqual(t.run("p $9"), "history has 2 values; no $9\n")
    }
}
