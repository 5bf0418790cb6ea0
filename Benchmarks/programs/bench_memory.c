/* bench_memory.c - memory benchmark: sorting a large array, many small and
 * large memcpy/memmove calls, and allocator churn. Prints checksums only. */
#include "weft_rt.h"

#define SORT_N (1 << 20)
#define COPY_ROUNDS 100
#define SMALL_COPIES 2000000
#define CHURN_OPS 1000000

static uint32_t rng_state = 88172645u;
static inline uint32_t rng(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void sort_u32(uint32_t *a, long n) {
    while (n > 16) {
        uint32_t p = a[n / 2];
        long i = 0, j = n - 1;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* recurse on the smaller side */
        if (j + 1 < n - i) {
            sort_u32(a, j + 1);
            a += i;
            n -= i;
        } else {
            sort_u32(a + i, n - i);
            n = j + 1;
        }
    }
    for (long i = 1; i < n; i++) {
        uint32_t v = a[i];
        long k = i;
        while (k > 0 && a[k - 1] > v) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = v;
    }
}

static uint32_t fnv_words(const uint32_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    uint32_t *a = (uint32_t *)malloc(SORT_N * sizeof(uint32_t));
    uint32_t *b = (uint32_t *)malloc(SORT_N * sizeof(uint32_t));
    if (!a || !b) {
        rt_puts("out of memory");
        return 1;
    }
    for (long i = 0; i < SORT_N; i++)
        a[i] = rng();
    sort_u32(a, SORT_N);
    long unsorted = 0;
    for (long i = 1; i < SORT_N; i++)
        unsorted += a[i - 1] > a[i];
    rt_printf("sort: %ld out of order, checksum %08x\n", unsorted, fnv_words(a, SORT_N));

    /* large copies: whole-array memcpy and overlapping memmove */
    uint32_t acc = 0;
    for (int r = 0; r < COPY_ROUNDS; r++) {
        memcpy(b, a, SORT_N * sizeof(uint32_t));
        memmove(b + r + 1, b, (SORT_N / 2) * sizeof(uint32_t));
        acc = acc * 31 + b[(r * 7919) % SORT_N] + b[SORT_N / 2 + r];
    }
    rt_printf("large copies: %08x\n", acc);

    /* many small copies of random length and offset */
    unsigned char *bytes = (unsigned char *)b;
    size_t span = SORT_N * sizeof(uint32_t) - 256;
    for (long i = 0; i < SMALL_COPIES; i++) {
        uint32_t r = rng();
        size_t len = r & 63;
        size_t src = (r >> 6) % span, dst = rng() % span;
        memcpy(bytes + dst, (const unsigned char *)a + src, len);
    }
    rt_printf("small copies: %08x\n", fnv_words(b, SORT_N));

    /* allocator churn */
    static void *slots[1024];
    uint32_t h = 0;
    for (long i = 0; i < CHURN_OPS; i++) {
        uint32_t r = rng();
        unsigned s = r % 1024;
        if (slots[s]) {
            h = h * 33 + ((unsigned char *)slots[s])[0];
            free(slots[s]);
            slots[s] = 0;
        } else {
            size_t n = 8 + (r >> 10) % 2000;
            slots[s] = malloc(n);
            memset(slots[s], (int)(r >> 24), n);
        }
    }
    for (int s = 0; s < 1024; s++)
        free(slots[s]);
    rt_printf("churn: %08x\n", h);
    free(a);
    free(b);
    return 0;
}
