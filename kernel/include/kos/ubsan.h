/* What clang's -fsanitize=undefined calls, for the two runtimes of
 * `kos test --sanitize` (kernel/lib/ubsan.c, user/lib/ubsan.c): one handler
 * a kind, __ubsan_handle_NAME(data, ...), whose data starts with the source
 * location. The list gives each handler's name, what it means, and whether
 * execution can go on after it (0: the code after it is unreachable). */
#pragma once
#include <stdint.h>

struct kos_ubsan_location {
    const char *file;
    uint32_t line;
    uint32_t column;
};

#define KOS_UBSAN_HANDLERS(X)                                                        \
    X(add_overflow, "signed addition overflow", 1)                                   \
    X(sub_overflow, "signed subtraction overflow", 1)                                \
    X(mul_overflow, "signed multiplication overflow", 1)                             \
    X(negate_overflow, "negation overflow", 1)                                       \
    X(divrem_overflow, "division overflow or by zero", 1)                            \
    X(shift_out_of_bounds, "shift out of bounds", 1)                                 \
    X(out_of_bounds, "index out of bounds", 1)                                       \
    X(type_mismatch_v1, "misaligned or null access, or too small an object", 1)      \
    X(pointer_overflow, "pointer arithmetic overflow", 1)                            \
    X(load_invalid_value, "load of an invalid value (bool or enum)", 1)              \
    X(vla_bound_not_positive, "variable-length array bound not positive", 1)         \
    X(float_cast_overflow, "float to integer conversion overflow", 1)                \
    X(nonnull_arg, "null passed as a nonnull argument", 1)                           \
    X(nonnull_return_v1, "null returned from a returns_nonnull function", 1)         \
    X(nullability_arg, "null passed as a _Nonnull argument", 1)                      \
    X(nullability_return_v1, "null returned as _Nonnull", 1)                         \
    X(invalid_builtin, "invalid argument to a builtin", 1)                           \
    X(alignment_assumption, "alignment assumption violated", 1)                      \
    X(implicit_conversion, "implicit conversion changed the value", 1)               \
    X(builtin_unreachable, "__builtin_unreachable reached", 0)                       \
    X(missing_return, "end of a value-returning function reached", 0)

/* Defines every handler of the list as a call of report(kind, location, can_go_on). */
#define KOS_UBSAN_DEFINE(name, kind, go_on)                                          \
    void __ubsan_handle_##name(void *data, ...);                                     \
    __attribute__((no_sanitize("undefined"))) void __ubsan_handle_##name(void *data, ...) \
    {                                                                                \
        kos_ubsan_report(kind, (const struct kos_ubsan_location *)data, go_on);      \
    }
