#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "lib/machine.h"
#include "lib/profile.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUGCON_PORT 0xe9

void machine_debug_write(const void *buf, size_t n)
{
    __asm__ volatile("rep outsb" : "+S"(buf), "+c"(n) : "d"(DEBUGCON_PORT) : "memory");
}

void machine_exit(uint32_t code)
{
    /* A coverage build hands over its counters first (a no-op otherwise). */
    profile_dump();
    outl(DEBUG_EXIT_PORT, code);
    /* The device write is asynchronous under TCG: park until QEMU stops us. */
    cpu_halt_forever();
}

uint64_t machine_irq_save(void)
{
    return irq_save();
}

void machine_irq_restore(uint64_t flags)
{
    irq_restore(flags);
}
