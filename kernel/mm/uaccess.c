#include "mm/uaccess.h"
#include "mm/paging.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include <kos/errno.h>

int user_range_ok(uint64_t uptr, uint64_t n, bool write)
{
    if (uptr == 0)
        return -EFAULT;
    if (n == 0)
        return uptr < USER_TOP ? 0 : -EFAULT;
    uint64_t end = uptr + n;
    if (end < uptr || end > USER_TOP)
        return -EFAULT;
    uint64_t pml4 = read_cr3() & PTE_ADDR;
    for (uint64_t va = uptr & ~(PAGE_SIZE - 1); va < end; va += PAGE_SIZE) {
        uint64_t flags = 0;
        if (!paging_translate(pml4, va, &flags) || !(flags & PTE_U))
            return -EFAULT;
        /* A copy-on-write page is writable: copy it now, the kernel writes
         * with CR0.WP set and must not fault on it later. */
        if (write && !(flags & PTE_W) && paging_cow_resolve(pml4, va))
            return -EFAULT;
    }
    return 0;
}

int copyin(void *dst, uint64_t usrc, uint64_t n)
{
    if (user_range_ok(usrc, n, false))
        return -EFAULT;
    user_access_begin();
    memcpy(dst, (const void *)usrc, n);
    user_access_end();
    return 0;
}

int copyout(uint64_t udst, const void *src, uint64_t n)
{
    if (user_range_ok(udst, n, true))
        return -EFAULT;
    user_access_begin();
    memcpy((void *)udst, src, n);
    user_access_end();
    return 0;
}

int copyinstr(char *dst, uint64_t usrc, size_t max)
{
    /* Check page by page so a short string near the end of a mapping is fine. */
    for (size_t i = 0; i < max; i++) {
        uint64_t a = usrc + i;
        if (i == 0 || (a & (PAGE_SIZE - 1)) == 0)
            if (a < usrc || user_range_ok(a, 1, false))
                return -EFAULT;
        user_access_begin();
        dst[i] = *(const char *)a;
        user_access_end();
        if (!dst[i])
            return 0;
    }
    if (max)
        dst[max - 1] = 0;
    return -ENAMETOOLONG;
}

static bool iobuf_span_ok(const struct iobuf *b, uint64_t off, uint64_t n)
{
    return off <= b->len && n <= b->len - off;
}

int iobuf_copyout(const struct iobuf *b, uint64_t off, const void *src, uint64_t n)
{
    if (!iobuf_span_ok(b, off, n))
        return -EFAULT;
    if (n == 0)
        return 0;
    if (b->user)
        return copyout(b->addr + off, src, n);
    memcpy((void *)(uintptr_t)(b->addr + off), src, n);
    return 0;
}

int iobuf_copyin(void *dst, const struct iobuf *b, uint64_t off, uint64_t n)
{
    if (!iobuf_span_ok(b, off, n))
        return -EFAULT;
    if (n == 0)
        return 0;
    if (b->user)
        return copyin(dst, b->addr + off, n);
    memcpy(dst, (const void *)(uintptr_t)(b->addr + off), n);
    return 0;
}
