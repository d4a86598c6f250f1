/* One fuzz input = one binary WebAssembly module, decoded with the 2.0 and
 * the 1.0 feature sets: the decoder and validator must accept or refuse it
 * with a reason, never crash or leak. */
#include "wasm/wasm.h"
#include <stdint.h>
#include <stddef.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int feature_sets[] = {WASM_FEATURES_2_0, WASM_FEATURES_MVP};
    for (size_t i = 0; i < sizeof feature_sets / sizeof feature_sets[0]; i++) {
        char err[128];
        wasm_module *m = wasm_module_parse(data, size, feature_sets[i], err, sizeof err);
        if (m)
            wasm_module_free(m);
    }
    return 0;
}
