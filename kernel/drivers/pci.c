/* PCI bus 0 enumeration through configuration mechanism #1. */
#include "drivers/pci.h"
#include "arch/x86_64/io.h"
#include "lib/printf.h"
#include "lib/string.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc

static struct pci_device devices[PCI_MAX_DEVICES];
static int device_count;

static uint32_t config_address(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off)
{
    return 0x80000000u | ((uint32_t)bus << 16) | ((uint32_t)(dev & 31) << 11) |
           ((uint32_t)(func & 7) << 8) | (off & 0xfc);
}

uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, func, off));
    return inl(PCI_CONFIG_DATA);
}

void pci_write32(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off, uint32_t v)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, func, off));
    outl(PCI_CONFIG_DATA, v);
}

uint16_t pci_read16(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off)
{
    return (uint16_t)(pci_read32(bus, dev, func, off) >> ((off & 2) * 8));
}

void pci_write16(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off, uint16_t v)
{
    uint32_t old = pci_read32(bus, dev, func, off);
    int shift = (off & 2) * 8;
    old = (old & ~(0xffffu << shift)) | ((uint32_t)v << shift);
    pci_write32(bus, dev, func, off, old);
}

/* Sizes each BAR by writing all ones and reading the mask back, with
 * decoding off meanwhile so the device never answers at a bogus address. */
static void read_bars(struct pci_device *d)
{
    uint16_t cmd = pci_read16(d->bus, d->dev, d->func, PCI_COMMAND);
    pci_write16(d->bus, d->dev, d->func, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
    int nbars = (d->header_type & 0x7f) == 0 ? 6 : 2;
    for (int i = 0; i < nbars; i++) {
        uint8_t off = (uint8_t)(0x10 + 4 * i);
        uint32_t orig = pci_read32(d->bus, d->dev, d->func, off);
        pci_write32(d->bus, d->dev, d->func, off, 0xffffffffu);
        uint32_t mask = pci_read32(d->bus, d->dev, d->func, off);
        pci_write32(d->bus, d->dev, d->func, off, orig);
        struct pci_bar *b = &d->bar[i];
        if (mask == 0 || mask == 0xffffffffu)
            continue;
        if (orig & 1) {
            b->is_io = true;
            b->addr = orig & ~3u;
            b->size = (uint16_t)(~(mask & ~3u) + 1);
            continue;
        }
        b->prefetchable = (orig & 8) != 0;
        uint64_t base = orig & ~0xfu;
        uint64_t size_mask = 0xffffffff00000000ull | (mask & ~0xfu);
        if (((orig >> 1) & 3) == 2 && i + 1 < nbars) {
            uint8_t off_hi = (uint8_t)(off + 4);
            uint32_t hi = pci_read32(d->bus, d->dev, d->func, off_hi);
            pci_write32(d->bus, d->dev, d->func, off_hi, 0xffffffffu);
            uint32_t mask_hi = pci_read32(d->bus, d->dev, d->func, off_hi);
            pci_write32(d->bus, d->dev, d->func, off_hi, hi);
            base |= (uint64_t)hi << 32;
            size_mask = ((uint64_t)mask_hi << 32) | (mask & ~0xfu);
            b->is_64 = true;
            i++;    /* the upper half is not a BAR of its own */
        }
        b->addr = base;
        b->size = ~size_mask + 1;
    }
    pci_write16(d->bus, d->dev, d->func, PCI_COMMAND, cmd);
}

static void add_function(uint8_t dev, uint8_t func)
{
    if (device_count >= PCI_MAX_DEVICES)
        return;
    uint32_t id = pci_read32(0, dev, func, 0);
    struct pci_device *d = &devices[device_count++];
    memset(d, 0, sizeof *d);
    d->bus = 0;
    d->dev = dev;
    d->func = func;
    d->vendor = (uint16_t)id;
    d->device = (uint16_t)(id >> 16);
    uint32_t class = pci_read32(0, dev, func, 0x08);
    d->class_code = (uint8_t)(class >> 24);
    d->subclass = (uint8_t)(class >> 16);
    d->prog_if = (uint8_t)(class >> 8);
    d->header_type = (uint8_t)(pci_read32(0, dev, func, 0x0c) >> 16);
    uint32_t irq = pci_read32(0, dev, func, 0x3c);
    d->irq_line = (uint8_t)irq;
    d->irq_pin = (uint8_t)(irq >> 8);
    read_bars(d);

    kprintf("pci: 00:%02x.%u %04x:%04x class %02x.%02x.%02x irq %u\n", dev, func, d->vendor,
            d->device, d->class_code, d->subclass, d->prog_if, d->irq_line);
    for (int i = 0; i < 6; i++) {
        struct pci_bar *b = &d->bar[i];
        if (!b->size)
            continue;
        kprintf("pci:   bar%d %s 0x%lx size 0x%lx%s\n", i, b->is_io ? "io" : "mem",
                (unsigned long)b->addr, (unsigned long)b->size,
                b->is_64 ? " 64-bit" : "");
    }
}

void pci_init(void)
{
    device_count = 0;
    for (uint8_t dev = 0; dev < 32; dev++) {
        if ((uint16_t)pci_read32(0, dev, 0, 0) == 0xffff)
            continue;
        add_function(dev, 0);
        uint8_t header = (uint8_t)(pci_read32(0, dev, 0, 0x0c) >> 16);
        if (!(header & 0x80))
            continue;
        for (uint8_t func = 1; func < 8; func++)
            if ((uint16_t)pci_read32(0, dev, func, 0) != 0xffff)
                add_function(dev, func);
    }
    kprintf("pci: %d functions on bus 0\n", device_count);
}

int pci_device_count(void) { return device_count; }

const struct pci_device *pci_device_at(int i)
{
    return i >= 0 && i < device_count ? &devices[i] : NULL;
}

const struct pci_device *pci_find(uint16_t vendor, uint16_t device)
{
    for (int i = 0; i < device_count; i++)
        if (devices[i].vendor == vendor && devices[i].device == device)
            return &devices[i];
    return NULL;
}

void pci_enable_device(const struct pci_device *d)
{
    uint16_t cmd = pci_read16(d->bus, d->dev, d->func, PCI_COMMAND);
    cmd |= PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER;
    pci_write16(d->bus, d->dev, d->func, PCI_COMMAND, cmd);
}
