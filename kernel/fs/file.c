#include "fs/file.h"
#include "mm/heap.h"
#include "lib/string.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "fs/tarfs.h"
#include "fs/ramfs.h"
#include <kos/errno.h>
#include <kos/syscall.h>

int path_check(const char *path)
{
    size_t len = strnlen(path, PATH_MAX);
    if (len >= PATH_MAX)
        return -ENAMETOOLONG;
    if (path[0] != '/')
        return -EINVAL;
    const char *p = path + 1;
    if (!*p)
        return 0;   /* "/" */
    for (;;) {
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0 || (n == 1 && start[0] == '.') || (n == 2 && start[0] == '.' && start[1] == '.'))
            return -EINVAL;
        if (!*p)
            return 0;
        p++;
    }
}

struct file *file_new(const struct file_ops *ops, int flags, void *priv)
{
    struct file *f = kzalloc(sizeof *f);
    if (f) {
        f->ops = ops;
        f->refs = 1;
        f->flags = flags;
        f->priv = priv;
    }
    return f;
}

/* Trees that other subsystems serve (/proc): the prefix and its open. */
static struct {
    const char *prefix;
    int (*open)(const char *path, int flags, struct file **out);
} mounts[FILE_MOUNTS];

void file_mount(const char *prefix, int (*open)(const char *path, int flags, struct file **out))
{
    for (int i = 0; i < FILE_MOUNTS; i++)
        if (!mounts[i].prefix) {
            mounts[i].prefix = prefix;
            mounts[i].open = open;
            return;
        }
    panic("file_mount: more than %d mounts", FILE_MOUNTS);
}

/* path is prefix or lies below it. */
static bool under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}

int file_open(const char *path, int flags, struct file **out)
{
    const int known = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND;
    int acc = flags & O_ACCMODE;
    if ((flags & ~known) || acc == O_ACCMODE)
        return -EINVAL;
    int err = path_check(path);
    if (err)
        return err;
    /* The longest mount the path lies under serves it (/proc/net/tcp, /proc). */
    int best = -1;
    for (int i = 0; i < FILE_MOUNTS && mounts[i].prefix; i++)
        if (under(path, mounts[i].prefix) && (best < 0 || strlen(mounts[i].prefix) > strlen(mounts[best].prefix)))
            best = i;
    if (best >= 0)
        return mounts[best].open(path, flags, out);

    struct tar_entry te;
    if (tarfs_lookup(path, &te) == 0) {
        if ((flags & O_CREAT) && (flags & O_EXCL))
            return -EEXIST;
        if (te.is_dir)
            return -EISDIR;
        if (acc != O_RDONLY || (flags & O_TRUNC))
            return -EROFS;
        return tarfs_open(&te, flags, out);
    }

    struct ramfs_node *n = ramfs_lookup(path);
    if (n && (flags & O_CREAT) && (flags & O_EXCL))
        return -EEXIST;
    if (!n) {
        if (!(flags & O_CREAT))
            return -ENOENT;
        if (strcmp(path, "/") == 0)
            return -EISDIR;
        err = ramfs_create(path, &n);
        if (err)
            return err;
    }
    return ramfs_open(n, flags, out);
}

void file_get(struct file *f)
{
    f->refs++;
}

void file_put(struct file *f)
{
    if (f->refs <= 0)
        panic("file_put: file released more often than referenced");
    if (--f->refs)
        return;
    if (f->ops->release)
        f->ops->release(f);
    kfree(f);
}

int64_t file_read(struct file *f, const struct iobuf *buf)
{
    if ((f->flags & O_ACCMODE) == O_WRONLY || !f->ops->read)
        return -EBADF;
    return f->ops->read(f, buf);
}

int64_t file_write(struct file *f, const struct iobuf *buf)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY || !f->ops->write)
        return -EBADF;
    return f->ops->write(f, buf);
}

unsigned file_poll(struct file *f, struct poll_table *pt)
{
    if (!f->ops->poll)
        return FILE_POLLIN | FILE_POLLOUT;
    return f->ops->poll(f, pt);
}

int file_fstat(struct file *f, struct kos_stat *st)
{
    st->size = f->priv_len;
    st->mode = f->ops->mode;
    st->flags = f->ops->stat_flags;
    return f->ops->stat ? f->ops->stat(f, st) : 0;
}

int64_t file_read_contents(struct file *f, const struct iobuf *buf)
{
    if (f->offset >= f->priv_len)
        return 0;
    uint64_t n = buf->len;
    if (n > f->priv_len - f->offset)
        n = f->priv_len - f->offset;
    if (iobuf_copyout(buf, 0, (const uint8_t *)f->priv + f->offset, n))
        return -EFAULT;
    f->offset += n;
    return (int64_t)n;
}

int file_stat(const char *path, struct kos_stat *st)
{
    int err = path_check(path);
    if (err)
        return err;
    struct tar_entry te;
    if (tarfs_lookup(path, &te) == 0) {
        st->size = te.size;
        st->mode = te.is_dir ? KOS_S_IFDIR | 0555 : KOS_S_IFREG | 0555;
        st->flags = KOS_STAT_READONLY;
        return 0;
    }
    struct ramfs_node *n = ramfs_lookup(path);
    if (!n)
        return -ENOENT;
    st->size = n->size;
    st->mode = KOS_S_IFREG | 0644;
    st->flags = 0;
    return 0;
}

int file_unlink(const char *path)
{
    int err = path_check(path);
    if (err)
        return err;
    struct tar_entry te;
    if (tarfs_lookup(path, &te) == 0)
        return te.is_dir ? -EISDIR : -EROFS;
    return ramfs_unlink(path);
}

static void snapshot_release(struct file *f)
{
    kfree(f->priv);
}

/* Taken at open: reading it never changes. */
static const struct file_ops snapshot_file_ops = {
    .name = "snapshot", .mode = KOS_S_IFREG | 0444, .stat_flags = KOS_STAT_READONLY,
    .read = file_read_contents, .release = snapshot_release,
};

int file_snapshot(char *text, uint64_t len, struct file **out)
{
    struct file *f = file_new(&snapshot_file_ops, O_RDONLY, text);
    if (!f) {
        kfree(text);
        return -ENOMEM;
    }
    f->priv_len = len;
    *out = f;
    return 0;
}
