#pragma once
#include <stdint.h>

/* Multiboot v1 information structure (the fields we read). */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002
#define MB_INFO_MEMORY   (1u << 0)
#define MB_INFO_CMDLINE  (1u << 2)
#define MB_INFO_MODS     (1u << 3)
#define MB_INFO_MMAP     (1u << 6)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct multiboot_module {
    uint32_t mod_start, mod_end;
    uint32_t string;
    uint32_t reserved;
} __attribute__((packed));

struct multiboot_mmap_entry {
    uint32_t size;          /* size of the rest of the entry */
    uint64_t addr, len;
    uint32_t type;          /* 1 = available RAM */
} __attribute__((packed));

/* What kmain keeps from the loader, copied before memory gets reused. */
#define BOOT_MAX_REGIONS 32
struct boot_region {
    uint64_t base, len;
};
struct boot_info {
    char cmdline[1024];
    uint64_t initrd_phys, initrd_size;  /* 0 size when no module */
    int nregions;
    struct boot_region ram[BOOT_MAX_REGIONS];   /* usable RAM */
    uint64_t mbi_phys, mbi_end;                 /* extent of loader data to keep */
};

extern struct boot_info boot_info;
void multiboot_parse(uint32_t magic, uint32_t mbi_phys);
