#include "libc.h"
#include <kos/format.h>

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

KOS_DEFINE_SNPRINTF(vsnprintf, snprintf)

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
