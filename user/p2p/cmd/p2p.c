/* p2p: the command-line client of p2pd over its loopback control port.
 *   p2p [ctl=[A.B.C.D:]PORT] id | peers | identify ID | dial MADDR | ping ID [N]
 *       | echo ID STREAMS SIZE | stats | quit
 * Prints the daemon's answer; exits 0 on "ok ...", 1 on "error ...". */
#include "p2p_base.h"
#include "plat.h"

int main(int argc, char **argv)
{
    long ctl = 4002;
    uint32_t ip = 0x7f000001;
    int first = 1;
    if (argc > 1 && strncmp(argv[1], "ctl=", 4) == 0) {
        const char *v = argv[1] + 4, *colon = strchr(v, ':');
        if (colon) {
            /* A.B.C.D:PORT: a daemon listening elsewhere (ctl_listen=). */
            uint32_t a = 0;
            for (int i = 0; i < 4; i++) {
                a = a << 8 | (uint32_t)p2p_atol(v);
                while (*v >= '0' && *v <= '9')
                    v++;
                v++;
            }
            ip = a;
            v = colon + 1;
        }
        ctl = p2p_atol(v);
        first = 2;
    }
    if (first >= argc) {
        plat_log("usage: p2p [ctl=PORT] id|peers|identify ID|dial MADDR|ping ID [N]|echo ID STREAMS SIZE|stats|quit");
        return 2;
    }
    char line[1024];
    size_t n = 0;
    for (int i = first; i < argc; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", i > first ? " " : "", argv[i]);
    if (n + 1 >= sizeof line) {
        plat_log("p2p: command too long");
        return 2;
    }
    line[n++] = '\n';
    int fd = plat_tcp_connect(ip, (uint16_t)ctl);
    if (fd < 0) {
        plat_log("p2p: cannot reach p2pd on port %ld (error %d)", ctl, fd);
        return 1;
    }
    struct plat_pollfd p = {fd, PLAT_POLLOUT, 0};
    plat_poll(&p, 1, 10000);
    if (plat_sock_error(fd) != 0) {
        plat_log("p2p: cannot reach p2pd on port %ld", ctl);
        return 1;
    }
    size_t off = 0;
    while (off < n) {
        long k = plat_send(fd, line + off, n - off);
        if (k == -PLAT_EAGAIN) {
            p.events = PLAT_POLLOUT;
            plat_poll(&p, 1, 1000);
            continue;
        }
        if (k <= 0)
            return 1;
        off += (size_t)k;
    }
    /* Answers are lines; the last one starts with "ok" or "error". */
    static char acc[65536];
    size_t have = 0, start = 0;
    for (;;) {
        p.events = PLAT_POLLIN;
        if (plat_poll(&p, 1, 120000) <= 0) {
            plat_log("p2p: no answer from p2pd");
            return 1;
        }
        long k = plat_recv(fd, acc + have, sizeof acc - 1 - have);
        if (k == -PLAT_EAGAIN)
            continue;
        if (k <= 0) {
            plat_log("p2p: p2pd closed the connection");
            return 1;
        }
        have += (size_t)k;
        for (size_t i = start; i < have; i++) {
            if (acc[i] != '\n')
                continue;
            acc[i] = 0;
            const char *l = acc + start;
            plat_log("%s", l);
            start = i + 1;
            if (strncmp(l, "ok", 2) == 0 || strncmp(l, "error", 5) == 0) {
                plat_close(fd);
                return l[0] == 'o' ? 0 : 1;
            }
        }
        if (have == sizeof acc - 1) {
            memmove(acc, acc + start, have - start);
            have -= start;
            start = 0;
        }
    }
}
