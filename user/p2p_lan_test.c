/* RPC, remote WebAssembly and the distributed job between two kos guests
 * (phase-4 case p2p_rpc_lan2), through the p2p API (user/lib/p2p.h) over
 * the local p2pd. Both guests boot the same command line with their number:
 * init=/bin/p2p_lan_test:{guest}; guest N is 10.0.3.(0x56+N-1).
 *
 *   guest 1, the caller: starts p2pd, dials guest 2's two daemons, calls
 *     every built-in method and error (unknown method, bad args, timeout),
 *     four calls in flight at once, runs remote WASM (values, a trap, fuel
 *     exhaustion, the callee's memory limit, an invalid module), sends each
 *     kind of malformed message, runs `job primes` over both daemons and
 *     itself (the hanging one's slices time out and are retried), and last
 *     makes a call that guest 2 answers by killing its daemon: peer gone.
 *   guest 2, the callee: starts p2pd (wasm_fuel=5000000 wasm_pages=3) and a
 *     second one that takes WASM requests and never answers (wasm_hang=1),
 *     waits until its daemon has served exactly the caller's RPC requests,
 *     checks every refusal was counted exactly, then kills that daemon with
 *     the caller's last call still open. */
#include "ktap.h"
#include "libc.h"
#include "p2p.h"
#include <kos/signal.h>

#define CALLER_IP "10.0.3.86"
#define CALLEE_IP "10.0.3.87"
#define MAIN_CTL 4002
#define HANG_CTL 4012
/* RPC requests the caller sends to the callee's main daemon, the last one
 * (a long sleep) still open when the callee kills it. */
#define CALLER_RPCS 14

static char out[16384];

static long spawn_p2pd(char *const argv[])
{
    long pid = fork();
    if (pid == 0) {
        execv("/bin/p2pd", argv);
        exit(127);
    }
    return pid;
}

/* One result: the command's verdict (0 ok / 1 error) and its last line start with want. */
static void expect(const char *name, const char *line, int want_verdict, const char *want)
{
    int r = p2p_command(line, out, sizeof out);
    const char *last = p2p_last_line(out);
    bool ok = r == want_verdict && strncmp(last, want, strlen(want)) == 0;
    if (!ok)
        ktap_diag("%s: \"%s\" answered %d \"%s\", expected %d \"%s...\"", name, line, r, last, want_verdict, want);
    ktap_ok(ok, name);
}

/* The first line of text (diagnostics stay one line: a bare "ok" would read as a result). */
static const char *first_line(const char *text)
{
    static char l[1024];
    size_t i = 0;
    while (text[i] && text[i] != '\n' && i < sizeof l - 1) {
        l[i] = text[i];
        i++;
    }
    l[i] = 0;
    return l;
}

static int count_lines(const char *text, const char *prefix, const char *suffix)
{
    int n = 0;
    for (const char *p = text; *p;) {
        const char *e = p;
        while (*e && *e != '\n')
            e++;
        size_t len = (size_t)(e - p), pl = strlen(prefix), sl = strlen(suffix);
        if (len >= pl + sl && strncmp(p, prefix, pl) == 0 && strncmp(e - sl, suffix, sl) == 0)
            n++;
        p = *e ? e + 1 : e;
    }
    return n;
}

/* The value of name= in a "name=value ..." line, or -1. */
static long counter(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; *p; p++)
        if ((p == text || p[-1] == ' ') && strncmp(p, name, n) == 0 && p[n] == '=')
        {
            long v = 0;
            for (const char *d = p + n + 1; *d >= '0' && *d <= '9'; d++)
                v = v * 10 + (*d - '0');
            return v;
        }
    return -1;
}

