/* tcp_bench [PORT]: the guest side of kos bench's TCP figures. One
 * connection at a time; its first byte says what it wants:
 *   'S' sink: read until end of stream, answer the byte count (8 bytes, LE)
 *   'G' source: read an 8-byte LE count, send that many bytes, close
 *   'E' echo: 1-byte requests answered at once, until end of stream
 *   'C' connect only: closed at once (connections per second)
 *   'M' "NAME VALUE UNIT\n": printed as a "# metric" line
 *   'Q' quit
 * The host peer (src/netlab/tcp.ts, tcp-bench-tap) times everything. */
#include <stdbool.h>
#include "libc.h"
#include "net.h"

static char buf[16384];

static void serve(int c, char kind)
{
    if (kind == 'S') {
        uint64_t total = 0;
        long n;
        while ((n = read(c, buf, sizeof buf)) > 0)
            total += (uint64_t)n;
        write_all(c, &total, sizeof total);
    } else if (kind == 'G') {
        uint64_t want = 0;
        if (read_full(c, &want, sizeof want) != sizeof want)
            return;
        memset(buf, 0x5a, sizeof buf);
        while (want) {
            size_t n = want < sizeof buf ? (size_t)want : sizeof buf;
            if (write_all(c, buf, n) != (long)n)
                return;
            want -= n;
        }
    } else if (kind == 'E') {
        char b;
        while (read(c, &b, 1) == 1)
            if (write(c, &b, 1) != 1)
                return;
    } else if (kind == 'M') {
        long n = 0, k;
        while (n < 200 && (k = read(c, buf + n, 1)) == 1 && buf[n] != '\n')
            n++;
        buf[n] = 0;
        printf("    # metric %s\n", buf);
    }
}

int main(int argc, char **argv)
{
    int port = 5001;
    kos_signal(SIGPIPE, (void (*)(int))SIG_IGN, 0);  /* a client that went away is an -EPIPE, not the end */
    if (argc > 1) {
        port = 0;
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
            port = port * 10 + (*p - '0');
    }
    long l = tcp_serve("tcp_bench", (uint16_t)port, 64, 0);
    if (l < 0)
        return 1;
    long conns = 0;
    for (bool quit = false; !quit;) {
        long c = accept((int)l, NULL, NULL);
        if (c < 0)
            return 1;
        conns++;
        char kind = 0;
        if (read((int)c, &kind, 1) == 1) {
            if (kind == 'E')
                setsockopt_int((int)c, IPPROTO_TCP, TCP_NODELAY, 1);
            serve((int)c, kind);
        }
        quit = kind == 'Q';
        close((int)c);
    }
    printf("tcp_bench: done after %ld connections\n", conns);
    return 0;
}
