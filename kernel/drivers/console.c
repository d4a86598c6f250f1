/* The console's file operations over the COM1 UART. */
#include "drivers/console.h"
#include "drivers/serial.h"
#include "fs/file.h"
#include "lib/printf.h"
#include <kos/errno.h>
#include <kos/syscall.h>

#define CONSOLE_CHUNK 256

static int64_t console_read(struct file *f, const struct iobuf *buf)
{
    (void)f;
    char chunk[CONSOLE_CHUNK];
    uint64_t got = 0;
    for (;;) {
        size_t n = 0;
        int c;
        while (got + n < buf->len && n < sizeof chunk && (c = serial_getc()) >= 0)
            chunk[n++] = (char)c;
        if (n == 0)
            return (int64_t)got;
        if (iobuf_copyout(buf, got, chunk, n))
            return got ? (int64_t)got : -EFAULT;
        got += n;
    }
}

static int64_t console_file_write(struct file *f, const struct iobuf *buf)
{
    (void)f;
    char chunk[CONSOLE_CHUNK];
    for (uint64_t done = 0; done < buf->len;) {
        uint64_t n = buf->len - done < sizeof chunk ? buf->len - done : sizeof chunk;
        if (iobuf_copyin(chunk, buf, done, n))
            return done ? (int64_t)done : -EFAULT;
        console_write(chunk, n);
        done += n;
    }
    return (int64_t)buf->len;
}

static const struct file_ops console_file_ops = {
    .name = "console", .mode = KOS_S_IFCHR | 0620,
    .read = console_read, .write = console_file_write,
};

struct file *console_open(int flags)
{
    return file_new(&console_file_ops, flags, NULL);
}
