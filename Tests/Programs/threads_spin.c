/* threads_spin.c - a test-and-test-and-set spin lock built from atomics only
 * (no futex wait/notify) protecting a plain counter. */
#include "weft_rt.h"

#define THREADS 4
#define ITERS 5000

typedef struct {
    int locked;
} spinlock_t;

static void spin_lock(spinlock_t *l) {
    for (;;) {
        if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
            return;
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            ; /* spin */
    }
}

static void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }

static spinlock_t lock;
static long counter;      /* protected by lock */
static int finished;      /* atomic */

static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        spin_lock(&lock);
        counter++;
        spin_unlock(&lock);
    }
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, 0) != 0)
            return 1;
    /* wait by spinning on an atomic as well */
    while (__atomic_load_n(&finished, __ATOMIC_SEQ_CST) < THREADS)
        ;
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    rt_printf("counter = %ld (expected %d)\n", counter, THREADS * ITERS);
    return counter == THREADS * ITERS ? 0 : 1;
}
