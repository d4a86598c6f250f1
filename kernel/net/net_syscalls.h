/* Socket syscalls 15-23 (kernel/sys/syscall.c table) and the hooks fs/file.c
 * calls for descriptors of kind FILE_SOCKET.
 *
 * User ABI (user/lib/net.h has the wrappers):
 *   socket(domain, type, protocol)                  -> fd
 *   bind(fd, const struct kos_sockaddr_in *, len)   len must be 16
 *   connect(fd, const struct kos_sockaddr_in *, len)  AF_UNSPEC dissolves
 *   send(fd, buf, len, flags)                       connected peer
 *   recv(fd, buf, len, flags, timeout_ms)
 *   sendto(fd, buf, len, flags, addr, addrlen)
 *   recvfrom(fd, buf, len, flags, struct kos_sockaddr_in *src or 0, timeout_ms)
 * timeout_ms 0 waits forever; MSG_DONTWAIT or SOCK_NONBLOCK return -EAGAIN at
 * once; an expired timeout returns -ETIMEDOUT. listen/accept stay out of the
 * table (-ENOSYS): UDP only. Errors: -EBADF, -ENOTSOCK, -EFAULT (any bad
 * pointer, checked before anything happens), -EINVAL, -EAFNOSUPPORT,
 * -EPROTONOSUPPORT (SOCK_STREAM), -EADDRINUSE, -EADDRNOTAVAIL, -EDESTADDRREQ,
 * -EMSGSIZE (> 1472 bytes), -ENETUNREACH, -ENETDOWN (no NIC). */
#ifndef KOS_NET_SYSCALLS_H
#define KOS_NET_SYSCALLS_H
#include <stdint.h>
#include "sys/syscall.h"

struct socket;

int64_t sys_socket(const struct syscall_args *a);
int64_t sys_bind(const struct syscall_args *a);
int64_t sys_connect(const struct syscall_args *a);
int64_t sys_send(const struct syscall_args *a);
int64_t sys_recv(const struct syscall_args *a);
int64_t sys_sendto(const struct syscall_args *a);
int64_t sys_recvfrom(const struct syscall_args *a);

/* fs/file.c: read/write on a socket descriptor (blocking recv / send to the
 * connected peer), and the last close. dst/src are checked user addresses. */
int64_t sock_file_read(struct socket *s, void *dst, uint64_t n);
int64_t sock_file_write(struct socket *s, const void *src, uint64_t n);
void sock_file_release(struct socket *s);
#endif
