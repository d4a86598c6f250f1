/* User-space UDP echo server on port 7, over the socket syscalls. It speaks
 * the subset of the netecho protocol (kernel/test/test_net.c) the
 * udp-echo-user peer needs: echo, "kos:client PORT" (a client socket
 * connect()s to the gateway's PORT, send()s and recv()s) and "kos:quit".
 * argv[1]: this guest's address for the ready line (default 10.0.2.15);
 * argv[2]: the gateway (default 10.0.2.2). */
#include "libc.h"
#include "ktap.h"
#include "net.h"

static uint32_t parse_ip(const char *s, uint32_t dflt)
{
    uint32_t a = 0;
    for (int part = 0; part < 4; part++) {
        uint32_t v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 3)
            v = v * 10 + (uint32_t)(*s++ - '0'), digits++;
        if (!digits || v > 255 || (part < 3 && *s++ != '.'))
            return dflt;
        a = (a << 8) | v;
    }
    return *s ? dflt : a;
}

static bool client_test(uint32_t gw, unsigned port)
{
    long fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in dst = sockaddr_ipv4(gw, (uint16_t)port);
    bool ok = connect((int)fd, &dst, sizeof dst) == 0;
    char buf[64];
    bool answered = false;
    for (int i = 0; ok && i < 5 && !answered; i++) {
        if (send((int)fd, "kos-client-hello", 16, 0) != 16)
            ok = false;
        long r = recv((int)fd, buf, sizeof buf, 0, 2000);
        answered = r == 14 && memcmp(buf, "kos-client-ack", 14) == 0;
    }
    close((int)fd);
    return ok && answered;
}

static char buf[1472];

int main(int argc, char **argv)
{
    uint32_t ip = parse_ip(argc > 1 ? argv[1] : "", IPV4(10, 0, 2, 15));
    uint32_t gw = parse_ip(argc > 2 ? argv[2] : "", IPV4(10, 0, 2, 2));
    ktap_begin("net_echo", 4);
    long fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any = sockaddr_ipv4(0, 7);
    ktap_ok(fd >= 3 && bind((int)fd, &any, sizeof any) == 0, "socket_bound_port_7");
    if (fd < 0)
        return ktap_done();
    printf("netecho: ready ip %u.%u.%u.%u port 7 (user space)\n", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    unsigned long echoed = 0, errors = 0;
    bool client_ok = false, client_asked = false, quit = false;
    while (!quit) {
        struct sockaddr_in from;
        long r = recvfrom((int)fd, buf, sizeof buf, 0, &from, 0);
        if (r < 0) {
            errors++;
            if (errors > 100)
                break;
            continue;
        }
        if (r >= 8 && memcmp(buf, "kos:quit", 8) == 0) {
            sendto((int)fd, "kos:bye", 7, 0, &from, sizeof from);
            quit = true;
        } else if (r > 11 && memcmp(buf, "kos:client ", 11) == 0) {
            unsigned port = 0;
            for (long i = 11; i < r && buf[i] >= '0' && buf[i] <= '9'; i++)
                port = port * 10 + (unsigned)(buf[i] - '0');
            client_asked = true;
            client_ok = port > 0 && port < 65536 && client_test(gw, port);
            const char *msg = client_ok ? "kos:client ok" : "kos:client fail";
            sendto((int)fd, msg, strlen(msg), 0, &from, sizeof from);
        } else if (sendto((int)fd, buf, (size_t)r, 0, &from, sizeof from) == r) {
            echoed++;
        } else {
            errors++;
        }
    }
    ktap_diag("echoed %lu datagrams, %lu errors", echoed, errors);
    ktap_ok(quit, "served_until_quit");
    ktap_ok(client_asked && client_ok, "client_reached_gateway");
    ktap_ok(close((int)fd) == 0 && errors == 0, "closed_without_errors");
    return ktap_done();
}
