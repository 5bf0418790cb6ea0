/* bank.c - the racy example: two tellers deposit into one account with no
 * lock. A deposit reads the balance, adds, and writes it back (plain memory
 * accesses), so when the scheduler switches tellers between the read and
 * the write, one deposit is lost. Whether and how many are lost depends on
 * the interleaving: the heisenbug Weft records and replays.
 * Exits 1 when money was lost. */
#include "weft_rt.h"

#define TELLERS 2
#define DEPOSITS 20000

static int balance; /* shared, unsynchronised */
static rt_barrier_t doors;

/* noinline keeps one read, add and write per deposit. */
__attribute__((noinline)) static void deposit(int amount) {
    int b = balance;
    balance = b + amount;
}

static void *teller(void *arg) {
    (void)arg;
    rt_barrier_wait(&doors); /* both tellers start together */
    for (int i = 0; i < DEPOSITS; i++)
        deposit(1);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_barrier_init(&doors, TELLERS);
    rt_thread_t t[TELLERS];
    for (int i = 0; i < TELLERS; i++)
        if (rt_thread_create(&t[i], teller, 0) != 0)
            return 2;
    for (int i = 0; i < TELLERS; i++)
        rt_thread_join(t[i], 0);
    int expected = TELLERS * DEPOSITS;
    rt_printf("balance: %d (expected %d)\n", balance, expected);
    if (balance != expected) {
        rt_printf("lost %d deposits\n", expected - balance);
        return 1;
    }
    return 0;
}
