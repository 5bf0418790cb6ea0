/* norace_adjacent.c - race-free: threads write adjacent bytes (and adjacent
 * 16-bit halves) of the same 8-byte words, each thread only its own bytes,
 * many times; the main thread reads whole words after joining. A detector
 * that rounds accesses to words would report these. */
#include "weft_rt.h"

#define THREADS 4
#define ROUNDS 50

static struct {
    volatile uint8_t bytes[8];    /* thread i owns bytes[i] and bytes[i + 4] */
    volatile uint16_t halves[4];  /* thread i owns halves[i] */
} shared;

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        shared.bytes[id] = (uint8_t)(shared.bytes[id] + 1);
        shared.bytes[id + 4] = (uint8_t)(shared.bytes[id + 4] + 2);
        shared.halves[id] = (uint16_t)(shared.halves[id] + 3);
    }
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, (void *)(intptr_t)i) != 0)
            return 2;
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    uint64_t bytes = *(volatile uint64_t *)&shared.bytes;
    uint64_t halves = *(volatile uint64_t *)&shared.halves;
    rt_printf("bytes = %llx halves = %llx\n", (unsigned long long)bytes, (unsigned long long)halves);
    return 0;
}
