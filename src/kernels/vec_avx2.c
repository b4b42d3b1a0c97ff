/* vec_avx2.c - element-wise kernels for AVX2 + FMA: GELU (forward and backward) and the
 * row softmax-and-gate of gated attention, with a vector exp. Compiled with -mavx2 -mfma for
 * this file only; dispatch.c calls them when the CPU has both. The scalar versions in
 * src/layers/activation.c and gate.c are the oracles (tests/test_kernels.c compares them). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* exp(x) for x in [-87, 88]: 2^n e^r with r in [-ln2/2, ln2/2], degree-6 polynomial
 * (Cephes expf coefficients), relative error ~1e-7 */
static inline __m256 exp256(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500E-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
    __m256 r2 = _mm256_mul_ps(r, r);
    p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* the rational erf of activation.c, 8 lanes at a time */
static inline __m256 erf256(__m256 x) {
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
    __m256 x2 = _mm256_mul_ps(xc, xc);
    __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.77068142495902e-08f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.10102402082508e-06f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-5.69250639462346e-05f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-7.34990630326855e-04f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.95459980854025e-03f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.60960333262415e-02f));
    __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-2.13374055278905e-04f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.68282697438203e-03f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-7.37332916720468e-03f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.42647390514189e-02f));
    return _mm256_div_ps(_mm256_mul_ps(xc, p), q);
}

void ptm_gelu_avx2(float *out, const float *inp, size_t n) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 rs2 = _mm256_set1_ps(0.70710678118654752f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(inp + i);
        __m256 e = erf256(_mm256_mul_ps(x, rs2));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(one, e)));
    }
    for (; i < n; i++) {
        float x = inp[i];
        __m256 e = erf256(_mm256_set1_ps(x * 0.70710678118654752f));
        out[i] = 0.5f * x * (1.0f + _mm256_cvtss_f32(e));
    }
}

void ptm_gelu_backward_avx2(float *dinp, const float *inp, const float *dout, size_t n) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 rs2 = _mm256_set1_ps(0.70710678118654752f);
    const __m256 c = _mm256_set1_ps(0.39894228040143268f), mh = _mm256_set1_ps(-0.5f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(inp + i);
        __m256 cdf = _mm256_mul_ps(half, _mm256_add_ps(one, erf256(_mm256_mul_ps(x, rs2))));
        __m256 pdf = _mm256_mul_ps(c, exp256(_mm256_mul_ps(mh, _mm256_mul_ps(x, x))));
        __m256 g = _mm256_fmadd_ps(x, pdf, cdf);
        _mm256_storeu_ps(dinp + i,
                         _mm256_fmadd_ps(_mm256_loadu_ps(dout + i), g, _mm256_loadu_ps(dinp + i)));
    }
    for (; i < n; i++) {
        float x = inp[i];
        float cdf =
            0.5f * (1.0f + _mm256_cvtss_f32(erf256(_mm256_set1_ps(x * 0.70710678118654752f))));
        float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
        dinp[i] += dout[i] * (cdf + x * pdf);
    }
}

/* dinp = dout * mask * GELU'(inp) (mask NULL: 1), written, not accumulated: the MLP backward
 * through dropout and GELU in one pass, the same products as masking first */
void ptm_gelu_backward_set_avx2(float *dinp, const float *inp, const float *dout, const float *mask,
                                size_t n) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 rs2 = _mm256_set1_ps(0.70710678118654752f);
    const __m256 c = _mm256_set1_ps(0.39894228040143268f), mh = _mm256_set1_ps(-0.5f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(inp + i);
        __m256 cdf = _mm256_mul_ps(half, _mm256_add_ps(one, erf256(_mm256_mul_ps(x, rs2))));
        __m256 pdf = _mm256_mul_ps(c, exp256(_mm256_mul_ps(mh, _mm256_mul_ps(x, x))));
        __m256 g = _mm256_fmadd_ps(x, pdf, cdf);
        __m256 dy = _mm256_loadu_ps(dout + i);
        if (mask) dy = _mm256_mul_ps(dy, _mm256_loadu_ps(mask + i));
        _mm256_storeu_ps(dinp + i, _mm256_mul_ps(dy, g));
    }
    for (; i < n; i++) {
        float x = inp[i];
        float cdf =
            0.5f * (1.0f + _mm256_cvtss_f32(erf256(_mm256_set1_ps(x * 0.70710678118654752f))));
        float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
        float dy = mask ? dout[i] * mask[i] : dout[i];
        dinp[i] = dy * (cdf + x * pdf);
    }
}

