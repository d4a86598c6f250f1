/* A growable byte buffer: data lives in p[off .. len). */
#pragma once
#include "p2p_base.h"

struct buf {
    uint8_t *p;
    size_t off, len, cap;
};

static inline size_t buf_used(const struct buf *b) { return b->len - b->off; }
/* A buffer that never held data has no storage (p NULL, off 0): its data is
 * NULL with no bytes, not NULL plus an offset (undefined, even plus 0). */
static inline const uint8_t *buf_data(const struct buf *b) { return b->p ? b->p + b->off : NULL; }
/* Room for n more bytes at the end; returns a pointer there, or NULL (out of memory). */
uint8_t *buf_reserve(struct buf *b, size_t n);
bool buf_append(struct buf *b, const void *data, size_t n);
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);

/* Room for one more item in an array of elem-sized items (n in use, *cap
 * allocated): the array itself when it has room, else a copy twice as large
 * (`first` items when it had none; the old one freed) with *cap updated. NULL
 * when out of memory, the array as it was. */
void *array_grow(void *arr, int n, int *cap, size_t elem, int first);
