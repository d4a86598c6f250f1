/* One fuzz input = one DNS message: the header, every question and every
 * record as the mDNS responder reads them, names with compression pointers. */
#include "net/mdns.h"
#include <stdint.h>
#include <stddef.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_header h;
    if (dns_read_header(data, size, &h) != 0)
        return 0;
    size_t off = 12;
    for (unsigned i = 0; i < h.qdcount; i++) {
        struct dns_question q;
        if (dns_read_question(data, size, &off, &q) != 0)
            return 0;
    }
    for (unsigned i = 0; i < (unsigned)h.ancount + h.nscount + h.arcount; i++) {
        struct dns_rr rr;
        if (dns_read_rr(data, size, &off, &rr) != 0)
            return 0;
    }
    return 0;
}
