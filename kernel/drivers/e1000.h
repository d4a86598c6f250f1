/* Intel 82540EM (QEMU's e1000, 8086:100E) driver. Knows nothing of IP:
 * it moves Ethernet frames between its rings and a struct netif. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define E1000_VENDOR 0x8086
#define E1000_DEVICE 0x100e
#define E1000_RING_SIZE 32   /* descriptors per ring (multiple of 8) */

/* Register offsets (8254x Software Developer's Manual, section 13). */
#define E1000_CTRL 0x0000
#define E1000_STATUS 0x0008
#define E1000_EERD 0x0014
#define E1000_ICR 0x00c0
#define E1000_IMS 0x00d0
#define E1000_IMC 0x00d8
#define E1000_RCTL 0x0100
#define E1000_TCTL 0x0400
#define E1000_TIPG 0x0410
#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818
#define E1000_CRCERRS 0x4000
#define E1000_MPC 0x4010
#define E1000_RNBC 0x40a0
#define E1000_MTA 0x5200
#define E1000_RAL0 0x5400
#define E1000_RAH0 0x5404

#define E1000_STATUS_LU (1u << 1)

struct e1000_stats {
    uint64_t rx_frames, tx_frames;
    uint64_t rx_errors;      /* descriptors with error bits or no EOP */
    uint64_t rx_missed;      /* MPC + RNBC: the NIC had no buffer */
    uint64_t tx_ring_full;
    uint64_t interrupts;
};

/* Finds the NIC on the PCI bus (pci_init first), maps BAR0 with map_mmio,
 * resets it, sets up the rings, the IRQ and the link, and registers its
 * netif with the stack (addresses from cmdline: ip=, gw=, mask=).
 * 0, or -ENODEV when there is no e1000, -ENOMEM, -EIO. */
int e1000_init(void);
bool e1000_present(void);
uint32_t e1000_read_reg(uint32_t reg);
/* The virtual address BAR0 was mapped at, and the BAR's physical address. */
volatile void *e1000_mmio_base(void);
uint64_t e1000_mmio_phys(void);
bool e1000_link_up(void);
/* Waits up to timeout_ms for STATUS.LU; QEMU brings the link up a little
 * after reset (auto-negotiation is emulated). */
bool e1000_wait_link(uint32_t timeout_ms);
/* Sets the multicast table array bit for a group MAC (e.g. 01:00:5e:00:00:fb). */
void e1000_add_multicast(const uint8_t mac[6]);
const struct e1000_stats *e1000_get_stats(void);
/* Folds the NIC's missed-packet registers into stats.rx_missed. */
void e1000_update_missed(void);
