/* safetensors.c - strict safetensors reader (st_load, st_load_mem, st_find, st_to_f32); the
 * writer is in safetensors_write.c.
 *
 * st_open reads the 8-byte length and the header only, after checking them against the file's
 * size, and keeps the file open: st_read then reads each tensor's bytes straight into the
 * caller's memory, so a model is never held twice. st_load and st_load_mem keep the whole file
 * in memory (tensors point into that buffer). Each validates the header completely before
 * returning (see safetensors.h for the checks), so callers only have to check names, dtypes and
 * shapes.
 */
#include "io/safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/json.h"

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
        return ptmi_err(err, PTM_ERR_FORMAT, file, "__metadata__",
                        "header entry __metadata__ is a JSON %s, expected an object of strings",
                        json_type_name(md->type));
    }
    for (size_t i = 0; i < md->count; i++) {
        if (md->items[i].type != JSON_STRING) {
            return ptmi_err(err, PTM_ERR_FORMAT, file, "__metadata__",
                            "__metadata__ value of \"%.100s\" is a JSON %s, expected a string",
                            md->keys[i], json_type_name(md->items[i].type));
        }
    }
    return PTM_OK;
}

/* An entry's shape: t->ndim, shape, numel and nbytes (di->size bytes per element), and the shape
 * as text in shape_str for later messages. */
static ptm_status parse_shape(const json_value *js, const dtype_info *di, const char *file,
                              const char *name, st_tensor *t, char *shape_str, size_t shape_n,
                              ptm_error *err) {
    if (js->type != JSON_ARRAY) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                        "shape is a JSON %s, expected an array of non-negative integers",
                        json_type_name(js->type));
    }
    if (js->count > ST_MAX_DIMS) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
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
            return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                            "shape[%d] is %s, expected a non-negative integer < 2^53", d, found);
        }
        t->shape[d] = (int64_t)dim;
        if (dim > SIZE_MAX || ptmi_mul_size(numel, (size_t)dim, &numel)) overflow = 1;
    }
    format_shape(shape_str, shape_n, t->shape, t->ndim);
    size_t nbytes = 0;
    if (overflow || ptmi_mul_size(numel, di->size, &nbytes)) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                        "shape %s of %s has more bytes than fit in memory (size overflow)",
                        shape_str, di->name);
    }
    t->numel = numel;
    t->nbytes = nbytes;
    return PTM_OK;
}

/* Validate one header entry and fill *t; the data offsets go to *sp. */
static ptm_status parse_entry(uint64_t data_size, const char *name, const json_value *e,
                              const char *file, st_tensor *t, span *sp, ptm_error *err) {
    if (e->type != JSON_OBJECT) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
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
            return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                            "unknown key \"%.100s\" in tensor entry, expected only dtype, shape "
                            "and data_offsets",
                            k);
        }
    }
    const char *missing = !jd ? "dtype" : !js ? "shape" : !jo ? "data_offsets" : NULL;
    if (missing)
        return ptmi_err(err, PTM_ERR_FORMAT, file, name, "tensor entry has no \"%s\"", missing);

    /* dtype */
    if (jd->type != JSON_STRING) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name, "dtype is a JSON %s, expected a string",
                        json_type_name(jd->type));
    }
    const dtype_info *di = find_dtype(jd->string);
    if (!di) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                        "unknown dtype \"%.40s\", expected one of F64, F32, F16, BF16, I64, I32, "
                        "I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2",
                        jd->string);
    }
    t->dtype = di->dtype;
    snprintf(t->dtype_name, sizeof t->dtype_name, "%s", di->name);

    char shape_str[200];
    ptm_status st = parse_shape(js, di, file, name, t, shape_str, sizeof shape_str, err);
    if (st != PTM_OK) return st;
    const size_t nbytes = t->nbytes;

    /* data_offsets */
    uint64_t off[2];
    if (jo->type != JSON_ARRAY || jo->count != 2 || get_count(&jo->items[0], &off[0]) ||
        get_count(&jo->items[1], &off[1])) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                        "data_offsets must be an array of two non-negative integers [begin, end]");
    }
    if (off[0] > off[1]) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                        "data_offsets [%llu, %llu]: begin is after end", (unsigned long long)off[0],
                        (unsigned long long)off[1]);
    }
    if (off[1] - off[0] != (uint64_t)nbytes) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                        "data_offsets [%llu, %llu] span %llu bytes, expected %zu for shape %s of "
                        "%s (%zu bytes each)",
                        (unsigned long long)off[0], (unsigned long long)off[1],
                        (unsigned long long)(off[1] - off[0]), nbytes, shape_str, di->name,
                        di->size);
    }
    if (off[1] > data_size) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, name,
                        "data_offsets [%llu, %llu] out of range: the data section has %llu bytes",
                        (unsigned long long)off[0], (unsigned long long)off[1],
                        (unsigned long long)data_size);
    }
    t->offset = off[0];
    sp->begin = off[0];
    sp->end = off[1];
    return PTM_OK;
}

