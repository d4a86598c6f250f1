/* getrandom(37): lengths, distinct draws, bad pointers and flags. */
#include "libc.h"
#include "ktap.h"

int main(void)
{
    ktap_begin("random_test", 8);
    unsigned char a[32], b[32];
    KTAP_EXPECT_EQ("getrandom_32", getrandom(a, sizeof a, 0), 32);
    KTAP_EXPECT_EQ("getrandom_nonblock", getrandom(b, sizeof b, GRND_NONBLOCK), 32);
    ktap_ok(memcmp(a, b, sizeof a) != 0, "two_draws_differ");
    KTAP_EXPECT_EQ("getrandom_zero_len", getrandom(a, 0, 0), 0);
    KTAP_EXPECT_EQ("getrandom_null_efault", getrandom((void *)0, 16, 0), -EFAULT);
    KTAP_EXPECT_EQ("getrandom_kernel_efault", getrandom((void *)0xffffffff80000000UL, 16, 0), -EFAULT);
    KTAP_EXPECT_EQ("getrandom_bad_flags", getrandom(a, 16, 4), -EINVAL);
    static unsigned char big[8192];
    long n = getrandom(big, sizeof big, GRND_RANDOM);
    int zeros = 0;
    for (unsigned i = 0; i < sizeof big; i++)
        zeros += big[i] == 0;
    /* 8192 uniform bytes hold about 32 zeros; a short or unfilled buffer many more. */
    ktap_ok(n == (long)sizeof big && zeros < 100, "getrandom_8k_filled");
    ktap_diag("first bytes %02x%02x%02x%02x", a[0], a[1], a[2], a[3]);
    return ktap_done();
}
