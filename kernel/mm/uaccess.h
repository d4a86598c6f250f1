#pragma once
/* User memory, touched only at the point of use (xv6's copyin/copyout): a
 * syscall copies its arguments in and its results out with these, right
 * where it reads or writes them, and code that may sleep never holds a raw
 * user pointer: it holds an address it hands to copyin/copyout, which check
 * it again at each copy. */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* The one gate for user pointers: the range [uptr, uptr+n) must be non-null,
 * not wrap, lie wholly in the user half and be mapped user-accessible (and
 * writable when write is set) in the current address space. A syscall may
 * also call it up front to refuse a bad pointer before it changes anything
 * (then a later copy fails only if the mapping went away meanwhile).
 * Each returns 0 or -EFAULT. */
int user_range_ok(uint64_t uptr, uint64_t n, bool write);
int copyin(void *dst, uint64_t usrc, uint64_t n);
int copyout(uint64_t udst, const void *src, uint64_t n);
/* Copy a NUL-terminated string of at most max-1 bytes: 0, -EFAULT, or
 * -ENAMETOOLONG when no terminator is found within max bytes. */
int copyinstr(char *dst, uint64_t usrc, size_t max);

/* The buffer of a read or write: memory of the current process (user: every
 * copy goes through copyin/copyout) or kernel memory (in-kernel callers). */
struct iobuf {
    uint64_t addr;
    uint64_t len;
    bool user;
};

static inline struct iobuf iobuf_user(uint64_t uaddr, uint64_t len)
{
    return (struct iobuf){ uaddr, len, true };
}

static inline struct iobuf iobuf_kernel(const void *p, uint64_t len)
{
    return (struct iobuf){ (uint64_t)(uintptr_t)p, len, false };
}

/* Copy n bytes from src into the buffer at offset off: 0 or -EFAULT (a bad
 * user page, or past the buffer's end). */
int iobuf_copyout(const struct iobuf *b, uint64_t off, const void *src, uint64_t n);
/* Copy n bytes of the buffer at offset off to dst: 0 or -EFAULT. */
int iobuf_copyin(void *dst, const struct iobuf *b, uint64_t off, uint64_t n);
