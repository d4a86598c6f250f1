/* plat.h's WebAssembly over the kos syscalls: SYS_wasm_load with the
 * caller's limits, SYS_wasm_exec, SYS_wasm_unload (kos/wasm.h). Each call loads the module into a slot of its own and
 * unloads it afterwards, so nothing of one peer's code stays for the next. */
#include "plat.h"
#include "wasm.h"

int plat_wasm_run(const uint8_t *module, size_t len, const char *export_name, const int64_t *args, int nargs,
                  uint64_t fuel, uint32_t max_pages, struct plat_wasm_result *out)
{
    memset(out, 0, sizeof *out);
    struct kos_wasm_limits lim = {.fuel = fuel, .max_pages = max_pages};
    long id = wasm_load_limits(module, len, "remote", &lim);
    if (id < 0) {
        snprintf(out->error, sizeof out->error, "%s (error %ld)",
                 id == -E2BIG    ? "its memory is over the page limit"
                 : id == -EFBIG  ? "over the module size limit"
                 : id == -ENOSPC ? "no free module slot"
                 : id == -ENOMEM ? "out of memory"
                                 : "refused by the loader (malformed, invalid or an unknown import)",
                 id);
        return id == -E2BIG ? PLAT_WASM_MEMORY : id == -ENOSPC || id == -ENOMEM ? PLAT_WASM_BUSY : PLAT_WASM_INVALID;
    }
    int32_t has = 0;
    long r = wasm_exec_result(id, export_name, args, (size_t)nargs, &out->value, &has);
    wasm_unload(id);
    if (r > 0) {
        out->trap = (int)r;
        snprintf(out->error, sizeof out->error, "%s", wasm_trap_name(r));
        return PLAT_WASM_TRAP;
    }
    if (r == -ENOENT || r == -ENAMETOOLONG) {
        snprintf(out->error, sizeof out->error, "%s", export_name);
        return PLAT_WASM_NO_EXPORT;
    }
    if (r < 0) {
        snprintf(out->error, sizeof out->error, "%d arguments do not fit %s's signature (error %ld)", nargs, export_name, r);
        return PLAT_WASM_BAD_ARGS;
    }
    out->nvalues = has ? 1 : 0;
    return PLAT_WASM_OK;
}
