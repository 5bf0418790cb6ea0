/* threads_barrier.c - 4 threads run 6 phases separated by a barrier. In each
 * phase every thread writes its own cell, and after the barrier reads all
 * cells of that phase. */
#include "weft_rt.h"

#define THREADS 4
#define PHASES 6

static rt_barrier_t barrier;
static int cells[PHASES][THREADS];
static long seen[THREADS][PHASES];
static int serial_count[PHASES];
static rt_mutex_t serial_lock = RT_MUTEX_INIT;

static int value(int phase, int id) { return (phase + 1) * 1000 + id * 7; }

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    for (int phase = 0; phase < PHASES; phase++) {
        cells[phase][id] = value(phase, id);
        int serial = rt_barrier_wait(&barrier);
        if (serial) {
            rt_mutex_lock(&serial_lock);
            serial_count[phase]++;
            rt_mutex_unlock(&serial_lock);
        }
        long sum = 0;
        for (int j = 0; j < THREADS; j++)
            sum += cells[phase][j];
        seen[id][phase] = sum;
    }
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_barrier_init(&barrier, THREADS);
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, (void *)(intptr_t)i) != 0)
            return 1;
    for (int i = 0; i < THREADS; i++)
        rt_thread_join(th[i], 0);
    int ok = 1;
    for (int phase = 0; phase < PHASES; phase++) {
        long expected = 0;
        for (int j = 0; j < THREADS; j++)
            expected += value(phase, j);
        int agree = 1;
        for (int i = 0; i < THREADS; i++)
            if (seen[i][phase] != expected)
                agree = 0;
        ok &= agree && serial_count[phase] == 1;
        rt_printf("phase %d: sum %ld, all threads agree: %s, serial threads: %d\n", phase, expected,
                  agree ? "yes" : "no", serial_count[phase]);
    }
    return ok ? 0 : 1;
}
