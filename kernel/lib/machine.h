#pragma once
/* What the kernel library needs from the machine. Declared here so that
 * lib/ includes nothing from the layers above it; arch/x86_64/ implements
 * each one (cpu.c, exit.c, rng.c), and drivers/console.c implements
 * console_write (lib/printf.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Save the interrupt flag and disable interrupts; restore puts it back. */
uint64_t machine_irq_save(void);
void machine_irq_restore(uint64_t flags);

/* End the run: QEMU's isa-debug-exit (QEMU exits with (code << 1) | 1; 0
 * all passed, 1 failed, 2 panic), then halt with interrupts off. */
__attribute__((noreturn)) void machine_exit(uint32_t code);

/* Bytes to the debug console (QEMU's isa-debugcon, port 0xe9), a channel
 * beside the serial console: the coverage profile (lib/profile.h). */
void machine_debug_write(const void *buf, size_t n);

/* The CPU's entropy instructions (RDSEED, RDRAND) and cycle counter, for
 * the kernel's random source (lib/random.c). Which instructions CPUID
 * reports (checked once): */
bool arch_has_rdseed(void);
bool arch_has_rdrand(void);
/* One 64-bit value; false when the instruction is absent or gave up
 * (it may fail transiently: callers retry a few times, then do without). */
bool arch_rdseed64(uint64_t *out);
bool arch_rdrand64(uint64_t *out);
/* A free-running cycle counter (TSC): jitter samples. */
uint64_t arch_cycles(void);
