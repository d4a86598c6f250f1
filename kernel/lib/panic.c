#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/machine.h"
#include <stdarg.h>

extern char _text_start[], _text_end[];

#define BT_MAX_FRAMES 16
#define BT_MAX_WORDS 2048

/* The kernel is built without frame pointers, so walk the stack words and
 * keep those pointing into .text just after a call instruction: return
 * addresses. A stale one can slip in; the CLI symbolizes whatever we print. */
static int looks_like_return_address(uint64_t v)
{
    if (v <= (uint64_t)_text_start + 5 || v >= (uint64_t)_text_end)
        return 0;
    const uint8_t *p = (const uint8_t *)v;
    if (p[-5] == 0xe8)                      /* call rel32 */
        return 1;
    if (p[-2] == 0xff && (p[-1] & 0x38) == 0x10)    /* call *%reg */
        return 1;
    if (p[-3] == 0xff && (p[-2] & 0x38) == 0x10)    /* call *disp8(%reg) */
        return 1;
    if (p[-6] == 0xff && (p[-5] & 0x38) == 0x10)    /* call *disp32(...) */
        return 1;
    return 0;
}

void backtrace_from(uint64_t sp, uint64_t stack_top)
{
    int frames = 0;
    sp &= ~7ULL;
    for (int i = 0; i < BT_MAX_WORDS && frames < BT_MAX_FRAMES; i++) {
        uint64_t addr = sp + (uint64_t)i * 8;
        if (stack_top && addr + 8 > stack_top)
            break;
        /* Never wander off the stack's page: an unmapped neighbour would fault. */
        if (!stack_top && ((addr ^ sp) & ~0xfffULL))
            break;
        uint64_t v = *(const uint64_t *)addr;
        if (looks_like_return_address(v)) {
            kprintf("#   bt: 0x%lx\n", v);
            frames++;
        }
    }
}

static uint64_t current_stack_top;

void backtrace_here(void)
{
    uint64_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    backtrace_from(sp, current_stack_top);
}

/* Set by the code that owns the current stack so backtraces know where it ends. */
void panic_set_stack_top(uint64_t top);
void panic_set_stack_top(uint64_t top)
{
    current_stack_top = top;
}

void panic(const char *fmt, ...)
{
    machine_irq_save();
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kprintf("KERNEL PANIC: %s\n", msg);
    backtrace_here();
    machine_exit(2);
}