/* The header length n64 read from the first 8 bytes of a file of file_size bytes. */
static ptm_status check_length(uint64_t n64, uint64_t file_size, const char *file, ptm_error *err) {
    if (n64 == 0)
        return ptmi_err(err, PTM_ERR_FORMAT, file, NULL, "header length is 0, expected > 0");
    if (n64 > file_size - 8) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, NULL,
                        "header length %llu larger than the file (%llu bytes)",
                        (unsigned long long)n64, (unsigned long long)file_size);
    }
    if (n64 > ST_MAX_HEADER_BYTES) {
        return ptmi_err(err, PTM_ERR_LIMIT, file, NULL,
                        "header length %llu is over the limit of %u bytes", (unsigned long long)n64,
                        ST_MAX_HEADER_BYTES);
    }
    return PTM_OK;
}

/* Validate the JSON header hdr[0..hlen) of a file whose data section has data_size bytes and
 * fill f->tensors (offsets only). The tensors must end exactly where the file ends: trailing
 * bytes are refused, so a file is never longer than its header says. On error the caller
 * frees f. */
static ptm_status parse_header(st_file *f, const unsigned char *hdr, size_t hlen,
                               uint64_t data_size, const char *file, ptm_error *err) {
    json_value *root = NULL;
    ptm_status st = json_parse((const char *)hdr, hlen, file, &root, err);
    if (st != PTM_OK) {
        if (err && !err->field[0]) snprintf(err->field, sizeof err->field, "header");
        return st;
    }
    span *spans = NULL;
    if (root->type != JSON_OBJECT) {
        st = ptmi_err(err, PTM_ERR_FORMAT, file, "header",
                      "header is a JSON %s, expected an object", json_type_name(root->type));
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
        st = ptmi_err(err, PTM_ERR_NOMEM, file, NULL, "out of memory for %zu tensors", ntensors);
        goto done;
    }
    for (size_t i = 0; i < root->count; i++) {
        const char *name = root->keys[i];
        if (strcmp(name, "__metadata__") == 0) continue;
        st_tensor *t = &f->tensors[f->count];
        size_t nl = strlen(name);
        t->name = malloc(nl + 1);
        if (!t->name) {
            st = ptmi_err(err, PTM_ERR_NOMEM, file, name, "out of memory");
            goto done;
        }
        memcpy(t->name, name, nl + 1);
        f->count++;
        span *sp = &spans[f->count - 1];
        sp->index = f->count - 1;
        st = parse_entry(data_size, name, &root->items[i], file, t, sp, err);
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
            st = ptmi_err(err, PTM_ERR_FORMAT, file, f->tensors[b->index].name,
                          "data_offsets [%llu, %llu] overlap those of tensor \"%.200s\" "
                          "[%llu, %llu]",
                          (unsigned long long)b->begin, (unsigned long long)b->end,
                          f->tensors[a->index].name, (unsigned long long)a->begin,
                          (unsigned long long)a->end);
            goto done;
        }
    }
    uint64_t data_end = nspans ? spans[nspans - 1].end : 0;
    for (size_t i = 0; i < nspans; i++)
        if (spans[i].end > data_end) data_end = spans[i].end;
    if (data_end != data_size) {
        st = ptmi_err(err, PTM_ERR_FORMAT, file, NULL,
                      "the data section has %llu bytes but the header's tensors end at byte "
                      "%llu: %llu trailing bytes the header does not describe",
                      (unsigned long long)data_size, (unsigned long long)data_end,
                      (unsigned long long)(data_size - data_end));
        goto done;
    }
    st = PTM_OK;
