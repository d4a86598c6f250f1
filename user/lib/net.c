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

long sys_socket(int domain, int type, int protocol)
{
    return syscall6(SYS_SOCKET, domain, type, protocol, 0, 0, 0);
}
long sys_bind(int fd, const struct sockaddr_in *addr, size_t addrlen)
{
    return syscall6(SYS_BIND, fd, (long)addr, (long)addrlen, 0, 0, 0);
}
long sys_connect(int fd, const struct sockaddr_in *addr, size_t addrlen)
{
    return syscall6(SYS_CONNECT, fd, (long)addr, (long)addrlen, 0, 0, 0);
}
long sys_listen(int fd, int backlog) { return syscall6(SYS_LISTEN, fd, backlog, 0, 0, 0, 0); }
long sys_accept(int fd, struct sockaddr_in *addr, size_t *addrlen)
{
    return syscall6(SYS_ACCEPT, fd, (long)addr, (long)addrlen, 0, 0, 0);
}
long sys_send(int fd, const void *buf, size_t len, int flags)
{
    return syscall6(SYS_SEND, fd, (long)buf, (long)len, flags, 0, 0);
}
long sys_recv(int fd, void *buf, size_t len, int flags, unsigned timeout_ms)
{
    return syscall6(SYS_RECV, fd, (long)buf, (long)len, flags, timeout_ms, 0);
}
long sys_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr_in *addr, size_t addrlen)
{
    return syscall6(SYS_SENDTO, fd, (long)buf, (long)len, flags, (long)addr, (long)addrlen);
}
long sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr_in *src, unsigned timeout_ms)
{
    return syscall6(SYS_RECVFROM, fd, (long)buf, (long)len, flags, (long)src, timeout_ms);
}
