#include "lib/stack_protector.h"
#include "lib/panic.h"

/* Replaced in boot.S before any protected function runs; this value only
 * shows in an image nobody booted. The low byte stays 0 so that a string
 * overflow that copies up to a NUL cannot write the canary back. */
uint64_t __stack_chk_guard = 0x00000aff0a0dff00ULL;
/* Set by boot.S: 1 when the canary came from RDRAND. */
uint8_t stack_guard_from_rdrand;

const char *stack_guard_source(void)
{
    return stack_guard_from_rdrand ? "rdrand" : "rdtsc";
}

__attribute__((no_stack_protector, noreturn)) void __stack_chk_fail(void)
{
    panic("stack smashing detected: a kernel stack frame's canary was overwritten (function returning to 0x%lx)",
          (unsigned long)(uintptr_t)__builtin_return_address(0));
}
