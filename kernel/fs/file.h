#pragma once
/* Open files. Every kind of file (console, initrd, ramfs, pipe, /proc,
 * socket) is one struct file_ops table, defined by the code that owns the
 * kind; this layer calls through the table and knows none of them. */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "mm/uaccess.h"

struct kos_stat;
struct file;
struct waitq;

/* Readiness bits a poll operation returns (Linux's POLLIN, POLLOUT, POLLERR,
 * POLLHUP values). */
#define FILE_POLLIN  0x001
#define FILE_POLLOUT 0x004
#define FILE_POLLERR 0x008
#define FILE_POLLHUP 0x010

/* What a poller hands to poll operations: the operation calls poll_wait for
 * every wait queue whose wake-up may change its readiness, and the poller's
 * queue hook registers it there (a poll syscall sleeps until one wakes). */
struct poll_table {
    void (*queue)(struct poll_table *pt, struct waitq *wq);
};

static inline void poll_wait(struct poll_table *pt, struct waitq *wq)
{
    if (pt && pt->queue)
        pt->queue(pt, wq);
}

/* The operations of one kind of file. read/write move at most buf->len
 * bytes and return the count or -errno; every copy to or from the caller
 * goes through buf (iobuf_copyout/iobuf_copyin), so an operation that sleeps
 * holds no raw user pointer. The access mode is checked before they are
 * called (-EBADF). A NULL read or write is -EBADF; a NULL poll reports
 * FILE_POLLIN | FILE_POLLOUT (never blocks); release runs once, when the
 * last reference goes. fstat reports mode, stat_flags and f->priv_len as the
 * size, then calls stat (when set) for what changes (a ramfs file's size). */
struct file_ops {
    const char *name;       /* the kind, for diagnostics: "pipe", "ramfs", ... */
    unsigned mode;          /* KOS_S_IF* type | permission bits */
    unsigned stat_flags;    /* KOS_STAT_* */
    int64_t (*read)(struct file *f, const struct iobuf *buf);
    int64_t (*write)(struct file *f, const struct iobuf *buf);
    unsigned (*poll)(struct file *f, struct poll_table *pt);
    void (*release)(struct file *f);
    int (*stat)(struct file *f, struct kos_stat *st);
};

/* An open file, shared by the descriptors that refer to it. */
struct file {
    const struct file_ops *ops;
    int refs;
    int flags;          /* O_* access mode and O_APPEND */
    uint64_t offset;
    void *priv;         /* the kind's object: ramfs node, pipe, socket, snapshot text */
    uint64_t priv_len;  /* read-only contents (initrd data, /proc text): their size */
};

/* Paths: absolute, at most PATH_MAX-1 bytes, no empty, "." or ".." parts. */
#define PATH_MAX 256
int path_check(const char *path);

/* A tree another subsystem serves: file_open hands every path equal to
 * prefix or below it to open, the longest matching prefix winning (the
 * kernel counters mount /proc, TCP /proc/net/tcp). At most FILE_MOUNTS;
 * more is a panic. */
#define FILE_MOUNTS 8
void file_mount(const char *prefix, int (*open)(const char *path, int flags, struct file **out));
/* The console (drivers/console.c mounts it): descriptors 0-2 of a program. */
#define CONSOLE_PATH "/dev/console"
/* open(2) semantics over the mounts, the initrd (read-only) and ramfs
 * (everything else). Errors: -EINVAL (bad flags/path), -ENOENT, -EEXIST,
 * -EROFS, -EISDIR, -ENOMEM. */
int file_open(const char *path, int flags, struct file **out);
/* A file of the given kind with one reference (NULL on OOM); priv is the
 * kind's object, which ops->release frees. */
struct file *file_new(const struct file_ops *ops, int flags, void *priv);
void file_get(struct file *f);
void file_put(struct file *f);
int64_t file_read(struct file *f, const struct iobuf *buf);
int64_t file_write(struct file *f, const struct iobuf *buf);
unsigned file_poll(struct file *f, struct poll_table *pt);
int file_fstat(struct file *f, struct kos_stat *st);
int file_stat(const char *path, struct kos_stat *st);
int file_unlink(const char *path);

/* A read-only file over text (kmalloc'd; freed with the file): the /proc
 * snapshots. 0, or -ENOMEM (text is freed then). */
int file_snapshot(char *text, uint64_t len, struct file **out);

/* Read from contents held in memory (f->priv, f->priv_len bytes) at
 * f->offset: what the initrd and /proc files share. */
int64_t file_read_contents(struct file *f, const struct iobuf *buf);
