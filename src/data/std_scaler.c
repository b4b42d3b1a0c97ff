/* std_scaler.c - the per-channel standard scaler of the forecasting protocol (sklearn's
 * StandardScaler fitted on the training rows, patchtsmixer.h): fit, transform in place,
 * inverse transform of forecasts back into original units. Not the model's own scaler
 * (layers/scaler.c), which standardises each window inside the forward pass. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"

ptm_status ptm_scaler_fit(ptm_std_scaler *s, const float *values, const float *observed,
                          size_t nrows, int ncols, size_t begin, size_t end, ptm_error *err) {
    if (!s) return ptmi_err(err, PTM_ERR_ARG, NULL, "scaler", "scaler is NULL");
    memset(s, 0, sizeof *s);
    if (ncols < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "ncols", "found %d, expected >= 1", ncols);
    if (begin > end || end > nrows)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "rows",
                        "fit rows [%zu, %zu) are not a range within the %zu rows", begin, end,
                        nrows);
    if (!values && end > begin) return ptmi_err(err, PTM_ERR_ARG, NULL, "values", "values is NULL");
    size_t nc = (size_t)ncols;
    float *mean = malloc(nc * sizeof *mean);
    float *sd = malloc(nc * sizeof *sd);
    double *sum = calloc(nc, sizeof *sum);
    double *dev = calloc(nc, sizeof *dev);
    double *dev2 = calloc(nc, sizeof *dev2);
    size_t *cnt = calloc(nc, sizeof *cnt);
    if (!mean || !sd || !sum || !dev || !dev2 || !cnt) {
        free(mean);
        free(sd);
        free(sum);
        free(dev);
        free(dev2);
        free(cnt);
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, "scaler", "cannot allocate %d columns", ncols);
    }
    for (size_t r = begin; r < end; r++) {
        const float *row = values + r * nc;
        const float *ob = observed ? observed + r * nc : NULL;
        for (size_t c = 0; c < nc; c++) {
            if (ob && ob[c] == 0.0f) continue;
            sum[c] += (double)row[c];
            cnt[c]++;
        }
    }
    for (size_t c = 0; c < nc; c++) sum[c] = cnt[c] ? sum[c] / (double)cnt[c] : 0.0;
    /* second pass: sum of deviations and squared deviations (sklearn's corrected two-pass) */
    for (size_t r = begin; r < end; r++) {
        const float *row = values + r * nc;
        const float *ob = observed ? observed + r * nc : NULL;
        for (size_t c = 0; c < nc; c++) {
            if (ob && ob[c] == 0.0f) continue;
            double d = (double)row[c] - sum[c];
            dev[c] += d;
            dev2[c] += d * d;
        }
    }
    for (size_t c = 0; c < nc; c++) {
        if (!cnt[c]) {
            mean[c] = 0.0f;
            sd[c] = 1.0f;
            continue;
        }
        double n = (double)cnt[c], m = sum[c];
        double var = (dev2[c] - dev[c] * dev[c] / n) / n;
        if (var < 0.0) var = 0.0;
        double eps = DBL_EPSILON;
        double bound = n * eps * var + (n * m * eps) * (n * m * eps);
        double sdev = var <= bound ? 1.0 : sqrt(var);
        mean[c] = (float)m;
        sd[c] = (float)sdev;
        if (!(sd[c] > 0.0f) || !isfinite(sd[c])) sd[c] = 1.0f; /* float underflow/overflow */
    }
    free(sum);
    free(dev);
    free(dev2);
    free(cnt);
    s->ncols = ncols;
    s->mean = mean;
    s->std = sd;
    return PTM_OK;
}

void ptm_scaler_transform(const ptm_std_scaler *s, float *values, const float *observed,
                          size_t nrows) {
    if (!s || !values || s->ncols < 1 || !s->mean || !s->std) return;
    size_t nc = (size_t)s->ncols;
    for (size_t r = 0; r < nrows; r++) {
        float *row = values + r * nc;
        const float *ob = observed ? observed + r * nc : NULL;
        for (size_t c = 0; c < nc; c++) {
            if (ob && ob[c] == 0.0f)
                row[c] = 0.0f;
            else
                row[c] = (float)(((double)row[c] - (double)s->mean[c]) / (double)s->std[c]);
        }
    }
}

void ptm_scaler_inverse(const ptm_std_scaler *s, float *values, size_t count_rows, int ncols,
                        const int *cols) {
    if (!s || !values || ncols < 1 || !s->mean || !s->std) return;
    size_t nc = (size_t)ncols;
    for (size_t r = 0; r < count_rows; r++) {
        float *row = values + r * nc;
        for (size_t j = 0; j < nc; j++) {
            long c = cols ? (long)cols[j] : (long)j;
            if (c < 0 || c >= (long)s->ncols) continue;
            row[j] = (float)((double)row[j] * (double)s->std[c] + (double)s->mean[c]);
        }
    }
}

void ptm_scaler_free(ptm_std_scaler *s) {
    if (!s) return;
    free(s->mean);
    free(s->std);
    memset(s, 0, sizeof *s);
}
