/* WebAssembly syscalls: SYS_wasm_load, SYS_wasm_exec, SYS_wasm_unload over
 * the interpreter in kernel/wasm. ABI and limits in sys/sys_wasm.h.
 *
 * Eight slots, each one instantiated module and the pid that loaded it. The
 * interpreter is built with SSE2 while user registers are live: every call
 * into it is bracketed by fxsave/fxrstor so the caller's XMM state and MXCSR
 * survive the syscall, and the interpreter runs with the default MXCSR
 * (round to nearest, exceptions masked) whatever user space set. */
#include "sys/sys_wasm.h"
#include "sys/syscall.h"
#include "mm/uaccess.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "mm/heap.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "wasm/wasm.h"
#include <kos/errno.h>

enum slot_state { SLOT_FREE, SLOT_LOADING, SLOT_READY };

struct wasm_slot {
    enum slot_state state;
    int owner_pid;
    struct proc *owner; /* NULL for kernel tests; checked against owner_pid */
    wasm_instance *inst;
    uint32_t console_left; /* env.log / env.print_i32 bytes left in this exec */
    char name[KOS_WASM_NAME_MAX];
};

static struct wasm_slot slots[KOS_WASM_MAX_MODULES];

/* ---------- SSE state around the interpreter ---------- */

struct fpu_area {
    uint8_t bytes[512];
} __attribute__((aligned(16)));

static inline void fpu_enter(struct fpu_area *save)
{
    static const uint32_t default_mxcsr = 0x1f80;
    __asm__ volatile("fxsave64 (%0)" : : "r"(save->bytes) : "memory");
    __asm__ volatile("ldmxcsr %0" : : "m"(default_mxcsr));
}

static inline void fpu_leave(const struct fpu_area *save)
{
    __asm__ volatile("fxrstor64 (%0)" : : "r"(save->bytes) : "memory");
}

/* ---------- slots ---------- */

static void slot_clear(struct wasm_slot *s)
{
    if (s->inst) {
        struct fpu_area fpu;
        fpu_enter(&fpu);
        wasm_instance_free(s->inst);
        fpu_leave(&fpu);
    }
    memset(s, 0, sizeof *s);
}

/* A slot whose owner has exited (zombie, freed, or the proc entry reused by
 * another pid) is dropped here, so slots come back even if the exit hook did
 * not run (e.g. a process killed by a fault before the hook existed). */
static bool owner_gone(const struct wasm_slot *s)
{
    if (!s->owner)
        return false;
    const struct proc *p = s->owner;
    return p->pid != s->owner_pid || p->state == PROC_UNUSED || p->state == PROC_ZOMBIE;
}

static void reclaim_stale(void)
{
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        if (slots[i].state == SLOT_READY && owner_gone(&slots[i]))
            slot_clear(&slots[i]);
}

int wasm_slot_count(void)
{
    reclaim_stale();
    int n = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        n += slots[i].state != SLOT_FREE;
    return n;
}

int wasm_slot_release_pid(int pid)
{
    int n = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        if (slots[i].state == SLOT_READY && slots[i].owner_pid == pid) {
            slot_clear(&slots[i]);
            n++;
        }
    return n;
}

static void wasm_release_proc(struct proc *p)
{
    wasm_slot_release_pid(p->pid);
}

void sys_wasm_init(void)
{
    proc_on_release(wasm_release_proc);
}

/* The slot id names for caller_pid: -EBADF when there is none, -EPERM when
 * another process owns it. */
static int64_t slot_lookup(int caller_pid, int64_t id, struct wasm_slot **out)
{
    if (id < 0 || id >= KOS_WASM_MAX_MODULES)
        return -EBADF;
    struct wasm_slot *s = &slots[id];
    if (s->state == SLOT_READY && owner_gone(s))
        slot_clear(s);
    if (s->state != SLOT_READY)
        return -EBADF;
    if (s->owner_pid != caller_pid)
        return -EPERM;
    *out = s;
    return 0;
}

/* ---------- host imports: env.log, env.print_i32 ----------
 * Our own copies of the runtime's kos imports, with a console budget per exec:
 * the step limit counts calls, not bytes, so without it a loop of 64 KiB logs
 * would keep the kernel writing to the serial port for hours. */

static bool console_budget(struct wasm_slot *s, uint64_t n)
{
    if (n <= s->console_left) {
        s->console_left -= (uint32_t)n;
        return true;
    }
    kprintf("\n[wasm] pid %d: %s: console budget of %u bytes per call used up\n", s->owner_pid, s->name,
            KOS_WASM_CONSOLE_BUDGET);
    s->console_left = 0;
    return false;
}

