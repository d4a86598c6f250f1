/* TCP error paths against a real peer over TAP (tcp_errors_tap case; the
 * peer is tcp-errors-tap in src/netlab/tcpstream.ts, Node servers on
 * 198.51.100.1 ports 5300-5305): half-close in both directions,
 * ECONNREFUSED from the peer's closed port, ECONNRESET from a reset in
 * mid-stream and -EPIPE after it, SO_REUSEADDR while the port is in
 * TIME_WAIT, -EFAULT for bad pointers on a live connection (which loses
 * nothing), accept on a non-listening socket, and last ETIMEDOUT from a
 * black hole after the SYN backoff (the kernel runs with tcp_syn_retries=2:
 * SYNs at 0, 1 and 3 s, given up at 7 s). Prints /proc/net/tcp at the end. */
#include "libc.h"
#include "ktap.h"
#include "net.h"

#define HOST IPV4(198, 51, 100, 1)
#define BASE 5300
#define KERNEL_PTR ((void *)0xffffffff80100000UL)
#define UNMAPPED_PTR ((void *)0x20000000UL)
#define REUSE_PORT 40001
#define BLACKHOLE_MS 7000      /* 1 + 2 + 4 s with tcp_syn_retries=2 */

static long connect_host(uint16_t port, uint16_t local_port, bool reuse)
{
    long s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return s;
    if (reuse)
        setsockopt_int((int)s, SOL_SOCKET, SO_REUSEADDR, 1);
    if (local_port) {
        struct sockaddr_in me = sockaddr_ipv4(0, local_port);
        long r = bind((int)s, &me, sizeof me);
        if (r < 0) {
            close((int)s);
            return r;
        }
    }
    struct sockaddr_in to = sockaddr_ipv4(HOST, port);
    long r = connect((int)s, &to, sizeof to);
    if (r < 0) {
        close((int)s);
        return r;
    }
    return s;
}

/* The peer may start after the guest: retry a refused connect for a while. */
static long connect_first(uint16_t port)
{
    for (int i = 0; i < 300; i++) {
        long s = connect_host(port, 0, false);
        if (s != -ECONNREFUSED)
            return s;
        sleep_ms(200);
    }
    return -ECONNREFUSED;
}

/* Reads to the end of the stream (or an error): bytes read, or the error
 * when nothing came first. *last gets the final return value. */
static long read_all(int fd, char *buf, long n, long *last)
{
    long have = 0, r;
    while ((r = recv(fd, buf + have, (size_t)(n - have), 0, 30000)) > 0 && have + r < n)
        have += r;
    if (r > 0)
        have += r;
    *last = r;
    return have;
}

/* Sends text, half-closes, waits for the peer's FIN and closes: what the
 * last recv returned (0 = the peer closed in order). */
static long say_and_close(int fd, const char *text)
{
    char b[64];
    write(fd, text, strlen(text));
    shutdown(fd, SHUT_WR);
    long r = recv(fd, b, sizeof b, 0, 30000);
    close(fd);
    return r;
}

static long ms_now(void)
{
    long t = kstat_get("ticks"), hz = kstat_last("hz");
    return hz > 0 ? t * 1000 / hz : -1;
}

/* /proc/net/tcp shows the connection from local_port in state. */
static bool tcp_state_shown(uint16_t local_port, const char *state)
{
    static char text[32768];
    long fd = open("/proc/net/tcp", O_RDONLY);
    if (fd < 0)
        return false;
    long n = read_full((int)fd, text, sizeof text - 1);
    close((int)fd);
    text[n > 0 ? n : 0] = 0;
    char want[64];
    snprintf(want, sizeof want, ":%u 198.51.100.1:%u %s", local_port, BASE + 3, state);
    for (const char *p = text; *p; p++)
        if (strncmp(p, want, strlen(want)) == 0)
            return true;
    return false;
}

