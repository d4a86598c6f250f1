#include "fs/ramfs.h"
#include "mm/heap.h"
#include "lib/string.h"
#include "lib/panic.h"
#include <kos/errno.h>

static struct ramfs_node *files[RAMFS_MAX_FILES];

struct ramfs_node *ramfs_lookup(const char *path)
{
    for (int i = 0; i < RAMFS_MAX_FILES; i++)
        if (files[i] && strcmp(files[i]->name, path) == 0)
            return files[i];
    return NULL;
}

int ramfs_create(const char *path, struct ramfs_node **out)
{
    if (strlen(path) > RAMFS_NAME_MAX)
        return -ENAMETOOLONG;
    if (ramfs_lookup(path))
        return -EEXIST;
    for (int i = 0; i < RAMFS_MAX_FILES; i++) {
        if (files[i])
            continue;
        struct ramfs_node *n = kzalloc(sizeof *n);
        if (!n)
            return -ENOMEM;
        strlcpy(n->name, path, sizeof n->name);
        n->linked = 1;
        files[i] = n;
        *out = n;
        return 0;
    }
    return -ENOSPC;
}

static void node_release(struct ramfs_node *n)
{
    kfree(n->data);
    kfree(n);
}

int ramfs_unlink(const char *path)
{
    for (int i = 0; i < RAMFS_MAX_FILES; i++) {
        if (files[i] && strcmp(files[i]->name, path) == 0) {
            struct ramfs_node *n = files[i];
            files[i] = NULL;
            n->linked = 0;
            if (n->open_count == 0)
                node_release(n);
            return 0;
        }
    }
    return -ENOENT;
}

void ramfs_node_get(struct ramfs_node *n)
{
    n->open_count++;
}

void ramfs_node_put(struct ramfs_node *n)
{
    if (n->open_count <= 0)
        panic("ramfs: node %s released more often than opened", n->name);
    if (--n->open_count == 0 && !n->linked)
        node_release(n);
}

int64_t ramfs_read(struct ramfs_node *n, uint64_t off, void *dst, uint64_t len)
{
    if (off >= n->size)
        return 0;
    if (len > n->size - off)
        len = n->size - off;
    memcpy(dst, n->data + off, len);
    return (int64_t)len;
}

int64_t ramfs_write(struct ramfs_node *n, uint64_t off, const void *src, uint64_t len)
{
    if (len == 0)
        return 0;
    if (off > RAMFS_MAX_FILE || len > RAMFS_MAX_FILE - off)
        return -EFBIG;
    uint64_t end = off + len;
    if (end > n->cap) {
        uint64_t cap = n->cap ? n->cap : 256;
        while (cap < end)
            cap *= 2;
        uint8_t *data = kmalloc(cap);
        if (!data)
            return -ENOMEM;
        memcpy(data, n->data, n->size);
        memset(data + n->size, 0, cap - n->size);
        kfree(n->data);
        n->data = data;
        n->cap = cap;
    }
    if (off > n->size)
        memset(n->data + n->size, 0, off - n->size);
    memcpy(n->data + off, src, len);
    if (end > n->size)
        n->size = end;
    return (int64_t)len;
}

int ramfs_truncate(struct ramfs_node *n)
{
    kfree(n->data);
    n->data = NULL;
    n->size = n->cap = 0;
    return 0;
}

int ramfs_file_count(void)
{
    int c = 0;
    for (int i = 0; i < RAMFS_MAX_FILES; i++)
        if (files[i])
            c++;
    return c;
}
