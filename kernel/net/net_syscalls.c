/* Socket syscalls: user pointers are checked (sys/uaccess.h) and copied
 * through kernel buffers; descriptors are files of kind FILE_SOCKET. */
#include "net/net_syscalls.h"
#include "net/socket.h"
#include "net/udp.h"
#include "sys/uaccess.h"
#include "proc/proc.h"
#include "fs/file.h"
#include "net/net_boot.h"
#include "cmdline.h"

/* fs/file.h defines KOS_FILE_HAS_SOCKETS once it has FILE_SOCKET and
 * file_socket(); until then this file builds to nothing. */
#ifdef KOS_FILE_HAS_SOCKETS

static int sock_from_fd(uint64_t fd, struct socket **out)
{
    if (fd >= NOFILE)
        return -EBADF;
    struct file *f = proc_current()->files[fd];
    if (!f)
        return -EBADF;
    if (f->kind != FILE_SOCKET)
        return -ENOTSOCK;
    *out = f->sock;
    return 0;
}

static int addr_from_user(uint64_t uaddr, uint64_t len, struct kos_sockaddr_in *out)
{
    if (len != sizeof *out)
        return uaddr == 0 ? -EFAULT : -EINVAL;
    return copy_from_user(out, uaddr, sizeof *out);
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
    struct file *f = file_socket(s);
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
    rc = len ? copy_from_user(kbuf, ubuf, len) : 0;
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
    if (r >= 0 && r > 0 && copy_to_user(ubuf, kbuf, (uint64_t)r) < 0)
        r = -EFAULT;
    if (r >= 0 && usrc && copy_to_user(usrc, &from, sizeof from) < 0)
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

int64_t sock_file_read(struct socket *s, void *dst, uint64_t n)
{
    size_t klen = n > UDP_MAX_PAYLOAD ? UDP_MAX_PAYLOAD : (size_t)n;
    return sock_recvfrom(s, dst, klen, 0, NULL, 0);
}

int64_t sock_file_write(struct socket *s, const void *src, uint64_t n)
{
    if (n > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    return sock_sendto(s, src, (size_t)n, 0, NULL);
}

void sock_file_release(struct socket *s)
{
    sock_close(s);
}

#endif /* KOS_FILE_HAS_SOCKETS */
