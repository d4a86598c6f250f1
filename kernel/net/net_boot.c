/* Kernel bring-up of PCI + e1000 + stack. */
#include "net/net_boot.h"
#include "net/netif.h"
#include "drivers/pci.h"
#include "drivers/e1000.h"
#include "lib/ktap.h"

static bool started;

bool net_init(const char *cmdline)
{
    if (started)
        return e1000_present();
    started = true;
    if (pci_device_count() == 0)
        pci_init();
    if (e1000_init(cmdline) < 0)
        return false;
    if (!e1000_wait_link(3000))
        kprintf("e1000: link still down after 3 s\n");
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
