/* data.h - data pipeline for training and evaluating PatchTSMixer: the standard long-horizon
 * forecasting splits, a per-channel standard scaler, stride-1 sliding windows with seeded
 * shuffling, and a reader for UEA (classification) / Monash TSER (regression) .ts files.
 *
 * Forecasting (the protocol of Informer/PatchTST/granite-tsfm, see shared/data/README.md):
 *
 *     ptm_split sp;
 *     ptm_split_kind kind = ptm_split_kind_from_name("data/ETTh1.csv");   // hourly ETT
 *     if (ptm_split_make(kind, t.nrows, 512, 96, &sp, &err) != PTM_OK) { ... }
 *     ptm_std_scaler sc;
 *     ptm_scaler_fit(&sc, t.values, t.observed, t.nrows, (int)t.ncols, sp.train_begin,
 *                    sp.train_end, &err);                  // train rows only
 *     ptm_scaler_transform(&sc, t.values, t.observed, t.nrows);   // every row, in place
 *     ptm_windows w;
 *     ptm_windows_init(&w, t.values, t.observed, t.nrows, (int)t.ncols, 512, 96,
 *                      sp.train_begin, sp.train_end, &err);
 *     for (int epoch = 0; ...; epoch++) {
 *         ptm_windows_shuffle(&w, seed, epoch);
 *         for (size_t s = 0; s < w.count; s += B) {
 *             size_t n = ptm_windows_batch(&w, s, B, past, past_obs, future, NULL);
 *             ...
 *         }
 *     }
 *     ptm_windows_free(&w);
 *     ptm_scaler_free(&sc);
 *
 * Classification / regression:
 *
 *     ptm_ts_dataset tr, te;
 *     ptm_ts_load("BasicMotions_TRAIN.ts", 0, &tr, &err);           // length = longest series
 *     ptm_ts_load_with_classes("BasicMotions_TEST.ts", tr.length, &tr, &te, &err);
 *     ... tr.values [ncases, length, nchannels], tr.labels or tr.targets ...
 *     ptm_ts_free(&te);
 *     ptm_ts_free(&tr);
 *
 * Nothing here prints or exits; every fallible call returns ptm_status and fills *err
 * (may be NULL). On failure the output struct is left zeroed (nothing to free).
 */
#ifndef PTM_TRAIN_DATA_H
#define PTM_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "patchtsmixer.h"

/* ---------------------------------------------------------------- splits */

typedef enum { PTM_SPLIT_ETT_HOURLY, PTM_SPLIT_ETT_MINUTE, PTM_SPLIT_CUSTOM } ptm_split_kind;

/* Half-open row ranges; val_begin and test_begin are already moved back by context_length so
 * that the first forecast target of val (test) is the first row of that segment proper. */
typedef struct {
    size_t train_begin, train_end, val_begin, val_end, test_begin, test_end;
} ptm_split;

/* Kind from the base name of a path (directories are ignored): a name starting with "ETTh"
 * -> hourly ETT, "ETTm" -> 15-minute ETT, anything else (or NULL) -> custom. Case-sensitive. */
ptm_split_kind ptm_split_kind_from_name(const char *path);

/* The standard borders:
 *   ETT hourly: train [0, 8640), val [8640-L, 11520), test [11520-L, 14400)
 *   ETT minute: the same times 4: train [0, 34560), val [34560-L, 46080), test [46080-L, 57600)
 *   custom:     num_train = int(0.7 n), num_test = int(0.2 n), num_val = n - num_train - num_test;
 *               train [0, num_train), val [num_train-L, num_train+num_val), test [n-num_test-L, n)
 * Segment ends beyond nrows are clipped to nrows, as Python slicing does in the reference
 * loaders. PTM_ERR_ARG when L or H < 1; PTM_ERR_INPUT (err->field names "train", "val" or
 * "test") when a segment would start before row 0 or has fewer than L + H rows (no window). */
ptm_status ptm_split_make(ptm_split_kind kind, size_t nrows, int context_length,
                          int prediction_length, ptm_split *out, ptm_error *err);

/* ---------------------------------------------------------------- scaler */

typedef struct {
    int ncols;
    float *mean; /* [ncols] */
    float *std;  /* [ncols] */
} ptm_std_scaler;

/* sklearn StandardScaler fitted on rows [begin, end) of values [nrows, ncols], using only the
 * observed cells (observed may be NULL = all observed). Statistics are accumulated in double;
 * the variance is the population one (ddof 0) with sklearn's correction term. A constant column
 * (sklearn's test: var <= n*eps*var + (n*mean*eps)^2) gets std 1; a column without any observed
 * cell gets mean 0 and std 1. PTM_ERR_ARG for bad ranges; PTM_ERR_NOMEM. On failure *s is
 * zeroed. */
ptm_status ptm_scaler_fit(ptm_std_scaler *s, const float *values, const float *observed,
                          size_t nrows, int ncols, size_t begin, size_t end, ptm_error *err);
/* In place over all nrows rows of [nrows, s->ncols]: (x - mean) / std computed in double;
 * cells with observed == 0 are set to 0. observed may be NULL. */
void ptm_scaler_transform(const ptm_std_scaler *s, float *values, const float *observed,
                          size_t nrows);
/* In place x * std + mean over [count_rows, ncols]; output column j uses scaler column cols[j]
 * (cols NULL = identity). Columns that map outside [0, s->ncols) are left unchanged. */
void ptm_scaler_inverse(const ptm_std_scaler *s, float *values, size_t count_rows, int ncols,
                        const int *cols);
