/* Intel 82540EM driver: legacy descriptors, one RX and one TX ring of
 * E1000_RING_SIZE entries, 2 KiB buffers given to the NIC by physical
 * address, receive interrupts on the PCI IRQ line with polling as fallback. */
#include "drivers/e1000.h"
#include "drivers/pci.h"
#include "net/netif.h"
#include "net/eth.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "mm/mmio.h"
#include "arch/x86_64/irq.h"
#include <kos/errno.h>

#define CTRL_ASDE (1u << 5)
#define CTRL_SLU (1u << 6)
#define CTRL_LRST (1u << 3)
#define CTRL_ILOS (1u << 7)
#define CTRL_RST (1u << 26)
#define CTRL_VME (1u << 30)
#define CTRL_PHY_RST (1u << 31)

#define RCTL_EN (1u << 1)
#define RCTL_MPE (1u << 4)
#define RCTL_BAM (1u << 15)
#define RCTL_SECRC (1u << 26)   /* strip the CRC: the stack never sees it */

#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)
#define TCTL_CT_SHIFT 4
#define TCTL_COLD_SHIFT 12

#define ICR_TXDW (1u << 0)
#define ICR_LSC (1u << 2)
#define ICR_RXSEQ (1u << 3)
#define ICR_RXDMT0 (1u << 4)
#define ICR_RXO (1u << 6)
#define ICR_RXT0 (1u << 7)

#define EERD_START (1u << 0)
#define EERD_DONE (1u << 4)

#define RXD_STAT_DD 0x01
#define RXD_STAT_EOP 0x02
#define TXD_CMD_EOP 0x01
#define TXD_CMD_IFCS 0x02
#define TXD_CMD_RS 0x08
#define TXD_STAT_DD 0x01

#define BUF_SIZE 2048

struct rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t checksum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
} __attribute__((packed));

struct tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
} __attribute__((packed));

_Static_assert(sizeof(struct rx_desc) == 16, "rx descriptor is 16 bytes");
_Static_assert(sizeof(struct tx_desc) == 16, "tx descriptor is 16 bytes");

static struct {
    bool present;
    volatile uint8_t *regs;
    uint64_t regs_phys;
    int irq;
    struct rx_desc *rx;
    struct tx_desc *tx;
    uint8_t *rx_buf[E1000_RING_SIZE];
    uint8_t *tx_buf[E1000_RING_SIZE];
    unsigned rx_next, tx_next;
    struct e1000_stats stats;
    struct netif nif;
} nic;

uint32_t e1000_read_reg(uint32_t reg) { return *(volatile uint32_t *)(nic.regs + reg); }
static void wr(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(nic.regs + reg) = v; }

bool e1000_present(void) { return nic.present; }
volatile void *e1000_mmio_base(void) { return nic.regs; }
uint64_t e1000_mmio_phys(void) { return nic.regs_phys; }
const struct e1000_stats *e1000_get_stats(void) { return &nic.stats; }

bool e1000_link_up(void)
{
    return nic.present && (e1000_read_reg(E1000_STATUS) & E1000_STATUS_LU);
}

bool e1000_wait_link(uint32_t timeout_ms)
{
    uint64_t until = net_now_ms() + timeout_ms;
    while (!e1000_link_up()) {
        if (net_now_ms() >= until)
            return false;
        __asm__ volatile("pause");
    }
    return true;
}

static bool eeprom_read(uint8_t word, uint16_t *out)
{
    wr(E1000_EERD, EERD_START | ((uint32_t)word << 8));
    for (int i = 0; i < 100000; i++) {
        uint32_t v = e1000_read_reg(E1000_EERD);
        if (v & EERD_DONE) {
            *out = (uint16_t)(v >> 16);
            return true;
        }
    }
    return false;
}

static void read_mac(uint8_t mac[6])
{
    uint32_t ral = e1000_read_reg(E1000_RAL0), rah = e1000_read_reg(E1000_RAH0);
    if ((rah & (1u << 31)) && (ral || (rah & 0xffff))) {
        for (int i = 0; i < 4; i++)
            mac[i] = (uint8_t)(ral >> (8 * i));
        mac[4] = (uint8_t)rah;
        mac[5] = (uint8_t)(rah >> 8);
        return;
    }
    for (uint8_t w = 0; w < 3; w++) {
        uint16_t v = 0;
        eeprom_read(w, &v);
        mac[2 * w] = (uint8_t)v;
        mac[2 * w + 1] = (uint8_t)(v >> 8);
    }
}

/* Multicast table: with RCTL.MO = 0 the 12-bit hash is destination address
 * bits 47:36, i.e. (mac[4] >> 4) | (mac[5] << 4). */
