/* plat.h over the kos syscalls (kos/syscalls.h, user/lib): TCP and UDP
 * sockets, poll (35), getrandom (37), getsockopt (40), getsockname (41).
 * Numbers the kernel does not have yet answer -ENOSYS, which the daemon
 * reports and stops on. Time is the TSC, calibrated once against the PIT
 * ticks of /proc/kstat. */
#include "plat.h"
#include "net.h"
#include "sys.h"

#define KOS_SYS_POLL 35
#define KOS_SYS_SETSOCKOPT 39
#define KOS_SYS_GETSOCKOPT 40
#define KOS_SYS_GETSOCKNAME 41
#define KOS_SOL_SOCKET 1
#define KOS_SO_REUSEADDR 2
#define KOS_SO_ERROR 4

static uint64_t tsc_per_ms;

static void calibrate(void)
{
    long hz = kstat_get("hz");
    long t0 = kstat_get("ticks");
    uint64_t c0 = p2p_cycles();
    sleep_ms(50);
    long t1 = kstat_get("ticks");
    uint64_t c1 = p2p_cycles();
    if (hz <= 0 || t1 <= t0)
        tsc_per_ms = 1000000; /* 1 GHz when the kernel cannot tell */
    else
        tsc_per_ms = (c1 - c0) * (uint64_t)hz / ((uint64_t)(t1 - t0) * 1000);
    if (tsc_per_ms == 0)
        tsc_per_ms = 1;
}

uint64_t plat_now_ms(void)
{
    if (!tsc_per_ms)
        calibrate();
    return p2p_cycles() / tsc_per_ms;
}

uint64_t plat_now_us(void)
{
    if (!tsc_per_ms)
        calibrate();
    return p2p_cycles() * 1000 / tsc_per_ms;
}

int plat_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        long r = getrandom(p, n, 0);
        if (r <= 0)
            return r < 0 ? (int)r : -EIO;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

void plat_log(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    write(1, line, (size_t)n);
}

static long sockopt(int nr, int fd, int level, int name, void *val, size_t len)
{
    return syscall6(nr, fd, level, name, (long)val, (long)len, 0);
}

int plat_tcp_listen(uint32_t ip, uint16_t port)
{
    long fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return (int)fd;
    int one = 1;
    sockopt(KOS_SYS_SETSOCKOPT, (int)fd, KOS_SOL_SOCKET, KOS_SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = sockaddr_ipv4(ip, port);
    long r = bind((int)fd, &a, sizeof a);
    if (r == 0)
        r = listen((int)fd, 64);
    if (r < 0) {
        close((int)fd);
        return (int)r;
    }
    return (int)fd;
}

int plat_tcp_accept(int lfd, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    long fd = accept(lfd, &a, &len);
    if (fd < 0)
        return (int)fd;
    *ip = ntohl(a.sin_addr);
    *port = ntohs(a.sin_port);
    return (int)fd;
}

int plat_tcp_connect(uint32_t ip, uint16_t port)
{
    long fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return (int)fd;
    struct sockaddr_in a = sockaddr_ipv4(ip, port);
    long r = connect((int)fd, &a, sizeof a);
    if (r < 0 && r != -PLAT_EINPROGRESS) {
        close((int)fd);
        return (int)r;
    }
    return (int)fd;
}

int plat_sock_error(int fd)
{
    int err = 0;
    size_t len = sizeof err;
    long r = syscall6(KOS_SYS_GETSOCKOPT, fd, KOS_SOL_SOCKET, KOS_SO_ERROR, (long)&err, (long)&len, 0);
    if (r < 0)
        return (int)r;
    return -err;
}

int plat_sock_name(int fd, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in a;
    size_t len = sizeof a;
    long r = syscall6(KOS_SYS_GETSOCKNAME, fd, (long)&a, (long)&len, 0, 0, 0);
    if (r < 0)
        return (int)r;
    *ip = ntohl(a.sin_addr);
    *port = ntohs(a.sin_port);
    return 0;
}

long plat_send(int fd, const void *buf, size_t n)
{
    return send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

long plat_recv(int fd, void *buf, size_t n)
{
    return recv(fd, buf, n, MSG_DONTWAIT, 0);
}

void plat_close(int fd) { close(fd); }

int plat_shutdown_write(int fd) { return (int)shutdown(fd, SHUT_WR); }

int plat_poll(struct plat_pollfd *fds, int n, int timeout_ms)
{
    long r = syscall6(KOS_SYS_POLL, (long)fds, n, timeout_ms, 0, 0, 0);
    return r == -EINTR ? 0 : (int)r;
}

int plat_udp_open(uint16_t port, uint32_t group)
{
    long fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return (int)fd;
    /* Shared with the kernel's mDNS responder when the port is 5353. */
    int one = 1, ttl = 255;
    sockopt(KOS_SYS_SETSOCKOPT, (int)fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = sockaddr_ipv4(0, port);
    long r = bind((int)fd, &a, sizeof a);
    if (r == 0 && group) {
        struct kos_ip_mreq m = {htonl(group), 0};
        r = sockopt(KOS_SYS_SETSOCKOPT, (int)fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
        if (r == 0)
            r = sockopt(KOS_SYS_SETSOCKOPT, (int)fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    }
    if (r < 0) {
        close((int)fd);
        return (int)r;
    }
    return (int)fd;
}

long plat_sendto(int fd, const void *buf, size_t n, uint32_t ip, uint16_t port)
{
    struct sockaddr_in a = sockaddr_ipv4(ip, port);
    return sendto(fd, buf, n, 0, &a, sizeof a);
}

long plat_recvfrom(int fd, void *buf, size_t n, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in a;
    long r = recvfrom(fd, buf, n, MSG_DONTWAIT, &a, 0);
    if (r >= 0) {
        *ip = ntohl(a.sin_addr);
        *port = ntohs(a.sin_port);
    }
    return r;
}

uint32_t plat_primary_ip(void)
{
    /* The source address of the route to the mDNS group: a connected
     * datagram socket names it (nothing is sent). */
    long fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in to = sockaddr_ipv4(0xe00000fbu, 5353);
    uint32_t ip = 0;
    uint16_t port;
    if (connect((int)fd, &to, sizeof to) < 0 || plat_sock_name((int)fd, &ip, &port) < 0)
        ip = 0;
    close((int)fd);
    return ip;
}

int plat_file_open(const char *path, bool write)
{
    return (int)open(path, write ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY);
}

long plat_file_read(int fd, void *buf, size_t n) { return read(fd, buf, n); }
long plat_file_write(int fd, const void *buf, size_t n) { return write(fd, buf, n); }
int plat_file_remove(const char *path) { return (int)unlink(path); }

long plat_free_memory(void)
{
    long pages = kstat_get("free_pages");
    return pages < 0 ? -1 : pages * 4096;
}
