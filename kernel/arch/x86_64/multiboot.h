#pragma once
#include <stdint.h>

/* Multiboot v1 information structure (the fields we read). QEMU's -kernel
 * speaks v1; GRUB is asked for v2 (`multiboot2`), whose header can request a
 * linear framebuffer without QEMU warning about a video mode it cannot set. */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002
#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36D76289
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

/* Multiboot2 information: u32 total_size, u32 reserved, then 8-byte aligned tags. */
struct mb2_tag {
    uint32_t type, size;
};
#define MB2_TAG_END         0
#define MB2_TAG_CMDLINE     1
#define MB2_TAG_MODULE      3
#define MB2_TAG_MMAP        6
#define MB2_TAG_FRAMEBUFFER 8

struct mb2_tag_module {
    uint32_t type, size;
    uint32_t mod_start, mod_end;
    char string[];
};
struct mb2_tag_mmap {
    uint32_t type, size;
    uint32_t entry_size, entry_version;
};
struct mb2_mmap_entry {
    uint64_t addr, len;
    uint32_t type, reserved;
};
struct mb2_tag_framebuffer {
    uint32_t type, size;
    uint64_t addr;
    uint32_t pitch, width, height;
    uint8_t bpp, fb_type, reserved[2];
    /* fb_type 1 (direct RGB): field positions and mask sizes */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
} __attribute__((packed));

/* A linear framebuffer the loader set up (direct RGB only). */
struct boot_framebuffer {
    uint64_t phys;
    uint32_t pitch, width, height, bpp;
    uint8_t red_pos, green_pos, blue_pos;
};

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
    int multiboot_version;                      /* 1 or 2 */
    struct boot_framebuffer fb;                 /* phys 0 when there is none */
};

extern struct boot_info boot_info;
void multiboot_parse(uint32_t magic, uint32_t mbi_phys);
