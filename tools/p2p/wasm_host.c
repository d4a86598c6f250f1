/* plat.h's WebAssembly for the host build of the p2p programs
 * (part of their platform layer, user/p2p/host; here because it includes the
 * kernel's interpreter, which user/ may not): kernel/wasm linked in, with the same limits and outcomes as SYS_wasm_load/exec in the guest
 * (kos/wasm.h). */
#include "plat.h"
#include "wasm/wasm.h"
#include <kos/wasm.h>

int plat_wasm_run(const uint8_t *module, size_t len, const char *export_name, const int64_t *args, int nargs,
                  uint64_t fuel, uint32_t max_pages, struct plat_wasm_result *out)
{
    memset(out, 0, sizeof *out);
    if (len > KOS_WASM_MAX_MODULE_BYTES) {
        snprintf(out->error, sizeof out->error, "over the module size limit");
        return PLAT_WASM_INVALID;
    }
    char err[128] = "";
    wasm_module *m = wasm_module_parse(module, len, WASM_FEATURES_2_0, err, sizeof err);
    if (!m) {
        snprintf(out->error, sizeof out->error, "%s", err);
        return PLAT_WASM_INVALID;
    }
    wasm_limits lim = {
        .max_memory_pages = max_pages ? max_pages : KOS_WASM_MAX_PAGES,
        .fuel = fuel ? fuel : KOS_WASM_FUEL,
        .max_call_depth = KOS_WASM_MAX_CALL_DEPTH,
        .stack_slots = KOS_WASM_STACK_SLOTS,
        .max_table_elems = KOS_WASM_MAX_TABLE_ELEMS,
    };
    wasm_instance *inst = wasm_instantiate(m, &lim, wasm_env_resolve, NULL, err, sizeof err);
    wasm_module_free(m);
    if (!inst) {
        snprintf(out->error, sizeof out->error, "%s", err);
        return strstr(err, "page limit") ? PLAT_WASM_MEMORY : strstr(err, "out of memory") ? PLAT_WASM_BUSY : PLAT_WASM_INVALID;
    }
    int outcome = PLAT_WASM_OK;
    wasm_func *f = wasm_instance_export_func(inst, wasm_name_str(export_name));
    uint32_t np = f ? wasm_func_param_count(f) : 0, nr = f ? wasm_func_result_count(f) : 0;
    if (!f) {
        snprintf(out->error, sizeof out->error, "%s", export_name);
        outcome = PLAT_WASM_NO_EXPORT;
    } else if ((uint32_t)nargs != np || nr > 1 || nargs > KOS_WASM_MAX_ARGS) {
        snprintf(out->error, sizeof out->error, "%d arguments do not fit %s's signature", nargs, export_name);
        outcome = PLAT_WASM_BAD_ARGS;
    } else {
        wasm_value in[KOS_WASM_MAX_ARGS], res[1];
        for (uint32_t i = 0; i < np; i++) {
            uint8_t t = wasm_func_param_type(f, i);
            in[i].type = t;
            in[i].bits = t == WASM_I32 || t == WASM_F32 ? (uint64_t)args[i] & 0xffffffffu : (uint64_t)args[i];
        }
        int trap = wasm_invoke(inst, f, in, np, res, nr);
        if (trap != WASM_OK) {
            out->trap = wasm_trap_abi(trap);
            snprintf(out->error, sizeof out->error, "%s", wasm_trap_string(trap));
            outcome = PLAT_WASM_TRAP;
        } else if (nr == 1) {
            uint8_t t = wasm_func_result_type(f, 0);
            out->nvalues = 1;
            out->value = t == WASM_I32 ? (int64_t)(int32_t)(uint32_t)res[0].bits : (int64_t)res[0].bits;
        }
    }
    wasm_instance_free(inst);
    return outcome;
}
