/* safetensors_write.c - atomic safetensors writer (st_write): F32 / I64 tensors laid out back
 * to back after a JSON header, written through the library's atomic writer (file_writer.c). It
 * emits what the reader (safetensors.c) and the Python `safetensors` package accept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "io/json.h"
#include "io/safetensors.h"

static void put_le64(unsigned char *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
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
            return ptmi_err(err, PTM_ERR_ARG, path, NULL, "st_write: entry %zu has no name", i);
        if (!json_utf8_valid(e->name, strlen(e->name)))
            return ptmi_err(err, PTM_ERR_ARG, path, NULL,
                            "st_write: name of entry %zu is not valid UTF-8", i);
        if (strcmp(e->name, "__metadata__") == 0)
            return ptmi_err(err, PTM_ERR_ARG, path, e->name, "st_write: reserved tensor name");
        if (e->dtype != ST_F32 && e->dtype != ST_I64)
            return ptmi_err(err, PTM_ERR_ARG, path, e->name,
                            "st_write: dtype %d, expected ST_F32 or ST_I64", (int)e->dtype);
        if (e->ndim < 0 || e->ndim > ST_MAX_DIMS)
            return ptmi_err(err, PTM_ERR_ARG, path, e->name, "st_write: ndim %d, expected 0..%d",
                            e->ndim, ST_MAX_DIMS);
        size_t numel = 1;
        for (int d = 0; d < e->ndim; d++) {
            if (e->shape[d] < 0 || (double)e->shape[d] >= ST_MAX_EXACT ||
                (uint64_t)e->shape[d] > SIZE_MAX ||
                ptmi_mul_size(numel, (size_t)e->shape[d], &numel))
                return ptmi_err(err, PTM_ERR_ARG, path, e->name,
                                "st_write: invalid shape[%d] = %lld", d, (long long)e->shape[d]);
        }
        if (ptmi_mul_size(numel, e->dtype == ST_F32 ? 4 : 8, &sizes[i]))
            return ptmi_err(err, PTM_ERR_ARG, path, e->name, "st_write: tensor too large");
        if (!e->data && sizes[i])
            return ptmi_err(err, PTM_ERR_ARG, path, e->name, "st_write: data is NULL");
        if (e->map && (e->dtype != ST_F32 || e->ndim != 2))
            return ptmi_err(err, PTM_ERR_ARG, path, e->name,
                            "st_write: only a 2-D F32 tensor can be stored in another layout");
    }
    if (n > 1) {
        const char **names = malloc(n * sizeof *names);
        if (!names) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
        for (size_t i = 0; i < n; i++) names[i] = entries[i].name;
        qsort(names, n, sizeof *names, cmp_name_ptr);
        for (size_t i = 1; i < n; i++) {
            if (strcmp(names[i], names[i - 1]) == 0) {
                ptm_status st =
                    ptmi_err(err, PTM_ERR_ARG, path, names[i], "st_write: duplicate tensor name");
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

/* Write the [rows, cols] F32 tensor whose data holds element (r, c) at map(r, c, rows, cols)
 * (transposed, or packed), row by row through a small buffer. */
static int write_mapped(FILE *fp, const float *data, st_index_fn map, size_t rows, size_t cols) {
    float chunk[2048];
    size_t fill = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            chunk[fill++] = data[map(r, c, rows, cols)];
            if (fill == 2048) {
                if (write_le(fp, chunk, sizeof chunk, 4) != 0) return -1;
                fill = 0;
            }
        }
    return write_le(fp, chunk, fill * 4, 4);
}

/* Header JSON with the offsets of the tensors laid out back to back, padded with spaces so that
 * the data starts at a multiple of 8 bytes. On failure h is freed. */
static ptm_status build_header(const char *path, const st_write_entry *entries, size_t n,
                               const size_t *sizes, ptmi_strbuf *h, ptm_error *err) {
    ptmi_sb_add(h, "{\"__metadata__\":{\"format\":\"pt\"}");
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        const st_write_entry *e = &entries[i];
        ptmi_sb_add(h, ",");
        ptmi_sb_json_string(h, e->name);
        ptmi_sb_add(h, e->dtype == ST_F32 ? ":{\"dtype\":\"F32\",\"shape\":["
                                          : ":{\"dtype\":\"I64\",\"shape\":[");
        for (int d = 0; d < e->ndim; d++) {
            if (d) ptmi_sb_add(h, ",");
            ptmi_sb_u64(h, (uint64_t)e->shape[d]);
        }
        ptmi_sb_add(h, "],\"data_offsets\":[");
        ptmi_sb_u64(h, offset);
        ptmi_sb_add(h, ",");
        if ((uint64_t)sizes[i] > UINT64_MAX - offset) h->oom = 1;
        offset += sizes[i];
        ptmi_sb_u64(h, offset);
        ptmi_sb_add(h, "]}");
    }
    ptmi_sb_add(h, "}");
    while (!h->oom && (8 + h->len) % 8 != 0) ptmi_sb_add(h, " ");
    if (h->oom) {
        free(h->p);
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory for the header");
    }
    if (h->len > ST_MAX_HEADER_BYTES) {
        free(h->p);
        return ptmi_err(err, PTM_ERR_LIMIT, path, NULL,
                        "header would be %zu bytes, over the limit of %u", h->len,
                        ST_MAX_HEADER_BYTES);
    }
    return PTM_OK;
}

/* Every tensor's data after the header, in the order of the entries. */
static int write_tensors(FILE *fp, const st_write_entry *entries, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const st_write_entry *e = &entries[i];
        size_t es = e->dtype == ST_F32 ? 4 : 8, numel = 1;
        for (int d = 0; d < e->ndim; d++) numel *= (size_t)e->shape[d]; /* checked above */
        if (e->map
                ? write_mapped(fp, e->data, e->map, (size_t)e->shape[0], (size_t)e->shape[1]) != 0
                : write_le(fp, e->data, numel * es, es) != 0)
            return -1;
    }
    return 0;
}

ptm_status st_write(const char *path, const st_write_entry *entries, size_t n, ptm_error *err) {
    if (!path || !path[0]) return ptmi_err(err, PTM_ERR_ARG, path, NULL, "st_write: no path");
    if (!entries && n) return ptmi_err(err, PTM_ERR_ARG, path, NULL, "st_write: entries is NULL");
    size_t *sizes = calloc(n ? n : 1, sizeof *sizes);
    if (!sizes) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    ptmi_strbuf h = {0};
    ptm_status st = check_entries(path, entries, n, sizes, err);
    if (st == PTM_OK) st = build_header(path, entries, n, sizes, &h, err);
    free(sizes);
    if (st != PTM_OK) return st;

    ptm_file_writer *w = NULL;
    st = ptm_file_writer_open(path, &w, err);
    if (st != PTM_OK) {
        free(h.p);
        return st;
    }
    FILE *fp = ptm_file_writer_stream(w);
    unsigned char len8[8];
    put_le64(len8, (uint64_t)h.len);
    int bad = fwrite(len8, 1, 8, fp) != 8 || fwrite(h.p, 1, h.len, fp) != h.len;
    free(h.p);
    if (!bad && write_tensors(fp, entries, n) != 0) bad = 1;
    if (bad) {
        int e = errno ? errno : EIO;
        ptm_file_writer_abort(w);
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot write: %s", strerror(e));
    }
    return ptm_file_writer_commit(w, err);
}
