/* norace_atomic_flag.c - race-free publication: the writer fills `data` with
 * plain stores and then sets a flag with a seq-cst atomic store; the reader
 * polls the flag with seq-cst atomic loads before it reads the data. */
#include "weft_rt.h"

static int data[4];
static int ready;

static void *reader(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
        rt_yield();
    int sum = 0;
    for (int i = 0; i < 4; i++)
        sum += data[i];
    rt_printf("sum = %d\n", sum);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t t;
    if (rt_thread_create(&t, reader, 0) != 0)
        return 2;
    for (int i = 0; i < 4; i++)
        data[i] = i + 1;
    __atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
    rt_thread_join(t, 0);
    return 0;
}
