/* bench_calls.c - call-heavy benchmark: recursive fib, indirect calls through
 * a function table and a recursive tree walk. Prints checksums only. */
#include "weft_rt.h"

#define FIB_N 32
#define INDIRECT_ITERS 10000000
#define TREE_DEPTH 18
#define TREE_WALKS 40

__attribute__((noinline)) static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

typedef uint32_t (*op_t)(uint32_t, uint32_t);
__attribute__((noinline)) static uint32_t op0(uint32_t a, uint32_t b) { return a + b; }
__attribute__((noinline)) static uint32_t op1(uint32_t a, uint32_t b) { return a ^ (b << 1); }
__attribute__((noinline)) static uint32_t op2(uint32_t a, uint32_t b) { return a * 3 + b; }
__attribute__((noinline)) static uint32_t op3(uint32_t a, uint32_t b) { return (a >> 1) | (b << 31); }
__attribute__((noinline)) static uint32_t op4(uint32_t a, uint32_t b) { return a - b * 7; }
__attribute__((noinline)) static uint32_t op5(uint32_t a, uint32_t b) { return a > b ? a - b : b - a; }
__attribute__((noinline)) static uint32_t op6(uint32_t a, uint32_t b) { return (a << 5) + (a >> 3) + b; }
__attribute__((noinline)) static uint32_t op7(uint32_t a, uint32_t b) { return ~a ^ b; }
static op_t volatile_table[8] = { op0, op1, op2, op3, op4, op5, op6, op7 };

static uint32_t indirect(uint32_t iters) {
    op_t *volatile tbl = volatile_table; /* keep the calls indirect */
    uint32_t x = 1;
    for (uint32_t i = 0; i < iters; i++)
        x = tbl[(x ^ i) & 7](x, i);
    return x;
}

typedef struct node {
    struct node *left, *right;
    uint32_t value;
} node_t;

static node_t *build(int depth, uint32_t *next) {
    node_t *n = (node_t *)malloc(sizeof *n);
    n->value = (*next)++ * 2654435761u;
    n->left = depth > 0 ? build(depth - 1, next) : 0;
    n->right = depth > 0 ? build(depth - 1, next) : 0;
    return n;
}

__attribute__((noinline)) static uint32_t walk(const node_t *n, uint32_t salt) {
    if (!n)
        return salt;
    return walk(n->left, salt * 31 + n->value) ^ walk(n->right, salt + 1);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_printf("fib(%d) = %u\n", FIB_N, fib(FIB_N));
    rt_printf("indirect checksum: %08x\n", indirect(INDIRECT_ITERS));
    uint32_t next = 1;
    node_t *root = build(TREE_DEPTH, &next);
    uint32_t h = 0;
    for (uint32_t i = 0; i < TREE_WALKS; i++)
        h = h * 16777619u ^ walk(root, i);
    rt_printf("tree walk checksum (%u nodes): %08x\n", next - 1, h);
    return 0;
}
