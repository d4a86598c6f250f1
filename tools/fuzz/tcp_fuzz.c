/* One fuzz input = a short conversation of TCP segments from 10.0.2.2 to a
 * listener on 10.0.2.15:80, straight into tcp_input. net_input reaches TCP
 * only through two checksums a mutation almost always breaks, so here each
 * record's checksum is made right unless it asks not to be; a record can
 * also acknowledge what the stack sent last, so mutations get past the
 * handshake into the established states, their options, data, out-of-order
 * queue, FIN and RST handling. Whatever the bytes, the stack must drop,
 * answer or reset without reading or writing out of bounds.
 *
 * Record: one control byte, a length byte, that many bytes of segment.
 * Control bits: 0x01 keep the checksum as given, 0x02 acknowledge the last
 * segment the stack sent (ack = its seq + its length), 0x04 run the timers
 * after it, 0x08 accept a child and read from it, 0x10 send on it. */
#include "net/ipv4.h"
#include "net/netif.h"
#include "net/tcp.h"
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define PEER_IP 0x0a000202u  /* 10.0.2.2 */
#define OUR_IP 0x0a00020fu   /* 10.0.2.15 */

static int drop_transmit(struct netif *nif, const void *frame, size_t len)
{
    (void)nif, (void)frame, (void)len;
    return 0;
}

static struct netif nif = {.name = "fuzz0", .mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, .transmit = drop_transmit};

/* What the stack sent last: the next sequence number after it. */
static uint32_t sent_next;

static int capture(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
    (void)src, (void)dst;
    if (len < 20)
        return 0;
    size_t hlen = (size_t)(seg[12] >> 4) * 4;
    uint32_t n = len > hlen ? (uint32_t)(len - hlen) : 0;
    n += (seg[13] & 0x02) ? 1 : 0; /* SYN */
    n += (seg[13] & 0x01) ? 1 : 0; /* FIN */
    sent_next = net_get32(seg + 4) + n;
    return 0;
}

/* The pseudo-header sum (RFC 9293 3.1): addresses, protocol 6, length. */
static uint32_t pseudo(uint32_t src, uint32_t dst, size_t len)
{
    uint8_t p[12];
    net_put32(p, src);
    net_put32(p + 4, dst);
    p[8] = 0;
    p[9] = IP_PROTO_TCP;
    net_put16(p + 10, (uint16_t)len);
    return inet_sum(p, sizeof p, 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    net_config_from_cmdline(&nif, "");
    net_register(&nif);
    tcp_ip_output = capture;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tcp_reset_all();
    struct tcp_conn *l = tcp_open();
    if (!l || tcp_bind(l, 0, 80) != 0 || tcp_listen(l, 4) != 0)
        __builtin_trap();
    struct tcp_conn *child = NULL;
    uint8_t seg[256], buf[512];
    struct ipv4_info ip = {.src = PEER_IP, .dst = OUR_IP, .proto = IP_PROTO_TCP, .ttl = 64};
    while (size >= 2) {
        uint8_t ctl = data[0];
        size_t len = data[1];
        data += 2, size -= 2;
        if (len > size)
            len = size;
        memcpy(seg, data, len);
        data += len, size -= len;
        if ((ctl & 0x02) && len >= 12)
            net_put32(seg + 8, sent_next);
        if (!(ctl & 0x01) && len >= 18) {
            net_put16(seg + 16, 0);
            net_put16(seg + 16, inet_fold(inet_sum(seg, len, pseudo(ip.src, ip.dst, len))));
        }
        ip.total_len = len + 20;
        tcp_input(&nif, &ip, seg, len);
        if (ctl & 0x04)
            tcp_tick();
        if ((ctl & 0x08) && !child)
            child = tcp_accept(l);
        if (child && (ctl & 0x08))
            (void)tcp_recv(child, buf, sizeof buf);
        if (child && (ctl & 0x10))
            (void)tcp_send(child, buf, (size_t)(ctl >> 5) * 64 + 1);
    }
    tcp_reset_all();
    return 0;
}
