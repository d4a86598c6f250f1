/* Recursive-descent JSON reader, enough for wast2json output. */
#include "json.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

typedef struct jp {
    const char *p, *end;
    char *err;
    size_t errlen;
    int failed;
} jp;

static int jfail(jp *j, const char *msg)
{
    if (!j->failed)
        snprintf(j->err, j->errlen, "json: %s at offset %ld", msg, (long)(j->end - j->p));
    j->failed = 1;
    return 0;
}

static void skip_ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static int put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xc0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xe0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*n)++] = (char)(0xf0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
    return 1;
}

static int hex4(jp *j, unsigned *out)
{
    if (j->end - j->p < 4)
        return jfail(j, "short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *j->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return jfail(j, "bad \\u escape");
    }
    *out = v;
    return 1;
}

static int parse_string(jp *j, char **out, size_t *outlen)
{
    j->p++; /* opening quote */
    const char *start = j->p;
    /* Escapes never expand: the raw length bounds the decoded one. */
    char *buf = malloc((size_t)(j->end - start) + 1);
    size_t n = 0;
    if (!buf)
        return jfail(j, "out of memory");
    while (1) {
        if (j->p >= j->end) {
            free(buf);
            return jfail(j, "unterminated string");
        }
        char c = *j->p++;
        if (c == '"')
            break;
        if (c != '\\') {
            buf[n++] = c;
            continue;
        }
        if (j->p >= j->end) {
            free(buf);
            return jfail(j, "bad escape");
        }
        c = *j->p++;
        switch (c) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!hex4(j, &cp)) {
                free(buf);
                return 0;
            }
            if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
                const char *save = j->p;
                unsigned lo;
                j->p += 2;
                if (hex4(j, &lo) && lo >= 0xdc00 && lo < 0xe000)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    j->p = save;
            }
            put_utf8(buf, &n, cp);
            break;
        }
        default:
            free(buf);
            return jfail(j, "bad escape");
        }
    }
    buf[n] = 0;
    *out = buf;
    *outlen = n;
    return 1;
}

static int parse_value(jp *j, json *v, int depth);

static int push_item(jp *j, json *v, size_t *cap)
{
    if (v->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        json *ni = realloc(v->items, nc * sizeof(json));
        if (!ni)
            return jfail(j, "out of memory");
        v->items = ni;
        if (v->kind == JSON_OBJECT) {
            char **nk = realloc(v->keys, nc * sizeof(char *));
            if (!nk)
                return jfail(j, "out of memory");
            v->keys = nk;
        }
        *cap = nc;
    }
    memset(&v->items[v->count], 0, sizeof(json));
    return 1;
}

static int parse_value(jp *j, json *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > 64)
        return jfail(j, "nested too deeply");
    skip_ws(j);
    if (j->p >= j->end)
        return jfail(j, "unexpected end");
    char c = *j->p;
    if (c == '"') {
        v->kind = JSON_STRING;
        return parse_string(j, &v->string, &v->string_len);
    }
    if (c == '{' || c == '[') {
        int obj = c == '{';
        char close = obj ? '}' : ']';
        size_t cap = 0;
        v->kind = obj ? JSON_OBJECT : JSON_ARRAY;
        j->p++;
        skip_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 1;
        }
        while (1) {
            if (!push_item(j, v, &cap))
                return 0;
            if (obj) {
                skip_ws(j);
                size_t kl;
                if (j->p >= j->end || *j->p != '"')
                    return jfail(j, "expected key");
                if (!parse_string(j, &v->keys[v->count], &kl))
                    return 0;
                skip_ws(j);
                if (j->p >= j->end || *j->p != ':')
                    return jfail(j, "expected ':'");
                j->p++;
            }
            if (!parse_value(j, &v->items[v->count], depth + 1)) {
                v->count++; /* free what was parsed */
                return 0;
            }
            v->count++;
            skip_ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == close) {
                j->p++;
                return 1;
            }
            return jfail(j, "expected ',' or close");
        }
    }
    if (!strncmp(j->p, "true", (size_t)(j->end - j->p) < 4 ? (size_t)(j->end - j->p) : 4) && j->end - j->p >= 4) {
        v->kind = JSON_BOOL;
        v->number = 1;
        j->p += 4;
        return 1;
    }
    if (j->end - j->p >= 5 && !strncmp(j->p, "false", 5)) {
        v->kind = JSON_BOOL;
        j->p += 5;
        return 1;
    }
    if (j->end - j->p >= 4 && !strncmp(j->p, "null", 4)) {
        v->kind = JSON_NULL;
        j->p += 4;
        return 1;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char tmp[64];
        size_t n = 0;
        while (j->p < j->end && n < sizeof tmp - 1 && strchr("+-0123456789.eE", *j->p))
            tmp[n++] = *j->p++;
        tmp[n] = 0;
        v->kind = JSON_NUMBER;
        v->number = strtod(tmp, NULL);
        return 1;
    }
    return jfail(j, "unexpected character");
}

json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    jp j = {text, text + len, err, errlen, 0};
    json *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    if (!parse_value(&j, v, 0)) {
        json_free(v);
        return NULL;
    }
    return v;
}

static void free_inner(json *v)
{
    free(v->string);
    for (size_t i = 0; i < v->count; i++) {
        free_inner(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

void json_free(json *j)
{
    if (!j)
        return;
    free_inner(j);
    free(j);
}

const json *json_get(const json *obj, const char *key)
{
    if (!obj || obj->kind != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (!strcmp(obj->keys[i], key))
            return &obj->items[i];
    return NULL;
}

const char *json_get_string(const json *obj, const char *key)
{
    const json *v = json_get(obj, key);
    return v && v->kind == JSON_STRING ? v->string : NULL;
}
