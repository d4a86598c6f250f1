/* lib/: string and formatting helpers. */
#include "test/ktest.h"
#include "lib/string.h"
#include "lib/printf.h"
#include <stdint.h>

static bool test_memset_memcmp(void)
{
    char a[16], b[16];
    memset(a, 'x', sizeof a);
    memset(b, 'x', sizeof b);
    KT_EXPECT_EQ(memcmp(a, b, sizeof a), 0);
    b[7] = 'y';
    KT_EXPECT(memcmp(a, b, sizeof a) < 0);
    KT_EXPECT(memcmp(b, a, sizeof a) > 0);
    KT_EXPECT_EQ(memcmp(a, b, 7), 0);
    return true;
}

static bool test_memmove_overlap(void)
{
    char buf[16] = "abcdefghij";
    memmove(buf + 2, buf, 8);
    KT_EXPECT(memcmp(buf, "ababcdefgh", 10) == 0);
    char buf2[16] = "abcdefghij";
    memmove(buf2, buf2 + 3, 7);
    KT_EXPECT(memcmp(buf2, "defghij", 7) == 0);
    return true;
}

static bool test_strings(void)
{
    KT_EXPECT_EQ(strlen(""), 0);
    KT_EXPECT_EQ(strlen("kernel"), 6);
    KT_EXPECT_EQ(strcmp("abc", "abc"), 0);
    KT_EXPECT(strcmp("abc", "abd") < 0);
    KT_EXPECT(strcmp("abcd", "abc") > 0);
    KT_EXPECT_EQ(strncmp("abcx", "abcy", 3), 0);
    KT_EXPECT(strncmp("abcx", "abcy", 4) < 0);
    const char *s = "a/b/c";
    KT_EXPECT(strchr(s, '/') == s + 1);
    KT_EXPECT(strchr(s, 'z') == NULL);
    KT_EXPECT(strchr(s, 0) == s + 5);
    char small[4];
    KT_EXPECT_EQ(strlcpy(small, "overflow", sizeof small), 8);
    KT_EXPECT(strcmp(small, "ove") == 0);
    return true;
}

static bool test_printf_integers(void)
{
    char buf[64];
    ksnprintf(buf, sizeof buf, "%d %i %u", -42, 17, 3000000000u);
    KT_EXPECT(strcmp(buf, "-42 17 3000000000") == 0);
    ksnprintf(buf, sizeof buf, "%x %X %lx", 0xbeefu, 0xbeefu, (unsigned long)0xffffffff80001000ULL);
    KT_EXPECT(strcmp(buf, "beef BEEF ffffffff80001000") == 0);
    ksnprintf(buf, sizeof buf, "%ld %lu %llu", (long)INT64_MIN, (unsigned long)UINT64_MAX, 12345ULL);
    KT_EXPECT(strcmp(buf, "-9223372036854775808 18446744073709551615 12345") == 0);
    return true;
}

static bool test_printf_width_padding(void)
{
    char buf[64];
    ksnprintf(buf, sizeof buf, "[%5d][%-5d][%05d][%08x]", 42, 42, -42, 0x1fu);
    KT_EXPECT(strcmp(buf, "[   42][42   ][-0042][0000001f]") == 0);
    ksnprintf(buf, sizeof buf, "[%s][%6s][%-6s][%.2s][%c][%%]", "hi", "hi", "hi", "hello", 'z');
    KT_EXPECT(strcmp(buf, "[hi][    hi][hi    ][he][z][%]") == 0);
    ksnprintf(buf, sizeof buf, "%p", (void *)0x1000);
    KT_EXPECT(strcmp(buf, "0x1000") == 0);
    ksnprintf(buf, sizeof buf, "%s", (char *)NULL);
    KT_EXPECT(strcmp(buf, "(null)") == 0);
    return true;
}

static bool test_printf_truncation(void)
{
    char buf[8];
    memset(buf, 'Z', sizeof buf);
    int n = ksnprintf(buf, 5, "%s", "truncated");
    KT_EXPECT_EQ(n, 9);                 /* would-be length, like snprintf */
    KT_EXPECT(strcmp(buf, "trun") == 0);
    KT_EXPECT_EQ(buf[5], 'Z');          /* nothing written past n */
    KT_EXPECT_EQ(ksnprintf(NULL, 0, "%d", 12345), 5);
    return true;
}

KTEST_SUITE(lib,
    KTEST_CASE("memset_memcmp", test_memset_memcmp),
    KTEST_CASE("memmove_overlap", test_memmove_overlap),
    KTEST_CASE("strings", test_strings),
    KTEST_CASE("printf_integers", test_printf_integers),
    KTEST_CASE("printf_width_padding", test_printf_width_padding),
    KTEST_CASE("printf_truncation", test_printf_truncation),
);
