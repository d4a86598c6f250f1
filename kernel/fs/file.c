#include "fs/file.h"
#include "mm/heap.h"
#include "lib/string.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "drivers/serial.h"
#include "fs/pipe.h"
#include "fs/procinfo.h"
#include <kos/errno.h>
#include <kos/syscall.h>

/* Socket I/O lives in kernel/net/net_syscalls.c; weak so the file layer
 * links without the network stack (a socket file cannot exist then). */
int64_t sock_file_read(struct socket *s, void *dst, uint64_t n) __attribute__((weak));
int64_t sock_file_write(struct socket *s, const void *src, uint64_t n) __attribute__((weak));
void sock_file_release(struct socket *s) __attribute__((weak));

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

struct file *file_new(enum file_kind kind, int flags)
{
    struct file *f = kzalloc(sizeof *f);
    if (f) {
        f->kind = kind;
        f->refs = 1;
        f->flags = flags;
    }
    return f;
}

struct file *file_console(int flags)
{
    return file_new(FILE_CONSOLE, flags);
}

struct file *file_socket(struct socket *s)
{
    struct file *f = file_new(FILE_SOCKET, O_RDWR);
    if (f)
        f->sock = s;
    return f;
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
    if (procinfo_is_path(path))
        return procinfo_open(path, flags, out);

    struct tar_entry te;
    if (tarfs_lookup(path, &te) == 0) {
        if ((flags & O_CREAT) && (flags & O_EXCL))
            return -EEXIST;
        if (te.is_dir)
            return -EISDIR;
        if (acc != O_RDONLY || (flags & O_TRUNC))
            return -EROFS;
        struct file *f = file_new(FILE_TARFS, flags);
        if (!f)
            return -ENOMEM;
        f->tar = te;
        *out = f;
        return 0;
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
    struct file *f = file_new(FILE_RAMFS, flags);
    if (!f)
        return -ENOMEM;
    if ((flags & O_TRUNC) && acc != O_RDONLY)
        ramfs_truncate(n);
    ramfs_node_get(n);
    f->node = n;
    *out = f;
    return 0;
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
    if (f->kind == FILE_RAMFS)
        ramfs_node_put(f->node);
    if (f->kind == FILE_SOCKET && sock_file_release)
        sock_file_release(f->sock);
    if (f->kind == FILE_PIPE)
        pipe_close_end(f->pipe, (f->flags & O_ACCMODE) == O_WRONLY);
    if (f->kind == FILE_PROCINFO)
        kfree(f->text);
    kfree(f);
}

int64_t file_read(struct file *f, void *dst, uint64_t n)
{
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EBADF;
    switch (f->kind) {
    case FILE_CONSOLE: {
        /* Non-blocking: whatever the UART holds, 0 when nothing waits. */
        uint64_t got = 0;
        int c;
        while (got < n && (c = serial_getc()) >= 0)
            ((char *)dst)[got++] = (char)c;
        return (int64_t)got;
    }
    case FILE_TARFS: {
        if (f->offset >= f->tar.size)
            return 0;
        uint64_t left = f->tar.size - f->offset;
        if (n > left)
            n = left;
        memcpy(dst, f->tar.data + f->offset, n);
        f->offset += n;
        return (int64_t)n;
    }
    case FILE_RAMFS: {
        int64_t r = ramfs_read(f->node, f->offset, dst, n);
        if (r > 0)
            f->offset += (uint64_t)r;
        return r;
    }
    case FILE_SOCKET:
        return sock_file_read ? sock_file_read(f->sock, dst, n) : -EBADF;
    case FILE_PIPE:
        return pipe_read(f->pipe, dst, n);
    case FILE_PROCINFO: {
        if (f->offset >= f->text_len)
            return 0;
        if (n > f->text_len - f->offset)
            n = f->text_len - f->offset;
        memcpy(dst, f->text + f->offset, n);
        f->offset += n;
        return (int64_t)n;
    }
    }
    return -EBADF;
}

int64_t file_write(struct file *f, const void *src, uint64_t n)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    switch (f->kind) {
    case FILE_CONSOLE:
        console_write(src, n);
        return (int64_t)n;
    case FILE_TARFS:
        return -EBADF;
    case FILE_RAMFS: {
        if (f->flags & O_APPEND)
            f->offset = f->node->size;
        int64_t r = ramfs_write(f->node, f->offset, src, n);
        if (r > 0)
            f->offset += (uint64_t)r;
        return r;
    }
    case FILE_SOCKET:
        return sock_file_write ? sock_file_write(f->sock, src, n) : -EBADF;
    case FILE_PIPE:
        return pipe_write(f->pipe, src, n);
    case FILE_PROCINFO:
        return -EBADF;
    }
    return -EBADF;
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
