/* Encoders and decoders of the RPC and remote-WASM messages (rpcmsg.h). */
#include "core/rpcmsg.h"
#include "core/multiformats.h"

const char *rpc_status_text(uint32_t status)
{
    static const char *const text[RPC_STATUS_COUNT] = {
#define X(name, t) t,
        RPC_STATUSES(X)
#undef X
    };
    return status < RPC_STATUS_COUNT ? text[status] : "unknown status";
}

int rpc_frame_get(const uint8_t *in, size_t n, size_t max, const uint8_t **body, size_t *len, size_t *used)
{
    uint64_t v;
    int k = uvarint_get(in, n, &v);
    if (k < 0)
        return -1;
    if (k == 0)
        return 0;
    if (v > max)
        return -2;
    if (n - (size_t)k < v)
        return 0;
    *body = in + k;
    *len = (size_t)v;
    *used = (size_t)k + (size_t)v;
    return 1;
}

/* The protobuf body goes after room for the longest length prefix, then
 * moves down next to the prefix it really needs. */
#define PREFIX_ROOM 10

static size_t frame_finish(uint8_t *out, struct pbw *w)
{
    if (w->overflow)
        return 0;
    size_t body = w->len - PREFIX_ROOM;
    uint8_t pre[PREFIX_ROOM];
    int k = uvarint_put(pre, body);
    memmove(out + k, out + PREFIX_ROOM, body);
    memcpy(out, pre, (size_t)k);
    return (size_t)k + body;
}

static struct pbw frame_writer(uint8_t *out, size_t cap)
{
    struct pbw w = {out, PREFIX_ROOM, cap, cap < PREFIX_ROOM};
    if (w.overflow)
        w.len = 0;
    return w;
}

size_t rpc_request_encode(uint8_t *out, size_t cap, const char *method, int nargs, char *const *argv,
                          uint64_t deadline_ms, uint64_t id)
{
    struct pbw w = frame_writer(out, cap);
    pbw_string(&w, 1, method);
    for (int i = 0; i < nargs; i++)
        pbw_string(&w, 2, argv[i]);
    pbw_varint(&w, 3, deadline_ms);
    pbw_varint(&w, 4, id);
    return frame_finish(out, &w);
}

size_t wasm_request_encode(uint8_t *out, size_t cap, const uint8_t *module, size_t module_len, const char *export_name,
                           int nargs, const int64_t *args, uint64_t deadline_ms, uint64_t fuel, uint64_t id)
{
    struct pbw w = frame_writer(out, cap);
    pbw_bytes(&w, 1, module, module_len);
    pbw_string(&w, 2, export_name);
    for (int i = 0; i < nargs; i++)
        pbw_varint(&w, 3, (uint64_t)args[i]);
    pbw_varint(&w, 4, deadline_ms);
    if (fuel)
        pbw_varint(&w, 5, fuel);
    pbw_varint(&w, 6, id);
    return frame_finish(out, &w);
}

size_t rpc_response_encode(uint8_t *out, size_t cap, const struct rpc_response *r)
{
    struct pbw w = frame_writer(out, cap);
    pbw_varint(&w, 1, r->status);
    if (r->result[0])
        pbw_string(&w, 2, r->result);
    if (r->error[0])
        pbw_string(&w, 3, r->error);
    pbw_varint(&w, 4, r->id);
    for (int i = 0; i < r->nvalues; i++)
        pbw_varint(&w, 5, (uint64_t)r->values[i]);
    if (r->trap)
        pbw_varint(&w, 6, r->trap);
    if (r->fuel)
        pbw_varint(&w, 7, r->fuel);
    return frame_finish(out, &w);
}

