/* norace_per_thread.c - race-free: each thread works only on its own slice
 * of a shared heap array and its own stack; the main thread reads the
 * results after joining. */
#include "weft_rt.h"

#define THREADS 3
#define PER 16

static int *slices;

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    int local[PER];
    for (int i = 0; i < PER; i++)
        local[i] = id * 100 + i;
    for (int i = 0; i < PER; i++)
        slices[id * PER + i] = local[i] * 2;
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    slices = (int *)malloc(THREADS * PER * sizeof(int));
    if (!slices)
        return 2;
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, (void *)(intptr_t)i) != 0)
            return 2;
    long total = 0;
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    for (int i = 0; i < THREADS * PER; i++)
        total += slices[i];
    rt_printf("total = %ld\n", total);
    free(slices);
    return 0;
}
