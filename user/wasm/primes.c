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