done:
    free(spans);
    json_free(root);
    return st;
}

/* Validate a whole file held in f->buf[0..f->size) and point the tensors into it. */
static ptm_status parse_file(st_file *f, const char *file, ptm_error *err) {
    if (f->size < 8) {
        return ptmi_err(err, PTM_ERR_FORMAT, file, NULL,
                        "file is %zu bytes, too short for the 8-byte header length", f->size);
    }
    uint64_t n64 = get_le64(f->buf);
    ptm_status st = check_length(n64, f->size, file, err);
    if (st != PTM_OK) return st;
    f->data_start = 8 + n64;
    st = parse_header(f, f->buf + 8, (size_t)n64, f->size - f->data_start, file, err);
    if (st != PTM_OK) return st;
    for (size_t i = 0; i < f->count; i++)
        f->tensors[i].data = f->buf + f->data_start + f->tensors[i].offset;
    return PTM_OK;
}

ptm_status st_load_mem(const unsigned char *buf, size_t size, const char *name_for_errors,
                       st_file *out, ptm_error *err) {
    const char *file = name_for_errors ? name_for_errors : "<memory>";
    if (!out) return ptmi_err(err, PTM_ERR_ARG, file, NULL, "st_load_mem: out is NULL");
    memset(out, 0, sizeof *out);
    if (!buf && size) return ptmi_err(err, PTM_ERR_ARG, file, NULL, "st_load_mem: buf is NULL");
    out->buf = malloc(size ? size : 1);
    if (!out->buf)
        return ptmi_err(err, PTM_ERR_NOMEM, file, NULL, "cannot allocate %zu bytes", size);
    if (size) memcpy(out->buf, buf, size);
    out->size = size;
    ptm_status st = parse_file(out, file, err);
    if (st != PTM_OK) st_free(out);
    return st;
}

/* Read the 8-byte length and the header of the open file f->fd of file_size bytes. */
static ptm_status open_header(st_file *f, uint64_t file_size, const char *path, ptm_error *err) {
    if (file_size < 8) {
        return ptmi_err(err, PTM_ERR_FORMAT, path, NULL,
                        "file is %llu bytes, too short for the 8-byte header length",
                        (unsigned long long)file_size);
    }
    unsigned char len8[8];
    if (ptmi_pread_full(f->fd, len8, 8, 0) != 0)
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot read the header length: %s",
                        errno ? strerror(errno) : "the file shrank while it was read");
    uint64_t n64 = get_le64(len8);
    ptm_status st = check_length(n64, file_size, path, err);
    if (st != PTM_OK) return st;
    size_t hlen = (size_t)n64;
    unsigned char *hdr = malloc(hlen);
    if (!hdr)
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "cannot allocate the %zu-byte header",
                        hlen);
    if (ptmi_pread_full(f->fd, hdr, hlen, 8) != 0) {
        st = ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot read the %zu-byte header: %s", hlen,
                      errno ? strerror(errno) : "the file shrank while it was read");
    } else {
        f->data_start = 8 + n64;
        st = parse_header(f, hdr, hlen, file_size - f->data_start, path, err);
    }
    free(hdr);
    return st;
}

ptm_status st_open(const char *path, st_file *out, ptm_error *err) {
    if (!out || !path) return ptmi_err(err, PTM_ERR_ARG, path, NULL, "st_open: NULL argument");
    memset(out, 0, sizeof *out);
    int fd;
    struct stat sb;
    ptm_status st = ptmi_open_read(path, &fd, &sb, err);
    if (st != PTM_OK) return st;
    out->fd = fd;
    out->fd_open = 1;
    if ((uint64_t)sb.st_size >= (uint64_t)SIZE_MAX) {
        st = ptmi_err(err, PTM_ERR_LIMIT, path, NULL, "file is %lld bytes, more than fit in memory",
                      (long long)sb.st_size);
    } else {
        out->size = (size_t)sb.st_size;
        st = open_header(out, (uint64_t)sb.st_size, path, err);
    }
    if (st != PTM_OK) st_free(out);
    return st;
}

