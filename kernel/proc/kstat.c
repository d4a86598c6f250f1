#include "proc/kstat.h"
#include "fs/file.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "arch/x86_64/irq.h"
#include "mm/pmm.h"
#include "mm/heap.h"
#include "mm/paging.h"
#include "lib/string.h"
#include "lib/printf.h"
#include <kos/errno.h>
#include <kos/syscall.h>

#define KSTAT_MAX 6144

static char state_letter(enum proc_state s)
{
    switch (s) {
    case PROC_RUNNABLE:
    case PROC_RUNNING:
        return 'R';
    case PROC_SLEEPING:
        return 'S';
    case PROC_ZOMBIE:
        return 'Z';
    default:
        return 'E';
    }
}

int kstat_open(const char *path, int flags, struct file **out)
{
    if (strcmp(path, KSTAT_PATH) != 0)
        return -ENOENT;
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT)))
        return -EROFS;
    /* Counted before this file exists, as the caller would see it. */
    uint64_t free_pages = pmm_free_count();
    char *text = kmalloc(KSTAT_MAX);
    if (!text)
        return -ENOMEM;
    struct sched_stats st;
    sched_get_stats(&st);
    struct proc *me = proc_current();
    int user = me ? proc_count_session(me->session) : 0;
    size_t off = (size_t)ksnprintf(text, KSTAT_MAX,
        "free_pages %lu\ntotal_pages %lu\nticks %lu\nhz %u\nidle_ticks %lu\nidle_halts %lu\n"
        "context_switches %lu\npreemptions %lu\nprocs %d\nuser_procs %d\nkernel_table_pages %lu\n",
        free_pages, pmm_total_count(), timer_ticks(), timer_hz(), st.idle_ticks, st.idle_halts,
        st.context_switches, st.preemptions, proc_count_live(), user, paging_kernel_table_pages());
    for (int i = 0; i < NPROC && off < KSTAT_MAX; i++) {
        struct proc *p = &proc_table[i];
        if (p->state == PROC_UNUSED)
            continue;
        off += (size_t)ksnprintf(text + off, KSTAT_MAX - off, "proc %d %d %c %lu %s\n", p->pid,
                                 p->parent ? p->parent->pid : 0, state_letter(p->state), p->cpu_ticks, p->name);
    }
    if (off > KSTAT_MAX - 1)
        off = KSTAT_MAX - 1;
    return file_snapshot(text, off, out);
}

void kstat_init(void)
{
    file_mount("/proc", kstat_open);
}
