/* race_after_exit.c - racy: a thread writes a global and exits; the main
 * thread never joins it, only sleeps (sleeping is not synchronisation), then
 * writes the same global. A thread's exit orders nothing by itself. */
#include "weft_rt.h"

static volatile int result; /* volatile: keep both stores */

static void *worker(void *arg) {
    (void)arg;
    result = 1;
    return 0;
}

static void nap(void) {
    /* poll_oneoff on a relative clock: a virtual 1 ms sleep */
    struct {
        uint64_t userdata;
        uint8_t tag;
        uint8_t pad[7];
        uint32_t clock_id;
        uint32_t pad2;
        uint64_t timeout;
        uint64_t precision;
        uint16_t flags;
        uint8_t pad3[6];
    } sub = {0};
    uint8_t event[32];
    uint32_t n = 0;
    sub.tag = 0;
    sub.clock_id = RT_CLOCK_MONOTONIC;
    sub.timeout = 1000000;
    extern int32_t __wasi_poll_oneoff(const void *in, void *out, uint32_t count, uint32_t *n)
        __attribute__((import_module("wasi_snapshot_preview1"), import_name("poll_oneoff")));
    __wasi_poll_oneoff(&sub, event, 1, &n);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t t;
    if (rt_thread_create(&t, worker, 0) != 0)
        return 2;
    nap();
    result = 2; /* races with the worker's write */
    rt_printf("result = %d\n", result);
    return 0;
}
