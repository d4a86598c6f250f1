#include "arch/x86_64/tsc.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/irq.h"
#include "lib/printf.h"
#include "lib/panic.h"

#define PIT_CH2      0x42
#define PIT_CMD      0x43
#define PORT_B       0x61            /* bit 0: channel 2 gate, bit 1: speaker, bit 5: OUT2 */
#define PIT_HZ       1193182u
#define WINDOW_MS    10
#define RUNS         5

static uint64_t rate_per_ms;
static uint64_t tsc_at_calibration;

/* The PIT's channel-0 ticks are the clock's authority: a calibration window
 * stretched by a host that deschedules the guest (TCG on a loaded machine)
 * would otherwise stretch every millisecond after it. The TSC only fills in
 * the time since the last tick (and carries the clock while interrupts are
 * off). */
static volatile uint64_t ticks_seen;     /* ticks counted by tsc_on_tick */
static volatile uint64_t tsc_at_tick;    /* TSC at the last of them */
static uint64_t ms_at_first_tick;        /* TSC-derived ms when ticking began */
static uint64_t last_ms;                 /* never run backwards */

static void tsc_on_tick(void)
{
    uint64_t now = rdtsc();
    if (ticks_seen == 0)
        ms_at_first_tick = (now - tsc_at_calibration) / rate_per_ms;
    tsc_at_tick = now;
    ticks_seen = ticks_seen + 1;
}

/* TSC ticks over one WINDOW_MS count of channel 2 (mode 0: OUT2 rises at
 * zero); 0 when the PIT never answered. */
static uint64_t measure_window(void)
{
    const uint16_t count = (uint16_t)(PIT_HZ / 1000 * WINDOW_MS);
    uint8_t gate = inb(PORT_B);
    outb(PORT_B, (uint8_t)((gate & ~0x02) | 0x01));    /* gate on, speaker off */
    outb(PIT_CMD, 0xb0);                              /* channel 2, lobyte/hibyte, mode 0 */
    outb(PIT_CH2, (uint8_t)count);
    outb(PIT_CH2, (uint8_t)(count >> 8));
    uint64_t start = rdtsc();
    uint64_t spins = 0;
    while (!(inb(PORT_B) & 0x20) && ++spins < 100000000ULL)
        ;
    uint64_t delta = rdtsc() - start;
    outb(PORT_B, gate);
    return spins < 100000000ULL ? delta : 0;
}

void tsc_calibrate(void)
{
    /* The median of several windows: a host that deschedules the guest in
     * one of them (TCG on a loaded machine) stretches only that one. */
    uint64_t d[RUNS];
    for (int i = 0; i < RUNS; i++) {
        uint64_t v = measure_window();
        int j = i;
        for (; j > 0 && d[j - 1] > v; j--)
            d[j] = d[j - 1];
        d[j] = v;
    }
    rate_per_ms = d[RUNS / 2] / WINDOW_MS;
    if (rate_per_ms == 0) {
        rate_per_ms = 1000000;      /* no PIT answer: assume 1 GHz */
        kprintf("kos: TSC calibration got no answer from the PIT, assuming 1 GHz\n");
    }
    tsc_at_calibration = rdtsc();
    timer_on_tick(tsc_on_tick);
}

uint64_t tsc_per_ms(void)
{
    return rate_per_ms;
}

uint64_t tsc_now_ms(void)
{
    if (!rate_per_ms)
        panic("tsc_now_ms called before tsc_calibrate");
    uint64_t n, at, ms;
    do {                        /* a tick may land between the two reads */
        n = ticks_seen;
        at = tsc_at_tick;
    } while (n != ticks_seen);
    uint64_t now = rdtsc();
    unsigned hz = timer_hz();
    if (n == 0 || hz == 0)
        ms = (now - tsc_at_calibration) / rate_per_ms;
    else
        ms = ms_at_first_tick + (n - 1) * 1000 / hz + (now > at ? (now - at) / rate_per_ms : 0);
    if (ms < last_ms)
        ms = last_ms;
    last_ms = ms;
    return ms;
}
