/* Syscall conformance: one KTAP subtest per behaviour, success and error
 * paths (bad fds, bad flags, bad/kernel/wrapping pointers, huge lengths,
 * end of file, unknown numbers). */
#include "libc.h"
#include "ktap.h"
#include <kos/profile.h>

#define KERNEL_PTR ((void *)0xffffffff80100000UL)
#define UNMAPPED_PTR ((void *)0x20000000UL)

static char big[5000];

static void test_write(void)
{
    KTAP_EXPECT_EQ("write_stdout", write(1, "    # write to stdout\n", 22), 22);
    KTAP_EXPECT_EQ("write_zero_length", write(1, "x", 0), 0);
    KTAP_EXPECT_EQ("write_bad_fd", write(99, "x", 1), -EBADF);
    KTAP_EXPECT_EQ("write_negative_fd", write(-1, "x", 1), -EBADF);
    KTAP_EXPECT_EQ("write_unopened_fd", write(7, "x", 1), -EBADF);
    KTAP_EXPECT_EQ("write_null_pointer", write(1, NULL, 4), -EFAULT);
    KTAP_EXPECT_EQ("write_kernel_pointer", write(1, KERNEL_PTR, 16), -EFAULT);
    KTAP_EXPECT_EQ("write_unmapped_pointer", write(1, UNMAPPED_PTR, 16), -EFAULT);
    KTAP_EXPECT_EQ("write_huge_length", write(1, big, 1UL << 62), -EFAULT);
    KTAP_EXPECT_EQ("write_wrapping_range", write(1, (void *)0x401000UL, (size_t)-0x1000), -EFAULT);
    /* Straddles the end of the user half into the kernel half. */
    KTAP_EXPECT_EQ("write_crosses_user_top", write(1, (void *)0x7ffffffff000UL, 0x2000), -EFAULT);
}

static void test_open_errors(void)
{
    char longpath[300];
    memset(longpath, 'a', sizeof longpath);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = 0;
    KTAP_EXPECT_EQ("open_missing_file", open("/no/such/file", O_RDONLY), -ENOENT);
    KTAP_EXPECT_EQ("open_unknown_flags", open("/bin/hello", 0x12340000), -EINVAL);
    KTAP_EXPECT_EQ("open_bad_access_mode", open("/bin/hello", O_ACCMODE), -EINVAL);
    KTAP_EXPECT_EQ("open_null_path", open(NULL, O_RDONLY), -EFAULT);
    KTAP_EXPECT_EQ("open_kernel_path", open(KERNEL_PTR, O_RDONLY), -EFAULT);
    KTAP_EXPECT_EQ("open_path_too_long", open(longpath, O_RDONLY), -ENAMETOOLONG);
    KTAP_EXPECT_EQ("open_relative_path", open("bin/hello", O_RDONLY), -EINVAL);
    KTAP_EXPECT_EQ("open_dotdot_path", open("/bin/../bin/hello", O_RDONLY), -EINVAL);
    KTAP_EXPECT_EQ("open_initrd_for_write", open("/bin/hello", O_WRONLY), -EROFS);
    KTAP_EXPECT_EQ("open_directory", open("/bin", O_RDONLY), -EISDIR);
}

