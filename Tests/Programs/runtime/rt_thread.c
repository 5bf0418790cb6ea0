/*
 * rt_thread.c - threads and synchronisation for the Weft test runtime.
 *
 * Threads are built the way wasi-libc builds pthreads on wasi-threads:
 *   - the parent mallocs one block holding the thread's control struct, its
 *     TLS block and its C (shadow) stack, then calls the `wasi.thread-spawn`
 *     import with a pointer to the control struct;
 *   - the host instantiates the module again (sharing the memory) and calls
 *     the exported `wasi_thread_start(tid, arg)` in a new host thread.
 *     Every instance has its own `__stack_pointer` and `__tls_base` globals,
 *     which start at their link-time values, so wasi_thread_start (written in
 *     wasm assembly below, since C cannot set globals) first points
 *     __stack_pointer at the new stack and calls the linker-generated
 *     `__wasm_init_tls` to initialise and install the TLS block;
 *   - when the thread function returns, the control struct's `state` word is
 *     set to 0 with an atomic store and joiners are woken with
 *     memory.atomic.notify. Those are the very last instructions of
 *     wasi_thread_start, after the thread's C code has returned, so once a
 *     joiner sees state == 0 the thread no longer touches its stack and the
 *     joiner may free the block.
 *
 * Memory of detached threads: a detached thread cannot free its own stack
 * while running on it, so detached threads are put on a "zombie" list and
 * their blocks are reclaimed by later rt_thread_create/rt_thread_detach calls
 * once their state word reads 0. Blocks of detached threads still running at
 * process exit are simply leaked.
 */
#include "weft_rt.h"

