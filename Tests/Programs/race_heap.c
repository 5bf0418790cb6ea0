/* race_heap.c - racy on heap memory: two threads store into the same
 * malloc'd element with no synchronisation; other elements are private. */
#include "weft_rt.h"

#define THREADS 2

static long *cells;

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    cells[1 + id] = id;        /* private element */
    cells[0] += 10 + id;       /* shared element: the race */
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    cells = (long *)calloc(THREADS + 1, sizeof(long));
    if (!cells)
        return 2;
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, (void *)(intptr_t)i) != 0)
            return 2;
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    rt_printf("cells[0] = %ld\n", cells[0]);
    free(cells);
    return 0;
}
