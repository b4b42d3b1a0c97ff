/* norm.c - LayerNorm (over d_model) and BatchNorm (eval: running statistics per d_model
 * feature), the two choices of config.norm_mlp. */
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "layers/layers.h"

typedef struct {
    float *out, *mean, *rstd;
    const float *inp, *weight, *bias, *dout;
    int d;
    float eps;
} ln_job;

static void ln_fwd_range(void *a, size_t r0, size_t r1) {
    const ln_job *j = a;
    ptmi_kernels()->layernorm(j->out + r0 * (size_t)j->d, j->mean ? j->mean + r0 : NULL,
                              j->rstd ? j->rstd + r0 : NULL, j->inp + r0 * (size_t)j->d, j->weight,
                              j->bias, r1 - r0, j->d, j->eps);
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, size_t rows, int d, float eps) {
    ln_job j = {out, mean, rstd, inp, weight, bias, NULL, d, eps};
    ptmi_parallel_for(rows, 4096, ln_fwd_range, &j);
}

void batchnorm_eval_forward(float *out, const float *inp, const float *weight, const float *bias,
                            const float *running_mean, const float *running_var, size_t rows, int d,
                            float eps) {
    /* 1 / sqrt(var + eps) once per feature (it was once per element), in blocks of features
     * so that no allocation is needed; the same values and operations per element */
    float s[256];
    for (int i0 = 0; i0 < d; i0 += 256) {
        int i1 = d - i0 < 256 ? d : i0 + 256;
        for (int i = i0; i < i1; i++) s[i - i0] = 1.0f / sqrtf(running_var[i] + eps);
        for (size_t r = 0; r < rows; r++) {
            const float *x = inp + r * (size_t)d;
            float *y = out + r * (size_t)d;
            for (int i = i0; i < i1; i++)
                y[i] = (x[i] - running_mean[i]) * s[i - i0] * weight[i] + bias[i];
        }
    }
}

/* d(input) per row, in parallel; the weight and bias gradients in one serial pass so their
 * sums do not depend on the thread count */
static void ln_bwd_range(void *a, size_t r0, size_t r1) {
    const ln_job *j = a;
    size_t o = r0 * (size_t)j->d;
    ptmi_kernels()->layernorm_backward(j->out + o, j->dout + o, j->inp + o, j->weight, j->mean + r0,
                                       j->rstd + r0, r1 - r0, j->d);
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        size_t rows, int d) {
    ln_job j = {dinp, (float *)mean, (float *)rstd, inp, weight, NULL, dout, d, 0.0f};
    ptmi_parallel_for(rows, 4096, ln_bwd_range, &j);
    ptmi_kernels()->layernorm_param_grads(dweight, dbias, dout, inp, mean, rstd, rows, d);
}

void batchnorm_train_forward(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, float *running_mean,
                             float *running_var, int64_t *num_batches_tracked, size_t rows, int d,
                             float eps, float momentum) {
    for (int i = 0; i < d; i++) {
        double s = 0.0;
        for (size_t r = 0; r < rows; r++) s += (double)inp[r * (size_t)d + (size_t)i];
        double m = s / (double)rows;
        double v = 0.0;
        for (size_t r = 0; r < rows; r++) {
            double t = (double)inp[r * (size_t)d + (size_t)i] - m;
            v += t * t;
        }
        double var_b = v / (double)rows;
        double var_u = rows > 1 ? v / (double)(rows - 1) : var_b;
        mean[i] = (float)m;
        rstd[i] = (float)(1.0 / sqrt(var_b + (double)eps));
        if (running_mean) {
            running_mean[i] =
                (float)((1.0 - (double)momentum) * (double)running_mean[i] + (double)momentum * m);
            running_var[i] = (float)((1.0 - (double)momentum) * (double)running_var[i] +
                                     (double)momentum * var_u);
        }
    }
    if (num_batches_tracked) (*num_batches_tracked)++;
    for (size_t r = 0; r < rows; r++)
        for (int i = 0; i < d; i++) {
            size_t k = r * (size_t)d + (size_t)i;
            out[k] = (inp[k] - mean[i]) * rstd[i] * weight[i] + bias[i];
        }
}

void batchnorm_train_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const float *mean,
                              const float *rstd, size_t rows, int d) {
    for (int i = 0; i < d; i++) {
        double sg = 0.0, sgx = 0.0;
        for (size_t r = 0; r < rows; r++) {
            size_t k = r * (size_t)d + (size_t)i;
            float xhat = (inp[k] - mean[i]) * rstd[i];
            sg += (double)dout[k];
            sgx += (double)(dout[k] * xhat);
        }
        if (dbias) dbias[i] += (float)sg;
        if (dweight) dweight[i] += (float)sgx;
        float a = (float)(sg / (double)rows), b = (float)(sgx / (double)rows);
        for (size_t r = 0; r < rows; r++) {
            size_t k = r * (size_t)d + (size_t)i;
            float xhat = (inp[k] - mean[i]) * rstd[i];
            dinp[k] += weight[i] * rstd[i] * (dout[k] - a - xhat * b);
        }
    }
}

void batchnorm_eval_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *running_mean,
                             const float *running_var, size_t rows, int d, float eps) {
    for (size_t r = 0; r < rows; r++)
        for (int i = 0; i < d; i++) {
            size_t k = r * (size_t)d + (size_t)i;
            float s = 1.0f / sqrtf(running_var[i] + eps);
            if (dbias) dbias[i] += dout[k];
            if (dweight) dweight[i] += dout[k] * (inp[k] - running_mean[i]) * s;
            dinp[k] += dout[k] * weight[i] * s;
        }
}
