/* threads_many.c - 100 short-lived threads, spawned in waves of 10 and
 * joined wave by wave. */
#include "weft_rt.h"

#define TOTAL 100
#define WAVE 10

static uint32_t results[TOTAL];

static void *work(void *arg) {
    int i = (int)(intptr_t)arg;
    uint32_t h = 2166136261u ^ (uint32_t)i;
    for (int k = 0; k < 200; k++)
        h = (h ^ (uint32_t)k) * 16777619u;
    results[i] = h;
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    uint32_t check = 0;
    for (int w = 0; w < TOTAL / WAVE; w++) {
        rt_thread_t th[WAVE];
        for (int j = 0; j < WAVE; j++)
            if (rt_thread_create(&th[j], work, (void *)(intptr_t)(w * WAVE + j)) != 0) {
                rt_printf("create failed in wave %d\n", w);
                return 1;
            }
        for (int j = 0; j < WAVE; j++)
            rt_thread_join(th[j], 0);
        uint32_t wave_hash = 0;
        for (int j = 0; j < WAVE; j++)
            wave_hash ^= results[w * WAVE + j];
        rt_printf("wave %d done: %08x\n", w, wave_hash);
        check = check * 31u + wave_hash;
    }
    rt_printf("%d threads finished, checksum %08x\n", TOTAL, check);
    return 0;
}
