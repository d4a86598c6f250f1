/* Socket syscall wrappers (numbers 15-23) and the socket ABI (kos/socket.h,
 * shared with the kernel; the calls are described in kernel/sys/sys_net.c):
 * Linux numbers and layouts, plus a timeout argument on recv/recvfrom
 * (0 = wait forever). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "sys.h"

#include <kos/socket.h>

/* User code says struct sockaddr_in, as on Linux; it is the kernel's
 * struct kos_sockaddr_in (one definition in kos/socket.h). */
#define sockaddr_in kos_sockaddr_in

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

long socket(int domain, int type, int protocol);
long bind(int fd, const struct sockaddr_in *addr, size_t addrlen);
long connect(int fd, const struct sockaddr_in *addr, size_t addrlen);
/* Streams (SOCK_STREAM): address lengths are socklen_t (32-bit), as on Linux. */
typedef kos_socklen_t socklen_t;
long listen(int fd, int backlog);
long accept(int fd, struct sockaddr_in *addr, socklen_t *addrlen);
long shutdown(int fd, int how);
long setsockopt(int fd, int level, int name, const void *val, socklen_t len);
long getsockopt(int fd, int level, int name, void *val, socklen_t *len);
long getsockname(int fd, struct sockaddr_in *addr, socklen_t *len);
long getpeername(int fd, struct sockaddr_in *addr, socklen_t *len);
/* Helpers over them: an int option, and writing/reading a whole buffer. */
long setsockopt_int(int fd, int level, int name, int value);
/* A listening TCP socket on 0.0.0.0:port with SO_REUSEADDR (type flags:
 * SOCK_NONBLOCK or 0): the descriptor or -errno. */
long tcp_listen_any(uint16_t port, int backlog, int type_flags);
/* A server's start: tcp_listen_any, then "NAME: listening on port P" on the
 * console (the line host peers wait for) or "NAME: cannot listen on port P". */
long tcp_serve(const char *name, uint16_t port, int backlog, int type_flags);
long write_all(int fd, const void *buf, size_t len);
long read_full(int fd, void *buf, size_t len);   /* stops early only at EOF or error */
/* Prints "PROG: /proc/net/tcp" and the TCP counters (kernel/net/tcp_proc.c) to the console, for case logs. */
void print_tcp_counters(const char *prog);
long send(int fd, const void *buf, size_t len, int flags);
long recv(int fd, void *buf, size_t len, int flags, unsigned timeout_ms);
long sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr_in *addr, size_t addrlen);
long recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr_in *src, unsigned timeout_ms);
