/* File syscalls over fs/file.c: read, write, open, close, stat, unlink, pipe, dup2. */
#include "sys/syscall.h"
#include "mm/uaccess.h"
#include "proc/proc.h"
#include "fs/file.h"
#include "proc/pipe.h"
#include "mm/heap.h"
#include "proc/sched.h"
#include "arch/x86_64/irq.h"
#include <kos/errno.h>
#include <kos/syscall.h>

static struct file *fd_file(uint64_t fd)
{
    if (fd >= NOFILE)
        return NULL;
    return proc_current()->files[fd];
}

/* read/write(fd, buf, n): a bad range is refused before anything is consumed;
 * the file copies in or out at the point of use (a pipe or socket may sleep first). */
static int64_t fd_io(const struct syscall_args *a, bool reading)
{
    struct file *f = fd_file(a->a0);
    if (!f)
        return -EBADF;
    if (a->a2 == 0)
        return 0;
    if (user_range_ok(a->a1, a->a2, reading))
        return -EFAULT;
    struct iobuf buf = iobuf_user(a->a1, a->a2);
    return reading ? file_read(f, &buf) : file_write(f, &buf);
}

int64_t sys_read(const struct syscall_args *a) { return fd_io(a, true); }

int64_t sys_write(const struct syscall_args *a) { return fd_io(a, false); }

int64_t sys_open(const struct syscall_args *a)
{
    char path[PATH_MAX];
    int err = copyinstr(path, a->a0, sizeof path);
    if (err)
        return err;
    if (a->a1 > 0xffffffffULL)
        return -EINVAL;
    struct file *f;
    err = file_open(path, (int)a->a1, &f);
    if (err)
        return err;
    int fd = proc_fd_alloc(proc_current(), f);
    if (fd < 0)
        file_put(f);
    return fd;
}

int64_t sys_close(const struct syscall_args *a)
{
    struct file *f = fd_file(a->a0);
    if (!f)
        return -EBADF;
    proc_current()->files[a->a0] = 0;
    file_put(f);
    return 0;
}

int64_t sys_stat(const struct syscall_args *a)
{
    char path[PATH_MAX];
    int err = copyinstr(path, a->a0, sizeof path);
    if (err)
        return err;
    if (user_range_ok(a->a1, sizeof(struct kos_stat), true))
        return -EFAULT;
    struct kos_stat st;
    err = file_stat(path, &st);
    if (err)
        return err;
    return copyout(a->a1, &st, sizeof st);
}

int64_t sys_unlink(const struct syscall_args *a)
{
    char path[PATH_MAX];
    int err = copyinstr(path, a->a0, sizeof path);
    if (err)
        return err;
    return file_unlink(path);
}

/* pipe(fds): fds[0] the read end, fds[1] the write end (two ints). */
int64_t sys_pipe(const struct syscall_args *a)
{
    if (user_range_ok(a->a0, 2 * sizeof(int), true))
        return -EFAULT;
    struct proc *p = proc_current();
    struct file *rd, *wr;
    int err = pipe_create(&rd, &wr);
    if (err)
        return err;
    int fds[2];
    fds[0] = proc_fd_alloc(p, rd);
    if (fds[0] < 0) {
        file_put(rd);
        file_put(wr);
        return fds[0];
    }
    fds[1] = proc_fd_alloc(p, wr);
    if (fds[1] < 0) {
        p->files[fds[0]] = NULL;
        file_put(rd);
        file_put(wr);
        return fds[1];
    }
    return copyout(a->a0, fds, sizeof fds);
}

/* dup2(old, new): new refers to old's file (new is closed first). */
int64_t sys_dup2(const struct syscall_args *a)
{
    struct file *f = fd_file(a->a0);
    if (!f || a->a1 >= NOFILE)
        return -EBADF;
    struct proc *p = proc_current();
    if (a->a0 == a->a1)
        return (int64_t)a->a1;
    file_get(f);
    if (p->files[a->a1])
        file_put(p->files[a->a1]);
    p->files[a->a1] = f;
    return (int64_t)a->a1;
}

/* fcntl(fd, cmd, arg): F_GETFL returns the access mode and status flags;
 * F_SETFL changes O_NONBLOCK and O_APPEND (the rest of arg is ignored, as
 * on Linux). Every file kind honours O_NONBLOCK in its blocking calls. */
int64_t sys_fcntl(const struct syscall_args *a)
{
    struct file *f = fd_file(a->a0);
    if (!f)
        return -EBADF;
    const int settable = O_NONBLOCK | O_APPEND;
    switch (a->a1) {
    case F_GETFL:
        return f->flags;
    case F_SETFL:
        f->flags = (f->flags & ~settable) | ((int)a->a2 & settable);
        return 0;
    default:
        return -EINVAL;
    }
}

/* poll(fds, nfds, timeout_ms). The poller registers on every wait queue
 * its files name (poll_wait), sleeps on poll_chan, and is woken by any of
 * them (or its deadline tick); then it asks every file again. */
struct poll_waiter {
    struct poll_table pt;
    struct waitq *queues[32];
    int n;
    bool overflow;
};

static void poll_register(struct poll_table *pt, struct waitq *wq)
{
    struct poll_waiter *w = (struct poll_waiter *)pt;
    for (int i = 0; i < w->n; i++)
        if (w->queues[i] == wq)
            return;
    if (w->n == (int)(sizeof w->queues / sizeof w->queues[0])) {
        w->overflow = true;     /* then it also wakes on every tick */
        return;
    }
    w->queues[w->n++] = wq;
    wq->pollers++;
}

int64_t sys_poll(const struct syscall_args *a)
{
    uint64_t ufds = a->a0, nfds = a->a1;
    int64_t timeout = (int32_t)a->a2;
    if (nfds > POLL_MAX_FDS)
        return -EINVAL;
    struct kos_pollfd *fds = NULL;
    if (nfds) {
        fds = kmalloc(nfds * sizeof *fds);
        if (!fds)
            return -ENOMEM;
        if (copyin(fds, ufds, nfds * sizeof *fds)) {
            kfree(fds);
            return -EFAULT;
        }
    }
    uint64_t deadline = 0;
    if (timeout > 0)
        deadline = timer_ticks() + ((uint64_t)timeout * timer_hz() + 999) / 1000 + 1;
    struct poll_waiter w = {.pt = {.queue = poll_register}};
    int64_t ready = 0;
    bool first = true;
    for (;;) {
        ready = 0;
        for (uint64_t i = 0; i < nfds; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            struct file *f = fd_file((uint64_t)fds[i].fd);
            unsigned m = f ? file_poll(f, first ? &w.pt : NULL) : POLLNVAL;
            fds[i].revents = (short)(m & ((unsigned)(uint16_t)fds[i].events | POLLERR | POLLHUP | POLLNVAL));
            if (fds[i].revents)
                ready++;
        }
        first = false;
        if (ready || timeout == 0)
            break;
        if (deadline && timer_ticks() >= deadline)
            break;
        if (proc_interrupted()) {
            ready = -EINTR;
            break;
        }
        /* Nothing to wait for but the clock (or too many queues): tick by tick. */
        uint64_t until = deadline;
        if (w.overflow || w.n == 0)
            until = timer_ticks() + 1;
        proc_sleep_until(&poll_chan, until);
    }
    for (int i = 0; i < w.n; i++)
        w.queues[i]->pollers--;
    if (ready >= 0 && nfds && copyout(ufds, fds, nfds * sizeof *fds))
        ready = -EFAULT;
    kfree(fds);
    return ready;
}
