/* safetensors.c - strict safetensors reader (st_load, st_load_mem) and atomic writer (st_write).
 *
 * The reader keeps the whole file in memory; tensors point into that buffer. It validates the
 * header completely before returning (see safetensors.h for the checks), so callers only have
 * to check names, dtypes and shapes. The writer emits what the reader (and the Python
 * `safetensors` package) accepts.
 */
#include "io/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/json.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) &&                                 \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ST_HOST_LE 1
#else
#define ST_HOST_LE 0 /* unknown or big endian: use the portable byte-by-byte paths */
#endif

#define ST_MAX_EXACT 9007199254740992.0 /* 2^53: largest integer a JSON number holds exactly */

typedef struct {
    const char *name;
    size_t size;
    st_dtype dtype;
} dtype_info;

static const dtype_info k_dtypes[] = {
    {"F64", 8, ST_OTHER}, {"F32", 4, ST_F32},       {"F16", 2, ST_OTHER},     {"BF16", 2, ST_OTHER},
    {"I64", 8, ST_I64},   {"I32", 4, ST_OTHER},     {"I16", 2, ST_OTHER},     {"I8", 1, ST_OTHER},
    {"U8", 1, ST_OTHER},  {"BOOL", 1, ST_OTHER},    {"U64", 8, ST_OTHER},     {"U32", 4, ST_OTHER},
    {"U16", 2, ST_OTHER}, {"F8_E4M3", 1, ST_OTHER}, {"F8_E5M2", 1, ST_OTHER},
};

static const dtype_info *find_dtype(const char *name) {
    for (size_t i = 0; i < sizeof k_dtypes / sizeof k_dtypes[0]; i++)
        if (strcmp(k_dtypes[i].name, name) == 0) return &k_dtypes[i];
    return NULL;
}