static void test_initrd_read(void)
{
    struct kos_stat st;
    long r = stat("/bin/hello", &st);
    KTAP_EXPECT_EQ("stat_initrd_file", r, 0);
    ktap_ok(r == 0 && (st.mode & KOS_S_IFREG) && (st.flags & KOS_STAT_READONLY) && st.size > 64,
            "stat_initrd_fields");
    long fd = open("/bin/hello", O_RDONLY);
    ktap_ok(fd >= 3, "open_initrd_file");
    char hdr[4];
    ktap_ok(read(fd, hdr, 4) == 4 && memcmp(hdr, "\x7f" "ELF", 4) == 0, "read_initrd_elf_magic");
    /* Read the rest in chunks: the total must be the stat size, then 0 (end of file). */
    unsigned long total = 4;
    long n;
    while ((n = read(fd, big, sizeof big)) > 0)
        total += (unsigned long)n;
    ktap_ok(n == 0 && total == st.size, "read_until_end_of_file");
    KTAP_EXPECT_EQ("read_past_end_of_file", read(fd, big, 16), 0);
    KTAP_EXPECT_EQ("write_to_readonly_fd", write(fd, "x", 1), -EBADF);
    KTAP_EXPECT_EQ("read_into_code_page", read(fd, (void *)test_initrd_read, 4), -EFAULT);
    KTAP_EXPECT_EQ("read_into_kernel_pointer", read(fd, KERNEL_PTR, 4), -EFAULT);
    KTAP_EXPECT_EQ("read_bad_fd", read(42, big, 4), -EBADF);
    KTAP_EXPECT_EQ("close_initrd_file", close(fd), 0);
    KTAP_EXPECT_EQ("close_twice", close(fd), -EBADF);
    KTAP_EXPECT_EQ("close_bad_fd", close(1000), -EBADF);
    KTAP_EXPECT_EQ("stat_missing", stat("/nope", &st), -ENOENT);
    KTAP_EXPECT_EQ("stat_null_buffer", stat("/bin/hello", NULL), -EFAULT);
    KTAP_EXPECT_EQ("stat_kernel_buffer", stat("/bin/hello", KERNEL_PTR), -EFAULT);
    KTAP_EXPECT_EQ("stat_readonly_buffer", stat("/bin/hello", (void *)test_initrd_read), -EFAULT);
}

static void test_ramfs(void)
{
    for (unsigned i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7 + 3);
    long fd = open("/tmp/conformance", O_CREAT | O_EXCL | O_RDWR);
    ktap_ok(fd >= 3, "ramfs_create");
    KTAP_EXPECT_EQ("ramfs_write", write(fd, big, sizeof big), (long)sizeof big);
    KTAP_EXPECT_EQ("ramfs_create_exclusive_again", open("/tmp/conformance", O_CREAT | O_EXCL | O_RDWR), -EEXIST);
    close(fd);
    struct kos_stat st;
    ktap_ok(stat("/tmp/conformance", &st) == 0 && st.size == sizeof big && !(st.flags & KOS_STAT_READONLY),
            "ramfs_stat_size");
    fd = open("/tmp/conformance", O_RDONLY);
    static char back[5000];
    long n = read(fd, back, sizeof back);
    ktap_ok(n == (long)sizeof big && memcmp(back, big, sizeof big) == 0, "ramfs_read_back");
    KTAP_EXPECT_EQ("ramfs_read_at_end", read(fd, back, 10), 0);
    KTAP_EXPECT_EQ("ramfs_write_readonly_fd", write(fd, "x", 1), -EBADF);
    close(fd);
    fd = open("/tmp/conformance", O_WRONLY | O_APPEND);
    KTAP_EXPECT_EQ("ramfs_append", write(fd, "tail", 4), 4);
    KTAP_EXPECT_EQ("ramfs_read_writeonly_fd", read(fd, back, 4), -EBADF);
    close(fd);
    ktap_ok(stat("/tmp/conformance", &st) == 0 && st.size == sizeof big + 4, "ramfs_append_size");
    fd = open("/tmp/conformance", O_RDWR | O_TRUNC);
    close(fd);
    ktap_ok(stat("/tmp/conformance", &st) == 0 && st.size == 0, "ramfs_truncate");
    KTAP_EXPECT_EQ("unlink_file", unlink("/tmp/conformance"), 0);
    KTAP_EXPECT_EQ("stat_after_unlink", stat("/tmp/conformance", &st), -ENOENT);
    KTAP_EXPECT_EQ("unlink_missing", unlink("/tmp/conformance"), -ENOENT);
    KTAP_EXPECT_EQ("unlink_initrd_file", unlink("/bin/hello"), -EROFS);
    KTAP_EXPECT_EQ("unlink_bad_pointer", unlink(KERNEL_PTR), -EFAULT);

    /* The descriptor table is finite (128): the 129th open fails cleanly. */
    long fds[128];
    int opened = 0;
    long last = 0;
    for (int i = 0; i < 128; i++) {
        last = open("/bin/hello", O_RDONLY);
        if (last < 0)
            break;
        fds[opened++] = last;
    }
    ktap_ok(opened == 125 && last == -EMFILE, "open_until_table_full");
    for (int i = 0; i < opened; i++)
        close(fds[i]);
}

