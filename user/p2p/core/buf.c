#include "core/buf.h"

uint8_t *buf_reserve(struct buf *b, size_t n)
{
    if (b->off > 0 && b->off == b->len) {
        b->off = b->len = 0;
    }
    if (b->len + n > b->cap && b->off > 0) {
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *np = malloc(cap);
        if (!np)
            return NULL;
        if (b->p) {
            memcpy(np, b->p, b->len);
            free(b->p);
        }
        b->p = np;
        b->cap = cap;
    }
    return b->p + b->len;
}

bool buf_append(struct buf *b, const void *data, size_t n)
{
    if (n == 0)
        return true;
    uint8_t *d = buf_reserve(b, n);
    if (!d)
        return false;
    memcpy(d, data, n);
    b->len += n;
    return true;
}

void buf_consume(struct buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

void buf_free(struct buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void *array_grow(void *arr, int n, int *cap, size_t elem, int first)
{
    if (n < *cap)
        return arr;
    int ncap = *cap ? *cap * 2 : first;
    uint8_t *p = malloc((size_t)ncap * elem);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, arr, (size_t)n * elem);
    free(arr);
    *cap = ncap;
    return p;
}