static int caller(void)
{
    char *const argv[] = {"p2pd", "port=4001", "seed=rpc-lan-1", NULL};
    ktap_begin("p2p_rpc_caller", 40);
    long pid = spawn_p2pd(argv);
    ktap_ok(pid > 0 && p2p_init(MAIN_CTL, 60000) == 0, "p2p_init");
    /* The callee boots at the same time: dial until its daemons listen. */
    char b[P2P_ID_MAX] = "", h[P2P_ID_MAX] = "";
    int rb = -1, rh = -1;
    for (int i = 0; i < 300 && rb != 0; i++)
        if ((rb = p2p_dial("/ip4/" CALLEE_IP "/tcp/4001", b, sizeof b)) != 0)
            sleep_ms(1000);
    for (int i = 0; i < 60 && rh != 0; i++)
        if ((rh = p2p_dial("/ip4/" CALLEE_IP "/tcp/4011", h, sizeof h)) != 0)
            sleep_ms(1000);
    ktap_diag("callee %s, its hanging daemon %s", b, h);
    ktap_ok(rb == 0 && rh == 0 && b[0] && h[0] && strcmp(b, h) != 0, "dial_both_daemons");
    int n = p2p_discover();
    const char *p0 = p2p_get_peer(0), *p1 = p2p_get_peer(1);
    ktap_ok(n == 2 && p0 && p1 && (strcmp(p0, b) == 0 || strcmp(p1, b) == 0) && (strcmp(p0, h) == 0 || strcmp(p1, h) == 0),
            "discover_two_peers");

    /* RPC through the library, then through the client's commands. */
    int r = p2p_call(b, "add 2 40 -7", out, sizeof out);
    ktap_ok(r == 0 && strcmp(out, "35") == 0, "p2p_call_add");
    char line[512];
#define CALL(name, args, verdict, want)                        \
    do {                                                       \
        snprintf(line, sizeof line, "call %s %s", b, args);   \
        expect(name, line, verdict, want);                  \
    } while (0)
    CALL("rpc_echo", "echo hello kos", 0, "ok hello kos");
    CALL("rpc_time", "time", 0, "ok time_ms ");
    char want[128];
    snprintf(want, sizeof want, "ok %s", b);
    CALL("rpc_id", "id", 0, want);
    snprintf(want, sizeof want, "ok %s", p2p_self());
    CALL("rpc_peers_lists_caller", "peers", 0, want);
    CALL("rpc_unknown_method", "frobnicate 1", 1, "error unknown method frobnicate");
    CALL("rpc_bad_args", "add 2 three", 1, "error bad args: not a 64-bit integer: three");
    snprintf(line, sizeof line, "call deadline=2000 %s sleep 60000", b);
    expect("rpc_timeout", line, 1, "error timeout after 2000 ms");
    /* Four calls in flight at once: gather answers only when all four are pending. */
    snprintf(line, sizeof line, "call %s gather 4", b);
    int hs[4], gathered = 0;
    for (int i = 0; i < 4; i++)
        hs[i] = p2p_command_start(line);
    for (int i = 0; i < 4; i++)
        gathered += hs[i] >= 0 && p2p_command_finish(hs[i], out, sizeof out) == 0 && strcmp(out, "ok gathered 4") == 0;
    KTAP_EXPECT_EQ("rpc_four_in_flight", gathered, 4);

    /* Remote WebAssembly under the callee's limits (fuel 5000000, 3 pages). */
#define WASM(name, who, args, verdict, want)                    \
    do {                                                        \
        snprintf(line, sizeof line, "wasm %s %s", who, args);   \
        expect(name, line, verdict, want);                   \
    } while (0)
    WASM("wasm_add", b, "/wasm/test.wasm add 2 3", 0, "ok 5");
    WASM("wasm_i64", b, "/wasm/test.wasm add64 -3000000000 7", 0, "ok -2999999993");
    WASM("wasm_count_range", b, "/wasm/primes.wasm count_range 0 10000", 0, "ok 1229");
    WASM("wasm_trap", b, "/wasm/traps.wasm unreachable", 1, "error trap unreachable");
    WASM("wasm_out_of_fuel", b, "/wasm/traps.wasm spin", 1, "error trap out of fuel");
    WASM("wasm_memory_limit", b, "/wasm/remote.wasm add 2 3", 1, "error memory limit: ");
    WASM("wasm_same_module_here", "self", "/wasm/remote.wasm add 2 3", 0, "ok 5");
    WASM("wasm_invalid_module", b, "/bin/hello main", 1, "error invalid module: ");
    WASM("wasm_no_export", b, "/wasm/test.wasm missing", 1, "error no export missing");
    WASM("wasm_callee_lives_on", b, "/wasm/test.wasm get_magic_number", 0, "ok 42");

    /* Malformed and oversized messages: each refused. */
    static const char *const kinds[] = {"rpc_varint", "rpc_pb", "rpc_oversize", "rpc_truncated", "rpc_nul",
                                        "wasm_pb", "wasm_oversize", "wasm_module"};
    static const char *const refusals[] = {"malformed request", "malformed request", "request too large",
                                           "malformed request", "malformed request", "malformed request",
                                           "request too large", "invalid module"};
    for (int i = 0; i < 8; i++) {
        char name[48];
        snprintf(line, sizeof line, "badcall %s %s", b, kinds[i]);
        snprintf(name, sizeof name, "refuse_%s", kinds[i]);
        snprintf(want, sizeof want, "ok %s refused: %s", kinds[i], refusals[i]);
        expect(name, line, 0, want);
    }
    snprintf(line, sizeof line, "call %s stats", b);
    r = p2p_command(line, out, sizeof out);
    ktap_diag("callee's counters: %s", first_line(out));
    ktap_ok(r == 0 && counter(out, "malformed") == 4 && counter(out, "oversized") == 1 &&
                counter(out, "wasm_malformed") == 1 && counter(out, "wasm_oversized") == 1 &&
                counter(out, "wasm_bad_module") == 2 && counter(out, "wasm_trap") == 2 &&
                counter(out, "wasm_memory_limit") == 1,
            "callee_counted_every_refusal");

    /* The job over both daemons and this node: the hanging one's two slices time out and go elsewhere. */
    r = p2p_command("job primes 200000 slices=6 slice_ms=15000", out, sizeof out);
    ktap_diag("job: %s", p2p_last_line(out));
    ktap_ok(r == 0, "job_ok");
    KTAP_EXPECT_EQ("job_answer", strcmp(p2p_last_line(out), "ok primes below 200000 = 17984 (local 17984) slices 6 retries 2 peers 2"), 0);
    snprintf(want, sizeof want, "peer %s: timeout", h);
    KTAP_EXPECT_EQ("job_retried_hanging_slices", count_lines(out, "retry ", want), 2);
    KTAP_EXPECT_EQ("job_six_slices", count_lines(out, "slice ", ""), 6);

    /* Last: the callee kills its daemon while this call is open. */
    snprintf(line, sizeof line, "call deadline=600000 %s sleep 500000", b);
    expect("rpc_peer_gone", line, 1, "error peer gone");
    snprintf(line, sizeof line, "call %s echo", b);
    expect("rpc_not_connected_after", line, 1, "error not connected");
    r = p2p_command("rpcstats", out, sizeof out);
    ktap_diag("%s", first_line(out));
    ktap_ok(r == 0 && counter(out, "timeouts") >= 3 && counter(out, "peer_gone") >= 1 && counter(out, "jobs_ok") == 1 &&
                counter(out, "retries") == 2,
            "caller_counters");
    int status = -1;
    ktap_ok(p2p_command("quit", out, sizeof out) == 0 && waitpid(pid, &status, 0) == pid && status == 0, "p2pd_quits");
    ktap_ok(p2p_command("id", out, sizeof out) < 0, "p2pd_gone");
    return ktap_done();
}

