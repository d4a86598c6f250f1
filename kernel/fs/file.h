#pragma once
#include <stdint.h>
#include <stddef.h>
#include "fs/tarfs.h"
#include "fs/ramfs.h"

struct kos_stat;

enum file_kind { FILE_CONSOLE, FILE_TARFS, FILE_RAMFS };

/* An open file, shared by the descriptors that refer to it. */
struct file {
    enum file_kind kind;
    int refs;
    int flags;          /* O_* access mode and O_APPEND */
    uint64_t offset;
    struct tar_entry tar;
    struct ramfs_node *node;
};

/* Paths: absolute, at most PATH_MAX-1 bytes, no empty, "." or ".." parts. */
#define PATH_MAX 256
int path_check(const char *path);

/* open(2) semantics over the initrd (read-only) and ramfs (everything else).
 * Errors: -EINVAL (bad flags/path), -ENOENT, -EEXIST, -EROFS, -EISDIR, -ENOMEM. */
int file_open(const char *path, int flags, struct file **out);
struct file *file_console(int flags);
void file_get(struct file *f);
void file_put(struct file *f);
/* dst/src are already-checked addresses (kernel or validated user memory). */
int64_t file_read(struct file *f, void *dst, uint64_t n);
int64_t file_write(struct file *f, const void *src, uint64_t n);
int file_stat(const char *path, struct kos_stat *st);
int file_unlink(const char *path);
