/* poll(35) and O_NONBLOCK (fcntl 36) over pipes, UDP and TCP sockets:
 * readiness, timeouts, POLLHUP, POLLNVAL, EAGAIN; and no busy waiting: while
 * a child sleeps in poll, the idle loop's halt count grows and the child
 * uses (almost) no CPU. */
#include "libc.h"
#include "ktap.h"
#include "net.h"

int main(void)
{
    ktap_begin("poll_test", 17);
    int p[2];
    pipe(p);
    struct pollfd f[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    ktap_ok(poll(f, 2, 0) == 1 && f[0].revents == 0 && f[1].revents == POLLOUT, "pipe_empty_writable_not_readable");
    write(p[1], "x", 1);
    ktap_ok(poll(f, 1, 0) == 1 && f[0].revents == POLLIN, "pipe_readable_after_write");
    char b[64];
    read(p[0], b, 1);

    /* a timeout: nothing happens for 200 ms */
    long t0 = kstat_get("ticks"), hz = kstat_last("hz");
    long r = poll(f, 1, 200);
    long t1 = kstat_get("ticks");
    ktap_ok(r == 0 && (t1 - t0) * 1000 >= 200 * hz, "timeout_returns_0_after_200ms");

    /* O_NONBLOCK through fcntl */
    ktap_ok(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0 && (fcntl(p[0], F_GETFL, 0) & O_NONBLOCK), "fcntl_sets_o_nonblock");
    KTAP_EXPECT_EQ("nonblocking_pipe_read_eagain", read(p[0], b, 1), -EAGAIN);
    KTAP_EXPECT_EQ("fcntl_bad_cmd_einval", fcntl(p[0], 99, 0), -EINVAL);
    KTAP_EXPECT_EQ("fcntl_bad_fd_ebadf", fcntl(99, F_GETFL, 0), -EBADF);

    /* bad arguments */
    struct pollfd bad = {99, POLLIN, 0};
    ktap_ok(poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL, "closed_fd_pollnval");
    KTAP_EXPECT_EQ("bad_pointer_efault", poll((struct pollfd *)0xffffffff80100000UL, 1, 0), -EFAULT);
    KTAP_EXPECT_EQ("too_many_fds_einval", poll(f, 100000, 0), -EINVAL);

    /* a sleeping poller is woken by a write from another process, and the
     * CPU idles (halts) meanwhile */
    long halts0 = kstat_get("idle_halts");
    long pid = fork();
    if (pid == 0) {
        struct pollfd w = {p[0], POLLIN, 0};
        long n = poll(&w, 1, 5000);
        exit(n == 1 && w.revents == POLLIN ? 0 : 1);
    }
    sleep_ms(300);
    long halts1 = kstat_get("idle_halts");
    long child_ticks = kstat_proc_ticks(pid);
    write(p[1], "y", 1);
    int st;
    waitpid(pid, &st, 0);
    ktap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "poller_woken_by_write");
    ktap_ok(halts1 - halts0 >= 10 && child_ticks >= 0 && child_ticks <= 2, "no_busy_wait_idle_halts_grow");
    ktap_diag("idle halts +%ld during 300 ms, poller cpu ticks %ld", halts1 - halts0, child_ticks);

    /* POLLHUP once every writer is gone */
    close(p[1]);
    f[0].revents = 0;
    ktap_ok(poll(f, 1, 1000) == 1 && (f[0].revents & POLLHUP), "pipe_pollhup_after_writer_closes");

    /* UDP and TCP sockets over lo */
    long u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = sockaddr_ipv4(INADDR_LOOPBACK, 7200);
    bind((int)u, &ua, sizeof ua);
    struct pollfd us = {(int)u, POLLIN, 0};
    long before = poll(&us, 1, 0);
    sendto((int)u, "d", 1, 0, &ua, sizeof ua);
    ktap_ok(before == 0 && poll(&us, 1, 1000) == 1 && us.revents == POLLIN, "udp_readable_when_datagram_queued");
    long l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in ta = sockaddr_ipv4(INADDR_LOOPBACK, 7201);
    bind((int)l, &ta, sizeof ta);
    listen((int)l, 4);
    struct pollfd ls = {(int)l, POLLIN, 0};
    long lbefore = poll(&ls, 1, 0);
    long c = socket(AF_INET, SOCK_STREAM, 0);
    connect((int)c, &ta, sizeof ta);
    ktap_ok(lbefore == 0 && poll(&ls, 1, 1000) == 1 && ls.revents == POLLIN, "listener_readable_with_pending_connection");
    long a = accept((int)l, NULL, NULL);
    struct pollfd cs = {(int)c, POLLIN | POLLOUT, 0};
    long cr = poll(&cs, 1, 0);
    ktap_ok(cr == 1 && cs.revents == POLLOUT, "tcp_writable_not_readable");
    close((int)a);
    struct pollfd hs = {(int)c, POLLIN, 0};
    poll(&hs, 1, 1000);
    shutdown((int)c, SHUT_WR);
    struct pollfd hs2 = {(int)c, POLLIN, 0};
    ktap_ok((hs.revents & POLLIN) && poll(&hs2, 1, 1000) == 1 && (hs2.revents & POLLHUP),
            "tcp_eof_readable_then_pollhup_when_both_closed");
    close((int)c);
    close((int)l);
    close((int)u);
    close(p[0]);
    return ktap_done();
}
