#pragma once
#include <stddef.h>

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
/* Non-blocking read: returns the byte, or -1 when nothing is waiting. */
int serial_getc(void);
