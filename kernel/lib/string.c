#include "lib/string.h"
#include <stdint.h>

/* String instructions: 8 bytes a step, then the tail (pages are copied and
 * zeroed on every fork, COW fault and pipe transfer). */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / 8, tail = n % 8;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) { return kos_memmove(dst, src, n); }

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    uint64_t pattern = 0x0101010101010101ULL * (unsigned char)c;
    size_t words = n / 8, tail = n % 8;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(pattern) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) { return kos_memcmp(a, b, n); }

size_t strlcpy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    if (n) {
        size_t c = len < n - 1 ? len : n - 1;
        memcpy(dst, src, c);
        dst[c] = 0;
    }
    return len;
}
