/* Processes: the table, loading images, exit, kill, reaping and
 * re-parenting. Each process has its own address space and kernel stack;
 * scheduling is in sched.c, fork/exec/wait in their own files. */
#include "proc/proc.h"
#include "proc/elf.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/heap.h"
#include "fs/file.h"
#include "fs/tarfs.h"
#include "fs/ramfs.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "lib/panic.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "proc/kstat.h"
#include <kos/errno.h>
#include <kos/syscall.h>

struct proc proc_table[NPROC];
static int next_pid = 1;

extern char trap_restore[];

void proc_init(void)
{
    memset(proc_table, 0, sizeof proc_table);
    timer_on_tick(sched_tick);
    signal_init();
    proc_fault_init();
    kstat_init();
}

/* Everything but the slot itself and, for a zombie, its exit record. */
static void proc_release_resources(struct proc *p)
{
    for (int i = 0; i < NOFILE; i++) {
        if (p->files[i]) {
            file_put(p->files[i]);
            p->files[i] = NULL;
        }
    }
    if (p->pml4) {
        aspace_destroy(p->pml4);
        p->pml4 = 0;
    }
}

void proc_free(struct proc *p)
{
    proc_release_resources(p);
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

struct proc *proc_alloc(void)
{
    for (int i = 0; i < NPROC; i++) {
        if (proc_table[i].state == PROC_UNUSED) {
            struct proc *p = &proc_table[i];
            memset(p, 0, sizeof *p);
            p->state = PROC_EMBRYO;
            p->pid = next_pid++;
            return p;
        }
    }
    return NULL;
}

int proc_count_session(int session)
{
    int n = 0;
    for (int i = 0; i < NPROC; i++)
        if (proc_table[i].state != PROC_UNUSED && proc_table[i].session == session)
            n++;
    return n;
}

int proc_count_live(void)
{
    int n = 0;
    for (int i = 0; i < NPROC; i++)
        if (proc_table[i].state != PROC_UNUSED)
            n++;
    return n;
}

void proc_reset_fpu(struct proc *p)
{
    /* Clean FPU/SSE state: x87 control word and MXCSR at their reset defaults. */
    memset(p->fxsave, 0, sizeof p->fxsave);
    *(uint16_t *)&p->fxsave[0] = 0x037f;
    *(uint32_t *)&p->fxsave[24] = 0x1f80;
}

int proc_load_image(const char *path, int argc, char *const argv[], struct image *img, char *why, size_t whylen)
{
    why[0] = 0;
    if (argc < 1 || argc > ARGV_MAX) {
        ksnprintf(why, whylen, "argument count %d out of range", argc);
        return -E2BIG;
    }
    for (int i = 0; i < argc; i++) {
        if (strlen(argv[i]) >= ARG_MAX_LEN) {
            ksnprintf(why, whylen, "argument %d too long", i);
            return -E2BIG;
        }
    }
    /* The initrd first, then the in-memory files (a program written at run time). */
    const uint8_t *data = NULL;
    uint64_t size = 0;
    struct tar_entry te;
    int e = path_check(path);
    if (!e)
        e = tarfs_lookup(path, &te);
    if (!e && te.is_dir)
        e = -EISDIR;
    if (!e) {
        data = te.data;
        size = te.size;
    } else if (e == -ENOENT) {
        struct ramfs_node *n = ramfs_lookup(path);
        if (n) {
            data = n->data;
            size = n->size;
            e = 0;
        }
    }
    if (e) {
        ksnprintf(why, whylen, "%s: %s", path, e == -ENOENT ? "no such file in the initrd or memory" : "cannot open");
        return e;
    }
    struct elf_plan plan;
    char reason[128];
    if (!data || elf_validate(data, size, &plan, reason, sizeof reason)) {
        if (!data)
            strlcpy(reason, "empty file", sizeof reason);
        ksnprintf(why, whylen, "%s: bad ELF image: %s", path, reason);
        return -ENOEXEC;
    }
    ksnprintf(why, whylen, "%s: out of memory", path);
    img->pml4 = aspace_create();
    if (!img->pml4)
        return -ENOMEM;
    if (elf_map(data, &plan, img->pml4))
        goto fail;
    img->rsp = setup_user_stack(img->pml4, argc, argv, &img->argv_user);
    if (!img->rsp || signal_map_trampoline(img->pml4))
        goto fail;
    img->entry = plan.entry;
    why[0] = 0;
    return 0;
fail:
    aspace_destroy(img->pml4);
    img->pml4 = 0;
    return -ENOMEM;
}

static void set_name(struct proc *p, const char *path)
{
    const char *base = path;
    for (const char *s = path; *s; s++)
        if (*s == '/')
            base = s + 1;
    strlcpy(p->name, base, sizeof p->name);
}

/* Registers for the first entry to user mode at img's entry point. */
static void init_user_frame(struct trapframe *tf, const struct image *img, int argc)
{
    memset(tf, 0, sizeof *tf);
    tf->rip = img->entry;
    tf->cs = USER_CS;
    tf->ss = USER_DS;
    tf->rsp = img->rsp;
    tf->rflags = RFLAGS_IF | RFLAGS_RESERVED1;
    tf->rdi = (uint64_t)argc;
    tf->rsi = img->argv_user;
}

struct proc *proc_spawn(const char *path, int argc, char *const argv[], int *err, char *why, size_t whylen)
{
    struct image img;
    int e = proc_load_image(path, argc, argv, &img, why, whylen);
    if (e) {
        *err = e;
        return NULL;
    }
    struct proc *p = proc_alloc();
    if (!p) {
        aspace_destroy(img.pml4);
        *err = -EAGAIN;
        ksnprintf(why, whylen, "process table full");
        return NULL;
    }
    set_name(p, path);
    p->pml4 = img.pml4;
    *err = -ENOMEM;
    ksnprintf(why, whylen, "%s: out of memory", path);
    p->kstack = kmalloc_pages(KSTACK_PAGES);
    if (!p->kstack)
        goto fail;
    for (int fd = 0; fd < 3; fd++) {
        if (file_open(CONSOLE_PATH, fd == 0 ? O_RDONLY : O_WRONLY, &p->files[fd]) < 0)
            goto fail;
    }

    uint64_t ktop = (uint64_t)p->kstack + KSTACK_PAGES * PAGE_SIZE;
    p->tf = (struct trapframe *)(ktop - sizeof(struct trapframe));
    init_user_frame(p->tf, &img, argc);
    /* First switch "returns" into trap_restore, which irets to user mode. */
    p->context = (struct context *)((uint64_t)p->tf - sizeof(struct context));
    memset(p->context, 0, sizeof *p->context);
    p->context->rip = (uint64_t)trap_restore;
    proc_reset_fpu(p);

    p->mmap_next = MMAP_BASE;
    p->kernel_waited = true;
    p->session = p->pid;
    signal_set_foreground(p);
    p->state = PROC_RUNNABLE;
    why[0] = 0;
    *err = 0;
    return p;

fail:
    proc_free(p);
    return NULL;
}

static void (*release_hooks[PROC_RELEASE_HOOKS])(struct proc *p);

void proc_on_release(void (*fn)(struct proc *p))
{
    for (int i = 0; i < PROC_RELEASE_HOOKS; i++)
        if (!release_hooks[i]) {
            release_hooks[i] = fn;
            return;
        }
    panic("proc_on_release: more than %d hooks", PROC_RELEASE_HOOKS);
}

static void run_release_hooks(struct proc *p)
{
    for (int i = 0; i < PROC_RELEASE_HOOKS && release_hooks[i]; i++)
        release_hooks[i](p);
}

int proc_exec(const char *path, int argc, char *const argv[])
{
    struct proc *p = proc_current();
    struct image img;
    char why[160];
    int e = proc_load_image(path, argc, argv, &img, why, sizeof why);
    if (e)
        return e;
    /* Past the point of no return: the old image goes. */
    run_release_hooks(p);
    uint64_t old = p->pml4;
    p->pml4 = img.pml4;
    aspace_switch(p->pml4);
    aspace_destroy(old);
    set_name(p, path);
    p->mmap_next = MMAP_BASE;
    signal_exec(p);
    init_user_frame(p->tf, &img, argc);
    proc_reset_fpu(p);
    /* The live SSE registers are the old image's: load the clean state. */
    __asm__ volatile("fxrstor64 (%0)" : : "r"(p->fxsave) : "memory");
    return 0;
}

struct exit_wait {
    struct proc *p;
    bool killed_rest;
};

static void kill_session_except(int session, struct proc *keep)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = &proc_table[i];
        if (q != keep && q->session == session && q->state != PROC_UNUSED && q->state != PROC_ZOMBIE)
            proc_kill(q->pid);
    }
}

