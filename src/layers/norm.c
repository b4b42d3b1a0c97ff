/* norm.c - LayerNorm (over d_model) and BatchNorm (eval: running statistics per d_model
 * feature), the two choices of config.norm_mlp. */
#include <math.h>

#include "layers/layers.h"

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
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

void batchnorm_eval_forward(float *out, const float *inp, const float *weight, const float *bias,
                            const float *running_mean, const float *running_var, size_t rows, int d,
                            float eps) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = inp + r * (size_t)d;
        float *y = out + r * (size_t)d;
        for (int i = 0; i < d; i++) {
            float s = 1.0f / sqrtf(running_var[i] + eps);
            y[i] = (x[i] - running_mean[i]) * s * weight[i] + bias[i];
        }
    }
}
