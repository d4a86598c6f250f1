/* Float helpers with WebAssembly's exact semantics, written on the bit
 * patterns (no libm in the kernel). Arithmetic that IEEE 754 defines exactly
 * (+ - * / and conversions) is left to the CPU; these are the operations C
 * would need a library for, plus min/max whose NaN and -0 rules differ from
 * the usual C idioms. Requires FLT_EVAL_METHOD 0 (SSE2 on x86-64). */
#include "wasm/wasm_internal.h"

#define F64_SIGN 0x8000000000000000ull
#define F64_QUIET 0x0008000000000000ull

static int f64_is_nan(uint64_t b) { return (b & ~F64_SIGN) > 0x7ff0000000000000ull; }

/* Correctly rounded square root: integer square root of the significand
 * with one extra bit, rounded half to even using the remainder as sticky. */
double wasm_f64_sqrt(double x)
{
    uint64_t b = wasm_f64_bits(x);
    if (f64_is_nan(b))
        return wasm_bits_f64(b | F64_QUIET);
    if ((b & ~F64_SIGN) == 0)
        return x; /* +-0 */
    if (b & F64_SIGN)
        return wasm_bits_f64(0x7ff8000000000000ull);
    if (b == 0x7ff0000000000000ull)
        return x;
    int e = (int)((b >> 52) & 0x7ff);
    uint64_t m = b & ((1ull << 52) - 1);
    if (e == 0) {
        e = 1;
        while (!(m & (1ull << 52))) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 1ull << 52;
    }
    int exp = e - 1075; /* x = m * 2^exp */
    if (exp & 1) {
        m <<= 1;
        exp--;
    }
    unsigned __int128 rad = (unsigned __int128)m << 54;
    unsigned __int128 res = 0, bit = (unsigned __int128)1 << 106;
    while (bit) {
        if (rad >= res + bit) {
            rad -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    uint64_t r = (uint64_t)res;
    int round = (int)(r & 1);
    r >>= 1;
    if (round && (rad != 0 || (r & 1)))
        r++;
    int e2 = (exp - 54) / 2 + 1; /* result = r * 2^e2, r in [2^52, 2^53] */
    uint64_t out = ((uint64_t)(e2 + 1075 - 1) << 52) + r;
    return wasm_bits_f64(out);
}

/* Rounding through double is exact for sqrt: 53 >= 2*24 + 2. */
float wasm_f32_sqrt(float x) { return (float)wasm_f64_sqrt((double)x); }

double wasm_f64_trunc(double x)
{
    uint64_t b = wasm_f64_bits(x);
    int e = (int)((b >> 52) & 0x7ff) - 1023;
    if (e >= 52)
        return f64_is_nan(b) ? wasm_bits_f64(b | F64_QUIET) : x;
    if (e < 0)
        return wasm_bits_f64(b & F64_SIGN);
    uint64_t mask = (1ull << (52 - e)) - 1;
    return wasm_bits_f64(b & ~mask);
}

double wasm_f64_floor(double x)
{
    double t = wasm_f64_trunc(x);
    if (t != x && x < 0)
        t -= 1.0;
    return t;
}

double wasm_f64_ceil(double x)
{
    double t = wasm_f64_trunc(x);
    if (t != x && x > 0)
        t += 1.0;
    return t;
}

double wasm_f64_nearest(double x)
{
    uint64_t b = wasm_f64_bits(x);
    int e = (int)((b >> 52) & 0x7ff) - 1023;
    if (e >= 52)
        return f64_is_nan(b) ? wasm_bits_f64(b | F64_QUIET) : x;
    if (e < -1)
        return wasm_bits_f64(b & F64_SIGN);
    /* Adding and removing 2^52 rounds to an integer, ties to even. */
    volatile double a = wasm_bits_f64(b & ~F64_SIGN);
    volatile double big = 4503599627370496.0;
    double r = (a + big) - big;
    return wasm_bits_f64(wasm_f64_bits(r) | (b & F64_SIGN));
}

/* The f32 roundings go through double, exactly: a float widens to double
 * without loss (a NaN keeps its payload, quieted as these return it), and
 * each result is a float's value again (an integer no larger than |x|, or x). */
float wasm_f32_trunc(float x) { return (float)wasm_f64_trunc((double)x); }
float wasm_f32_floor(float x) { return (float)wasm_f64_floor((double)x); }
float wasm_f32_ceil(float x) { return (float)wasm_f64_ceil((double)x); }
float wasm_f32_nearest(float x) { return (float)wasm_f64_nearest((double)x); }

/* min/max: any NaN operand gives NaN (a + b propagates it quieted); for
 * equal operands (+0 vs -0) min prefers -0 and max prefers +0. */
double wasm_f64_min(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return wasm_bits_f64(wasm_f64_bits(a) | wasm_f64_bits(b));
    return a < b ? a : b;
}

double wasm_f64_max(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return wasm_bits_f64(wasm_f64_bits(a) & wasm_f64_bits(b));
    return a > b ? a : b;
}

/* Through double, exactly, as the roundings: -0 and +0 keep their signs and
 * a NaN its payload. */
float wasm_f32_min(float a, float b) { return (float)wasm_f64_min((double)a, (double)b); }
float wasm_f32_max(float a, float b) { return (float)wasm_f64_max((double)a, (double)b); }
