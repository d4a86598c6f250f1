/* The syscall fuzzer as a test case: WORKERS processes make CALLS syscalls
 * each with numbers and arguments drawn from a seeded generator (argv[1]):
 * zero, -1, random words, pointers into mapped, unmapped, read-only,
 * PROT_NONE, kernel and non-canonical memory, buffers that run into a
 * guard page, huge lengths. One worker in four first takes nearly all free
 * memory, so the others run into -ENOMEM paths too. The kernel must answer
 * every call (invalid numbers with -ENOSYS), every worker must finish, and
 * once they are reaped the free page count must be back where it started.
 *
 * Only what would stop the fuzzer itself is steered: no exit, no reading a
 * console or a pipe that can never get data, short sleeps, kill only of
 * processes that do not exist, no exec of a real program, no files created
 * outside /tmp/fuzz*, and mprotect/munmap kept off the worker's own image,
 * stack and scratch buffer (all of which the kernel must survive anyway). */
#include "libc.h"
#include "ktap.h"

#define WORKERS 4
#define CALLS 8000
#define SCRATCH (64 * 1024)
#define PAGE 4096UL
#define MMAP_BASE 0x100000000000UL
#define STACK_LOW 0x00007fffff000000UL      /* below the user stack and its guard */

static unsigned char scratch[SCRATCH] __attribute__((aligned(4096)));
static uint64_t rng;

static uint64_t next(void)
{
    /* xorshift64*: small, seeded, the same sequence every run. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static const char *const paths[] = {
    "/tmp/fuzz0", "/tmp/fuzz1", "/proc/kstat", "/", "", "/bin/hello", "//", "/../x", "/bin/no_such",
    "/tmp/fuzz0/", "/bin", "/badelf/truncated.elf",
};
#define NPATHS (int)(sizeof paths / sizeof paths[0])
static char long_path[400];

static char *prot_none_page, *read_only_page;

static bool is_known_path(uint64_t v)
{
    for (int i = 0; i < NPATHS; i++)
        if (v == (uint64_t)paths[i])
            return true;
    return v == (uint64_t)long_path;
}

static uint64_t hostile_arg(void)
{
    uint64_t r = next();
    switch (r % 15) {
    case 0: return 0;
    case 1: return (uint64_t)-1;
    case 2: return (r >> 8) % 64;
    case 3: return next();
    case 4: return (uint64_t)scratch + (r >> 8) % SCRATCH;
    case 5: return (uint64_t)scratch + SCRATCH - (r >> 8) % 64;     /* runs off the end */
    case 6: return (r & 256) ? 0xffffffff80000000UL + ((r >> 12) % 512) * PAGE : 0xffff800000000000UL + ((r >> 12) % 4096) * PAGE;
    case 7: return (r & 256) ? 0x0000800000000000UL : (0x8000000000000000UL | (r >> 4));
    case 8: return 0x6fff00000000UL + ((r >> 8) % 1024) * PAGE;   /* never mapped */
    case 9: return (r & 256) ? (uint64_t)long_path : (uint64_t)paths[(r >> 9) % NPATHS];
    case 10: { static const uint64_t big[] = { 1UL << 63, (uint64_t)-4096, 1UL << 40, 0x600000000000UL, 1UL << 32 };
               return big[(r >> 8) % 5]; }
    case 11: return MMAP_BASE + ((r >> 8) % 8192) * PAGE;
    case 12: return (uint64_t)prot_none_page + (r >> 8) % PAGE;
    case 13: return (uint64_t)read_only_page + (r >> 8) % PAGE;
    default: return (r >> 8) % 0x10000;
    }
}

/* Numbers the kernel does not implement must say -ENOSYS; (1<<32)|1 would be
 * exit if the kernel truncated the number to 32 bits. */
static const long invalid_numbers[] = { 0, 64, 65, 100, 1000, 0x7fffffff, -1, (1L << 32) | SYS_exit, (1L << 32) | SYS_fork };
#define NINVALID (int)(sizeof invalid_numbers / sizeof invalid_numbers[0])

