/* lo: 127.0.0.1/8, and the path for datagrams a host sends to itself.
 *
 * ipv4_output queues such packets here instead of calling ipv4_input from
 * inside the sender: a TCP segment looped back would otherwise be answered
 * (ACK, more data) from within its own transmission, while the sender is
 * half-way through updating its state, and recurse without bound. The queue
 * is drained at safe points: when the socket layer leaves the stack (so a
 * datagram sent to ourselves is delivered before sendto returns) and on
 * every net_poll. */
#include "net/netif.h"
#include "net/ipv4.h"

#define LO_QUEUE 128

struct netif net_loopback_if = {
    .name = "lo",
    .ip = NET_LOOPBACK_ADDR,
    .mask = 0xff000000u,
};

struct lo_packet {
    struct netif *to;
    uint16_t len;
    uint8_t data[ETH_MTU];
};

static struct lo_packet queue[LO_QUEUE];
static int q_head, q_count;
static bool draining;

struct netif *net_route(uint32_t dst)
{
    if ((dst >> 24) == 127)
        return &net_loopback_if;
    return net_default_if;
}

int net_loopback_queue(struct netif *to, const uint8_t *pkt, size_t len)
{
    if (len > ETH_MTU)
        return -EMSGSIZE;
    if (q_count == LO_QUEUE) {
        to->stats.tx_errors++;
        return -ENOBUFS;
    }
    struct lo_packet *p = &queue[(q_head + q_count) % LO_QUEUE];
    p->to = to;
    p->len = (uint16_t)len;
    memcpy(p->data, pkt, len);
    q_count++;
    to->stats.tx_frames++;
    to->stats.tx_bytes += len;
    return 0;
}

void net_loopback_drain(void)
{
    if (draining)
        return;
    draining = true;
    while (q_count) {
        struct lo_packet *p = &queue[q_head];
        q_head = (q_head + 1) % LO_QUEUE;
        q_count--;
        /* Copied out: delivering may queue more packets into this slot. */
        static uint8_t pkt[ETH_MTU];
        size_t len = p->len;
        struct netif *to = p->to;
        memcpy(pkt, p->data, len);
        to->stats.rx_frames++;
        to->stats.rx_bytes += len;
        ipv4_input(to, pkt, len, false);
    }
    draining = false;
}
