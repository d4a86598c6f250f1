/* Socket syscalls 15-23 and 38-42 (numbers and prototypes from the list in
 * kos/syscalls.h) and the socket's file operations. User memory is copied
 * through kernel buffers (mm/uaccess.h) where it is read or written. A
 * socket descriptor is a file (sock_file_ops) whose read is a blocking recv
 * and whose write is a send to the connected peer.
 *
 * User ABI (user/lib/net.h has the wrappers):
 *   socket(domain, type, protocol)                  -> fd
 *   bind(fd, const struct kos_sockaddr_in *, len)   len must be 16
 *   connect(fd, const struct kos_sockaddr_in *, len)  AF_UNSPEC dissolves
 *   send(fd, buf, len, flags)                       connected peer
 *   recv(fd, buf, len, flags, timeout_ms)
 *   sendto(fd, buf, len, flags, addr, addrlen)
 *   recvfrom(fd, buf, len, flags, struct kos_sockaddr_in *src or 0, timeout_ms)
 *   listen(fd, backlog)                             SOCK_STREAM
 *   accept(fd, struct kos_sockaddr_in *peer or 0, kos_socklen_t *len or 0)
 *   shutdown(fd, how)                               SHUT_RD, SHUT_WR, SHUT_RDWR
 *   setsockopt(fd, level, name, const int *val, 4)  SO_REUSEADDR SO_RCVBUF SO_SNDBUF TCP_NODELAY
 *                                                   IP_MULTICAST_TTL (datagram sockets)
 *   setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP or IP_DROP_MEMBERSHIP, const struct kos_ip_mreq *, 8)
 *   getsockopt(fd, level, name, int *val, kos_socklen_t *len)   also SO_ERROR
 *   getsockname / getpeername(fd, struct kos_sockaddr_in *, kos_socklen_t *len)
 * timeout_ms 0 waits forever; MSG_DONTWAIT or a non-blocking socket
 * (SOCK_NONBLOCK, fcntl O_NONBLOCK) return -EAGAIN at once; an expired
 * timeout returns -ETIMEDOUT. A non-blocking connect returns -EINPROGRESS;
 * poll for POLLOUT, then SO_ERROR gives the outcome. On a stream, send and
 * write move every byte (blocking) or what fits (non-blocking); recv and read
 * return what has arrived. Address-length pointers hold 32-bit values: at
 * least 16 going in, 16 coming out. Errors: -EBADF, -ENOTSOCK, -EFAULT (any
 * bad pointer), -EINVAL, -EAFNOSUPPORT, -EPROTONOSUPPORT, -EADDRINUSE,
 * -EADDRNOTAVAIL, -EDESTADDRREQ, -EMSGSIZE (a datagram over 1472 bytes),
 * -ENETUNREACH, -ENETDOWN (no NIC), -EOPNOTSUPP (a stream call on a datagram
 * socket), -ENOPROTOOPT, and for streams -ECONNREFUSED, -ECONNRESET,
 * -ETIMEDOUT, -EPIPE (with SIGPIPE unless MSG_NOSIGNAL), -ENOTCONN, -EISCONN, -EALREADY, -EINPROGRESS, -EAGAIN. */

#include "sys/syscall.h"
#include "mm/heap.h"
#include "net/socket.h"
#include "net/udp.h"
#include "mm/uaccess.h"
#include "proc/proc.h"
#include "proc/signal.h"
#include "fs/file.h"
#include <kos/syscall.h>

static const struct file_ops sock_file_ops;

/* The socket behind fd; its non-blocking flag follows the file's O_NONBLOCK. */
static int sock_from_fd(uint64_t fd, struct socket **out)
{
    if (fd >= NOFILE)
        return -EBADF;
    struct file *f = proc_current()->files[fd];
    if (!f)
        return -EBADF;
    if (f->ops != &sock_file_ops)
        return -ENOTSOCK;
    struct socket *s = f->priv;
    s->nonblocking = (f->flags & O_NONBLOCK) != 0;
    *out = s;
    return 0;
}

/* A socket file and descriptor for s (released with it on failure). */
static int64_t install_socket(struct socket *s, bool nonblocking)
{
    struct file *f = file_new(&sock_file_ops, O_RDWR | (nonblocking ? O_NONBLOCK : 0), s);
    if (!f) {
        sock_close(s);
        return -ENOMEM;
    }
    int fd = proc_fd_alloc(proc_current(), f);
    if (fd < 0)
        file_put(f);    /* releases the socket */
    return fd;
}

