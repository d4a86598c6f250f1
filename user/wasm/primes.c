/* A kos WebAssembly program in C (clang --target=wasm32 -mcpu=mvp): counts
 * primes with a sieve in linear memory and prints the count via env.print_i32. */
void print_i32(int v); /* host import env.print_i32 */

static unsigned char composite[10000];

int count_primes(int n)
{
    if (n > (int)sizeof composite)
        n = sizeof composite;
    int count = 0;
    for (int i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (int j = i * i; j < n; j += i)
            composite[j] = 1;
    }
    return count;
}

/* kos runs a module's "main" export, () -> i32 (0 = success). Plain C main
 * would get clang's (argc, argv) signature. */
__attribute__((export_name("main"))) int kos_main(void)
{
    int c = count_primes(10000);
    print_i32(c);
    return c == 1229 ? 0 : 1;
}

/* Primes in [lo, hi) by a segmented sieve: the slice of the distributed job
 * (`p2p job primes N`, user/p2p/core/job.c), which sends this module to
 * other peers. Base primes up to sqrt(hi) from a small sieve, then the range
 * in segments of SEGMENT numbers. hi <= 2^31 - 1; -1 for a bad range. */
#define SEGMENT 32768
#define BASE_MAX 46341 /* > sqrt(2^31) */

/* clang turns the clearing loops into calls of memset, which a module
 * without a C library must define itself (volatile: or this loop would
 * become a call of memset too). */
void *memset(void *dst, int c, unsigned long n)
{
    volatile unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

static unsigned char base_composite[BASE_MAX + 1];
static unsigned char segment[SEGMENT];
static int base_primes[4800];

int count_range(int lo, int hi)
{
    if (lo < 0 || hi < lo)
        return -1;
    if (lo < 2)
        lo = 2;
    if (hi <= lo)
        return 0;
    int root = 1;
    while ((long long)(root + 1) * (root + 1) < hi)
        root++;
    int nbase = 0;
    for (int i = 2; i <= root; i++)
        base_composite[i] = 0;
    for (int i = 2; i <= root; i++) {
        if (base_composite[i])
            continue;
        base_primes[nbase++] = i;
        for (int j = i * i; j <= root; j += i)
            base_composite[j] = 1;
    }
    int count = 0;
    for (long long a = lo; a < hi; a += SEGMENT) {
        long long b = a + SEGMENT < hi ? a + SEGMENT : hi;
        for (long long k = 0; k < b - a; k++)
            segment[k] = 0;
        for (int i = 0; i < nbase; i++) {
            long long p = base_primes[i], start = (a + p - 1) / p * p;
            if (start < p * p)
                start = p * p;
            for (long long m = start; m < b; m += p)
                segment[m - a] = 1;
        }
        for (long long k = 0; k < b - a; k++)
            count += !segment[k];
    }
    return count;
}
