/* safetensors.h - strict reader and atomic writer of the safetensors tensor file format.
 *
 * Layout: [8 bytes little-endian u64 N][N bytes JSON header, may end in padding spaces][data].
 * The header maps tensor name -> {"dtype", "shape", "data_offsets": [begin, end]} plus an
 * optional "__metadata__" object of string values; offsets count from the first data byte.
 *
 * Reading:
 *
 *     st_file f;
 *     ptm_error err;
 *     if (st_load("model.safetensors", &f, &err) != PTM_OK) return err.code;
 *     const st_tensor *t = st_find(&f, "head.base_forecast_block.weight");
 *     if (t && t->dtype == ST_F32) { float *w = malloc(t->numel * sizeof *w);
 *                                    st_to_f32(t, w, &err); ... }
 *     st_free(&f);
 *
 * Every layout problem (truncated file, bad JSON, unknown dtype, bad shape, offsets out of
 * range or overlapping, ...) is an error naming the file and the tensor. Tensors of dtypes other
 * than F32 / I64 load as ST_OTHER so callers can report them by dtype_name.
 *
 * Writing: st_write(path, entries, n, &err) writes F32 / I64 tensors contiguously in the given
 * order, with "__metadata__": {"format": "pt"} and the header padded to a multiple of 8,
 * atomically (temporary file, fsync, rename, fsync of the directory).
 */
#ifndef PTMI_IO_SAFETENSORS_H
#define PTMI_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "base/common.h"

#define ST_MAX_DIMS 8
/* Largest accepted JSON header, as in the reference implementation. */
#define ST_MAX_HEADER_BYTES 100000000u

/* for safetensors.c and safetensors_write.c */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) &&                                 \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ST_HOST_LE 1
#else
#define ST_HOST_LE 0 /* unknown or big endian: use the portable byte-by-byte paths */
#endif

#define ST_MAX_EXACT 9007199254740992.0 /* 2^53: largest integer a JSON number holds exactly */

typedef enum { ST_F32 = 0, ST_I64 = 1, ST_OTHER = 2 } st_dtype;

typedef struct {
    char *name;
    st_dtype dtype;
    char dtype_name[16]; /* as written, e.g. "F16" */
    int ndim;            /* 0..8; shape [] is a scalar with 1 element */
    int64_t shape[ST_MAX_DIMS];
    size_t numel;
    size_t nbytes;
    uint64_t offset;           /* of the first byte, from the start of the data section */
    const unsigned char *data; /* into buf when the file is in memory, else NULL; NOT
                                  necessarily aligned */
} st_tensor;

typedef struct {
    unsigned char *buf; /* the whole file (st_load, st_load_mem), or NULL (st_open) */
    size_t size;        /* of the file */
    uint64_t data_start;
    st_tensor *tensors; /* in header order */
    size_t count;
    int fd, fd_open; /* st_open: the file, kept open for st_read */
} st_file;

/* Open the file at path (ptmi_open_read: regular files only, never blocking), read its 8-byte
 * length and its header and validate them against the file's size before anything else is
 * allocated: a length over the file or over 100 MB is refused after reading 8 bytes, and the
 * tensors must fill the data section exactly (trailing bytes are PTM_ERR_FORMAT). The data is
 * not read: st_read reads one tensor. On error *out is zeroed; PTM_ERR_IO for open/read
 * failures, PTM_ERR_FORMAT for layout problems, PTM_ERR_LIMIT for a header over 100 MB. */
ptm_status st_open(const char *path, st_file *out, ptm_error *err);

/* Copy t's t->nbytes raw bytes (little-endian) into dst: from memory, or read from the open
 * file. path names the file in errors. */
ptm_status st_read(const st_file *f, const st_tensor *t, void *dst, const char *path,
                   ptm_error *err);
/* Where element (r, c) of a 2-D tensor [R, C] lies in memory laid out another way (NULL in an
 * st_write_entry: as in the file, row-major). */
typedef size_t (*st_index_fn)(size_t r, size_t c, size_t R, size_t C);
/* st_read of a 2-D F32 tensor [R, C] into dst in another layout: dst[map(r, c, R, C)] = t[r, c],
 * in chunks of a few kilobytes, so that no second copy of the tensor is ever held. */
ptm_status st_read_mapped(const st_file *f, const st_tensor *t, float *dst, st_index_fn map,
                          const char *path, ptm_error *err);
/* the transposed layout ([C, R]: c R + r), and st_read_mapped into it */
size_t st_index_transposed(size_t r, size_t c, size_t R, size_t C);
ptm_status st_read_transposed(const st_file *f, const st_tensor *t, float *dst, const char *path,
                              ptm_error *err);

/* st_open, then read the whole (validated) file into memory; tensors point into it. */
ptm_status st_load(const char *path, st_file *out, ptm_error *err);

/* The same on an in-memory buffer, which is copied (the caller keeps ownership of buf). */
ptm_status st_load_mem(const unsigned char *buf, size_t size, const char *name_for_errors,
                       st_file *out, ptm_error *err);

/* Release everything and zero *f; safe on a zeroed st_file and on NULL. */
void st_free(st_file *f);

/* The tensor called name, or NULL. */
const st_tensor *st_find(const st_file *f, const char *name);

/* Convert a tensor to t->numel floats in dst: F32 is copied, I64 converted (rounded to the
 * nearest float). ST_OTHER -> PTM_ERR_TENSOR naming the dtype. */
ptm_status st_to_f32(const st_tensor *t, float *dst, ptm_error *err);

typedef struct {
    const char *name;
    st_dtype dtype; /* ST_F32 or ST_I64 */
    int ndim;       /* 0..8 */
    int64_t shape[ST_MAX_DIMS];
    const void *data; /* numel elements in host order; may be NULL when numel is 0 */
    st_index_fn map;  /* NULL, or 2-D F32 only: data holds element (r, c) at map(r, c, R, C)
                       * (st_index_transposed: the tensor transposed, [shape[1], shape[0]]) */
} st_write_entry;

/* Write entries to path atomically. Bad entries (NULL or duplicate or invalid UTF-8 name,
 * "__metadata__", dtype, ndim, negative shape, NULL data) -> PTM_ERR_ARG before anything is
 * written; I/O failures -> PTM_ERR_IO naming the path and the system error, with the temporary
 * file removed. */
ptm_status st_write(const char *path, const st_write_entry *entries, size_t n, ptm_error *err);

#endif
