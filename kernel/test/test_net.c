/* In-kernel KTAP suites of the network part.
 *   pci     : the e1000 is found, BAR0 mapped uncached, link up, MAC, rings, MTA.
 *   netecho : a UDP echo service on port 7 driven by a host peer through
 *             "kos:" commands (see src/netlab/README.md). */
#include "test/ktest.h"
#include "drivers/net_boot.h"
#include "net/netif.h"
#include "net/socket.h"
#include "net/arp.h"
#include "net/ipv4.h"
#include "net/mdns.h"
#include "mm/pmm.h"
#include "drivers/pci.h"
#include "drivers/e1000.h"
#include "mm/paging.h"
#include "arch/x86_64/cpu.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/cmdline.h"

static bool up(void)
{
    return net_init(cmdline_text());
}

/* ---------------- pci ---------------- */

static bool t_e1000_found(void)
{
    up();
    const struct pci_device *d = pci_find(E1000_VENDOR, E1000_DEVICE);
    KT_EXPECT(d != NULL);
    KT_EXPECT_EQ(d->class_code, 0x02);   /* network controller */
    KT_EXPECT_EQ(d->subclass, 0x00);     /* Ethernet */
    KT_EXPECT(d->irq_line > 0 && d->irq_line < 16);
    ktap_diag("e1000 at 00:%02x.%u irq %u", d->dev, d->func, d->irq_line);
    return true;
}

static bool t_bar0_memory_enabled(void)
{
    KT_EXPECT(up());
    const struct pci_device *d = pci_find(E1000_VENDOR, E1000_DEVICE);
    KT_EXPECT(d != NULL);
    KT_EXPECT(!d->bar[0].is_io);
    KT_EXPECT(d->bar[0].addr != 0 && (d->bar[0].addr & 0xfff) == 0);
    KT_EXPECT(d->bar[0].size >= 0x20000);
    KT_EXPECT_EQ(e1000_mmio_phys(), d->bar[0].addr);
    uint16_t cmd = pci_read16(d->bus, d->dev, d->func, PCI_COMMAND);
    KT_EXPECT(cmd & PCI_CMD_MEMORY);
    KT_EXPECT(cmd & PCI_CMD_BUS_MASTER);
    return true;
}

/* Walks the live page tables for va: the leaf entry (0 when unmapped). */
static uint64_t leaf_pte(uint64_t va)
{
    const uint64_t addr_mask = 0x000ffffffffff000ull;
    uint64_t *table = phys_to_virt(read_cr3() & addr_mask);
    for (int level = 3; level >= 0; level--) {
        uint64_t e = table[(va >> (12 + 9 * level)) & 511];
        if (!(e & 1))
            return 0;
        if (level == 0 || (level <= 2 && (e & 0x80)))
            return e;
        table = phys_to_virt(e & addr_mask);
    }
    return 0;
}

static bool t_mmio_uncached(void)
{
    KT_EXPECT(up());
    uint64_t va = (uint64_t)(uintptr_t)e1000_mmio_base();
    KT_EXPECT(va >= 0xffff800000000000ull);  /* kernel half */
    uint64_t pte = leaf_pte(va);
    ktap_diag("bar0 va 0x%lx pte 0x%lx", (unsigned long)va, (unsigned long)pte);
    KT_EXPECT(pte & 1);
    KT_EXPECT(pte & (1u << 4));      /* PCD */
    KT_EXPECT(pte & (1u << 3));      /* PWT */
    KT_EXPECT(!(pte & (1u << 2)));   /* not user */
    KT_EXPECT(pte >> 63);            /* NX */
    KT_EXPECT_EQ(pte & 0x000ffffffffff000ull, e1000_mmio_phys() & ~0xfffull);
    return true;
}

static bool t_status_link_up(void)
{
    KT_EXPECT(up());
    KT_EXPECT(e1000_wait_link(5000));
    uint32_t status = e1000_read_reg(E1000_STATUS);
    ktap_diag("STATUS 0x%x", status);
    KT_EXPECT(status & E1000_STATUS_LU);
    return true;
}

