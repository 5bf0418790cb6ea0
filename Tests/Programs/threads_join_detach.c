/* threads_join_detach.c - joinable threads returning values, detached threads
 * signalling completion through an atomic counter, and thread-block reuse. */
#include "weft_rt.h"

#define JOINABLE 6
#define DETACHED 6

static int detached_done;   /* atomic */
static long detached_sum;   /* atomic */

static void *square(void *arg) {
    intptr_t n = (intptr_t)arg;
    return (void *)(n * n);
}

static void *detached_worker(void *arg) {
    intptr_t n = (intptr_t)arg;
    __atomic_fetch_add(&detached_sum, (long)n * 10, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&detached_done, 1, __ATOMIC_SEQ_CST);
    rt_futex_wake(&detached_done, 1);
    return 0;
}

/* Joins a thread that has certainly finished already. */
static void *quick(void *arg) { return arg; }

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t th[JOINABLE];
    for (int i = 0; i < JOINABLE; i++)
        if (rt_thread_create(&th[i], square, (void *)(intptr_t)(i + 1)) != 0)
            return 1;
    long sum = 0;
    for (int i = JOINABLE - 1; i >= 0; i--) { /* join in reverse order */
        void *res = 0;
        rt_thread_join(th[i], &res);
        rt_printf("joined thread %d -> %ld\n", i, (long)(intptr_t)res);
        sum += (long)(intptr_t)res;
    }
    rt_printf("sum of squares 1..%d = %ld\n", JOINABLE, sum);

    for (int i = 0; i < DETACHED; i++) {
        rt_thread_t t;
        if (rt_thread_create(&t, detached_worker, (void *)(intptr_t)(i + 1)) != 0)
            return 1;
        rt_thread_detach(t);
    }
    int done;
    while ((done = __atomic_load_n(&detached_done, __ATOMIC_SEQ_CST)) < DETACHED)
        rt_futex_wait(&detached_done, done);
    rt_printf("detached threads done: %d, sum %ld\n", done, __atomic_load_n(&detached_sum, __ATOMIC_SEQ_CST));

    /* More create/join rounds: exercises reclaiming of detached threads'
     * blocks and reuse of joined threads' blocks by the allocator. */
    long q = 0;
    for (int round = 0; round < 10; round++) {
        rt_thread_t t;
        if (rt_thread_create(&t, quick, (void *)(intptr_t)round) != 0)
            return 1;
        void *res = 0;
        rt_thread_join(t, &res);
        q += (long)(intptr_t)res;
    }
    rt_printf("sequential create/join rounds: sum %ld\n", q);
    return 0;
}
