/* Page protections mean what POSIX says: PROT_NONE memory cannot be read
 * or written (by the program or by the kernel on its behalf), read-only
 * memory cannot be written, and mprotect changes both ways, also on pages
 * still shared copy-on-write after fork. Each forbidden access runs in a
 * child that must be killed by a fault (the reasons are on the console). */
#include "libc.h"
#include "ktap.h"

#define PAGE 4096
static const int anon = MAP_PRIVATE | MAP_ANONYMOUS;

enum access { READ, WRITE };

/* Touch p in a child; the wait status says how it ended. */
static int child_access(volatile char *p, enum access how)
{
    long pid = fork();
    if (pid == 0) {
        if (how == READ)
            exit(p[0] == 0x7f ? 3 : 4);
        p[0] = 1;
        exit(5);
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static bool killed_by_fault(int status)
{
    return status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == WSIG_FAULT;
}

int main(void)
{
    ktap_begin("prot", 14);
    char *none = mmap(NULL, PAGE, PROT_NONE, anon);
    char *ro = mmap(NULL, PAGE, PROT_READ, anon);
    char *rw = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, anon);
    if (!none || !ro || !rw) {
        ktap_diag("mmap failed");
        return 1;
    }
    ktap_diag("PROT_NONE page at %p, read-only page at %p, read-write pages at %p", none, ro, rw);

    ktap_ok(killed_by_fault(child_access(none, READ)), "read_prot_none_killed");
    ktap_ok(killed_by_fault(child_access(none, WRITE)), "write_prot_none_killed");
    ktap_ok(killed_by_fault(child_access(ro, WRITE)), "write_read_only_killed");
    ktap_ok(((volatile char *)ro)[0] == 0, "read_read_only_ok");

    /* The kernel refuses to read or write them on the program's behalf. */
    KTAP_EXPECT_EQ("write_from_prot_none_efault", write(1, none, 1), -EFAULT);
    int fds[2];
    pipe(fds);
    write(fds[1], "x", 1);
    KTAP_EXPECT_EQ("read_into_read_only_efault", read(fds[0], ro, 1), -EFAULT);
    KTAP_EXPECT_EQ("read_into_prot_none_efault", read(fds[0], none, 1), -EFAULT);
    close(fds[0]);
    close(fds[1]);

    /* mprotect: PROT_NONE -> read-write gives a usable (zeroed) page. */
    bool opened = mprotect(none, PAGE, PROT_READ | PROT_WRITE) == 0;
    if (opened) {
        opened = none[0] == 0;
        none[0] = 42;
        opened = opened && none[0] == 42;
    }
    ktap_ok(opened, "mprotect_none_to_read_write");

    /* read-write -> read-only, then -> PROT_NONE: data kept, access gone. */
    rw[0] = 0x7f;
    KTAP_EXPECT_EQ("mprotect_to_read_only", mprotect(rw, PAGE, PROT_READ), 0);
    ktap_ok(killed_by_fault(child_access(rw, WRITE)) && rw[0] == 0x7f, "write_after_mprotect_read_only_killed");
    mprotect(rw, PAGE, PROT_NONE);
    int st = child_access(rw, READ);
    ktap_ok(killed_by_fault(st), "read_after_mprotect_none_killed");

    /* Bad requests are refused and change nothing. */
    bool refused = mprotect(rw + 1, PAGE, PROT_READ) == -EINVAL &&
                   mprotect(rw, 0, PROT_READ) == -EINVAL &&
                   mprotect(rw, PAGE, 0x100) == -EINVAL &&
                   mprotect(rw + PAGE, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC) == -EACCES &&
                   mprotect((void *)0xffff800000000000UL, PAGE, PROT_READ) == -EINVAL &&
                   /* rw's second page is mapped, the guard page after it is not. */
                   mprotect(rw + PAGE, 2 * PAGE, PROT_READ) == -ENOMEM;
    rw[PAGE] = 9;       /* still writable: the refused call changed nothing */
    ktap_ok(refused && rw[PAGE] == 9, "mprotect_bad_arguments_refused");

    /* Copy-on-write survives mprotect: after fork the child's read-only ->
     * read-write round trip and its write must not reach the parent. */
    char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, anon);
    shared[0] = 1;
    long pid = fork();
    if (pid == 0) {
        if (mprotect(shared, PAGE, PROT_READ) || mprotect(shared, PAGE, PROT_READ | PROT_WRITE))
            exit(2);
        shared[0] = 2;
        exit(shared[0] == 2 ? 0 : 3);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    ktap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && shared[0] == 1, "mprotect_keeps_copy_on_write");
    shared[0] = 3;
    ktap_ok(shared[0] == 3, "parent_writes_its_page_after_child");
    return ktap_done();
}
