#pragma once
#include <stdint.h>

/* -fstack-protector-strong -mstack-protector-guard=global: every function with
 * an array or an address-taken local keeps this value below its return address
 * and checks it before returning. boot.S sets it, per boot, before kmain. */
extern uint64_t __stack_chk_guard;
/* Where boot.S took the canary from: "rdrand" or "rdtsc" (no RDRAND). */
const char *stack_guard_source(void);
__attribute__((noreturn)) void __stack_chk_fail(void);
