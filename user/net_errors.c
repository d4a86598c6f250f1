/* Socket syscall error paths (socket_errors case): every bad argument gets
 * its -E code and nothing else happens. Needs a NIC (e1000-user profile). */
#include "libc.h"
#include "ktap.h"
#include "net.h"

#define KERNEL_PTR ((void *)0xffffffff80100000UL)
#define UNMAPPED_PTR ((void *)0x20000000UL)
#define WRAPPING_PTR ((void *)0xfffffffffffff000UL)

static char big[16384];

static long udp_socket(void) { return socket(AF_INET, SOCK_DGRAM, 0); }

int main(void)
{
    ktap_begin("net_errors", 51);
    struct sockaddr_in a;

    /* socket() */
    long st = socket(AF_INET, SOCK_STREAM, 0);
    ktap_ok(st >= 3 && close((int)st) == 0, "stream_socket_created");
    KTAP_EXPECT_EQ("unknown_domain", socket(99, SOCK_DGRAM, 0), -EAFNOSUPPORT);
    KTAP_EXPECT_EQ("unknown_type", socket(AF_INET, 77, 0), -EINVAL);
    KTAP_EXPECT_EQ("tcp_protocol_on_dgram", socket(AF_INET, SOCK_DGRAM, 6), -EPROTONOSUPPORT);
    long s1 = udp_socket();
    ktap_ok(s1 >= 3, "socket_is_a_descriptor");
    KTAP_EXPECT_EQ("listen_on_dgram_eopnotsupp", listen((int)s1, 1), -EOPNOTSUPP);
    KTAP_EXPECT_EQ("accept_on_dgram_eopnotsupp", accept((int)s1, NULL, NULL), -EOPNOTSUPP);

    /* descriptors that are not sockets */
    a = sockaddr_ipv4(0, 5000);
    KTAP_EXPECT_EQ("bind_console_not_socket", bind(1, &a, sizeof a), -ENOTSOCK);
    KTAP_EXPECT_EQ("bind_bad_fd", bind(77, &a, sizeof a), -EBADF);
    KTAP_EXPECT_EQ("sendto_negative_fd", sendto(-1, "x", 1, 0, &a, sizeof a), -EBADF);

    /* unbound / unconnected */
    KTAP_EXPECT_EQ("recv_unbound_einval", recvfrom((int)s1, big, 10, 0, NULL, 100), -EINVAL);
    KTAP_EXPECT_EQ("send_unconnected_edestaddrreq", send((int)s1, "x", 1, 0), -EDESTADDRREQ);

    /* bind */
    KTAP_EXPECT_EQ("bind_ok", bind((int)s1, &a, sizeof a), 0);
    long s2 = udp_socket();
    KTAP_EXPECT_EQ("double_bind_eaddrinuse", bind((int)s2, &a, sizeof a), -EADDRINUSE);
    KTAP_EXPECT_EQ("rebind_einval", bind((int)s1, &a, sizeof a), -EINVAL);
    struct sockaddr_in bad = a;
    bad.sin_family = 1;
    KTAP_EXPECT_EQ("bind_bad_family", bind((int)s2, &bad, sizeof bad), -EAFNOSUPPORT);
    bad = sockaddr_ipv4(IPV4(1, 2, 3, 4), 5001);
    KTAP_EXPECT_EQ("bind_foreign_address", bind((int)s2, &bad, sizeof bad), -EADDRNOTAVAIL);
    KTAP_EXPECT_EQ("bind_short_addrlen", bind((int)s2, &a, 3), -EINVAL);

    /* bad pointers: checked before anything happens */
    KTAP_EXPECT_EQ("bind_null_addr", bind((int)s2, NULL, sizeof a), -EFAULT);
    KTAP_EXPECT_EQ("bind_kernel_addr", bind((int)s2, KERNEL_PTR, sizeof a), -EFAULT);
    struct sockaddr_in gw = sockaddr_ipv4(IPV4(10, 0, 2, 2), 9);
    KTAP_EXPECT_EQ("sendto_null_buffer", sendto((int)s1, NULL, 5, 0, &gw, sizeof gw), -EFAULT);
    KTAP_EXPECT_EQ("sendto_unmapped_buffer", sendto((int)s1, UNMAPPED_PTR, 5, 0, &gw, sizeof gw), -EFAULT);
    KTAP_EXPECT_EQ("sendto_kernel_address", sendto((int)s1, "x", 1, 0, KERNEL_PTR, sizeof gw), -EFAULT);
    KTAP_EXPECT_EQ("recvfrom_kernel_buffer", recvfrom((int)s1, KERNEL_PTR, 10, MSG_DONTWAIT, NULL, 0), -EFAULT);
    KTAP_EXPECT_EQ("recvfrom_wrapping_buffer", recvfrom((int)s1, WRAPPING_PTR, 0x2000, MSG_DONTWAIT, NULL, 0), -EFAULT);
    KTAP_EXPECT_EQ("recvfrom_kernel_source", recvfrom((int)s1, big, 10, MSG_DONTWAIT, KERNEL_PTR, 0), -EFAULT);

    /* bad destinations and sizes */
    struct sockaddr_in zero_port = sockaddr_ipv4(IPV4(10, 0, 2, 2), 0);
    KTAP_EXPECT_EQ("sendto_port_zero", sendto((int)s1, "x", 1, 0, &zero_port, sizeof zero_port), -EINVAL);
    struct sockaddr_in zero_ip = sockaddr_ipv4(0, 9);
    KTAP_EXPECT_EQ("connect_address_zero", connect((int)s1, &zero_ip, sizeof zero_ip), -EINVAL);
    /* Over one frame leaves as IPv4 fragments; over what kos reassembles is refused. */
    KTAP_EXPECT_EQ("sendto_1473_bytes_fragmented", sendto((int)s1, big, 1473, 0, &gw, sizeof gw), 1473);
    KTAP_EXPECT_EQ("sendto_16377_bytes", sendto((int)s1, big, 16377, 0, &gw, sizeof gw), -EMSGSIZE);

    /* an unbound send gets an ephemeral port, and then it can receive */
    long s3 = udp_socket();
    KTAP_EXPECT_EQ("unbound_sendto_autobinds", sendto((int)s3, "ping", 4, 0, &gw, sizeof gw), 4);
    KTAP_EXPECT_EQ("recv_dontwait_eagain", recvfrom((int)s3, big, 10, MSG_DONTWAIT, NULL, 0), -EAGAIN);

    /* timeouts and non-blocking sockets */
    KTAP_EXPECT_EQ("recv_timeout_etimedout", recvfrom((int)s1, big, 10, 0, NULL, 300), -ETIMEDOUT);
    long s4 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in any = sockaddr_ipv4(0, 0);
    bind((int)s4, &any, sizeof any);
    KTAP_EXPECT_EQ("nonblocking_socket_eagain", recv((int)s4, big, 10, 0, 0), -EAGAIN);

    /* to our own address (10.0.2.15 on e1000-user): looped back, and a
     * socket descriptor works with plain read/write too */
    long la = udp_socket(), lb = udp_socket();
    struct sockaddr_in self = sockaddr_ipv4(IPV4(10, 0, 2, 15), 6000);
    bind((int)la, &self, sizeof self);
    KTAP_EXPECT_EQ("sendto_own_address", sendto((int)lb, "hi self", 7, 0, &self, sizeof self), 7);
    struct sockaddr_in from;
    long got = recvfrom((int)la, big, sizeof big, 0, &from, 1000);
    ktap_ok(got == 7 && memcmp(big, "hi self", 7) == 0 && ntohl(from.sin_addr) == IPV4(10, 0, 2, 15), "recvfrom_own_datagram");
    connect((int)lb, &self, sizeof self);
    write((int)lb, "via write", 9);
    got = read((int)la, big, sizeof big);
    ktap_ok(got == 9 && memcmp(big, "via write", 9) == 0, "write_read_on_socket_fds");
    close((int)la);
    close((int)lb);

    /* multicast memberships and shared ports (SO_REUSEADDR) */
    long m1 = udp_socket(), m2 = udp_socket(), m3 = udp_socket();
    struct kos_ip_mreq mr = {htonl(IPV4(224, 0, 0, 251)), 0};
    KTAP_EXPECT_EQ("mcast_join", setsockopt((int)m1, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr), 0);
    KTAP_EXPECT_EQ("mcast_join_twice_eaddrinuse", setsockopt((int)m1, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr), -EADDRINUSE);
    KTAP_EXPECT_EQ("mcast_join_short_optlen", setsockopt((int)m1, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, 4), -EINVAL);
    struct kos_ip_mreq unicast = {htonl(IPV4(10, 0, 2, 2)), 0}, foreign = {htonl(IPV4(224, 0, 0, 251)), htonl(IPV4(1, 2, 3, 4))};
    KTAP_EXPECT_EQ("mcast_join_unicast_group", setsockopt((int)m2, IPPROTO_IP, IP_ADD_MEMBERSHIP, &unicast, sizeof unicast), -EINVAL);
    KTAP_EXPECT_EQ("mcast_join_foreign_interface", setsockopt((int)m2, IPPROTO_IP, IP_ADD_MEMBERSHIP, &foreign, sizeof foreign), -EADDRNOTAVAIL);
    struct kos_ip_mreq other = {htonl(IPV4(224, 0, 0, 252)), 0};
    KTAP_EXPECT_EQ("mcast_drop_not_joined", setsockopt((int)m1, IPPROTO_IP, IP_DROP_MEMBERSHIP, &other, sizeof other), -EADDRNOTAVAIL);
    KTAP_EXPECT_EQ("mcast_drop", setsockopt((int)m1, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr, sizeof mr), 0);
    long ms = socket(AF_INET, SOCK_STREAM, 0);
    KTAP_EXPECT_EQ("mcast_join_on_stream", setsockopt((int)ms, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr), -ENOPROTOOPT);
    close((int)ms);
    KTAP_EXPECT_EQ("mcast_ttl_256_einval", setsockopt_int((int)m1, IPPROTO_IP, IP_MULTICAST_TTL, 256), -EINVAL);
    int ttl = 0;
    socklen_t tl = sizeof ttl;
    ktap_ok(setsockopt_int((int)m1, IPPROTO_IP, IP_MULTICAST_TTL, 255) == 0 &&
            getsockopt((int)m1, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, &tl) == 0 && ttl == 255, "mcast_ttl_set_get");
    struct sockaddr_in p5400 = sockaddr_ipv4(0, 5400);
    setsockopt_int((int)m1, SOL_SOCKET, SO_REUSEADDR, 1);
    setsockopt_int((int)m2, SOL_SOCKET, SO_REUSEADDR, 1);
    ktap_ok(bind((int)m1, &p5400, sizeof p5400) == 0 && bind((int)m2, &p5400, sizeof p5400) == 0, "reuseaddr_shares_port");
    KTAP_EXPECT_EQ("shared_port_needs_reuseaddr", bind((int)m3, &p5400, sizeof p5400), -EADDRINUSE);
    close((int)m1);
    close((int)m2);
    /* a connected datagram socket names the source address of its route */
    struct sockaddr_in name;
    socklen_t nl = sizeof name;
    connect((int)m3, &gw, sizeof gw);
    ktap_ok(getsockname((int)m3, &name, &nl) == 0 && ntohl(name.sin_addr) == IPV4(10, 0, 2, 15), "connected_dgram_sockname");
    close((int)m3);

    /* close: the port is free again, the descriptor is gone */
    close((int)s1);
    KTAP_EXPECT_EQ("port_free_after_close", bind((int)s2, &a, sizeof a), 0);
    close((int)s2);
    close((int)s3);
    close((int)s4);
    (void)big;
    return ktap_done();
}
