/* vec_ref.c - the scalar element-wise and row kernels (kernels.h): GELU forward and backward,
 * the gated attention's softmax gate along rows and down columns and its backward, the dropout
 * mask. The oracles of vec_avx2.c / vec_avx512.c and the scalar table's fields. */
#include <math.h>

#include "kernels/kernels.h"

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

float ptmi_gelu_fast(float x) {
    return 0.5f * x * (1.0f + erf_fast(x * 0.70710678118654752f));
}

void ptmi_gelu_ref(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = ptmi_gelu_fast(inp[i]);
}

/* inverted dropout: element i uses a counter-based 32-bit hash of (key, i) (two rounds of the
 * "lowbias32" integer hash), so masks can be filled in parallel, vectorise, and do not depend
 * on the thread count. An element is dropped when its hash is below p 2^32. */
static inline uint32_t hash32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* the dropout mask's element i (ptmi_drop_key, ptmi_dropout_mask_ref) */
static inline float drop_at(const ptmi_drop_key *k, size_t i) {
    return hash32(hash32((uint32_t)i ^ k->hi) + k->lo) < k->thr ? 0.0f : k->keep;
}

void ptmi_gelu_backward_set_ref(float *dinp, const float *inp, const float *dout,
                                const ptmi_drop_key *key, size_t i0, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + erf_fast(x * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
        float dy = key ? dout[i] * drop_at(key, i0 + i) : dout[i];
        dinp[i] = dy * (cdf + x * pdf);
    }
}

void ptmi_gelu_mask_ref(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                        size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = ptmi_gelu_fast(inp[i]) * drop_at(key, i0 + i);
}

void ptmi_dropout_mul_ref(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                          size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = inp[i] * drop_at(key, i0 + i);
}

void ptmi_col_sums_ref(float *acc, const float *x, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < n; j++) acc[j] += x[r * n + j];
}

void ptmi_transpose_ref(float *out, const float *inp, const float *add, int x, int y) {
    for (int r = 0; r < x; r++)
        for (int q = 0; q < y; q++) {
            size_t o = (size_t)q * x + r;
            out[o] = inp[(size_t)r * y + q] + (add ? add[o] : 0.0f);
        }
}

void ptmi_softmax_gate_ref(float *out, float *probs, const float *inp, size_t rows, int w,
                           const float *res) {
    for (size_t r = 0; r < rows; r++) {
        float *p = probs + r * (size_t)w;
        const float *x = inp + r * (size_t)w;
        float *y = out + r * (size_t)w;
        float mx = p[0];
        for (int i = 1; i < w; i++) mx = p[i] > mx ? p[i] : mx;
        float sum = 0.0f;
        for (int i = 0; i < w; i++) {
            p[i] = expf(p[i] - mx);
            sum += p[i];
        }
        float inv = 1.0f / sum;
        const float *q = res ? res + r * (size_t)w : NULL;
        for (int i = 0; i < w; i++) {
            p[i] *= inv;
            y[i] = q ? x[i] * p[i] + q[i] : x[i] * p[i];
        }
    }
}

void ptmi_softmax_cols_gate_ref(float *out, float *probs, const float *inp, int r, size_t w,
                                const float *res) {
    for (size_t j = 0; j < w; j++) {
        float mx = probs[j];
        for (int i = 1; i < r; i++)
            mx = probs[(size_t)i * w + j] > mx ? probs[(size_t)i * w + j] : mx;
        float sum = 0.0f;
        for (int i = 0; i < r; i++) {
            float e = expf(probs[(size_t)i * w + j] - mx);
            probs[(size_t)i * w + j] = e;
            sum += e;
        }
        float inv = 1.0f / sum;
        for (int i = 0; i < r; i++) {
            size_t o = (size_t)i * w + j;
            probs[o] *= inv;
            out[o] = res ? inp[o] * probs[o] + res[o] : inp[o] * probs[o];
        }
    }
}

/* y = x * p, p = softmax(z): dz = p * (dp - sum(dp * p)), dp = dy * x; dx += dy * p (the
 * gate's own linear layer adds W^T dz, in src/layers/gate.c) */
void ptmi_gate_backward_ref(float *dx, float *dz, const float *dy, const float *x, const float *p,
                            size_t rows, int w) {
    for (size_t r = 0; r < rows; r++) {
        const float *g = dy + r * (size_t)w;
        const float *xr = x + r * (size_t)w;
        const float *pr = p + r * (size_t)w;
        float *dzr = dz + r * (size_t)w;
        float *dxr = dx + r * (size_t)w;
        float dot = 0.0f;
        for (int i = 0; i < w; i++) dot += g[i] * xr[i] * pr[i];
        for (int i = 0; i < w; i++) {
            dzr[i] = pr[i] * (g[i] * xr[i] - dot);
            dxr[i] += g[i] * pr[i];
        }
    }
}

void ptmi_dropout_mask_ref(float *mask, size_t i0, size_t i1, uint32_t lo, uint32_t hi,
                           uint32_t thr, float keep) {
    for (size_t i = i0; i < i1; i++) {
        uint32_t h = hash32(hash32((uint32_t)i ^ hi) + lo);
        mask[i] = h < thr ? 0.0f : keep;
    }
}
