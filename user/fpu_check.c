/* SSE registers belong to the process: put a value of our own in xmm7,
 * yield (another copy of this program runs and does the same), and check
 * the value is still there. Exit 0 when it always was. */
#include "libc.h"

#define ROUNDS 50

int main(int argc, char **argv)
{
    unsigned long tag = (unsigned long)getpid() * 0x0101010101010101UL;
    if (argc > 1)
        tag ^= (unsigned long)(unsigned char)argv[1][0] << 8;
    for (int i = 0; i < ROUNDS; i++) {
        unsigned long want = tag + (unsigned long)i, got;
        __asm__ volatile(
            "movq %[v], %%xmm7\n"
            "mov %[nr], %%eax\n"
            "int $0x80\n"
            "movq %%xmm7, %[out]\n"
            : [out] "=r"(got)
            : [v] "r"(want), [nr] "i"(SYS_yield)
            : "rax", "xmm7", "memory");
        if (got != want) {
            printf("[fpu_check] round %d: xmm7 0x%lx, expected 0x%lx\n", i, got, want);
            return 1;
        }
    }
    return 0;
}
