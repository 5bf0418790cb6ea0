/* threads_rwlock.c - one writer updates a table (all entries equal to the
 * version number) while 3 readers check under the read lock that they never
 * see a half-updated table. */
#include "weft_rt.h"

#define READERS 3
#define ENTRIES 32
#define WRITES 300
#define READS 600

static rt_rwlock_t rw = RT_RWLOCK_INIT;
static int table[ENTRIES];
static int version;

static void *writer(void *arg) {
    (void)arg;
    for (int w = 0; w < WRITES; w++) {
        rt_rwlock_wrlock(&rw);
        version++;
        for (int i = 0; i < ENTRIES; i++)
            table[i] = version;
        rt_rwlock_unlock(&rw);
    }
    return 0;
}

typedef struct {
    int torn;     /* reads that saw mixed versions */
    int backward; /* reads that saw the version go down */
} reader_result_t;

static void *reader(void *arg) {
    reader_result_t *r = (reader_result_t *)arg;
    int last = 0;
    for (int n = 0; n < READS; n++) {
        rt_rwlock_rdlock(&rw);
        int v = table[0];
        for (int i = 1; i < ENTRIES; i++)
            if (table[i] != v)
                r->torn++;
        if (v != version)
            r->torn++;
        rt_rwlock_unlock(&rw);
        if (v < last)
            r->backward++;
        last = v;
    }
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    static reader_result_t results[READERS];
    rt_thread_t w, r[READERS];
    for (int i = 0; i < READERS; i++)
        if (rt_thread_create(&r[i], reader, &results[i]) != 0)
            return 1;
    if (rt_thread_create(&w, writer, 0) != 0)
        return 1;
    rt_thread_join(w, 0);
    int bad = 0;
    for (int i = 0; i < READERS; i++) {
        rt_thread_join(r[i], 0);
        bad += results[i].torn + results[i].backward;
    }
    rt_printf("readers: %d x %d reads, inconsistent reads: %d\n", READERS, READS, bad);
    rt_printf("final version %d, table[0] %d, table[%d] %d\n", version, table[0], ENTRIES - 1,
              table[ENTRIES - 1]);
    rt_printf("lock free afterwards: %s\n", rw.state == 0 ? "yes" : "no");
    return bad == 0 && version == WRITES ? 0 : 1;
}
