/* fs/: the initrd (tarfs) and in-memory files (ramfs + the open-file layer). */
#include "test/ktest.h"
#include "fs/tarfs.h"
#include "fs/ramfs.h"
#include "fs/file.h"
#include "proc/pipe.h"
#include "lib/string.h"
#include "lib/printf.h"
#include <kos/errno.h>
#include <kos/syscall.h>

/* The file and ramfs calls on kernel buffers. */
static int64_t kread(struct file *f, void *p, uint64_t n)
{
    struct iobuf b = iobuf_kernel(p, n);
    return file_read(f, &b);
}

static int64_t kwrite(struct file *f, const void *p, uint64_t n)
{
    struct iobuf b = iobuf_kernel(p, n);
    return file_write(f, &b);
}

static int64_t node_read(struct ramfs_node *n, uint64_t off, void *p, uint64_t len)
{
    struct iobuf b = iobuf_kernel(p, len);
    return ramfs_read(n, off, &b);
}

static int64_t node_write(struct ramfs_node *n, uint64_t off, const void *p, uint64_t len)
{
    struct iobuf b = iobuf_kernel(p, len);
    return ramfs_write(n, off, &b);
}

static bool test_tar_header_checksum(void)
{
    static uint8_t hdr[512];
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, "file.txt", 8);
    memcpy(hdr + 124, "00000000005", 11);
    hdr[156] = '0';
    memcpy(hdr + 257, "ustar", 6);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : hdr[i];
    ksnprintf((char *)hdr + 148, 8, "%06o", sum);
    KT_EXPECT(tarfs_header_valid(hdr));
    hdr[0] = 'g';       /* one changed byte breaks the checksum */
    KT_EXPECT(!tarfs_header_valid(hdr));
    hdr[0] = 'f';
    hdr[257] = 'x';     /* not ustar */
    KT_EXPECT(!tarfs_header_valid(hdr));
    return true;
}

static bool test_tar_lookup_program(void)
{
    struct tar_entry e;
    KT_EXPECT(tarfs_entry_count() > 0);
    KT_EXPECT_EQ(tarfs_lookup("/bin/hello", &e), 0);
    KT_EXPECT(!e.is_dir);
    KT_EXPECT(e.size > 64);
    KT_EXPECT(memcmp(e.data, "\x7f" "ELF", 4) == 0);
    return true;
}

static bool test_tar_missing_and_dirs(void)
{
    struct tar_entry e;
    KT_EXPECT_EQ(tarfs_lookup("/bin/no_such_program", &e), -ENOENT);
    KT_EXPECT_EQ(tarfs_lookup("/bin/hell", &e), -ENOENT);   /* prefix is not a match */
    KT_EXPECT_EQ(tarfs_lookup("/bin", &e), 0);
    KT_EXPECT(e.is_dir);
    KT_EXPECT_EQ(tarfs_lookup("/", &e), 0);
    KT_EXPECT(e.is_dir);
    return true;
}

static void count_entry(const struct tar_entry *e, void *ctx)
{
    (void)e;
    (*(int *)ctx)++;
}

static bool test_tar_list(void)
{
    int n = 0;
    KT_EXPECT(tarfs_list("/bin", count_entry, &n) >= 1);
    KT_EXPECT(n >= 1);
    n = 0;
    KT_EXPECT_EQ(tarfs_list("/no_such_dir", count_entry, &n), 0);
    KT_EXPECT_EQ(n, 0);
    return true;
}

static bool test_tar_read_via_file(void)
{
    struct file *f;
    KT_EXPECT_EQ(file_open("/bin/hello", O_RDONLY, &f), 0);
    char buf[4];
    KT_EXPECT_EQ(kread(f, buf, 4), 4);
    KT_EXPECT(memcmp(buf, "\x7f" "ELF", 4) == 0);
    KT_EXPECT_EQ(kwrite(f, "x", 1), -EBADF);
    file_put(f);
    KT_EXPECT_EQ(file_open("/bin/hello", O_RDWR, &f), -EROFS);
    KT_EXPECT_EQ(file_unlink("/bin/hello"), -EROFS);
    return true;
}

/* `kos build` packs TEST_MANY_FILES generated files /test/many/NNNN (each
 * holding "many NNNN\n"), which puts the archive past the old fixed limit of
 * 512 entries; every one of them and what sorts after them must be found. */
