/* bench_threads.c - multithreaded benchmark: 4 threads each run a hash-mixing
 * loop and, every 1024 steps, fold their running value into shared totals
 * under a futex mutex. The result does not depend on the interleaving (the
 * folds commute), so every engine and schedule prints the same checksum. */
#include "weft_rt.h"

#define THREADS 4
#define ITERS 3000000
#define FOLD_EVERY 1024

static rt_mutex_t lock = RT_MUTEX_INIT;
static uint64_t total_sum;
static uint64_t total_xor;
static long folds;

static void *worker(void *arg) {
    uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t)((intptr_t)arg + 1);
    uint64_t acc = 0;
    for (long i = 1; i <= ITERS; i++) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        acc += z ^ (z >> 31);
        if (i % FOLD_EVERY == 0) {
            rt_mutex_lock(&lock);
            total_sum += acc;
            total_xor ^= acc;
            folds++;
            rt_mutex_unlock(&lock);
        }
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
    rt_printf("%d threads, %ld folds, sum %016llx, xor %016llx\n", THREADS, folds,
              (unsigned long long)total_sum, (unsigned long long)total_xor);
    return folds == (long)THREADS * (ITERS / FOLD_EVERY) ? 0 : 1;
}
