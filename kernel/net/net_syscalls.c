/* Socket syscalls 15-23 (numbers and prototypes from the list in
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
 * timeout_ms 0 waits forever; MSG_DONTWAIT or SOCK_NONBLOCK return -EAGAIN at
 * once; an expired timeout returns -ETIMEDOUT. listen/accept are reserved in
 * the list with no handler (-ENOSYS): UDP only. Errors: -EBADF, -ENOTSOCK,
 * -EFAULT (any bad pointer, checked before anything happens), -EINVAL, -EAFNOSUPPORT,
 * -EPROTONOSUPPORT (SOCK_STREAM), -EADDRINUSE, -EADDRNOTAVAIL, -EDESTADDRREQ,
 * -EMSGSIZE (> 1472 bytes), -ENETUNREACH, -ENETDOWN (no NIC). */

#include "sys/syscall.h"
#include "mm/heap.h"
#include "net/socket.h"
#include "net/udp.h"
#include "mm/uaccess.h"
#include "proc/proc.h"
#include "fs/file.h"
#include "net/net_boot.h"
#include "cmdline.h"
#include <kos/syscall.h>

static const struct file_ops sock_file_ops;

static int sock_from_fd(uint64_t fd, struct socket **out)
{
    if (fd >= NOFILE)
        return -EBADF;
    struct file *f = proc_current()->files[fd];
    if (!f)
        return -EBADF;
    if (f->ops != &sock_file_ops)
        return -ENOTSOCK;
    *out = f->priv;
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
    /* kmain normally brings the NIC up at boot (before the page-leak
     * baseline); this only covers a kernel that did not. */
    if (!net_default_if)
        net_init(cmdline_text());
    struct socket *s;
    int rc = sock_create((int)a->a0, (int)a->a1, (int)a->a2, &s);
    if (rc < 0)
        return rc;
    struct file *f = file_new(&sock_file_ops, O_RDWR, s);
    if (!f) {
        sock_close(s);
        return -ENOMEM;
    }
    int fd = proc_fd_alloc(proc_current(), f);
    if (fd < 0)
        file_put(f);    /* releases the socket */
    return fd;
}

int64_t sys_bind(const struct syscall_args *a)
{
    struct socket *s;
    struct kos_sockaddr_in addr;
    int rc = sock_from_fd(a->a0, &s);
    if (rc == 0)
        rc = addr_from_user(a->a1, a->a2, &addr);
    return rc < 0 ? rc : sock_bind(s, &addr);
}

int64_t sys_connect(const struct syscall_args *a)
{
    struct socket *s;
    struct kos_sockaddr_in addr;
    int rc = sock_from_fd(a->a0, &s);
    if (rc == 0)
        rc = addr_from_user(a->a1, a->a2, &addr);
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
    if (len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (len && user_range_ok(ubuf, len, false))
        return -EFAULT;
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
    size_t klen = len > UDP_MAX_PAYLOAD ? UDP_MAX_PAYLOAD : (size_t)len;
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
    size_t klen = buf->len > UDP_MAX_PAYLOAD ? UDP_MAX_PAYLOAD : (size_t)buf->len;
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
    if (buf->len > UDP_MAX_PAYLOAD)
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

static const struct file_ops sock_file_ops = {
    .name = "socket", .mode = KOS_S_IFSOCK | 0666,
    .read = sock_file_read, .write = sock_file_write, .release = sock_file_release,
};