static bool t_mac_address(void)
{
    KT_EXPECT(up());
    const uint8_t *m = net_default_if->mac;
    KT_EXPECT(!(m[0] & 1));                         /* unicast */
    KT_EXPECT(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
    uint32_t rah = e1000_read_reg(E1000_RAH0);
    KT_EXPECT(rah & (1u << 31));                    /* address valid */
    KT_EXPECT_EQ(rah & 0xffff, (uint32_t)m[4] | ((uint32_t)m[5] << 8));
    ktap_diag("mac %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return true;
}

static bool t_rings(void)
{
    KT_EXPECT(up());
    KT_EXPECT(e1000_read_reg(E1000_RDLEN) / 16 >= 32);
    KT_EXPECT(e1000_read_reg(E1000_TDLEN) / 16 >= 32);
    KT_EXPECT(e1000_read_reg(E1000_RDBAL) != 0);
    KT_EXPECT(e1000_read_reg(E1000_RCTL) & (1u << 1));
    KT_EXPECT(e1000_read_reg(E1000_TCTL) & (1u << 1));
    return true;
}

static bool t_multicast_filter(void)
{
    KT_EXPECT(up());
    static const uint8_t mdns[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    /* hash = bits 47:36 of the address = 0xfb0: MTA word 0x7d, bit 16 */
    KT_EXPECT_EQ(e1000_read_reg(E1000_MTA + 4 * 0x7d) & (1u << 16), 0);
    e1000_add_multicast(mdns);
    KT_EXPECT(e1000_read_reg(E1000_MTA + 4 * 0x7d) & (1u << 16));
    return true;
}

static const struct ktest_case pci_cases[] = {
    KTEST_CASE("e1000_found", t_e1000_found),
    KTEST_CASE("bar0_memory_enabled", t_bar0_memory_enabled),
    KTEST_CASE("bar0_mapped_uncached", t_mmio_uncached),
    KTEST_CASE("status_link_up", t_status_link_up),
    KTEST_CASE("mac_address", t_mac_address),
    KTEST_CASE("rings_32_descriptors", t_rings),
    KTEST_CASE("multicast_filter", t_multicast_filter),
};

#define PCI_NCASES (int)(sizeof pci_cases / sizeof pci_cases[0])

/* A machine without the NIC (e.g. ktest=all on a NIC-less profile) skips
 * with the reason instead of failing. */
static void pci_run(void)
{
    kprintf("%s1..%d\n", ktap_indent(), PCI_NCASES);
    up();
    bool present = pci_find(E1000_VENDOR, E1000_DEVICE) != NULL;
    for (int i = 0; i < PCI_NCASES; i++) {
        if (present)
            ktap_result(pci_cases[i].fn(), pci_cases[i].name);
        else
            ktap_result_directive(true, pci_cases[i].name, "SKIP no e1000 (8086:100e) on this machine");
    }
}

const struct ktest_suite ktest_suite_pci = {"pci", NULL, 0, pci_run};

/* ---------------- netecho ---------------- */

#define ECHO_PORT 7

static uint64_t marked_drops[DROP_REASON_COUNT];
static uint64_t marked_dropped_total;
static int commands_run, commands_failed;

/* True when the whole reply went out. */
static bool reply(struct socket *s, const struct kos_sockaddr_in *to, const char *text)
{
    long n = (long)strlen(text);
    return sock_sendto(s, text, (size_t)n, 0, to) == n;
}

/* Next space-separated word of *p; returns its length (0 at the end). */
static size_t word(const char **p, const char *end, const char **start)
{
    while (*p < end && **p == ' ')
        (*p)++;
    *start = *p;
    while (*p < end && **p != ' ')
        (*p)++;
    return (size_t)(*p - *start);
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 19)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* "kos:expect NAME=N ...": drops by reason since "kos:mark" must be N. */
static void cmd_expect(struct socket *s, const struct kos_sockaddr_in *to, const char *p, const char *end)
{
    char out[200] = "kos:expect ok";
    bool ok = true;
    uint64_t want_total = 0;
    const char *w;
    size_t n;
    while ((n = word(&p, end, &w)) > 0) {
        const char *eq = w;
        while (eq < w + n && *eq != '=')
            eq++;
        uint64_t want;
        int r = net_drop_reason_by_name(w, (size_t)(eq - w));
        if (r < 0 || eq == w + n || !parse_u64(eq + 1, (size_t)(w + n - eq - 1), &want)) {
            ksnprintf(out, sizeof out, "kos:expect fail bad term %.*s", (int)n, w);
            ok = false;
            break;
        }
        uint64_t got = net_default_if->stats.drop[r] - marked_drops[r];
        want_total += want;
        ktap_diag("drop %s: %lu (peer sent %lu)", net_drop_reason_name(r), (unsigned long)got, (unsigned long)want);
        if (got != want) {
            ksnprintf(out, sizeof out, "kos:expect fail %s got %lu want %lu", net_drop_reason_name(r),
                      (unsigned long)got, (unsigned long)want);
            ok = false;
            break;
        }
    }
    uint64_t total = net_default_if->stats.rx_dropped - marked_dropped_total;
    if (ok && total != want_total) {
        ksnprintf(out, sizeof out, "kos:expect fail total drops %lu want %lu", (unsigned long)total,
                  (unsigned long)want_total);
        ok = false;
    }
    if (!ok) {
        commands_failed++;
        ktap_diag("%s", out);
    }
    reply(s, to, out);
}

/* "kos:send A.B.C.D PORT COUNT SIZE": echo test against another host. */
static void cmd_send(struct socket *s, const struct kos_sockaddr_in *to, const char *p, const char *end)
{
    const char *w[4];
    size_t n[4];
    for (int i = 0; i < 4; i++)
        n[i] = word(&p, end, &w[i]);
    uint32_t ip;
    uint64_t port, count, size;
    char out[160];
    if (!net_parse_ipv4(w[0], n[0], &ip) || !parse_u64(w[1], n[1], &port) || port == 0 || port > 65535 ||
        !parse_u64(w[2], n[2], &count) || !parse_u64(w[3], n[3], &size) || size == 0 || size > UDP_DGRAM_MAX) {
        commands_failed++;
        reply(s, to, "kos:send fail bad arguments");
        return;
    }
    struct socket *c;
    if (sock_create(AF_INET, SOCK_DGRAM, 0, &c) < 0) {
        commands_failed++;
        reply(s, to, "kos:send fail socket");
        return;
    }
    struct kos_sockaddr_in dst = {.sin_family = AF_INET, .sin_port = net_htons((uint16_t)port),
                                  .sin_addr = net_htonl(ip)};
    static uint8_t out_buf[UDP_DGRAM_MAX], in_buf[UDP_DGRAM_MAX];
    uint64_t good = 0, retries = 0;
    for (uint64_t i = 0; i < count; i++) {
        for (size_t k = 0; k < size; k++)
            out_buf[k] = (uint8_t)(i * 31 + k);
        bool done = false;
        for (int attempt = 0; attempt < 5 && !done; attempt++) {
            if (attempt)
                retries++;
            if (sock_sendto(c, out_buf, size, 0, &dst) < 0)
                continue;
            for (;;) {
                long r = sock_recvfrom(c, in_buf, sizeof in_buf, 0, NULL, 1000);
                if (r < 0)
                    break;
                if ((size_t)r == size && memcmp(in_buf, out_buf, size) == 0) {
                    done = true;
                    break;
                }
                /* a late echo of an earlier try: keep waiting */
            }
        }
        if (done)
            good++;
    }
    sock_close(c);
    bool ok = good == count;
    ksnprintf(out, sizeof out, "kos:send %s %lu/%lu retries %lu", ok ? "ok" : "fail", (unsigned long)good,
              (unsigned long)count, (unsigned long)retries);
    ktap_diag("%s", out);
    if (!ok)
        commands_failed++;
    reply(s, to, out);
}

/* "kos:client PORT": a fresh socket sends to the gateway's PORT and waits
 * for "kos-client-ack" (the host server behind QEMU's 10.0.2.2). */
static void cmd_client(struct socket *s, const struct kos_sockaddr_in *to, const char *p, const char *end)
{
    const char *w;
    size_t n = word(&p, end, &w);
    uint64_t port;
    if (!parse_u64(w, n, &port) || port == 0 || port > 65535) {
        commands_failed++;
        reply(s, to, "kos:client fail bad port");
        return;
    }
    struct socket *c;
    if (sock_create(AF_INET, SOCK_DGRAM, 0, &c) < 0) {
        commands_failed++;
        reply(s, to, "kos:client fail socket");
        return;
    }
    struct kos_sockaddr_in dst = {.sin_family = AF_INET, .sin_port = net_htons((uint16_t)port),
                                  .sin_addr = net_htonl(net_default_if->gw)};
    const char hello[] = "kos-client-hello";
    char buf[64];
    bool ok = false;
    struct kos_sockaddr_in from;
    for (int attempt = 0; attempt < 5 && !ok; attempt++) {
        sock_sendto(c, hello, sizeof hello - 1, 0, &dst);
        long r = sock_recvfrom(c, buf, sizeof buf, 0, &from, 2000);
        ok = r == 14 && memcmp(buf, "kos-client-ack", 14) == 0 && from.sin_addr == dst.sin_addr &&
             from.sin_port == dst.sin_port;
    }
    sock_close(c);
    ktap_diag("client to gateway port %lu: %s", (unsigned long)port, ok ? "answered" : "no answer");
    if (!ok)
        commands_failed++;
    reply(s, to, ok ? "kos:client ok" : "kos:client fail no answer");
}

struct stats_buf {
    char *p;
    size_t left;
};

static void emit_stat(const char *name, uint64_t value, void *arg)
{
    struct stats_buf *b = arg;
    if (!value || b->left < 2)
        return;
    int n = ksnprintf(b->p, b->left, " %s=%lu", name, (unsigned long)value);
    if (n > 0 && (size_t)n < b->left) {
        b->p += n;
        b->left -= (size_t)n;
    }
}

static void cmd_metric(struct socket *s, const struct kos_sockaddr_in *to, const char *p, const char *end)
{
    const char *w[3];
    size_t n[3];
    for (int i = 0; i < 3; i++)
        n[i] = word(&p, end, &w[i]);
    uint64_t v;
    if (n[0] == 0 || n[0] > 48 || n[2] == 0 || n[2] > 16 || !parse_u64(w[1], n[1], &v)) {
        reply(s, to, "kos:metric fail");
        return;
    }
    char name[49], unit[17];
    memcpy(name, w[0], n[0]);
    name[n[0]] = 0;
    memcpy(unit, w[2], n[2]);
    unit[n[2]] = 0;
    ktap_metric(name, v, unit);
    reply(s, to, "kos:metric ok");
}

static bool is_cmd(const char *buf, size_t len, const char *cmd, const char **rest)
{
    size_t n = strlen(cmd);
    if (len < n || memcmp(buf, cmd, n) != 0 || (len > n && buf[n] != ' '))
        return false;
    *rest = buf + n;
    return true;
}

/* True when the ktest= list names the suite itself (not just "all"). */
static bool requested_by_name(const char *name)
{
    char list[256];
    if (!cmdline_get("ktest", list, sizeof list))
        return false;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *w = p;
        while (*p && *p != ',')
            p++;
        if ((size_t)(p - w) == n && strncmp(w, name, n) == 0)
            return true;
        if (*p)
            p++;
    }
    return false;
}

static void netecho_run(void)
{
    /* The service waits for a host peer's "kos:quit": never under ktest=all. */
    if (!requested_by_name("netecho")) {
        kprintf("%s1..1\n", ktap_indent());
        ktap_result_directive(true, "netecho_service", "SKIP runs only as ktest=netecho with a host peer");
        return;
    }
    kprintf("%s1..4\n", ktap_indent());
    bool nic = up() && e1000_link_up();
    ktap_result(nic, "nic_ready");
    if (!nic) {
        ktap_result_directive(false, "served_until_quit", "no NIC");
        ktap_result_directive(false, "commands_ok", "no NIC");
        ktap_result_directive(false, "counters_consistent", "no NIC");
        return;
    }
    struct socket *s;
    struct kos_sockaddr_in any = {.sin_family = AF_INET, .sin_port = net_htons(ECHO_PORT)};
    if (sock_create(AF_INET, SOCK_DGRAM, 0, &s) < 0 || sock_bind(s, &any) < 0) {
        ktap_result(false, "served_until_quit");
        ktap_result_directive(false, "commands_ok", "no socket");
        ktap_result_directive(false, "counters_consistent", "no socket");
        return;
    }
    uint32_t ip = net_default_if->ip;
    /* The host peer waits for this line before it sends anything. */
    kprintf("netecho: ready ip %u.%u.%u.%u port %d\n", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
            ip & 255, ECHO_PORT);
    static char buf[UDP_DGRAM_MAX];
    uint64_t echoed = 0;
    bool quit = false, bye_sent = false;
    commands_run = commands_failed = 0;
    while (!quit) {
        struct kos_sockaddr_in from;
        long r = sock_recvfrom(s, buf, sizeof buf, 0, &from, 0);
        if (r < 0)
            continue;
        size_t len = (size_t)r;
        const char *rest, *end = buf + len;
        if (len < 4 || memcmp(buf, "kos:", 4) != 0) {
            if (sock_sendto(s, buf, len, 0, &from) == r)
                echoed++;
            continue;
        }
        commands_run++;
        if (is_cmd(buf, len, "kos:quit", &rest)) {
            bye_sent = reply(s, &from, "kos:bye");
            quit = true;
        } else if (is_cmd(buf, len, "kos:mark", &rest)) {
            memcpy(marked_drops, net_default_if->stats.drop, sizeof marked_drops);
            marked_dropped_total = net_default_if->stats.rx_dropped;
            reply(s, &from, "kos:marked");
        } else if (is_cmd(buf, len, "kos:expect", &rest)) {
            cmd_expect(s, &from, rest, end);
        } else if (is_cmd(buf, len, "kos:send", &rest)) {
            cmd_send(s, &from, rest, end);
        } else if (is_cmd(buf, len, "kos:client", &rest)) {
            cmd_client(s, &from, rest, end);
        } else if (is_cmd(buf, len, "kos:metric", &rest)) {
            cmd_metric(s, &from, rest, end);
        } else if (is_cmd(buf, len, "kos:arp", &rest)) {
            const char *w;
            size_t n = word(&rest, end, &w);
            uint32_t a;
            uint8_t mac[6];
            bool known = net_parse_ipv4(w, n, &a) && arp_lookup(a, mac);
            ktap_diag("arp %.*s %s", (int)n, w, known ? "resolved" : "unknown");
            reply(s, &from, known ? "kos:arp resolved" : "kos:arp unknown");
        } else if (is_cmd(buf, len, "kos:mem", &rest)) {
            char out[128];
            unsigned long f = net_lock();
            int reasm = ipv4_reasm_in_progress();
            net_unlock(f);
            ksnprintf(out, sizeof out, "kos:mem free_pages=%lu reasm=%d dgrams=%d ms=%lu",
                      (unsigned long)pmm_free_count(), reasm, sock_dgrams_in_use(), (unsigned long)net_now_ms());
            reply(s, &from, out);
        } else if (is_cmd(buf, len, "kos:stats", &rest)) {
            static char out[1400];
            struct stats_buf b = {out, sizeof out};
            int n = ksnprintf(out, sizeof out, "kos:stats");
            b.p += n;
            b.left -= (size_t)n;
            net_for_each_counter(net_default_if, emit_stat, &b);
            reply(s, &from, out);
        } else {
            commands_failed++;
            ktap_diag("unknown command %.*s", (int)(len > 40 ? 40 : len), buf);
            reply(s, &from, "kos:unknown");
        }
    }
    /* The responder says goodbye (RFC 6762 10.1) before the machine stops. */
    if (mdns_running()) {
        unsigned long f = net_lock();
        mdns_stop(net_default_if);
        net_unlock(f);
    }
    /* Let the reply leave before the suite ends and QEMU exits. */
    for (int i = 0; i < 20; i++)
        net_wait_for_event();
    sock_close(s);
    ktap_diag("echoed %lu datagrams, %d commands", (unsigned long)echoed, commands_run);
    /* The service ran until a peer's kos:quit and the peer was told kos:bye. */
    if (!bye_sent)
        ktap_diag("kos:bye to the quitting peer was not sent whole");
    ktap_result(bye_sent, "served_until_quit");
    ktap_result(commands_failed == 0, "commands_ok");
    uint64_t sum = 0;
    for (int r = 0; r < DROP_REASON_COUNT; r++)
        sum += net_default_if->stats.drop[r];
    net_print_counters();
    ktap_result(sum == net_default_if->stats.rx_dropped, "counters_consistent");
}

const struct ktest_suite ktest_suite_netecho = {"netecho", NULL, 0, netecho_run};
