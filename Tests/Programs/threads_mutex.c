/* threads_mutex.c - 4 threads each add 1 to a shared counter 10000 times
 * under a futex mutex; one-time initialisation with rt_once. */
#include "weft_rt.h"

#define THREADS 4
#define ITERS 10000

static rt_mutex_t lock = RT_MUTEX_INIT;
static long counter;
static long per_thread_total[THREADS];

static rt_once_t init_once = RT_ONCE_INIT;
static int init_calls;
static void init(void) { init_calls++; }

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    rt_once(&init_once, init);
    for (int i = 0; i < ITERS; i++) {
        rt_mutex_lock(&lock);
        counter++;
        per_thread_total[id]++;
        rt_mutex_unlock(&lock);
    }
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, (void *)(intptr_t)i) != 0) {
            rt_puts("thread create failed");
            return 1;
        }
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    for (int i = 0; i < THREADS; i++)
        rt_printf("thread %d: %ld increments\n", i, per_thread_total[i]);
    rt_printf("counter = %ld (expected %d)\n", counter, THREADS * ITERS);
    rt_printf("init ran %d time(s)\n", init_calls);
    /* trylock on a held / free mutex */
    rt_mutex_lock(&lock);
    int busy = rt_mutex_trylock(&lock);
    rt_mutex_unlock(&lock);
    int free_ok = rt_mutex_trylock(&lock);
    rt_mutex_unlock(&lock);
    rt_printf("trylock held=%s free=%s\n", busy == RT_EBUSY ? "EBUSY" : "?", free_ok == 0 ? "ok" : "?");
    return counter == THREADS * ITERS ? 0 : 1;
}
