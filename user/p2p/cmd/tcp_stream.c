/* tcp_stream HOST PORT BYTES: a TCP stream client with a SHA-256 over each
 * direction. It connects to HOST:PORT, sends BYTES random bytes while it
 * receives whatever the server sends (both at once, one poll loop over a
 * non-blocking socket), half-closes when its bytes are out and reads to the
 * end of the server's stream. Then it asks HOST:PORT+1 for the server's
 * view ("received N HEX\nsent N HEX\n") and checks both digests against its
 * own. The host side is tcp-stream-tap (src/netlab/tcpstream.ts). Portable
 * over the platform layer like the daemon: /bin/tcp_stream in the guest,
 * build/host/tcp_stream on the host. Arguments are colon-separated on the
 * kernel command line (init=/bin/tcp_stream:198.51.100.1:5201:16777216). */
#include "p2p_base.h"
#include "plat.h"
#include "ktap.h"
#include "crypto/sha2.h"

#define CHUNK 16384
#define CONNECT_TRIES_MS 60000  /* the server may come up after the guest */
#define IDLE_MS 120000          /* no progress for this long: give up */

static uint32_t parse_ip(const char *s)
{
    uint32_t ip = 0;
    for (int i = 0; i < 4; i++) {
        long v = p2p_atol(s);
        ip = ip << 8 | (uint32_t)(v & 255);
        while (*s >= '0' && *s <= '9')
            s++;
        if (*s == '.')
            s++;
    }
    return ip;
}

static void hex(char *out, const uint8_t *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = 0;
}

/* A connected socket, retrying while the server is not listening yet. */
static int connect_retry(uint32_t ip, uint16_t port)
{
    uint64_t until = plat_now_ms() + CONNECT_TRIES_MS;
    for (;;) {
        int fd = plat_tcp_connect(ip, port);
        if (fd < 0)
            return fd;
        struct plat_pollfd p = {fd, PLAT_POLLOUT, 0};
        int r = plat_poll(&p, 1, 30000);
        int err = r > 0 ? plat_sock_error(fd) : -110;
        if (err == 0)
            return fd;
        plat_close(fd);
        if (plat_now_ms() >= until)
            return err;
        plat_poll(NULL, 0, 200);
    }
}

/* Moves total bytes out and everything the server sends in; 0 when both
 * directions ended cleanly. */
static int stream(int fd, uint64_t total, struct sha256 *tx, struct sha256 *rx, uint64_t *sent, uint64_t *got)
{
    static uint8_t out[CHUNK], in[CHUNK];
    size_t out_len = 0, out_off = 0;
    uint64_t filled = 0;
    bool wr_done = false, eof = false;
    while (!wr_done || !eof) {
        struct plat_pollfd p = {fd, (short)(PLAT_POLLIN | (wr_done ? 0 : PLAT_POLLOUT)), 0};
        int r = plat_poll(&p, 1, IDLE_MS);
        if (r < 0)
            return r;
        if (r == 0) {
            plat_log("tcp_stream: no progress for %d ms (sent %lu, received %lu)", IDLE_MS,
                     (unsigned long)*sent, (unsigned long)*got);
            return -110;
        }
        if (p.revents & (PLAT_POLLIN | PLAT_POLLHUP | PLAT_POLLERR)) {
            for (;;) {
                long n = plat_recv(fd, in, sizeof in);
                if (n > 0) {
                    sha256_update(rx, in, (size_t)n);
                    *got += (uint64_t)n;
                    continue;
                }
                if (n == 0)
                    eof = true;
                else if (n != -PLAT_EAGAIN)
                    return (int)n;
                break;
            }
        }
        while (!wr_done && (p.revents & PLAT_POLLOUT)) {
            if (out_off == out_len && filled < total) {
                out_len = total - filled < CHUNK ? (size_t)(total - filled) : CHUNK;
                int rc = plat_random(out, out_len);
                if (rc < 0)
                    return rc;
                sha256_update(tx, out, out_len);
                filled += out_len;
                out_off = 0;
            }
            if (out_off == out_len) {
                int rc = plat_shutdown_write(fd);
                if (rc < 0)
                    return rc;
                wr_done = true;
                break;
            }
            long n = plat_send(fd, out + out_off, out_len - out_off);
            if (n == -PLAT_EAGAIN)
                break;
            if (n < 0)
                return (int)n;
            out_off += (size_t)n;
            *sent += (uint64_t)n;
        }
    }
    return 0;
}

