/* Pipes: a producer/consumer moves 1 MiB with a checksum (the buffer is
 * 16 KiB, so both sides block many times); EOF when every writer is closed
 * (including copies inherited by fork); -EPIPE with no reader (SIGPIPE ignored); dup2 and
 * bad descriptors. */
#include "libc.h"
#include "ktap.h"

#define TOTAL (1024 * 1024)
#define CHUNK 3000              /* not a divisor of the pipe buffer */

static unsigned long checksum_update(unsigned long h, const unsigned char *p, long n)
{
    for (long i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3UL;
    return h;
}

static unsigned char pattern(long i)
{
    return (unsigned char)((i * 7 + (i >> 10)) & 0xff);
}

int main(void)
{
    ktap_begin("pipe", 12);
    int fds[2];
    KTAP_EXPECT_EQ("pipe_creates", pipe(fds), 0);
    ktap_ok(fds[0] >= 3 && fds[1] >= 3 && fds[0] != fds[1], "pipe_fds_distinct");

    int res[2];
    pipe(res);
    long producer = fork();
    if (producer == 0) {
        close(fds[0]);
        static unsigned char chunk[CHUNK];
        unsigned long h = 0xcbf29ce484222325UL;
        long sent = 0;
        while (sent < TOTAL) {
            long n = TOTAL - sent < CHUNK ? TOTAL - sent : CHUNK;
            for (long i = 0; i < n; i++)
                chunk[i] = pattern(sent + i);
            h = checksum_update(h, chunk, n);
            if (write(fds[1], chunk, (size_t)n) != n)
                exit(3);
            sent += n;
        }
        write(res[1], &h, sizeof h);
        exit(0);
    }
    close(fds[1]);
    static unsigned char buf[5000];
    unsigned long h = 0xcbf29ce484222325UL;
    long received = 0, n, reads = 0;
    bool order_ok = true;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        for (long i = 0; i < n; i++)
            if (buf[i] != pattern(received + i))
                order_ok = false;
        h = checksum_update(h, buf, n);
        received += n;
        reads++;
    }
    unsigned long sender_h = 0;
    read(res[0], &sender_h, sizeof sender_h);
    ktap_diag("received %ld bytes in %ld reads", received, reads);
    KTAP_EXPECT_EQ("one_mib_received", received, TOTAL);
    ktap_ok(order_ok && h == sender_h, "checksum_matches");
    KTAP_EXPECT_EQ("eof_after_writer_exits", n, 0);
    int st = -1;
    waitpid(producer, &st, 0);
    ktap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "producer_exit_ok");
    close(fds[0]);

    /* EOF waits for every writer, including a copy held by a child. */
    int p2[2];
    pipe(p2);
    long holder = fork();
    if (holder == 0) {
        close(p2[0]);
        sleep_ms(100);
        write(p2[1], "late", 4);
        exit(0);
    }
    close(p2[1]);
    char late[8] = {0};
    long got = 0;
    long halts0 = kstat_get("idle_halts");
    while ((n = read(p2[0], late + got, sizeof late - 1 - (size_t)got)) > 0)
        got += n;
    long halts1 = kstat_get("idle_halts");
    ktap_ok(got == 4 && memcmp(late, "late", 4) == 0, "eof_only_after_last_writer");
    /* Blocked in read while the writer sleeps: nothing runs, the CPU halts. */
    ktap_diag("idle halts while blocked in read: %ld -> %ld", halts0, halts1);
    ktap_ok(halts1 > halts0, "blocked_read_sleeps_cpu_halts");
    waitpid(holder, &st, 0);
    close(p2[0]);

    /* No reader: -EPIPE (SIGPIPE ignored here; the signals case covers it). */
    kos_signal(SIGPIPE, (void (*)(int))SIG_IGN, 0);
    int p3[2];
    pipe(p3);
    close(p3[0]);
    KTAP_EXPECT_EQ("write_without_reader_epipe", write(p3[1], "x", 1), -EPIPE);
    close(p3[1]);

    /* dup2 and the errors. */
    int p4[2];
    pipe(p4);
    KTAP_EXPECT_EQ("dup2_returns_new_fd", dup2(p4[1], 9), 9);
    close(p4[1]);
    write(9, "dup", 3);
    close(9);
    char d[4] = {0};
    long dn = read(p4[0], d, 3);
    ktap_ok(dn == 3 && memcmp(d, "dup", 3) == 0 && read(p4[0], d, 1) == 0, "dup2_copy_writes_and_closes");
    close(p4[0]);
    ktap_ok(dup2(42, 5) == -EBADF && dup2(0, 999) == -EBADF && pipe((int *)0x20000000UL) == -EFAULT,
            "bad_fds_and_pointers_refused");
    return ktap_done();
}
