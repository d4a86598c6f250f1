/* mm/heap: sizes, alignment, no overlap, reuse, large blocks, pages returned. */
#include "test/ktest.h"
#include "mm/heap.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "lib/string.h"

#define NBLOCKS 200

static bool test_small_blocks_distinct(void)
{
    static uint8_t *blocks[NBLOCKS];
    for (int i = 0; i < NBLOCKS; i++) {
        size_t size = (size_t)(1 + (i * 37) % 2000);
        blocks[i] = kmalloc(size);
        KT_EXPECT(blocks[i] != NULL);
        KT_EXPECT(((uint64_t)blocks[i] & 15) == 0);
        memset(blocks[i], i & 0xff, size);
    }
    for (int i = 0; i < NBLOCKS; i++) {
        size_t size = (size_t)(1 + (i * 37) % 2000);
        for (size_t j = 0; j < size; j++)
            KT_EXPECT_EQ(blocks[i][j], i & 0xff);
    }
    for (int i = 0; i < NBLOCKS; i++)
        kfree(blocks[i]);
    return true;
}

static bool test_reuse_after_free(void)
{
    void *a = kmalloc(64);
    KT_EXPECT(a);
    kfree(a);
    void *b = kmalloc(64);
    KT_EXPECT(b == a);      /* LIFO free list of the same slab */
    kfree(b);
    return true;
}

static bool test_large_blocks(void)
{
    uint64_t before = pmm_free_count();
    uint8_t *big = kmalloc(3 * PAGE_SIZE + 100);
    KT_EXPECT(big != NULL);
    memset(big, 0x77, 3 * PAGE_SIZE + 100);
    KT_EXPECT_EQ(big[3 * PAGE_SIZE + 99], 0x77);
    KT_EXPECT(pmm_free_count() <= before - 4);
    uint8_t *z = kzalloc(10000);
    KT_EXPECT(z != NULL);
    bool zero = true;
    for (int i = 0; i < 10000; i++)
        zero &= z[i] == 0;
    KT_EXPECT(zero);
    kfree(z);
    kfree(big);
    return true;
}

static bool test_pages_have_guard(void)
{
    uint8_t *p = kmalloc_pages(2);
    KT_EXPECT(p != NULL);
    uint64_t k = paging_kernel_pml4();
    KT_EXPECT(paging_translate(k, (uint64_t)p + PAGE_SIZE, NULL) != 0);
    KT_EXPECT(paging_translate(k, (uint64_t)p + 2 * PAGE_SIZE, NULL) == 0);  /* guard */
    kfree_pages(p);
    KT_EXPECT(paging_translate(k, (uint64_t)p, NULL) == 0);
    return true;
}

static bool test_impossible_sizes(void)
{
    KT_EXPECT(kmalloc((size_t)1 << 40) == NULL);
    KT_EXPECT(kmalloc_pages(0) == NULL);
    kfree(NULL);    /* allowed, does nothing */
    return true;
}

static bool test_live_count(void)
{
    uint64_t live = heap_live_allocations();
    void *a = kmalloc(10), *b = kmalloc(5000);
    KT_EXPECT_EQ(heap_live_allocations(), live + 2);
    kfree(a);
    kfree(b);
    return true;
}

KTEST_SUITE(heap,
    KTEST_CASE("heap_small_blocks_distinct", test_small_blocks_distinct, KTEST_PAGES),
    KTEST_CASE("heap_reuse_after_free", test_reuse_after_free),
    KTEST_CASE("heap_large_blocks", test_large_blocks, KTEST_PAGES),
    KTEST_CASE("heap_pages_have_guard", test_pages_have_guard),
    KTEST_CASE("heap_impossible_sizes", test_impossible_sizes),
    KTEST_CASE("heap_live_count", test_live_count, KTEST_HEAP),
);