/* Text fields: no NUL inside, and they must fit (with their NUL). */
static int copy_text(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    if (n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!s[i])
            return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

/* One repeated int64 field, unpacked (wire 0) or packed (wire 2). */
static int take_i64s(const struct pbfield *f, int64_t *vals, int *count)
{
    if (f->wire == 0) {
        if (*count >= RPC_MAX_ARGS)
            return -1;
        vals[(*count)++] = (int64_t)f->v;
        return 0;
    }
    if (f->wire != 2)
        return -1;
    for (size_t pos = 0; pos < f->len;) {
        uint64_t v;
        int k = pb_varint(f->data + pos, f->len - pos, &v);
        if (k < 0 || *count >= RPC_MAX_ARGS)
            return -1;
        vals[(*count)++] = (int64_t)v;
        pos += (size_t)k;
    }
    return 0;
}

int rpc_request_decode(const uint8_t *body, size_t len, struct rpc_request *r)
{
    memset(r->method, 0, sizeof r->method);
    r->nargs = 0;
    r->deadline_ms = r->id = 0;
    size_t used = 0;
    bool have_method = false;
    struct pbfield f;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, body, len) {
        if (f.field == 1) {
            if (f.wire != 2 || copy_text(r->method, sizeof r->method, f.data, f.len) < 0 || f.len == 0)
                return -1;
            have_method = true;
        } else if (f.field == 2) {
            if (f.wire != 2 || r->nargs >= RPC_MAX_ARGS ||
                copy_text(r->store + used, sizeof r->store - used, f.data, f.len) < 0)
                return -1;
            r->argv[r->nargs++] = r->store + used;
            used += f.len + 1;
        } else if (f.field == 3 || f.field == 4) {
            if (f.wire != 0)
                return -1;
            *(f.field == 3 ? &r->deadline_ms : &r->id) = f.v;
        }
    }
    return rc < 0 || !have_method ? -1 : 0;
}

int wasm_request_decode(const uint8_t *body, size_t len, struct wasm_request *r)
{
    memset(r, 0, sizeof *r);
    bool have_module = false, have_export = false;
    struct pbfield f;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, body, len) {
        switch (f.field) {
        case 1:
            if (f.wire != 2)
                return -1;
            r->module = f.data;
            r->module_len = f.len;
            have_module = true;
            break;
        case 2:
            if (f.wire != 2 || f.len == 0 || copy_text(r->export_name, sizeof r->export_name, f.data, f.len) < 0)
                return -1;
            have_export = true;
            break;
        case 3:
            if (take_i64s(&f, r->args, &r->nargs) < 0)
                return -1;
            break;
        case 4: case 5: case 6:
            if (f.wire != 0)
                return -1;
            *(f.field == 4 ? &r->deadline_ms : f.field == 5 ? &r->fuel : &r->id) = f.v;
            break;
        default: break;
        }
    }
    return rc < 0 || !have_module || !have_export ? -1 : 0;
}

int rpc_response_decode(const uint8_t *body, size_t len, struct rpc_response *r)
{
    r->status = 0;
    r->result[0] = r->error[0] = 0;
    r->id = r->fuel = 0;
    r->nvalues = 0;
    r->trap = 0;
    bool have_status = false;
    struct pbfield f;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, body, len) {
        switch (f.field) {
        case 1:
            if (f.wire != 0 || f.v > 0xffffffffu)
                return -1;
            r->status = (uint32_t)f.v;
            have_status = true;
            break;
        case 2:
            if (f.wire != 2 || copy_text(r->result, sizeof r->result, f.data, f.len) < 0)
                return -1;
            break;
        case 3: {
            /* An error text longer than we keep is cut, not refused. */
            size_t n = f.len < sizeof r->error - 1 ? f.len : sizeof r->error - 1;
            if (f.wire != 2 || copy_text(r->error, sizeof r->error, f.data, n) < 0)
                return -1;
            break;
        }
        case 4: case 6: case 7:
            if (f.wire != 0)
                return -1;
            if (f.field == 4)
                r->id = f.v;
            else if (f.field == 6)
                r->trap = (uint32_t)f.v;
            else
                r->fuel = f.v;
            break;
        case 5:
            if (take_i64s(&f, r->values, &r->nvalues) < 0)
                return -1;
            break;
        default: break;
        }
    }
    return rc < 0 || !have_status ? -1 : 0;
}

int rpc_parse_i64(const char *s, int64_t *out)
{
    bool neg = *s == '-';
    if (neg || *s == '+')
        s++;
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}