static long pick_number(void)
{
    uint64_t r = next() % 40;
    if (r < 33) {
        long nr = 2 + (long)r;     /* 2..34 */
        if (nr == SYS_socket)
            nr = SYS_getrandom;    /* no sockets: a blocking recv would stop the worker */
        return nr;
    }
    if (r < 35)
        return SYS_getrandom;
    return -2;     /* an invalid number */
}

/* Keep the fuzzer running: see the comment at the top. */
static void steer(long nr, uint64_t a[6])
{
    switch (nr) {
    case SYS_sleep:
        a[0] %= 3;
        break;
    case SYS_kill:
        a[0] = 100000 + (a[0] % 1000);     /* never a live process */
        break;
    case SYS_exec:
        if (is_known_path(a[0]))
            a[0] = (uint64_t)"/bin/no_such";
        break;
    case SYS_open:
        if (!is_known_path(a[0]) || a[0] == (uint64_t)paths[2])
            a[1] &= ~(uint64_t)O_CREAT;
        break;
    case SYS_log:
        a[0] = (a[0] & 1) ? (uint64_t)"fuzz" : 0xffff800000000000UL;
        a[1] %= 5;
        break;
    case SYS_mprotect:
    case SYS_munmap:
        /* Off the image and scratch (below the mmap region) and the stack
         * (above it); unaligned and kernel-half starts stay as they are. */
        if ((a[0] & (PAGE - 1)) == 0 && (a[0] < MMAP_BASE || (a[0] >= STACK_LOW && a[0] < 0x800000000000UL)))
            a[0] = MMAP_BASE + (a[0] % 1024) * PAGE;
        if (a[0] >= MMAP_BASE && a[0] < STACK_LOW && a[1] > STACK_LOW - a[0])
            a[1] = STACK_LOW - a[0];
        break;
    default:
        break;
    }
}

/* What a call left behind that would stop the fuzzer: a fork child, a pipe
 * whose write end we hold. */
static void after(long nr, const uint64_t a[6], long ret)
{
    if (nr == SYS_fork && ret == 0)
        exit(0);
    if (nr == SYS_pipe && ret == 0) {
        /* The fuzzed buffer may be unaligned: copy it out rather than read an int through it. */
        int fds[2];
        memcpy(fds, (const void *)a[0], sizeof fds);
        close(fds[1]);     /* reads of the other end now end at EOF */
    }
}

/* Takes free memory in shrinking chunks until nothing more is given, then
 * hands back about 1 MiB for the kernel's own needs (stacks, tables). */
static long hog_memory(void)
{
    long pages = 0;
    char *first = NULL;
    unsigned long first_len = 0;
    for (unsigned long chunk = 64UL << 20; chunk >= PAGE; chunk /= 4) {
        for (;;) {
            char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
            if (p == MAP_FAILED)
                break;
            pages += (long)(chunk / PAGE);
            if (!first) {
                first = p;
                first_len = chunk;
            }
        }
    }
    /* Give back up to 1 MiB of the first mapping (munmap takes part of one). */
    unsigned long back = first_len < 256 * PAGE ? first_len : 256 * PAGE;
    if (first && munmap(first, back) == 0)
        pages -= (long)(back / PAGE);
    return pages;
}

