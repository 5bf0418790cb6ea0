/* race_flag.c - racy publication: the writer fills `data` and then sets a
 * plain (volatile, not atomic) flag; the reader polls the flag and reads the
 * data. volatile is not synchronisation: both the flag and the data race. */
#include "weft_rt.h"

static int data;
static volatile int ready;

static void *reader(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        if (ready) {
            rt_printf("data = %d\n", data);
            return 0;
        }
        rt_yield();
    }
    rt_puts("gave up");
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t t;
    if (rt_thread_create(&t, reader, 0) != 0)
        return 2;
    data = 42;
    ready = 1;
    rt_thread_join(t, 0);
    return 0;
}
