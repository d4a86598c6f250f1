/* Blocking sockets sleep on the scheduler's wait queues (socket_blocking
 * case): while a process waits in recvfrom, the others keep running and an
 * idle CPU halts; a datagram wakes the receiver; a killed receiver ends at
 * once instead of at its timeout. Runs on e1000-user, where the guest is
 * 10.0.2.15: datagrams sent to that address are looped back inside the
 * guest, so no host peer is needed. */
#include "libc.h"
#include <kos/xorshift.h>
#include "ktap.h"
#include "net.h"

#define OWN_IP IPV4(10, 0, 2, 15)
#define WAKE_PORT 6100
#define KILL_PORT 6101
#define LONG_TIMEOUT_MS 60000   /* far longer than anything here should take */

static char kstat_text[6144];

/* State letter of pid in /proc/kstat ("proc PID PPID STATE TICKS NAME"),
 * 0 when it is not listed. */
static char proc_state(long pid)
{
    long fd = open("/proc/kstat", O_RDONLY);
    if (fd < 0)
        return 0;
    long len = 0, n;
    while (len < (long)sizeof kstat_text - 1 &&
           (n = read((int)fd, kstat_text + len, sizeof kstat_text - 1 - (size_t)len)) > 0)
        len += n;
    close((int)fd);
    kstat_text[len] = 0;
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "proc %ld ", pid);
    for (const char *line = kstat_text; *line;) {
        if (strncmp(line, prefix, (size_t)plen) == 0) {
            const char *p = line + plen;
            while (*p && *p != ' ')     /* skip PPID */
                p++;
            return *p == ' ' ? p[1] : 0;
        }
        while (*line && *line != '\n')
            line++;
        if (*line)
            line++;
    }
    return 0;
}

/* Waits (yielding) until pid sleeps; false if it never does. */
static bool wait_until_sleeping(long pid)
{
    for (int i = 0; i < 20000; i++) {
        if (proc_state(pid) == 'S')
            return true;
        sched_yield();
    }
    return false;
}

static long udp_socket_on(uint16_t port)
{
    long s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = sockaddr_ipv4(0, port);
    if (s >= 0 && bind((int)s, &a, sizeof a) < 0)
        return -1;
    return s;
}

/* A child that blocks in recvfrom; exits 0 when it got "wake!", 2 on other
 * data, 100 + errno when recvfrom failed (210 after -ETIMEDOUT). */
static long fork_receiver(long s)
{
    long pid = fork();
    if (pid == 0) {
        char buf[64];
        long r = recvfrom((int)s, buf, sizeof buf, 0, NULL, LONG_TIMEOUT_MS);
        if (r < 0)
            exit((int)(100 + (-r & 0x7f)));
        exit(r == 5 && memcmp(buf, "wake!", 5) == 0 ? 0 : 2);
    }
    return pid;
}

static unsigned long work_unit(unsigned long x)
{
    for (int i = 0; i < 20000; i++)
        kos_xorshift64(&x);
    return x;
}