static void program_mta(struct netif *nif, const uint8_t mac[6])
{
    (void)nif;
    if (!nic.present)
        return;
    uint32_t hash = ((uint32_t)(mac[4] >> 4) | ((uint32_t)mac[5] << 4)) & 0xfff;
    uint32_t reg = E1000_MTA + 4 * (hash >> 5);
    wr(reg, e1000_read_reg(reg) | (1u << (hash & 31)));
}

void e1000_add_multicast(const uint8_t mac[6])
{
    program_mta(&nic.nif, mac);
    if (nic.present)
        netif_join_mcast(&nic.nif, mac);
}

static void rx_drain(void)
{
    while (nic.rx[nic.rx_next].status & RXD_STAT_DD) {
        struct rx_desc *d = &nic.rx[nic.rx_next];
        /* Read the descriptor before its buffer; x86 keeps loads ordered
         * but the compiler must not hoist the buffer reads. */
        __asm__ volatile("" ::: "memory");
        if ((d->status & RXD_STAT_EOP) && d->errors == 0 && d->length <= BUF_SIZE) {
            nic.stats.rx_frames++;
            net_input(&nic.nif, nic.rx_buf[nic.rx_next], d->length);
        } else {
            nic.stats.rx_errors++;
        }
        d->status = 0;
        unsigned done = nic.rx_next;
        nic.rx_next = (nic.rx_next + 1) % E1000_RING_SIZE;
        __asm__ volatile("" ::: "memory");
        wr(E1000_RDT, done);   /* hand the buffer back */
    }
}

static void e1000_poll(struct netif *nif)
{
    (void)nif;
    if (nic.present)
        rx_drain();
}

static int e1000_transmit(struct netif *nif, const void *frame, size_t len)
{
    (void)nif;
    if (!nic.present)
        return -ENODEV;
    if (len == 0 || len > BUF_SIZE)
        return -EMSGSIZE;
    struct tx_desc *d = &nic.tx[nic.tx_next];
    /* A descriptor is free once the NIC wrote DD back (all start with DD). */
    for (int spins = 0; !(d->status & TXD_STAT_DD); spins++) {
        if (spins > 1000000) {
            nic.stats.tx_ring_full++;
            return -EBUSY;
        }
        __asm__ volatile("pause" ::: "memory");
    }
    memcpy(nic.tx_buf[nic.tx_next], frame, len);
    d->length = (uint16_t)len;
    d->cso = 0;
    d->css = 0;
    d->special = 0;
    d->cmd = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
    d->status = 0;
    nic.tx_next = (nic.tx_next + 1) % E1000_RING_SIZE;
    __asm__ volatile("" ::: "memory");
    wr(E1000_TDT, nic.tx_next);
    nic.stats.tx_frames++;
    return 0;
}

static void e1000_irq(void)
{
    uint32_t cause = e1000_read_reg(E1000_ICR);   /* reading clears it */
    nic.stats.interrupts++;
    if (cause & (ICR_RXT0 | ICR_RXO | ICR_RXDMT0 | ICR_RXSEQ))
        rx_drain();
}

/* Two 2 KiB buffers per physical page; returns false when out of memory. */
static bool alloc_buffers(uint8_t **bufs, uint64_t *phys)
{
    for (int i = 0; i < E1000_RING_SIZE; i += 2) {
        uint64_t p = pmm_alloc_page();
        if (!p)
            return false;
        uint8_t *v = phys_to_virt(p);
        memset(v, 0, PAGE_SIZE);
        bufs[i] = v;
        bufs[i + 1] = v + BUF_SIZE;
        if (phys) {
            phys[i] = p;
            phys[i + 1] = p + BUF_SIZE;
        }
    }
    return true;
}

