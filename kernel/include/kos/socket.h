/* The socket ABI shared by the kernel (kernel/net/socket.h) and user space
 * (user/lib/net.h): Linux's numbers and sockaddr_in layout. The one
 * difference from Linux is in the calls, not here: recv and recvfrom take a
 * timeout in milliseconds where Linux has the address-length pointer
 * (kernel/sys/sys_net.c lists the calls). */
#pragma once
#include <stdint.h>

#define AF_UNSPEC 0
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_NONBLOCK 0x800
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define MSG_DONTWAIT 0x40
#define MSG_NOSIGNAL 0x4000  /* a stream send that fails with -EPIPE raises no SIGPIPE */
#define INADDR_LOOPBACK 0x7f000001u   /* 127.0.0.1, host order */

/* shutdown(fd, how) */
#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

/* setsockopt/getsockopt: option values are ints (optlen 4). */
#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_ERROR 4        /* get only: the pending error, then cleared */
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define TCP_NODELAY 1     /* level IPPROTO_TCP */
/* Level IPPROTO_IP, datagram sockets. IP_MULTICAST_TTL takes an int
 * (0-255, default 1 as on Linux); the memberships take a struct kos_ip_mreq
 * (optlen 8): a group in 224.0.0.0/4 and an interface address (0 = the NIC).
 * A socket receives only the groups it joined (Linux's IP_MULTICAST_ALL 0);
 * its own multicast is not looped back to it. */
#define IPPROTO_IP 0
#define IP_MULTICAST_TTL 33
#define IP_ADD_MEMBERSHIP 35
#define IP_DROP_MEMBERSHIP 36
#define SOCK_MAX_GROUPS 4 /* memberships per socket */

struct kos_ip_mreq {
    uint32_t imr_multiaddr;  /* network byte order */
    uint32_t imr_interface;  /* network byte order; 0 = the default interface */
};

/* Address lengths (accept, getsockname, getpeername, getsockopt) are
 * 32-bit in and out, as Linux's socklen_t. */
typedef uint32_t kos_socklen_t;

struct kos_sockaddr_in {
    uint16_t sin_family;
    uint16_t sin_port;   /* network byte order */
    uint32_t sin_addr;   /* network byte order */
    uint8_t sin_zero[8];
};

/* What the syscalls accept as addrlen, and what the kernel copies. */
_Static_assert(sizeof(struct kos_ip_mreq) == 8, "ip_mreq is 8 bytes, as on Linux");
_Static_assert(sizeof(struct kos_sockaddr_in) == 16, "sockaddr_in is 16 bytes, as on Linux");
