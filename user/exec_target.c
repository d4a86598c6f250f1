/* The program exec_test runs: writes "argc=N|arg|arg|...|" to fd 1 (a pipe
 * the caller set up with dup2) and exits 42. */
#include "libc.h"

int main(int argc, char **argv)
{
    char buf[1024];
    int off = snprintf(buf, sizeof buf, "argc=%d|", argc);
    for (int i = 0; i < argc && off < (int)sizeof buf; i++)
        off += snprintf(buf + off, sizeof buf - (size_t)off, "%s|", argv[i]);
    if (argv[argc] != NULL)
        return 1;
    write(1, buf, (size_t)off);
    return 42;
}
