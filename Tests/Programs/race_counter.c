/* race_counter.c - racy: two threads do an unsynchronised `counter++` on a
 * plain global (a non-atomic load and store); the main thread joins them. */
#include "weft_rt.h"

#define THREADS 2
#define ITERS 200

static int counter;

__attribute__((noinline)) static void bump(void) { counter++; }

static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < ITERS; i++)
        bump();
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, 0) != 0)
            return 2;
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    rt_printf("counter = %d\n", counter);
    return 0;
}
