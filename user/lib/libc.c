#include "libc.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) { return kos_memmove(dst, src, n); }

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) { return kos_memcmp(a, b, n); }

char *strcpy(char *dst, const char *src)
{
    char *d = dst;
    while ((*d++ = *src++))
        ;
    return dst;
}

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

/* prec: the least number of digits (C11 7.21.6.1: a precision of 0 prints
 * nothing for 0), -1 when none was given. */
static void put_num(struct out *o, unsigned long v, int neg, unsigned base, int width, int prec, int left, char pad,
                    int prefix)
{
    char tmp[24];
    int n = 0;
    if (v || prec != 0) {
        do {
            tmp[n++] = "0123456789abcdef"[v % base];
            v /= base;
        } while (v);
    }
    while (n < prec && n < (int)sizeof tmp)
        tmp[n++] = '0';
    if (prec >= 0)
        pad = ' ';      /* with a precision the 0 flag is ignored */
    int total = n + neg + (prefix ? 2 : 0);
    int fill = width > total ? width - total : 0;
    if (!left && pad == ' ')
        while (fill-- > 0)
            put(o, ' ');
    if (neg)
        put(o, '-');
    if (prefix) {
        put(o, '0');
        put(o, 'x');
    }
    if (!left && pad == '0')
        while (fill-- > 0)
            put(o, '0');
    while (n)
        put(o, tmp[--n]);
    if (left)
        while (fill-- > 0)
            put(o, ' ');
}

int vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct out o = { buf, cap, 0 };
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        int left = 0;
        char pad = ' ';
        for (;; p++) {
            if (*p == '-')
                left = 1;
            else if (*p == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {        /* a negative field width is the - flag */
                left = 1;
                width = -width;
            }
            p++;
        }
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        int prec = -1;
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);     /* negative: as if none was given */
                if (prec < 0)
                    prec = -1;
                p++;
            }
            while (*p >= '0' && *p <= '9')
                prec = prec * 10 + (*p++ - '0');
        }
        int lng = 0;
        while (*p == 'l' || *p == 'z') {
            lng = 1;
            p++;
        }
        switch (*p) {
        case 'd':
        case 'i': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(&o, v < 0 ? 0UL - (unsigned long)v : (unsigned long)v, v < 0, 10, width, prec, left, pad, 0);
            break;
        }
        case 'u':
        case 'x': {
            unsigned long v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            put_num(&o, v, 0, *p == 'u' ? 10 : 16, width, prec, left, pad, 0);
            break;
        }
        case 'p':
            put_num(&o, (unsigned long)va_arg(ap, void *), 0, 16, width, -1, left, pad, 1);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = 0;        /* at most prec bytes are read (%.*s of a buffer with no NUL) */
            while ((prec < 0 || len < prec) && s[len])
                len++;
            int fill = width > len ? width - len : 0;
            if (!left)
                while (fill-- > 0)
                    put(&o, ' ');
            for (int i = 0; i < len; i++)
                put(&o, s[i]);
            if (left)
                while (fill-- > 0)
                    put(&o, ' ');
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put(&o, '%');
            break;
        case 0:
            p--;
            break;
        default:
            put(&o, '%');
            put(&o, *p);
        }
    }
    if (cap)
        buf[o.len < cap ? o.len : cap - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int printf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t len = r < (int)sizeof buf ? (size_t)r : sizeof buf - 1;
    write(1, buf, len);
    return r;
}

int puts(const char *s)
{
    write(1, s, strlen(s));
    write(1, "\n", 1);
    return 0;
}

/* malloc: small blocks from per-class pages, large ones mapped alone. */
#define PAGE 4096UL
#define SMALL_MAX 2048UL
#define NCLASS 8
#define BLOCK_MAGIC_SMALL 0x5a5a0001UL
#define BLOCK_MAGIC_LARGE 0x5a5a0002UL

struct block_header {
    unsigned long magic;
    unsigned long size;     /* class size, or mapping length for large blocks */
};

static void *free_lists[NCLASS];

static int size_class(size_t n)
{
    int c = 0;
    size_t s = 16;
    while (s < n) {
        s <<= 1;
        c++;
    }
    return c;
}

void *malloc(size_t n)
{
    if (n == 0)
        n = 1;
    size_t need = n + sizeof(struct block_header);
    if (need < n)
        return NULL;
    if (need <= SMALL_MAX) {
        int c = size_class(need);
        size_t bsize = 16UL << c;
        if (!free_lists[c]) {
            char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
            if (page == MAP_FAILED)
                return NULL;
            for (size_t off = 0; off + bsize <= PAGE; off += bsize) {
                *(void **)(page + off) = free_lists[c];
                free_lists[c] = page + off;
            }
        }
        struct block_header *h = free_lists[c];
        free_lists[c] = *(void **)h;
        h->magic = BLOCK_MAGIC_SMALL;
        h->size = bsize;
        return h + 1;
    }
    size_t len = (need + PAGE - 1) & ~(PAGE - 1);
    if (len < need)
        return NULL;
    struct block_header *h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (h == MAP_FAILED)
        return NULL;
    h->magic = BLOCK_MAGIC_LARGE;
    h->size = len;
    return h + 1;
}

void *calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    void *p = malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void free(void *p)
{
    if (!p)
        return;
    struct block_header *h = (struct block_header *)p - 1;
    if (h->magic == BLOCK_MAGIC_LARGE) {
        h->magic = 0;
        munmap(h, h->size);
        return;
    }
    if (h->magic != BLOCK_MAGIC_SMALL)
        return;     /* not ours: ignore rather than corrupt a list */
    h->magic = 0;
    int c = size_class(h->size);
    *(void **)h = free_lists[c];
    free_lists[c] = h;
}