void ptm_scaler_free(ptm_std_scaler *s); /* zeroes *s; safe on a zeroed scaler and NULL */

/* ---------------------------------------------------------------- windows */

/* Sliding windows (stride 1) over a row segment [begin, end) of a [nrows, ncols] series:
 * window i has past rows [begin+i, begin+i+L) and future rows [begin+i+L, begin+i+L+H);
 * count = end - begin - L - H + 1. */
typedef struct {
    const float *values;   /* [nrows, ncols], not owned */
    const float *observed; /* [nrows, ncols] or NULL (all observed), not owned */
    size_t nrows;
    int ncols;
    int L, H;
    size_t begin, count;
    size_t *order; /* permutation of [0, count) */
} ptm_windows;

/* PTM_ERR_ARG for NULL values, ncols < 1, L or H < 1, or begin > end or end > nrows;
 * PTM_ERR_INPUT when the segment is shorter than L + H; PTM_ERR_NOMEM. order starts as the
 * identity. On failure *w is zeroed. */
ptm_status ptm_windows_init(ptm_windows *w, const float *values, const float *observed,
                            size_t nrows, int ncols, int L, int H, size_t begin, size_t end,
                            ptm_error *err);
/* Reset order to the identity, then Fisher-Yates (i from count-1 down to 1, j uniform in
 * [0, i]) with a ptm_rng seeded by splitmix64_mix(seed ^ (epoch * 0xD1B54A32D192ED03)). The
 * result depends only on (seed, epoch, count). */
void ptm_windows_shuffle(ptm_windows *w, uint64_t seed, int epoch);
/* Fill a batch with the windows at positions [start, start+n) of order: past [n, L, C],
 * past_observed [n, L, C], future [n, H, C], future_observed [n, H, C]; any but past may be
 * NULL. Observed arrays are all 1 when the series has no mask. Returns the number of windows
 * filled: min(n, count - start), 0 when start >= count. */
size_t ptm_windows_batch(const ptm_windows *w, size_t start, size_t n, float *past,
                         float *past_observed, float *future, float *future_observed);
void ptm_windows_free(ptm_windows *w); /* zeroes *w; safe on a zeroed struct and NULL */

/* ---------------------------------------------------------------- .ts files */

/* UEA classification and Monash TSER regression .ts files (sktime/aeon format):
 *   - optional UTF-8 BOM; LF, CRLF or CR line endings; blank lines and lines starting with '#'
 *     are skipped anywhere;
 *   - header tags, case-insensitive: @problemName, @timeStamps (true -> PTM_ERR_UNSUPPORTED),
 *     @missing, @univariate, @dimensions, @equalLength, @seriesLength, @classLabel true <names>
 *     or false, @targetLabel true|false, then @data; other tags are ignored;
 *   - one case per line: dimensions separated by ':', values by ',', the last field the class
 *     label (@classLabel true) or the real target (@targetLabel true); '?' (and NaN/inf) is a
 *     missing value; spaces around values are allowed.
 * The number of dimensions comes from @dimensions, else @univariate true (1), else the first
 * data line; every case must have that many (PTM_ERR_FORMAT naming the line). Series may have
 * variable length (each dimension is aligned on its last value); with @equalLength true and
 * @seriesLength every dimension must have exactly that many values. */
typedef struct {
    size_t ncases;
    int nchannels;
    int length;         /* time steps per case (the length argument, or the longest series) */
    float *values;      /* [ncases, length, nchannels]; 0 where not observed */
    float *observed;    /* [ncases, length, nchannels]: 0 for missing and for padding */
    int64_t *labels;    /* classification: [ncases] indices into class_names, or NULL */
    float *targets;     /* regression: [ncases], or NULL */
    int nclasses;       /* 0 unless classification */
    char **class_names; /* [nclasses] */
} ptm_ts_dataset;

#define PTM_TS_MAX_BYTES ((size_t)1 << 30) /* larger files -> PTM_ERR_LIMIT */
#define PTM_TS_MAX_CELLS ((size_t)1 << 28) /* ncases * length * nchannels limit */
#define PTM_TS_MAX_DIMENSIONS (1 << 20)    /* @dimensions limit */
#define PTM_TS_MAX_LENGTH ((long)1 << 28)  /* @seriesLength / length argument limit */

/* length > 0: every series is cut to its LAST `length` points or left-padded (value 0,
 * observed 0) to `length`; length == 0: the longest series of the file. For classification,
 * class indices follow the order of the names in @classLabel (labels not in that list are an
 * error); with `@classLabel true` and no names, the order of first appearance. Errors:
 * PTM_ERR_ARG (length < 0), PTM_ERR_IO, PTM_ERR_LIMIT, PTM_ERR_FORMAT (field "line N" or the
 * tag), PTM_ERR_UNSUPPORTED, PTM_ERR_NOMEM. On failure *out is zeroed. */
ptm_status ptm_ts_load(const char *path, int length, ptm_ts_dataset *out, ptm_error *err);
/* Like ptm_ts_load, but class indices and class_names are those of `train` (copied), so a
 * test file's indices agree with the training file's. A label not among train's classes, a
 * different number of channels, or a classification file for a train set without classes
 * (or the reverse) is PTM_ERR_INPUT. */
ptm_status ptm_ts_load_with_classes(const char *path, int length, const ptm_ts_dataset *train,
                                    ptm_ts_dataset *out, ptm_error *err);
void ptm_ts_free(ptm_ts_dataset *d); /* zeroes *d; safe on a zeroed struct and NULL */

#endif
