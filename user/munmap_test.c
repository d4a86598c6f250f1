/* munmap and mmap cost what is mapped, not the length asked for, and give
 * up the CPU when they are long: while this process maps 64 MiB and unmaps
 * the whole mmap region (0x100000000000..0x700000000000, 96 TiB, the range
 * the fuzzer froze the kernel with) over and over, a CPU-bound child keeps
 * getting about its fair share and the timer keeps advancing. CPU ticks are
 * the kernel's accounting (/proc/kstat), charged also in kernel mode. */
#include "libc.h"
#include "ktap.h"

#define MAP_LEN (64UL << 20)
#define MAP_PAGES (MAP_LEN / 4096)
#define REGION_START 0x100000000000UL      /* MMAP_BASE .. MMAP_END (kernel/proc/proc.h) */
#define REGION_LEN   0x600000000000UL
#define WINDOW_TICKS 60                    /* measure over at least this many ticks */
#define MAX_ROUNDS 400

int main(void)
{
    ktap_begin("munmap", 7);
    const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;

    KTAP_EXPECT_EQ("munmap_user_half_outside_region_einval", munmap((void *)0, 0x800000000000UL), -EINVAL);
    /* Nothing mapped there yet: a walk over 96 TiB that finds nothing. */
    KTAP_EXPECT_EQ("munmap_empty_region", munmap((void *)REGION_START, REGION_LEN), 0);

    /* Exact accounting: unmapping frees every page mmap took. */
    long f0 = kstat_get("free_pages");
    char *p = mmap(NULL, MAP_LEN, rw, anon);
    long f1 = kstat_get("free_pages");
    if (p) {
        p[0] = 1;
        p[MAP_LEN - 1] = 1;
    }
    KTAP_EXPECT_EQ("munmap_whole_region", p ? munmap((void *)REGION_START, REGION_LEN) : -1, 0);
    long f2 = kstat_get("free_pages");
    ktap_diag("free pages: %ld before mmap, %ld after, %ld after munmap", f0, f1, f2);
    KTAP_EXPECT_EQ("munmap_frees_every_mapped_page", f2 - f1, (long)MAP_PAGES);

    long me = getpid();
    long ticker = fork();
    if (ticker == 0) {
        volatile unsigned long counter = 0;
        for (;;)
            counter++;
    }
    sched_yield();
    long t0 = kstat_get("ticks"), c0 = kstat_proc_ticks(ticker), m0 = kstat_proc_ticks(me);
    int rounds = 0;
    bool calls_ok = true;
    while (rounds < MAX_ROUNDS && kstat_get("ticks") - t0 < WINDOW_TICKS) {
        char *q = mmap(NULL, MAP_LEN, rw, anon);
        if (!q || munmap((void *)REGION_START, REGION_LEN) != 0)
            calls_ok = false;
        rounds++;
    }
    long t1 = kstat_get("ticks"), c1 = kstat_proc_ticks(ticker), m1 = kstat_proc_ticks(me);
    long mine = m1 - m0, its = c1 - c0, total = mine + its;
    ktap_diag("%d rounds of mmap 64 MiB + munmap 96 TiB in %ld ticks: this process %ld ticks, the spinner %ld",
              rounds, t1 - t0, mine, its);
    ktap_ok(calls_ok, "mmap_munmap_rounds_succeed");
    ktap_ok(t1 - t0 >= WINDOW_TICKS && rounds > 0, "timer_advances_during_the_rounds");
    /* Two CPU-bound processes: each within 25 % of half the ticks. */
    long d = its * 2 - total;
    if (d < 0)
        d = -d;
    ktap_ok(total > 0 && d * 4 <= total, "spinner_gets_its_fair_share");

    kill(ticker, SIGKILL);
    int status;
    waitpid(ticker, &status, 0);
    return ktap_done();
}
