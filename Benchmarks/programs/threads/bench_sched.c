/* bench_sched.c - the scheduler's own cost: 2 threads do nothing but atomic
 * read-modify-writes on shared counters, so almost every instruction is a
 * scheduling point. Prints the final counts, which do not depend on the
 * interleaving. */
#include "weft_rt.h"

#define THREADS 2
#define ITERS 500000

static int counter;
static int64_t wide;

static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&wide, 2, __ATOMIC_SEQ_CST);
    }
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, 0) != 0) {
            rt_puts("thread create failed");
            return 1;
        }
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    rt_printf("counter %d, wide %lld (expected %d, %lld)\n", __atomic_load_n(&counter, __ATOMIC_SEQ_CST),
              (long long)__atomic_load_n(&wide, __ATOMIC_SEQ_CST), THREADS * ITERS, 2ll * THREADS * ITERS);
    return counter == THREADS * ITERS ? 0 : 1;
}
