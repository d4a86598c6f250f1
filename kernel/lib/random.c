/* Kernel random source. See random.h. */
#include "lib/random.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "lib/machine.h"
#include "lib/cmdline.h"
#include "kos/chacha20.h"

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64])
{
    uint32_t s[16] = {KOS_CHACHA20_CONST0, KOS_CHACHA20_CONST1, KOS_CHACHA20_CONST2, KOS_CHACHA20_CONST3};
    for (int i = 0; i < 8; i++)
        s[4 + i] = key[i];
    s[12] = counter;
    for (int i = 0; i < 3; i++)
        s[13 + i] = nonce[i];
    uint32_t x[16];
    kos_chacha20_core(s, x);
    for (int i = 0; i < 16; i++) {
        out[4 * i] = (uint8_t)x[i];
        out[4 * i + 1] = (uint8_t)(x[i] >> 8);
        out[4 * i + 2] = (uint8_t)(x[i] >> 16);
        out[4 * i + 3] = (uint8_t)(x[i] >> 24);
    }
}

static uint32_t key[8];
static uint64_t generation;     /* nonce: one per request */
static bool keyed, replay;

/* Folds 64 bits into the key; every input word touches two key words. */
static void mix(uint64_t v, int i)
{
    key[i & 7] ^= (uint32_t)v;
    key[(i + 3) & 7] = kos_rotl32(key[(i + 3) & 7], 5) + (uint32_t)(v >> 32);
}

/* Replaces the key with the first half of a block under the old key. */
static void rekey(void)
{
    static const uint32_t nonce[3] = {0x6b6f7321, 0x72656b79, 0};   /* "kos!" "reky" */
    uint8_t blk[64];
    chacha20_block(key, 0, nonce, blk);
    memcpy(key, blk, 32);
    memset(blk, 0, sizeof blk);
}

static void seed_once(void)
{
    if (keyed)
        return;
    keyed = true;
    char seed[128];
    if (cmdline_get("seed", seed, sizeof seed) && seed[0]) {
        /* Replay: only the text counts, so two runs draw the same bytes. */
        replay = true;
        for (size_t i = 0; seed[i]; i++)
            mix((uint64_t)(uint8_t)seed[i] << (8 * (i & 3)), (int)(i / 4));
        rekey();
        kprintf("random: seeded from seed= (replayable)\n");
        return;
    }
    int hw = 0;
    for (int i = 0; i < 16; i++) {
        uint64_t v;
        if (arch_rdseed64(&v) || arch_rdrand64(&v)) {
            mix(v, i);
            hw++;
        }
    }
    /* TSC jitter: the low bits of the time each rekey takes vary with the
     * emulator's and the host's scheduling; many rounds, each mixed in. */
    for (int i = 0; i < 64; i++) {
        uint64_t t0 = arch_cycles();
        rekey();
        mix(arch_cycles() - t0 + (t0 << 17), i);
    }
    rekey();
    kprintf("random: seeded from %s and TSC jitter\n",
            hw ? (arch_has_rdseed() ? "RDSEED" : "RDRAND") : "no hardware source");
}

bool random_is_replay(void)
{
    seed_once();
    return replay;
}

void random_bytes(void *buf, size_t n)
{
    uint64_t flags = machine_irq_save();     /* callers include interrupt handlers */
    seed_once();
    uint32_t nonce[3] = {(uint32_t)generation, (uint32_t)(generation >> 32), 0x72616e64};
    generation++;
    uint8_t blk[64];
    uint32_t ctr = 1;
    uint8_t *p = buf;
    while (n) {
        chacha20_block(key, ctr++, nonce, blk);
        size_t k = n < sizeof blk ? n : sizeof blk;
        memcpy(p, blk, k);
        p += k;
        n -= k;
    }
    rekey();        /* fast key erasure: past output cannot be recomputed */
    if (!replay) {
        uint64_t v;
        mix(arch_cycles(), 0);
        if (arch_rdrand64(&v))
            mix(v, 1);
    }
    memset(blk, 0, sizeof blk);
    machine_irq_restore(flags);
}

uint64_t random_u64(void)
{
    uint64_t v;
    random_bytes(&v, sizeof v);
    return v;
}
