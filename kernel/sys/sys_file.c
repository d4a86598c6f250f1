/* File syscalls over fs/file.c: read, write, open, close, stat, unlink. */
#include "sys/syscall.h"
#include "sys/uaccess.h"
#include "proc/proc.h"
#include "fs/file.h"
#include <kos/errno.h>
#include <kos/syscall.h>

static struct file *fd_file(uint64_t fd)
{
    if (fd >= NOFILE)
        return NULL;
    return proc_current()->files[fd];
}

int64_t sys_read(const struct syscall_args *a)
{
    struct file *f = fd_file(a->a0);
    if (!f)
        return -EBADF;
    if (a->a2 == 0)
        return 0;
    if (user_range_ok(a->a1, a->a2, true))
        return -EFAULT;
    return file_read(f, (void *)a->a1, a->a2);
}

int64_t sys_write(const struct syscall_args *a)
{
    struct file *f = fd_file(a->a0);
    if (!f)
        return -EBADF;
    if (a->a2 == 0)
        return 0;
    if (user_range_ok(a->a1, a->a2, false))
        return -EFAULT;
    return file_write(f, (const void *)a->a1, a->a2);
}

int64_t sys_open(const struct syscall_args *a)
{
    char path[PATH_MAX];
    int err = strncpy_from_user(path, a->a0, sizeof path);
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
    int err = strncpy_from_user(path, a->a0, sizeof path);
    if (err)
        return err;
    if (user_range_ok(a->a1, sizeof(struct kos_stat), true))
        return -EFAULT;
    struct kos_stat st;
    err = file_stat(path, &st);
    if (err)
        return err;
    return copy_to_user(a->a1, &st, sizeof st);
}

int64_t sys_unlink(const struct syscall_args *a)
{
    char path[PATH_MAX];
    int err = strncpy_from_user(path, a->a0, sizeof path);
    if (err)
        return err;
    return file_unlink(path);
}
