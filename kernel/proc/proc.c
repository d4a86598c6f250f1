/* Processes and the (cooperative, phase-1) scheduler. Each process has its
 * own address space and kernel stack; the scheduler runs on the boot stack
 * and switches to a process with swtch, which returns when the process
 * yields, exits or is killed. */
#include "proc/proc.h"
#include "proc/elf.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/cpu.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/heap.h"
#include "fs/file.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "lib/panic.h"
#include <kos/errno.h>
#include <kos/syscall.h>

static struct proc procs[NPROC];
static struct proc *current;
static struct context *scheduler_context;
static int next_pid = 1;

extern void swtch(struct context **save, struct context *load);
extern char trap_restore[];

void proc_init(void)
{
    memset(procs, 0, sizeof procs);
}

struct proc *proc_current(void)
{
    return current;
}

static inline void fxsave(void *area) { __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory"); }
static inline void fxrstor(const void *area) { __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory"); }

static void proc_free(struct proc *p)
{
    for (int i = 0; i < NOFILE; i++) {
        if (p->files[i]) {
            file_put(p->files[i]);
            p->files[i] = NULL;
        }
    }
    if (p->pml4)
        aspace_destroy(p->pml4);
    if (p->kstack)
        kfree_pages(p->kstack);
    memset(p, 0, sizeof *p);
}

int proc_fd_alloc(struct proc *p, struct file *f)
{
    for (int i = 0; i < NOFILE; i++) {
        if (!p->files[i]) {
            p->files[i] = f;
            return i;
        }
    }
    return -EMFILE;
}

/* Map the user stack and copy argv onto it (System V layout: argc, argv[],
 * NULL, envp NULL). Returns the initial rsp, 0 on OOM; *argv_user gets argv. */
static uint64_t setup_user_stack(uint64_t pml4, int argc, char *const argv[], uint64_t *argv_user)
{
    uint64_t top_page = 0;
    for (int i = 0; i < USER_STACK_PAGES; i++) {
        uint64_t pa = pmm_alloc_zeroed();
        if (!pa)
            return 0;
        uint64_t va = USER_STACK_TOP - (uint64_t)(i + 1) * PAGE_SIZE;
        if (paging_map(pml4, va, pa, PTE_U | PTE_W | PTE_NX)) {
            pmm_free_page(pa);
            return 0;
        }
        if (i == 0)
            top_page = pa;
    }
    /* argv strings and pointers all fit in the top page (ARGV_MAX * ARG_MAX_LEN < 4 KiB - pointers). */
    uint8_t *page = phys_to_virt(top_page);
    uint64_t page_va = USER_STACK_TOP - PAGE_SIZE;
    uint64_t off = PAGE_SIZE;
    uint64_t str_va[ARGV_MAX];
    for (int i = argc - 1; i >= 0; i--) {
        size_t len = strlen(argv[i]) + 1;
        off -= len;
        memcpy(page + off, argv[i], len);
        str_va[i] = page_va + off;
    }
    off &= ~15ULL;
    /* argc, argv[argc+1], envp NULL: keep rsp 16-byte aligned at entry. */
    uint64_t words = 1 + (uint64_t)argc + 1 + 1;
    off -= words * 8;
    off &= ~15ULL;
    uint64_t *w = (uint64_t *)(page + off);
    w[0] = (uint64_t)argc;
    for (int i = 0; i < argc; i++)
        w[1 + i] = str_va[i];
    w[1 + argc] = 0;
    w[2 + argc] = 0;
    *argv_user = page_va + off + 8;
    return page_va + off;
}

static struct proc *proc_alloc(void)
{
    for (int i = 0; i < NPROC; i++) {
        if (procs[i].state == PROC_UNUSED) {
            struct proc *p = &procs[i];
            memset(p, 0, sizeof *p);
            p->state = PROC_EMBRYO;
            p->pid = next_pid++;
            return p;
        }
    }
    return NULL;
}

struct proc *proc_spawn(const char *path, int argc, char *const argv[], int *err, char *why, size_t whylen)
{
    why[0] = 0;
    if (argc < 1 || argc > ARGV_MAX) {
        *err = -E2BIG;
        ksnprintf(why, whylen, "argument count %d out of range", argc);
        return NULL;
    }
    for (int i = 0; i < argc; i++) {
        if (strlen(argv[i]) >= ARG_MAX_LEN) {
            *err = -E2BIG;
            ksnprintf(why, whylen, "argument %d too long", i);
            return NULL;
        }
    }
    struct tar_entry te;
    int e = path_check(path);
    if (!e)
        e = tarfs_lookup(path, &te);
    if (!e && te.is_dir)
        e = -EISDIR;
    if (e) {
        *err = e;
        ksnprintf(why, whylen, "%s: %s", path, e == -ENOENT ? "no such file in the initrd" : "cannot open");
        return NULL;
    }
    struct elf_plan plan;
    char reason[128];
    if (elf_validate(te.data, te.size, &plan, reason, sizeof reason)) {
        *err = -ENOEXEC;
        ksnprintf(why, whylen, "%s: bad ELF image: %s", path, reason);
        return NULL;
    }

    struct proc *p = proc_alloc();
    if (!p) {
        *err = -EAGAIN;
        ksnprintf(why, whylen, "process table full");
        return NULL;
    }
    const char *base = path;
    for (const char *s = path; *s; s++)
        if (*s == '/')
            base = s + 1;
    strlcpy(p->name, base, sizeof p->name);
    *err = -ENOMEM;
    ksnprintf(why, whylen, "%s: out of memory", path);
    p->pml4 = aspace_create();
    if (!p->pml4)
        goto fail;
    if (elf_map(te.data, &plan, p->pml4))
        goto fail;
    uint64_t argv_user = 0;
    uint64_t rsp = setup_user_stack(p->pml4, argc, argv, &argv_user);
    if (!rsp)
        goto fail;
    p->kstack = kmalloc_pages(KSTACK_PAGES);
    if (!p->kstack)
        goto fail;
    for (int fd = 0; fd < 3; fd++) {
        p->files[fd] = file_console(fd == 0 ? O_RDONLY : O_WRONLY);
        if (!p->files[fd])
            goto fail;
    }

    uint64_t ktop = (uint64_t)p->kstack + KSTACK_PAGES * PAGE_SIZE;
    p->tf = (struct trapframe *)(ktop - sizeof(struct trapframe));
    memset(p->tf, 0, sizeof *p->tf);
    p->tf->rip = plan.entry;
    p->tf->cs = USER_CS;
    p->tf->ss = USER_DS;
    p->tf->rsp = rsp;
    p->tf->rflags = 0x202;      /* IF set */
    p->tf->rdi = (uint64_t)argc;
    p->tf->rsi = argv_user;
    /* First switch "returns" into trap_restore, which irets to user mode. */
    p->context = (struct context *)((uint64_t)p->tf - sizeof(struct context));
    memset(p->context, 0, sizeof *p->context);
    p->context->rip = (uint64_t)trap_restore;

    /* Clean FPU/SSE state: x87 control word and MXCSR at their reset defaults. */
    memset(p->fxsave, 0, sizeof p->fxsave);
    *(uint16_t *)&p->fxsave[0] = 0x037f;
    *(uint32_t *)&p->fxsave[24] = 0x1f80;

    p->mmap_next = MMAP_BASE;
    p->state = PROC_RUNNABLE;
    why[0] = 0;
    *err = 0;
    return p;

fail:
    proc_free(p);
    return NULL;
}

/* Called by a running process to give the CPU back to the scheduler. */
static void sched(void)
{
    struct proc *p = current;
    swtch(&p->context, scheduler_context);
}

static void run_one(struct proc *p)
{
    p->state = PROC_RUNNING;
    current = p;
    tss_set_rsp0((uint64_t)p->kstack + KSTACK_PAGES * PAGE_SIZE);
    aspace_switch(p->pml4);
    fxrstor(p->fxsave);
    swtch(&scheduler_context, p->context);
    fxsave(p->fxsave);
    current = NULL;
    aspace_switch(paging_kernel_pml4());
}

int proc_run_until_exit(struct proc *p, bool *killed, char *reason, size_t reasonlen)
{
    while (p->state != PROC_ZOMBIE) {
        bool ran = false;
        for (int i = 0; i < NPROC; i++) {
            if (procs[i].state == PROC_RUNNABLE) {
                run_one(&procs[i]);
                ran = true;
            }
        }
        if (!ran && p->state != PROC_ZOMBIE)
            panic("scheduler: nothing runnable while waiting for pid %d", p->pid);
    }
    int status = p->exit_status;
    if (killed)
        *killed = p->killed;
    if (reason)
        strlcpy(reason, p->kill_reason, reasonlen);
    proc_free(p);
    return status;
}

void proc_exit(int status)
{
    struct proc *p = current;
    if (!p)
        panic("proc_exit outside a process");
    p->exit_status = status;
    p->state = PROC_ZOMBIE;
    sched();
    panic("zombie process %d was scheduled again", p->pid);
}

void proc_kill_current(const char *reason)
{
    struct proc *p = current;
    if (!p)
        panic("proc_kill_current outside a process: %s", reason);
    strlcpy(p->kill_reason, reason, sizeof p->kill_reason);
    p->killed = true;
    kprintf("[kernel] %s (pid %d) killed: %s\n", p->name, p->pid, reason);
    proc_exit(-1);
}

void proc_yield(void)
{
    struct proc *p = current;
    p->state = PROC_RUNNABLE;
    sched();
}