static void test_mmap(void)
{
    const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
    char *p = mmap(NULL, 3 * 4096, rw, anon);
    if (p == MAP_FAILED)
        p = NULL;
    int zero = 1;
    if (p)
        for (int i = 0; i < 3 * 4096; i++)
            zero &= p[i] == 0;
    ktap_ok(p != NULL && zero, "mmap_anonymous_zeroed");
    if (p) {
        memset(p, 0x5a, 3 * 4096);
        ktap_ok(p[0] == 0x5a && p[3 * 4096 - 1] == 0x5a, "mmap_read_write");
        KTAP_EXPECT_EQ("munmap", munmap(p, 3 * 4096), 0);
        KTAP_EXPECT_EQ("write_from_unmapped", write(1, p, 1), -EFAULT);
    } else {
        ktap_ok(false, "mmap_read_write");
        ktap_ok(false, "munmap");
        ktap_ok(false, "write_from_unmapped");
    }
    KTAP_EXPECT_EQ("mmap_zero_length", kos_mmap(NULL, 0, rw, anon), -EINVAL);
    KTAP_EXPECT_EQ("mmap_write_exec", kos_mmap(NULL, 4096, rw | PROT_EXEC, anon), -EACCES);
    KTAP_EXPECT_EQ("mmap_bad_flags", kos_mmap(NULL, 4096, rw, MAP_PRIVATE), -EINVAL);
    KTAP_EXPECT_EQ("mmap_bad_prot", kos_mmap(NULL, 4096, 0x100, anon), -EINVAL);
    KTAP_EXPECT_EQ("mmap_huge_length", kos_mmap(NULL, 1UL << 40, rw, anon), -ENOMEM);
    KTAP_EXPECT_EQ("munmap_unaligned", munmap((void *)0x100000000123UL, 4096), -EINVAL);
    KTAP_EXPECT_EQ("munmap_program_image", munmap((void *)0x400000UL, 4096), -EINVAL);
    KTAP_EXPECT_EQ("munmap_wrapping", munmap((void *)0x100000000000UL, (size_t)-4096), -EINVAL);

    char *m = malloc(100), *l = malloc(100000);
    ktap_ok(m && l, "malloc_small_and_large");
    if (m && l) {
        memset(m, 1, 100);
        memset(l, 2, 100000);
        ktap_ok(m[99] == 1 && l[99999] == 2, "malloc_memory_usable");
    } else {
        ktap_ok(false, "malloc_memory_usable");
    }
    free(m);
    free(l);
}

/* Bad calls of the coverage writer are refused before anything is written. */
static void test_profile_write(void)
{
    struct kos_prof_piece p[KOS_PROF_PIECES + 1] = {{(uint64_t)(uintptr_t)big, 16}};
    KTAP_EXPECT_EQ("profile_write_no_pieces", kos_profile_write(p, 0), -EINVAL);
    KTAP_EXPECT_EQ("profile_write_too_many_pieces", kos_profile_write(p, KOS_PROF_PIECES + 1), -EINVAL);
    KTAP_EXPECT_EQ("profile_write_kernel_pieces", kos_profile_write(KERNEL_PTR, 1), -EFAULT);
    p[1] = (struct kos_prof_piece){(uint64_t)(uintptr_t)KERNEL_PTR, 16};
    KTAP_EXPECT_EQ("profile_write_kernel_piece", kos_profile_write(p, 2), -EFAULT);
    p[1] = (struct kos_prof_piece){(uint64_t)(uintptr_t)big, KOS_PROF_MAX};
    KTAP_EXPECT_EQ("profile_write_too_long", kos_profile_write(p, 2), -EINVAL);
}

static void test_misc(void)
{
    KTAP_EXPECT_EQ("unknown_syscall_number", syscall6(999, 0, 0, 0, 0, 0, 0), -ENOSYS);
    KTAP_EXPECT_EQ("negative_syscall_number", syscall6(-1, 0, 0, 0, 0, 0, 0), -ENOSYS);
    /* A number inside the table with no entry (the highest one). */
    KTAP_EXPECT_EQ("absent_syscall_in_table", syscall6(SYS_MAX - 1, 0, 0, 0, 0, 0, 0), -ENOSYS);
    KTAP_EXPECT_EQ("syscall_zero", syscall6(0, 0, 0, 0, 0, 0, 0), -ENOSYS);
    ktap_ok(getpid() > 0, "getpid_positive");
    KTAP_EXPECT_EQ("yield", sched_yield(), 0);
    KTAP_EXPECT_EQ("log_message", kos_log("conformance log line", 20), 20);
    KTAP_EXPECT_EQ("log_bad_pointer", kos_log(KERNEL_PTR, 8), -EFAULT);
    KTAP_EXPECT_EQ("log_too_long", kos_log(big, 4096), -EINVAL);
}

