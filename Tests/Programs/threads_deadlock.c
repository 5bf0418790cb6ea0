/* threads_deadlock.c - classic lock-order inversion that always deadlocks:
 * thread 1 holds A and wants B, thread 2 holds B and wants A. Barriers make
 * sure both hold their first lock before either asks for the second, so the
 * program never terminates (the main thread blocks in rt_thread_join). */
#include "weft_rt.h"

static rt_mutex_t lock_a = RT_MUTEX_INIT;
static rt_mutex_t lock_b = RT_MUTEX_INIT;
static rt_barrier_t step1, step2;

static void *thread1(void *arg) {
    (void)arg;
    rt_mutex_lock(&lock_a);
    rt_puts("thread 1: locked A");
    rt_barrier_wait(&step1);
    rt_barrier_wait(&step2);
    rt_mutex_lock(&lock_b); /* blocks forever: thread 2 holds B */
    rt_puts("thread 1: locked B (unreachable)");
    rt_mutex_unlock(&lock_b);
    rt_mutex_unlock(&lock_a);
    return 0;
}

static void *thread2(void *arg) {
    (void)arg;
    rt_barrier_wait(&step1);
    rt_mutex_lock(&lock_b);
    rt_puts("thread 2: locked B");
    rt_barrier_wait(&step2);
    rt_mutex_lock(&lock_a); /* blocks forever: thread 1 holds A */
    rt_puts("thread 2: locked A (unreachable)");
    rt_mutex_unlock(&lock_a);
    rt_mutex_unlock(&lock_b);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_barrier_init(&step1, 2);
    rt_barrier_init(&step2, 2);
    rt_puts("main: starting two threads that deadlock");
    rt_thread_t t1, t2;
    if (rt_thread_create(&t1, thread1, 0) != 0 || rt_thread_create(&t2, thread2, 0) != 0)
        return 1;
    rt_thread_join(t1, 0);
    rt_thread_join(t2, 0);
    rt_puts("main: joined (unreachable)");
    return 0;
}
