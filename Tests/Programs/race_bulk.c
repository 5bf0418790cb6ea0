/* race_bulk.c - racy through bulk memory: a thread copies a message into a
 * shared buffer with memory.copy (__builtin_memcpy with -mbulk-memory) and
 * fills another with memory.fill (__builtin_memset), while the main thread
 * reads both with plain loads, unsynchronised. The length is volatile so that
 * clang emits the bulk instructions instead of inline loads and stores. */
#include "weft_rt.h"

static char source[48] = "a message copied with memory.copy, 48 bytes....";
static char message[48];
static char filled[48];
static volatile size_t length = 48;

static void *copier(void *arg) {
    (void)arg;
    __builtin_memcpy(message, source, length);
    __builtin_memset(filled, '*', length);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t t;
    if (rt_thread_create(&t, copier, 0) != 0)
        return 2;
    int sum = 0;
    sum += ((volatile char *)message)[10]; /* races with the memory.copy */
    sum += ((volatile char *)filled)[20];  /* races with the memory.fill */
    rt_thread_join(t, 0);
    rt_printf("%s\n", sum >= 0 ? "done" : "?");
    return 0;
}