/* Writes an address to (uaddr, ulen): *ulen must be at least 16 and becomes 16. */
static int addr_to_user(uint64_t uaddr, uint64_t ulen, const struct kos_sockaddr_in *a)
{
    if (!uaddr)
        return 0;
    kos_socklen_t len;
    if (copyin(&len, ulen, sizeof len))
        return -EFAULT;
    if (len < sizeof *a)
        return -EINVAL;
    len = sizeof *a;
    if (copyout(uaddr, a, sizeof *a) || copyout(ulen, &len, sizeof len))
        return -EFAULT;
    return 0;
}

static int addr_from_user(uint64_t uaddr, uint64_t len, struct kos_sockaddr_in *out)
{
    if (len != sizeof *out)
        return uaddr == 0 ? -EFAULT : -EINVAL;
    return copyin(out, uaddr, sizeof *out);
}

int64_t sys_socket(const struct syscall_args *a)
{
    if (a->a0 > 0xffff || a->a1 > 0xffff || a->a2 > 0xffff)
        return -EINVAL;
    struct socket *s;
    int rc = sock_create((int)a->a0, (int)a->a1, (int)a->a2, &s);
    if (rc < 0)
        return rc;
    return install_socket(s, (a->a1 & SOCK_NONBLOCK) != 0);
}

int64_t sys_listen(const struct syscall_args *a)
{
    struct socket *s;
    int rc = sock_from_fd(a->a0, &s);
    if (rc < 0)
        return rc;
    int backlog = (int64_t)a->a1 < 0 ? 0 : a->a1 > TCP_BACKLOG_MAX ? TCP_BACKLOG_MAX : (int)a->a1;
    return sock_listen(s, backlog);
}

int64_t sys_accept(const struct syscall_args *a)
{
    struct socket *s, *n;
    int rc = sock_from_fd(a->a0, &s);
    if (rc < 0)
        return rc;
    /* Pointers first: a connection is never taken and then lost to a bad one. */
    if (a->a1 && (user_range_ok(a->a1, sizeof(struct kos_sockaddr_in), true) ||
                  user_range_ok(a->a2, sizeof(kos_socklen_t), true)))
        return -EFAULT;
    rc = sock_accept(s, &n);
    if (rc < 0)
        return rc;
    struct kos_sockaddr_in peer;
    sock_getname(n, true, &peer);
    int64_t fd = install_socket(n, false);
    if (fd >= 0 && (rc = addr_to_user(a->a1, a->a2, &peer)) < 0)
        return rc;      /* the descriptor stays: the connection is not lost */
    return fd;
}

int64_t sys_shutdown(const struct syscall_args *a)
{
    struct socket *s;
    int rc = sock_from_fd(a->a0, &s);
    return rc < 0 ? rc : sock_shutdown(s, (int)a->a1);
}

static int64_t getname(const struct syscall_args *a, bool peer)
{
    struct socket *s;
    int rc = sock_from_fd(a->a0, &s);
    if (rc < 0)
        return rc;
    if (!a->a1 || !a->a2)
        return -EFAULT;
    struct kos_sockaddr_in addr;
    rc = sock_getname(s, peer, &addr);
    return rc < 0 ? rc : addr_to_user(a->a1, a->a2, &addr);
}

int64_t sys_getsockname(const struct syscall_args *a) { return getname(a, false); }
int64_t sys_getpeername(const struct syscall_args *a) { return getname(a, true); }

int64_t sys_setsockopt(const struct syscall_args *a)
{
    struct socket *s;
    int rc = sock_from_fd(a->a0, &s);
    if (rc < 0)
        return rc;
    int level = (int)a->a1, name = (int)a->a2;
    if (level == IPPROTO_IP && (name == IP_ADD_MEMBERSHIP || name == IP_DROP_MEMBERSHIP)) {
        struct kos_ip_mreq m;
        if (a->a4 != sizeof m)
            return -EINVAL;
        if (copyin(&m, a->a3, sizeof m))
            return -EFAULT;
        return sock_membership(s, name == IP_ADD_MEMBERSHIP, net_ntohl(m.imr_multiaddr), net_ntohl(m.imr_interface));
    }
    if (a->a4 != sizeof(int))
        return -EINVAL;
    int v;
    if (copyin(&v, a->a3, sizeof v))
        return -EFAULT;
    return sock_setopt(s, level, name, v);
}

