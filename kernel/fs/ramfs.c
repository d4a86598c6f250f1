#include "fs/ramfs.h"
#include "mm/heap.h"
#include "lib/string.h"
#include "lib/panic.h"
#include "fs/file.h"
#include <kos/syscall.h>
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

int64_t ramfs_read(struct ramfs_node *n, uint64_t off, const struct iobuf *buf)
{
    uint64_t len = buf->len;
    if (off >= n->size)
        return 0;
    if (len > n->size - off)
        len = n->size - off;
    if (iobuf_copyout(buf, 0, n->data + off, len))
        return -EFAULT;
    return (int64_t)len;
}

int64_t ramfs_write(struct ramfs_node *n, uint64_t off, const struct iobuf *buf)
{
    uint64_t len = buf->len;
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
    if (iobuf_copyin(n->data + off, buf, 0, len))
        return -EFAULT;
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

static int64_t ramfs_file_read(struct file *f, const struct iobuf *buf)
{
    int64_t r = ramfs_read(f->priv, f->offset, buf);
    if (r > 0)
        f->offset += (uint64_t)r;
    return r;
}

static int64_t ramfs_file_write(struct file *f, const struct iobuf *buf)
{
    struct ramfs_node *n = f->priv;
    if (f->flags & O_APPEND)
        f->offset = n->size;
    int64_t r = ramfs_write(n, f->offset, buf);
    if (r > 0)
        f->offset += (uint64_t)r;
    return r;
}

static void ramfs_file_release(struct file *f)
{
    ramfs_node_put(f->priv);
}

static int ramfs_file_stat(struct file *f, struct kos_stat *st)
{
    st->size = ((struct ramfs_node *)f->priv)->size;
    return 0;
}

static const struct file_ops ramfs_file_ops = {
    .name = "ramfs", .mode = KOS_S_IFREG | 0644,
    .read = ramfs_file_read, .write = ramfs_file_write, .release = ramfs_file_release, .stat = ramfs_file_stat,
};

int ramfs_open(struct ramfs_node *n, int flags, struct file **out)
{
    struct file *f = file_new(&ramfs_file_ops, flags, n);
    if (!f)
        return -ENOMEM;
    if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY)
        ramfs_truncate(n);
    ramfs_node_get(n);
    *out = f;
    return 0;
}
