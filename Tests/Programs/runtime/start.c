/*
 * start.c - program entry point for Weft test programs.
 *
 * _start is exported (-Wl,--export=_start). It runs static constructors,
 * fetches the command-line arguments with args_sizes_get/args_get, calls
 * main(argc, argv) and passes main's result to proc_exit.
 *
 * Memory initialisation (passive data segments, the main thread's TLS block)
 * is done before _start by the wasm start function __wasm_init_memory that
 * wasm-ld synthesises for --shared-memory modules.
 */
#include "weft_rt.h"

int main(int argc, char **argv);
extern void __wasm_call_ctors(void);

void _start(void) {
    __wasm_call_ctors();

    size_t argc = 0, buf_size = 0;
    char **argv = 0;
    if (__wasi_args_sizes_get(&argc, &buf_size) != 0)
        rt_abort("args_sizes_get failed");
    argv = (char **)calloc(argc + 1, sizeof(char *));
    char *buf = (char *)malloc(buf_size ? buf_size : 1);
    if (!argv || !buf)
        rt_abort("out of memory for argv");
    if (argc > 0 && __wasi_args_get(argv, buf) != 0)
        rt_abort("args_get failed");
    argv[argc] = 0;

    int ret = main((int)argc, argv);
    rt_exit(ret);
}
