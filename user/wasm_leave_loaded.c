/* Fills every WebAssembly slot and exits without unloading: the kernel must
 * free them when the process ends (wasm_test:slots, run next, loads eight). */
#include "libc.h"
#include "ktap.h"
#include "wasm.h"

int main(void)
{
    ktap_begin("wasm_leave_loaded", 2);
    int loaded = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        loaded += wasm_load_file("/wasm/test.wasm", "left") >= 0;
    KTAP_EXPECT_EQ("fill_all_slots", loaded, KOS_WASM_MAX_MODULES);
    KTAP_EXPECT_EQ("table_full", wasm_load_file("/wasm/test.wasm", "left"), -ENOSPC);
    return ktap_done();
}
