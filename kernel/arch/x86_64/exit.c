#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "lib/machine.h"

#define DEBUG_EXIT_PORT 0xf4

void machine_exit(uint32_t code)
{
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