int main(void)
{
    ktap_begin("tcp_tap_errors", 28);
    static char buf[65536];
    long last;

    /* Half-close, the guest first: after our FIN the peer still answers. */
    long s = connect_first(BASE);
    ktap_ok(s >= 0, "connected_to_peer");
    write((int)s, "guest closes first", 18);
    KTAP_EXPECT_EQ("shutdown_wr", shutdown((int)s, SHUT_WR), 0);
    KTAP_EXPECT_EQ("send_after_shutdown_epipe", send((int)s, "x", 1, MSG_NOSIGNAL), -EPIPE);
    long n = read_all((int)s, buf, sizeof buf - 1, &last);
    buf[n > 0 ? n : 0] = 0;
    ktap_ok(strcmp(buf, "got 18 bytes after your FIN") == 0 && last == 0, "peer_answers_after_our_fin_then_eof");
    if (last != 0)
        ktap_diag("read %ld bytes \"%s\", last %ld", n, buf, last);
    close((int)s);

    /* Half-close, the peer first: we read its FIN and still send. */
    s = connect_host(BASE + 1, 0, false);
    n = read_all((int)s, buf, sizeof buf - 1, &last);
    buf[n > 0 ? n : 0] = 0;
    ktap_ok(n == 17 && strcmp(buf, "host closes first") == 0 && last == 0, "peer_fin_read_as_eof");
    KTAP_EXPECT_EQ("write_after_peer_fin", write((int)s, "guest writes after your FIN", 27), 27);
    KTAP_EXPECT_EQ("shutdown_after_peer_fin", shutdown((int)s, SHUT_WR), 0);
    KTAP_EXPECT_EQ("then_nothing_more", recv((int)s, buf, sizeof buf, 0, 30000), 0);
    close((int)s);

    /* A closed port of the peer: its RST is ECONNREFUSED. */
    KTAP_EXPECT_EQ("closed_peer_port_econnrefused", connect_host(BASE + 98, 0, false), -ECONNREFUSED);

    /* A reset in mid-stream: data, then ECONNRESET, then EPIPE. */
    s = connect_host(BASE + 2, 0, false);
    n = read_all((int)s, buf, sizeof buf, &last);
    ktap_ok(n <= 20000 && last == -ECONNRESET, "reset_mid_stream_econnreset");
    ktap_diag("%ld of 20000 bytes read before the reset", n);
    KTAP_EXPECT_EQ("send_after_reset_epipe", send((int)s, "x", 1, MSG_NOSIGNAL), -EPIPE);
    KTAP_EXPECT_EQ("recv_after_reset_eof", recv((int)s, buf, sizeof buf, MSG_DONTWAIT, 0), 0);
    close((int)s);

    /* SO_REUSEADDR while the port is in TIME_WAIT. */
    s = connect_host(BASE + 3, REUSE_PORT, false);
    ktap_ok(s >= 0, "bound_port_connected");
    KTAP_EXPECT_EQ("peer_closes_too", say_and_close((int)s, "first"), 0);
    bool tw = false;
    for (int i = 0; i < 200 && !(tw = tcp_state_shown(REUSE_PORT, "TIME_WAIT")); i++)
        sleep_ms(50);
    ktap_ok(tw, "active_closer_in_time_wait");
    KTAP_EXPECT_EQ("rebind_without_reuseaddr_eaddrinuse", connect_host(BASE + 3, REUSE_PORT, false), -EADDRINUSE);
    s = connect_host(BASE + 3, REUSE_PORT, true);
    ktap_ok(s >= 0, "reuseaddr_binds_and_connects_over_time_wait");
    KTAP_EXPECT_EQ("second_incarnation_closes_cleanly", say_and_close((int)s, "again"), 0);

    /* Bad pointers on a live connection: -EFAULT, and nothing is lost. */
    s = connect_host(BASE + 4, 0, false);
    KTAP_EXPECT_EQ("send_kernel_pointer_efault", send((int)s, KERNEL_PTR, 16, 0), -EFAULT);
    KTAP_EXPECT_EQ("write_unmapped_efault", write((int)s, UNMAPPED_PTR, 16), -EFAULT);
    write((int)s, "abc", 3);
    sleep_ms(300);     /* let the echo arrive; the checks below hold either way */
    KTAP_EXPECT_EQ("recv_kernel_pointer_efault", recv((int)s, KERNEL_PTR, 16, 0, 30000), -EFAULT);
    KTAP_EXPECT_EQ("read_unmapped_efault", read((int)s, UNMAPPED_PTR, 16), -EFAULT);
    write((int)s, "def", 3);
    n = 0;
    while (n < 6 && (last = recv((int)s, buf + n, sizeof buf - (size_t)n, 0, 30000)) > 0)
        n += last;
    ktap_ok(n == 6 && memcmp(buf, "abcdef", 6) == 0, "echo_intact_after_efaults");
    struct sockaddr_in to = sockaddr_ipv4(HOST, BASE + 4);
    KTAP_EXPECT_EQ("connect_kernel_address_efault", connect((int)s, KERNEL_PTR, sizeof to), -EFAULT);
    KTAP_EXPECT_EQ("accept_on_connected_einval", accept((int)s, NULL, NULL), -EINVAL);
    close((int)s);

    /* The black hole: the peer drops everything towards us after this
     * answer; a connect then gets ETIMEDOUT once the SYN backoff is over.
     * A refused connect means the black hole is not there yet: again. */
    s = connect_host(BASE + 5, 0, false);
    n = read_all((int)s, buf, sizeof buf - 1, &last);
    close((int)s);
    ktap_ok(n == 11, "black_hole_announced");
    long r = -ECONNREFUSED, took = -1;
    for (int i = 0; i < 100 && r == -ECONNREFUSED; i++) {
        long t0 = ms_now();
        r = connect_host(BASE + 97, 0, false);
        took = ms_now() - t0;
        if (r == -ECONNREFUSED)
            sleep_ms(100);
    }
    KTAP_EXPECT_EQ("black_hole_etimedout", r, -ETIMEDOUT);
    ktap_ok(took >= BLACKHOLE_MS, "after_the_syn_backoff");
    ktap_diag("connect gave up after %ld ms", took);
    print_tcp_counters("tcp_tap_errors");
    printf("tcp_tap_errors: done\n");
    return ktap_done();
}
