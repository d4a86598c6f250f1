/* mm/paging: map/unmap/translate, W^X, user/kernel split, kernel image permissions. */
#include "test/ktest.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/mmio.h"
#include "arch/x86_64/cpu.h"
#include <kos/errno.h>

extern char _text_start[], _rodata_start[], _data_start[];

static bool test_map_translate_unmap(void)
{
    uint64_t as = aspace_create();
    KT_EXPECT(as);
    uint64_t pa = pmm_alloc_page();
    uint64_t va = 0x10000000;
    KT_EXPECT_EQ(paging_map(as, va, pa, PTE_U | PTE_W | PTE_NX), 0);
    uint64_t flags = 0;
    KT_EXPECT_EQ(paging_translate(as, va + 0x123, &flags), pa + 0x123);
    KT_EXPECT(flags & PTE_U);
    KT_EXPECT(flags & PTE_W);
    KT_EXPECT(flags & PTE_NX);
    KT_EXPECT_EQ(paging_map(as, va, pa, PTE_U | PTE_NX), -EEXIST);
    KT_EXPECT_EQ(paging_protect(as, va, PTE_U | PTE_NX), 0);
    paging_translate(as, va, &flags);
    KT_EXPECT(!(flags & PTE_W));
    KT_EXPECT_EQ(paging_unmap(as, va), pa);
    KT_EXPECT_EQ(paging_translate(as, va, NULL), 0);
    KT_EXPECT_EQ(paging_unmap(as, va), 0);
    pmm_free_page(pa);
    aspace_destroy(as);
    return true;
}

static bool test_wx_refused(void)
{
    uint64_t as = aspace_create();
    KT_EXPECT(as);
    /* Writable without NX would be writable and executable. */
    KT_EXPECT_EQ(paging_map(as, 0x20000000, 0x200000, PTE_U | PTE_W), -EINVAL);
    /* A user mapping in the kernel half is refused. */
    KT_EXPECT_EQ(paging_map(as, 0xffff900000000000ULL, 0x200000, PTE_U | PTE_NX), -EINVAL);
    KT_EXPECT_EQ(paging_map(as, 0x20000123, 0x200000, PTE_U | PTE_NX), -EINVAL);
    aspace_destroy(as);
    return true;
}

static bool test_kernel_half_shared_not_user(void)
{
    uint64_t as = aspace_create();
    KT_EXPECT(as);
    uint64_t flags;
    /* Kernel text is visible in a fresh address space, but not to ring 3. */
    KT_EXPECT_EQ(paging_translate(as, (uint64_t)_text_start, &flags), virt_to_phys(_text_start));
    KT_EXPECT(!(flags & PTE_U));
    KT_EXPECT(paging_translate(as, DIRECT_MAP_BASE + 0x100000, &flags) == 0x100000);
    KT_EXPECT(!(flags & PTE_U));
    aspace_destroy(as);
    return true;
}

static bool test_kernel_image_permissions(void)
{
    uint64_t k = paging_kernel_pml4(), flags;
    KT_EXPECT(paging_translate(k, (uint64_t)_text_start, &flags));
    KT_EXPECT(!(flags & PTE_W) && !(flags & PTE_NX));          /* text: R-X */
    KT_EXPECT(paging_translate(k, (uint64_t)_rodata_start, &flags));
    KT_EXPECT(!(flags & PTE_W) && (flags & PTE_NX));           /* rodata: R */
    KT_EXPECT(paging_translate(k, (uint64_t)_data_start, &flags));
    KT_EXPECT((flags & PTE_W) && (flags & PTE_NX));            /* data: RW, NX */
    KT_EXPECT(paging_translate(k, DIRECT_MAP_BASE, &flags) == 0);
    KT_EXPECT((flags & PTE_W) && (flags & PTE_NX));            /* direct map: RW, NX */
    /* EFER.NXE is what makes the NX bits mean anything. */
    KT_EXPECT(rdmsr(0xC0000080) & (1 << 11));
    KT_EXPECT(read_cr0() & (1 << 16));                          /* WP: kernel honours read-only */
    return true;
}

static bool test_mmio_uncached(void)
{
    /* Map a RAM page through map_mmio and see the same bytes, uncached. */
    uint64_t pa = pmm_alloc_zeroed();
    KT_EXPECT(pa);
    *(volatile uint32_t *)phys_to_virt(pa + 0x40) = 0xfeedbeef;
    volatile uint32_t *m = map_mmio(pa + 0x40, 4);
    KT_EXPECT(m != NULL);
    KT_EXPECT_EQ(*m, 0xfeedbeef);
    uint64_t flags;
    KT_EXPECT_EQ(paging_translate(paging_kernel_pml4(), (uint64_t)m, &flags), pa + 0x40);
    KT_EXPECT((flags & PTE_PCD) && (flags & PTE_PWT) && (flags & PTE_NX));
    KT_EXPECT(!(flags & PTE_U));
    /* mmio windows are never unmapped; unmap this test one so the page can go back. */
    paging_unmap(paging_kernel_pml4(), (uint64_t)m & ~(PAGE_SIZE - 1));
    pmm_free_page(pa);
    return true;
}

static bool test_aspace_destroy_frees(void)
{
    uint64_t before = pmm_free_count();
    uint64_t as = aspace_create();
    KT_EXPECT(as);
    /* Spread over several page tables; destroy must free pages and tables. */
    for (uint64_t i = 0; i < 8; i++) {
        uint64_t pa = pmm_alloc_page();
        KT_EXPECT(pa);
        KT_EXPECT_EQ(paging_map(as, 0x400000 + i * 0x40000000ULL, pa, PTE_U | PTE_NX), 0);
    }
    KT_EXPECT(pmm_free_count() < before - 8);
    aspace_destroy(as);
    return true;
}

KTEST_SUITE(paging,
    KTEST_CASE("paging_map_translate_unmap", test_map_translate_unmap, KTEST_PAGES),
    KTEST_CASE("paging_wx_and_user_half_refused", test_wx_refused),
    KTEST_CASE("paging_kernel_half_not_user", test_kernel_half_shared_not_user),
    KTEST_CASE("paging_kernel_image_permissions", test_kernel_image_permissions),
    KTEST_CASE("paging_mmio_uncached", test_mmio_uncached),
    KTEST_CASE("paging_aspace_destroy_frees", test_aspace_destroy_frees, KTEST_PAGES),
);
