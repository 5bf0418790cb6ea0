/* threads_tls.c - _Thread_local variables: each thread gets a fresh copy
 * initialised from the TLS image (.tdata) and zeroed .tbss. */
#include "weft_rt.h"

#define THREADS 4

static _Thread_local int tls_counter = 100;      /* .tdata */
static _Thread_local char tls_name[16];          /* .tbss */
static _Thread_local long long tls_big = -5;     /* .tdata, 8-byte aligned */

typedef struct {
    int initial_counter;
    int initial_name_zero;
    long long initial_big;
    int final_counter;
    long long final_big;
    char name[16];
    int addr_distinct; /* &tls_counter differs from the main thread's */
} result_t;

static int *main_counter_addr;

static void bump(int times, int step) {
    for (int i = 0; i < times; i++)
        tls_counter += step;
}

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    result_t *r = (result_t *)malloc(sizeof *r);
    memset(r, 0, sizeof *r);
    r->initial_counter = tls_counter;
    r->initial_name_zero = tls_name[0] == 0 && tls_name[15] == 0;
    r->initial_big = tls_big;
    rt_snprintf(tls_name, sizeof tls_name, "worker-%d", id);
    bump(1000, id + 1);
    tls_big *= id + 2;
    r->final_counter = tls_counter;
    r->final_big = tls_big;
    memcpy(r->name, tls_name, sizeof r->name);
    r->addr_distinct = &tls_counter != main_counter_addr;
    return r;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    main_counter_addr = &tls_counter;
    rt_snprintf(tls_name, sizeof tls_name, "main");
    tls_counter = 1;
    rt_thread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (rt_thread_create(&th[i], worker, (void *)(intptr_t)i) != 0)
            return 1;
    for (int i = 0; i < THREADS; i++) {
        void *res;
        rt_thread_join(th[i], &res);
        result_t *r = (result_t *)res;
        rt_printf("thread %d: start counter=%d name-zeroed=%d big=%lld -> counter=%d big=%lld name=%s own-copy=%d\n",
                  i, r->initial_counter, r->initial_name_zero, r->initial_big, r->final_counter,
                  r->final_big, r->name, r->addr_distinct);
        free(r);
    }
    rt_printf("main: counter=%d name=%s big=%lld thread-id=%d\n", tls_counter, tls_name, tls_big,
              rt_thread_id());
    return 0;
}