static int callee(void)
{
    char *const main_argv[] = {"p2pd", "port=4001", "seed=rpc-lan-2", "wasm_fuel=5000000", "wasm_pages=3", NULL};
    char *const hang_argv[] = {"p2pd", "port=4011", "ctl=4012", "seed=rpc-lan-hang", "wasm_hang=1", NULL};
    ktap_begin("p2p_rpc_callee", 6);
    long pid = spawn_p2pd(main_argv), hang = spawn_p2pd(hang_argv);
    ktap_ok(pid > 0 && hang > 0 && p2p_init(MAIN_CTL, 60000) == 0, "p2p_init");
    /* Served requests are counted when decoded: the caller's last one is still open at CALLER_RPCS. */
    long served = -1;
    for (int i = 0; i < 1500 && served < CALLER_RPCS; i++) {
        if (p2p_command("rpcstats", out, sizeof out) == 0)
            served = counter(out, "served");
        if (served < CALLER_RPCS)
            sleep_ms(1000);
    }
    ktap_diag("%s", first_line(out));
    KTAP_EXPECT_EQ("served_every_request", served, CALLER_RPCS);
    ktap_ok(counter(out, "unknown_method") == 1 && counter(out, "bad_args") == 1, "counted_unknown_and_bad_args");
    ktap_ok(counter(out, "malformed") == 4 && counter(out, "oversized") == 1 && counter(out, "wasm_malformed") == 1 &&
                counter(out, "wasm_oversized") == 1 && counter(out, "wasm_bad_module") == 2,
            "counted_every_malformed_message");
    int status = 0;
    ktap_ok(kill(pid, SIGKILL) == 0 && waitpid(pid, &status, 0) == pid, "daemon_killed_mid_call");
    int hang_status = -1;
    ktap_ok(p2p_init(HANG_CTL, 10000) == 0 && p2p_command("quit", out, sizeof out) == 0 &&
                waitpid(hang, &hang_status, 0) == hang && hang_status == 0,
            "hanging_daemon_quits");
    return ktap_done();
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "1") == 0)
        return caller();
    if (argc == 2 && strcmp(argv[1], "2") == 0)
        return callee();
    printf("usage: p2p_lan_test 1|2 (caller, callee)\n");
    return 2;
}
