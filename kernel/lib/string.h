#pragma once
#include <stddef.h>
/* memcpy ... strstr: shared with the user C library. */
#include "kos/string.h"

/* Copies at most n-1 bytes and always terminates (n > 0). Returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t n);
