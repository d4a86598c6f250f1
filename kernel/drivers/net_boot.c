/* Kernel bring-up of PCI + e1000 + stack. */
#include "drivers/net_boot.h"
#include "net/netif.h"
#include "drivers/pci.h"
#include "drivers/e1000.h"
#include "net/arp.h"
#include "lib/ktap.h"
#include "net/mdns.h"
#include "lib/cmdline.h"

static bool started;

/* QEMU's e1000 drops what arrives in roughly the first second after RCTL is
 * written. Until a frame comes in, ask the gateway for its MAC every 200 ms
 * (which also primes the ARP cache), for at most 3 s; without a gateway,
 * just let the window pass. */
static void wait_until_receiving(void)
{
    struct netif *nif = net_default_if;
    uint64_t start = net_now_ms(), next_probe = start;
    if (nif->gw == 0) {
        while (net_now_ms() - start < 1500)
            net_wait_for_event();
        return;
    }
    while (nif->stats.rx_frames == 0 && net_now_ms() - start < 3000) {
        if (net_now_ms() >= next_probe) {
            unsigned long f = net_lock();
            arp_request(nif, nif->gw);
            net_unlock(f);
            next_probe = net_now_ms() + 200;
        }
        net_wait_for_event();
    }
    kprintf("e1000: %s after %lu ms\n", nif->stats.rx_frames ? "receiving" : "nothing received",
            (unsigned long)(net_now_ms() - start));
}

/* mdns=1 on the command line starts the responder (hostname= names it). */
static void start_mdns(void)
{
    char on[8], host[64];
    if (!cmdline_get("mdns", on, sizeof on) || strcmp(on, "1") != 0)
        return;
    netif_join_group(net_default_if, MDNS_GROUP);
    bool named = cmdline_get("hostname", host, sizeof host);
    unsigned long f = net_lock();
    int rc = mdns_start(net_default_if, named ? host : NULL);
    net_unlock(f);
    if (rc < 0)
        kprintf("mdns: not started: bad hostname= (letters, digits, '-', at most 63)\n");
    else
        kprintf("mdns: probing for %s\n", mdns_host_name());
}

bool net_init(const char *cmdline)
{
    if (started)
        return e1000_present();
    started = true;
    if (pci_device_count() == 0)
        pci_init();
    if (e1000_init() < 0)
        return false;
    /* Addresses are the stack's business: ip=, gw=, mask= (defaults: QEMU
     * user networking). */
    struct netif *nif = net_default_if;
    unsigned long f = net_lock();
    net_config_from_cmdline(nif, cmdline);
    net_unlock(f);
    kprintf("net: ip %u.%u.%u.%u gw %u.%u.%u.%u\n", nif->ip >> 24, (nif->ip >> 16) & 255, (nif->ip >> 8) & 255,
            nif->ip & 255, nif->gw >> 24, (nif->gw >> 16) & 255, (nif->gw >> 8) & 255, nif->gw & 255);
    if (!e1000_wait_link(3000))
        kprintf("e1000: link still down after 3 s\n");
    wait_until_receiving();
    start_mdns();
    return true;
}

static void emit_diag(const char *name, uint64_t value, void *arg)
{
    (void)arg;
    if (value)   /* zero counters only add noise */
        ktap_diag("net %s %lu", name, (unsigned long)value);
}

void net_print_counters(void)
{
    if (!e1000_present() || !net_default_if)
        return;
    e1000_update_missed();
    const struct e1000_stats *s = e1000_get_stats();
    ktap_diag("net e1000_rx_frames %lu", (unsigned long)s->rx_frames);
    ktap_diag("net e1000_tx_frames %lu", (unsigned long)s->tx_frames);
    ktap_diag("net e1000_rx_errors %lu", (unsigned long)s->rx_errors);
    ktap_diag("net e1000_rx_missed %lu", (unsigned long)s->rx_missed);
    ktap_diag("net e1000_tx_ring_full %lu", (unsigned long)s->tx_ring_full);
    ktap_diag("net e1000_interrupts %lu", (unsigned long)s->interrupts);
    net_for_each_counter(net_default_if, emit_diag, NULL);
}