/* Orphans that exited have nobody to wait for them: free them here, on
 * the scheduler's stack (never on their own). */
static void reap_orphans(void)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = &proc_table[i];
        if (q->state == PROC_ZOMBIE && !q->parent && !q->kernel_waited)
            proc_free(q);
    }
}

static bool session_done(void *arg)
{
    struct exit_wait *w = arg;
    reap_orphans();
    if (w->p->state != PROC_ZOMBIE)
        return false;
    if (!w->killed_rest) {
        /* The program is done: what it left running goes with it. */
        kill_session_except(w->p->session, w->p);
        w->killed_rest = true;
    }
    return proc_count_session(w->p->session) == 1;
}

int proc_run_until_exit(struct proc *p, bool *killed, char *reason, size_t reasonlen)
{
    struct exit_wait w = { p, false };
    sched_run_until(session_done, &w);
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
    struct proc *p = proc_current();
    if (!p)
        panic("proc_exit outside a process");
    cli();
    if (p->kill_pending && !p->killed) {
        p->killed = true;
        strlcpy(p->kill_reason, "killed by kill()", sizeof p->kill_reason);
        p->wait_status = WSIG_KILL;
    } else if (!p->killed) {
        p->wait_status = WSTATUS_EXITED(status);
    }
    p->exit_status = status;
    run_release_hooks(p);
    /* Closing the files now gives pipe readers their EOF right away. */
    proc_release_resources(p);
    for (int i = 0; i < NPROC; i++) {
        struct proc *c = &proc_table[i];
        if (c->state == PROC_UNUSED || c->parent != p)
            continue;
        c->parent = NULL;       /* re-parented to the kernel, which reaps it */
        if (c->state == PROC_ZOMBIE)
            proc_free(c);
    }
    p->state = PROC_ZOMBIE;
    if (p->parent) {
        struct kos_siginfo info = { .signo = SIGCHLD, .code = p->killed ? CLD_KILLED : CLD_EXITED,
                                    .pid = p->pid, .status = p->wait_status };
        signal_send(p->parent, SIGCHLD, &info);
        proc_wakeup(p->parent);
    }
    sched_switch();
    panic("zombie process %d was scheduled again", p->pid);
}

void proc_kill_current(const char *reason)
{
    struct proc *p = proc_current();
    if (!p)
        panic("proc_kill_current outside a process: %s", reason);
    strlcpy(p->kill_reason, reason, sizeof p->kill_reason);
    p->killed = true;
    p->wait_status = WSIG_FAULT;
    kprintf("[kernel] %s (pid %d) killed: %s\n", p->name, p->pid, reason);
    proc_exit(-1);
}

int proc_kill(int pid)
{
    return signal_kill(pid, SIGKILL);
}

bool proc_interrupted(void)
{
    struct proc *p = proc_current();
    return p && (p->kill_pending || signal_deliverable(p));
}

void proc_yield(void)
{
    struct proc *p = proc_current();
    p->state = PROC_RUNNABLE;
    sched_switch();
}