static uint64_t get_le64(const unsigned char *b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static void put_le64(unsigned char *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
}

/* "[2, 3, 4]" into buf. */
static void format_shape(char *buf, size_t n, const int64_t *shape, int ndim) {
    size_t used = 0;
    int w = snprintf(buf, n, "[");
    if (w > 0) used = (size_t)w;
    for (int i = 0; i < ndim && used < n; i++) {
        w = snprintf(buf + used, n - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (used < n) snprintf(buf + used, n - used, "]");
}

/* How a JSON value looks, for "found ..." messages. */
static void describe_value(const json_value *v, char *buf, size_t n) {
    if (v->type == JSON_NUMBER)
        snprintf(buf, n, "%.17g", v->number);
    else if (v->type == JSON_STRING)
        snprintf(buf, n, "the string \"%.40s\"", v->string);
    else
        snprintf(buf, n, "a JSON %s", json_type_name(v->type));
}

/* A non-negative integer below 2^53 written as such (no fraction, exponent or minus sign).
 * Anything written >= 2^53 parses to >= 2^53 (rounding is monotonic), so accepted values are
 * exact. */
static int get_count(const json_value *v, uint64_t *out) {
    if (v->type != JSON_NUMBER || !v->is_integer || signbit(v->number) || v->number >= ST_MAX_EXACT)
        return -1;
    *out = (uint64_t)v->number;
    return 0;
}

typedef struct {
    uint64_t begin, end;
    size_t index;
} span;

static int cmp_span(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static ptm_status check_metadata(const json_value *md, const char *file, ptm_error *err) {
    if (md->type != JSON_OBJECT) {
        return ptm_err(err, PTM_ERR_FORMAT, file, "__metadata__",
                       "header entry __metadata__ is a JSON %s, expected an object of strings",
                       json_type_name(md->type));
    }
    for (size_t i = 0; i < md->count; i++) {
        if (md->items[i].type != JSON_STRING) {
            return ptm_err(err, PTM_ERR_FORMAT, file, "__metadata__",
                           "__metadata__ value of \"%.100s\" is a JSON %s, expected a string",
                           md->keys[i], json_type_name(md->items[i].type));
        }
    }
    return PTM_OK;
}

/* Validate one header entry and fill *t; the data offsets go to *sp. */
static ptm_status parse_entry(const st_file *f, size_t data_start, const char *name,
                              const json_value *e, const char *file, st_tensor *t, span *sp,
                              ptm_error *err) {
    if (e->type != JSON_OBJECT) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "tensor entry is a JSON %s, expected an object with dtype, shape and "
                       "data_offsets",
                       json_type_name(e->type));
    }
    const json_value *jd = NULL, *js = NULL, *jo = NULL;
    for (size_t i = 0; i < e->count; i++) {
        const char *k = e->keys[i];
        if (strcmp(k, "dtype") == 0) {
            jd = &e->items[i];
        } else if (strcmp(k, "shape") == 0) {
            js = &e->items[i];
        } else if (strcmp(k, "data_offsets") == 0) {
            jo = &e->items[i];
        } else {
            return ptm_err(err, PTM_ERR_FORMAT, file, name,
                           "unknown key \"%.100s\" in tensor entry, expected only dtype, shape "
                           "and data_offsets",
                           k);
        }
    }
    const char *missing = !jd ? "dtype" : !js ? "shape" : !jo ? "data_offsets" : NULL;
    if (missing)
        return ptm_err(err, PTM_ERR_FORMAT, file, name, "tensor entry has no \"%s\"", missing);

    /* dtype */
    if (jd->type != JSON_STRING) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name, "dtype is a JSON %s, expected a string",
                       json_type_name(jd->type));
    }
    const dtype_info *di = find_dtype(jd->string);
    if (!di) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "unknown dtype \"%.40s\", expected one of F64, F32, F16, BF16, I64, I32, "
                       "I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2",
                       jd->string);
    }
    t->dtype = di->dtype;
    snprintf(t->dtype_name, sizeof t->dtype_name, "%s", di->name);

    /* shape */
    if (js->type != JSON_ARRAY) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "shape is a JSON %s, expected an array of non-negative integers",
                       json_type_name(js->type));
    }
    if (js->count > ST_MAX_DIMS) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "shape has %zu dimensions, at most %d are supported", js->count,
                       ST_MAX_DIMS);
    }
    t->ndim = (int)js->count;
    size_t numel = 1;
    int overflow = 0;
    for (int d = 0; d < t->ndim; d++) {
        uint64_t dim;
        if (get_count(&js->items[d], &dim)) {
            char found[80];
            describe_value(&js->items[d], found, sizeof found);
            return ptm_err(err, PTM_ERR_FORMAT, file, name,
                           "shape[%d] is %s, expected a non-negative integer < 2^53", d, found);
        }
        t->shape[d] = (int64_t)dim;
        if (dim > SIZE_MAX || ptm_mul_size(numel, (size_t)dim, &numel)) overflow = 1;
    }
    char shape_str[200];
    format_shape(shape_str, sizeof shape_str, t->shape, t->ndim);
    size_t nbytes = 0;
    if (overflow || ptm_mul_size(numel, di->size, &nbytes)) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "shape %s of %s has more bytes than fit in memory (size overflow)",
                       shape_str, di->name);
    }
    t->numel = numel;
    t->nbytes = nbytes;

    /* data_offsets */
    uint64_t off[2];
    if (jo->type != JSON_ARRAY || jo->count != 2 || get_count(&jo->items[0], &off[0]) ||
        get_count(&jo->items[1], &off[1])) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "data_offsets must be an array of two non-negative integers [begin, end]");
    }
    if (off[0] > off[1]) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "data_offsets [%llu, %llu]: begin is after end", (unsigned long long)off[0],
                       (unsigned long long)off[1]);
    }
    if (off[1] - off[0] != (uint64_t)nbytes) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "data_offsets [%llu, %llu] span %llu bytes, expected %zu for shape %s of "
                       "%s (%zu bytes each)",
                       (unsigned long long)off[0], (unsigned long long)off[1],
                       (unsigned long long)(off[1] - off[0]), nbytes, shape_str, di->name,
                       di->size);
    }
    size_t data_size = f->size - data_start;
    if (off[1] > (uint64_t)data_size) {
        return ptm_err(err, PTM_ERR_FORMAT, file, name,
                       "data_offsets [%llu, %llu] out of range: the data section has %zu bytes",
                       (unsigned long long)off[0], (unsigned long long)off[1], data_size);
    }
    t->data = f->buf + data_start + (size_t)off[0];
    sp->begin = off[0];
    sp->end = off[1];
    return PTM_OK;
}