int64_t sys_getsockopt(const struct syscall_args *a)
{
    struct socket *s;
    int rc = sock_from_fd(a->a0, &s);
    if (rc < 0)
        return rc;
    kos_socklen_t len;
    if (copyin(&len, a->a4, sizeof len) || user_range_ok(a->a3, sizeof(int), true))
        return -EFAULT;
    if (len < sizeof(int))
        return -EINVAL;
    int v;
    rc = sock_getopt(s, (int)a->a1, (int)a->a2, &v);
    if (rc < 0)
        return rc;
    len = sizeof v;
    if (copyout(a->a3, &v, sizeof v) || copyout(a->a4, &len, sizeof len))
        return -EFAULT;
    return 0;
}

/* Stream I/O in chunks through a kernel buffer, each copied at its use. */
#define STREAM_CHUNK 4096

static int64_t stream_send(struct socket *s, const struct iobuf *buf, int flags)
{
    uint8_t *k = kmalloc(STREAM_CHUNK);
    if (!k)
        return -ENOMEM;
    uint64_t done = 0;
    int64_t r = 0;
    do {
        uint64_t n = buf->len - done < STREAM_CHUNK ? buf->len - done : STREAM_CHUNK;
        if (n && iobuf_copyin(k, buf, done, n)) {
            r = -EFAULT;
            break;
        }
        uint64_t took = 0;
        while (took < n || n == 0) {
            r = sock_stream_send(s, k + took, (size_t)(n - took), flags);
            if (r <= 0)
                break;
            took += (uint64_t)r;
        }
        done += took;
        if (r < 0 || n == 0)
            break;
    } while (done < buf->len);
    kfree(k);
    if (done)
        return (int64_t)done;
    /* A stream that can no longer send raises SIGPIPE as a pipe without a
     * reader does (its default ends the process), unless MSG_NOSIGNAL. */
    if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
        signal_raise(SIGPIPE);
    return r;
}

static int64_t stream_recv(struct socket *s, const struct iobuf *buf, int flags, uint32_t timeout_ms)
{
    uint64_t n = buf->len < 16384 ? buf->len : 16384;
    uint8_t *k = kmalloc(n ? n : 1);
    if (!k)
        return -ENOMEM;
    int64_t r = sock_stream_recv(s, k, (size_t)n, flags, timeout_ms);
    if (r > 0 && iobuf_copyout(buf, 0, k, (uint64_t)r))
        r = -EFAULT;
    kfree(k);
    return r;
}

/* bind/connect(fd, addr, len): the socket and the address they name. */
static int sock_addr_args(const struct syscall_args *a, struct socket **s, struct kos_sockaddr_in *addr)
{
    int rc = sock_from_fd(a->a0, s);
    return rc < 0 ? rc : addr_from_user(a->a1, a->a2, addr);
}

int64_t sys_bind(const struct syscall_args *a)
{
    struct socket *s;
    struct kos_sockaddr_in addr;
    int rc = sock_addr_args(a, &s, &addr);
    return rc < 0 ? rc : sock_bind(s, &addr);
}

int64_t sys_connect(const struct syscall_args *a)
{
    struct socket *s;
    struct kos_sockaddr_in addr;
    int rc = sock_addr_args(a, &s, &addr);
    return rc < 0 ? rc : sock_connect(s, &addr);
}

static int64_t do_send(uint64_t fd, uint64_t ubuf, uint64_t len, uint64_t flags, uint64_t uaddr,
                       uint64_t addrlen, bool with_addr)
{
    struct socket *s;
    struct kos_sockaddr_in addr;
    int rc = sock_from_fd(fd, &s);
    if (rc < 0)
        return rc;
    if (flags > 0xffffffffu)
        return -EINVAL;
    if (len && user_range_ok(ubuf, len, false))
        return -EFAULT;
    if (s->tcp) {
        struct iobuf b = iobuf_user(ubuf, len);
        (void)uaddr;
        (void)addrlen;
        (void)with_addr;    /* a stream sends to its peer (Linux ignores the address) */
        return stream_send(s, &b, (int)flags);
    }
    if (len > UDP_DGRAM_MAX)
        return -EMSGSIZE;
    if (with_addr && (rc = addr_from_user(uaddr, addrlen, &addr)) < 0)
        return rc;
    uint8_t *kbuf = kmalloc(len ? len : 1);
    if (!kbuf)
        return -ENOMEM;
    rc = len ? copyin(kbuf, ubuf, len) : 0;
    int64_t r = rc < 0 ? rc : sock_sendto(s, kbuf, len, (int)flags, with_addr ? &addr : NULL);
    kfree(kbuf);
    return r;
}

