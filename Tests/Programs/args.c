/* args.c - prints its arguments one per line and exits with argc, so that even a tool that
 * shows only the exit status (weft races) tells how many arguments the guest was given. */
#include "weft_rt.h"

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        rt_printf("arg %d: %s\n", i, argv[i]);
    return argc;
}