static int host_log(wasm_instance *caller, void *ctx, const uint64_t *args, uint64_t *results)
{
    (void)results;
    uint64_t size;
    uint8_t *mem = wasm_instance_memory(caller, &size);
    uint64_t ptr = (uint32_t)args[0], len = (uint32_t)args[1];
    if (!mem || ptr + len > size)
        return WASM_TRAP_OOB_MEMORY;
    if (!console_budget(ctx, len))
        return WASM_TRAP_HOST;
    console_write((const char *)mem + ptr, (size_t)len);
    return WASM_OK;
}

static int host_print_i32(wasm_instance *caller, void *ctx, const uint64_t *args, uint64_t *results)
{
    (void)caller;
    (void)results;
    char line[16];
    int n = ksnprintf(line, sizeof line, "%d\n", (int32_t)(uint32_t)args[0]);
    if (!console_budget(ctx, (uint64_t)n))
        return WASM_TRAP_HOST;
    console_write(line, (size_t)n);
    return WASM_OK;
}

struct host_imports {
    wasm_func *log, *print_i32;
};

static int resolve_import(void *ctx, wasm_name module, wasm_name name, uint8_t kind, wasm_extern *out)
{
    struct host_imports *h = ctx;
    if (!wasm_name_eq(module, wasm_name_str("env")) || kind != WASM_EXTERN_FUNC)
        return -1;
    wasm_func *f = wasm_name_eq(name, wasm_name_str("log"))         ? h->log
                   : wasm_name_eq(name, wasm_name_str("print_i32")) ? h->print_i32
                                                                    : NULL;
    if (!f)
        return -1;
    out->kind = WASM_EXTERN_FUNC;
    out->u.func = f;
    return 0;
}

static void release_func(wasm_func *f)
{
    if (f) {
        wasm_extern e = {.kind = WASM_EXTERN_FUNC, .u.func = f};
        wasm_extern_release(&e);
    }
}

/* The interpreter's poll hook: a preemption point of the owning process
 * (kernel tests run without an owner and without one); a kill ends the call. */
static int wasm_poll(void *ctx)
{
    (void)ctx;
    sched_preempt_point();
    return proc_interrupted() ? 1 : 0;
}

/* ---------- a limit the interpreter does not enforce: table size ---------- */

