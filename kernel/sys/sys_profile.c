/* profile_write(pieces, n): one coverage profile of the calling program to
 * the debug console, framed with its name (kos/profile.h); the user runtime
 * (user/lib/profile.c) calls it at exit. Every piece is checked before the
 * frame starts, so a bad call writes nothing. Syscalls run with interrupts
 * off and this one has no preemption point: frames never interleave. */
#include "sys/syscall.h"
#include "mm/uaccess.h"
#include "proc/proc.h"
#include "lib/machine.h"
#include "lib/profile.h"
#include <kos/errno.h>
#include <kos/profile.h>
#include "lib/string.h"

int64_t sys_profile_write(const struct syscall_args *a)
{
    uint64_t upieces = a->a0, n = a->a1;
    if (n == 0 || n > KOS_PROF_PIECES)
        return -EINVAL;
    struct kos_prof_piece piece[KOS_PROF_PIECES];
    if (copyin(piece, upieces, n * sizeof piece[0]))
        return -EFAULT;
    uint64_t size = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (piece[i].n > KOS_PROF_MAX || size + piece[i].n > KOS_PROF_MAX)
            return -EINVAL;
        if (piece[i].n && user_range_ok(piece[i].p, piece[i].n, false))
            return -EFAULT;
        size += piece[i].n;
    }
    profile_frame(KOS_PROF_USER, proc_current()->name, size);
    uint8_t chunk[512];
    for (uint64_t i = 0; i < n; i++)
        for (uint64_t done = 0; done < piece[i].n;) {
            uint64_t k = piece[i].n - done < sizeof chunk ? piece[i].n - done : sizeof chunk;
            /* Checked above and nothing ran since; should it fail anyway,
             * zeros keep the frame's length (the host then refuses the profile). */
            if (copyin(chunk, piece[i].p + done, k))
                memset(chunk, 0, k);
            machine_debug_write(chunk, k);
            done += k;
        }
    return (int64_t)size;
}
