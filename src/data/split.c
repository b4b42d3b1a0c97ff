/* split.c - the standard long-horizon forecasting splits (ptm_split_make, patchtsmixer.h):
 * ETTh/ETTm files by months (12/4/4), any other series 70/10/20 %, val and test moved back
 * by context_length so that their first forecast is the first row of the segment proper. */
#include <stdlib.h>
#include <string.h>

#include "base/common.h"

ptm_split_kind ptm_split_kind_from_name(const char *path) {
    if (!path) return PTM_SPLIT_CUSTOM;
    const char *base = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    if (strncmp(base, "ETTh", 4) == 0) return PTM_SPLIT_ETT_HOURLY;
    if (strncmp(base, "ETTm", 4) == 0) return PTM_SPLIT_ETT_MINUTE;
    return PTM_SPLIT_CUSTOM;
}

/* Segment [base - L, end) clipped to nrows; must hold at least L + H rows. */
static ptm_status make_segment(const char *name, size_t base, size_t seg_end, size_t nrows, int L,
                               int H, size_t *ob, size_t *oe, ptm_error *err) {
    size_t l = (size_t)L, need = (size_t)L + (size_t)H;
    if (base < l)
        return ptmi_err(err, PTM_ERR_INPUT, NULL, name,
                        "%s segment would start at row %zu - context_length %d < 0", name, base, L);
    size_t b = base - l;
    size_t e = seg_end < nrows ? seg_end : nrows;
    size_t have = e > b ? e - b : 0;
    if (have < need)
        return ptmi_err(err, PTM_ERR_INPUT, NULL, name,
                        "%s segment rows [%zu, %zu) of %zu data rows: found %zu rows, expected at "
                        "least context_length + prediction_length = %zu for one window",
                        name, b, seg_end, nrows, have, need);
    *ob = b;
    *oe = e;
    return PTM_OK;
}

ptm_status ptm_split_make(ptm_split_kind kind, size_t nrows, int context_length,
                          int prediction_length, ptm_split *out, ptm_error *err) {
    if (!out) return ptmi_err(err, PTM_ERR_ARG, NULL, "out", "output split is NULL");
    memset(out, 0, sizeof *out);
    if (context_length < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "context_length", "found %d, expected >= 1",
                        context_length);
    if (prediction_length < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "prediction_length", "found %d, expected >= 1",
                        prediction_length);
    size_t b1[3], b2[3]; /* segment starts (before moving back by L) and ends */
    switch (kind) {
    case PTM_SPLIT_ETT_HOURLY:
    case PTM_SPLIT_ETT_MINUTE: {
        size_t m = kind == PTM_SPLIT_ETT_HOURLY ? 1 : 4;
        size_t month = 30 * 24 * m;
        b1[0] = 0;
        b2[0] = 12 * month;
        b1[1] = 12 * month;
        b2[1] = 16 * month;
        b1[2] = 16 * month;
        b2[2] = 20 * month;
        break;
    }
    case PTM_SPLIT_CUSTOM: {
        size_t num_train = (size_t)((double)nrows * 0.7);
        size_t num_test = (size_t)((double)nrows * 0.2);
        if (num_train + num_test > nrows) num_test = nrows - num_train; /* cannot happen */
        size_t num_val = nrows - num_train - num_test;
        b1[0] = 0;
        b2[0] = num_train;
        b1[1] = num_train;
        b2[1] = num_train + num_val;
        b1[2] = nrows - num_test;
        b2[2] = nrows;
        break;
    }
    default:
        return ptmi_err(err, PTM_ERR_ARG, NULL, "kind", "unknown split kind %d", (int)kind);
    }
    ptm_split sp;
    ptm_status st;
    /* train is not moved back: its first window starts at row 0 */
    st = make_segment("train", b1[0] + (size_t)context_length, b2[0], nrows, context_length,
                      prediction_length, &sp.train_begin, &sp.train_end, err);
    if (st != PTM_OK) return st;
    st = make_segment("val", b1[1], b2[1], nrows, context_length, prediction_length, &sp.val_begin,
                      &sp.val_end, err);
    if (st != PTM_OK) return st;
    st = make_segment("test", b1[2], b2[2], nrows, context_length, prediction_length,
                      &sp.test_begin, &sp.test_end, err);
    if (st != PTM_OK) return st;
    *out = sp;
    return PTM_OK;
}