#define CMPXCHG(p, expected, desired) \
    __atomic_compare_exchange_n((p), &(expected), (desired), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define FETCH_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define FETCH_SUB(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)

#define WAKE_ALL 0x7fffffff

/* ---------------------------------------------------------------------- */
/* mutex (musl style)                                                      */
/* ---------------------------------------------------------------------- */

int rt_mutex_trylock(rt_mutex_t *m) {
    int expected = 0;
    return CMPXCHG(&m->state, expected, 1) ? 0 : RT_EBUSY;
}

void rt_mutex_lock(rt_mutex_t *m) {
    int expected = 0;
    if (CMPXCHG(&m->state, expected, 1))
        return;
    /* brief spin while the lock is held without waiters */
    for (int spins = 0; spins < 100; spins++) {
        int s = LOAD(&m->state);
        if (s == 0) {
            expected = 0;
            if (CMPXCHG(&m->state, expected, 1))
                return;
        } else if (s == 2) {
            break;
        }
    }
    /* Mark the lock contended (2) and sleep until we acquire it. */
    while (XCHG(&m->state, 2) != 0)
        rt_futex_wait(&m->state, 2);
}

void rt_mutex_unlock(rt_mutex_t *m) {
    if (XCHG(&m->state, 0) == 2)
        rt_futex_wake(&m->state, 1);
}

/* ---------------------------------------------------------------------- */
/* condition variable: waiters sleep on a sequence counter                  */
/* ---------------------------------------------------------------------- */

void rt_cond_wait(rt_cond_t *c, rt_mutex_t *m) {
    int seq = LOAD(&c->seq);
    rt_mutex_unlock(m);
    /* Returns at once if a signal bumped seq after we read it. */
    rt_futex_wait(&c->seq, seq);
    /* Re-acquire marking the mutex contended: other woken waiters may be
     * sleeping on it, and they must be woken by our unlock. */
    while (XCHG(&m->state, 2) != 0)
        rt_futex_wait(&m->state, 2);
}

void rt_cond_signal(rt_cond_t *c) {
    FETCH_ADD(&c->seq, 1);
    rt_futex_wake(&c->seq, 1);
}

void rt_cond_broadcast(rt_cond_t *c) {
    FETCH_ADD(&c->seq, 1);
    rt_futex_wake(&c->seq, WAKE_ALL);
}

/* ---------------------------------------------------------------------- */
/* barrier                                                                 */
/* ---------------------------------------------------------------------- */

void rt_barrier_init(rt_barrier_t *b, int count) {
    b->lock.state = 0;
    b->count = count;
    b->arrived = 0;
    b->phase = 0;
}

int rt_barrier_wait(rt_barrier_t *b) {
    rt_mutex_lock(&b->lock);
    int phase = b->phase;
    if (++b->arrived == b->count) {
        b->arrived = 0;
        FETCH_ADD(&b->phase, 1);
        rt_futex_wake(&b->phase, WAKE_ALL);
        rt_mutex_unlock(&b->lock);
        return 1;
    }
    rt_mutex_unlock(&b->lock);
    while (LOAD(&b->phase) == phase)
        rt_futex_wait(&b->phase, phase);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* reader-writer lock                                                      */
/* ---------------------------------------------------------------------- */

/* Sleeps until l->state differs from `seen`. The waiter count is raised
 * before re-checking the state, so an unlocker that changes the state and
 * then finds no waiters cannot miss us. */
static void rw_wait(rt_rwlock_t *l, int seen) {
    FETCH_ADD(&l->waiters, 1);
    if (LOAD(&l->state) == seen)
        rt_futex_wait(&l->state, seen);
    FETCH_SUB(&l->waiters, 1);
}

void rt_rwlock_rdlock(rt_rwlock_t *l) {
    for (;;) {
        int s = LOAD(&l->state);
        if (s >= 0) {
            if (CMPXCHG(&l->state, s, s + 1))
                return;
            continue;
        }
        rw_wait(l, s);
    }
}

void rt_rwlock_wrlock(rt_rwlock_t *l) {
    for (;;) {
        int s = 0;
        if (CMPXCHG(&l->state, s, -1))
            return;
        /* s now holds the observed state */
        rw_wait(l, s);
    }
}

void rt_rwlock_unlock(rt_rwlock_t *l) {
    int s = LOAD(&l->state);
    if (s == -1) {
        STORE(&l->state, 0);
    } else if (FETCH_SUB(&l->state, 1) != 1) {
        return; /* other readers still hold it */
    }
    if (LOAD(&l->waiters) > 0)
        rt_futex_wake(&l->state, WAKE_ALL);
}

/* ---------------------------------------------------------------------- */
/* once                                                                    */
/* ---------------------------------------------------------------------- */

static void once_slow(rt_once_t *once, void (*fn)(void)) {
    for (;;) {
        int expected = 0;
        if (CMPXCHG(once, expected, 1)) {
            fn();
            STORE(once, 2);
            rt_futex_wake(once, WAKE_ALL);
            return;
        }
        if (expected == 2)
            return;
        /* expected == 1: another thread is running fn */
        rt_futex_wait(once, 1);
    }
}

void rt_once(rt_once_t *once, void (*fn)(void)) {
    /* Fast path like musl's pthread_once: a plain (non-atomic) load of the
     * state, then a full fence so fn's effects are visible to us. */
    if (*(volatile int *)once == 2) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        return;
    }
    once_slow(once, fn);
}

/* ---------------------------------------------------------------------- */
/* threads                                                                 */
/* ---------------------------------------------------------------------- */

struct rt_thread {
    /* offsets 0 and 4 are read by wasi_thread_start (assembly below) */
    void *stack_top;         /* 0: initial __stack_pointer (16-aligned) */
    void *tls_block;         /* 4: argument for __wasm_init_tls */
    int state;               /* 8: 1 while running, 0 once finished (atomic store) */
    int detached;            /* 1 once rt_thread_detach was called */
    int tid;                 /* wasi-threads id */
    void *(*fn)(void *);
    void *arg;
    void *result;
    struct rt_thread *next_zombie;
};

_Static_assert(__builtin_offsetof(struct rt_thread, stack_top) == 0, "layout");
_Static_assert(__builtin_offsetof(struct rt_thread, tls_block) == 4, "layout");

static _Thread_local int rt_current_tid; /* 0 in the main thread */

int rt_thread_id(void) { return rt_current_tid; }

/*
 * Called by wasi_thread_start on the new stack with TLS installed. Runs the
 * thread function and returns the address of the state word, which the
 * assembly sets to 0 (atomically) and notifies once this function has
 * returned.
 */
int *rt__thread_main(int tid, struct rt_thread *t) {
    rt_current_tid = tid;
    t->result = t->fn(t->arg);
    return &t->state;
}

/*
 * wasi_thread_start(tid, arg), exported by the linker (--export=wasi_thread_start).
 * Nothing runs before the first three instructions that switch to the
 * thread's own stack. It must not be written in C: a C function may spill to
 * the (not yet valid) shadow stack in its prologue.
 */
__asm__(
    "\t.globaltype __stack_pointer, i32\n"
    "\t.functype __wasm_init_tls (i32) -> ()\n"
    "\t.functype rt__thread_main (i32, i32) -> (i32)\n"
    "\t.section .text.wasi_thread_start,\"\",@\n"
    "\t.globl wasi_thread_start\n"
    "\t.type wasi_thread_start,@function\n"
    "wasi_thread_start:\n"
    "\t.functype wasi_thread_start (i32, i32) -> ()\n"
    /* __stack_pointer = arg->stack_top */
    "\tlocal.get 1\n"
    "\ti32.load 0\n"
    "\tglobal.set __stack_pointer\n"
    /* __wasm_init_tls(arg->tls_block): copies the TLS image, sets __tls_base */
    "\tlocal.get 1\n"
    "\ti32.load 4\n"
    "\tcall __wasm_init_tls\n"
    /* state_addr = rt__thread_main(tid, arg) */
    "\tlocal.get 0\n"
    "\tlocal.get 1\n"
    "\tcall rt__thread_main\n"
    "\tlocal.tee 1\n"
    /* i32.atomic.store *state_addr = 0 */
    "\ti32.const 0\n"
    "\ti32.atomic.store 0\n"
    /* memory.atomic.notify(state_addr, 1) */
    "\tlocal.get 1\n"
    "\ti32.const 1\n"
    "\tmemory.atomic.notify 0\n"
    "\tdrop\n"
    "\tend_function\n");

/* Detached threads whose blocks still have to be freed. */
static rt_mutex_t zombie_lock = RT_MUTEX_INIT;
static struct rt_thread *zombies;

static void reap_zombies(void) {
    rt_mutex_lock(&zombie_lock);
    struct rt_thread **link = &zombies;
    while (*link) {
        struct rt_thread *t = *link;
        if (LOAD(&t->state) == 0) {
            *link = t->next_zombie;
            free(t);
        } else {
            link = &t->next_zombie;
        }
    }
    rt_mutex_unlock(&zombie_lock);
}

int rt_thread_create(rt_thread_t *out, void *(*fn)(void *), void *arg) {
    reap_zombies();
    size_t tls_size = __builtin_wasm_tls_size();
    size_t tls_align = __builtin_wasm_tls_align();
    if (tls_align < 16)
        tls_align = 16;
    size_t tls_room = (tls_size + 15) & ~(size_t)15;
    /* [struct rt_thread][pad to tls_align][TLS block][stack ... top] */
    size_t total = sizeof(struct rt_thread) + tls_align + tls_room + RT_THREAD_STACK_SIZE;
    char *mem = (char *)malloc(total);
    if (!mem)
        return RT_ENOMEM;
    struct rt_thread *t = (struct rt_thread *)mem;
    memset(t, 0, sizeof *t);
    uintptr_t tls = ((uintptr_t)mem + sizeof(struct rt_thread) + tls_align - 1) & ~(uintptr_t)(tls_align - 1);
    t->tls_block = (void *)tls;
    t->stack_top = (void *)(((uintptr_t)mem + total) & ~(uintptr_t)15);
    t->fn = fn;
    t->arg = arg;
    t->state = 1;
    int tid = __imported_wasi_thread_spawn((int32_t)(uintptr_t)t);
    if (tid < 0) {
        free(mem);
        return RT_EAGAIN;
    }
    t->tid = tid;
    *out = t;
    return 0;
}

int rt_thread_join(rt_thread_t t, void **result) {
    if (t->detached)
        return RT_EINVAL;
    /* Like wasi-libc's pthread_join: a plain (volatile) load of the state
     * word; sleep with memory.atomic.wait32 only while it is still nonzero. */
    int s;
    while ((s = *(volatile int *)&t->state) != 0)
        rt_futex_wait(&t->state, s);
    if (result)
        *result = t->result;
    free(t);
    return 0;
}

int rt_thread_detach(rt_thread_t t) {
    if (t->detached)
        return RT_EINVAL;
    t->detached = 1;
    rt_mutex_lock(&zombie_lock);
    t->next_zombie = zombies;
    zombies = t;
    rt_mutex_unlock(&zombie_lock);
    reap_zombies();
    return 0;
}
