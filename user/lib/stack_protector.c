/* The stack protector of user programs (-fstack-protector-strong,
 * -mstack-protector-guard=global): crt0 gives every new program image its
 * own canary from getrandom before main; fork keeps the parent's. */
#include "sys.h"
#include <stdint.h>

uint64_t __stack_chk_guard = 0x00000aff0a0dff00ULL;

__attribute__((no_stack_protector)) void __stack_guard_init(void)
{
    uint64_t g = 0;
    if (getrandom(&g, sizeof g, 0) != (long)sizeof g) {
        /* No kernel randomness: the TSC is still different every run. */
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        g = (((uint64_t)hi << 32) | lo) * 0x9e3779b97f4a7c15ULL;
    }
    __stack_chk_guard = g & ~0xffULL;
}

/* A frame's canary was overwritten: say so on stderr, then stop with an
 * invalid instruction, which the kernel reports as the process's fault. */
__attribute__((no_stack_protector, noreturn)) void __stack_chk_fail(void)
{
    static const char msg[] = "*** stack smashing detected ***: terminated\n";
    write(2, msg, sizeof msg - 1);
    for (;;)
        __asm__ volatile("ud2");
}
