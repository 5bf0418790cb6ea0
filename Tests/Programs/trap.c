/* trap.c - prints a line, then executes `unreachable` (__builtin_trap). */
#include "weft_rt.h"

/* noinline so the trap has its own frame in a backtrace. */
__attribute__((noinline)) static void crash(int depth) {
    if (depth == 0) {
        rt_puts("about to trap");
        __builtin_trap();
    }
    crash(depth - 1);
    rt_puts("unreachable: after trap");
}

int main(int argc, char **argv) {
    (void)argv;
    crash(argc > 5 ? 5 : 2);
    rt_puts("unreachable: main continued");
    return 0;
}
