#include "proc/pipe.h"
#include "fs/file.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "mm/heap.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "lib/string.h"
#include <kos/errno.h>
#include <kos/syscall.h>

struct pipe {
    uint8_t *buf;               /* PIPE_BUF_PAGES pages (kmalloc_pages) */
    uint64_t head, count;       /* read position, bytes held */
    int readers, writers;       /* open ends (file objects, not descriptors) */
    struct waitq can_read, can_write;
};

/* Copies into buf at the point of use; nothing user-side is touched while asleep. */
static int64_t pipe_read(struct file *f, const struct iobuf *buf)
{
    struct pipe *p = f->priv;
    uint64_t n = buf->len;
    if (n == 0)
        return 0;
    while (p->count == 0) {
        if (p->writers == 0)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (proc_interrupted())
            return -EINTR;
        waitq_sleep(&p->can_read);
    }
    if (n > p->count)
        n = p->count;
    uint64_t first = PIPE_BUF_SIZE - p->head;
    if (first > n)
        first = n;
    if (iobuf_copyout(buf, 0, p->buf + p->head, first) ||
        iobuf_copyout(buf, first, p->buf, n - first))
        return -EFAULT;
    p->head = (p->head + n) % PIPE_BUF_SIZE;
    p->count -= n;
    waitq_wake_all(&p->can_write);
    return (int64_t)n;
}

static int64_t pipe_write(struct file *f, const struct iobuf *buf)
{
    struct pipe *p = f->priv;
    uint64_t n = buf->len, done = 0;
    while (done < n) {
        if (p->readers == 0) {
            if (done)
                return (int64_t)done;
            signal_raise(SIGPIPE);      /* -EPIPE too, when it is ignored or handled */
            return -EPIPE;
        }
        if (p->count == PIPE_BUF_SIZE) {
            if (f->flags & O_NONBLOCK)
                return done ? (int64_t)done : -EAGAIN;
            if (proc_interrupted())
                return done ? (int64_t)done : -EINTR;
            waitq_sleep(&p->can_write);
            continue;
        }
        uint64_t tail = (p->head + p->count) % PIPE_BUF_SIZE;
        uint64_t chunk = PIPE_BUF_SIZE - p->count;
        if (chunk > PIPE_BUF_SIZE - tail)
            chunk = PIPE_BUF_SIZE - tail;
        if (chunk > n - done)
            chunk = n - done;
        if (iobuf_copyin(p->buf + tail, buf, done, chunk))
            return done ? (int64_t)done : -EFAULT;
        p->count += chunk;
        done += chunk;
        waitq_wake_all(&p->can_read);
    }
    return (int64_t)done;
}

static void pipe_close_end(struct pipe *p, bool writer)
{
    if (writer)
        p->writers--;
    else
        p->readers--;
    /* Readers see EOF, writers see EPIPE. */
    waitq_wake_all(&p->can_read);
    waitq_wake_all(&p->can_write);
    if (p->readers == 0 && p->writers == 0) {
        kfree_pages(p->buf);
        kfree(p);
    }
}

static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
    struct pipe *p = f->priv;
    bool reader = (f->flags & O_ACCMODE) == O_RDONLY;
    poll_wait(pt, reader ? &p->can_read : &p->can_write);
    if (reader)
        return (p->count ? FILE_POLLIN : 0) | (p->writers == 0 ? FILE_POLLHUP : 0);
    return p->readers == 0 ? FILE_POLLERR : p->count < PIPE_BUF_SIZE ? FILE_POLLOUT : 0;
}

static void pipe_release_reader(struct file *f) { pipe_close_end(f->priv, false); }
static void pipe_release_writer(struct file *f) { pipe_close_end(f->priv, true); }

static const struct file_ops pipe_read_ops = {
    .name = "pipe", .mode = KOS_S_IFIFO | 0600,
    .read = pipe_read, .poll = pipe_poll, .release = pipe_release_reader,
};

static const struct file_ops pipe_write_ops = {
    .name = "pipe", .mode = KOS_S_IFIFO | 0600,
    .write = pipe_write, .poll = pipe_poll, .release = pipe_release_writer,
};

int pipe_create(struct file **rd, struct file **wr)
{
    struct pipe *p = kzalloc(sizeof *p);
    if (!p)
        return -ENOMEM;
    uint8_t *buf = kmalloc_pages(PIPE_BUF_PAGES);
    struct file *r = file_new(&pipe_read_ops, O_RDONLY, p), *w = file_new(&pipe_write_ops, O_WRONLY, p);
    if (!buf || !r || !w) {
        if (buf)
            kfree_pages(buf);
        kfree(r);
        kfree(w);
        kfree(p);
        return -ENOMEM;
    }
    p->buf = buf;
    p->readers = p->writers = 1;
    *rd = r;
    *wr = w;
    return 0;
}

