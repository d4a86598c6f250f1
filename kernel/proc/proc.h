#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "arch/x86_64/trap.h"
#include "arch/x86_64/memlayout.h"
#include <kos/wait.h>
#include <kos/signal.h>

#define NPROC 64
#define NOFILE 128
#define KSTACK_PAGES 4
#define PROC_NAME_MAX 32
/* Live processes (zombies count) one user may have: the processes of one
 * init= program's tree. A fork bomb gets -EAGAIN at this count. */
#define USER_PROC_LIMIT 32

#define ARGV_MAX 16
#define ARG_MAX_LEN 128

enum proc_state { PROC_UNUSED, PROC_EMBRYO, PROC_RUNNABLE, PROC_RUNNING, PROC_SLEEPING, PROC_ZOMBIE };

/* Callee-saved registers of a switched-out kernel thread (swtch in isr.S). */
struct context {
    uint64_t r15, r14, r13, r12, rbx, rbp, rip;
};

struct file;

struct proc {
    /* FXSAVE area first: 512 bytes, the struct is 64-byte aligned. */
    uint8_t fxsave[512] __attribute__((aligned(64)));
    int pid;
    enum proc_state state;
    char name[PROC_NAME_MAX];
    uint64_t pml4;
    void *kstack;               /* KSTACK_PAGES pages from kmalloc_pages */
    struct context *context;
    struct trapframe *tf;       /* user registers at the top of kstack */
    struct file *files[NOFILE];
    uint64_t mmap_next;
    int exit_status;            /* exit() code */
    int wait_status;            /* what waitpid reports (WSTATUS_EXITED or a WSIG_*) */
    bool killed;                /* ended by a fault or kill(), not by exit */
    char kill_reason[160];
    bool kill_pending;          /* kill(): terminate at the next return to user mode */
    struct proc *parent;        /* NULL: the kernel (spawned or orphaned) */
    bool kernel_waited;         /* spawned by the kernel, freed by proc_run_until_exit */
    int session;                /* pid of the spawned ancestor: the "user" for the limit */
    const void *wait_chan;      /* PROC_SLEEPING: what it waits for */
    uint64_t wake_tick;         /* timed sleep: runnable again at this tick (0: none) */
    uint64_t cpu_ticks;         /* timer ticks spent running (user or kernel) */
    uint64_t slice_start;       /* tick at which it was last given the CPU */
    /* Signals (proc/signal.c). */
    struct kos_sigaction sigact[KOS_NSIG];
    struct kos_siginfo sig_info[KOS_NSIG];  /* of the pending instance */
    kos_sigset_t sig_pending, sig_blocked;
    kos_sigset_t sig_saved_mask;    /* sigsuspend: the mask to go back to */
    bool sig_restore_mask;
    bool stopped;                   /* SIGSTOP until SIGCONT */
    uint64_t alarm_tick;            /* SIGALRM at this tick (0: none) */
    uint64_t sig_delivered;         /* handlers started */
};

/* The process table (proc.c); the scheduler walks it. */
extern struct proc proc_table[NPROC];

/* The process table, the scheduler's tick and the trap hooks (fault.c). */
void proc_init(void);
void proc_fault_init(void);
struct proc *proc_current(void);
/* Load path from the initrd into a new process, argv[0..argc). Returns the
 * process (runnable) or NULL with *err set (-ENOENT, -ENOEXEC, -ENOMEM, ...)
 * and a reason in why. Nothing is left allocated on failure. */
struct proc *proc_spawn(const char *path, int argc, char *const argv[], int *err, char *why, size_t whylen);
/* Run the scheduler until p has exited and every process of its tree is
 * gone (those still running when p exits are killed), then free p.
 * Returns p's exit status. */
int proc_run_until_exit(struct proc *p, bool *killed, char *reason, size_t reasonlen);
__attribute__((noreturn)) void proc_exit(int status);
/* Terminate the current process because of a fault: prints the reason line. */
__attribute__((noreturn)) void proc_kill_current(const char *reason);
/* kill(): 0, -ESRCH (no such live process), -EPERM (another user's). */
int proc_kill(int pid);
/* True when the current process has been killed or has a signal to act on:
 * sleeping syscalls return -EINTR (restarted after the handler under SA_RESTART). */
bool proc_interrupted(void);
void proc_yield(void);
int proc_fd_alloc(struct proc *p, struct file *f);
struct proc *proc_alloc(void);
/* Frees a process slot and everything it still holds. */
void proc_free(struct proc *p);
int proc_count_session(int session);
int proc_count_live(void);

/* fork.c, exec.c, wait.c */
int proc_fork(void);
/* Replace the current image; on failure the caller keeps its image. */
int proc_exec(const char *path, int argc, char *const argv[]);
/* pid -1: any child. Returns the pid, 0 (WNOHANG, none exited), -ECHILD, -EINTR, -EFAULT. */
int proc_waitpid(int pid, uint64_t ustatus, int options);

/* Load an initrd image with argv into a new address space (proc.c). */
struct image {
    uint64_t pml4, entry, rsp, argv_user;
};
int proc_load_image(const char *path, int argc, char *const argv[], struct image *img, char *why, size_t whylen);
void proc_reset_fpu(struct proc *p);

/* Per-process state other subsystems keep (the WASM module slots): they
 * register a release function at init, called when a process's image goes
 * away (exit and exec). At most PROC_RELEASE_HOOKS; more is a panic. */
#define PROC_RELEASE_HOOKS 4
void proc_on_release(void (*fn)(struct proc *p));
