/* hello.c - prints a greeting, the arguments and one environment variable. */
#include "weft_rt.h"

int main(int argc, char **argv) {
    rt_puts("hello from weft");
    rt_printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        rt_printf("argv[%d]=%s\n", i, argv[i]);
    const char *greeting = rt_getenv("WEFT_GREETING");
    if (greeting)
        rt_printf("WEFT_GREETING=%s\n", greeting);
    else
        rt_puts("WEFT_GREETING is not set");
    return 0;
}
