/* ICMP (RFC 792): echo replies and destination-unreachable errors. */
#include "net/icmp.h"

#define ICMP_HDR_LEN 8

void icmp_input(struct netif *nif, const struct ipv4_info *ip, const uint8_t *pkt, size_t len)
{
    if (len < ICMP_HDR_LEN) {
        net_count_drop(nif, DROP_ICMP_SHORT);
        return;
    }
    if (inet_fold(inet_sum(pkt, len, 0)) != 0) {
        net_count_drop(nif, DROP_ICMP_BAD_CSUM);
        return;
    }
    /* Echo to broadcast is ignored (smurf amplification). */
    if (pkt[0] != ICMP_ECHO_REQUEST || pkt[1] != 0 || ip->to_broadcast) {
        net_count_drop(nif, DROP_ICMP_UNHANDLED);
        return;
    }
    /* Static, not the heap: this runs in interrupt context, and the stack is
     * never re-entered (callers hold net_lock or run with interrupts off). */
    static uint8_t reply[IPV4_REASM_MAX];
    if (len > sizeof reply)
        return;
    memcpy(reply, pkt, len);
    reply[0] = ICMP_ECHO_REPLY;
    net_put16(reply + 2, 0);
    net_put16(reply + 2, inet_fold(inet_sum(reply, len, 0)));
    if (ipv4_output(nif, ip->src, IP_PROTO_ICMP, reply, len) == 0)
        nif->stats.icmp_echo_replies++;
}

void icmp_send_unreachable(struct netif *nif, const struct ipv4_info *ip, uint8_t code)
{
    if (ip->to_broadcast)
        return;
    if (ip->proto == IP_PROTO_ICMP)
        return;
    uint8_t msg[ICMP_HDR_LEN + 60 + 8];
    size_t quoted = ip->hdr_len + 8;
    if (quoted > ip->total_len)
        quoted = ip->total_len;
    memset(msg, 0, ICMP_HDR_LEN);
    msg[0] = ICMP_DEST_UNREACH;
    msg[1] = code;
    memcpy(msg + ICMP_HDR_LEN, ip->hdr, quoted);
    size_t len = ICMP_HDR_LEN + quoted;
    net_put16(msg + 2, inet_fold(inet_sum(msg, len, 0)));
    if (ipv4_output(nif, ip->src, IP_PROTO_ICMP, msg, len) == 0)
        nif->stats.icmp_unreach_sent++;
}
