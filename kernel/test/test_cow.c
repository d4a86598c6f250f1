/* Copy-on-write building blocks: page reference counts (mm/pmm) and the
 * fork-time clone and fault-time copy of address spaces (mm/paging). */
#include "test/ktest.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "lib/string.h"
#include <kos/errno.h>

static bool test_page_refcount(void)
{
    uint64_t before = pmm_free_count();
    uint64_t pa = pmm_alloc_page();
    KT_EXPECT(pa);
    KT_EXPECT_EQ(pmm_page_refs(pa), 1);
    pmm_page_ref(pa);
    KT_EXPECT_EQ(pmm_page_refs(pa), 2);
    pmm_free_page(pa);          /* one reference left: still allocated */
    KT_EXPECT(pmm_is_allocated(pa));
    KT_EXPECT_EQ(pmm_free_count(), before - 1);
    pmm_free_page(pa);
    KT_EXPECT(!pmm_is_allocated(pa));
    KT_EXPECT_EQ(pmm_page_refs(pa), 0);
    return true;
}

static bool test_clone_shares_and_copies(void)
{
    uint64_t va = 0x20000000, ro_va = 0x20001000;
    uint64_t a = aspace_create();
    KT_EXPECT(a);
    uint64_t pa = pmm_alloc_zeroed(), ro = pmm_alloc_zeroed();
    KT_EXPECT(pa && ro);
    memset(phys_to_virt(pa), 0x5a, PAGE_SIZE);
    KT_EXPECT_EQ(paging_map(a, va, pa, PTE_U | PTE_W | PTE_NX), 0);
    KT_EXPECT_EQ(paging_map(a, ro_va, ro, PTE_U), 0);

    uint64_t b = aspace_clone_cow(a, NULL);
    KT_EXPECT(b);
    uint64_t fa = 0, fb = 0;
    /* Same frame on both sides, read-only on both until a write. */
    KT_EXPECT_EQ(paging_translate(a, va, &fa), pa);
    KT_EXPECT_EQ(paging_translate(b, va, &fb), pa);
    KT_EXPECT(!(fa & PTE_W) && !(fb & PTE_W));
    KT_EXPECT_EQ(pmm_page_refs(pa), 2);
    KT_EXPECT_EQ(pmm_page_refs(ro), 2);
    /* A read-only page is shared but never copy-on-write. */
    KT_EXPECT_EQ(paging_cow_resolve(b, ro_va), -EFAULT);
    KT_EXPECT_EQ(paging_cow_resolve(b, 0x30000000), -EFAULT);

    /* b writes: it gets its own copy with the same contents. */
    uint64_t free_mid = pmm_free_count();
    KT_EXPECT_EQ(paging_cow_resolve(b, va + 0x10), 0);
    uint64_t pb = paging_translate(b, va, &fb);
    KT_EXPECT(pb && pb != pa);
    KT_EXPECT(fb & PTE_W);
    KT_EXPECT_EQ(memcmp(phys_to_virt(pb), phys_to_virt(pa), PAGE_SIZE), 0);
    KT_EXPECT_EQ(pmm_free_count(), free_mid - 1);
    KT_EXPECT_EQ(pmm_page_refs(pa), 1);

    /* a is the last user now: its write takes the frame over, no copy. */
    KT_EXPECT_EQ(paging_cow_resolve(a, va), 0);
    KT_EXPECT_EQ(paging_translate(a, va, &fa), pa);
    KT_EXPECT(fa & PTE_W);
    KT_EXPECT_EQ(pmm_free_count(), free_mid - 1);

    aspace_destroy(b);
    KT_EXPECT_EQ(pmm_page_refs(ro), 1);
    aspace_destroy(a);
    return true;
}

KTEST_SUITE(cow,
    KTEST_CASE("page_refcount_shares_and_frees_last", test_page_refcount, KTEST_PAGES),
    KTEST_CASE("clone_cow_shares_then_copies_per_page", test_clone_shares_and_copies, KTEST_PAGES),
);
