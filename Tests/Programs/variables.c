/* variables.c - globals, parameters and locals of many C types, for the
 * DWARF variable tests (Tests/WeftSourceTests/VariableTests.swift) and the
 * debugger's `print`. Built at -O1 (variables.wasm) and -O0 (O0/variables.wasm).
 * The globals change at run time (from argc) so -O1 keeps them in memory.
 * Prints a checksum. */
#include "weft_rt.h"

typedef unsigned int counter_t;
enum color { RED, GREEN = 5, BLUE };
struct point {
    int x;
    int y;
};
union number {
    int i;
    float f;
};

int counter = 7;                   /* external global */
static counter_t ticks = 3;        /* file-static, typedef of a base type */
static const char *greeting = "hi"; /* pointer to const char */
static double ratio = 2.5;
static struct point origin = { 1, 2 };
static enum color shade = GREEN;
static union number number;
static short table[4] = { 1, 2, 3, 4 };
static _Bool ready;
static unsigned char flags = 0x81;
static long long big = -5000000000LL;
static int *volatile watched = &counter;
static _Thread_local int per_thread = 9;

/* noinline: a function of its own with a frame at -O1 too. */
__attribute__((noinline)) static int sum_points(const struct point *points, int n, float weight) {
    int total = 0;
    for (int i = 0; i < n; i++) {
        int scaled = (int)((float)points[i].x * weight);
        total += scaled + points[i].y; /* loop body */
    }
    return total;
}

__attribute__((noinline)) static void bump(counter_t *c, enum color how) {
    static int calls; /* function-static */
    calls++;
    *c += (counter_t)how + (counter_t)calls;
}

int main(int argc, char **argv) {
    (void)argv;
    struct point pts[3] = { { 1, 2 }, { 3, 4 }, { argc, 6 } };
    int result = sum_points(pts, 3, (float)ratio);
    bump(&ticks, shade);
    counter += argc;
    ratio *= argc;
    origin.x += argc;
    shade = argc > 3 ? BLUE : shade;
    number.i = argc;
    table[argc & 3] += 1;
    ready = argc > 0;
    flags ^= (unsigned char)argc;
    big -= argc;
    per_thread += argc;
    *watched += 1;
    rt_printf("%s %d %u %d %d %d %d %d %lld %d %d\n", greeting, result, ticks, counter, origin.x,
              (int)shade, number.i + table[1], (int)ready + flags, big, (int)ratio, per_thread);
    return 0;
}
