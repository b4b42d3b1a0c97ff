/* activation.c - GELU, x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))), torch's default (exact, not
 * tanh) form. gelu_scalar uses libm erff (the oracle); the layer loops use a vectorisable erf
 * within 4.2e-7 of it. */
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "layers/layers.h"

float gelu_scalar(float x) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

/* erf for float, as a rational function x P(x^2) / Q(x^2) on [-4, 4] (clamped outside):
 * max abs error 4.2e-7 against double erf, branch-free so the loops vectorise. */
static inline float erf_fast(float x) {
    float xc = x < -4.0f ? -4.0f : (x > 4.0f ? 4.0f : x);
    float x2 = xc * xc;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * x2 + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    return xc * p / q;
}

float gelu_fast(float x) {
    return 0.5f * x * (1.0f + erf_fast(x * 0.70710678118654752f));
}

typedef struct {
    float *out;
    const float *inp, *dout, *mask;
} gelu_job;

static void gelu_fwd_range(void *a, size_t b, size_t e) {
    const gelu_job *j = a;
#if defined(__x86_64__) || defined(__i386__)
    if (ptm_kernels_level() >= PTM_KERNELS_AVX512) {
        ptm_gelu_avx512(j->out + b, j->inp + b, e - b);
        return;
    }
    if (ptm_kernels_simd()) {
        ptm_gelu_avx2(j->out + b, j->inp + b, e - b);
        return;
    }
#endif
    for (size_t i = b; i < e; i++) j->out[i] = gelu_fast(j->inp[i]);
}

void gelu_forward(float *out, const float *inp, size_t n) {
    gelu_job j = {out, inp, NULL, NULL};
    ptm_parallel_for(n, 65536, gelu_fwd_range, &j);
}

static void gelu_bwd_set_range(void *a, size_t b, size_t e) {
    const gelu_job *j = a;
#if defined(__x86_64__) || defined(__i386__)
    if (ptm_kernels_level() >= PTM_KERNELS_AVX512) {
        ptm_gelu_backward_set_avx512(j->out + b, j->inp + b, j->dout + b,
                                     j->mask ? j->mask + b : NULL, e - b);
        return;
    }
    if (ptm_kernels_simd()) {
        ptm_gelu_backward_set_avx2(j->out + b, j->inp + b, j->dout + b,
                                   j->mask ? j->mask + b : NULL, e - b);
        return;
    }
#endif
    for (size_t i = b; i < e; i++) {
        float x = j->inp[i];
        float cdf = 0.5f * (1.0f + erf_fast(x * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
        float dy = j->mask ? j->dout[i] * j->mask[i] : j->dout[i];
        j->out[i] = dy * (cdf + x * pdf);
    }
}

/* dinp = dout * mask * GELU'(inp), written (mask NULL: none) */
void gelu_backward_set(float *dinp, const float *inp, const float *dout, const float *mask,
                       size_t n) {
    gelu_job j = {dinp, inp, dout, mask};
    ptm_parallel_for(n, 65536, gelu_bwd_set_range, &j);
}