#define TEST_MANY_FILES 600

static bool test_tar_more_than_512_entries(void)
{
    KT_EXPECT(tarfs_entry_count() > 512 + 20);
    int found = 0;
    for (int i = 0; i < TEST_MANY_FILES; i++) {
        char path[32], want[16];
        ksnprintf(path, sizeof path, "/test/many/%04d", i);
        ksnprintf(want, sizeof want, "many %04d\n", i);
        struct tar_entry e;
        if (tarfs_lookup(path, &e) == 0 && !e.is_dir && e.size == strlen(want) && memcmp(e.data, want, e.size) == 0)
            found++;
    }
    KT_EXPECT_EQ(found, TEST_MANY_FILES);
    KT_EXPECT_EQ(tarfs_list("/test/many", NULL, NULL), TEST_MANY_FILES);
    /* /wasm sorts after /test: it vanished when the index stopped at 512. */
    KT_EXPECT(tarfs_list("/wasm", NULL, NULL) > 0);
    return true;
}

KTEST_SUITE(tarfs,
    KTEST_CASE("tarfs_header_checksum", test_tar_header_checksum),
    KTEST_CASE("tarfs_lookup_program", test_tar_lookup_program),
    KTEST_CASE("tarfs_missing_and_directories", test_tar_missing_and_dirs),
    KTEST_CASE("tarfs_list_directory", test_tar_list),
    KTEST_CASE("tarfs_read_only_file", test_tar_read_via_file),
    KTEST_CASE("tarfs_more_than_512_entries", test_tar_more_than_512_entries),
);

static bool test_ramfs_roundtrip(void)
{
    struct file *f;
    KT_EXPECT_EQ(file_open("/ktest/a", O_CREAT | O_RDWR, &f), 0);
    static char data[10000];
    for (int i = 0; i < (int)sizeof data; i++)
        data[i] = (char)(i % 251);
    KT_EXPECT_EQ(kwrite(f, data, sizeof data), (int64_t)sizeof data);
    file_put(f);
    KT_EXPECT_EQ(file_open("/ktest/a", O_RDONLY, &f), 0);
    static char back[10000];
    KT_EXPECT_EQ(kread(f, back, sizeof back), (int64_t)sizeof back);
    KT_EXPECT(memcmp(data, back, sizeof data) == 0);
    KT_EXPECT_EQ(kread(f, back, 1), 0);
    file_put(f);
    KT_EXPECT_EQ(file_unlink("/ktest/a"), 0);
    KT_EXPECT_EQ(file_unlink("/ktest/a"), -ENOENT);
    return true;
}

static bool test_ramfs_unlink_while_open(void)
{
    struct file *f;
    KT_EXPECT_EQ(file_open("/ktest/b", O_CREAT | O_RDWR, &f), 0);
    KT_EXPECT_EQ(kwrite(f, "keep", 4), 4);
    KT_EXPECT_EQ(file_unlink("/ktest/b"), 0);
    KT_EXPECT(ramfs_lookup("/ktest/b") == NULL);
    /* The open file still holds the data. */
    f->offset = 0;
    char buf[4];
    KT_EXPECT_EQ(kread(f, buf, 4), 4);
    KT_EXPECT(memcmp(buf, "keep", 4) == 0);
    file_put(f);
    return true;
}

static bool test_ramfs_holes_and_limits(void)
{
    struct ramfs_node *n;
    KT_EXPECT_EQ(ramfs_create("/ktest/c", &n), 0);
    KT_EXPECT_EQ(ramfs_create("/ktest/c", &n), -EEXIST);
    n = ramfs_lookup("/ktest/c");
    KT_EXPECT(n != NULL);
    KT_EXPECT_EQ(node_write(n, 100, "x", 1), 1);
    KT_EXPECT_EQ(n->size, 101);
    char buf[101];
    KT_EXPECT_EQ(node_read(n, 0, buf, sizeof buf), 101);
    KT_EXPECT_EQ(buf[50], 0);
    KT_EXPECT_EQ(buf[100], 'x');
    KT_EXPECT_EQ(node_write(n, RAMFS_MAX_FILE, "x", 1), -EFBIG);
    KT_EXPECT_EQ(node_write(n, ~0ULL - 2, "x", 8), -EFBIG);
    KT_EXPECT_EQ(node_read(n, 1000, buf, 10), 0);
    KT_EXPECT_EQ(ramfs_unlink("/ktest/c"), 0);
    return true;
}

