#pragma once
#include <stdint.h>

/* Broken invariant: print "KERNEL PANIC: ...", a backtrace, exit QEMU with 2. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* Print "#   bt: 0x..." lines for return addresses found on the stack from sp up. */
void backtrace_from(uint64_t sp, uint64_t stack_top);
void backtrace_here(void);

#define KASSERT(cond) do { if (!(cond)) panic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__); } while (0)
