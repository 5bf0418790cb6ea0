/* calls.c - direct and indirect calls, recursion, deep call stacks. */
#include "weft_rt.h"

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

/* Ackermann, small arguments. */
static int ack(int m, int n) {
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

/* Function-pointer table (call_indirect). */
typedef int32_t (*op_t)(int32_t, int32_t);
__attribute__((noinline)) static int32_t op_add(int32_t a, int32_t b) { return a + b; }
__attribute__((noinline)) static int32_t op_sub(int32_t a, int32_t b) { return a - b; }
__attribute__((noinline)) static int32_t op_mul(int32_t a, int32_t b) { return a * b; }
__attribute__((noinline)) static int32_t op_xor(int32_t a, int32_t b) { return a ^ b; }
__attribute__((noinline)) static int32_t op_max(int32_t a, int32_t b) { return a > b ? a : b; }
static op_t ops[] = { op_add, op_sub, op_mul, op_xor, op_max };
static const char *op_names[] = { "add", "sub", "mul", "xor", "max" };

/* Deep recursion with a non-associative combine so it stays recursive:
 * uses the wasm call stack only. */
__attribute__((noinline)) static uint32_t deep(uint32_t n) {
    if (n == 0)
        return 17;
    return (deep(n - 1) ^ n) * 31u + 7u;
}

/* Deep recursion that also uses the C shadow stack (a local whose address
 * escapes). Depths are kept below what WasmKit's default 512 KiB
 * interpreter stack allows (about 8000 frames of `deep`, 5000 of `deep_frames`). */
__attribute__((noinline)) static void touch(volatile uint32_t *p) { *p += 1; }
__attribute__((noinline)) static uint32_t deep_frames(uint32_t n) {
    volatile uint32_t local[4] = { n, n * 2, n * 3, n * 4 };
    touch(local);
    if (n == 0)
        return local[0];
    return deep_frames(n - 1) + local[0] + local[3];
}

/* Mutual recursion. */
static int is_odd(unsigned n);
__attribute__((noinline)) static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
__attribute__((noinline)) static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

/* Many arguments, mixed types. */
__attribute__((noinline)) static double many_args(int a, long long b, double c, float d, int e,
                                                  unsigned f, double g, char h, short i, int j) {
    return a + (double)b + c + d + e + f + g + h + i + j;
}

int main(int argc, char **argv) {
    (void)argv;
    rt_printf("fib(20) = %d\n", fib(20));
    rt_printf("ack(2, 3) = %d, ack(3, 3) = %d\n", ack(2, 3), ack(3, 3));

    int32_t acc = 1;
    int n_ops = (int)(sizeof ops / sizeof ops[0]);
    for (int i = 0; i < 1000; i++) {
        int k = (i * 7 + argc) % n_ops;
        acc = ops[k](acc, i + 3);
    }
    rt_printf("indirect calls: acc = %d\n", acc);
    for (int k = 0; k < n_ops; k++)
        rt_printf("  %s(12, 5) = %d\n", op_names[k], ops[k](12, 5));

    rt_printf("deep(5000) = %u\n", deep(5000));
    rt_printf("deep_frames(3000) = %u\n", deep_frames(3000));
    rt_printf("is_even(5001) = %d, is_odd(5001) = %d\n", is_even(5001), is_odd(5001));
    rt_printf("many_args = %.2f\n", many_args(1, 2LL << 33, 3.5, 4.25f, -5, 6u, 7.125, 'A', -9, 10));
    return 0;
}
