/*
 * rt_core.c - process, I/O, formatting, string and memory helpers and the
 * allocator of the Weft test runtime.
 */
#include "weft_rt.h"

/* ---------------------------------------------------------------------- */
/* process                                                                 */
/* ---------------------------------------------------------------------- */

_Noreturn void rt_exit(int code) {
    __wasi_proc_exit(code);
}

_Noreturn void rt_abort(const char *msg) {
    static const char prefix[] = "weft_rt: abort: ";
    rt_write(2, prefix, sizeof prefix - 1);
    rt_write(2, msg, strlen(msg));
    rt_write(2, "\n", 1);
    __builtin_trap();
}

uint64_t rt_clock_ns(uint32_t clock_id) {
    uint64_t t = 0;
    if (__wasi_clock_time_get(clock_id, 1, &t) != 0)
        return 0;
    return t;
}

int rt_random(void *buf, size_t len) {
    return __wasi_random_get(buf, len) == 0 ? 0 : -1;
}

void rt_yield(void) {
    (void)__wasi_sched_yield();
}

/* ---------------------------------------------------------------------- */
/* raw I/O                                                                 */
/* ---------------------------------------------------------------------- */

long rt_write(int fd, const void *buf, size_t len) {
    const char *p = (const char *)buf;
    size_t left = len;
    while (left > 0) {
        rt_ciovec_t iov = { p, left };
        size_t n = 0;
        if (__wasi_fd_write(fd, &iov, 1, &n) != 0)
            return -1;
        if (n == 0)
            return -1;
        p += n;
        left -= n;
    }
    return (long)len;
}

long rt_read(int fd, void *buf, size_t len) {
    rt_iovec_t iov = { buf, len };
    size_t n = 0;
    if (__wasi_fd_read(fd, &iov, 1, &n) != 0)
        return -1;
    return (long)n;
}

