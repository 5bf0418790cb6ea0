/* racy_counter.c - a data race: 2 threads do unsynchronised `counter++` on a
 * plain global (a non-atomic load, add and store). Updates get lost
 * depending on the interleaving, so the final value (printed) varies from
 * run to run and is usually below the expected total. */
#include "weft_rt.h"

#define THREADS 2
#define ITERS 20000

static int counter; /* plain, unsynchronised */
static rt_barrier_t start_line;

/* noinline keeps one load/add/store per increment instead of letting the
 * optimiser fold the whole loop into a single addition. */
__attribute__((noinline)) static void increment(void) { counter++; }

static void *worker(void *arg) {
    (void)arg;
    rt_barrier_wait(&start_line); /* start both threads together */
    for (int i = 0; i < ITERS; i++)
        increment();
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_barrier_init(&start_line, THREADS);
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, 0) != 0)
            return 1;
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    rt_printf("counter = %d (expected %d without the race)\n", counter, THREADS * ITERS);
    return 0;
}
