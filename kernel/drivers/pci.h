/* PCI configuration space (mechanism #1, ports 0xCF8/0xCFC), bus 0. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

#define PCI_MAX_DEVICES 32

#define PCI_COMMAND 0x04
#define PCI_CMD_IO 0x1
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_BUS_MASTER 0x4

struct pci_bar {
    uint64_t addr;      /* base address (memory or I/O port), 0 if unused */
    uint64_t size;
    bool is_io;
    bool is_64;         /* 64-bit memory BAR: the next slot is its upper half */
    bool prefetchable;
};

struct pci_device {
    uint8_t bus, dev, func;
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if, header_type;
    uint8_t irq_line, irq_pin;
    struct pci_bar bar[6];
};

/* Enumerates bus 0 and logs every function found. Safe to call twice. */
void pci_init(void);
int pci_device_count(void);
const struct pci_device *pci_device_at(int i);
const struct pci_device *pci_find(uint16_t vendor, uint16_t device);

uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off);
void pci_write32(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off, uint32_t v);
uint16_t pci_read16(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off);
void pci_write16(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off, uint16_t v);

/* Turns on memory decoding and bus mastering (drivers call this for the
 * devices they drive, before touching BARs or DMA). */
void pci_enable_device(const struct pci_device *d);