/* Validate f->buf[0..f->size) and fill f->tensors. On error the caller frees f. */
static ptm_status parse_file(st_file *f, const char *file, ptm_error *err) {
    if (f->size < 8) {
        return ptm_err(err, PTM_ERR_FORMAT, file, NULL,
                       "file is %zu bytes, too short for the 8-byte header length", f->size);
    }
    uint64_t n64 = get_le64(f->buf);
    if (n64 == 0)
        return ptm_err(err, PTM_ERR_FORMAT, file, NULL, "header length is 0, expected > 0");
    if (n64 > (uint64_t)(f->size - 8)) {
        return ptm_err(err, PTM_ERR_FORMAT, file, NULL,
                       "header length %llu larger than the file (%zu bytes)",
                       (unsigned long long)n64, f->size);
    }
    if (n64 > ST_MAX_HEADER_BYTES) {
        return ptm_err(err, PTM_ERR_LIMIT, file, NULL,
                       "header length %llu is over the limit of %u bytes", (unsigned long long)n64,
                       ST_MAX_HEADER_BYTES);
    }
    size_t hlen = (size_t)n64, data_start = 8 + hlen;
    json_value *root = NULL;
    ptm_status st = json_parse((const char *)f->buf + 8, hlen, file, &root, err);
    if (st != PTM_OK) {
        if (err && !err->field[0]) snprintf(err->field, sizeof err->field, "header");
        return st;
    }
    span *spans = NULL;
    if (root->type != JSON_OBJECT) {
        st = ptm_err(err, PTM_ERR_FORMAT, file, "header", "header is a JSON %s, expected an object",
                     json_type_name(root->type));
        goto done;
    }
    size_t ntensors = root->count;
    const json_value *md = json_get(root, "__metadata__");
    if (md) {
        if ((st = check_metadata(md, file, err)) != PTM_OK) goto done;
        ntensors--;
    }
    f->tensors = calloc(ntensors ? ntensors : 1, sizeof *f->tensors);
    spans = calloc(ntensors ? ntensors : 1, sizeof *spans);
    if (!f->tensors || !spans) {
        st = ptm_err(err, PTM_ERR_NOMEM, file, NULL, "out of memory for %zu tensors", ntensors);
        goto done;
    }
    for (size_t i = 0; i < root->count; i++) {
        const char *name = root->keys[i];
        if (strcmp(name, "__metadata__") == 0) continue;
        st_tensor *t = &f->tensors[f->count];
        size_t nl = strlen(name);
        t->name = malloc(nl + 1);
        if (!t->name) {
            st = ptm_err(err, PTM_ERR_NOMEM, file, name, "out of memory");
            goto done;
        }
        memcpy(t->name, name, nl + 1);
        f->count++;
        span *sp = &spans[f->count - 1];
        sp->index = f->count - 1;
        st = parse_entry(f, data_start, name, &root->items[i], file, t, sp, err);
        if (st != PTM_OK) goto done;
    }
    /* No two tensors may share a byte (empty tensors occupy none). */
    size_t nspans = 0;
    for (size_t i = 0; i < f->count; i++)
        if (spans[i].end > spans[i].begin) spans[nspans++] = spans[i];
    qsort(spans, nspans, sizeof *spans, cmp_span);
    for (size_t i = 1; i < nspans; i++) {
        if (spans[i].begin < spans[i - 1].end) {
            const span *a = &spans[i - 1], *b = &spans[i];
            st = ptm_err(err, PTM_ERR_FORMAT, file, f->tensors[b->index].name,
                         "data_offsets [%llu, %llu] overlap those of tensor \"%.200s\" "
                         "[%llu, %llu]",
                         (unsigned long long)b->begin, (unsigned long long)b->end,
                         f->tensors[a->index].name, (unsigned long long)a->begin,
                         (unsigned long long)a->end);
            goto done;
        }
    }
    st = PTM_OK;
done:
    free(spans);
    json_free(root);
    return st;
}

