/* waitpid: sleep until a child exits, report and free it. */
#include "proc/proc.h"
#include "proc/sched.h"
#include "mm/uaccess.h"
#include <kos/errno.h>

int proc_waitpid(int pid, uint64_t ustatus, int options)
{
    struct proc *me = proc_current();
    if (options & ~WNOHANG)
        return -EINVAL;
    if (pid == 0 || pid < -1)
        return -EINVAL;     /* no process groups */
    /* Check the pointer before a child is reaped, so a bad one loses nothing. */
    if (ustatus && user_range_ok(ustatus, sizeof(int), true))
        return -EFAULT;
    for (;;) {
        bool have_child = false;
        for (int i = 0; i < NPROC; i++) {
            struct proc *c = &proc_table[i];
            if (c->state == PROC_UNUSED || c->parent != me || (pid != -1 && c->pid != pid))
                continue;
            have_child = true;
            if (c->state != PROC_ZOMBIE)
                continue;
            int cpid = c->pid, status = c->wait_status;
            proc_free(c);
            if (ustatus && copyout(ustatus, &status, sizeof status))
                return -EFAULT;
            return cpid;
        }
        if (!have_child)
            return -ECHILD;
        if (options & WNOHANG)
            return 0;
        if (proc_interrupted())
            return -EINTR;
        /* A child's exit wakes its parent (proc_exit). */
        proc_sleep_on(me);
    }
}
