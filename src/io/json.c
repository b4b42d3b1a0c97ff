/* json.c - strict recursive-descent JSON parser building a json_value tree (see json.h).
 *
 * Design: values of an array or object being parsed are collected on one shared scratch
 * stack (and keys on a key stack); when the container closes its values are copied into an
 * exactly-sized items array and popped. Every string, key, items and keys array is its own
 * allocation, released by json_free. Recursion depth is bounded by JSON_MAX_DEPTH, so the
 * C stack use is bounded too. On any error everything allocated so far is released.
 */
#include "io/json.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64
#define JSON_MAX_NUMBER_LEN 64

typedef struct {
    char *key;
    size_t pos; /* offset of the key's opening quote, for error messages */
} key_entry;

typedef struct {
    const char *text;
    size_t len;
    size_t pos;
    const char *filename;
    ptm_error *err;
    json_value *stack; /* values of the open arrays/objects */
    size_t stack_len, stack_cap;
    key_entry *kstack; /* keys of the open objects */
    size_t kstack_len, kstack_cap;
} parser;

static void free_contents(json_value *v) {
    switch (v->type) {
    case JSON_STRING:
        free(v->string);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        for (size_t i = 0; i < v->count; i++) {
            free_contents(&v->items[i]);
            if (v->keys) free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

void json_free(json_value *v) {
    if (!v) return;
    free_contents(v);
    free(v);
}

const char *json_type_name(json_type t) {
    switch (t) {
    case JSON_NULL:
        return "null";
    case JSON_BOOL:
        return "bool";
    case JSON_NUMBER:
        return "number";
    case JSON_STRING:
        return "string";
    case JSON_ARRAY:
        return "array";
    case JSON_OBJECT:
        return "object";
    }
    return "unknown";
}

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || !key || obj->type != JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

int json_utf8_valid(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = ptmi_utf8_seq_len(u + i, n - i);
        if (!l) return 0;
        i += l;
    }
    return 1;
}

/* Describe the byte at pos for an error message ("'x'", "byte 0x07", "end of input"). */
static void describe_byte(const parser *p, size_t pos, char *buf, size_t n) {
    if (pos >= p->len) {
        snprintf(buf, n, "end of input");
        return;
    }
    unsigned char c = (unsigned char)p->text[pos];
    if (c >= 0x20 && c < 0x7F)
        snprintf(buf, n, "'%c'", (char)c);
    else
        snprintf(buf, n, "byte 0x%02X", (unsigned)c);
}

static ptm_status fail_at(parser *p, size_t pos, const char *fmt, ...) PTMI_PRINTF(3, 4);
static ptm_status fail_at(parser *p, size_t pos, const char *fmt, ...) {
    size_t line = 1, col = 1;
    if (pos > p->len) pos = p->len;
    for (size_t i = 0; i < pos; i++) {
        if (p->text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ptmi_err(p->err, PTM_ERR_FORMAT, p->filename, NULL,
                    "invalid JSON at line %zu, column %zu: %s", line, col, msg);
}

static ptm_status nomem(parser *p) {
    return ptmi_err(p->err, PTM_ERR_NOMEM, p->filename, NULL, "out of memory while parsing JSON");
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int starts_with(const parser *p, size_t pos, const char *lit) {
    size_t n = strlen(lit);
    return pos <= p->len && p->len - pos >= n && memcmp(p->text + pos, lit, n) == 0;
}

static ptm_status push_value(parser *p, const json_value *v) {
    if (p->stack_len == p->stack_cap) {
        size_t cap = p->stack_cap ? p->stack_cap : 16, bytes;
        if (p->stack_cap && ptmi_mul_size(cap, 2, &cap)) return nomem(p);
        if (ptmi_mul_size(cap, sizeof *p->stack, &bytes)) return nomem(p);
        json_value *s = realloc(p->stack, bytes);
        if (!s) return nomem(p);
        p->stack = s;
        p->stack_cap = cap;
    }
    p->stack[p->stack_len++] = *v;
    return PTM_OK;
}

static ptm_status push_key(parser *p, char *key, size_t pos) {
    if (p->kstack_len == p->kstack_cap) {
        size_t cap = p->kstack_cap ? p->kstack_cap : 16, bytes;
        if (p->kstack_cap && ptmi_mul_size(cap, 2, &cap)) return nomem(p);
        if (ptmi_mul_size(cap, sizeof *p->kstack, &bytes)) return nomem(p);
        key_entry *s = realloc(p->kstack, bytes);
        if (!s) return nomem(p);
        p->kstack = s;
        p->kstack_cap = cap;
    }
    p->kstack[p->kstack_len].key = key;
    p->kstack[p->kstack_len].pos = pos;
    p->kstack_len++;
    return PTM_OK;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Read the 4 hex digits of a \u escape whose backslash is at pos; end bounds the string. */
static ptm_status read_u_escape(parser *p, size_t pos, size_t end, unsigned *cp) {
    unsigned v = 0;
    for (size_t k = 0; k < 4; k++) {
        size_t i = pos + 2 + k;
        int h = i < end ? hex_value(p->text[i]) : -1;
        if (h < 0) return fail_at(p, pos, "invalid \\u escape: expected 4 hex digits");
        v = v * 16 + (unsigned)h;
    }
    *cp = v;
    return PTM_OK;
}

static size_t put_utf8(char *dst, unsigned cp) {
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parse the string whose opening quote is at p->pos into a fresh NUL-terminated buffer. */
static ptm_status parse_string(parser *p, char **out, size_t *out_len) {
    size_t start = p->pos + 1, end = start;
    /* Pass 1: find the closing quote (escapes never shorten the raw text's bound). */
    while (end < p->len && p->text[end] != '"') {
        unsigned char c = (unsigned char)p->text[end];
        if (c < 0x20) {
            return fail_at(p, end, "control character 0x%02X in string (must be escaped)",
                           (unsigned)c);
        }
        end += (c == '\\') ? 2 : 1;
    }
    if (end >= p->len) return fail_at(p, p->pos, "unterminated string");
    size_t raw_len = end - start, cap;
    if (ptmi_add_size(raw_len, 1, &cap)) return nomem(p);
    char *buf = malloc(cap);
    if (!buf) return nomem(p);
    /* Pass 2: decode escapes and validate UTF-8; the decoded text is never longer. */
    size_t n = 0, i = start;
    ptm_status st = PTM_OK;
    while (i < end) {
        unsigned char c = (unsigned char)p->text[i];
        if (c == '\\') {
            char e = p->text[i + 1];
            switch (e) {
            case '"':
                buf[n++] = '"';
                break;
            case '\\':
                buf[n++] = '\\';
                break;
            case '/':
                buf[n++] = '/';
                break;
            case 'b':
                buf[n++] = '\b';
                break;
            case 'f':
                buf[n++] = '\f';
                break;
            case 'n':
                buf[n++] = '\n';
                break;
            case 'r':
                buf[n++] = '\r';
                break;
            case 't':
                buf[n++] = '\t';
                break;
            case 'u': {
                unsigned cp = 0;
                if ((st = read_u_escape(p, i, end, &cp)) != PTM_OK) goto fail;
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    st = fail_at(p, i, "unpaired low surrogate \\u%04X", cp);
                    goto fail;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo = 0;
                    if (i + 7 < end && p->text[i + 6] == '\\' && p->text[i + 7] == 'u') {
                        if ((st = read_u_escape(p, i + 6, end, &lo)) != PTM_OK) goto fail;
                    }
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        st = fail_at(p, i,
                                     "high surrogate \\u%04X not followed by a low surrogate "
                                     "\\uDC00..\\uDFFF",
                                     cp);
                        goto fail;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
                if (cp == 0) {
                    st = fail_at(p, i, "\\u0000 (NUL) is not allowed in strings");
                    goto fail;
                }
                n += put_utf8(buf + n, cp);
                i += 4;
                break;
            }
            default: {
                char what[32];
                describe_byte(p, i + 1, what, sizeof what);
                st = fail_at(p, i, "invalid escape: backslash followed by %s", what);
                goto fail;
            }
            }
            i += 2;
        } else {
            size_t l = ptmi_utf8_seq_len((const unsigned char *)p->text + i, end - i);
            if (!l) {
                st = fail_at(p, i, "invalid UTF-8 byte 0x%02X in string", (unsigned)c);
                goto fail;
            }
            memcpy(buf + n, p->text + i, l);
            n += l;
            i += l;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    p->pos = end + 1;
    return PTM_OK;
fail:
    free(buf);
    return st;
}

static int is_digit(const parser *p, size_t pos) {
    return pos < p->len && p->text[pos] >= '0' && p->text[pos] <= '9';
}

static ptm_status parse_number(parser *p, json_value *out) {
    size_t start = p->pos, i = p->pos;
    int is_int = 1;
    if (p->text[i] == '-') {
        i++;
        if (starts_with(p, i, "Infinity")) return fail_at(p, start, "-Infinity is not valid JSON");
        if (!is_digit(p, i)) {
            char what[32];
            describe_byte(p, i, what, sizeof what);
            return fail_at(p, i, "invalid number: expected a digit after '-', found %s", what);
        }
    }
    if (p->text[i] == '0') {
        i++;
        if (is_digit(p, i))
            return fail_at(p, start, "invalid number: leading zeros are not allowed");
    } else {
        while (is_digit(p, i)) i++;
    }
    if (i < p->len && p->text[i] == '.') {
        is_int = 0;
        i++;
        if (!is_digit(p, i)) return fail_at(p, i, "invalid number: expected a digit after '.'");
        while (is_digit(p, i)) i++;
    }
    if (i < p->len && (p->text[i] == 'e' || p->text[i] == 'E')) {
        is_int = 0;
        i++;
        if (i < p->len && (p->text[i] == '+' || p->text[i] == '-')) i++;
        if (!is_digit(p, i))
            return fail_at(p, i, "invalid number: expected a digit in the exponent");
        while (is_digit(p, i)) i++;
    }
    size_t tok_len = i - start;
    if (tok_len > JSON_MAX_NUMBER_LEN) {
        return fail_at(p, start, "number is %zu characters long, more than the limit of %d",
                       tok_len, JSON_MAX_NUMBER_LEN);
    }
    /* strtod follows the C library's current locale for the decimal point: write the
     * locale's decimal point where JSON has '.', so parsing is locale independent. */
    const char *dp = ".";
    const struct lconv *lc = localeconv();
    if (lc && lc->decimal_point && lc->decimal_point[0] && strlen(lc->decimal_point) < 8)
        dp = lc->decimal_point;
    size_t dp_len = strlen(dp);
    char buf[JSON_MAX_NUMBER_LEN + 16];
    size_t n = 0;
    for (size_t k = start; k < i; k++) {
        if (p->text[k] == '.') {
            memcpy(buf + n, dp, dp_len);
            n += dp_len;
        } else {
            buf[n++] = p->text[k];
        }
    }
    buf[n] = '\0';
    char *endp = NULL;
    double d = strtod(buf, &endp);
    if (endp != buf + n)
        return fail_at(p, start, "invalid number \"%.*s\"", (int)tok_len, p->text + start);
    if (isinf(d) || isnan(d)) {
        return fail_at(p, start, "number %.*s is out of the range of a double", (int)tok_len,
                       p->text + start);
    }
    out->type = JSON_NUMBER;
    out->number = d;
    out->is_integer = is_int;
    p->pos = i;
    return PTM_OK;
}

static ptm_status parse_value(parser *p, int depth, json_value *out);

static ptm_status parse_array(parser *p, int depth, json_value *out) {
    if (depth > JSON_MAX_DEPTH) return fail_at(p, p->pos, "nesting deeper than %d", JSON_MAX_DEPTH);
    size_t base = p->stack_len;
    ptm_status st;
    p->pos++; /* '[' */
    skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            json_value v;
            if ((st = parse_value(p, depth, &v)) != PTM_OK) return st;
            if ((st = push_value(p, &v)) != PTM_OK) {
                free_contents(&v);
                return st;
            }
            skip_ws(p);
            if (p->pos < p->len && p->text[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->text[p->pos] == ']') {
                p->pos++;
                break;
            }
            char what[32];
            describe_byte(p, p->pos, what, sizeof what);
            return fail_at(p, p->pos, "expected ',' or ']', found %s", what);
        }
    }
    size_t count = p->stack_len - base, bytes;
    json_value *items = NULL;
    if (count) {
        if (ptmi_mul_size(count, sizeof *items, &bytes)) return nomem(p);
        items = malloc(bytes);
        if (!items) return nomem(p);
        memcpy(items, p->stack + base, bytes);
    }
    p->stack_len = base;
    out->type = JSON_ARRAY;
    out->count = count;
    out->items = items;
    return PTM_OK;
}

static int cmp_key_entry(const void *a, const void *b) {
    const key_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Fail if two of the keys kstack[base..] are equal, naming the later occurrence. */
static ptm_status check_duplicates(parser *p, size_t base) {
    size_t count = p->kstack_len - base;
    if (count < 2) return PTM_OK; /* also: kstack may still be NULL */
    const key_entry *keys = p->kstack + base;
    const key_entry *dup = NULL;
    if (count <= 16) {
        for (size_t i = 1; i < count && !dup; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(keys[i].key, keys[j].key) == 0) {
                    dup = &keys[i];
                    break;
                }
        if (!dup) return PTM_OK;
    } else {
        size_t bytes;
        if (ptmi_mul_size(count, sizeof *keys, &bytes)) return nomem(p);
        key_entry *sorted = malloc(bytes);
        if (!sorted) return nomem(p);
        memcpy(sorted, keys, bytes);
        qsort(sorted, count, sizeof *sorted, cmp_key_entry);
        size_t best = 0;
        int found = 0;
        for (size_t i = 1; i < count; i++) {
            if (strcmp(sorted[i].key, sorted[i - 1].key) == 0 && (!found || sorted[i].pos < best)) {
                best = sorted[i].pos;
                found = 1;
            }
        }
        free(sorted);
        if (!found) return PTM_OK;
        for (size_t i = 0; i < count; i++)
            if (keys[i].pos == best) dup = &keys[i];
    }
    ptm_status st = fail_at(p, dup->pos, "duplicate key \"%.200s\" in object", dup->key);
    if (p->err) ptmi_escape(p->err->field, sizeof p->err->field, dup->key, SIZE_MAX);
    return st;
}

static ptm_status parse_object(parser *p, int depth, json_value *out) {
    if (depth > JSON_MAX_DEPTH) return fail_at(p, p->pos, "nesting deeper than %d", JSON_MAX_DEPTH);
    size_t base = p->stack_len, kbase = p->kstack_len;
    ptm_status st;
    p->pos++; /* '{' */
    skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == '}') {
        p->pos++;
    } else {
        for (;;) {
            if (p->pos >= p->len || p->text[p->pos] != '"') {
                char what[32];
                describe_byte(p, p->pos, what, sizeof what);
                return fail_at(p, p->pos, "expected a string key, found %s", what);
            }
            size_t key_pos = p->pos;
            char *key = NULL;
            size_t key_len;
            if ((st = parse_string(p, &key, &key_len)) != PTM_OK) return st;
            if ((st = push_key(p, key, key_pos)) != PTM_OK) {
                free(key);
                return st;
            }
            skip_ws(p);
            if (p->pos >= p->len || p->text[p->pos] != ':') {
                char what[32];
                describe_byte(p, p->pos, what, sizeof what);
                return fail_at(p, p->pos, "expected ':' after key, found %s", what);
            }
            p->pos++;
            json_value v;
            if ((st = parse_value(p, depth, &v)) != PTM_OK) return st;
            if ((st = push_value(p, &v)) != PTM_OK) {
                free_contents(&v);
                return st;
            }
            skip_ws(p);
            if (p->pos < p->len && p->text[p->pos] == ',') {
                p->pos++;
                skip_ws(p);
                continue;
            }
            if (p->pos < p->len && p->text[p->pos] == '}') {
                p->pos++;
                break;
            }
            char what[32];
            describe_byte(p, p->pos, what, sizeof what);
            return fail_at(p, p->pos, "expected ',' or '}', found %s", what);
        }
    }
    if ((st = check_duplicates(p, kbase)) != PTM_OK) return st;
    size_t count = p->stack_len - base, bytes, kbytes;
    json_value *items = NULL;
    char **keys = NULL;
    if (count) {
        if (ptmi_mul_size(count, sizeof *items, &bytes) ||
            ptmi_mul_size(count, sizeof *keys, &kbytes))
            return nomem(p);
        items = malloc(bytes);
        keys = malloc(kbytes);
        if (!items || !keys) {
            free(items);
            free(keys);
            return nomem(p);
        }
        memcpy(items, p->stack + base, bytes);
        for (size_t i = 0; i < count; i++) keys[i] = p->kstack[kbase + i].key;
    }
    p->stack_len = base;
    p->kstack_len = kbase;
    out->type = JSON_OBJECT;
    out->count = count;
    out->items = items;
    out->keys = keys;
    return PTM_OK;
}

/* Parse one value at p->pos (after whitespace) into *out. depth = containers already open.
 * On failure *out holds nothing that needs freeing. */
static ptm_status parse_value(parser *p, int depth, json_value *out) {
    memset(out, 0, sizeof *out);
    skip_ws(p);
    if (p->pos >= p->len) return fail_at(p, p->pos, "unexpected end of input, expected a value");
    char c = p->text[p->pos];
    switch (c) {
    case '{':
        return parse_object(p, depth + 1, out);
    case '[':
        return parse_array(p, depth + 1, out);
    case '"': {
        ptm_status st = parse_string(p, &out->string, &out->string_len);
        if (st == PTM_OK) out->type = JSON_STRING;
        return st;
    }
    case 't':
    case 'f':
    case 'n':
        if (starts_with(p, p->pos, "true")) {
            out->type = JSON_BOOL;
            out->boolean = 1;
            p->pos += 4;
            return PTM_OK;
        }
        if (starts_with(p, p->pos, "false")) {
            out->type = JSON_BOOL;
            p->pos += 5;
            return PTM_OK;
        }
        if (starts_with(p, p->pos, "null")) {
            out->type = JSON_NULL;
            p->pos += 4;
            return PTM_OK;
        }
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, out);
        break;
    }
    if (starts_with(p, p->pos, "NaN") || starts_with(p, p->pos, "Infinity"))
        return fail_at(p, p->pos, "NaN and Infinity are not valid JSON");
    char what[32];
    describe_byte(p, p->pos, what, sizeof what);
    return fail_at(p, p->pos, "unexpected %s, expected a value", what);
}

ptm_status json_parse(const char *text, size_t len, const char *filename, json_value **out,
                      ptm_error *err) {
    if (!out) return ptmi_err(err, PTM_ERR_ARG, filename, NULL, "json_parse: out is NULL");
    *out = NULL;
    if (!text && len) return ptmi_err(err, PTM_ERR_ARG, filename, NULL, "json_parse: text is NULL");
    parser p;
    memset(&p, 0, sizeof p);
    p.text = text ? text : "";
    p.len = len;
    p.filename = filename;
    p.err = err;
    ptm_status st;
    json_value *root = malloc(sizeof *root);
    if (!root) return nomem(&p);
    memset(root, 0, sizeof *root);
    if (starts_with(&p, 0, "\xEF\xBB\xBF")) {
        st = fail_at(&p, 0, "byte order mark is not allowed");
    } else if ((st = parse_value(&p, 0, root)) == PTM_OK) {
        skip_ws(&p);
        if (p.pos != p.len) {
            char what[32];
            describe_byte(&p, p.pos, what, sizeof what);
            st = fail_at(&p, p.pos, "unexpected %s after the end of the JSON value", what);
            free_contents(root);
        }
    }
    /* On error, release what the open containers had collected. */
    for (size_t i = 0; i < p.stack_len; i++) free_contents(&p.stack[i]);
    for (size_t i = 0; i < p.kstack_len; i++) free(p.kstack[i].key);
    free(p.stack);
    free(p.kstack);
    if (st != PTM_OK) {
        free(root);
        return st;
    }
    *out = root;
    return PTM_OK;
}
