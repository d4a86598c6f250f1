#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "arch/x86_64/trap.h"

#define NPROC 32
#define NOFILE 16
#define KSTACK_PAGES 4
#define PROC_NAME_MAX 32

/* User stack: USER_STACK_PAGES pages below USER_STACK_TOP; the pages below
 * that (USER_STACK_GUARD_PAGES) are never mapped, so an overflow faults. */
#define USER_STACK_TOP 0x00007ffffff00000ULL
#define USER_STACK_PAGES 16
#define USER_STACK_GUARD_PAGES 16
#define USER_STACK_BOTTOM (USER_STACK_TOP - USER_STACK_PAGES * 4096ULL)
/* Anonymous mmap region. */
#define MMAP_BASE 0x0000100000000000ULL
#define MMAP_END  0x0000700000000000ULL
#define MMAP_MAX_LEN (64ULL << 20)

#define ARGV_MAX 16
#define ARG_MAX_LEN 128

enum proc_state { PROC_UNUSED, PROC_EMBRYO, PROC_RUNNABLE, PROC_RUNNING, PROC_ZOMBIE };

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
    int exit_status;
    bool killed;                /* ended by a fault, not by exit */
    char kill_reason[160];
    struct proc *parent;
};

void proc_init(void);
struct proc *proc_current(void);
/* Load path from the initrd into a new process, argv[0..argc). Returns the
 * process (runnable) or NULL with *err set (-ENOENT, -ENOEXEC, -ENOMEM, ...)
 * and a reason in why. Nothing is left allocated on failure. */
struct proc *proc_spawn(const char *path, int argc, char *const argv[], int *err, char *why, size_t whylen);
/* Run the scheduler until p is a zombie, then free it. Returns its exit status. */
int proc_run_until_exit(struct proc *p, bool *killed, char *reason, size_t reasonlen);
__attribute__((noreturn)) void proc_exit(int status);
/* Terminate the current process because of a fault: prints the reason line. */
__attribute__((noreturn)) void proc_kill_current(const char *reason);
void proc_yield(void);
int proc_fd_alloc(struct proc *p, struct file *f);
