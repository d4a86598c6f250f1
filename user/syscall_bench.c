/* Null syscall round trip (getpid) timed with rdtsc over many iterations. */
#include "libc.h"
#include "ktap.h"

#define ITERATIONS 20000

int main(void)
{
    ktap_begin("syscall_bench", 1);
    long pid = getpid();
    uint64_t start = rdtsc();
    for (int i = 0; i < ITERATIONS; i++)
        getpid();
    uint64_t cycles = rdtsc() - start;
    uint64_t per = cycles / ITERATIONS;
    ktap_metric("null_syscall_cycles", per, "cycles");
    ktap_ok(pid > 0 && per > 0, "null_syscall_round_trip");
    return ktap_done();
}
