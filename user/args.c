/* argv on the user stack: run as /bin/args:one:two (argv[0] is "args"). */
#include "libc.h"
#include "ktap.h"

int main(int argc, char **argv)
{
    unsigned long sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    ktap_begin("args", 5);
    KTAP_EXPECT_EQ("argc", argc, 3);
    ktap_ok(argc >= 1 && strcmp(argv[0], "args") == 0, "argv0_is_program_name");
    ktap_ok(argc >= 3 && strcmp(argv[1], "one") == 0 && strcmp(argv[2], "two") == 0, "argv_words");
    ktap_ok(argv[argc] == NULL, "argv_null_terminated");
    /* The strings live on the stack, below its top, in user memory. */
    ktap_ok((unsigned long)argv[0] > sp && (unsigned long)argv[0] < 0x800000000000UL, "argv_on_user_stack");
    return ktap_done();
}
