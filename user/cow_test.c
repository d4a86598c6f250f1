/* Copy-on-write fork: with several MiB touched, fork takes almost no
 * frames (page tables, a kernel stack); each page a side writes costs one
 * frame, page by page; the other side still sees the old data; and every
 * frame is back after the child is reaped. Free page counts come from
 * /proc/kstat. */
#include "libc.h"
#include "ktap.h"

#define BUF_PAGES 1024          /* 4 MiB */
#define CHILD_WRITES 64
#define PAGE 4096

int main(void)
{
    ktap_begin("cow", 8);
    unsigned char *buf = mmap(NULL, BUF_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (buf == MAP_FAILED) {
        ktap_diag("mmap of %d pages failed", BUF_PAGES);
        return 1;
    }
    for (int i = 0; i < BUF_PAGES; i++)
        memset(buf + i * PAGE, (unsigned char)i, PAGE);
    int fds[2], go_pipe[2];     /* child -> parent: figures; parent -> child: go */
    pipe(fds);
    pipe(go_pipe);
    long before_fork = kstat_get("free_pages");
    long pid = fork();
    if (pid == 0) {
        long r[4];
        r[0] = kstat_get("free_pages");         /* right after fork */
        /* Read everything: reads copy nothing. */
        unsigned long sum = 0;
        for (int i = 0; i < BUF_PAGES; i++)
            sum += buf[i * PAGE + 17];
        r[1] = kstat_get("free_pages");
        /* Write one byte in each of CHILD_WRITES pages: one copy each. */
        for (int i = 0; i < CHILD_WRITES; i++)
            buf[i * 2 * PAGE] = 0xee;
        r[2] = kstat_get("free_pages");
        r[3] = (long)sum;
        write(fds[1], r, sizeof r);
        /* Wait until the parent has written its own pages, then check we kept ours. */
        char go;
        read(go_pipe[0], &go, 1);
        bool mine = true;
        for (int i = 0; i < CHILD_WRITES; i++)
            if (buf[i * 2 * PAGE] != 0xee || buf[i * 2 * PAGE + 1] != (unsigned char)(i * 2))
                mine = false;
        for (int i = BUF_PAGES / 2; i < BUF_PAGES; i++)
            if (buf[i * PAGE] != (unsigned char)i)
                mine = false;
        exit(mine ? 0 : 1);
    }
    long r[4];
    long got = 0, n;
    while (got < (long)sizeof r && (n = read(fds[0], (char *)r + got, sizeof r - (size_t)got)) > 0)
        got += n;
    unsigned long want_sum = 0;
    for (int i = 0; i < BUF_PAGES; i++)
        want_sum += (unsigned char)i;
    long fork_cost = before_fork - r[0];
    long read_cost = r[0] - r[1];
    long write_cost = r[1] - r[2];
    ktap_diag("free pages: before fork %ld, after fork %ld, after reads %ld, after %d child writes %ld",
              before_fork, r[0], r[1], CHILD_WRITES, r[2]);
    /* Page tables (a handful), a 4-page kernel stack, a few stack copies: far below 1024. */
    ktap_ok(got == (long)sizeof r && fork_cost > 0 && fork_cost < 40, "fork_copies_almost_nothing");
    ktap_ok(read_cost >= 0 && read_cost <= 4, "reads_copy_nothing");
    ktap_ok(write_cost >= CHILD_WRITES && write_cost <= CHILD_WRITES + 4, "each_written_page_copied_once");
    KTAP_EXPECT_EQ("child_read_parent_data", r[3], (long)want_sum);

    /* The parent writes the upper half: those are copied for the parent now. */
    long p0 = kstat_get("free_pages");
    for (int i = BUF_PAGES / 2; i < BUF_PAGES; i++)
        buf[i * PAGE] = 0x77;
    long p1 = kstat_get("free_pages");
    ktap_diag("parent wrote %d pages: free %ld -> %ld", BUF_PAGES / 2, p0, p1);
    ktap_ok(p0 - p1 >= BUF_PAGES / 2 && p0 - p1 <= BUF_PAGES / 2 + 4, "parent_writes_copy_per_page");
    write(go_pipe[1], "g", 1);
    int status = -1;
    waitpid(pid, &status, 0);
    ktap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child_kept_its_pages_and_saw_old_data");
    bool parent_ok = true;
    for (int i = 0; i < CHILD_WRITES; i++)
        if (buf[i * 2 * PAGE] != (unsigned char)(i * 2))
            parent_ok = false;
    ktap_ok(parent_ok, "parent_unaffected_by_child_writes");
    /* With the child gone every frame it held is free again; the parent's
     * pages it shared are its own now (no copy on the next write). */
    long after = kstat_get("free_pages");
    ktap_diag("free pages before fork %ld, after the child was reaped %ld", before_fork, after);
    ktap_ok(after >= before_fork - 4 && after <= before_fork + 4, "child_frames_returned");
    close(fds[0]);
    close(fds[1]);
    close(go_pipe[0]);
    close(go_pipe[1]);
    return ktap_done();
}
