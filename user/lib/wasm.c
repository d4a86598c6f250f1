#include "wasm.h"
#include "libc.h"

long wasm_load_limits(const void *bytes, size_t len, const char *name, const struct kos_wasm_limits *lim)
{
    return syscall6(SYS_wasm_load, (long)bytes, (long)len, (long)name, (long)lim, 0, 0);
}

long wasm_load(const void *bytes, size_t len, const char *name) { return wasm_load_limits(bytes, len, name, NULL); }

long wasm_exec_result(long id, const char *func, const int64_t *args, size_t nargs, int64_t *result, int32_t *has_result)
{
    return syscall6(SYS_wasm_exec, id, (long)func, (long)args, (long)nargs, (long)result, (long)has_result);
}

long wasm_exec(long id, const char *func, const int64_t *args, size_t nargs, int64_t *result)
{
    return wasm_exec_result(id, func, args, nargs, result, NULL);
}

long wasm_unload(long id) { return syscall6(SYS_wasm_unload, id, 0, 0, 0, 0, 0); }

long wasm_load_file(const char *path, const char *name) { return wasm_load_file_limits(path, name, NULL); }

long wasm_load_file_limits(const char *path, const char *name, const struct kos_wasm_limits *lim)
{
    struct kos_stat st;
    long r = stat(path, &st);
    if (r < 0)
        return r;
    long fd = open(path, O_RDONLY);
    if (fd < 0)
        return fd;
    /* One byte more than the size: a file that grew shows up as a short count. */
    uint8_t *buf = malloc(st.size + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < st.size) {
        long n = read(fd, buf + got, st.size - got);
        if (n <= 0) {
            r = n < 0 ? n : -EIO;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (got == st.size)
        r = wasm_load_limits(buf, got, name, lim);
    free(buf);
    return r;
}

const char *wasm_trap_name(long code)
{
    switch (code) {
    case 0: return "no trap";
    case KOS_WASM_TRAP_UNREACHABLE: return "unreachable";
    case KOS_WASM_TRAP_DIV_ZERO: return "integer divide by zero";
    case KOS_WASM_TRAP_INT_OVERFLOW: return "integer overflow";
    case KOS_WASM_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case KOS_WASM_TRAP_OOB_MEMORY: return "out of bounds memory access";
    case KOS_WASM_TRAP_UNDEFINED_ELEMENT: return "undefined element";
    case KOS_WASM_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
    case KOS_WASM_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
    case KOS_WASM_TRAP_CALL_STACK_EXHAUSTED: return "call stack exhausted";
    case KOS_WASM_TRAP_OUT_OF_FUEL: return "out of fuel (step limit)";
    case KOS_WASM_TRAP_HOST: return "host function failed";
    case KOS_WASM_TRAP_OUT_OF_MEMORY: return "out of memory";
    case KOS_WASM_TRAP_INTERRUPTED: return "interrupted";
    case KOS_WASM_TRAP_OOB_TABLE: return "out of bounds table access";
    default: return code < 0 ? "error" : "unknown trap";
    }
}
