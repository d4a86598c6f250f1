/* Socket syscall wrappers. */
#include "net.h"
#include "libc.h"

struct sockaddr_in sockaddr_ipv4(uint32_t ip, uint16_t port)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr = htonl(ip);
    return a;
}

long socket(int domain, int type, int protocol)
{
    return syscall6(SYS_socket, domain, type, protocol, 0, 0, 0);
}
long bind(int fd, const struct sockaddr_in *addr, size_t addrlen)
{
    return syscall6(SYS_bind, fd, (long)addr, (long)addrlen, 0, 0, 0);
}
long connect(int fd, const struct sockaddr_in *addr, size_t addrlen)
{
    return syscall6(SYS_connect, fd, (long)addr, (long)addrlen, 0, 0, 0);
}
long listen(int fd, int backlog) { return syscall6(SYS_listen, fd, backlog, 0, 0, 0, 0); }
long accept(int fd, struct sockaddr_in *addr, socklen_t *addrlen)
{
    return syscall6(SYS_accept, fd, (long)addr, (long)addrlen, 0, 0, 0);
}
long shutdown(int fd, int how) { return syscall6(SYS_shutdown, fd, how, 0, 0, 0, 0); }
long setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    return syscall6(SYS_setsockopt, fd, level, name, (long)val, (long)len, 0);
}
long getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    return syscall6(SYS_getsockopt, fd, level, name, (long)val, (long)len, 0);
}
long getsockname(int fd, struct sockaddr_in *addr, socklen_t *len)
{
    return syscall6(SYS_getsockname, fd, (long)addr, (long)len, 0, 0, 0);
}
long getpeername(int fd, struct sockaddr_in *addr, socklen_t *len)
{
    return syscall6(SYS_getpeername, fd, (long)addr, (long)len, 0, 0, 0);
}
long setsockopt_int(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof value);
}
long tcp_listen_any(uint16_t port, int backlog, int type_flags)
{
    long l = socket(AF_INET, SOCK_STREAM | type_flags, 0);
    if (l < 0)
        return l;
    setsockopt_int((int)l, SOL_SOCKET, SO_REUSEADDR, 1);
    struct sockaddr_in a = sockaddr_ipv4(0, port);
    long rc = bind((int)l, &a, sizeof a);
    if (rc == 0)
        rc = listen((int)l, backlog);
    if (rc < 0) {
        close((int)l);
        return rc;
    }
    return l;
}
long tcp_serve(const char *name, uint16_t port, int backlog, int type_flags)
{
    long l = tcp_listen_any(port, backlog, type_flags);
    if (l < 0)
        printf("%s: cannot listen on port %d\n", name, port);
    else
        printf("%s: listening on port %d\n", name, port);
    return l;
}
long write_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        long n = write(fd, (const char *)buf + done, len - done);
        if (n < 0)
            return done ? (long)done : n;
        done += (size_t)n;
    }
    return (long)done;
}
long read_full(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        long n = read(fd, (char *)buf + done, len - done);
        if (n < 0)
            return done ? (long)done : n;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (long)done;
}
long send(int fd, const void *buf, size_t len, int flags)
{
    return syscall6(SYS_send, fd, (long)buf, (long)len, flags, 0, 0);
}
long recv(int fd, void *buf, size_t len, int flags, unsigned timeout_ms)
{
    return syscall6(SYS_recv, fd, (long)buf, (long)len, flags, timeout_ms, 0);
}
long sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr_in *addr, size_t addrlen)
{
    return syscall6(SYS_sendto, fd, (long)buf, (long)len, flags, (long)addr, (long)addrlen);
}
long recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr_in *src, unsigned timeout_ms)
{
    return syscall6(SYS_recvfrom, fd, (long)buf, (long)len, flags, (long)src, timeout_ms);
}

void print_tcp_counters(const char *prog)
{
    static char text[32768];
    long fd = open("/proc/net/tcp", O_RDONLY);
    if (fd < 0)
        return;
    long n = read_full((int)fd, text, sizeof text - 1);
    close((int)fd);
    if (n > 0) {
        text[n] = 0;
        printf("%s: /proc/net/tcp\n%s", prog, text);
    }
}
