#include "arch/x86_64/multiboot.h"
#include "mm/paging.h"
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

void multiboot_parse(uint32_t magic, uint32_t mbi_phys)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        panic("not booted by a multiboot loader (magic 0x%x)", magic);
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
        if (e->type == 1 && e->len && boot_info.nregions < BOOT_MAX_REGIONS) {
            boot_info.ram[boot_info.nregions].base = e->addr;
            boot_info.ram[boot_info.nregions].len = e->len;
            boot_info.nregions++;
        }
        p += e->size + 4;
    }
}
