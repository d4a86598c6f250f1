/* getrandom(buf, len, flags): bytes from the kernel's random source. */
#include "sys/syscall.h"
#include "mm/uaccess.h"
#include "lib/random.h"
#include <kos/syscall.h>
#include <kos/errno.h>

int64_t sys_getrandom(const struct syscall_args *a)
{
    uint64_t ubuf = a->a0, len = a->a1, flags = a->a2;
    if (flags & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM))
        return -EINVAL;
    if (len > GETRANDOM_MAX)
        len = GETRANDOM_MAX;     /* a short count, as Linux gives for huge requests */
    if (len && user_range_ok(ubuf, len, true))
        return -EFAULT;
    uint8_t chunk[256];
    for (uint64_t done = 0; done < len;) {
        uint64_t k = len - done < sizeof chunk ? len - done : sizeof chunk;
        random_bytes(chunk, k);
        if (copyout(ubuf + done, chunk, k) < 0)
            return -EFAULT;
        done += k;
    }
    return (int64_t)len;
}
