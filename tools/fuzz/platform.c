/* Platform hooks of the portable network stack (kernel/net/net_env.h) for the
 * fuzz harnesses: time advances per call, no sleeping, no interrupts. */
#include "net/net_env.h"

static uint64_t fuzz_now_ms = 1000;
uint64_t net_now_ms(void) { return fuzz_now_ms += 10; }
void net_random_bytes(void *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(i * 131 + 7);
}
int net_wait_for_event(void) { return -1; }
void net_wake_waiters(void) {}
unsigned long net_lock(void) { return 0; }
void net_unlock(unsigned long s) { (void)s; }
