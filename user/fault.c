/* Misbehaves on purpose, one way per argument; the kernel must kill it
 * with a reason and carry on. Returning means the fault did not happen. */
#include "libc.h"

static unsigned char data_code[16];     /* writable data page, filled with "ret" at run time */

/* Unbounded on purpose: it must run into the stack guard page. */
#pragma clang diagnostic ignored "-Winfinite-recursion"
static int recurse(int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    return recurse(depth + 1) + pad[0];
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: fault null|write_code|read_kernel|exec_data|stack_guard\n");
        return 2;
    }
    const char *kind = argv[1];
    printf("[fault] provoking %s\n", kind);
    if (strcmp(kind, "null") == 0) {
        volatile int *p = NULL;
        return *p;
    }
    if (strcmp(kind, "write_code") == 0) {
        volatile unsigned char *code = (volatile unsigned char *)(void *)main;
        *code = 0x90;
        return 0;
    }
    if (strcmp(kind, "read_kernel") == 0) {
        /* The direct map of physical memory: present, but not user-accessible. */
        volatile unsigned long *k = (volatile unsigned long *)0xffff800000100000UL;
        return (int)*k;
    }
    if (strcmp(kind, "exec_data") == 0) {
        ((volatile unsigned char *)data_code)[0] = 0xc3;
        void (*fn)(void) = (void (*)(void))(void *)data_code;
        fn();
        return 0;
    }
    if (strcmp(kind, "stack_guard") == 0)
        return recurse(0);
    printf("unknown fault kind %s\n", kind);
    return 2;
}
