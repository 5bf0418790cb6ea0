/* norace_wasi.c - race_wasi.c made race-free: the thread fills the buffer
 * with random_get and then sets a flag with a seq-cst atomic store; the main
 * thread reads the buffer only after it saw the flag with an atomic load. */
#include "weft_rt.h"

static unsigned char pool[16];
static int ready;

static void *filler(void *arg) {
    (void)arg;
    rt_random(pool, sizeof pool);
    __atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t t;
    if (rt_thread_create(&t, filler, 0) != 0)
        return 2;
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
        rt_yield();
    unsigned sum = 0;
    for (unsigned i = 0; i < sizeof pool; i++)
        sum += ((volatile unsigned char *)pool)[i];
    rt_thread_join(t, 0);
    rt_printf("%s\n", sum < 4096 ? "done" : "?");
    return 0;
}
