/* bench_int.c - integer benchmark: repeated prime sieves and a hash-mixing
 * loop. Prints checksums only (no timing), so runs can be compared. */
#include "weft_rt.h"

#define SIEVE_N 2000000
#define SIEVE_ROUNDS 20
#define HASH_ITERS 20000000

static unsigned char composite[SIEVE_N + 1];

static uint32_t sieve(uint32_t n, uint32_t salt) {
    memset(composite, 0, n + 1);
    uint32_t count = 0, h = salt;
    for (uint32_t i = 2; i <= n; i++) {
        if (composite[i])
            continue;
        count++;
        h = (h ^ i) * 0x9E3779B1u;
        for (uint64_t j = (uint64_t)i * i; j <= n; j += i)
            composite[j] = 1;
    }
    return count ^ h;
}

/* splitmix64-style mixing chained through a small table. */
static uint64_t hash_loop(uint64_t iters) {
    uint64_t table[64];
    for (int i = 0; i < 64; i++)
        table[i] = 0x243F6A8885A308D3ull * (uint64_t)(i + 1);
    uint64_t x = 0x123456789ABCDEFull;
    for (uint64_t i = 0; i < iters; i++) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        uint32_t k = (uint32_t)(z >> 58);
        table[k] ^= z + (table[(k + 1) & 63] >> 3);
        x ^= (uint32_t)z % 1000003u;
    }
    uint64_t h = 0;
    for (int i = 0; i < 64; i++)
        h = h * 31 + table[i];
    return h ^ x;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    uint32_t s = 0;
    for (uint32_t r = 0; r < SIEVE_ROUNDS; r++)
        s ^= sieve(SIEVE_N - r * 1000, r) + r;
    rt_printf("sieve checksum: %08x\n", s);
    uint64_t h = hash_loop(HASH_ITERS);
    rt_printf("hash checksum: %016llx\n", (unsigned long long)h);
    return 0;
}
