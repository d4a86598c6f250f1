/* WebAssembly 1.0 text format (host only): enough of WAT to compile the
 * modules of a .wast script to binary, so `kos-wasm spec` can judge the
 * script's text-format assert_malformed modules itself. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Compiles module text (either "(module ...)" or bare module fields) to a
 * binary module. Returns malloc'd bytes, or NULL with the reason in err. The
 * result is not validated: wasm_module_parse does that. */
uint8_t *wat_compile(const char *text, size_t len, size_t *out_len, char *err, size_t errlen);

/* Checks the compiler against a wast2json conversion: every text module of
 * the script (top-level or inside an assertion) must compile to exactly the
 * bytes wast2json wrote. Prints "FILE:LINE: message" per mismatch and a final
 * "WATCHECK compared N mismatched M" line; returns M. */
int wat_check_script(const char *wast_path, const char *json_path);
