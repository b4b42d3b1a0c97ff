/* sample.c - what a distribution head's parameters give beyond the mean: seeded sample paths
 * from the distribution of the last forward (ptm_ctx_sample) and type-7 quantiles over the
 * sample axis (ptm_quantiles). */
#include <stdlib.h>

#include "layers/dist.h"
#include "model/model.h"
#include "base/rng.h"

ptm_status ptm_ctx_sample(ptm_ctx *ctx, int num_samples, uint64_t seed, float *out,
                          size_t out_count, ptm_error *err) {
    if (!ctx || !out) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "NULL argument");
    const ptm_config *c = &ctx->model->cfg;
    if (c->loss != PTM_LOSS_NLL ||
        (c->model_class != PTM_CLASS_PREDICTION && c->model_class != PTM_CLASS_REGRESSION))
        return ptmi_err(err, PTM_ERR_ARG, NULL, "loss",
                        "sampling needs a distribution head (loss \"nll\"); this model is a %s "
                        "with a point head",
                        ptm_class_name(c->model_class));
    if (ctx->batch < 1 || ctx->n_outputs == 0)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "call ptm_forward before ptm_ctx_sample");
    if (num_samples < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "num_samples", "num_samples %d must be >= 1",
                        num_samples);
    int pred = c->model_class == PTM_CLASS_PREDICTION;
    size_t per =
        pred ? (size_t)c->prediction_length * c->num_prediction_channels : (size_t)c->num_targets;
    int cs = pred ? c->num_prediction_channels : c->num_targets;
    int rows = pred ? c->prediction_length : 1;
    size_t need = (size_t)ctx->batch * (size_t)num_samples * per;
    if (out_count < need)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "out_count", "output holds %zu values, need %zu",
                        out_count, need);
    ptmi_rng r;
    ptmi_rng_seed(&r, seed);
    float *const *p = ctx->out_param;
    for (int b = 0; b < ctx->batch; b++)
        for (int s = 0; s < num_samples; s++)
            for (size_t e = 0; e < per; e++) {
                size_t i = (size_t)b * per + e;
                double v;
                if (c->distribution_output == PTM_DIST_NEGATIVE_BINOMIAL) {
                    v = dist_sample_negbin(&r, p[0][i], p[1][i]);
                } else {
                    v = c->distribution_output == PTM_DIST_STUDENT_T
                            ? dist_sample_student_t(&r, p[0][i], p[1][i], p[2][i])
                            : dist_sample_normal(&r, p[0][i], p[1][i]);
                    if (pred) {
                        size_t ch = e % (size_t)cs;
                        v = v * (double)ctx->scale_sel[(size_t)b * cs + ch] +
                            (double)ctx->loc_sel[(size_t)b * cs + ch];
                    }
                }
                out[((size_t)b * num_samples + s) * per + e] = (float)v;
            }
    (void)rows;
    return PTM_OK;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

ptm_status ptm_quantiles(const float *samples, int batch, int num_samples, int64_t m,
                         const float *q, int nq, float *out, ptm_error *err) {
    if (!samples || !q || !out || batch < 1 || num_samples < 1 || m < 1 || nq < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "invalid argument to ptm_quantiles");
    for (int k = 0; k < nq; k++)
        if (!(q[k] >= 0.0f && q[k] <= 1.0f))
            return ptmi_err(err, PTM_ERR_ARG, NULL, "quantiles", "quantile %g outside [0, 1]",
                            (double)q[k]);
    float *col = malloc(sizeof(float) * (size_t)num_samples);
    if (!col) return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    for (int b = 0; b < batch; b++)
        for (int64_t e = 0; e < m; e++) {
            for (int s = 0; s < num_samples; s++)
                col[s] = samples[((size_t)b * num_samples + s) * (size_t)m + (size_t)e];
            qsort(col, (size_t)num_samples, sizeof(float), cmp_float);
            for (int k = 0; k < nq; k++)
                out[((size_t)b * nq + k) * (size_t)m + (size_t)e] =
                    dist_quantile_sorted(col, (size_t)num_samples, q[k]);
        }
    free(col);
    return PTM_OK;
}
