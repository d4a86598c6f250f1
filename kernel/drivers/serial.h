#pragma once
#include <stddef.h>
#include <stdint.h>

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
/* Non-blocking read: returns the byte, or -1 when nothing is waiting. */
int serial_getc(void);
/* Ctrl-C (0x03) on the console calls fn (from IRQ 4 or a reader's poll)
 * instead of reaching readers. Registering turns the receive interrupt on. */
void serial_on_interrupt_char(void (*fn)(void));
/* One received byte, as if it came from the UART (the IRQ path; tests). */
void serial_input_byte(uint8_t c);
