/* safetensors_write.c - atomic safetensors writer (st_write): F32 / I64 tensors laid out back
 * to back after a JSON header, written to a temporary file that is fsynced and renamed over the
 * target. It emits what the reader (safetensors.c) and the Python `safetensors` package accept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "io/json.h"
#include "io/safetensors.h"

static void put_le64(unsigned char *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
}

/* A JSON string literal for s (valid UTF-8, checked by the caller). */
static void sb_json_string(ptmi_strbuf *b, const char *s) {
    ptmi_sb_addn(b, "\"", 1);
    for (const char *c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u == '"' || u == '\\') {
            char e[2] = {'\\', (char)u};
            ptmi_sb_addn(b, e, 2);
        } else if (u < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", (unsigned)u);
            ptmi_sb_addn(b, e, 6);
        } else {
            ptmi_sb_addn(b, c, 1);
        }
    }
    ptmi_sb_addn(b, "\"", 1);
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

/* Header JSON with the offsets of the tensors laid out back to back, padded with spaces so that
 * the data starts at a multiple of 8 bytes. On failure h is freed. */
static ptm_status build_header(const char *path, const st_write_entry *entries, size_t n,
                               const size_t *sizes, ptmi_strbuf *h, ptm_error *err) {
    ptmi_sb_add(h, "{\"__metadata__\":{\"format\":\"pt\"}");
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        const st_write_entry *e = &entries[i];
        ptmi_sb_add(h, ",");
        sb_json_string(h, e->name);
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

/* Create a new temporary file beside path; *tmp_out is its name (the caller frees it).
 * O_EXCL: never follow a link planted at the temporary name. The pid keeps processes apart, the
 * counter threads of one process writing the same path (a name that exists, e.g. left by a
 * crash, is skipped, never removed: it may be another writer's). */
static ptm_status open_temp(const char *path, char **tmp_out, FILE **fp_out, ptm_error *err) {
    size_t tl = strlen(path) + 64;
    char *tmp = malloc(tl);
    if (!tmp) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    static atomic_ulong st_tmp_counter;
    int fd = -1;
    for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
        unsigned long k = atomic_fetch_add(&st_tmp_counter, 1UL);
        snprintf(tmp, tl, "%s.tmp.%ld.%lu", path, (long)getpid(), k);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    ptm_status st;
    if (fd < 0) {
        int e = errno;
        st = ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot create %s: %s", tmp, strerror(e));
        free(tmp);
        return st;
    }
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        int e = errno;
        close(fd);
        unlink(tmp);
        st = ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot open %s: %s", tmp, strerror(e));
        free(tmp);
        return st;
    }
    *tmp_out = tmp;
    *fp_out = fp;
    return PTM_OK;
}

/* Every tensor's data after the header, in the order of the entries. */
static int write_tensors(FILE *fp, const st_write_entry *entries, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const st_write_entry *e = &entries[i];
        size_t es = e->dtype == ST_F32 ? 4 : 8, numel = 1;
        for (int d = 0; d < e->ndim; d++) numel *= (size_t)e->shape[d]; /* checked above */
        if (write_le(fp, e->data, numel * es, es) != 0) return -1;
    }
    return 0;
}

/* Flush, fsync and close fp (always closed), then rename tmp over path and sync the folder;
 * bad: writing already failed (errno tells why). On failure tmp is removed. */
static ptm_status commit_temp(const char *path, const char *tmp, FILE *fp, int bad,
                              ptm_error *err) {
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
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "%s of %s failed: %s", what, tmp, strerror(e));
    }
    if (ptmi_fsync_parent_dir(path) != 0) {
        e = errno;
        return ptmi_err(err, PTM_ERR_IO, path, NULL,
                        "file written, but syncing its directory failed: %s", strerror(e));
    }
    return PTM_OK;
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

    char *tmp = NULL;
    FILE *fp = NULL;
    st = open_temp(path, &tmp, &fp, err);
    if (st != PTM_OK) {
        free(h.p);
        return st;
    }
    unsigned char len8[8];
    put_le64(len8, (uint64_t)h.len);
    int bad = fwrite(len8, 1, 8, fp) != 8 || fwrite(h.p, 1, h.len, fp) != h.len;
    free(h.p);
    if (!bad && write_tensors(fp, entries, n) != 0) bad = 1;
    st = commit_temp(path, tmp, fp, bad, err);
    free(tmp);
    return st;
}
