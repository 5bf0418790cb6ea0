/* race_byte.c - racy on exactly one byte: a thread stores byte 1 of a word
 * while the main thread, unsynchronised, stores the whole 32-bit word. The
 * accesses overlap in that one byte only. */
#include "weft_rt.h"

static union {
    uint32_t word;
    uint8_t bytes[4];
} shared;

static void *byte_writer(void *arg) {
    (void)arg;
    *(volatile uint8_t *)&shared.bytes[1] = 0x5a;
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_thread_t t;
    if (rt_thread_create(&t, byte_writer, 0) != 0)
        return 2;
    *(volatile uint32_t *)&shared.word = 0x11223344u; /* races with byte 1 */
    rt_thread_join(t, 0);
    rt_printf("word = %x\n", (unsigned)shared.word);
    return 0;
}
