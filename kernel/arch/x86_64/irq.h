#pragma once
#include <stdint.h>

/* Legacy PIC lines 0-15, remapped to vectors 32-47. */
void pic_init(void);
void pit_init(unsigned hz);
void irq_register(int irq, void (*handler)(void));
void irq_unmask(int irq);
void irq_mask(int irq);
/* Called from trap_dispatch for vectors 32-47. */
void irq_dispatch(int irq);
/* Register fn to run on every PIT tick, in interrupt context with
 * interrupts off (the scheduler's accounting, the network stack's polling).
 * At most TIMER_TICK_HOOKS; more is a panic. */
#define TIMER_TICK_HOOKS 8
void timer_on_tick(void (*fn)(void));
/* Timer ticks since pit_init. */
uint64_t timer_ticks(void);
unsigned timer_hz(void);