ptm_status st_load_mem(const unsigned char *buf, size_t size, const char *name_for_errors,
                       st_file *out, ptm_error *err) {
    const char *file = name_for_errors ? name_for_errors : "<memory>";
    if (!out) return ptm_err(err, PTM_ERR_ARG, file, NULL, "st_load_mem: out is NULL");
    memset(out, 0, sizeof *out);
    if (!buf && size) return ptm_err(err, PTM_ERR_ARG, file, NULL, "st_load_mem: buf is NULL");
    out->buf = malloc(size ? size : 1);
    if (!out->buf)
        return ptm_err(err, PTM_ERR_NOMEM, file, NULL, "cannot allocate %zu bytes", size);
    if (size) memcpy(out->buf, buf, size);
    out->size = size;
    ptm_status st = parse_file(out, file, err);
    if (st != PTM_OK) st_free(out);
    return st;
}

ptm_status st_load(const char *path, st_file *out, ptm_error *err) {
    if (!out || !path) return ptm_err(err, PTM_ERR_ARG, path, NULL, "st_load: NULL argument");
    memset(out, 0, sizeof *out);
    ptm_status st = ptm_read_file(path, 0, &out->buf, &out->size, err);
    if (st != PTM_OK) return st;
    st = parse_file(out, path, err);
    if (st != PTM_OK) st_free(out);
    return st;
}

void st_free(st_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->count; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->buf);
    memset(f, 0, sizeof *f);
}

const st_tensor *st_find(const st_file *f, const char *name) {
    if (!f || !name) return NULL;
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

ptm_status st_to_f32(const st_tensor *t, float *dst, ptm_error *err) {
    if (!t) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "st_to_f32: tensor is NULL");
    if (!dst && t->numel)
        return ptm_err(err, PTM_ERR_ARG, NULL, t->name, "st_to_f32: destination is NULL");
    const unsigned char *s = t->data;
    if (t->dtype == ST_F32) {
        if (ST_HOST_LE) {
            if (t->nbytes) memcpy(dst, s, t->nbytes);
        } else {
            for (size_t i = 0; i < t->numel; i++) {
                const unsigned char *b = s + 4 * i;
                uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                             (uint32_t)b[3] << 24;
                memcpy(&dst[i], &u, 4);
            }
        }
        return PTM_OK;
    }
    if (t->dtype == ST_I64) {
        for (size_t i = 0; i < t->numel; i++) {
            uint64_t u = get_le64(s + 8 * i);
            int64_t v;
            memcpy(&v, &u, 8);
            dst[i] = (float)v;
        }
        return PTM_OK;
    }
    return ptm_err(err, PTM_ERR_TENSOR, NULL, t->name,
                   "dtype %s, expected F32 (or I64 converted to float)", t->dtype_name);
}

/* ---------------------------------------------------------------- writer */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    size_t need;
    if (ptm_add_size(b->len, n, &need) || ptm_add_size(need, 1, &need)) {
        b->oom = 1;
        return;
    }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) {
            if (ptm_mul_size(cap, 2, &cap)) {
                b->oom = 1;
                return;
            }
        }
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s) {
    sb_add(b, s, strlen(s));
}

static void sb_u64(strbuf *b, uint64_t v) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    sb_add(b, tmp, (size_t)n);
}

/* A JSON string literal for s (valid UTF-8, checked by the caller). */
static void sb_json_string(strbuf *b, const char *s) {
    sb_add(b, "\"", 1);
    for (const char *c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u == '"' || u == '\\') {
            char e[2] = {'\\', (char)u};
            sb_add(b, e, 2);
        } else if (u < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", (unsigned)u);
            sb_add(b, e, 6);
        } else {
            sb_add(b, c, 1);
        }
    }
    sb_add(b, "\"", 1);
}

