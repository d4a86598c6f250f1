/* multistream-select 1.0 (/multistream/1.0.0): varint-length-prefixed lines
 * ending in '\n'. One negotiation per connection phase or stream; the
 * initiator proposes one protocol, the responder answers from a list, `na`
 * otherwise, and lists on `ls`. */
#pragma once
#include "core/buf.h"

#define MSS_MAX_LINE 1024

struct mss {
    bool initiator;
    bool started;
    int state;            /* 0 header expected, 1 proposal/answer expected, 2 done */
    int refusals;         /* na answers given (responder) */
    const char *proposal; /* initiator */
    char selected[128];
};

enum mss_result { MSS_MORE = 0, MSS_DONE = 1, MSS_ERR_HEADER = -1, MSS_ERR_LINE = -2, MSS_ERR_REFUSED = -3, MSS_ERR_LIMIT = -4 };

void mss_init(struct mss *m, bool initiator, const char *proposal);
/* Consumes what it can from in, writes answers to out. protos: NULL-terminated (responder). */
int mss_step(struct mss *m, struct buf *in, struct buf *out, const char *const *protos);
/* One multistream message: varint(len+1) text '\n'. */
bool mss_put(struct buf *out, const char *line);
