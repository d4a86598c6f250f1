/* The first ring-3 program: one line on the console, exit status 0. */
#include "libc.h"

/* Written at run time so the image has a data segment as well as code. */
static char greeting[] = "[user] Hello from ring-3!";

int main(void)
{
    puts(greeting);
    return 0;
}
