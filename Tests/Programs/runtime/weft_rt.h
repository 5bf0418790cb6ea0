/*
 * weft_rt.h - a tiny freestanding C runtime for wasm32-wasip1-threads test
 * programs used by Weft.
 *
 * There is no libc: this header declares the WASI preview1 imports the
 * runtime uses, the output/memory/string helpers, a thread-safe allocator and
 * a small pthread-like threading API built on `wasi.thread-spawn`,
 * `memory.atomic.wait32` and `memory.atomic.notify`.
 *
 * Every program is compiled together with runtime/start.c, runtime/rt_core.c
 * and runtime/rt_thread.c (see ../build.sh). Programs define
 *     int main(int argc, char **argv)
 * and _start (in start.c) calls it and then proc_exit(main's result).
 */
#ifndef WEFT_RT_H
#define WEFT_RT_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* WASI preview1 imports                                                   */
/* ---------------------------------------------------------------------- */

#define RT_WASI_IMPORT(name) \
    __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

typedef struct {
    const void *buf;
    size_t len;
} rt_ciovec_t;

typedef struct {
    void *buf;
    size_t len;
} rt_iovec_t;

RT_WASI_IMPORT("fd_write")
int32_t __wasi_fd_write(int32_t fd, const rt_ciovec_t *iovs, size_t iovs_len, size_t *nwritten);
RT_WASI_IMPORT("fd_read")
int32_t __wasi_fd_read(int32_t fd, const rt_iovec_t *iovs, size_t iovs_len, size_t *nread);
RT_WASI_IMPORT("proc_exit")
_Noreturn void __wasi_proc_exit(int32_t code);
RT_WASI_IMPORT("args_get")
int32_t __wasi_args_get(char **argv, char *argv_buf);
RT_WASI_IMPORT("args_sizes_get")
int32_t __wasi_args_sizes_get(size_t *argc, size_t *argv_buf_size);
RT_WASI_IMPORT("environ_get")
int32_t __wasi_environ_get(char **environ, char *environ_buf);
RT_WASI_IMPORT("environ_sizes_get")
int32_t __wasi_environ_sizes_get(size_t *count, size_t *buf_size);
RT_WASI_IMPORT("clock_time_get")
int32_t __wasi_clock_time_get(uint32_t clock_id, uint64_t precision, uint64_t *time);
RT_WASI_IMPORT("random_get")
int32_t __wasi_random_get(void *buf, size_t len);
RT_WASI_IMPORT("sched_yield")
int32_t __wasi_sched_yield(void);

/* wasi-threads: returns a positive thread id, or a negative value on error. */
__attribute__((import_module("wasi"), import_name("thread-spawn")))
int32_t __imported_wasi_thread_spawn(int32_t start_arg);

#define RT_CLOCK_REALTIME 0
#define RT_CLOCK_MONOTONIC 1

/* ---------------------------------------------------------------------- */
/* process, output, input                                                  */
/* ---------------------------------------------------------------------- */

_Noreturn void rt_exit(int code);
_Noreturn void rt_abort(const char *msg);   /* prints msg to stderr, traps */

/* Writes all of buf to fd (loops on short writes). Returns bytes written or -1. */
long rt_write(int fd, const void *buf, size_t len);
/* One fd_read call. Returns bytes read (0 at EOF) or -1. */
long rt_read(int fd, void *buf, size_t len);
/* Writes s and a newline to stdout. */
int rt_puts(const char *s);

/*
 * printf subset: %d %i %u %x %X %c %s %p %% %f %.Nf, with length modifiers
 * l, ll, z and flags '-', '0', width. Output of one call is formatted into a
 * buffer and written with as few fd_write calls as possible (one for short
 * lines), so lines printed by different threads do not interleave.
 */
int rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rt_fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rt_vfprintf(int fd, const char *fmt, va_list ap);
int rt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Environment (fetched lazily with environ_sizes_get/environ_get). */
const char *rt_getenv(const char *name);

uint64_t rt_clock_ns(uint32_t clock_id);
int rt_random(void *buf, size_t len);
void rt_yield(void);

/* ---------------------------------------------------------------------- */
/* memory and strings                                                      */
/* ---------------------------------------------------------------------- */

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);

/* Generic in-place sort (introsort-free: median-of-three quicksort with an
 * insertion-sort cutoff). Same contract as C's qsort. */
void rt_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* ---------------------------------------------------------------------- */
/* threads                                                                 */
/* ---------------------------------------------------------------------- */

#define RT_EBUSY 10
#define RT_EAGAIN 6
#define RT_EINVAL 28
#define RT_ENOMEM 48

/* Stack size of spawned threads (the main thread's stack is set at link time). */
#define RT_THREAD_STACK_SIZE (64 * 1024)

typedef struct rt_thread *rt_thread_t;

int rt_thread_create(rt_thread_t *t, void *(*fn)(void *), void *arg);
int rt_thread_join(rt_thread_t t, void **result);
int rt_thread_detach(rt_thread_t t);
/* The wasi-threads id of the calling thread (0 for the main thread). */
int rt_thread_id(void);

/* futex mutex, musl style: 0 = unlocked, 1 = locked, 2 = locked + waiters. */
typedef struct { int state; } rt_mutex_t;
#define RT_MUTEX_INIT {0}
void rt_mutex_lock(rt_mutex_t *m);
int rt_mutex_trylock(rt_mutex_t *m);        /* 0 on success, RT_EBUSY */
void rt_mutex_unlock(rt_mutex_t *m);

/* sequence-counter condition variable (spurious wakeups are possible). */
typedef struct { int seq; } rt_cond_t;
#define RT_COND_INIT {0}
void rt_cond_wait(rt_cond_t *c, rt_mutex_t *m);
void rt_cond_signal(rt_cond_t *c);
void rt_cond_broadcast(rt_cond_t *c);

typedef struct {
    rt_mutex_t lock;
    int count;    /* number of participants */
    int arrived;  /* arrived in the current phase */
    int phase;    /* bumped (and notified) when a phase completes */
} rt_barrier_t;
void rt_barrier_init(rt_barrier_t *b, int count);
/* Returns 1 in exactly one thread per phase (the last to arrive), else 0. */
int rt_barrier_wait(rt_barrier_t *b);

/* state: 0 free, n > 0 held by n readers, -1 held by a writer. */
typedef struct { int state; int waiters; } rt_rwlock_t;
#define RT_RWLOCK_INIT {0, 0}
void rt_rwlock_rdlock(rt_rwlock_t *l);
void rt_rwlock_wrlock(rt_rwlock_t *l);
void rt_rwlock_unlock(rt_rwlock_t *l);

/* 0 = not run, 1 = running, 2 = done. */
typedef int rt_once_t;
#define RT_ONCE_INIT 0
void rt_once(rt_once_t *once, void (*fn)(void));

/* Low-level futex helpers (memory.atomic.wait32 / memory.atomic.notify). */
static inline int rt_futex_wait(int *addr, int expected) {
    return __builtin_wasm_memory_atomic_wait32(addr, expected, -1);
}
static inline int rt_futex_wake(int *addr, int count) {
    return (int)__builtin_wasm_memory_atomic_notify(addr, (unsigned)count);
}

#ifdef __cplusplus
}
#endif

#endif /* WEFT_RT_H */
