/* Null syscall round trip (getpid) timed with rdtsc over many iterations,
 * through the syscall instruction (what every wrapper uses) and through
 * the original int $0x80 gate. */
#include "libc.h"
#include "ktap.h"

#define ITERATIONS 20000

int main(void)
{
    ktap_begin("syscall_bench", 2);
    long pid = getpid();
    uint64_t start = rdtsc();
    for (int i = 0; i < ITERATIONS; i++)
        getpid();
    uint64_t per = (rdtsc() - start) / ITERATIONS;
    ktap_metric("null_syscall_cycles", per, "cycles");
    ktap_ok(pid > 0 && per > 0, "null_syscall_round_trip");
    long pid80 = syscall6_int80(SYS_getpid, 0, 0, 0, 0, 0, 0);
    start = rdtsc();
    for (int i = 0; i < ITERATIONS; i++)
        syscall6_int80(SYS_getpid, 0, 0, 0, 0, 0, 0);
    uint64_t per80 = (rdtsc() - start) / ITERATIONS;
    ktap_metric("null_syscall_int80_cycles", per80, "cycles");
    ktap_ok(pid80 == pid && per80 > 0, "null_syscall_int80_round_trip");
    return ktap_done();
}
