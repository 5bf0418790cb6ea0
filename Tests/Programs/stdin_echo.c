/* stdin_echo.c - copies stdin to stdout upper-casing ASCII letters, then
 * prints the byte and line counts. */
#include "weft_rt.h"

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    char buf[256];
    long total = 0, lines = 0;
    char last = '\n';
    for (;;) {
        long n = rt_read(0, buf, sizeof buf);
        if (n < 0) {
            rt_puts("read error");
            return 1;
        }
        if (n == 0)
            break;
        for (long i = 0; i < n; i++) {
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] = (char)(buf[i] - 'a' + 'A');
            if (buf[i] == '\n')
                lines++;
        }
        total += n;
        last = buf[n - 1];
        rt_write(1, buf, (size_t)n);
    }
    if (last != '\n')
        rt_write(1, "\n", 1); /* keep the summary on its own line */
    rt_printf("[stdin_echo: %ld bytes, %ld lines]\n", total, lines);
    return 0;
}
