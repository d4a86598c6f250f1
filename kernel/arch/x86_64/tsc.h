#pragma once
/* The TSC as a millisecond clock, calibrated at boot against PIT channel 2
 * (channel 0 is the timer's). Under TCG both follow the host's clock. */
#include <stdint.h>

/* Measure the TSC rate; kmain calls it once, interrupts off. */
void tsc_calibrate(void);
/* TSC ticks per millisecond (the calibrated rate). */
uint64_t tsc_per_ms(void);
/* Milliseconds since tsc_calibrate: PIT ticks once the timer runs, the TSC
 * between them. */
uint64_t tsc_now_ms(void);
