/* proc/elf: every /badelf/NAME.elf in the initrd is refused, except
 * good.elf (the control), which must load, run and exit 0. A refused
 * image leaves no page behind. */
#include "test/ktest.h"
#include "proc/proc.h"
#include "proc/elf.h"
#include "fs/tarfs.h"
#include "mm/pmm.h"
#include "lib/string.h"
#include "lib/printf.h"
#include <kos/errno.h>

#define BADELF_DIR "/badelf"

static void check_image(const struct tar_entry *e, void *ctx)
{
    (void)ctx;
    char path[160], name[64];
    const char *base = e->name + e->name_len;
    while (base > e->name && base[-1] != '/')
        base--;
    ksnprintf(path, sizeof path, "/%.*s", (int)e->name_len, e->name);
    size_t blen = strlen(base);
    if (blen > 4 && strcmp(base + blen - 4, ".elf") == 0)
        blen -= 4;
    ksnprintf(name, sizeof name, "elf_%.*s", (int)blen, base);
    bool control = strncmp(base, "good.", 5) == 0;

    uint64_t before = pmm_free_count();
    char *argv[] = { name };
    int err = 0;
    char why[200];
    struct proc *p = proc_spawn(path, 1, argv, &err, why, sizeof why);
    if (!control) {
        bool refused = p == NULL && err == -ENOEXEC;
        if (p)
            proc_run_until_exit(p, NULL, NULL, 0);
        else
            ktap_diag("refused: %s", why);
        bool no_leak = pmm_free_count() == before;
        if (!refused)
            ktap_diag("%s was not refused as a bad image (error %d)", path, err);
        if (!no_leak)
            ktap_diag("refusing %s leaked %ld pages", path, (long)(before - pmm_free_count()));
        ktap_result(refused && no_leak, name);
        return;
    }
    if (!p) {
        ktap_diag("control image refused: %s", why);
        ktap_result(false, name);
        return;
    }
    bool killed = false;
    char reason[160];
    int status = proc_run_until_exit(p, &killed, reason, sizeof reason);
    if (killed || status != 0)
        ktap_diag("control image %s (status %d)", killed ? reason : "exited non-zero", status);
    ktap_result(!killed && status == 0 && pmm_free_count() == before, name);
}

static void run_elf_suite(void)
{
    int n = tarfs_list(BADELF_DIR, NULL, NULL);
    if (n == 0) {
        kprintf("%s1..1\n", ktap_indent());
        ktap_diag("no images under %s in the initrd", BADELF_DIR);
        ktap_result(false, "elf_images_present");
        return;
    }
    kprintf("%s1..%d\n", ktap_indent(), n);
    tarfs_list(BADELF_DIR, check_image, NULL);
}

const struct ktest_suite ktest_suite_elf = { "elf", NULL, 0, run_elf_suite };