static int cmp_name_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Check the entries and compute each one's byte size. */
static ptm_status check_entries(const char *path, const st_write_entry *entries, size_t n,
                                size_t *sizes, ptm_error *err) {
    for (size_t i = 0; i < n; i++) {
        const st_write_entry *e = &entries[i];
        if (!e->name)
            return ptm_err(err, PTM_ERR_ARG, path, NULL, "st_write: entry %zu has no name", i);
        if (!json_utf8_valid(e->name, strlen(e->name)))
            return ptm_err(err, PTM_ERR_ARG, path, NULL,
                           "st_write: name of entry %zu is not valid UTF-8", i);
        if (strcmp(e->name, "__metadata__") == 0)
            return ptm_err(err, PTM_ERR_ARG, path, e->name, "st_write: reserved tensor name");
        if (e->dtype != ST_F32 && e->dtype != ST_I64)
            return ptm_err(err, PTM_ERR_ARG, path, e->name,
                           "st_write: dtype %d, expected ST_F32 or ST_I64", (int)e->dtype);
        if (e->ndim < 0 || e->ndim > ST_MAX_DIMS)
            return ptm_err(err, PTM_ERR_ARG, path, e->name, "st_write: ndim %d, expected 0..%d",
                           e->ndim, ST_MAX_DIMS);
        size_t numel = 1;
        for (int d = 0; d < e->ndim; d++) {
            if (e->shape[d] < 0 || (double)e->shape[d] >= ST_MAX_EXACT ||
                (uint64_t)e->shape[d] > SIZE_MAX ||
                ptm_mul_size(numel, (size_t)e->shape[d], &numel))
                return ptm_err(err, PTM_ERR_ARG, path, e->name,
                               "st_write: invalid shape[%d] = %lld", d, (long long)e->shape[d]);
        }
        if (ptm_mul_size(numel, e->dtype == ST_F32 ? 4 : 8, &sizes[i]))
            return ptm_err(err, PTM_ERR_ARG, path, e->name, "st_write: tensor too large");
        if (!e->data && sizes[i])
            return ptm_err(err, PTM_ERR_ARG, path, e->name, "st_write: data is NULL");
    }
    if (n > 1) {
        const char **names = malloc(n * sizeof *names);
        if (!names) return ptm_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
        for (size_t i = 0; i < n; i++) names[i] = entries[i].name;
        qsort(names, n, sizeof *names, cmp_name_ptr);
        for (size_t i = 1; i < n; i++) {
            if (strcmp(names[i], names[i - 1]) == 0) {
                ptm_status st =
                    ptm_err(err, PTM_ERR_ARG, path, names[i], "st_write: duplicate tensor name");
                free(names);
                return st;
            }
        }
        free(names);
    }
    return PTM_OK;
}

/* Write nbytes of elements of elem_size (4 or 8) bytes in little-endian order. */
static int write_le(FILE *fp, const void *data, size_t nbytes, size_t elem_size) {
    if (nbytes == 0) return 0;
    if (ST_HOST_LE) return fwrite(data, 1, nbytes, fp) == nbytes ? 0 : -1;
    const unsigned char *s = data;
    unsigned char chunk[4096];
    size_t fill = 0;
    for (size_t off = 0; off < nbytes; off += elem_size) {
        uint64_t v;
        if (elem_size == 4) {
            uint32_t u;
            memcpy(&u, s + off, 4);
            v = u;
        } else {
            memcpy(&v, s + off, 8);
        }
        for (size_t k = 0; k < elem_size; k++) chunk[fill++] = (unsigned char)(v >> (8 * k));
        if (fill == sizeof chunk) {
            if (fwrite(chunk, 1, fill, fp) != fill) return -1;
            fill = 0;
        }
    }
    if (fill && fwrite(chunk, 1, fill, fp) != fill) return -1;
    return 0;
}

