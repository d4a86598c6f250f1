/* The console's file operations over the COM1 UART. */
#include "drivers/console.h"
#include "drivers/serial.h"
#include "drivers/fbcon.h"
#include "arch/x86_64/cpu.h"
#include "fs/file.h"
#include "proc/signal.h"
#include "lib/printf.h"
#include "lib/string.h"
#include <kos/errno.h>
#include <kos/syscall.h>

#define CONSOLE_CHUNK 256

/* The kernel console (lib/printf.h): every kprintf ends here, on the serial
 * line and the framebuffer. One writer at a time: interrupt handlers print too. */
void console_write(const char *s, size_t n)
{
    uint64_t f = irq_save();
    serial_write(s, n);
    fbcon_write(s, n);
    irq_restore(f);
}

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

static int console_open(const char *path, int flags, struct file **out)
{
    if (strcmp(path, CONSOLE_PATH) != 0)
        return -ENOENT;
    if ((flags & O_CREAT) && (flags & O_EXCL))
        return -EEXIST;
    struct file *f = file_new(&console_file_ops, flags & (O_ACCMODE | O_APPEND), NULL);
    if (!f)
        return -ENOMEM;
    *out = f;
    return 0;
}

void console_init(void)
{
    file_mount(CONSOLE_PATH, console_open);
    serial_on_interrupt_char(signal_console_interrupt);
}
