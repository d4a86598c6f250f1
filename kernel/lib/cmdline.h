#pragma once
#include <stddef.h>
#include <stdbool.h>

/* The kernel command line: space-separated key=value words. */
void cmdline_init(const char *text);
/* Copies the value of key into buf (n bytes); returns false when key is absent. */
bool cmdline_get(const char *key, char *buf, size_t n);
const char *cmdline_text(void);
