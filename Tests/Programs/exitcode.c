/* exitcode.c - prints a line and exits with status 7 (main's return value). */
#include "weft_rt.h"

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_puts("exiting with status 7");
    return 7;
}