/* The guest's TCP counters (/proc/net/tcp) while the connection still
 * exists, for the case log: retransmits and out-of-order segments show
 * what the link did. */
#ifndef KOS_HOST
#include "net.h"
static void log_tcp_counters(void) { print_tcp_counters("tcp_stream"); }
#else
static void log_tcp_counters(void) {}
#endif

/* Everything the report port sends, NUL-terminated. */
static long read_report(int fd, char *buf, size_t n)
{
    size_t have = 0;
    for (;;) {
        struct plat_pollfd p = {fd, PLAT_POLLIN, 0};
        if (plat_poll(&p, 1, IDLE_MS) <= 0)
            return -110;
        long k = plat_recv(fd, buf + have, n - 1 - have);
        if (k == -PLAT_EAGAIN)
            continue;
        if (k < 0)
            return k;
        if (k == 0 || have + (size_t)k >= n - 1) {
            have += k > 0 ? (size_t)k : 0;
            buf[have] = 0;
            return (long)have;
        }
        have += (size_t)k;
    }
}

/* "WORD N HEX" at the start of a line of text: N, and the hex digest copied. */
static long report_field(const char *text, const char *word, char hexout[2 * SHA256_LEN + 1])
{
    size_t wl = strlen(word);
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == '\n') && strncmp(p, word, wl) == 0 && p[wl] == ' ') {
            const char *q = p + wl + 1;
            long v = p2p_atol(q);
            while (*q >= '0' && *q <= '9')
                q++;
            if (*q == ' ')
                q++;
            size_t i = 0;
            for (; i < 2 * SHA256_LEN && q[i] && q[i] != '\n'; i++)
                hexout[i] = q[i];
            hexout[i] = 0;
            return v;
        }
    }
    hexout[0] = 0;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        plat_log("usage: tcp_stream HOST PORT BYTES");
        return 2;
    }
    uint32_t ip = parse_ip(argv[1]);
    uint16_t port = (uint16_t)p2p_atol(argv[2]);
    uint64_t total = (uint64_t)p2p_atol(argv[3]);
    ktap_begin("tcp_stream", 6);

    int fd = connect_retry(ip, port);
    ktap_ok(fd >= 0, "connected");
    struct sha256 tx, rx;
    sha256_init(&tx);
    sha256_init(&rx);
    uint64_t sent = 0, got = 0;
    uint64_t t0 = plat_now_ms();
    int rc = fd >= 0 ? stream(fd, total, &tx, &rx, &sent, &got) : fd;
    uint64_t ms = plat_now_ms() - t0;
    log_tcp_counters();
    if (fd >= 0)
        plat_close(fd);
    uint8_t dtx[SHA256_LEN], drx[SHA256_LEN];
    sha256_final(&tx, dtx);
    sha256_final(&rx, drx);
    char htx[2 * SHA256_LEN + 1], hrx[2 * SHA256_LEN + 1];
    hex(htx, dtx, SHA256_LEN);
    hex(hrx, drx, SHA256_LEN);
    plat_log("tcp_stream: sent %lu bytes sha256 %s", (unsigned long)sent, htx);
    plat_log("tcp_stream: received %lu bytes sha256 %s", (unsigned long)got, hrx);
    ktap_diag("both directions at once in %lu ms (rc %d)", (unsigned long)ms, rc);
    ktap_ok(rc == 0 && sent == total, "sent_every_byte_then_half_closed");
    ktap_ok(rc == 0 && got == total, "received_the_servers_stream_to_its_end");

    /* The server's view of the same two streams. */
    static char report[512];
    int r = connect_retry(ip, (uint16_t)(port + 1));
    long n = r >= 0 ? read_report(r, report, sizeof report) : r;
    if (r >= 0)
        plat_close(r);
    ktap_ok(n > 0, "server_report_read");
    char srx[2 * SHA256_LEN + 1], stx[2 * SHA256_LEN + 1];
    long srx_n = n > 0 ? report_field(report, "received", srx) : -1;
    long stx_n = n > 0 ? report_field(report, "sent", stx) : -1;
    if (n > 0)
        ktap_diag("server: received %ld %s, sent %ld %s", srx_n, srx, stx_n, stx);
    ktap_ok(srx_n == (long)sent && strcmp(srx, htx) == 0, "server_got_what_we_sent_sha256");
    ktap_ok(stx_n == (long)got && strcmp(stx, hrx) == 0, "we_got_what_the_server_sent_sha256");
    plat_log("tcp_stream: done");
    return ktap_done();
}
