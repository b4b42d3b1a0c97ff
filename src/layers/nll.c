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

static float squareplus_grad(float x) {
    return 0.5f * (1.0f + x / sqrtf(x * x + 4.0f));
}

void nll_loss_backward(float *const *draw, const float *const *p, const float *const *raw,
                       ptm_dist dist, size_t count, int rows_per_b, int cs, const float *target,
                       const float *loc, const float *scale, double factor) {
    for (size_t i = 0; i < count; i++) {
        double v = (double)target[i];
        if (dist == PTM_DIST_NEGATIVE_BINOMIAL) {
            double dr = 0.0, dl = 0.0;
            dist_negbin_logpmf_grad(v, (double)p[0][i], (double)p[1][i], &dr, &dl);
            draw[0][i] = (float)(factor * dr) * squareplus_grad(raw[0][i]);
            draw[1][i] = (float)(factor * dl);
            continue;
        }
        double a = 1.0, b0 = 0.0;
        if (loc) {
            size_t k = bc_index(i, rows_per_b, cs);
            a = (double)scale[k];
            b0 = (double)loc[k];
        }
        double x = (v - b0) / a;
        if (dist == PTM_DIST_STUDENT_T) {
            double ddf = 0.0, dloc = 0.0, dsc = 0.0;
            dist_student_t_logpdf_grad(x, (double)p[0][i], (double)p[1][i], (double)p[2][i], &ddf,
                                       &dloc, &dsc);
            draw[0][i] = (float)(factor * ddf) * squareplus_grad(raw[0][i]);
            draw[1][i] = (float)(factor * dloc);
            float sp = dist_squareplus(raw[2][i]);
            draw[2][i] =
                sp < FLT_EPSILON ? 0.0f : (float)(factor * dsc) * squareplus_grad(raw[2][i]);
        } else {
            double dloc = 0.0, dsc = 0.0;
            dist_normal_logpdf_grad(x, (double)p[0][i], (double)p[1][i], &dloc, &dsc);
            draw[0][i] = (float)(factor * dloc);
            float sp = dist_squareplus(raw[1][i]);
            draw[1][i] =
                sp < FLT_EPSILON ? 0.0f : (float)(factor * dsc) * squareplus_grad(raw[1][i]);
        }
    }
}
