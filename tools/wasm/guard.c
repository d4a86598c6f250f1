/* Guard-page linear memories for the host build (wasm_env.h,
 * WASM_MEM_GUARDED): each memory reserves every address a load or store can
 * form (32-bit base + 32-bit offset + 8 bytes), only its committed pages are
 * readable and writable, and a SIGSEGV/SIGBUS inside a reservation while an
 * invoke runs jumps back to that invoke as an out-of-bounds trap. Any other
 * fault is left to the default action. Single-threaded, like kos-wasm. */
#define _GNU_SOURCE
#include "wasm/wasm_env.h"

#if WASM_MEM_GUARDED
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#define RESERVE ((uint64_t)1 << 33) + 65536 /* 8 GiB + a page of slack */

typedef struct reservation {
    uint8_t *base;
    struct reservation *next;
} reservation;

static reservation *reservations;
wasm_guard_frame *wasm_guard_top;

static uint64_t page_round(uint64_t n)
{
    uint64_t p = (uint64_t)sysconf(_SC_PAGESIZE);
    return (n + p - 1) / p * p;
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    uint8_t *a = (uint8_t *)si->si_addr;
    if (wasm_guard_top)
        for (reservation *r = reservations; r; r = r->next)
            if (a >= r->base && a < r->base + (RESERVE))
                siglongjmp(wasm_guard_top->jb, 1);
    /* Not ours: the default action (a crash with the usual report). */
    signal(sig, SIG_DFL);
}

void wasm_guard_install(void)
{
    static int installed;
    if (installed)
        return;
    installed = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

uint8_t *wasm_mem_alloc(uint64_t size)
{
    reservation *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    void *p = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        free(r);
        return NULL;
    }
    if (size && mprotect(p, page_round(size), PROT_READ | PROT_WRITE) != 0) {
        munmap(p, RESERVE);
        free(r);
        return NULL;
    }
    r->base = p;
    r->next = reservations;
    reservations = r;
    return p;
}

uint8_t *wasm_mem_grow(uint8_t *data, uint64_t old_size, uint64_t new_size)
{
    (void)old_size;
    if (!data)
        return wasm_mem_alloc(new_size);
    if (mprotect(data, page_round(new_size), PROT_READ | PROT_WRITE) != 0)
        return NULL;
    return data; /* fresh pages of an anonymous mapping read as zero */
}

void wasm_mem_free(uint8_t *data, uint64_t size)
{
    (void)size;
    if (!data)
        return;
    for (reservation **pp = &reservations; *pp; pp = &(*pp)->next)
        if ((*pp)->base == data) {
            reservation *r = *pp;
            *pp = r->next;
            free(r);
            break;
        }
    munmap(data, RESERVE);
}
#endif
