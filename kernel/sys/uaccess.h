#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* The one gate for user pointers: the range [uptr, uptr+n) must be non-null,
 * not wrap, lie wholly in the user half and be mapped user-accessible (and
 * writable when write is set) in the current address space. Single CPU, no
 * concurrent unmapping: after the check the copy cannot fault.
 * Each returns 0 or -EFAULT. */
int user_range_ok(uint64_t uptr, uint64_t n, bool write);
int copy_from_user(void *dst, uint64_t usrc, uint64_t n);
int copy_to_user(uint64_t udst, const void *src, uint64_t n);
/* Copy a NUL-terminated string of at most max-1 bytes: 0, -EFAULT, or
 * -ENAMETOOLONG when no terminator is found within max bytes. */
int strncpy_from_user(char *dst, uint64_t usrc, size_t max);
