#include "fs/tarfs.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "mm/heap.h"
#include <kos/errno.h>

#define TAR_BLOCK 512
#define TARFS_MAX_ENTRIES 512
#define TAR_NAME_MAX 256

struct tar_index_entry {
    char name[TAR_NAME_MAX];
    struct tar_entry e;
};

static struct tar_index_entry *entries;
static int nentries;

static uint64_t parse_octal(const uint8_t *p, size_t n, bool *ok)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && p[i] == ' ')
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
        if (v >> 60) {
            *ok = false;
            return 0;
        }
        v = v * 8 + (uint64_t)(p[i] - '0');
    }
    if (i < n && p[i] != 0 && p[i] != ' ')
        *ok = false;
    return v;
}

bool tarfs_header_valid(const uint8_t *hdr)
{
    if (memcmp(hdr + 257, "ustar", 5) != 0)
        return false;
    bool ok = true;
    uint64_t want = parse_octal(hdr + 148, 8, &ok);
    if (!ok)
        return false;
    uint64_t sum = 0;
    for (int i = 0; i < TAR_BLOCK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : hdr[i];
    return sum == want;
}

static bool block_is_zero(const uint8_t *b)
{
    for (int i = 0; i < TAR_BLOCK; i++)
        if (b[i])
            return false;
    return true;
}

int tarfs_init(const void *archive, size_t size)
{
    nentries = 0;
    if (!entries)
        entries = kzalloc(sizeof(*entries) * TARFS_MAX_ENTRIES);
    if (!entries)
        return 0;
    const uint8_t *base = archive;
    size_t off = 0;
    while (off + TAR_BLOCK <= size) {
        const uint8_t *h = base + off;
        if (block_is_zero(h))
            break;
        if (!tarfs_header_valid(h)) {
            kprintf("tarfs: bad header at offset %lu, ignoring the rest of the initrd\n", (unsigned long)off);
            break;
        }
        bool ok = true;
        uint64_t fsize = parse_octal(h + 124, 12, &ok);
        if (!ok || fsize > size - off - TAR_BLOCK) {
            kprintf("tarfs: entry at offset %lu claims %lu bytes past the end, ignoring the rest\n",
                    (unsigned long)off, (unsigned long)fsize);
            break;
        }
        char type = (char)h[156];
        if ((type == '0' || type == 0 || type == '5') && nentries < TARFS_MAX_ENTRIES) {
            struct tar_index_entry *t = &entries[nentries];
            char name[TAR_NAME_MAX];
            size_t plen = strnlen((const char *)h + 345, 155), nlen = strnlen((const char *)h, 100);
            size_t len = 0;
            if (plen) {
                memcpy(name, h + 345, plen);
                name[plen] = '/';
                len = plen + 1;
            }
            memcpy(name + len, h, nlen);
            len += nlen;
            name[len] = 0;
            const char *n = name;
            while (n[0] == '.' && n[1] == '/')
                n += 2;
            while (n[0] == '/')
                n++;
            size_t l = strlen(n);
            while (l && n[l - 1] == '/')
                l--;
            if (l) {
                memcpy(t->name, n, l);
                t->name[l] = 0;
                t->e = (struct tar_entry){ t->name, l, h + TAR_BLOCK, fsize, type == '5' };
                nentries++;
            }
        }
        off += TAR_BLOCK + ((fsize + TAR_BLOCK - 1) / TAR_BLOCK) * TAR_BLOCK;
    }
    return nentries;
}

int tarfs_entry_count(void)
{
    return nentries;
}

int tarfs_lookup(const char *path, struct tar_entry *out)
{
    while (*path == '/')
        path++;
    size_t len = strlen(path);
    while (len && path[len - 1] == '/')
        len--;
    if (len >= TAR_NAME_MAX)
        return -ENAMETOOLONG;
    if (len == 0) {
        *out = (struct tar_entry){ "", 0, NULL, 0, true };
        return 0;
    }
    for (int i = 0; i < nentries; i++) {
        struct tar_entry *e = &entries[i].e;
        if (e->name_len == len && memcmp(e->name, path, len) == 0) {
            *out = *e;
            return 0;
        }
    }
    for (int i = 0; i < nentries; i++) {
        struct tar_entry *e = &entries[i].e;
        if (e->name_len > len && memcmp(e->name, path, len) == 0 && e->name[len] == '/') {
            *out = (struct tar_entry){ e->name, len, NULL, 0, true };
            return 0;
        }
    }
    return -ENOENT;
}

int tarfs_list(const char *dir, void (*fn)(const struct tar_entry *e, void *ctx), void *ctx)
{
    while (*dir == '/')
        dir++;
    size_t len = strlen(dir);
    while (len && dir[len - 1] == '/')
        len--;
    int n = 0;
    for (int i = 0; i < nentries; i++) {
        struct tar_entry *e = &entries[i].e;
        if (e->is_dir || e->name_len <= len + 1)
            continue;
        if (len && (memcmp(e->name, dir, len) != 0 || e->name[len] != '/'))
            continue;
        const char *rest = e->name + (len ? len + 1 : 0);
        if (strchr(rest, '/'))
            continue;
        if (fn)
            fn(e, ctx);
        n++;
    }
    return n;
}
