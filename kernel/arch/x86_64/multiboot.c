#include <stdbool.h>
#include "arch/x86_64/multiboot.h"
#include "arch/x86_64/memlayout.h"
#include "lib/string.h"
#include "lib/panic.h"

struct boot_info boot_info;

static void keep_extent(uint64_t start, uint64_t end)
{
    if (!boot_info.mbi_phys || start < boot_info.mbi_phys)
        boot_info.mbi_phys = start;
    if (end > boot_info.mbi_end)
        boot_info.mbi_end = end;
}

static void keep_region(uint64_t base, uint64_t len)
{
    if (len && boot_info.nregions < BOOT_MAX_REGIONS) {
        boot_info.ram[boot_info.nregions].base = base;
        boot_info.ram[boot_info.nregions].len = len;
        boot_info.nregions++;
    }
}

static void keep_framebuffer(const struct mb2_tag_framebuffer *t)
{
    /* Only direct-colour modes of 32 bits a pixel: what fbcon draws. */
    if (t->size < sizeof *t || t->fb_type != 1 || t->bpp != 32 || !t->addr || !t->width || !t->height)
        return;
    if (t->pitch < t->width * 4)
        return;
    boot_info.fb.phys = t->addr;
    boot_info.fb.pitch = t->pitch;
    boot_info.fb.width = t->width;
    boot_info.fb.height = t->height;
    boot_info.fb.bpp = t->bpp;
    boot_info.fb.red_pos = t->red_pos;
    boot_info.fb.green_pos = t->green_pos;
    boot_info.fb.blue_pos = t->blue_pos;
}

static void multiboot2_parse(uint32_t mbi_phys)
{
    const uint8_t *mbi = phys_to_virt(mbi_phys);
    uint32_t total = *(const uint32_t *)mbi;
    if (total < 16)
        panic("multiboot2 information of %u bytes is too short", total);
    keep_extent(mbi_phys, mbi_phys + total);
    bool have_mmap = false;
    for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
        const struct mb2_tag *tag = (const void *)(mbi + off);
        if (tag->type == MB2_TAG_END)
            break;
        if (tag->size < sizeof *tag || off + tag->size > total)
            panic("multiboot2 tag %u at offset %u has bad size %u", tag->type, off, tag->size);
        switch (tag->type) {
        case MB2_TAG_CMDLINE:
            strlcpy(boot_info.cmdline, (const char *)(tag + 1), sizeof boot_info.cmdline);
            break;
        case MB2_TAG_MODULE: {
            const struct mb2_tag_module *m = (const void *)tag;
            /* The first module is the initrd, as with v1. */
            if (!boot_info.initrd_size && m->mod_end > m->mod_start) {
                boot_info.initrd_phys = m->mod_start;
                boot_info.initrd_size = m->mod_end - m->mod_start;
            }
            break;
        }
        case MB2_TAG_MMAP: {
            const struct mb2_tag_mmap *mm = (const void *)tag;
            if (mm->entry_size < sizeof(struct mb2_mmap_entry))
                panic("multiboot2 memory map entries of %u bytes", mm->entry_size);
            have_mmap = true;
            for (uint32_t e = sizeof *mm; e + mm->entry_size <= tag->size; e += mm->entry_size) {
                const struct mb2_mmap_entry *me = (const void *)((const uint8_t *)tag + e);
                if (me->type == 1)
                    keep_region(me->addr, me->len);
            }
            break;
        }
        case MB2_TAG_FRAMEBUFFER:
            keep_framebuffer((const void *)tag);
            break;
        }
        off = (off + tag->size + 7) & ~7u;
    }
    if (!have_mmap)
        panic("multiboot2 loader gave no memory map");
}

void multiboot_parse(uint32_t magic, uint32_t mbi_phys)
{
    if (magic == MULTIBOOT2_BOOTLOADER_MAGIC) {
        boot_info.multiboot_version = 2;
        multiboot2_parse(mbi_phys);
        return;
    }
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        panic("not booted by a multiboot loader (magic 0x%x)", magic);
    boot_info.multiboot_version = 1;
    const struct multiboot_info *mbi = phys_to_virt(mbi_phys);
    keep_extent(mbi_phys, mbi_phys + sizeof *mbi);

    if (mbi->flags & MB_INFO_CMDLINE)
        strlcpy(boot_info.cmdline, phys_to_virt(mbi->cmdline), sizeof boot_info.cmdline);

    if ((mbi->flags & MB_INFO_MODS) && mbi->mods_count > 0) {
        const struct multiboot_module *mod = phys_to_virt(mbi->mods_addr);
        if (mod->mod_end < mod->mod_start)
            panic("multiboot module has end 0x%x before start 0x%x", mod->mod_end, mod->mod_start);
        boot_info.initrd_phys = mod->mod_start;
        boot_info.initrd_size = mod->mod_end - mod->mod_start;
    }

    if (!(mbi->flags & MB_INFO_MMAP))
        panic("multiboot loader gave no memory map");
    uint64_t p = mbi->mmap_addr, end = (uint64_t)mbi->mmap_addr + mbi->mmap_length;
    while (p + sizeof(struct multiboot_mmap_entry) <= end) {
        const struct multiboot_mmap_entry *e = phys_to_virt(p);
        if (e->type == 1)
            keep_region(e->addr, e->len);
        p += e->size + 4;
    }
}
