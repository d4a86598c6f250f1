#include "fs/pipe.h"
#include "fs/file.h"
#include "proc/sched.h"
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

int pipe_create(struct file **rd, struct file **wr)
{
    struct pipe *p = kzalloc(sizeof *p);
    if (!p)
        return -ENOMEM;
    uint8_t *buf = kmalloc_pages(PIPE_BUF_PAGES);
    struct file *r = file_new(FILE_PIPE, O_RDONLY), *w = file_new(FILE_PIPE, O_WRONLY);
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
    r->pipe = w->pipe = p;
    *rd = r;
    *wr = w;
    return 0;
}

int64_t pipe_read(struct pipe *p, void *dst, uint64_t n)
{
    while (p->count == 0) {
        if (p->writers == 0)
            return 0;
        if (proc_interrupted())
            return -EINTR;
        waitq_sleep(&p->can_read);
    }
    if (n > p->count)
        n = p->count;
    uint64_t first = PIPE_BUF_SIZE - p->head;
    if (first > n)
        first = n;
    memcpy(dst, p->buf + p->head, first);
    memcpy((uint8_t *)dst + first, p->buf, n - first);
    p->head = (p->head + n) % PIPE_BUF_SIZE;
    p->count -= n;
    waitq_wake_all(&p->can_write);
    return (int64_t)n;
}

int64_t pipe_write(struct pipe *p, const void *src, uint64_t n)
{
    uint64_t done = 0;
    while (done < n) {
        if (p->readers == 0)
            return done ? (int64_t)done : -EPIPE;
        if (p->count == PIPE_BUF_SIZE) {
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
        memcpy(p->buf + tail, (const uint8_t *)src + done, chunk);
        p->count += chunk;
        done += chunk;
        waitq_wake_all(&p->can_read);
    }
    return (int64_t)done;
}

void pipe_close_end(struct pipe *p, bool writer)
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
