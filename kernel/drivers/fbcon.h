#pragma once
#include <stddef.h>
#include <stdbool.h>

/* The screen console: when the boot loader set up a linear framebuffer
 * (boot_info.fb, multiboot2), console output is drawn there too with the
 * built-in font. Serial stays the console tests read. */
bool fbcon_init(void);
void fbcon_write(const char *s, size_t n);
