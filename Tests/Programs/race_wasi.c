/* race_wasi.c - bytes a WASI call writes into guest memory are writes of the
 * calling thread: a thread fills a global buffer with random_get while the
 * main thread reads the buffer with plain loads, unsynchronised. */
#include "weft_rt.h"

static unsigned char pool[16];

static void *filler(void *arg) {
    (void)arg;
    rt_random(pool, sizeof pool);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t t;
    if (rt_thread_create(&t, filler, 0) != 0)
        return 2;
    unsigned sum = 0;
    for (unsigned i = 0; i < sizeof pool; i++)
        sum += ((volatile unsigned char *)pool)[i]; /* races with random_get */
    rt_thread_join(t, 0);
    rt_printf("%s\n", sum < 4096 ? "done" : "?");
    return 0;
}