int e1000_init(void)
{
    const struct pci_device *pd = pci_find(E1000_VENDOR, E1000_DEVICE);
    if (!pd) {
        kprintf("e1000: no 8086:100e on PCI bus 0\n");
        return -ENODEV;
    }
    const struct pci_bar *bar0 = &pd->bar[0];
    if (bar0->is_io || bar0->addr == 0 || bar0->size < 0x20000) {
        kprintf("e1000: BAR0 is not a usable memory BAR\n");
        return -EIO;
    }
    pci_enable_device(pd);
    nic.regs_phys = bar0->addr;
    nic.regs = map_mmio(bar0->addr, (size_t)bar0->size);
    if (!nic.regs) {
        kprintf("e1000: map_mmio(0x%lx) failed\n", (unsigned long)bar0->addr);
        return -ENOMEM;
    }
    nic.irq = pd->irq_line;

    /* Reset, then mask and clear every interrupt cause. */
    wr(E1000_IMC, 0xffffffffu);
    wr(E1000_CTRL, e1000_read_reg(E1000_CTRL) | CTRL_RST);
    for (int i = 0; i < 1000000 && (e1000_read_reg(E1000_CTRL) & CTRL_RST); i++)
        __asm__ volatile("pause");
    wr(E1000_IMC, 0xffffffffu);
    (void)e1000_read_reg(E1000_ICR);

    uint32_t ctrl = e1000_read_reg(E1000_CTRL);
    ctrl &= ~(CTRL_LRST | CTRL_PHY_RST | CTRL_ILOS | CTRL_VME);
    wr(E1000_CTRL, ctrl | CTRL_SLU | CTRL_ASDE);

    read_mac(nic.nif.mac);
    wr(E1000_RAL0, (uint32_t)nic.nif.mac[0] | ((uint32_t)nic.nif.mac[1] << 8) |
                   ((uint32_t)nic.nif.mac[2] << 16) | ((uint32_t)nic.nif.mac[3] << 24));
    wr(E1000_RAH0, (uint32_t)nic.nif.mac[4] | ((uint32_t)nic.nif.mac[5] << 8) | (1u << 31));
    for (int i = 0; i < 128; i++)
        wr(E1000_MTA + 4 * i, 0);

    uint64_t rx_ring = pmm_alloc_page(), tx_ring = pmm_alloc_page();
    uint64_t rx_phys[E1000_RING_SIZE], tx_phys[E1000_RING_SIZE];
    if (!rx_ring || !tx_ring || !alloc_buffers(nic.rx_buf, rx_phys) ||
        !alloc_buffers(nic.tx_buf, tx_phys)) {
        kprintf("e1000: out of memory for rings\n");
        return -ENOMEM;
    }
    nic.rx = phys_to_virt(rx_ring);
    nic.tx = phys_to_virt(tx_ring);
    memset(nic.rx, 0, PAGE_SIZE);
    memset(nic.tx, 0, PAGE_SIZE);
    for (int i = 0; i < E1000_RING_SIZE; i++) {
        nic.rx[i].addr = rx_phys[i];
        nic.tx[i].addr = tx_phys[i];
        nic.tx[i].status = TXD_STAT_DD;
    }
    nic.rx_next = nic.tx_next = 0;

    wr(E1000_RDBAL, (uint32_t)rx_ring);
    wr(E1000_RDBAH, (uint32_t)(rx_ring >> 32));
    wr(E1000_RDLEN, E1000_RING_SIZE * sizeof(struct rx_desc));
    wr(E1000_RDH, 0);
    wr(E1000_RDT, E1000_RING_SIZE - 1);
    wr(E1000_TDBAL, (uint32_t)tx_ring);
    wr(E1000_TDBAH, (uint32_t)(tx_ring >> 32));
    wr(E1000_TDLEN, E1000_RING_SIZE * sizeof(struct tx_desc));
    wr(E1000_TDH, 0);
    wr(E1000_TDT, 0);
    wr(E1000_TIPG, 10 | (8u << 10) | (6u << 20));
    wr(E1000_TCTL, TCTL_EN | TCTL_PSP | (0x10u << TCTL_CT_SHIFT) | (0x40u << TCTL_COLD_SHIFT));
    /* 2 KiB buffers (BSIZE 00), broadcasts accepted, CRC stripped. */
    wr(E1000_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);

    nic.nif.name = "e1000";
    nic.nif.transmit = e1000_transmit;
    nic.nif.poll = e1000_poll;
    nic.nif.program_mcast = program_mta;
    nic.nif.driver = &nic;
    nic.present = true;

    if (nic.irq > 0 && nic.irq < 16) {
        irq_register(nic.irq, e1000_irq);
        wr(E1000_IMS, ICR_RXT0 | ICR_RXO | ICR_RXDMT0 | ICR_RXSEQ | ICR_LSC);
        irq_unmask(nic.irq);
    }
    net_register(&nic.nif);

    const uint8_t *m = nic.nif.mac;
    kprintf("e1000: bar0 0x%lx mapped at %p irq %d mac %02x:%02x:%02x:%02x:%02x:%02x\n",
            (unsigned long)nic.regs_phys, (void *)nic.regs, nic.irq, m[0], m[1], m[2], m[3], m[4], m[5]);
    kprintf("e1000: rings %d/%d\n", E1000_RING_SIZE, E1000_RING_SIZE);
    return 0;
}

void e1000_update_missed(void)
{
    if (nic.present)   /* MPC and RNBC clear when read */
        nic.stats.rx_missed += e1000_read_reg(E1000_MPC) + e1000_read_reg(E1000_RNBC);
}
