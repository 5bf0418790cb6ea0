/* memory.c - allocator churn, memcpy/memmove/memset, sorting, checksums. */
#include "weft_rt.h"

static uint32_t rng_state = 12345u;
static uint32_t rng(void) {
    /* LCG (Numerical Recipes constants) */
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* FNV-1a */
static uint32_t fnv1a(const void *p, size_t n, uint32_t h) {
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    char name[12];
    int key;
} record_t;

static int cmp_record(const void *a, const void *b) {
    const record_t *x = (const record_t *)a, *y = (const record_t *)b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return strcmp(x->name, y->name);
}

#define SLOTS 256
#define BIG 20000

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;

    /* 1. malloc/free churn with varied sizes; every block is filled with a
     * pattern and verified before it is freed. */
    static unsigned char *slot[SLOTS];
    static size_t slot_size[SLOTS];
    uint32_t h = 2166136261u;
    int errors = 0;
    long allocs = 0;
    for (int round = 0; round < 1000; round++) {
        int i = (int)(rng() % SLOTS);
        if (slot[i]) {
            for (size_t k = 0; k < slot_size[i]; k++)
                if (slot[i][k] != (unsigned char)(i + k))
                    errors++;
            h = fnv1a(slot[i], slot_size[i], h);
            free(slot[i]);
            slot[i] = 0;
        } else {
            size_t n = (rng() % 64 == 0) ? 4000 + rng() % 1000 : 1 + rng() % 64;
            slot[i] = (unsigned char *)malloc(n);
            if (!slot[i]) {
                rt_puts("malloc failed");
                return 1;
            }
            slot_size[i] = n;
            for (size_t k = 0; k < n; k++)
                slot[i][k] = (unsigned char)(i + k);
            allocs++;
        }
    }
    for (int i = 0; i < SLOTS; i++)
        free(slot[i]);
    rt_printf("churn: %ld allocations, %d errors, hash %08x\n", allocs, errors, h);

    /* 2. calloc zeroes, realloc preserves contents */
    int *z = (int *)calloc(1000, sizeof(int));
    long zsum = 0;
    for (int i = 0; i < 1000; i++)
        zsum += z[i];
    for (int i = 0; i < 1000; i++)
        z[i] = i * i;
    z = (int *)realloc(z, 50000 * sizeof(int));
    long rsum = 0;
    for (int i = 0; i < 1000; i++)
        rsum += z[i];
    free(z);
    rt_printf("calloc sum %ld, realloc kept sum %ld\n", zsum, rsum);

    /* 3. memcpy / memmove (both overlap directions) / memset / memcmp */
    char buf[64];
    memset(buf, '.', sizeof buf);
    memcpy(buf, "abcdefghijklmnopqrstuvwxyz", 26);
    memmove(buf + 4, buf, 10);  /* forward overlap */
    memmove(buf + 16, buf + 18, 10); /* backward overlap */
    buf[63] = 0;
    rt_printf("memmove: %s\n", buf);
    static char big1[BIG], big2[BIG];
    for (int i = 0; i < BIG; i++)
        big1[i] = (char)(rng() & 0x7f);
    memcpy(big2, big1, sizeof big1);
    memmove(big2 + 1000, big2, BIG / 2);
    memset(big2 + BIG - 2000, 0x55, 1000);
    rt_printf("memcmp equal prefix %d, after move %d, hash %08x\n", memcmp(big1, big2, 1000) == 0,
              memcmp(big1, big2 + 1000, BIG / 2) == 0, fnv1a(big2, sizeof big2, 2166136261u));

    /* 4. sort 20000 integers and some records */
    size_t n = 3000;
    uint32_t *arr = (uint32_t *)malloc(n * sizeof *arr);
    for (size_t i = 0; i < n; i++)
        arr[i] = rng() % 100000;
    rt_qsort(arr, n, sizeof *arr, cmp_u32);
    int sorted = 1;
    for (size_t i = 1; i < n; i++)
        if (arr[i - 1] > arr[i])
            sorted = 0;
    rt_printf("qsort: sorted=%d min=%u median=%u max=%u hash %08x\n", sorted, arr[0], arr[n / 2],
              arr[n - 1], fnv1a(arr, n * sizeof *arr, 2166136261u));
    free(arr);

    record_t recs[8];
    const char *names[8] = { "pear", "apple", "fig", "kiwi", "plum", "date", "lime", "grape" };
    for (int i = 0; i < 8; i++) {
        memset(&recs[i], 0, sizeof recs[i]);
        memcpy(recs[i].name, names[i], strlen(names[i]) + 1);
        recs[i].key = (int)(strlen(names[i]) % 3);
    }
    rt_qsort(recs, 8, sizeof recs[0], cmp_record);
    rt_printf("records:");
    for (int i = 0; i < 8; i++)
        rt_printf(" %d:%s", recs[i].key, recs[i].name);
    rt_printf("\n");

    /* 5. a linked list built from the heap */
    typedef struct node {
        struct node *next;
        int value;
    } node_t;
    node_t *head = 0;
    for (int i = 0; i < 1000; i++) {
        node_t *nd = (node_t *)malloc(sizeof *nd);
        nd->value = i;
        nd->next = head;
        head = nd;
    }
    long lsum = 0;
    int count = 0;
    while (head) {
        node_t *next = head->next;
        lsum += head->value;
        count++;
        free(head);
        head = next;
    }
    rt_printf("list: %d nodes, sum %ld\n", count, lsum);
    return errors != 0;
}
