/* TCP and UDP over lo (127.0.0.1) in one guest: a forked client and a
 * server move 1 MiB each way with a checksum on both ends; the socket calls'
 * error paths (ECONNREFUSED, ECONNRESET, EPIPE, ENOTCONN, EISCONN,
 * EADDRINUSE, SO_REUSEADDR in TIME_WAIT, accept on a non-listening socket,
 * EAGAIN, EINPROGRESS then SO_ERROR, half-close both ways, EFAULT) and
 * SIGPIPE from a send on a reset stream (default, handler, ignored,
 * MSG_NOSIGNAL). */
#include "libc.h"
#include "ktap.h"
#include "net.h"

#define BULK (1024 * 1024)
#define KERNEL_PTR ((void *)0xffffffff80100000UL)

static struct sockaddr_in lo(uint16_t port) { return sockaddr_ipv4(INADDR_LOOPBACK, port); }

static uint64_t fnv(uint64_t h, const uint8_t *p, long n)
{
    for (long i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint8_t pat(long i, int salt) { return (uint8_t)((i * 31 + (i >> 11) + salt) & 0xff); }

/* Sends BULK bytes of pattern salt and receives BULK of pattern 1-salt at
 * once (two processes); returns 0 when both checksums match. */
static int stream_both_ways(int fd, int salt, uint64_t *sent_h, uint64_t *got_h)
{
    static uint8_t out[8192], in[8192];
    long sent = 0, got = 0;
    uint64_t hs = 0xcbf29ce484222325ULL, hr = hs, want = hs;
    while (sent < BULK || got < BULK) {
        struct pollfd p = {fd, (short)((sent < BULK ? POLLOUT : 0) | POLLIN), 0};
        if (poll(&p, 1, 10000) <= 0)
            return -1;
        if ((p.revents & POLLOUT) && sent < BULK) {
            long n = BULK - sent < (long)sizeof out ? BULK - sent : (long)sizeof out;
            for (long i = 0; i < n; i++)
                out[i] = pat(sent + i, salt);
            long k = send(fd, out, (size_t)n, MSG_DONTWAIT);
            if (k > 0) {
                hs = fnv(hs, out, k);
                sent += k;
            } else if (k != -EAGAIN) {
                return -2;
            }
        }
        if (p.revents & (POLLIN | POLLHUP)) {
            long k = recv(fd, in, sizeof in, MSG_DONTWAIT, 0);
            if (k > 0) {
                for (long i = 0; i < k; i++) {
                    uint8_t e = pat(got + i, 1 - salt);
                    want = fnv(want, &e, 1);
                }
                hr = fnv(hr, in, k);
                got += k;
            } else if (k == 0 || (k < 0 && k != -EAGAIN)) {
                return -3;
            }
        }
    }
    *sent_h = hs;
    *got_h = hr;
    return hr == want ? 0 : -4;
}

static long listener(uint16_t port, bool reuse)
{
    long s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return s;
    if (reuse)
        setsockopt_int((int)s, SOL_SOCKET, SO_REUSEADDR, 1);
    struct sockaddr_in a = lo(port);
    long rc = bind((int)s, &a, sizeof a);
    if (rc == 0)
        rc = listen((int)s, 8);
    if (rc < 0) {
        close((int)s);
        return rc;
    }
    return s;
}

static long connect_to(uint16_t port)
{
    long c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = lo(port);
    long rc = connect((int)c, &a, sizeof a);
    if (rc < 0) {
        close((int)c);
        return rc;
    }
    return c;
}

static volatile int sigpipes;
static void on_sigpipe(int sig) { sigpipes += sig == SIGPIPE; }

int main(void)
{
    ktap_begin("tcp_loopback", 33);

    /* bulk: a forked client, 1 MiB each way at once */
    long l = listener(7000, false);
    ktap_ok(l >= 0, "listen_on_loopback");
    int res[2];
    pipe(res);
    long pid = fork();
    if (pid == 0) {
        long c = connect_to(7000);
        uint64_t hs = 0, hr = 0;
        int rc = c < 0 ? -9 : stream_both_ways((int)c, 0, &hs, &hr);
        uint64_t msg[3] = {(uint64_t)(long)rc, hs, hr};
        write(res[1], msg, sizeof msg);
        close((int)c);
        exit(0);
    }
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    long a = accept((int)l, &peer, &plen);
    ktap_ok(a >= 0 && plen == sizeof peer && peer.sin_addr == htonl(INADDR_LOOPBACK) && ntohs(peer.sin_port) >= 49152,
            "accept_gives_peer_address");
    uint64_t hs = 0, hr = 0;
    int rc = stream_both_ways((int)a, 1, &hs, &hr);
    uint64_t msg[3] = {0};
    read_full(res[0], msg, sizeof msg);
    int st;
    waitpid(pid, &st, 0);
    ktap_ok(rc == 0 && (long)msg[0] == 0, "bulk_1mib_each_way_intact");
    ktap_ok(msg[1] == hr && msg[2] == hs, "checksums_agree_on_both_ends");
    ktap_diag("server rc %d client rc %ld", rc, (long)msg[0]);
    char b[16];
    KTAP_EXPECT_EQ("eof_after_peer_close", recv((int)a, b, sizeof b, 0, 2000), 0);
    close((int)a);

    /* names */
    long c = connect_to(7000);
    a = accept((int)l, NULL, NULL);
    struct sockaddr_in me, him;
    socklen_t n1 = sizeof me, n2 = sizeof him;
    ktap_ok(getsockname((int)c, &me, &n1) == 0 && getpeername((int)a, &him, &n2) == 0 && me.sin_port == him.sin_port &&
                me.sin_addr == htonl(INADDR_LOOPBACK),
            "getsockname_matches_getpeername");
    struct sockaddr_in again = lo(7000);
    KTAP_EXPECT_EQ("connect_twice_eisconn", connect((int)c, &again, sizeof again), -EISCONN);

    /* half-close, both ways */
    KTAP_EXPECT_EQ("shutdown_wr", shutdown((int)c, SHUT_WR), 0);
    KTAP_EXPECT_EQ("half_close_reader_sees_eof", recv((int)a, b, sizeof b, 0, 2000), 0);
    KTAP_EXPECT_EQ("half_closed_writer_epipe_nosignal", send((int)c, "x", 1, MSG_NOSIGNAL), -EPIPE);
    KTAP_EXPECT_EQ("other_direction_still_open", write((int)a, "back", 4), 4);
    ktap_ok(recv((int)c, b, sizeof b, 0, 2000) == 4 && memcmp(b, "back", 4) == 0, "half_closed_side_still_reads");
    close((int)a);
    KTAP_EXPECT_EQ("then_eof", recv((int)c, b, sizeof b, 0, 2000), 0);
    close((int)c);

    /* reset: close with unread data */
    c = connect_to(7000);
    a = accept((int)l, NULL, NULL);
    write((int)c, "unread", 6);
    close((int)a);
    KTAP_EXPECT_EQ("unread_close_gives_econnreset", recv((int)c, b, sizeof b, 0, 2000), -ECONNRESET);
    /* SIGPIPE: its default ends a writer; a handler runs and send gives
     * -EPIPE; ignored, write gives -EPIPE. */
    long w = fork();
    if (w == 0) {
        send((int)c, "x", 1, 0);
        exit(0);
    }
    int wst = 0;
    waitpid(w, &wst, 0);
    ktap_ok(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGPIPE, "sigpipe_default_kills_writer");
    kos_signal(SIGPIPE, on_sigpipe, 0);
    KTAP_EXPECT_EQ("after_reset_epipe", send((int)c, "x", 1, 0), -EPIPE);
    KTAP_EXPECT_EQ("sigpipe_handler_ran_once", sigpipes, 1);
    kos_signal(SIGPIPE, (void (*)(int))SIG_IGN, 0);
    KTAP_EXPECT_EQ("sigpipe_ignored_write_epipe", write((int)c, "x", 1), -EPIPE);
    close((int)c);

    /* errors */
    KTAP_EXPECT_EQ("closed_port_econnrefused", connect_to(7999), -ECONNREFUSED);
    long s = socket(AF_INET, SOCK_STREAM, 0);
    KTAP_EXPECT_EQ("send_unconnected_enotconn", send((int)s, "x", 1, 0), -ENOTCONN);
    KTAP_EXPECT_EQ("accept_not_listening_einval", accept((int)s, NULL, NULL), -EINVAL);
    struct sockaddr_in taken = lo(7000);
    KTAP_EXPECT_EQ("bind_listening_port_eaddrinuse", bind((int)s, &taken, sizeof taken), -EADDRINUSE);
    close((int)s);
    KTAP_EXPECT_EQ("accept_bad_pointer_efault", accept((int)l, KERNEL_PTR, &plen), -EFAULT);
    s = socket(AF_INET, SOCK_STREAM, 0);
    KTAP_EXPECT_EQ("getsockname_bad_pointer_efault", getsockname((int)s, KERNEL_PTR, &n1), -EFAULT);
    KTAP_EXPECT_EQ("setsockopt_bad_pointer_efault", setsockopt((int)s, SOL_SOCKET, SO_REUSEADDR, KERNEL_PTR, 4), -EFAULT);
    KTAP_EXPECT_EQ("unknown_option_enoprotoopt", setsockopt_int((int)s, SOL_SOCKET, 999, 1), -ENOPROTOOPT);
    int v = 0;
    socklen_t vl = sizeof v;
    ktap_ok(setsockopt_int((int)s, IPPROTO_TCP, TCP_NODELAY, 1) == 0 &&
                getsockopt((int)s, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1 && vl == 4,
            "tcp_nodelay_set_and_read");
    ktap_ok(setsockopt_int((int)s, SOL_SOCKET, SO_RCVBUF, 8192) == 0 &&
                getsockopt((int)s, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0 && v == 8192,
            "so_rcvbuf_set_and_read");

    /* non-blocking: EAGAIN, EINPROGRESS then SO_ERROR */
    fcntl((int)s, F_SETFL, O_NONBLOCK);
    struct sockaddr_in dst = lo(7000);
    long r = connect((int)s, &dst, sizeof dst);
    struct pollfd p = {(int)s, POLLOUT, 0};
    long pr = poll(&p, 1, 2000);
    v = -1;
    getsockopt((int)s, SOL_SOCKET, SO_ERROR, &v, &vl);
    ktap_ok(r == -EINPROGRESS && pr == 1 && (p.revents & POLLOUT) && v == 0, "nonblocking_connect_einprogress_then_so_error_0");
    KTAP_EXPECT_EQ("nonblocking_recv_eagain", recv((int)s, b, sizeof b, 0, 0), -EAGAIN);
    a = accept((int)l, NULL, NULL);
    close((int)a);
    close((int)s);

    /* SO_REUSEADDR while the port's old connection waits in TIME_WAIT */
    c = connect_to(7000);
    a = accept((int)l, NULL, NULL);
    close((int)l);
    close((int)a);          /* the server side closes first: it waits in TIME_WAIT */
    recv((int)c, b, sizeof b, 0, 2000);
    close((int)c);
    sleep_ms(50);
    KTAP_EXPECT_EQ("rebind_in_time_wait_eaddrinuse", listener(7000, false), -EADDRINUSE);
    l = listener(7000, true);
    ktap_ok(l >= 0, "so_reuseaddr_rebinds_in_time_wait");
    close((int)l);

    /* UDP over lo */
    long u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = lo(7100), from;
    bind((int)u1, &ua, sizeof ua);
    sendto((int)u2, "datagram", 8, 0, &ua, sizeof ua);
    ktap_ok(recvfrom((int)u1, b, sizeof b, 0, &from, 2000) == 8 && memcmp(b, "datagram", 8) == 0 &&
                from.sin_addr == htonl(INADDR_LOOPBACK),
            "udp_over_loopback");
    close((int)u1);
    close((int)u2);
    return ktap_done();
}
