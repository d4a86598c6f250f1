/* Socket syscall wrappers. */
#include "net.h"

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
long accept(int fd, struct sockaddr_in *addr, size_t *addrlen)
{
    return syscall6(SYS_accept, fd, (long)addr, (long)addrlen, 0, 0, 0);
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
