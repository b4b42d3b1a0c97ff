/* windows.c - stride-1 sliding windows over a row segment of a series (patchtsmixer.h):
 * window i has past rows [begin+i, begin+i+L) and future rows [begin+i+L, begin+i+L+H);
 * a seeded per-epoch shuffle of their order and batches copied out in that order. */
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/rng.h"

ptm_status ptm_windows_init(ptm_windows *w, const float *values, const float *observed,
                            size_t nrows, int ncols, int L, int H, size_t begin, size_t end,
                            ptm_error *err) {
    if (!w) return ptmi_err(err, PTM_ERR_ARG, NULL, "windows", "windows is NULL");
    memset(w, 0, sizeof *w);
    if (!values) return ptmi_err(err, PTM_ERR_ARG, NULL, "values", "values is NULL");
    if (ncols < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "ncols", "found %d, expected >= 1", ncols);
    if (L < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "context_length", "found %d, expected >= 1", L);
    if (H < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "prediction_length", "found %d, expected >= 1", H);
    if (begin > end || end > nrows)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "rows",
                        "segment [%zu, %zu) is not a range within the %zu rows", begin, end, nrows);
    size_t need = (size_t)L + (size_t)H;
    if (end - begin < need)
        return ptmi_err(err, PTM_ERR_INPUT, NULL, "rows",
                        "segment [%zu, %zu) has %zu rows, expected at least context_length + "
                        "prediction_length = %zu",
                        begin, end, end - begin, need);
    size_t count = end - begin - need + 1, bytes;
    if (ptmi_mul_size(count, sizeof(size_t), &bytes))
        return ptmi_err(err, PTM_ERR_LIMIT, NULL, "rows", "%zu windows overflow size_t", count);
    size_t *order = malloc(bytes);
    if (!order)
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, "windows", "cannot allocate %zu windows", count);
    for (size_t i = 0; i < count; i++) order[i] = i;
    w->values = values;
    w->observed = observed;
    w->nrows = nrows;
    w->ncols = ncols;
    w->L = L;
    w->H = H;
    w->begin = begin;
    w->count = count;
    w->order = order;
    return PTM_OK;
}

static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ptm_windows_shuffle(ptm_windows *w, uint64_t seed, int epoch) {
    if (!w || !w->order) return;
    for (size_t i = 0; i < w->count; i++) w->order[i] = i;
    ptmi_rng rng;
    ptmi_rng_seed(&rng, mix64(seed ^ ((uint64_t)(int64_t)epoch * 0xD1B54A32D192ED03ULL)));
    for (size_t i = w->count; i > 1; i--) {
        size_t j = (size_t)ptmi_rng_below(&rng, (uint64_t)i);
        size_t t = w->order[i - 1];
        w->order[i - 1] = w->order[j];
        w->order[j] = t;
    }
}

static void copy_rows(const ptm_windows *w, size_t row0, size_t nrows_copy, float *vals,
                      float *obs) {
    size_t nc = (size_t)w->ncols, cells = nrows_copy * nc;
    if (vals) memcpy(vals, w->values + row0 * nc, cells * sizeof *vals);
    if (obs) {
        if (w->observed)
            memcpy(obs, w->observed + row0 * nc, cells * sizeof *obs);
        else
            for (size_t i = 0; i < cells; i++) obs[i] = 1.0f;
    }
}

size_t ptm_windows_batch(const ptm_windows *w, size_t start, size_t n, float *past,
                         float *past_observed, float *future, float *future_observed) {
    if (!w || !w->order || start >= w->count) return 0;
    size_t left = w->count - start;
    if (n > left) n = left;
    size_t nc = (size_t)w->ncols, L = (size_t)w->L, H = (size_t)w->H;
    size_t pstride = L * nc, fstride = H * nc;
    for (size_t k = 0; k < n; k++) {
        size_t row0 = w->begin + w->order[start + k];
        copy_rows(w, row0, L, past ? past + k * pstride : NULL,
                  past_observed ? past_observed + k * pstride : NULL);
        copy_rows(w, row0 + L, H, future ? future + k * fstride : NULL,
                  future_observed ? future_observed + k * fstride : NULL);
    }
    return n;
}

void ptm_windows_free(ptm_windows *w) {
    if (!w) return;
    free(w->order);
    memset(w, 0, sizeof *w);
}