int rt_puts(const char *s) {
    size_t n = strlen(s);
    /* One fd_write with two iovecs keeps the line in one piece. */
    rt_ciovec_t iov[2] = { { s, n }, { "\n", 1 } };
    size_t w = 0;
    if (__wasi_fd_write(1, iov, 2, &w) != 0)
        return -1;
    if (w < n + 1) {
        /* short write: finish the rest the slow way */
        if (w < n) {
            if (rt_write(1, s + w, n - w) < 0)
                return -1;
            w = n;
        }
        if (rt_write(1, "\n", 1) < 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* formatting                                                              */
/* ---------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap;    /* capacity of buf */
    size_t len;    /* bytes currently in buf */
    size_t total;  /* bytes produced in all */
    int fd;        /* >= 0: flush buf to fd when full; < 0: truncate */
    int error;
} rt_out;

static void out_flush(rt_out *o) {
    if (o->fd >= 0 && o->len > 0) {
        if (rt_write(o->fd, o->buf, o->len) < 0)
            o->error = 1;
        o->len = 0;
    }
}

static void out_char(rt_out *o, char c) {
    o->total++;
    if (o->len >= o->cap) {
        if (o->fd < 0)
            return;
        out_flush(o);
    }
    o->buf[o->len++] = c;
}

static void out_str(rt_out *o, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        out_char(o, s[i]);
}

static void out_pad(rt_out *o, char c, int n) {
    while (n-- > 0)
        out_char(o, c);
}

/* Writes the digits of v in the given base into the end of tmp; returns the
 * start of the digits. */
static char *fmt_u64(char *end, uint64_t v, unsigned base, int upper) {
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = digits[v % base];
        v /= base;
    } while (v != 0);
    return p;
}

/* Emits a field: optional sign/prefix, then body, padded to width. */
static void out_field(rt_out *o, const char *prefix, const char *body, size_t body_len,
                      int width, int left, int zero) {
    size_t plen = strlen(prefix);
    int pad = width - (int)(plen + body_len);
    if (pad < 0)
        pad = 0;
    if (left) {
        out_str(o, prefix, plen);
        out_str(o, body, body_len);
        out_pad(o, ' ', pad);
    } else if (zero) {
        out_str(o, prefix, plen);
        out_pad(o, '0', pad);
        out_str(o, body, body_len);
    } else {
        out_pad(o, ' ', pad);
        out_str(o, prefix, plen);
        out_str(o, body, body_len);
    }
}

/*
 * Fixed-point formatting of a double with `prec` decimals, exact and
 * correctly rounded (ties to even, like glibc's printf in the default
 * rounding mode). The double m * 2^e is split into a big integer part and a
 * binary fraction, both held in 32-bit limbs: integer digits come from
 * repeated division by 10, fraction digits from repeated multiplication by 10.
 * NaN prints as "nan" whatever its sign bit (the sign of a NaN produced by
 * wasm arithmetic is nondeterministic).
 */
#define FMT_MAX_PREC 40
#define INT_LIMBS 33  /* 2^1024 needs 32 limbs, plus headroom */
#define FRAC_LIMBS 34 /* 2^-1074 needs 1074 fraction bits */

static void fmt_double(rt_out *o, double v, int prec, int width, int left, int zero) {
    const char *sign = "";
    if (v != v) {
        out_field(o, "", "nan", 3, width, left, 0);
        return;
    }
    if (__builtin_signbit(v)) {
        sign = "-";
        v = -v;
    }
    if (v == __builtin_inf()) {
        out_field(o, sign, "inf", 3, width, left, 0);
        return;
    }
    if (prec > FMT_MAX_PREC)
        prec = FMT_MAX_PREC;

    uint64_t bits = __builtin_bit_cast(uint64_t, v);
    int bexp = (int)((bits >> 52) & 0x7ff);
    uint64_t m = bits & ((1ull << 52) - 1);
    int e;
    if (bexp == 0) {
        e = -1074;
    } else {
        m |= 1ull << 52;
        e = bexp - 1075;
    }

    /* integer part: ip[0] least significant */
    uint32_t ip[INT_LIMBS];
    /* fraction: fr[0] most significant, value = sum fr[i] * 2^(-32(i+1)) */
    uint32_t fr[FRAC_LIMBS];
    memset(ip, 0, sizeof ip);
    memset(fr, 0, sizeof fr);
    int ilen = 0, flen = 0;
    if (e >= 0) {
        /* integer m << e */
        int word = e / 32, shift = e % 32;
        uint64_t lo = m << shift; /* m < 2^53, shift < 32: fits in 85 bits */
        uint32_t hi = shift ? (uint32_t)(m >> (64 - shift)) : 0;
        ip[word] = (uint32_t)lo;
        ip[word + 1] = (uint32_t)(lo >> 32);
        ip[word + 2] = hi;
        ilen = word + 3;
    } else {
        int s = -e; /* number of fraction bits */
        uint64_t ipart = s < 64 ? m >> s : 0;
        uint64_t fbits = s < 64 ? m & ((1ull << s) - 1) : m;
        ip[0] = (uint32_t)ipart;
        ip[1] = (uint32_t)(ipart >> 32);
        ilen = 2;
        /* place fbits so that its lowest bit has weight 2^-s */
        flen = (s + 31) / 32;
        int pad = flen * 32 - s; /* shift left by pad within flen limbs */
        /* bit k of fbits (weight 2^(k-s)) goes to bit k+pad of the
         * flen-limb number whose top limb is fr[0] */
        for (int k = 0; k < 64; k++) {
            if (!((fbits >> k) & 1))
                continue;
            int pos = k + pad;
            fr[flen - 1 - pos / 32] |= 1u << (pos % 32);
        }
    }
    while (ilen > 0 && ip[ilen - 1] == 0)
        ilen--;

    /* fraction digits, plus the exact remainder for rounding */
    char fdig[FMT_MAX_PREC];
    for (int d = 0; d < prec; d++) {
        uint64_t carry = 0;
        for (int i = flen - 1; i >= 0; i--) {
            uint64_t t = (uint64_t)fr[i] * 10 + carry;
            fr[i] = (uint32_t)t;
            carry = t >> 32;
        }
        fdig[d] = (char)('0' + carry);
    }
    /* compare the remainder with 1/2 */
    int cmp_half = 0; /* -1 below, 0 equal, 1 above */
    if (flen > 0) {
        if (fr[0] > 0x80000000u) {
            cmp_half = 1;
        } else if (fr[0] < 0x80000000u) {
            cmp_half = -1;
        } else {
            for (int i = 1; i < flen; i++)
                if (fr[i]) {
                    cmp_half = 1;
                    break;
                }
        }
    } else {
        cmp_half = -1;
    }

    /* integer digits, least significant first */
    char idig[320];
    int nint = 0;
    while (ilen > 0) {
        uint64_t rem = 0;
        for (int i = ilen - 1; i >= 0; i--) {
            uint64_t cur = (rem << 32) | ip[i];
            ip[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
        }
        idig[nint++] = (char)('0' + rem);
        while (ilen > 0 && ip[ilen - 1] == 0)
            ilen--;
    }
    if (nint == 0)
        idig[nint++] = '0';

    /* round: up if above half, or exactly half and the last digit is odd */
    int last = prec > 0 ? fdig[prec - 1] - '0' : idig[0] - '0';
    if (cmp_half > 0 || (cmp_half == 0 && (last & 1))) {
        int carry = 1;
        for (int d = prec - 1; d >= 0 && carry; d--) {
            if (fdig[d] == '9') {
                fdig[d] = '0';
            } else {
                fdig[d]++;
                carry = 0;
            }
        }
        for (int d = 0; d < nint && carry; d++) {
            if (idig[d] == '9') {
                idig[d] = '0';
            } else {
                idig[d]++;
                carry = 0;
            }
        }
        if (carry)
            idig[nint++] = '1';
    }

    char body[320 + 1 + FMT_MAX_PREC];
    size_t n = 0;
    for (int d = nint - 1; d >= 0; d--)
        body[n++] = idig[d];
    if (prec > 0) {
        body[n++] = '.';
        for (int d = 0; d < prec; d++)
            body[n++] = fdig[d];
    }
    out_field(o, sign, body, n, width, left, zero);
}

static void rt_vformat(rt_out *o, const char *fmt, va_list ap) {
    char tmp[32];
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            out_char(o, *f);
            continue;
        }
        f++;
        int left = 0, zero = 0, width = 0, prec = -1, lng = 0, size_t_mod = 0;
        for (;; f++) {
            if (*f == '-')
                left = 1;
            else if (*f == '0')
                zero = 1;
            else
                break;
        }
        if (*f == '*') {
            width = va_arg(ap, int);
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                width = width * 10 + (*f++ - '0');
        }
        if (*f == '.') {
            f++;
            prec = 0;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else {
                while (*f >= '0' && *f <= '9')
                    prec = prec * 10 + (*f++ - '0');
            }
        }
        while (*f == 'l') {
            lng++;
            f++;
        }
        if (*f == 'z') {
            size_t_mod = 1;
            f++;
        }
        char *end = tmp + sizeof tmp;
        char *p;
        switch (*f) {
        case 'd':
        case 'i': {
            int64_t v;
            if (lng >= 2)
                v = va_arg(ap, long long);
            else if (lng == 1)
                v = va_arg(ap, long);
            else if (size_t_mod)
                v = (int64_t)va_arg(ap, long);
            else
                v = va_arg(ap, int);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            p = fmt_u64(end, mag, 10, 0);
            out_field(o, v < 0 ? "-" : "", p, (size_t)(end - p), width, left, zero);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v;
            if (lng >= 2)
                v = va_arg(ap, unsigned long long);
            else if (lng == 1)
                v = va_arg(ap, unsigned long);
            else if (size_t_mod)
                v = va_arg(ap, size_t);
            else
                v = va_arg(ap, unsigned);
            p = fmt_u64(end, v, *f == 'u' ? 10 : 16, *f == 'X');
            out_field(o, "", p, (size_t)(end - p), width, left, zero);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            p = fmt_u64(end, v, 16, 0);
            out_field(o, "0x", p, (size_t)(end - p), width, left, zero);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            out_field(o, "", tmp, 1, width, left, 0);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t n = strlen(s);
            if (prec >= 0 && (size_t)prec < n)
                n = (size_t)prec;
            out_field(o, "", s, n, width, left, 0);
            break;
        }
        case 'f':
        case 'F':
            fmt_double(o, va_arg(ap, double), prec < 0 ? 6 : prec, width, left, zero);
            break;
        case '%':
            out_char(o, '%');
            break;
        case '\0':
            f--; /* trailing '%': stop at the terminator */
            break;
        default:
            /* unknown conversion: print it verbatim */
            out_char(o, '%');
            out_char(o, *f);
            break;
        }
    }
}

