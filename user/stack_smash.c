/* Writes past a local array on purpose: the stack protector's check when
 * smash() returns must stop the program (message on stderr, then a fault the
 * kernel reports) before the overwritten return address is used. */
#include "libc.h"

static volatile size_t smash_len = 64;

__attribute__((noinline)) static void smash(void)
{
    char buf[16];
    volatile char *p = buf;
    size_t len = smash_len;
    puts("[user] stack_smash: writing 64 bytes into a 16-byte buffer");
    for (size_t i = 0; i < len; i++)
        p[i] = 'A';
}

int main(void)
{
    smash();
    puts("[user] stack_smash: returned through a smashed frame (not caught)");
    return 0;
}
