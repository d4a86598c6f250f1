/* The platform layer: everything the p2p code needs from the system.
 * Implemented over the kos syscalls (kos/plat_kos.c) and over POSIX
 * (host/plat_host.c). Addresses and ports are in host byte order; calls
 * return negative errno values on failure (-PLAT_EAGAIN: try again later). */
#pragma once
#include "p2p_base.h"

#define PLAT_EAGAIN 11
#define PLAT_EINPROGRESS 115

#define PLAT_POLLIN 0x001
#define PLAT_POLLOUT 0x004
#define PLAT_POLLERR 0x008
#define PLAT_POLLHUP 0x010

struct plat_pollfd {
    int fd;
    short events;
    short revents;
};

uint64_t plat_now_ms(void);
uint64_t plat_now_us(void);
/* Fills buf from the system's random source; 0 or -errno. */
int plat_random(void *buf, size_t n);
/* One line to the console (stdout on the host; a newline is added). */
void plat_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* TCP, non-blocking. listen: ip 0 = any. connect returns the socket at once
 * (connection in progress: POLLOUT, then plat_sock_error says how it went). */
int plat_tcp_listen(uint32_t ip, uint16_t port);
int plat_tcp_accept(int lfd, uint32_t *ip, uint16_t *port);
int plat_tcp_connect(uint32_t ip, uint16_t port);
int plat_sock_error(int fd);
int plat_sock_name(int fd, uint32_t *ip, uint16_t *port);
long plat_send(int fd, const void *buf, size_t n);
/* 0 = the peer closed. */
long plat_recv(int fd, void *buf, size_t n);
void plat_close(int fd);
/* Half-close: a FIN after what was sent; receiving goes on. 0 or -errno. */
int plat_shutdown_write(int fd);
int plat_poll(struct plat_pollfd *fds, int n, int timeout_ms);

/* UDP bound to port on any address with SO_REUSEADDR (a multicast port is
 * shared), joined to a multicast group (0: none); multicast leaves with IP
 * TTL 255 (link-local protocols: RFC 6762 11). */
int plat_udp_open(uint16_t port, uint32_t group);
long plat_sendto(int fd, const void *buf, size_t n, uint32_t ip, uint16_t port);
long plat_recvfrom(int fd, void *buf, size_t n, uint32_t *ip, uint16_t *port);
/* The address the host uses towards the outside (for listen addresses): the
 * source of the route to 224.0.0.251; 0 if unknown. */
uint32_t plat_primary_ip(void);

/* Files (the guest's initrd and ramfs; the host's file system): open for
 * reading, or created/truncated for writing. read/write: bytes or -errno;
 * close with plat_close. remove: 0 or -errno. */
int plat_file_open(const char *path, bool write);
long plat_file_read(int fd, void *buf, size_t n);
long plat_file_write(int fd, const void *buf, size_t n);
int plat_file_remove(const char *path);
/* Bytes of physical memory the system has free (the guest: /proc/kstat's free pages), -1 if unknown. */
long plat_free_memory(void);

/* One call of a WebAssembly export in the system's sandbox (the kernel's on
 * kos, kos/wasm.h; on the host the same interpreter, linked in), under the
 * caller's fuel and page limits. Returns a PLAT_WASM_* outcome; error names
 * the trap or the refusal. At most one result (kos/wasm.h's exec). */
enum plat_wasm_outcome {
    PLAT_WASM_OK, PLAT_WASM_TRAP, PLAT_WASM_INVALID, PLAT_WASM_MEMORY, PLAT_WASM_NO_EXPORT,
    PLAT_WASM_BAD_ARGS, PLAT_WASM_BUSY,
};
struct plat_wasm_result {
    int nvalues;       /* 0 or 1 */
    int64_t value;
    int trap;          /* KOS_WASM_TRAP_* when PLAT_WASM_TRAP */
    char error[128];
};
int plat_wasm_run(const uint8_t *module, size_t len, const char *export_name, const int64_t *args, int nargs,
                  uint64_t fuel, uint32_t max_pages, struct plat_wasm_result *out);
