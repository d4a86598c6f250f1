/* Minimal JSON reader for wast2json scripts (host only). */
#pragma once
#include <stddef.h>

enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

typedef struct json {
    enum json_kind kind;
    double number;
    char *string; /* JSON_STRING (UTF-8, NUL-terminated) */
    size_t string_len;
    size_t count; /* array/object members */
    struct json *items;
    char **keys; /* object member names */
} json;

/* Parses text; NULL with a message in err on failure. */
json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(json *j);
/* Object member or NULL. */
const json *json_get(const json *obj, const char *key);
/* Member as a string or NULL. */
const char *json_get_string(const json *obj, const char *key);