ptm_status st_read(const st_file *f, const st_tensor *t, void *dst, const char *path,
                   ptm_error *err) {
    if (!f || !t || (!dst && t->nbytes))
        return ptmi_err(err, PTM_ERR_ARG, path, NULL, "st_read: NULL argument");
    if (t->nbytes == 0) return PTM_OK;
    if (t->data) {
        memcpy(dst, t->data, t->nbytes);
        return PTM_OK;
    }
    if (!f->fd_open)
        return ptmi_err(err, PTM_ERR_ARG, path, t->name, "st_read: the file is not open");
    if (ptmi_pread_full(f->fd, dst, t->nbytes, f->data_start + t->offset) != 0)
        return ptmi_err(err, PTM_ERR_IO, path, t->name, "cannot read %zu bytes: %s", t->nbytes,
                        errno ? strerror(errno) : "the file shrank while it was read");
    return PTM_OK;
}

size_t st_index_transposed(size_t r, size_t c, size_t R, size_t C) {
    (void)C;
    return c * R + r;
}

ptm_status st_read_transposed(const st_file *f, const st_tensor *t, float *dst, const char *path,
                              ptm_error *err) {
    return st_read_mapped(f, t, dst, st_index_transposed, path, err);
}

ptm_status st_read_mapped(const st_file *f, const st_tensor *t, float *dst, st_index_fn map,
                          const char *path, ptm_error *err) {
    if (!f || !t || !map || (!dst && t->nbytes))
        return ptmi_err(err, PTM_ERR_ARG, path, NULL, "st_read_mapped: NULL argument");
    if (t->dtype != ST_F32 || t->ndim != 2)
        return ptmi_err(err, PTM_ERR_ARG, path, t->name, "st_read_mapped: not a 2-D F32 tensor");
    if (!t->data && !f->fd_open)
        return ptmi_err(err, PTM_ERR_ARG, path, t->name, "st_read: the file is not open");
    size_t rows = (size_t)t->shape[0], cols = (size_t)t->shape[1], n = t->numel;
    float chunk[2048];
    size_t r = 0, c = 0; /* of element i */
    for (size_t i = 0; i < n;) {
        size_t len = n - i < 2048 ? n - i : 2048;
        if (t->data) {
            memcpy(chunk, (const unsigned char *)t->data + i * 4, len * 4);
        } else if (ptmi_pread_full(f->fd, chunk, len * 4, f->data_start + t->offset + i * 4) != 0) {
            return ptmi_err(err, PTM_ERR_IO, path, t->name, "cannot read %zu bytes: %s", t->nbytes,
                            errno ? strerror(errno) : "the file shrank while it was read");
        }
        for (size_t j = 0; j < len; j++, i++) {
            dst[map(r, c, rows, cols)] = chunk[j];
            if (++c == cols) c = 0, r++;
        }
    }
    return PTM_OK;
}

ptm_status st_load(const char *path, st_file *out, ptm_error *err) {
    ptm_status st = st_open(path, out, err);
    if (st != PTM_OK) return st;
    /* the header is valid and the file is exactly as long as it says: read it whole */
    out->buf = malloc(out->size);
    if (!out->buf) {
        st = ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "cannot allocate %zu bytes", out->size);
    } else if (ptmi_pread_full(out->fd, out->buf, out->size, 0) != 0) {
        st = ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot read its %zu bytes: %s", out->size,
                      errno ? strerror(errno) : "the file shrank while it was read");
    } else {
        for (size_t i = 0; i < out->count; i++)
            out->tensors[i].data = out->buf + out->data_start + out->tensors[i].offset;
    }
    if (st != PTM_OK) st_free(out);
    return st;
}

void st_free(st_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->count; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->buf);
    if (f->fd_open) close(f->fd);
    memset(f, 0, sizeof *f);
}

const st_tensor *st_find(const st_file *f, const char *name) {
    if (!f || !name) return NULL;
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

ptm_status st_to_f32(const st_tensor *t, float *dst, ptm_error *err) {
    if (!t) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "st_to_f32: tensor is NULL");
    if (!dst && t->numel)
        return ptmi_err(err, PTM_ERR_ARG, NULL, t->name, "st_to_f32: destination is NULL");
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
    return ptmi_err(err, PTM_ERR_TENSOR, NULL, t->name,
                    "dtype %s, expected F32 (or I64 converted to float)", t->dtype_name);
}