static int worker(int index, int ready_fd, int go_fd)
{
    rng = rng * 31 + (uint64_t)index * 0x9E3779B97F4A7C15ULL + 1;
    memset(scratch, 'A', sizeof scratch);        /* every page our own before memory runs out */
    memset(long_path, 'a', sizeof long_path);
    long_path[0] = '/';
    prot_none_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
    read_only_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
    /* Reading /proc/kstat writes its buffer: make that page ours while memory is free. */
    kstat_get("free_pages");
    long report[2] = { 0, 0 };
    if (index == WORKERS - 1) {
        report[0] = hog_memory();       /* forked last: the others own their pages */
        report[1] = kstat_get("free_pages");
    }
    write(ready_fd, report, sizeof report);
    char c;
    read(go_fd, &c, 1);
    for (int fd = 0; fd < 16; fd++)
        close(fd);       /* no console to block on, no control pipes to break */
    int bad = 0;
    for (int i = 0; i < CALLS; i++) {
        long nr = pick_number();
        uint64_t a[6];
        for (int j = 0; j < 6; j++)
            a[j] = hostile_arg();
        if (nr == -2) {
            long inv = invalid_numbers[next() % NINVALID];
            if (syscall6(inv, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]) != -ENOSYS)
                bad++;
            continue;
        }
        /* The worker holding nearly all memory does not fork: a fork shares
         * its pages copy-on-write again, and its next stack write would need
         * a page that is not there (the kernel then kills it for lack of
         * memory, correctly, but the run loses the worker that holds memory). */
        if (index == WORKERS - 1 && nr == SYS_fork)
            nr = SYS_getpid;
        steer(nr, a);
        long ret = syscall6(nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
        after(nr, a, ret);
    }
    /* Reap what our forks left. */
    int st;
    while (waitpid(-1, &st, 0) > 0)
        ;
    unlink("/tmp/fuzz0");
    unlink("/tmp/fuzz1");
    return bad ? 3 : 0;
}

static uint64_t parse_seed(const char *s)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? parse_seed(argv[1]) : 1;
    ktap_begin("syscall_fuzz", 5);
    ktap_diag("seed %lu, %d workers x %d calls, the last holds nearly all memory", (unsigned long)seed, WORKERS, CALLS);
    rng = seed * 0x9E3779B97F4A7C15ULL + 0x1234567;
    long before = kstat_get("free_pages") + kstat_last("kernel_table_pages");
    long tick0 = kstat_last("ticks");
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    long pids[WORKERS], report[WORKERS][2];
    for (int i = 0; i < WORKERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            exit(worker(i, ready[1], go[0]));
        read(ready[0], report[i], sizeof report[i]);      /* one at a time: the hog fills memory last */
    }
    long held = report[WORKERS - 1][0], free_left = report[WORKERS - 1][1];     /* as the hog saw it */
    char go_bytes[WORKERS];
    memset(go_bytes, 'g', sizeof go_bytes);
    write(go[1], go_bytes, sizeof go_bytes);
    int exited_ok = 0, enosys_bad = 0, statuses[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        statuses[i] = -1;
        waitpid(pids[i], &statuses[i], 0);
        if (WIFEXITED(statuses[i]) && WEXITSTATUS(statuses[i]) == 0)
            exited_ok++;
        if (WIFEXITED(statuses[i]) && WEXITSTATUS(statuses[i]) == 3)
            enosys_bad++;
    }
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    long after_pages = kstat_get("free_pages") + kstat_last("kernel_table_pages");
    long ticks = kstat_last("ticks") - tick0;
    for (int i = 0; i < WORKERS; i++)
        ktap_diag("worker %d (pid %ld): status 0x%x", i, pids[i], statuses[i]);
    ktap_diag("%d calls in %ld ticks; free pages %ld before, %ld after", WORKERS * CALLS, ticks, before, after_pages);
    ktap_diag("worker %d held %ld pages while the others fuzzed; %ld pages were left free", WORKERS - 1, held, free_left);
    /* Nearly all: the hog leaves about 1 MiB, the kernel needs some for itself. */
    ktap_ok(held * 10 >= before * 9 && free_left >= 0 && free_left < 1024, "one_worker_holds_nearly_all_memory");
    KTAP_EXPECT_EQ("every_worker_finished_its_calls", exited_ok, WORKERS);
    KTAP_EXPECT_EQ("invalid_numbers_return_enosys", enosys_bad, 0);     /* a worker exits 3 otherwise */
    KTAP_EXPECT_EQ("no_page_leaked", after_pages, before);
    KTAP_EXPECT_EQ("every_process_reaped", kstat_last("user_procs"), 1);
    return ktap_done();
}
