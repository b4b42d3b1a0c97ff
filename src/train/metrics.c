/* metrics.c - forecast accuracy metrics: MSE, MAE, RMSE, MASE (seasonal-naive in-sample scale),
 * sMAPE (the M4 definition), the sample CRPS (E|X - y| - E|X - X'| / 2) and interval coverage,
 * as sums over forecast points (metrics.h) and as the public ptm_metric_* functions over
 * arrays (patchtsmixer.h). Pure functions: no allocation, no state. Sums are in double.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/metrics.h"

double metric_smape_term(double y, double f) {
    double d = fabs(y) + fabs(f);
    return d > 0.0 ? 200.0 * fabs(y - f) / d : 0.0;
}

void metric_add_point(metric_sums *s, double y, double f, double ys, double fs) {
    double e = f - y, es = fs - ys;
    s->n += 1.0;
    s->se += e * e;
    s->ae += fabs(e);
    s->se_s += es * es;
    s->ae_s += fabs(es);
    s->smape += metric_smape_term(y, f);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* E|X - y| - E|X - X'| / 2 over the empirical distribution of x; with x sorted,
 * sum_{i,j} |x_i - x_j| = 2 sum_i (2 i - n + 1) x_i (i from 0) */
double metric_crps_sorted(float *x, int n, double y) {
    qsort(x, (size_t)n, sizeof *x, cmp_float);
    double a = 0.0, pair = 0.0;
    for (int i = 0; i < n; i++) {
        a += fabs((double)x[i] - y);
        pair += (2.0 * i - n + 1.0) * (double)x[i];
    }
    return a / n - pair / ((double)n * n);
}

void metric_sums_merge(metric_sums *a, const metric_sums *b) {
    a->n += b->n;
    a->se += b->se;
    a->ae += b->ae;
    a->se_s += b->se_s;
    a->ae_s += b->ae_s;
    a->smape += b->smape;
    a->crps += b->crps;
    for (int k = 0; k < PTM_METRIC_MAX_INTERVALS; k++) a->hits[k] += b->hits[k];
}

void metric_finish(const metric_sums *s, double mase_scale, int crps, int nint, ptm_metrics *out) {
    memset(out, 0, sizeof *out);
    out->points = (size_t)s->n;
    out->crps = NAN;
    for (int k = 0; k < PTM_METRIC_MAX_INTERVALS; k++) out->coverage[k] = NAN;
    if (!(s->n > 0)) {
        out->mse = out->mae = out->rmse = out->mase = out->smape = NAN;
        out->mse_scaled = out->mae_scaled = NAN;
        return;
    }
    out->mse = s->se / s->n;
    out->mae = s->ae / s->n;
    out->rmse = sqrt(out->mse);
    out->mase = mase_scale > 0.0 ? out->mae / mase_scale : (double)NAN;
    out->smape = s->smape / s->n;
    out->mse_scaled = s->se_s / s->n;
    out->mae_scaled = s->ae_s / s->n;
    if (crps) out->crps = s->crps / s->n;
    for (int k = 0; k < nint && k < PTM_METRIC_MAX_INTERVALS; k++)
        out->coverage[k] = s->hits[k] / s->n;
}

/* ------------------------------------------------------------------ public array functions */

static int seen(const float *observed, size_t i) {
    return !observed || observed[i] > 0.0f;
}

double ptm_metric_mse(const float *y, const float *f, const float *observed, size_t n) {
    double se = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (seen(observed, i)) {
            double e = (double)f[i] - (double)y[i];
            se += e * e;
            m += 1.0;
        }
    return m > 0 ? se / m : (double)NAN;
}

double ptm_metric_mae(const float *y, const float *f, const float *observed, size_t n) {
    double ae = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (seen(observed, i)) {
            ae += fabs((double)f[i] - (double)y[i]);
            m += 1.0;
        }
    return m > 0 ? ae / m : (double)NAN;
}

double ptm_metric_smape(const float *y, const float *f, const float *observed, size_t n) {
    double s = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (seen(observed, i)) {
            s += metric_smape_term((double)y[i], (double)f[i]);
            m += 1.0;
        }
    return m > 0 ? s / m : (double)NAN;
}

double ptm_metric_mase_scale(const float *x, const float *observed, size_t n, int season) {
    double s = 0.0, m = 0.0;
    if (season < 1) return NAN;
    for (size_t i = (size_t)season; i < n; i++)
        if (seen(observed, i) && seen(observed, i - (size_t)season)) {
            s += fabs((double)x[i] - (double)x[i - (size_t)season]);
            m += 1.0;
        }
    return m > 0 ? s / m : (double)NAN;
}

double ptm_metric_crps(float *samples, int num_samples, double y) {
    if (!samples || num_samples < 1) return NAN;
    return metric_crps_sorted(samples, num_samples, y);
}

double ptm_metric_coverage(const float *y, const float *lo, const float *hi, const float *observed,
                           size_t n) {
    double h = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (seen(observed, i)) {
            h += y[i] >= lo[i] && y[i] <= hi[i];
            m += 1.0;
        }
    return m > 0 ? h / m : (double)NAN;
}
