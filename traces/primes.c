/* primes.c - the example the README runs: counts the primes below N (default
 * 100000, or argv[1]) with a sieve and prints the last few. */
#include "weft_rt.h"

static int parse(const char *s) {
    int n = 0;
    while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
    return n;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? parse(argv[1]) : 100000;
    if (n < 2) n = 2;
    char *composite = calloc((unsigned)n, 1);
    if (!composite) {
        rt_puts("out of memory");
        return 1;
    }
    int count = 0, last[5] = {0}, k = 0;
    for (int i = 2; i < n; i++) {
        if (composite[i]) continue;
        count++;
        last[k++ % 5] = i;
        for (long long j = (long long)i * i; j < n; j += i) composite[j] = 1;
    }
    rt_printf("%d primes below %d; the last ones:", count, n);
    for (int i = 0; i < 5 && i < count; i++) rt_printf(" %d", last[(k + i) % 5]);
    rt_printf("\n");
    free(composite);
    return 0;
}
