/* Ethernet II framing and demultiplexing. */
#include "net/eth.h"
#include "net/arp.h"
#include "net/ipv4.h"

const uint8_t eth_broadcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void eth_mcast_mac(uint32_t group, uint8_t out[ETH_ALEN])
{
    out[0] = 0x01; out[1] = 0x00; out[2] = 0x5e;
    out[3] = (uint8_t)((group >> 16) & 0x7f);
    out[4] = (uint8_t)(group >> 8);
    out[5] = (uint8_t)group;
}

static bool mac_accepted(struct netif *nif, const uint8_t *dst, bool *broadcast)
{
    *broadcast = false;
    if (memcmp(dst, nif->mac, ETH_ALEN) == 0)
        return true;
    if (memcmp(dst, eth_broadcast, ETH_ALEN) == 0) {
        *broadcast = true;
        return true;
    }
    for (int i = 0; i < nif->mcast_count; i++)
        if (memcmp(dst, nif->mcast[i], ETH_ALEN) == 0) {
            *broadcast = true;
            return true;
        }
    return false;
}

void net_input(struct netif *nif, const uint8_t *frame, size_t len)
{
    nif->stats.rx_frames++;
    nif->stats.rx_bytes += len;
    if (!frame || len < ETH_HDR_LEN) {
        net_count_drop(nif, DROP_ETH_SHORT);
        return;
    }
    if (len > ETH_FRAME_MAX) {
        net_count_drop(nif, DROP_ETH_OVERSIZE);
        return;
    }
    const uint8_t *dst = frame, *src = frame + 6;
    if (memcmp(src, nif->mac, ETH_ALEN) == 0) {
        net_count_drop(nif, DROP_ETH_OWN_SRC);
        return;
    }
    if (src[0] & 1) {
        net_count_drop(nif, DROP_ETH_BAD_SRC);
        return;
    }
    bool link_broadcast;   /* IPv4 decides broadcast by address, not by MAC */
    if (!mac_accepted(nif, dst, &link_broadcast)) {
        net_count_drop(nif, DROP_ETH_NOT_FOR_US);
        return;
    }
    uint16_t type = net_get16(frame + 12);
    const uint8_t *payload = frame + ETH_HDR_LEN;
    size_t plen = len - ETH_HDR_LEN;
    switch (type) {
    case ETHERTYPE_ARP:
        arp_input(nif, payload, plen);
        break;
    case ETHERTYPE_IPV4:
        ipv4_input(nif, payload, plen, true);
        break;
    default:
        net_count_drop(nif, DROP_ETH_UNKNOWN_TYPE);
    }
}

int eth_output(struct netif *nif, const uint8_t dst[ETH_ALEN], uint16_t type,
               const void *payload, size_t len)
{
    uint8_t frame[ETH_FRAME_MAX];
    if (len > ETH_MTU)
        return -EMSGSIZE;
    memcpy(frame, dst, ETH_ALEN);
    memcpy(frame + 6, nif->mac, ETH_ALEN);
    net_put16(frame + 12, type);
    memcpy(frame + ETH_HDR_LEN, payload, len);
    size_t flen = ETH_HDR_LEN + len;
    /* Pad to the 60-byte minimum here so drivers never send runts. */
    if (flen < 60) {
        memset(frame + flen, 0, 60 - flen);
        flen = 60;
    }
    int rc = nif->transmit ? nif->transmit(nif, frame, flen) : -ENODEV;
    if (rc < 0) {
        nif->stats.tx_errors++;
        return rc;
    }
    nif->stats.tx_frames++;
    nif->stats.tx_bytes += flen;
    return 0;
}
