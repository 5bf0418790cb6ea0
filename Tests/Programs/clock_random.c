/* clock_random.c - nondeterministic inputs: random_get, clock_time_get and
 * sched_yield. Output differs between runs (unless replayed). */
#include "weft_rt.h"

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    unsigned char bytes[8];
    if (rt_random(bytes, sizeof bytes) != 0) {
        rt_puts("random_get failed");
        return 1;
    }
    rt_printf("random bytes:");
    for (unsigned i = 0; i < sizeof bytes; i++)
        rt_printf(" %02x", bytes[i]);
    rt_printf("\n");
    uint64_t t0 = rt_clock_ns(RT_CLOCK_MONOTONIC);
    uint64_t wall = rt_clock_ns(RT_CLOCK_REALTIME);
    rt_yield();
    uint64_t t1 = rt_clock_ns(RT_CLOCK_MONOTONIC);
    rt_printf("realtime: %llu ns since the epoch\n", (unsigned long long)wall);
    rt_printf("monotonic delta across sched_yield: %llu ns\n", (unsigned long long)(t1 - t0));
    rt_printf("monotonic clock is monotonic: %s\n", t1 >= t0 ? "yes" : "no");
    return 0;
}
