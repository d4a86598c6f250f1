/* plat.h over POSIX sockets, poll and /dev/urandom: the host build of p2pd. */
#define _GNU_SOURCE
#include "plat.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A test's clock: with KOS_P2P_CLOCK_FILE set, the clock runs ahead of the
 * monotonic one by the milliseconds that file holds (one decimal number; the
 * test writes a larger one to jump hours ahead at once, so periods of hours
 * are tested without waiting for them). The skew only grows: time never runs
 * back. The file is read again at most every 10 ms of real time. */
static uint64_t clock_skew_us(uint64_t real_us)
{
    static const char *path;
    static bool looked;
    static uint64_t skew_us, read_at_us;
    if (!looked) {
        looked = true;
        path = getenv("KOS_P2P_CLOCK_FILE");
    }
    if (!path || (read_at_us && real_us - read_at_us < 10000))
        return skew_us;
    read_at_us = real_us;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return skew_us;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0) {
        buf[n] = 0;
        uint64_t ms = strtoull(buf, NULL, 10);
        if (ms * 1000 > skew_us)
            skew_us = ms * 1000;
    }
    return skew_us;
}

uint64_t plat_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t real = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
    return real + clock_skew_us(real);
}

uint64_t plat_now_ms(void)
{
    return plat_now_us() / 1000;
}

int plat_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

void plat_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(ip);
    return a;
}

/* A non-blocking socket of the type with one int option set to 1 (level,
 * name), or -errno. */
static int socket_with(int type, int level, int name)
{
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, level, name, &one, sizeof one);
    return fd;
}

/* Closes fd after a failed call and returns that call's -errno. */
static int close_failed(int fd)
{
    int e = -errno;
    close(fd);
    return e;
}

static void addr_of(const struct sockaddr_in *a, uint32_t *ip, uint16_t *port)
{
    *ip = ntohl(a->sin_addr.s_addr);
    *port = ntohs(a->sin_port);
}

int plat_tcp_listen(uint32_t ip, uint16_t port)
{
    int fd = socket_with(SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR);
    if (fd < 0)
        return fd;
    struct sockaddr_in a = sin_of(ip, port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0)
        return close_failed(fd);
    return fd;
}

int plat_tcp_accept(int lfd, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = accept4(lfd, (struct sockaddr *)&a, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return errno == EWOULDBLOCK ? -PLAT_EAGAIN : -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    addr_of(&a, ip, port);
    return fd;
}

int plat_tcp_connect(uint32_t ip, uint16_t port)
{
    int fd = socket_with(SOCK_STREAM, IPPROTO_TCP, TCP_NODELAY);
    if (fd < 0)
        return fd;
    struct sockaddr_in a = sin_of(ip, port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        return close_failed(fd);
    return fd;
}

int plat_sock_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    return -err;
}

int plat_sock_name(int fd, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return -errno;
    addr_of(&a, ip, port);
    return 0;
}

long plat_send(int fd, const void *buf, size_t n)
{
    ssize_t r = send(fd, buf, n, MSG_NOSIGNAL);
    if (r < 0)
        return errno == EWOULDBLOCK ? -PLAT_EAGAIN : -errno;
    return r;
}

long plat_recv(int fd, void *buf, size_t n)
{
    ssize_t r = recv(fd, buf, n, 0);
    if (r < 0)
        return errno == EWOULDBLOCK ? -PLAT_EAGAIN : -errno;
    return r;
}

void plat_close(int fd) { close(fd); }

int plat_shutdown_write(int fd) { return shutdown(fd, SHUT_WR) < 0 ? -errno : 0; }

int plat_poll(struct plat_pollfd *fds, int n, int timeout_ms)
{
    _Static_assert(sizeof(struct plat_pollfd) == sizeof(struct pollfd), "pollfd layout");
    int r = poll((struct pollfd *)fds, (nfds_t)n, timeout_ms);
    return r < 0 ? (errno == EINTR ? 0 : -errno) : r;
}

int plat_udp_open(uint16_t port, uint32_t group)
{
    int fd = socket_with(SOCK_DGRAM, SOL_SOCKET, SO_REUSEADDR);
    if (fd < 0)
        return fd;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = sin_of(0, port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return close_failed(fd);
    if (group) {
        struct ip_mreq m;
        m.imr_multiaddr.s_addr = htonl(group);
        m.imr_interface.s_addr = htonl(INADDR_ANY);
        int ttl = 255;
        if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0)
            return close_failed(fd);
    }
    return fd;
}

long plat_sendto(int fd, const void *buf, size_t n, uint32_t ip, uint16_t port)
{
    struct sockaddr_in a = sin_of(ip, port);
    ssize_t r = sendto(fd, buf, n, 0, (struct sockaddr *)&a, sizeof a);
    return r < 0 ? -errno : r;
}

long plat_recvfrom(int fd, void *buf, size_t n, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    ssize_t r = recvfrom(fd, buf, n, 0, (struct sockaddr *)&a, &len);
    if (r < 0)
        return errno == EWOULDBLOCK ? -PLAT_EAGAIN : -errno;
    addr_of(&a, ip, port);
    return r;
}

uint32_t plat_primary_ip(void)
{
    /* The source address of the route to the mDNS group (nothing is sent). */
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in to = sin_of(0xe00000fbu, 5353), me;
    socklen_t len = sizeof me;
    uint32_t ip = 0;
    if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0 && getsockname(fd, (struct sockaddr *)&me, &len) == 0)
        ip = ntohl(me.sin_addr.s_addr);
    close(fd);
    return ip;
}

int plat_file_open(const char *path, bool write)
{
    int fd = write ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open(path, O_RDONLY);
    return fd < 0 ? -errno : fd;
}

long plat_file_read(int fd, void *buf, size_t n)
{
    ssize_t k = read(fd, buf, n);
    return k < 0 ? -errno : (long)k;
}

long plat_file_write(int fd, const void *buf, size_t n)
{
    ssize_t k = write(fd, buf, n);
    return k < 0 ? -errno : (long)k;
}

int plat_file_remove(const char *path) { return unlink(path) < 0 ? -errno : 0; }

long plat_free_memory(void)
{
    long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages < 0 || size < 0 ? -1 : pages * size;
}
