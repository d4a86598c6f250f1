#pragma once
#include <stddef.h>
#include <stdint.h>
#include "mm/uaccess.h"

/* In-memory files in a flat namespace of absolute paths. Data lives in a
 * heap buffer that grows by doubling, up to RAMFS_MAX_FILE bytes. */
#define RAMFS_MAX_FILE (16u << 20)
#define RAMFS_MAX_FILES 128
#define RAMFS_NAME_MAX 255

struct ramfs_node {
    char name[RAMFS_NAME_MAX + 1];
    uint8_t *data;
    uint64_t size, cap;
    int open_count;     /* open file objects */
    int linked;         /* still reachable by name */
};

struct ramfs_node *ramfs_lookup(const char *path);
/* -EEXIST, -ENOSPC (too many files), -ENOMEM. */
int ramfs_create(const char *path, struct ramfs_node **out);
/* Removes the name; the data goes when the last open file lets go. */
int ramfs_unlink(const char *path);
/* Read up to buf->len bytes at off into buf; returns bytes read (0 at or
 * past the end) or -EFAULT. */
int64_t ramfs_read(struct ramfs_node *node, uint64_t off, const struct iobuf *buf);
/* Write buf (buf->len bytes) at off, growing the file (holes read as zero).
 * -EFBIG, -ENOMEM, -EFAULT (then the file keeps its size). */
int64_t ramfs_write(struct ramfs_node *node, uint64_t off, const struct iobuf *buf);
int ramfs_truncate(struct ramfs_node *node);
void ramfs_node_get(struct ramfs_node *node);
void ramfs_node_put(struct ramfs_node *node);
int ramfs_file_count(void);

struct file;
/* A file over node n (takes a node reference; O_TRUNC with write access
 * empties it): 0 or -ENOMEM. */
int ramfs_open(struct ramfs_node *n, int flags, struct file **out);