static bool test_file_open_flags(void)
{
    struct file *f;
    KT_EXPECT_EQ(file_open("/ktest/none", O_RDONLY, &f), -ENOENT);
    KT_EXPECT_EQ(file_open("/ktest/d", O_RDWR | 0x100000, &f), -EINVAL);
    KT_EXPECT_EQ(file_open("/ktest/d", O_ACCMODE, &f), -EINVAL);
    KT_EXPECT_EQ(file_open("relative", O_CREAT | O_RDWR, &f), -EINVAL);
    KT_EXPECT_EQ(file_open("/a//b", O_CREAT | O_RDWR, &f), -EINVAL);
    KT_EXPECT_EQ(file_open("/a/./b", O_CREAT | O_RDWR, &f), -EINVAL);
    KT_EXPECT_EQ(file_open("/", O_RDONLY, &f), -EISDIR);
    KT_EXPECT_EQ(ramfs_file_count(), 0);
    return true;
}

/* Each kind's stat operation: initrd, ramfs, pipe, /proc. */
static bool test_file_fstat_kinds(void)
{
    struct file *f, *rd, *wr;
    struct kos_stat st;
    struct tar_entry te;
    KT_EXPECT_EQ(tarfs_lookup("/bin/hello", &te), 0);
    KT_EXPECT_EQ(file_open("/bin/hello", O_RDONLY, &f), 0);
    KT_EXPECT_EQ(file_fstat(f, &st), 0);
    KT_EXPECT_EQ(st.size, te.size);
    KT_EXPECT_EQ(st.mode, KOS_S_IFREG | 0555);
    KT_EXPECT_EQ(st.flags, KOS_STAT_READONLY);
    file_put(f);

    KT_EXPECT_EQ(file_open("/ktest/e", O_CREAT | O_RDWR, &f), 0);
    KT_EXPECT_EQ(kwrite(f, "12345", 5), 5);
    KT_EXPECT_EQ(file_fstat(f, &st), 0);
    KT_EXPECT_EQ(st.size, 5);
    KT_EXPECT_EQ(st.mode, KOS_S_IFREG | 0644);
    file_put(f);
    KT_EXPECT_EQ(file_unlink("/ktest/e"), 0);

    KT_EXPECT_EQ(pipe_create(&rd, &wr), 0);
    KT_EXPECT_EQ(kwrite(wr, "abc", 3), 3);
    KT_EXPECT_EQ(file_fstat(rd, &st), 0);
    KT_EXPECT_EQ(st.size, 0);
    KT_EXPECT_EQ(st.mode, KOS_S_IFIFO | 0600);
    KT_EXPECT_EQ(file_poll(rd, NULL), FILE_POLLIN);
    KT_EXPECT_EQ(file_poll(wr, NULL), FILE_POLLOUT);
    file_put(wr);
    KT_EXPECT_EQ(file_poll(rd, NULL), FILE_POLLIN | FILE_POLLHUP);
    file_put(rd);

    KT_EXPECT_EQ(file_open("/proc/kstat", O_RDONLY, &f), 0);
    KT_EXPECT_EQ(file_fstat(f, &st), 0);
    KT_EXPECT(st.size > 0);
    KT_EXPECT_EQ(st.mode, KOS_S_IFREG | 0444);
    char line[11];
    KT_EXPECT_EQ(kread(f, line, 10), 10);
    line[10] = 0;
    KT_EXPECT(strcmp(line, "free_pages") == 0);
    file_put(f);
    return true;
}

KTEST_SUITE(ramfs,
    KTEST_CASE("ramfs_write_read_unlink", test_ramfs_roundtrip, KTEST_PAGES),
    KTEST_CASE("ramfs_unlink_while_open", test_ramfs_unlink_while_open, KTEST_PAGES),
    KTEST_CASE("ramfs_holes_and_limits", test_ramfs_holes_and_limits, KTEST_PAGES),
    KTEST_CASE("ramfs_open_flags_and_paths", test_file_open_flags, KTEST_PAGES),
    KTEST_CASE("file_fstat_kinds", test_file_fstat_kinds, KTEST_PAGES),
);
