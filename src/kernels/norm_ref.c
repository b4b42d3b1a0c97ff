/* norm_ref.c - the scalar normalisation kernels (kernels.h): LayerNorm forward, its d(input)
 * and its parameter gradients, and the std scaler's statistics. The oracles of vec_avx2.c /
 * vec_avx512.c and the scalar table's fields; row statistics are summed in double. */
#include <math.h>

#include "kernels/kernels.h"

void ptmi_layernorm_ref(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                        const float *bias, size_t rows, int d, float eps) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = inp + r * (size_t)d;
        float *y = out + r * (size_t)d;
        double m = 0.0;
        for (int i = 0; i < d; i++) m += (double)x[i];
        m /= d;
        double v = 0.0;
        for (int i = 0; i < d; i++) {
            double t = (double)x[i] - m;
            v += t * t;
        }
        v /= d;
        float s = (float)(1.0 / sqrt(v + (double)eps));
        float mf = (float)m;
        for (int i = 0; i < d; i++) y[i] = (x[i] - mf) * s * weight[i] + bias[i];
        if (mean) mean[r] = mf;
        if (rstd) rstd[r] = s;
    }
}

void ptmi_layernorm_backward_ref(float *dinp, const float *dout, const float *inp,
                                 const float *weight, const float *mean, const float *rstd,
                                 size_t rows, int d) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = inp + r * (size_t)d;
        const float *g = dout + r * (size_t)d;
        float *gx = dinp + r * (size_t)d;
        float m = mean[r], s = rstd[r];
        double dnorm_mean = 0.0, dnorm_norm_mean = 0.0;
        for (int i = 0; i < d; i++) {
            float xhat = (x[i] - m) * s;
            float dn = weight[i] * g[i];
            dnorm_mean += (double)dn;
            dnorm_norm_mean += (double)(dn * xhat);
        }
        float a_ = (float)(dnorm_mean / d), b_ = (float)(dnorm_norm_mean / d);
        for (int i = 0; i < d; i++) {
            float xhat = (x[i] - m) * s;
            float dn = weight[i] * g[i];
            gx[i] += (dn - a_ - xhat * b_) * s;
        }
    }
}

void ptmi_layernorm_param_grads_ref(float *dweight, float *dbias, const float *dout,
                                    const float *inp, const float *mean, const float *rstd,
                                    size_t rows, int d) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = inp + r * (size_t)d;
        const float *g = dout + r * (size_t)d;
        for (int i = 0; i < d; i++) {
            float xhat = (x[i] - mean[r]) * rstd[r];
            if (dbias) dbias[i] += g[i];
            if (dweight) dweight[i] += xhat * g[i];
        }
    }
}

/* std scaling of one series x[t * stride], t < l */
static void std_stats1(float *loc, float *scale, const float *x, const float *observed, int l,
                       int stride) {
    double sum = 0.0, nobs = 0.0;
    for (int t = 0; t < l; t++) {
        size_t i = (size_t)t * stride;
        float m = observed ? observed[i] : 1.0f;
        sum += (double)x[i] * (double)m;
        nobs += (double)m;
    }
    double den = nobs < 1.0 ? 1.0 : nobs;
    double mu = sum / den;
    double var = 0.0;
    for (int t = 0; t < l; t++) {
        size_t i = (size_t)t * stride;
        float m = observed ? observed[i] : 1.0f;
        double dv = ((double)x[i] - mu) * (double)m;
        var += dv * dv;
    }
    var /= den;
    *loc = (float)mu;
    *scale = (float)sqrt(var + 1e-5);
}

void ptmi_std_stats_ref(float *loc, float *scale, const float *x, const float *observed, int l,
                        int c, int nc) {
    for (int j = 0; j < nc; j++)
        std_stats1(&loc[j], &scale[j], x + j, observed ? observed + j : NULL, l, c);
}