ptm_status st_write(const char *path, const st_write_entry *entries, size_t n, ptm_error *err) {
    if (!path || !path[0]) return ptm_err(err, PTM_ERR_ARG, path, NULL, "st_write: no path");
    if (!entries && n) return ptm_err(err, PTM_ERR_ARG, path, NULL, "st_write: entries is NULL");
    ptm_status st;
    size_t *sizes = calloc(n ? n : 1, sizeof *sizes);
    if (!sizes) return ptm_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    if ((st = check_entries(path, entries, n, sizes, err)) != PTM_OK) {
        free(sizes);
        return st;
    }

    /* Header JSON with offsets of the tensors laid out back to back. */
    strbuf h = {0};
    sb_str(&h, "{\"__metadata__\":{\"format\":\"pt\"}");
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        const st_write_entry *e = &entries[i];
        sb_str(&h, ",");
        sb_json_string(&h, e->name);
        sb_str(&h, e->dtype == ST_F32 ? ":{\"dtype\":\"F32\",\"shape\":["
                                      : ":{\"dtype\":\"I64\",\"shape\":[");
        for (int d = 0; d < e->ndim; d++) {
            if (d) sb_str(&h, ",");
            sb_u64(&h, (uint64_t)e->shape[d]);
        }
        sb_str(&h, "],\"data_offsets\":[");
        sb_u64(&h, offset);
        sb_str(&h, ",");
        if ((uint64_t)sizes[i] > UINT64_MAX - offset) h.oom = 1;
        offset += sizes[i];
        sb_u64(&h, offset);
        sb_str(&h, "]}");
    }
    sb_str(&h, "}");
    while (!h.oom && (8 + h.len) % 8 != 0) sb_str(&h, " ");
    free(sizes);
    if (h.oom) {
        free(h.p);
        return ptm_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory for the header");
    }
    if (h.len > ST_MAX_HEADER_BYTES) {
        free(h.p);
        return ptm_err(err, PTM_ERR_LIMIT, path, NULL,
                       "header would be %zu bytes, over the limit of %u", h.len,
                       ST_MAX_HEADER_BYTES);
    }

    size_t tl = strlen(path) + 64;
    char *tmp = malloc(tl);
    if (!tmp) {
        free(h.p);
        return ptm_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    }

    /* O_EXCL: never follow a link planted at the temporary name. The pid keeps processes
     * apart, the counter threads of one process writing the same path (a name that exists,
     * e.g. left by a crash, is skipped, never removed: it may be another writer's). */
    static atomic_ulong st_tmp_counter;
    int fd = -1;
    for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
        unsigned long k = atomic_fetch_add(&st_tmp_counter, 1UL);
        snprintf(tmp, tl, "%s.tmp.%ld.%lu", path, (long)getpid(), k);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int e = errno;
        st = ptm_err(err, PTM_ERR_IO, path, NULL, "cannot create %s: %s", tmp, strerror(e));
        free(tmp);
        free(h.p);
        return st;
    }
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        int e = errno;
        close(fd);
        unlink(tmp);
        st = ptm_err(err, PTM_ERR_IO, path, NULL, "cannot open %s: %s", tmp, strerror(e));
        free(tmp);
        free(h.p);
        return st;
    }
    unsigned char len8[8];
    put_le64(len8, (uint64_t)h.len);
    int bad = fwrite(len8, 1, 8, fp) != 8 || fwrite(h.p, 1, h.len, fp) != h.len;
    free(h.p);
    for (size_t i = 0; i < n && !bad; i++) {
        const st_write_entry *e = &entries[i];
        size_t es = e->dtype == ST_F32 ? 4 : 8, numel = 1;
        for (int d = 0; d < e->ndim; d++) numel *= (size_t)e->shape[d]; /* checked above */
        if (write_le(fp, e->data, numel * es, es) != 0) bad = 1;
    }
    const char *what = "write";
    if (!bad && fflush(fp) != 0) bad = 1;
    if (!bad && fsync(fileno(fp)) != 0) {
        bad = 1;
        what = "fsync";
    }
    int e = errno;
    if (fclose(fp) != 0 && !bad) {
        bad = 1;
        e = errno;
        what = "close";
    }
    if (!bad && rename(tmp, path) != 0) {
        e = errno;
        bad = 1;
        what = "rename";
    }
    if (bad) {
        unlink(tmp);
        st = ptm_err(err, PTM_ERR_IO, path, NULL, "%s of %s failed: %s", what, tmp, strerror(e));
        free(tmp);
        return st;
    }
    free(tmp);
    if (ptm_fsync_parent_dir(path) != 0) {
        e = errno;
        return ptm_err(err, PTM_ERR_IO, path, NULL,
                       "file written, but syncing its directory failed: %s", strerror(e));
    }
    return PTM_OK;
}
