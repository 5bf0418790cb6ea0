/* threads_cond.c - bounded producer/consumer queue with a mutex and two
 * condition variables: 2 producers, 3 consumers. */
#include "weft_rt.h"

#define CAP 8
#define PRODUCERS 2
#define CONSUMERS 3
#define ITEMS_PER_PRODUCER 2000
#define STOP (-1)

static int queue[CAP];
static int head, count;
static rt_mutex_t lock = RT_MUTEX_INIT;
static rt_cond_t not_empty = RT_COND_INIT;
static rt_cond_t not_full = RT_COND_INIT;

static void put(int v) {
    rt_mutex_lock(&lock);
    while (count == CAP)
        rt_cond_wait(&not_full, &lock);
    queue[(head + count) % CAP] = v;
    count++;
    rt_cond_signal(&not_empty);
    rt_mutex_unlock(&lock);
}

static int get(void) {
    rt_mutex_lock(&lock);
    while (count == 0)
        rt_cond_wait(&not_empty, &lock);
    int v = queue[head];
    head = (head + 1) % CAP;
    count--;
    rt_cond_signal(&not_full);
    rt_mutex_unlock(&lock);
    return v;
}

typedef struct {
    long sum;
    long items;
} consumer_result_t;

static void *producer(void *arg) {
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < ITEMS_PER_PRODUCER; i++)
        put(id * 100000 + i);
    return 0;
}

static void *consumer(void *arg) {
    consumer_result_t *r = (consumer_result_t *)arg;
    for (;;) {
        int v = get();
        if (v == STOP)
            break;
        r->sum += v;
        r->items++;
    }
    return r;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t prod[PRODUCERS], cons[CONSUMERS];
    static consumer_result_t results[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++)
        if (rt_thread_create(&cons[i], consumer, &results[i]) != 0)
            return 1;
    for (int i = 0; i < PRODUCERS; i++)
        if (rt_thread_create(&prod[i], producer, (void *)(intptr_t)(i + 1)) != 0)
            return 1;
    for (int i = 0; i < PRODUCERS; i++)
        rt_thread_join(prod[i], 0);
    for (int i = 0; i < CONSUMERS; i++)
        put(STOP);
    long sum = 0, items = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        void *res = 0;
        rt_thread_join(cons[i], &res);
        consumer_result_t *r = (consumer_result_t *)res;
        sum += r->sum;
        items += r->items;
    }
    long expected = 0;
    for (int p = 1; p <= PRODUCERS; p++)
        for (int i = 0; i < ITEMS_PER_PRODUCER; i++)
            expected += p * 100000 + i;
    rt_printf("consumed %ld items, sum %ld (expected %d items, sum %ld)\n", items, sum,
              PRODUCERS * ITEMS_PER_PRODUCER, expected);
    rt_printf("queue empty: %s\n", count == 0 ? "yes" : "no");
    return sum == expected && items == PRODUCERS * ITEMS_PER_PRODUCER ? 0 : 1;
}