/* Both gates, the syscall instruction (what every wrapper uses) and the
 * original int $0x80, reach the same table with the same ABI. */
static void test_gates(void)
{
    KTAP_EXPECT_EQ("int80_getpid_same_as_syscall", syscall6_int80(SYS_getpid, 0, 0, 0, 0, 0, 0), getpid());
    KTAP_EXPECT_EQ("int80_unknown_number", syscall6_int80(999, 0, 0, 0, 0, 0, 0), -ENOSYS);
    KTAP_EXPECT_EQ("int80_write_bad_fd", syscall6_int80(SYS_write, 99, (long)"x", 1, 0, 0, 0), -EBADF);
    KTAP_EXPECT_EQ("int80_write_kernel_pointer", syscall6_int80(SYS_write, 1, (long)KERNEL_PTR, 16, 0, 0, 0),
                   -EFAULT);
    KTAP_EXPECT_EQ("int80_write_stdout", syscall6_int80(SYS_write, 1, (long)"    # int80 write\n", 18, 0, 0, 0), 18);
    KTAP_EXPECT_EQ("syscall_instruction_write_bad_fd", syscall6(SYS_write, 99, (long)"x", 1, 0, 0, 0), -EBADF);

    /* The syscall instruction gives back every register but rax (the
     * result), rcx and r11 (the CPU's return rip and rflags). */
    register long r8 __asm__("r8") = 0x0808, r9 __asm__("r9") = 0x0909, r10 __asm__("r10") = 0x1010;
    register long r12 __asm__("r12") = 0x1212, r13 __asm__("r13") = 0x1313;
    register long r14 __asm__("r14") = 0x1414, r15 __asm__("r15") = 0x1515;
    long rax = SYS_getpid, rdi = 0xd1, rsi = 0x51, rdx = 0xd2, rbx = 0xb0, rcx;
    register long r11 __asm__("r11");
    __asm__ volatile("syscall"
                     : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+b"(rbx), "=c"(rcx), "=r"(r11), "+r"(r8),
                       "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)
                     :
                     : "memory");
    (void)rcx;
    ktap_ok(rdi == 0xd1 && rsi == 0x51 && rdx == 0xd2 && rbx == 0xb0 && r8 == 0x0808 && r9 == 0x0909 &&
                r10 == 0x1010 && r12 == 0x1212 && r13 == 0x1313 && r14 == 0x1414 && r15 == 0x1515,
            "syscall_instruction_keeps_registers");
    KTAP_EXPECT_EQ("syscall_instruction_result", rax, getpid());
    /* r11 comes back as the rflags the CPU saved: IF (bit 9) set, as ring 3 runs. */
    ktap_ok((r11 & (1 << 9)) && (r11 & 2), "syscall_instruction_r11_is_rflags");
}

/* ktap_done() fails the run when this disagrees with the results printed. */
#define NTESTS 94

static void test_libc_format(void)
{
    /* The user library's printf family: precision and * for strings and
     * numbers (C11 7.21.6.1), and the return value when the buffer is short. */
    char buf[64];
    const char unterminated[3] = {'k', 'o', 's'};
    int n = snprintf(buf, sizeof buf, "[%.*s|%.2s|%*d|%-*d|%.3d|%5.2x|%.0d|%04d]", 3, unterminated, "xyz", 5, 42, -4, 7,
                     7, 0xa, 0, -12);
    ktap_ok(n == 35 && strcmp(buf, "[kos|xy|   42|7   |007|   0a||-012]") == 0, "snprintf_precision_and_star");
    n = snprintf(buf, 6, "%s-%d", "truncated", 1234);
    ktap_ok(n == 14 && strcmp(buf, "trunc") == 0, "snprintf_truncates_and_counts");
}

int main(void)
{
    ktap_begin("syscalls", NTESTS);
    test_write();
    test_open_errors();
    test_initrd_read();
    test_ramfs();
    test_mmap();
    test_profile_write();
    test_misc();
    test_gates();
    test_libc_format();
    return ktap_done();
}