static bool read_u32_leb(const uint8_t *p, size_t len, size_t *pos, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (*pos >= len)
            return false;
        uint8_t b = p[(*pos)++];
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* The declared initial size of the module's table (section 4), 0 when it has
 * none. The runtime allocates that many entries up front, so a few bytes of
 * module could ask for gigabytes of kernel heap. Anything malformed is left
 * for the decoder to refuse. */
static uint32_t declared_table_size(const uint8_t *p, size_t len)
{
    size_t pos = 8;
    uint32_t biggest = 0;
    while (pos < len) {
        uint8_t id = p[pos++];
        uint32_t size;
        if (!read_u32_leb(p, len, &pos, &size) || size > len - pos)
            return biggest;
        size_t end = pos + size;
        if (id == 4) {
            uint32_t count, flags, min;
            if (!read_u32_leb(p, end, &pos, &count))
                return biggest;
            for (uint32_t i = 0; i < count && pos + 2 <= end; i++) {
                pos++; /* element type */
                if (!read_u32_leb(p, end, &pos, &flags) || !read_u32_leb(p, end, &pos, &min))
                    return biggest;
                if (min > biggest)
                    biggest = min;
                uint32_t max;
                if (flags & 1 && !read_u32_leb(p, end, &pos, &max))
                    return biggest;
            }
        }
        pos = end;
    }
    return biggest;
}

int64_t wasm_slot_load(int owner_pid, struct proc *owner, const uint8_t *bytes, size_t len, const char *name,
                       const struct kos_wasm_limits *lim)
{
    uint64_t fuel = lim && lim->fuel ? lim->fuel : KOS_WASM_FUEL;
    uint32_t pages = lim && lim->max_pages ? lim->max_pages : KOS_WASM_MAX_PAGES;
    if ((lim && lim->flags) || fuel > KOS_WASM_MAX_FUEL || pages > KOS_WASM_MAX_PAGES) {
        kprintf("[wasm] pid %d: load refused: limits out of range (fuel %lu, %u pages, flags %u)\n", owner_pid,
                (unsigned long)fuel, pages, lim ? lim->flags : 0);
        return -EINVAL;
    }
    if (!name[0]) {
        kprintf("[wasm] pid %d: load refused: empty module name\n", owner_pid);
        return -EINVAL;
    }
    if (strlen(name) >= KOS_WASM_NAME_MAX)
        return -ENAMETOOLONG;
    if (len == 0) {
        kprintf("[wasm] pid %d: load of \"%s\" refused: empty module (0 bytes)\n", owner_pid, name);
        return -EINVAL;
    }
    if (len > KOS_WASM_MAX_MODULE_BYTES) {
        kprintf("[wasm] pid %d: load of \"%s\" refused: %lu bytes, the limit is %u\n", owner_pid, name,
                (unsigned long)len, KOS_WASM_MAX_MODULE_BYTES);
        return -EFBIG;
    }
    uint32_t table = declared_table_size(bytes, len);
    if (table > KOS_WASM_MAX_TABLE_ELEMS) {
        kprintf("[wasm] pid %d: load of \"%s\" refused: table of %u entries, the limit is %u\n", owner_pid, name,
                table, KOS_WASM_MAX_TABLE_ELEMS);
        return -EINVAL;
    }
    reclaim_stale();
    int id = -1;
    for (int i = 0; i < KOS_WASM_MAX_MODULES && id < 0; i++)
        if (slots[i].state == SLOT_FREE)
            id = i;
    if (id < 0)
        return -ENOSPC;
    struct wasm_slot *s = &slots[id];
    s->state = SLOT_LOADING; /* reserved while the module is decoded */

    char err[128];
    err[0] = 0;
    int64_t ret = id;
    struct fpu_area fpu;
    fpu_enter(&fpu);
    wasm_module *m = wasm_module_parse(bytes, len, WASM_FEATURES_2_0, err, sizeof err);
    wasm_instance *inst = NULL;
    if (m) {
        wasm_limits lim = {
            .max_memory_pages = pages,
            .fuel = fuel,
            .max_call_depth = KOS_WASM_MAX_CALL_DEPTH,
            .stack_slots = KOS_WASM_STACK_SLOTS,
            .poll = owner ? wasm_poll : NULL,
            .poll_interval = KOS_WASM_POLL_INTERVAL,
            .max_table_elems = KOS_WASM_MAX_TABLE_ELEMS,
        };
        /* The instance takes its own reference on each import it uses. */
        static const uint8_t i32x2[2] = {WASM_I32, WASM_I32};
        struct host_imports h = {
            .log = wasm_host_func_new(i32x2, 2, NULL, 0, host_log, s),
            .print_i32 = wasm_host_func_new(i32x2, 1, NULL, 0, host_print_i32, s),
        };
        memcpy(s->name, name, strlen(name) + 1);
        s->owner_pid = owner_pid;
        s->console_left = KOS_WASM_CONSOLE_BUDGET; /* the start function may print */
        if (h.log && h.print_i32)
            inst = wasm_instantiate(m, &lim, resolve_import, &h, err, sizeof err);
        else
            ksnprintf(err, sizeof err, "out of memory");
        release_func(h.log);
        release_func(h.print_i32);
        wasm_module_free(m); /* the instance holds its own reference */
    }
    fpu_leave(&fpu);

    if (!inst) {
        kprintf("[wasm] pid %d: load of \"%s\" refused: %s\n", owner_pid, name, err[0] ? err : "invalid module");
        ret = strstr(err, "out of memory")     ? -ENOMEM
              : strstr(err, "interrupted")     ? -EINTR
              : strstr(err, "page limit")      ? -E2BIG
                                                 : -EINVAL;
        memset(s, 0, sizeof *s);
        return ret;
    }
    wasm_instance_set_user(inst, owner);
    s->inst = inst;
    s->owner = owner;
    s->state = SLOT_READY;
    return ret;
}

int64_t wasm_slot_exec(int caller_pid, int64_t id, const char *func, const int64_t *args, uint64_t nargs,
                       int64_t *result, int *has_result)
{
    struct wasm_slot *s;
    int64_t r = slot_lookup(caller_pid, id, &s);
    if (r)
        return r;
    *has_result = 0;
    wasm_func *f = wasm_instance_export_func(s->inst, wasm_name_str(func));
    if (!f)
        return -ENOENT;
    uint32_t np = wasm_func_param_count(f), nr = wasm_func_result_count(f);
    if (nargs != np || nr > 1)
        return -EINVAL;
    wasm_value in[KOS_WASM_MAX_ARGS], out[1];
    for (uint32_t i = 0; i < np; i++) {
        uint8_t t = wasm_func_param_type(f, i);
        uint64_t bits = (uint64_t)args[i];
        in[i].type = t;
        /* i32 and f32 live in the low half; the high half must be zero. */
        in[i].bits = (t == WASM_I32 || t == WASM_F32) ? (bits & 0xffffffffull) : bits;
    }
    s->console_left = KOS_WASM_CONSOLE_BUDGET;
    struct fpu_area fpu;
    fpu_enter(&fpu);
    int trap = wasm_invoke(s->inst, f, in, np, out, nr);
    fpu_leave(&fpu);
    if (trap == WASM_TRAP_BAD_ARGS)
        return -EINVAL;
    if (trap != WASM_OK) {
        kprintf("[wasm] pid %d: %s.%s trapped: %s\n", caller_pid, s->name, func, wasm_trap_string(trap));
        return wasm_trap_abi(trap);
    }
    if (nr == 1) {
        uint8_t t = wasm_func_result_type(f, 0);
        *result = t == WASM_I32 ? (int64_t)(int32_t)(uint32_t)out[0].bits
                                : t == WASM_F32 ? (int64_t)(out[0].bits & 0xffffffffull) : (int64_t)out[0].bits;
        *has_result = 1;
    }
    return 0;
}

int64_t wasm_slot_unload(int caller_pid, int64_t id)
{
    struct wasm_slot *s;
    int64_t r = slot_lookup(caller_pid, id, &s);
    if (r)
        return r;
    slot_clear(s);
    return 0;
}

/* ---------- syscalls: user pointers in, the slot table does the rest ---------- */

static int current_pid(void)
{
    struct proc *p = proc_current();
    return p ? p->pid : 0;
}

/* load(bytes, len, name, limits) */
int64_t sys_wasm_load(const struct syscall_args *a)
{
    char name[KOS_WASM_NAME_MAX];
    int r = copyinstr(name, a->a2, sizeof name);
    if (r)
        return r;
    struct kos_wasm_limits lim, *limp = NULL;
    if (a->a3) {
        if (copyin(&lim, a->a3, sizeof lim))
            return -EFAULT;
        limp = &lim;
    }
    uint64_t len = a->a1;
    if (len > KOS_WASM_MAX_MODULE_BYTES || len == 0)
        return wasm_slot_load(current_pid(), proc_current(), NULL, len, name, limp);
    if (user_range_ok(a->a0, len, false))
        return -EFAULT;
    uint8_t *bytes = kmalloc(len);
    if (!bytes)
        return -ENOMEM;
    int64_t ret = -EFAULT;
    if (copyin(bytes, a->a0, len) == 0)
        ret = wasm_slot_load(current_pid(), proc_current(), bytes, len, name, limp);
    kfree(bytes);
    return ret;
}

/* exec(id, func, args, nargs, result, has_result) */
int64_t sys_wasm_exec(const struct syscall_args *a)
{
    char func[KOS_WASM_NAME_MAX];
    int r = copyinstr(func, a->a1, sizeof func);
    if (r)
        return r;
    uint64_t nargs = a->a3;
    if (nargs > KOS_WASM_MAX_ARGS)
        return -EINVAL;
    int64_t args[KOS_WASM_MAX_ARGS];
    if (nargs && copyin(args, a->a2, nargs * sizeof args[0]))
        return -EFAULT;
    /* Checked before the call so a bad slot never discards a finished run's effects. */
    if ((a->a4 && user_range_ok(a->a4, sizeof(int64_t), true)) ||
        (a->a5 && user_range_ok(a->a5, sizeof(int32_t), true)))
        return -EFAULT;
    int64_t result = 0;
    int has_result = 0;
    int64_t ret = wasm_slot_exec(current_pid(), (int64_t)a->a0, func, args, nargs, &result, &has_result);
    if (ret == 0 && has_result && a->a4 && copyout(a->a4, &result, sizeof result))
        return -EFAULT;
    int32_t has = has_result;
    if (ret == 0 && a->a5 && copyout(a->a5, &has, sizeof has))
        return -EFAULT;
    return ret;
}

/* unload(id) */
int64_t sys_wasm_unload(const struct syscall_args *a)
{
    return wasm_slot_unload(current_pid(), (int64_t)a->a0);
}
