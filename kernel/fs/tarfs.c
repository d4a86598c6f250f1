#include "fs/tarfs.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "mm/heap.h"
#include "fs/file.h"
#include <kos/errno.h>
#include <kos/initrd.h>
#include <kos/syscall.h>

#define TAR_BLOCK 512
#define TAR_NAME_MAX 256

/* The index: one entry per file or directory, names in one pool. */
static struct tar_entry *entries;
static char *names;
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

/* The archive name of header h ("prefix/name" without "./", leading or
 * trailing slashes) into out; returns its length (0: nothing to index). */
static size_t header_name(const uint8_t *h, char out[TAR_NAME_MAX])
{
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
    memcpy(out, n, l);
    out[l] = 0;
    return l;
}

/* One pass over the archive. With index NULL it only counts the entries
 * and their name bytes; otherwise it fills index and the name pool. */
static int scan(const uint8_t *base, size_t size, struct tar_entry *index, char *pool, size_t *pool_len)
{
    int n = 0;
    size_t off = 0, used = 0;
    while (off + TAR_BLOCK <= size) {
        const uint8_t *h = base + off;
        if (block_is_zero(h))
            break;
        if (!tarfs_header_valid(h)) {
            if (!index)
                kprintf("tarfs: bad header at offset %lu, ignoring the rest of the initrd\n", (unsigned long)off);
            break;
        }
        bool ok = true;
        uint64_t fsize = parse_octal(h + 124, 12, &ok);
        if (!ok || fsize > size - off - TAR_BLOCK) {
            if (!index)
                kprintf("tarfs: entry at offset %lu claims %lu bytes past the end, ignoring the rest\n",
                        (unsigned long)off, (unsigned long)fsize);
            break;
        }
        char type = (char)h[156];
        if (type == '0' || type == 0 || type == '5') {
            if (n == KOS_INITRD_MAX_ENTRIES) {
                if (!index)
                    kprintf("tarfs: more than %d entries, ignoring the rest of the initrd\n", KOS_INITRD_MAX_ENTRIES);
                break;
            }
            char name[TAR_NAME_MAX];
            size_t l = header_name(h, name);
            if (l) {
                if (index) {
                    memcpy(pool + used, name, l + 1);
                    index[n] = (struct tar_entry){ pool + used, l, h + TAR_BLOCK, fsize, type == '5' };
                }
                used += l + 1;
                n++;
            }
        }
        off += TAR_BLOCK + ((fsize + TAR_BLOCK - 1) / TAR_BLOCK) * TAR_BLOCK;
    }
    *pool_len = used;
    return n;
}

int tarfs_init(const void *archive, size_t size)
{
    /* Sized from the archive: count first, then index. */
    kfree(entries);
    kfree(names);
    entries = NULL;
    names = NULL;
    nentries = 0;
    size_t pool_len = 0;
    int n = scan(archive, size, NULL, NULL, &pool_len);
    if (n == 0)
        return 0;
    entries = kzalloc(sizeof(*entries) * (size_t)n);
    names = kmalloc(pool_len);
    if (!entries || !names) {
        kprintf("tarfs: no memory to index %d initrd entries\n", n);
        kfree(entries);
        kfree(names);
        entries = NULL;
        names = NULL;
        return 0;
    }
    nentries = scan(archive, size, entries, names, &pool_len);
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
        struct tar_entry *e = &entries[i];
        if (e->name_len == len && memcmp(e->name, path, len) == 0) {
            *out = *e;
            return 0;
        }
    }
    for (int i = 0; i < nentries; i++) {
        struct tar_entry *e = &entries[i];
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
        struct tar_entry *e = &entries[i];
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

static const struct file_ops tarfs_file_ops = {
    .name = "tarfs", .mode = KOS_S_IFREG | 0555, .stat_flags = KOS_STAT_READONLY,
    .read = file_read_contents,
};

int tarfs_open(const struct tar_entry *te, int flags, struct file **out)
{
    struct file *f = file_new(&tarfs_file_ops, flags, (void *)te->data);
    if (!f)
        return -ENOMEM;
    f->priv_len = te->size;
    *out = f;
    return 0;
}