int main(void)
{
    ktap_begin("net_block", 14);
    long hz = kstat_get("hz");
    if (hz <= 0)
        hz = 100;

    /* 1. A receiver blocked with a long timeout lets its parent compute. */
    long s = udp_socket_on(WAKE_PORT);
    ktap_ok(s >= 0, "socket_bound");
    long rx = fork_receiver(s);
    ktap_ok(rx > 0 && wait_until_sleeping(rx), "receiver_sleeps_in_recvfrom");
    long t0 = kstat_get("ticks"), rx_ticks0 = kstat_proc_ticks(rx);
    unsigned long x = 88172645463325252UL;
    long units = 0;
    /* Compute for 30 ticks of PIT time: with a receiver that held the CPU
     * in the kernel this loop would not run until its 60 s timeout. */
    for (long now = t0; now >= 0 && now - t0 < 30; now = kstat_get("ticks")) {
        x = work_unit(x);
        units++;
    }
    long t1 = kstat_get("ticks"), rx_ticks1 = kstat_proc_ticks(rx);
    int st = -1;
    long early = waitpid(rx, &st, WNOHANG);
    ktap_diag("parent computed %ld units (x=%lx) in %ld ticks; receiver used %ld ticks, state %c",
              units, x, t1 - t0, rx_ticks1 - rx_ticks0, proc_state(rx));
    ktap_ok(t0 >= 0 && t1 - t0 >= 30 && units > 0 && early == 0, "parent_runs_while_receiver_blocked");
    ktap_ok(rx_ticks1 >= 0 && (rx_ticks1 - rx_ticks0) * 2 < t1 - t0, "blocked_receiver_uses_little_cpu");

    /* 2. A datagram to our own address wakes it. */
    long tx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = sockaddr_ipv4(OWN_IP, WAKE_PORT);
    KTAP_EXPECT_EQ("send_to_own_address", sendto((int)tx, "wake!", 5, 0, &to, sizeof to), 5);
    st = -1;
    KTAP_EXPECT_EQ("receiver_reaped", waitpid(rx, &st, 0), rx);
    ktap_diag("receiver wait status %d", st);
    ktap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "datagram_wakes_receiver");

    /* 3. The CPU halts while a receiver waits and nothing else runs, and a
     * killed receiver ends at once. */
    long ks = udp_socket_on(KILL_PORT);
    long victim = fork_receiver(ks);
    ktap_ok(victim > 0 && wait_until_sleeping(victim), "victim_sleeps_in_recvfrom");
    long halts0 = kstat_get("idle_halts"), v_ticks0 = kstat_proc_ticks(victim), s0 = kstat_last("ticks");
    uint64_t tsc0 = rdtsc();
    sleep_ms(300);
    long halts1 = kstat_get("idle_halts"), v_ticks1 = kstat_proc_ticks(victim), s1 = kstat_last("ticks");
    uint64_t tsc1 = rdtsc();
    /* The TSC keeps counting when interrupts are off (PIT ticks would not):
     * it times the kill below, calibrated against this sleep. */
    uint64_t tsc_per_tick = s1 > s0 ? (tsc1 - tsc0) / (uint64_t)(s1 - s0) : 0;
    ktap_diag("while the parent slept %ld ticks: idle halts %ld -> %ld, receiver ticks %ld -> %ld",
              s1 - s0, halts0, halts1, v_ticks0, v_ticks1);
    ktap_ok(halts1 > halts0 && (v_ticks1 - v_ticks0) * 2 < s1 - s0, "cpu_halts_while_receiver_blocked");
    uint64_t k0 = rdtsc();
    KTAP_EXPECT_EQ("kill_receiver", kill(victim, SIGKILL), 0);
    st = -1;
    KTAP_EXPECT_EQ("victim_reaped", waitpid(victim, &st, 0), victim);
    uint64_t k1 = rdtsc();
    long kill_ticks = tsc_per_tick ? (long)((k1 - k0) / tsc_per_tick) : -1;
    ktap_diag("killed receiver: wait status %d after %ld ticks of TSC time (its timeout: %d ms)", st,
              kill_ticks, LONG_TIMEOUT_MS);
    /* Status 9 is kill(); had the wait ignored the kill, the child would
     * have run to its timeout (60 s) and exited with 100 + ETIMEDOUT. */
    ktap_ok(WIFSIGNALED(st) && WTERMSIG(st) == WSIG_KILL && kill_ticks >= 0 && kill_ticks < hz * 10,
            "killed_receiver_ends_promptly");

    /* 4. A receive timeout still fires while the receiver sleeps, and this
     * process being the only one, the CPU halts meanwhile. */
    char buf[16];
    long h0 = kstat_get("idle_halts"), r0 = kstat_last("ticks");
    long r = recvfrom((int)ks, buf, sizeof buf, 0, NULL, 500);
    long h1 = kstat_get("idle_halts"), r1 = kstat_last("ticks");
    ktap_diag("500 ms receive timeout: %ld ticks, idle halts %ld -> %ld", r1 - r0, h0, h1);
    ktap_ok(r == -ETIMEDOUT && r1 - r0 >= hz / 4 && h1 > h0, "timeout_while_sleeping");
    /* The stack's clock (the TSC, calibrated at boot against PIT channel 2)
     * agrees with the PIT ticks: 500 ms is not 700 (both clocks follow the
     * host's time under TCG, so this holds on a loaded machine too). */
    ktap_ok(r1 - r0 <= hz * 5 / 8 + 2, "receive_timeout_not_stretched");

    close((int)s);
    close((int)ks);
    close((int)tx);
    return ktap_done();
}
