/* One fuzz input = one received Ethernet frame for 52:54:00:12:34:56 at
 * 10.0.2.15 with the mDNS responder running: whatever the bytes, the stack
 * must drop or answer without reading or writing out of bounds. */
#include "net/netif.h"
#include "net/mdns.h"
#include <stdint.h>
#include <stddef.h>

static int drop_transmit(struct netif *nif, const void *frame, size_t len)
{
    (void)nif, (void)frame, (void)len;
    return 0;
}

static struct netif nif = {.name = "fuzz0", .mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, .transmit = drop_transmit};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    net_config_from_cmdline(&nif, "");
    net_register(&nif);
    mdns_start(&nif, "kos");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    net_input(&nif, data, size);
    net_poll();
    return 0;
}
