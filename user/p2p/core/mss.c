/* multistream-select (github.com/multiformats/multistream-select). */
#include "core/mss.h"
#include "core/multiformats.h"

static const char HEADER[] = "/multistream/1.0.0";

void mss_init(struct mss *m, bool initiator, const char *proposal)
{
    memset(m, 0, sizeof *m);
    m->initiator = initiator;
    m->proposal = proposal;
}

bool mss_put(struct buf *out, const char *line)
{
    uint8_t v[10];
    size_t n = strlen(line);
    int k = uvarint_put(v, n + 1);
    return buf_append(out, v, (size_t)k) && buf_append(out, line, n) && buf_append(out, "\n", 1);
}

/* 1 = a line in line[], 0 = more input needed, <0 = malformed. */
static int read_line(struct buf *in, char *line, size_t cap)
{
    uint64_t len;
    int k = uvarint_get(buf_data(in), buf_used(in), &len);
    if (k < 0)
        return MSS_ERR_LINE;
    if (k == 0)
        return 0;
    if (len == 0 || len > MSS_MAX_LINE || len >= cap)
        return MSS_ERR_LINE;
    if (buf_used(in) < (size_t)k + len)
        return 0;
    const uint8_t *p = buf_data(in) + k;
    if (p[len - 1] != '\n')
        return MSS_ERR_LINE;
    memcpy(line, p, len - 1);
    line[len - 1] = 0;
    buf_consume(in, (size_t)k + len);
    return 1;
}

static void put_list(struct buf *out, const char *const *protos)
{
    struct buf inner = {0};
    for (int i = 0; protos[i]; i++)
        mss_put(&inner, protos[i]);
    buf_append(&inner, "\n", 1);
    uint8_t v[10];
    int k = uvarint_put(v, buf_used(&inner));
    buf_append(out, v, (size_t)k);
    buf_append(out, buf_data(&inner), buf_used(&inner));
    buf_free(&inner);
}

int mss_step(struct mss *m, struct buf *in, struct buf *out, const char *const *protos)
{
    char line[MSS_MAX_LINE + 1];
    if (!m->started) {
        mss_put(out, HEADER);
        if (m->initiator)
            mss_put(out, m->proposal);
        m->started = true;
    }
    while (m->state < 2) {
        int r = read_line(in, line, sizeof line);
        if (r <= 0)
            return r;
        if (m->state == 0) {
            if (strcmp(line, HEADER) != 0)
                return MSS_ERR_HEADER;
            m->state = 1;
            continue;
        }
        if (m->initiator) {
            if (strcmp(line, m->proposal) == 0) {
                strcpy(m->selected, line);
                m->state = 2;
                return MSS_DONE;
            }
            return strcmp(line, "na") == 0 ? MSS_ERR_REFUSED : MSS_ERR_LINE;
        }
        if (strcmp(line, "ls") == 0) {
            put_list(out, protos);
            continue;
        }
        for (int i = 0; protos[i]; i++) {
            if (strcmp(line, protos[i]) == 0) {
                mss_put(out, line);
                strcpy(m->selected, line);
                m->state = 2;
                return MSS_DONE;
            }
        }
        if (++m->refusals > 16)
            return MSS_ERR_LIMIT;
        mss_put(out, "na");
    }
    return MSS_DONE;
}
