/* nll.c - the distribution heads (loss "nll") on top of their linear projections: the domain
 * maps and the distribution mean (forward), the negative log-likelihood of the targets and its
 * gradient with respect to the raw projections (backward). The densities and their partial
 * derivatives are dist.c's; this file applies them to [count] arrays of parameters.
 *
 * Forecasts ([B, H, C'] with rows_per_b = H, cs = C') are scaled: Normal and Student-t are
 * affine-transformed by the scaler's loc/scale ([B, C']), the negative binomial's logits get
 * log(scale). Regression passes loc = scale = NULL. */
#include <float.h>
#include <math.h>

#include "layers/dist.h"
#include "layers/layers.h"

/* element i's (batch, channel) index into [B, cs] loc/scale */
static size_t bc_index(size_t i, int rows_per_b, int cs) {
    size_t b = i / ((size_t)rows_per_b * cs), ch = i % (size_t)cs;
    return b * cs + ch;
}

void dist_head_forward(float *const *p, float *mean, ptm_dist dist, size_t count, int rows_per_b,
                       int cs, const float *loc, const float *scale) {
    /* HF domain maps on the raw projections, in place (negative binomial on forecasts: the
     * logits get log(scale), in place as HF does) */
    for (size_t i = 0; i < count; i++) {
        if (dist == PTM_DIST_STUDENT_T) {
            p[0][i] = 2.0f + dist_squareplus(p[0][i]);
            float s = dist_squareplus(p[2][i]);
            p[2][i] = s < FLT_EPSILON ? FLT_EPSILON : s;
        } else if (dist == PTM_DIST_NORMAL) {
            float s = dist_squareplus(p[1][i]);
            p[1][i] = s < FLT_EPSILON ? FLT_EPSILON : s;
        } else {
            p[0][i] = dist_squareplus(p[0][i]);
            if (scale) p[1][i] += logf(scale[bc_index(i, rows_per_b, cs)]);
        }
    }
    /* the mean (after the affine transform when loc/scale are given) */
    for (size_t i = 0; i < count; i++) {
        if (dist == PTM_DIST_NEGATIVE_BINOMIAL) {
            mean[i] = p[0][i] * expf(p[1][i]);
        } else {
            float m = dist == PTM_DIST_STUDENT_T ? p[1][i] : p[0][i];
            if (loc) {
                size_t k = bc_index(i, rows_per_b, cs);
                m = m * scale[k] + loc[k];
            }
            mean[i] = m;
        }
    }
}

double nll_log_prob_sum(const float *const *p, ptm_dist dist, size_t count, int rows_per_b, int cs,
                        const float *target, const float *loc, const float *scale) {
    double s = 0.0;
    for (size_t i = 0; i < count; i++) {
        double v = target[i];
        if (dist == PTM_DIST_NEGATIVE_BINOMIAL) {
            s += dist_negbin_logpmf(v, p[0][i], p[1][i]);
            continue;
        }
        double a = 1.0, b0 = 0.0;
        if (loc) {
            size_t k = bc_index(i, rows_per_b, cs);
            a = scale[k];
            b0 = loc[k];
        }
        double x = (v - b0) / a;
        double lp = dist == PTM_DIST_STUDENT_T ? dist_student_t_logpdf(x, p[0][i], p[1][i], p[2][i])
                                               : dist_normal_logpdf(x, p[0][i], p[1][i]);
        s += lp - log(fabs(a));
    }
    return s;
}

/* the log-density of v under element j's mapped parameters (no loc / scale) */
static double log_prob_at(const float *const *p, ptm_dist dist, size_t j, double v) {
    if (dist == PTM_DIST_NEGATIVE_BINOMIAL) return dist_negbin_logpmf(v, p[0][j], p[1][j]);
    return dist == PTM_DIST_STUDENT_T ? dist_student_t_logpdf(v, p[0][j], p[1][j], p[2][j])
                                      : dist_normal_logpdf(v, p[0][j], p[1][j]);
}

double nll_log_prob_cross_sum(const float *const *p, ptm_dist dist, size_t n, const float *target) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) s += log_prob_at(p, dist, j, (double)target[i]);
    return s;
}

static float squareplus_grad(float x) {
    return 0.5f * (1.0f + x / sqrtf(x * x + 4.0f));
}

/* d log p(x) / d (mapped parameter k) of element i, for k < the distribution's count */
static void partials(const float *const *p, ptm_dist dist, size_t i, double x, double d[3]) {
    if (dist == PTM_DIST_NEGATIVE_BINOMIAL)
        dist_negbin_logpmf_grad(x, (double)p[0][i], (double)p[1][i], &d[0], &d[1]);
    else if (dist == PTM_DIST_STUDENT_T)
        dist_student_t_logpdf_grad(x, (double)p[0][i], (double)p[1][i], (double)p[2][i], &d[0],
                                   &d[1], &d[2]);
    else
        dist_normal_logpdf_grad(x, (double)p[0][i], (double)p[1][i], &d[0], &d[1]);
}

/* draw[k][i] = factor * d[k] through the domain map of raw projection k of element i */
static void chain(float *const *draw, const float *const *raw, ptm_dist dist, size_t i,
                  double factor, const double d[3]) {
    if (dist == PTM_DIST_NEGATIVE_BINOMIAL) {
        draw[0][i] = (float)(factor * d[0]) * squareplus_grad(raw[0][i]);
        draw[1][i] = (float)(factor * d[1]);
    } else if (dist == PTM_DIST_STUDENT_T) {
        draw[0][i] = (float)(factor * d[0]) * squareplus_grad(raw[0][i]);
        draw[1][i] = (float)(factor * d[1]);
        float sp = dist_squareplus(raw[2][i]);
        draw[2][i] = sp < FLT_EPSILON ? 0.0f : (float)(factor * d[2]) * squareplus_grad(raw[2][i]);
    } else {
        draw[0][i] = (float)(factor * d[0]);
        float sp = dist_squareplus(raw[1][i]);
        draw[1][i] = sp < FLT_EPSILON ? 0.0f : (float)(factor * d[1]) * squareplus_grad(raw[1][i]);
    }
}

void nll_loss_backward(float *const *draw, const float *const *p, const float *const *raw,
                       ptm_dist dist, size_t count, int rows_per_b, int cs, const float *target,
                       const float *loc, const float *scale, double factor) {
    for (size_t i = 0; i < count; i++) {
        double a = 1.0, b0 = 0.0, d[3] = {0.0, 0.0, 0.0};
        if (loc && dist != PTM_DIST_NEGATIVE_BINOMIAL) {
            size_t k = bc_index(i, rows_per_b, cs);
            a = (double)scale[k];
            b0 = (double)loc[k];
        }
        partials(p, dist, i,
                 dist == PTM_DIST_NEGATIVE_BINOMIAL ? (double)target[i]
                                                    : ((double)target[i] - b0) / a,
                 d);
        chain(draw, raw, dist, i, factor, d);
    }
}

void nll_loss_backward_cross(float *const *draw, const float *const *p, const float *const *raw,
                             ptm_dist dist, size_t n, const float *target, double factor) {
    for (size_t j = 0; j < n; j++) {
        double sum[3] = {0.0, 0.0, 0.0};
        for (size_t i = 0; i < n; i++) {
            double d[3] = {0.0, 0.0, 0.0};
            partials(p, dist, j, (double)target[i], d);
            for (int k = 0; k < 3; k++) sum[k] += d[k];
        }
        chain(draw, raw, dist, j, factor, sum);
    }
}
