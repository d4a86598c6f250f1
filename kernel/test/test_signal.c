/* Signals from the kernel's side: Ctrl-C on the console reaches the
 * foreground program as SIGINT (its handler runs, or the default ends it),
 * and other console bytes still reach readers. */
#include "test/ktest.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "drivers/serial.h"
#include <kos/signal.h>

struct ctrl_c_run {
    struct proc *p;
    bool sent;
};

/* Scheduler loop condition: type Ctrl-C once the program sleeps in pause(). */
static bool ctrl_c_when_asleep(void *arg)
{
    struct ctrl_c_run *r = arg;
    if (!r->sent && r->p->state == PROC_SLEEPING) {
        serial_input_byte(0x03);
        r->sent = true;
    }
    return r->p->state == PROC_ZOMBIE;
}

/* Runs /bin/signal_test MODE, presses Ctrl-C while it waits; its wait status. */
static int run_with_ctrl_c(const char *mode)
{
    char *argv[] = { "/bin/signal_test", (char *)mode };
    int err;
    char why[160];
    struct proc *p = proc_spawn("/bin/signal_test", 2, argv, &err, why, sizeof why);
    if (!p)
        return -1;
    struct ctrl_c_run r = { p, false };
    sched_run_until(ctrl_c_when_asleep, &r);
    int status = p->wait_status;
    proc_run_until_exit(p, NULL, NULL, 0);
    return r.sent ? status : -2;
}

static bool test_ctrl_c_to_handler(void)
{
    KT_EXPECT_EQ(run_with_ctrl_c("sigint"), 0);        /* exit(0): its handler ran once */
    return true;
}

static bool test_ctrl_c_default_terminates(void)
{
    KT_EXPECT_EQ(run_with_ctrl_c("wait"), SIGINT);     /* wait status: ended by SIGINT */
    return true;
}

static bool test_other_bytes_reach_readers(void)
{
    while (serial_getc() >= 0)
        ;
    serial_input_byte('k');
    serial_input_byte(0x03);        /* nobody in the foreground: dropped, not queued */
    serial_input_byte('o');
    KT_EXPECT_EQ(serial_getc(), 'k');
    KT_EXPECT_EQ(serial_getc(), 'o');
    KT_EXPECT_EQ(serial_getc(), -1);
    return true;
}

KTEST_SUITE(signal,
    KTEST_CASE("ctrl_c_runs_the_sigint_handler", test_ctrl_c_to_handler, KTEST_PAGES),
    KTEST_CASE("ctrl_c_default_ends_the_program", test_ctrl_c_default_terminates, KTEST_PAGES),
    KTEST_CASE("console_bytes_still_reach_readers", test_other_bytes_reach_readers),
);
