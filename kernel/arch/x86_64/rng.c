/* RDSEED / RDRAND (CPUID.07H:EBX[18] and CPUID.01H:ECX[30]) and the TSC. */
#include "lib/machine.h"
#include "arch/x86_64/cpu.h"

static int features = -1;   /* bit 0 rdrand, bit 1 rdseed */

static void detect(void)
{
    uint32_t a, b, c, d;
    int f = 0;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    uint32_t max = a;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (c & (1u << 30))
        f |= 1;
    if (max >= 7) {
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
        if (b & (1u << 18))
            f |= 2;
    }
    features = f;
}

bool arch_has_rdrand(void)
{
    if (features < 0)
        detect();
    return features & 1;
}

bool arch_has_rdseed(void)
{
    if (features < 0)
        detect();
    return (features & 2) != 0;
}

static bool rdrand_once(uint64_t *out)
{
    uint8_t ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
    return ok;
}

static bool rdseed_once(uint64_t *out)
{
    uint8_t ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
    return ok;
}

/* Both may fail transiently (carry clear): a few tries, then give up. */
static bool retry(bool present, bool (*once)(uint64_t *), uint64_t *out)
{
    for (int i = 0; present && i < 10; i++) {
        if (once(out))
            return true;
        __asm__ volatile("pause");
    }
    return false;
}

bool arch_rdrand64(uint64_t *out) { return retry(arch_has_rdrand(), rdrand_once, out); }
bool arch_rdseed64(uint64_t *out) { return retry(arch_has_rdseed(), rdseed_once, out); }

uint64_t arch_cycles(void) { return rdtsc(); }
