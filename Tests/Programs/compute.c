/* compute.c - integer workloads: a prime sieve, Collatz chain lengths and a
 * CRC-32 of a generated buffer. Output is fully deterministic. */
#include "weft_rt.h"

#define SIEVE_N 20000
#define COLLATZ_N 3000
#define CRC_BYTES 8192

static unsigned char composite[SIEVE_N + 1];

static int sieve(int n, int *largest) {
    int count = 0;
    for (int i = 2; i <= n; i++) {
        if (composite[i])
            continue;
        count++;
        *largest = i;
        for (long j = (long)i * i; j <= n; j += i)
            composite[j] = 1;
    }
    return count;
}

static int collatz_len(uint64_t n) {
    int steps = 0;
    while (n != 1) {
        n = (n & 1) ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}

static uint32_t crc_table[256];

static void crc32_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const unsigned char *buf, size_t len) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = crc_table[(c ^ buf[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* xorshift32 */
static uint32_t rng_state = 2463534242u;
static uint32_t rng(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static uint64_t gcd(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;

    int largest = 0;
    int primes = sieve(SIEVE_N, &largest);
    rt_printf("primes below %d: %d (largest %d)\n", SIEVE_N, primes, largest);

    int best = 0;
    uint32_t best_n = 0;
    uint64_t total = 0;
    for (uint32_t n = 1; n < COLLATZ_N; n++) {
        int len = collatz_len(n);
        total += (uint64_t)len;
        if (len > best) {
            best = len;
            best_n = n;
        }
    }
    rt_printf("collatz: longest chain below %d starts at %u (%d steps), total steps %llu\n",
              COLLATZ_N, best_n, best, (unsigned long long)total);

    crc32_init();
    static unsigned char buf[CRC_BYTES];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(rng() >> 24);
    rt_printf("crc32(\"123456789\") = %08x\n", crc32((const unsigned char *)"123456789", 9));
    rt_printf("crc32(%d random bytes) = %08x\n", CRC_BYTES, crc32(buf, sizeof buf));

    uint64_t g = 0;
    for (uint64_t i = 1; i <= 500; i++)
        g += gcd(i * 7919u, 1000003u * (i % 97 + 1));
    rt_printf("gcd sum = %llu\n", (unsigned long long)g);

    /* signed/unsigned arithmetic corner cases */
    int32_t a = -7, b = 2;
    int64_t big = (int64_t)1 << 40;
    rt_printf("-7/2=%d -7%%2=%d -7>>1=%d (u32)-7=%u\n", a / b, a % b, a >> 1, (uint32_t)a);
    rt_printf("2^40=%lld 2^40*3-1=%lld hex=%llx\n", (long long)big, (long long)(big * 3 - 1),
              (unsigned long long)(big * 3 - 1));
    rt_printf("clz(1)=%d ctz(64)=%d popcount(0xF0F0)=%d rotl=%08x\n", __builtin_clz(1),
              __builtin_ctz(64), __builtin_popcount(0xF0F0), (0x12345678u << 8) | (0x12345678u >> 24));
    return 0;
}
