/* One fuzz input = one binary WebAssembly module: the decoder and validator
 * must accept or refuse it with a reason, never crash or leak. */
#include "wasm/wasm.h"
#include <stdint.h>
#include <stddef.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    wasm_module *m = wasm_module_parse(data, size, err, sizeof err);
    if (m)
        wasm_module_free(m);
    return 0;
}
