/* mm/pmm: pages are unique, aligned, RAM, and the free count comes back. */
#include "test/ktest.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "lib/string.h"

#define NPAGES 256

static uint64_t pages[NPAGES];

static bool test_no_double_alloc(void)
{
    uint64_t before = pmm_free_count();
    for (int i = 0; i < NPAGES; i++) {
        pages[i] = pmm_alloc_page();
        KT_EXPECT(pages[i] != 0);
        KT_EXPECT((pages[i] & (PAGE_SIZE - 1)) == 0);
        KT_EXPECT(pmm_is_allocated(pages[i]));
    }
    KT_EXPECT_EQ(pmm_free_count(), before - NPAGES);
    for (int i = 0; i < NPAGES; i++)
        for (int j = i + 1; j < NPAGES; j++)
            KT_EXPECT(pages[i] != pages[j]);
    /* Tag each page with its index; a shared page would lose a tag. */
    for (int i = 0; i < NPAGES; i++)
        *(uint64_t *)phys_to_virt(pages[i]) = (uint64_t)i;
    for (int i = 0; i < NPAGES; i++)
        KT_EXPECT_EQ(*(uint64_t *)phys_to_virt(pages[i]), i);
    for (int i = 0; i < NPAGES; i++)
        pmm_free_page(pages[i]);
    return true;
}

static bool test_free_count_restored(void)
{
    uint64_t before = pmm_free_count();
    uint64_t a = pmm_alloc_page(), b = pmm_alloc_zeroed();
    KT_EXPECT(a && b);
    KT_EXPECT_EQ(pmm_free_count(), before - 2);
    pmm_free_page(a);
    pmm_free_page(b);
    KT_EXPECT_EQ(pmm_free_count(), before);
    KT_EXPECT(!pmm_is_allocated(a));
    return true;
}

static bool test_zeroed(void)
{
    uint64_t a = pmm_alloc_page();
    KT_EXPECT(a);
    memset(phys_to_virt(a), 0xab, PAGE_SIZE);
    pmm_free_page(a);
    uint64_t b = pmm_alloc_zeroed();
    KT_EXPECT(b);
    const uint8_t *p = phys_to_virt(b);
    bool zero = true;
    for (uint64_t i = 0; i < PAGE_SIZE; i++)
        zero &= p[i] == 0;
    pmm_free_page(b);
    KT_EXPECT(zero);
    return true;
}

static bool test_kernel_image_reserved(void)
{
    extern char _text_start[];
    /* The kernel's own pages are never free. */
    KT_EXPECT(pmm_is_allocated(virt_to_phys(_text_start)));
    KT_EXPECT(pmm_free_count() < pmm_total_count());
    return true;
}

KTEST_SUITE(pmm,
    KTEST_CASE("pmm_no_double_alloc", test_no_double_alloc),
    KTEST_CASE("pmm_free_count_restored", test_free_count_restored),
    KTEST_CASE("pmm_alloc_zeroed", test_zeroed),
    KTEST_CASE("pmm_kernel_image_reserved", test_kernel_image_reserved),
);
