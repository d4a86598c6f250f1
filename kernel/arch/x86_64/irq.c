/* 8259A PIC pair (remapped to 32-47) and the 8254 PIT on IRQ 0, whose tick
 * runs the registered periodic jobs. */
#include "arch/x86_64/irq.h"
#include "arch/x86_64/io.h"
#include "lib/panic.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20
#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_FREQ 1193182u

static void (*handlers[16])(void);
static volatile uint64_t ticks;
static unsigned hz;

void pic_init(void)
{
    outb(PIC1_CMD, 0x11);   /* ICW1: init, ICW4 follows */
    io_wait();
    outb(PIC2_CMD, 0x11);
    io_wait();
    outb(PIC1_DATA, 32);    /* ICW2: vector offsets */
    io_wait();
    outb(PIC2_DATA, 40);
    io_wait();
    outb(PIC1_DATA, 4);     /* ICW3: slave on line 2 */
    io_wait();
    outb(PIC2_DATA, 2);
    io_wait();
    outb(PIC1_DATA, 1);     /* ICW4: 8086 mode */
    io_wait();
    outb(PIC2_DATA, 1);
    io_wait();
    outb(PIC1_DATA, 0xFB);  /* everything masked except the cascade line */
    outb(PIC2_DATA, 0xFF);
}

void irq_mask(int irq)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) | (uint8_t)(1u << (irq & 7)));
}

void irq_unmask(int irq)
{
    if (irq < 0 || irq > 15)
        panic("irq_unmask: no PIC line %d", irq);
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) & (uint8_t) ~(1u << (irq & 7)));
}

void irq_register(int irq, void (*handler)(void))
{
    if (irq < 0 || irq > 15)
        panic("irq_register: no PIC line %d", irq);
    handlers[irq] = handler;
}

void irq_dispatch(int irq)
{
    /* Spurious IRQ 7/15: the PIC withdrew the request, no EOI for that line. */
    if (irq == 7 || irq == 15) {
        outb(irq == 7 ? PIC1_CMD : PIC2_CMD, 0x0B);
        uint8_t isr = inb(irq == 7 ? PIC1_CMD : PIC2_CMD);
        if (!(isr & 0x80)) {
            if (irq == 15)
                outb(PIC1_CMD, PIC_EOI);
            return;
        }
    }
    if (handlers[irq])
        handlers[irq]();
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

/* Periodic jobs, called on every tick in the order they registered (the
 * scheduler first: proc_init runs before the subsystems). */
static void (*tick_hooks[TIMER_TICK_HOOKS])(void);

void timer_on_tick(void (*fn)(void))
{
    for (int i = 0; i < TIMER_TICK_HOOKS; i++)
        if (!tick_hooks[i]) {
            tick_hooks[i] = fn;
            return;
        }
    panic("timer_on_tick: more than %d hooks", TIMER_TICK_HOOKS);
}

static void timer_tick(void)
{
    ticks++;
    for (int i = 0; i < TIMER_TICK_HOOKS && tick_hooks[i]; i++)
        tick_hooks[i]();
}

void pit_init(unsigned rate)
{
    if (rate < 19 || rate > 10000)
        rate = 100;     /* the divisor must fit 16 bits; keep to a sane range */
    hz = rate;
    unsigned divisor = PIT_FREQ / rate;
    outb(PIT_CMD, 0x36);    /* channel 0, lobyte/hibyte, mode 3 */
    outb(PIT_CH0, divisor & 0xff);
    outb(PIT_CH0, (divisor >> 8) & 0xff);
    irq_register(0, timer_tick);
    irq_unmask(0);
}

uint64_t timer_ticks(void)
{
    return ticks;
}

unsigned timer_hz(void)
{
    return hz;
}
