/* ts.h - a reader for UEA (classification) / Monash TSER (regression) .ts files, the data of
 * `patchtsmixer train --task classify|regress` and `eval` on .ts files:
 *
 *     ptmi_ts_dataset tr, te;
 *     ptmi_ts_load("BasicMotions_TRAIN.ts", 0, &tr, &err);           // length = longest series
 *     ptmi_ts_load_with_classes("BasicMotions_TEST.ts", tr.length, &tr, &te, &err);
 *     ... tr.values [ncases, length, nchannels], tr.labels or tr.targets ...
 *     ptmi_ts_free(&te);
 *     ptmi_ts_free(&tr);
 *
 * Nothing here prints or exits; every fallible call returns ptm_status and fills *err
 * (may be NULL). On failure the output struct is left zeroed (nothing to free).
 */
#ifndef PTMI_IO_TS_H
#define PTMI_IO_TS_H

#include <stddef.h>
#include <stdint.h>

#include "patchtsmixer.h"

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
} ptmi_ts_dataset;

#define PTMI_TS_MAX_BYTES ((size_t)1 << 30) /* larger files -> PTM_ERR_LIMIT */
#define PTMI_TS_MAX_CELLS ((size_t)1 << 28) /* ncases * length * nchannels limit */
#define PTMI_TS_MAX_DIMENSIONS (1 << 20)    /* @dimensions limit */
#define PTMI_TS_MAX_LENGTH ((long)1 << 28)  /* @seriesLength / length argument limit */

/* length > 0: every series is cut to its LAST `length` points or left-padded (value 0,
 * observed 0) to `length`; length == 0: the longest series of the file. For classification,
 * class indices follow the order of the names in @classLabel (labels not in that list are an
 * error); with `@classLabel true` and no names, the order of first appearance. Errors:
 * PTM_ERR_ARG (length < 0), PTM_ERR_IO, PTM_ERR_LIMIT, PTM_ERR_FORMAT (field "line N" or the
 * tag), PTM_ERR_UNSUPPORTED, PTM_ERR_NOMEM. On failure *out is zeroed. */
ptm_status ptmi_ts_load(const char *path, int length, ptmi_ts_dataset *out, ptm_error *err);
/* Like ptmi_ts_load, but class indices and class_names are those of `train` (copied), so a
 * test file's indices agree with the training file's. A label not among train's classes, a
 * different number of channels, or a classification file for a train set without classes
 * (or the reverse) is PTM_ERR_INPUT. */
ptm_status ptmi_ts_load_with_classes(const char *path, int length, const ptmi_ts_dataset *train,
                                     ptmi_ts_dataset *out, ptm_error *err);
void ptmi_ts_free(ptmi_ts_dataset *d); /* zeroes *d; safe on a zeroed struct and NULL */

#endif