/* rows of width w (a multiple of 8): p = softmax(p) in place, y = x * p */
void ptm_softmax_gate_avx2(float *out, float *probs, const float *inp, size_t rows, int w) {
    for (size_t r = 0; r < rows; r++) {
        float *p = probs + r * (size_t)w;
        const float *x = inp + r * (size_t)w;
        float *y = out + r * (size_t)w;
        __m256 mx = _mm256_loadu_ps(p);
        for (int i = 8; i < w; i += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(p + i));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
        __m256 vmax = _mm256_set1_ps(_mm_cvtss_f32(m4));
        __m256 sum = _mm256_setzero_ps();
        for (int i = 0; i < w; i += 8) {
            __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(p + i), vmax));
            _mm256_storeu_ps(p + i, e);
            sum = _mm256_add_ps(sum, e);
        }
        __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
        s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
        __m256 inv = _mm256_set1_ps(1.0f / _mm_cvtss_f32(s4));
        for (int i = 0; i < w; i += 8) {
            __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), inv);
            _mm256_storeu_ps(p + i, pi);
            _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), pi));
        }
    }
}
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* LayerNorm over rows of width d (a multiple of 8, at most 64), two-pass mean / variance in
 * float; mean and rstd may be NULL */
void ptm_layernorm_avx2(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                        const float *bias, size_t rows, int d, float eps) {
    int nv = d / 8;
    __m256 w[8], bb[8];
    for (int v = 0; v < nv; v++) {
        w[v] = _mm256_loadu_ps(weight + 8 * v);
        bb[v] = _mm256_loadu_ps(bias + 8 * v);
    }
    float invd = 1.0f / (float)d;
    for (size_t r = 0; r < rows; r++) {
        const float *x = inp + r * (size_t)d;
        float *y = out + r * (size_t)d;
        __m256 xv[8], acc = _mm256_setzero_ps();
        for (int v = 0; v < nv; v++) {
            xv[v] = _mm256_loadu_ps(x + 8 * v);
            acc = _mm256_add_ps(acc, xv[v]);
        }
        float m = hsum256(acc) * invd;
        __m256 mv = _mm256_set1_ps(m), sq = _mm256_setzero_ps();
        for (int v = 0; v < nv; v++) {
            xv[v] = _mm256_sub_ps(xv[v], mv);
            sq = _mm256_fmadd_ps(xv[v], xv[v], sq);
        }
        float s = 1.0f / sqrtf(hsum256(sq) * invd + eps);
        __m256 sv = _mm256_set1_ps(s);
        for (int v = 0; v < nv; v++)
            _mm256_storeu_ps(y + 8 * v, _mm256_fmadd_ps(_mm256_mul_ps(xv[v], sv), w[v], bb[v]));
        if (mean) mean[r] = m;
        if (rstd) rstd[r] = s;
    }
}
/* the dropout mask of mixer.c (dropout_part) for elements [i0, i1): mask[i] = 0 when
 * lowbias32(lowbias32(i ^ hi) + lo) < thr, else keep; 8 lanes at a time, identical results */
static inline __m256i hash256(__m256i x) {
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32((int)0x846ca68bU));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    return x;
}

void ptm_dropout_mask_avx2(float *mask, size_t i0, size_t i1, uint32_t lo, uint32_t hi,
                           uint32_t thr, float keep) {
    const __m256i vhi = _mm256_set1_epi32((int)hi), vlo = _mm256_set1_epi32((int)lo);
    /* unsigned h < thr as signed compare after flipping the top bits */
    const __m256i flip = _mm256_set1_epi32((int)0x80000000U);
    const __m256i vthr = _mm256_set1_epi32((int)(thr ^ 0x80000000U));
    const __m256 vkeep = _mm256_set1_ps(keep);
    __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)i0),
                                   _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i step = _mm256_set1_epi32(8);
    size_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        __m256i h = hash256(_mm256_add_epi32(hash256(_mm256_xor_si256(idx, vhi)), vlo));
        __m256i drop = _mm256_cmpgt_epi32(vthr, _mm256_xor_si256(h, flip));
        _mm256_storeu_ps(mask + i, _mm256_andnot_ps(_mm256_castsi256_ps(drop), vkeep));
        idx = _mm256_add_epi32(idx, step);
    }
    for (; i < i1; i++) {
        uint32_t x = (uint32_t)i ^ hi;
        for (int r = 0; r < 2; r++) {
            x ^= x >> 16;
            x *= 0x7feb352dU;
            x ^= x >> 15;
            x *= 0x846ca68bU;
            x ^= x >> 16;
            if (r == 0) x += lo;
        }
        mask[i] = x < thr ? 0.0f : keep;
    }
}
#endif