int rt_vfprintf(int fd, const char *fmt, va_list ap) {
    char buf[512];
    rt_out o = { buf, sizeof buf, 0, 0, fd, 0 };
    rt_vformat(&o, fmt, ap);
    out_flush(&o);
    return o.error ? -1 : (int)o.total;
}

int rt_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = rt_vfprintf(1, fmt, ap);
    va_end(ap);
    return r;
}

int rt_fprintf(int fd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = rt_vfprintf(fd, fmt, ap);
    va_end(ap);
    return r;
}

int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
    char dummy;
    rt_out o = { size ? buf : &dummy, size ? size - 1 : 0, 0, 0, -1, 0 };
    rt_vformat(&o, fmt, ap);
    if (size)
        buf[o.len] = '\0';
    return (int)o.total;
}

int rt_snprintf(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = rt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

/* ---------------------------------------------------------------------- */
/* environment                                                             */
/* ---------------------------------------------------------------------- */

static char **rt_environ;
static size_t rt_environ_count;
static rt_once_t rt_environ_once = RT_ONCE_INIT;

static void load_environ(void) {
    size_t count = 0, size = 0;
    if (__wasi_environ_sizes_get(&count, &size) != 0)
        return;
    char **env = (char **)calloc(count + 1, sizeof(char *));
    char *buf = (char *)malloc(size ? size : 1);
    if (!env || !buf)
        rt_abort("out of memory for environ");
    if (count > 0 && __wasi_environ_get(env, buf) != 0)
        return;
    rt_environ = env;
    rt_environ_count = count;
}

const char *rt_getenv(const char *name) {
    rt_once(&rt_environ_once, load_environ);
    size_t n = strlen(name);
    for (size_t i = 0; i < rt_environ_count; i++) {
        const char *e = rt_environ[i];
        if (strncmp(e, name, n) == 0 && e[n] == '=')
            return e + n + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* memory and strings                                                      */
/*                                                                         */
/* Everything is built with -ffreestanding (=> -fno-builtin), so clang does */
/* not turn these loops back into calls to themselves. Large copies/fills  */
/* use __builtin_memcpy/__builtin_memset, which lower to the bulk-memory   */
/* instructions memory.copy/memory.fill with -mbulk-memory.                */
/* ---------------------------------------------------------------------- */

#define RT_BULK_THRESHOLD 32

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    if (n >= RT_BULK_THRESHOLD) {
        __builtin_memcpy(dst, src, n);
        return dst;
    }
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    if (n >= RT_BULK_THRESHOLD) {
        __builtin_memmove(dst, src, n); /* memory.copy handles overlap */
        return dst;
    }
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else if (d > s) {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    if (n >= RT_BULK_THRESHOLD) {
        __builtin_memset(dst, c, n);
        return dst;
    }
    unsigned char *d = (unsigned char *)dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s) {
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* allocator                                                               */
/*                                                                         */
/* One global futex mutex protects everything. Memory comes from a bump    */
/* pointer that starts at __heap_base and grows the memory with            */
/* memory.grow as needed. Freed blocks go to free lists and are reused:    */
/*   - small requests (<= 4 KiB) use power-of-two size classes 16..4096,   */
/*     one LIFO free list per class;                                       */
/*   - large requests are rounded up to 4 KiB and kept on one list; reuse  */
/*     is first fit among blocks at most 1.5x the requested size (no       */
/*     splitting or coalescing: this allocator only has to be correct and  */
/*     deterministic, not frugal).                                         */
/* Every block has a 16-byte header so user pointers are 16-byte aligned.  */
/* ---------------------------------------------------------------------- */

extern unsigned char __heap_base;

#define HDR_SIZE 16
#define SMALL_CLASSES 9 /* 16, 32, ..., 4096 */
#define SMALL_MAX 4096
#define LARGE_GRAIN 4096
#define MAGIC_USED 0xA110C8EDu
#define MAGIC_FREE 0xF4EEB10Cu

typedef struct block {
    size_t cap;          /* usable bytes after the header */
    uint32_t magic;
    uint32_t cls;        /* size class, or SMALL_CLASSES for large blocks */
    struct block *next;  /* free-list link; overlaps the user data */
} block_t;

_Static_assert(sizeof(size_t) + 2 * sizeof(uint32_t) <= HDR_SIZE, "header too big");

static rt_mutex_t heap_lock = RT_MUTEX_INIT;
static uintptr_t heap_top, heap_end;
static block_t *small_free[SMALL_CLASSES];
static block_t *large_free;

static inline block_t *hdr_of(void *p) { return (block_t *)((char *)p - HDR_SIZE); }
static inline void *user_of(block_t *b) { return (char *)b + HDR_SIZE; }

/* Carves `bytes` (a multiple of 16) from the bump region. Lock held. */
static void *bump(size_t bytes) {
    if (heap_top == 0) {
        heap_top = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
        heap_end = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
    }
    if (bytes > heap_end - heap_top || heap_top > heap_end) {
        uintptr_t need = heap_top + bytes;
        if (need < heap_top)
            return 0; /* overflow */
        size_t pages = (size_t)((need - heap_end + 65535u) / 65536u);
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1)
            return 0;
        heap_end = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
        if (bytes > heap_end - heap_top)
            return 0;
    }
    void *p = (void *)heap_top;
    heap_top += bytes;
    return p;
}

static unsigned class_of(size_t n) {
    unsigned c = 0;
    size_t sz = 16;
    while (sz < n) {
        sz <<= 1;
        c++;
    }
    return c;
}

void *malloc(size_t n) {
    if (n == 0)
        n = 1;
    if (n > (size_t)0x7fffffff)
        return 0;
    block_t *b = 0;
    rt_mutex_lock(&heap_lock);
    if (n <= SMALL_MAX) {
        unsigned c = class_of(n);
        b = small_free[c];
        if (b) {
            small_free[c] = b->next;
        } else {
            size_t cap = (size_t)16 << c;
            b = (block_t *)bump(HDR_SIZE + cap);
            if (b) {
                b->cap = cap;
                b->cls = c;
            }
        }
    } else {
        size_t cap = (n + LARGE_GRAIN - 1) & ~(size_t)(LARGE_GRAIN - 1);
        block_t **link = &large_free;
        while (*link) {
            block_t *cand = *link;
            if (cand->cap >= cap && cand->cap - cap <= cap / 2) {
                *link = cand->next;
                b = cand;
                break;
            }
            link = &cand->next;
        }
        if (!b) {
            b = (block_t *)bump(HDR_SIZE + cap);
            if (b) {
                b->cap = cap;
                b->cls = SMALL_CLASSES;
            }
        }
    }
    if (b)
        b->magic = MAGIC_USED;
    rt_mutex_unlock(&heap_lock);
    return b ? user_of(b) : 0;
}

void free(void *p) {
    if (!p)
        return;
    block_t *b = hdr_of(p);
    rt_mutex_lock(&heap_lock);
    if (b->magic != MAGIC_USED) {
        rt_mutex_unlock(&heap_lock);
        rt_abort(b->magic == MAGIC_FREE ? "free: double free" : "free: invalid pointer");
    }
    b->magic = MAGIC_FREE;
    if (b->cls < SMALL_CLASSES) {
        b->next = small_free[b->cls];
        small_free[b->cls] = b;
    } else {
        b->next = large_free;
        large_free = b;
    }
    rt_mutex_unlock(&heap_lock);
}

void *calloc(size_t count, size_t size) {
    if (size && count > (size_t)-1 / size)
        return 0;
    size_t n = count * size;
    void *p = malloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *realloc(void *p, size_t n) {
    if (!p)
        return malloc(n);
    block_t *b = hdr_of(p);
    if (b->magic != MAGIC_USED)
        rt_abort("realloc: invalid pointer");
    if (n <= b->cap)
        return p;
    void *q = malloc(n);
    if (!q)
        return 0;
    memcpy(q, p, b->cap);
    free(p);
    return q;
}

/* ---------------------------------------------------------------------- */
/* sorting                                                                 */
/* ---------------------------------------------------------------------- */

static void swap_bytes(char *a, char *b, size_t size) {
    if (a == b)
        return;
    if (size % 4 == 0 && ((uintptr_t)a | (uintptr_t)b) % 4 == 0) {
        uint32_t *x = (uint32_t *)a, *y = (uint32_t *)b;
        for (size_t i = 0; i < size / 4; i++) {
            uint32_t t = x[i];
            x[i] = y[i];
            y[i] = t;
        }
        return;
    }
    for (size_t i = 0; i < size; i++) {
        char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

void rt_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
    char *a = (char *)base;
    /* Loop on the larger partition, recurse on the smaller: O(log n) depth. */
    while (n > 12) {
        char *lo = a, *mid = a + (n / 2) * size, *hi = a + (n - 1) * size;
        /* median of three moved to lo */
        if (cmp(mid, lo) < 0)
            swap_bytes(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap_bytes(hi, mid, size);
            if (cmp(mid, lo) < 0)
                swap_bytes(mid, lo, size);
        }
        swap_bytes(lo, mid, size); /* pivot now at lo */
        /* Hoare partition around the pivot at lo */
        size_t i = 0, j = n;
        for (;;) {
            do
                i++;
            while (i < n && cmp(a + i * size, lo) < 0);
            do
                j--;
            while (cmp(a + j * size, lo) > 0);
            if (i >= j)
                break;
            swap_bytes(a + i * size, a + j * size, size);
        }
        swap_bytes(lo, a + j * size, size);
        size_t left = j, right = n - j - 1;
        if (left < right) {
            rt_qsort(a, left, size, cmp);
            a += (j + 1) * size;
            n = right;
        } else {
            rt_qsort(a + (j + 1) * size, right, size, cmp);
            n = left;
        }
    }
    /* insertion sort */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(a + (j - 1) * size, a + j * size) > 0; j--)
            swap_bytes(a + (j - 1) * size, a + j * size, size);
}
