/* What the mDNS and network-stack host drivers share: a fake millisecond
 * clock, deterministic "random" bytes, no-op locks, and a NIC that captures
 * every transmitted frame in tx_frames (tx_count of them). Each driver still
 * defines net_wait_for_event and net_wake_waiters (what a wait does differs). */
#pragma once
#include "net/netif.h"
#include "net/eth.h"

static uint64_t fake_now_ms = 1000;
uint64_t net_now_ms(void) { return fake_now_ms; }
/* Deterministic bytes: the TCP engine's ISN secret (not under test here). */
void net_random_bytes(void *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(i * 37 + 11);
}
unsigned long net_lock(void) { return 0; }
void net_unlock(unsigned long s) { (void)s; }

#define MAX_TX 64
static uint8_t tx_frames[MAX_TX][ETH_FRAME_MAX];
static size_t tx_lens[MAX_TX];
static int tx_count;

static int fake_transmit(struct netif *nif, const void *frame, size_t len)
{
    (void)nif;
    if (len > ETH_FRAME_MAX || tx_count >= MAX_TX)
        return -EIO;
    memcpy(tx_frames[tx_count], frame, len);
    tx_lens[tx_count++] = len;
    return 0;
}

static struct netif nif = {.name = "fake0", .mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
                           .transmit = fake_transmit};
