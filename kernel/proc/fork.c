/* fork: a copy of the calling process. The address space is shared
 * copy-on-write (mm/paging.c), descriptors are shared, the child returns 0
 * from the same syscall. */
#include "proc/proc.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "arch/x86_64/cpu.h"
#include "mm/paging.h"
#include "mm/heap.h"
#include "fs/file.h"
#include "lib/string.h"
#include <kos/errno.h>

extern char trap_restore[];

int proc_fork(void)
{
    struct proc *parent = proc_current();
    /* The per-user limit: a fork bomb stops here, not at the memory's end. */
    if (proc_count_session(parent->session) >= USER_PROC_LIMIT)
        return -EAGAIN;
    struct proc *c = proc_alloc();
    if (!c)
        return -EAGAIN;
    c->kstack = kmalloc_pages(KSTACK_PAGES);
    if (!c->kstack)
        goto nomem;
    c->pml4 = aspace_clone_cow(parent->pml4, sched_preempt_point);
    if (!c->pml4)
        goto nomem;
    for (int i = 0; i < NOFILE; i++) {
        if (parent->files[i]) {
            file_get(parent->files[i]);
            c->files[i] = parent->files[i];
        }
    }
    memcpy(c->name, parent->name, sizeof c->name);
    c->mmap_next = parent->mmap_next;
    c->parent = parent;
    c->session = parent->session;
    signal_fork(c, parent);

    uint64_t ktop = (uint64_t)c->kstack + KSTACK_PAGES * PAGE_SIZE;
    c->tf = (struct trapframe *)(ktop - sizeof(struct trapframe));
    *c->tf = *parent->tf;
    c->tf->rax = 0;             /* the child's fork() returns 0 */
    c->context = (struct context *)((uint64_t)c->tf - sizeof(struct context));
    memset(c->context, 0, sizeof *c->context);
    c->context->rip = (uint64_t)trap_restore;
    /* The live SSE registers are the parent's user state (the kernel uses none). */
    __asm__ volatile("fxsave64 (%0)" : : "r"(c->fxsave) : "memory");
    c->state = PROC_RUNNABLE;
    return c->pid;

nomem:
    proc_free(c);
    return -ENOMEM;
}
