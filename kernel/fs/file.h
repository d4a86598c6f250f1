#pragma once
#include <stdint.h>
#include <stddef.h>
#include "fs/tarfs.h"
#include "fs/ramfs.h"

struct kos_stat;
struct socket;
struct pipe;

/* Sockets (kernel/net/net_syscalls.c) are files too: that code checks for this. */
#define KOS_FILE_HAS_SOCKETS 1

enum file_kind { FILE_CONSOLE, FILE_TARFS, FILE_RAMFS, FILE_SOCKET, FILE_PIPE, FILE_PROCINFO };

/* An open file, shared by the descriptors that refer to it. */
struct file {
    enum file_kind kind;
    int refs;
    int flags;          /* O_* access mode and O_APPEND */
    uint64_t offset;
    struct tar_entry tar;
    struct ramfs_node *node;
    struct socket *sock;    /* FILE_SOCKET: released with the last reference */
    struct pipe *pipe;      /* FILE_PIPE: this end closes with the last reference */
    char *text;             /* FILE_PROCINFO: the snapshot (kmalloc) */
    uint64_t text_len;
};

/* Paths: absolute, at most PATH_MAX-1 bytes, no empty, "." or ".." parts. */
#define PATH_MAX 256
int path_check(const char *path);

/* open(2) semantics over the initrd (read-only) and ramfs (everything else).
 * Errors: -EINVAL (bad flags/path), -ENOENT, -EEXIST, -EROFS, -EISDIR, -ENOMEM. */
int file_open(const char *path, int flags, struct file **out);
struct file *file_console(int flags);
/* A bare file object of kind with one reference (NULL on OOM). */
struct file *file_new(enum file_kind kind, int flags);
/* A read/write file for socket s (NULL on OOM); the last file_put releases s. */
struct file *file_socket(struct socket *s);
void file_get(struct file *f);
void file_put(struct file *f);
/* dst/src are already-checked addresses (kernel or validated user memory). */
int64_t file_read(struct file *f, void *dst, uint64_t n);
int64_t file_write(struct file *f, const void *src, uint64_t n);
int file_stat(const char *path, struct kos_stat *st);
int file_unlink(const char *path);