static int64_t do_recv(uint64_t fd, uint64_t ubuf, uint64_t len, uint64_t flags, uint64_t usrc,
                       uint64_t timeout_ms)
{
    struct socket *s;
    int rc = sock_from_fd(fd, &s);
    if (rc < 0)
        return rc;
    if (flags > 0xffffffffu || timeout_ms > 0xffffffffu)
        return -EINVAL;
    /* Every pointer is checked before blocking, so a datagram is never
     * taken off the queue and then lost to a bad buffer. */
    if (len && user_range_ok(ubuf, len, true))
        return -EFAULT;
    if (usrc && user_range_ok(usrc, sizeof(struct kos_sockaddr_in), true))
        return -EFAULT;
    if (s->tcp) {
        struct iobuf b = iobuf_user(ubuf, len);
        int64_t r = stream_recv(s, &b, (int)flags, (uint32_t)timeout_ms);
        struct kos_sockaddr_in from;
        if (r >= 0 && usrc && sock_getname(s, true, &from) == 0 && copyout(usrc, &from, sizeof from))
            r = -EFAULT;
        return r;
    }
    size_t klen = len > UDP_DGRAM_MAX ? UDP_DGRAM_MAX : (size_t)len;
    uint8_t *kbuf = kmalloc(klen ? klen : 1);
    if (!kbuf)
        return -ENOMEM;
    struct kos_sockaddr_in from;
    int64_t r = sock_recvfrom(s, kbuf, klen, (int)flags, &from, (uint32_t)timeout_ms);
    if (r >= 0 && r > 0 && copyout(ubuf, kbuf, (uint64_t)r) < 0)
        r = -EFAULT;
    if (r >= 0 && usrc && copyout(usrc, &from, sizeof from) < 0)
        r = -EFAULT;
    kfree(kbuf);
    return r;
}

int64_t sys_send(const struct syscall_args *a)
{
    return do_send(a->a0, a->a1, a->a2, a->a3, 0, 0, false);
}

int64_t sys_sendto(const struct syscall_args *a)
{
    return do_send(a->a0, a->a1, a->a2, a->a3, a->a4, a->a5, true);
}

int64_t sys_recv(const struct syscall_args *a)
{
    return do_recv(a->a0, a->a1, a->a2, a->a3, 0, a->a4);
}

int64_t sys_recvfrom(const struct syscall_args *a)
{
    return do_recv(a->a0, a->a1, a->a2, a->a3, a->a4, a->a5);
}

/* read() on a socket: a blocking recv of one datagram, copied out after it
 * arrived (the wait holds no user pointer). */
static int64_t sock_file_read(struct file *f, const struct iobuf *buf)
{
    struct socket *s = f->priv;
    s->nonblocking = (f->flags & O_NONBLOCK) != 0;
    if (s->tcp)
        return stream_recv(s, buf, 0, 0);
    size_t klen = buf->len > UDP_DGRAM_MAX ? UDP_DGRAM_MAX : (size_t)buf->len;
    uint8_t *kbuf = kmalloc(klen ? klen : 1);
    if (!kbuf)
        return -ENOMEM;
    int64_t r = sock_recvfrom(f->priv, kbuf, klen, 0, NULL, 0);
    if (r > 0 && iobuf_copyout(buf, 0, kbuf, (uint64_t)r))
        r = -EFAULT;
    kfree(kbuf);
    return r;
}

/* write() on a socket: send to the connected peer. */
static int64_t sock_file_write(struct file *f, const struct iobuf *buf)
{
    struct socket *s = f->priv;
    s->nonblocking = (f->flags & O_NONBLOCK) != 0;
    if (s->tcp)
        return stream_send(s, buf, 0);
    if (buf->len > UDP_DGRAM_MAX)
        return -EMSGSIZE;
    uint8_t *kbuf = kmalloc(buf->len ? buf->len : 1);
    if (!kbuf)
        return -ENOMEM;
    int64_t r = iobuf_copyin(kbuf, buf, 0, buf->len);
    if (r == 0)
        r = sock_sendto(f->priv, kbuf, (size_t)buf->len, 0, NULL);
    kfree(kbuf);
    return r;
}

static void sock_file_release(struct file *f)
{
    sock_close(f->priv);
}

static unsigned sock_file_poll(struct file *f, struct poll_table *pt)
{
    poll_wait(pt, net_event_queue());
    return sock_poll(f->priv);
}

static const struct file_ops sock_file_ops = {
    .name = "socket", .mode = KOS_S_IFSOCK | 0666,
    .read = sock_file_read, .write = sock_file_write, .poll = sock_file_poll, .release = sock_file_release,
};
