/* Platform glue for the network stack: the same C builds inside the kernel
 * and on the host (cc -DKOS_HOST) for the host test driver. */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#ifdef KOS_HOST
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <errno.h>
#define kmalloc malloc
#define kfree free
#define kprintf printf
#define ksnprintf snprintf
#else
#include "lib/string.h"
#include "lib/printf.h"
#include "mm/heap.h"
#include <kos/errno.h>
#endif

/* Milliseconds since boot (monotonic). Kernel: kernel/net/platform.c;
 * host: the test driver's fake clock. */
uint64_t net_now_ms(void);

/* Called while a blocking socket call waits: poll the NIC, then wait for
 * the next network event or timer tick. In a process this sleeps on the
 * scheduler's wait queue (other processes run); elsewhere (boot, in-kernel
 * suites) it halts until the next interrupt. Returns 0, or -EINTR when the
 * waiting process has been killed. Host: advances the fake clock. */
int net_wait_for_event(void);
/* The wait queue net_wait_for_event sleeps on (kernel only): poll()
 * registers on it for sockets. Woken by every network event and tick. */
struct waitq;
struct waitq *net_event_queue(void);
/* A datagram was queued to a socket: wake the blocked receivers. Safe from
 * interrupt handlers. Host: counts the calls. */
void net_wake_waiters(void);

/* Random bytes (ISNs, timestamps offsets). Kernel: lib/random.c; host:
 * the test driver's deterministic generator. */
void net_random_bytes(void *buf, size_t n);

/* The stack is entered from interrupt handlers (receive) and from syscalls
 * (send): net_lock disables interrupts and returns the previous state. */
unsigned long net_lock(void);
void net_unlock(unsigned long state);

/* Big-endian field access: packet fields are never assumed aligned. */
static inline uint16_t net_get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t net_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void net_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void net_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint16_t net_htons(uint16_t v) { return (uint16_t)((v << 8) | (v >> 8)); }
static inline uint32_t net_htonl(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}
#define net_ntohs net_htons
#define net_ntohl net_htonl
