#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* The initrd: a ustar archive, read in place (read-only). Paths are
 * absolute ("/bin/hello"); archive names may carry "./" or no slash. */
struct tar_entry {
    const char *name;       /* as stored, without leading "./" or "/" */
    size_t name_len;
    const uint8_t *data;
    uint64_t size;
    bool is_dir;
};

/* Index the archive. Returns the number of entries; stops (and says so on
 * the console) at the first header with a bad checksum or an impossible size. */
int tarfs_init(const void *archive, size_t size);
/* 0 and *out filled, -ENOENT, or -ENAMETOOLONG. A path that only appears as
 * a prefix of other entries ("/bin") is reported as a directory. */
int tarfs_lookup(const char *path, struct tar_entry *out);
/* Calls fn for each regular file directly inside directory dir ("/badelf"). */
int tarfs_list(const char *dir, void (*fn)(const struct tar_entry *e, void *ctx), void *ctx);
/* Validate one 512-byte header block (checksum, magic); exported for tests. */
bool tarfs_header_valid(const uint8_t *hdr);
int tarfs_entry_count(void);

struct file;
/* A read-only file over entry te (a regular file): 0 or -ENOMEM. */
int tarfs_open(const struct tar_entry *te, int flags, struct file **out);
