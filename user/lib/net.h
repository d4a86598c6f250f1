/* Socket syscall stubs (numbers 15-23) and the socket ABI. The ABI mirrors
 * kernel/net/socket.h and kernel/net/net_syscalls.h: Linux numbers and
 * layouts, plus a timeout argument on recv/recvfrom (0 = wait forever). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "sys.h"

#define AF_UNSPEC 0
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_NONBLOCK 0x800
#define IPPROTO_UDP 17
#define MSG_DONTWAIT 0x40

struct sockaddr_in {
    uint16_t sin_family;
    uint16_t sin_port;   /* network byte order */
    uint32_t sin_addr;   /* network byte order */
    uint8_t sin_zero[8];
};

static inline uint16_t htons(uint16_t v) { return (uint16_t)((v << 8) | (v >> 8)); }
#define ntohs htons
static inline uint32_t htonl(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}
#define ntohl htonl
/* a.b.c.d in host order */
#define IPV4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

struct sockaddr_in sockaddr_ipv4(uint32_t host_order_ip, uint16_t port);

long sys_socket(int domain, int type, int protocol);
long sys_bind(int fd, const struct sockaddr_in *addr, size_t addrlen);
long sys_connect(int fd, const struct sockaddr_in *addr, size_t addrlen);
long sys_listen(int fd, int backlog);
long sys_accept(int fd, struct sockaddr_in *addr, size_t *addrlen);
long sys_send(int fd, const void *buf, size_t len, int flags);
long sys_recv(int fd, void *buf, size_t len, int flags, unsigned timeout_ms);
long sys_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr_in *addr, size_t addrlen);
long sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr_in *src, unsigned timeout_ms);
