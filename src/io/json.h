/* json.h - a strict JSON (RFC 8259) parser that builds an in-memory tree (DOM).
 *
 * Usage:
 *
 *     json_value *root = NULL;
 *     ptm_error err;
 *     if (json_parse(text, len, "config.json", &root, &err) != PTM_OK) return err.code;
 *     const json_value *v = json_get(root, "d_model");
 *     if (v && v->type == JSON_NUMBER && v->is_integer) d_model = (int)v->number;
 *     json_free(root);
 *
 * The text need not be NUL-terminated. The parser is strict: it rejects trailing garbage
 * (whitespace is allowed), control characters and invalid UTF-8 in strings, invalid escapes,
 * unpaired \u surrogates, \u0000, NaN/Infinity, leading zeros, numbers longer than 64
 * characters or beyond the range of a double, a byte order mark, nesting deeper than 64 and
 * duplicate keys in an object. Errors are PTM_ERR_FORMAT with a message like
 * "invalid JSON at line 3, column 7: expected ',' or '}'" (PTM_ERR_NOMEM when memory runs out).
 * Number parsing does not depend on the current locale. The tree is immutable after parsing
 * and may be read from several threads.
 */
#ifndef PTMI_IO_JSON_H
#define PTMI_IO_JSON_H

#include <stddef.h>

#include "base/common.h"

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value {
    json_type type;
    int boolean;    /* JSON_BOOL */
    double number;  /* JSON_NUMBER */
    int is_integer; /* JSON_NUMBER written without fraction/exponent, e.g. 42 or -3 */
    char *string; /* JSON_STRING: NUL-terminated UTF-8 (escapes decoded); string_len excludes NUL */
    size_t string_len;
    size_t count;             /* JSON_ARRAY / JSON_OBJECT: number of items */
    struct json_value *items; /* JSON_ARRAY / JSON_OBJECT: the values */
    char **keys;              /* JSON_OBJECT: keys[i] NUL-terminated, for items[i] */
} json_value;

/* Parse text[0..len). On success *out is a tree to release with json_free. On error *out is
 * NULL, the return is PTM_ERR_FORMAT (or PTM_ERR_NOMEM / PTM_ERR_ARG) and err names
 * `filename`, the line and column. For a duplicate key err->field is the key (escaped as
 * ptmi_escape does). */
ptm_status json_parse(const char *text, size_t len, const char *filename, json_value **out,
                      ptm_error *err);

/* Free a tree returned by json_parse. NULL is a no-op. Only pass the root. */
void json_free(json_value *v);

/* The value of `key` in object `obj`; NULL if absent or obj is not an object. */
const json_value *json_get(const json_value *obj, const char *key);

/* "null", "bool", "number", "string", "array", "object". */
const char *json_type_name(json_type t);

/* 1 if s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF and no NUL
 * byte), else 0. Shared with the writers that must emit JSON the parser accepts. */
int json_utf8_valid(const char *s, size_t n);

#endif
