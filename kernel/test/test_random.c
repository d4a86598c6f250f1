/* lib/random: the ChaCha20 block function against RFC 8439 2.3.2, and the
 * generator's output not repeating. */
#include "test/ktest.h"
#include "lib/random.h"
#include "lib/string.h"

static bool test_chacha20_rfc8439_vector(void)
{
    uint32_t key[8];
    for (int i = 0; i < 8; i++)
        key[i] = (uint32_t)(4 * i) | (uint32_t)(4 * i + 1) << 8 | (uint32_t)(4 * i + 2) << 16 |
                 (uint32_t)(4 * i + 3) << 24;
    const uint32_t nonce[3] = {0x09000000, 0x4a000000, 0};
    static const uint8_t want[16] = {0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
                                     0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4};
    static const uint8_t want_tail[4] = {0xa2, 0x50, 0x3c, 0x4e};
    uint8_t out[64];
    chacha20_block(key, 1, nonce, out);
    KT_EXPECT(memcmp(out, want, sizeof want) == 0);
    KT_EXPECT(memcmp(out + 60, want_tail, sizeof want_tail) == 0);
    return true;
}

static bool test_random_not_repeating(void)
{
    uint8_t a[64], b[64];
    random_bytes(a, sizeof a);
    random_bytes(b, sizeof b);
    KT_EXPECT(memcmp(a, b, sizeof a) != 0);
    /* Roughly half the bits set: a stuck generator (all 0 or 1) fails. */
    int ones = 0;
    for (size_t i = 0; i < sizeof a; i++)
        for (int k = 0; k < 8; k++)
            ones += (a[i] >> k) & 1;
    KT_EXPECT(ones > 160 && ones < 352);
    KT_EXPECT(random_u64() != random_u64());
    return true;
}

KTEST_SUITE(random,
    KTEST_CASE("chacha20_rfc8439_vector", test_chacha20_rfc8439_vector),
    KTEST_CASE("random_not_repeating", test_random_not_repeating),
);
