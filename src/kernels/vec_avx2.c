/* vec_avx2.c - the AVX2 + FMA table's element-wise kernels: GELU (forward and backward), the
 * softmax gate of gated attention along rows and down columns, LayerNorm, the dropout mask and
 * the AdamW step. Compiled with -mavx2 -mfma for this file only; dispatch.c puts them in the
 * table when the CPU has both. The scalar kernels of vec_ref.c, norm_ref.c and adamw_ref.c are
 * the oracles (tests/test_kernels.c compares every field). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"
#include "kernels/simd256.h"

/* lanes [0, r) set, r in 1..7 */
static inline __m256i tail_mask8(size_t r) {
    static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(m + 8 - r));
}

/* one round of the "lowbias32" integer hash on 8 lanes (ptmi_dropout_mask_ref) */
static inline __m256i hash256(__m256i x) {
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32((int)0x846ca68bU));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    return x;
}

/* elements i .. i+7 of the dropout mask of key (ptmi_drop_key): 0 or keep */
static inline __m256 drop8(const ptmi_drop_key *k, size_t i) {
    const __m256i flip = _mm256_set1_epi32((int)0x80000000U);
    __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)i),
                                   _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i h =
        hash256(_mm256_add_epi32(hash256(_mm256_xor_si256(idx, _mm256_set1_epi32((int)k->hi))),
                                 _mm256_set1_epi32((int)k->lo)));
    /* unsigned h < thr as a signed compare after flipping the top bits */
    __m256i drop = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k->thr ^ 0x80000000U)),
                                      _mm256_xor_si256(h, flip));
    return _mm256_andnot_ps(_mm256_castsi256_ps(drop), _mm256_set1_ps(k->keep));
}

static inline float drop1(const ptmi_drop_key *k, size_t i) {
    uint32_t x = (uint32_t)i ^ k->hi;
    for (int r = 0; r < 2; r++) {
        x ^= x >> 16;
        x *= 0x7feb352dU;
        x ^= x >> 15;
        x *= 0x846ca68bU;
        x ^= x >> 16;
        if (r == 0) x += k->lo;
    }
    return x < k->thr ? 0.0f : k->keep;
}

/* GELU by gelu256, the last n % 8 elements masked: the same bits as the fused linear layer's */
void ptmi_gelu_avx2(float *out, const float *inp, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, gelu256(_mm256_loadu_ps(inp + i)));
    if (i < n) {
        __m256i m = tail_mask8(n - i);
        _mm256_maskstore_ps(out + i, m, gelu256(_mm256_maskload_ps(inp + i, m)));
    }
}

void ptmi_gelu_mask_avx2(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                         size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i,
                         _mm256_mul_ps(gelu256(_mm256_loadu_ps(inp + i)), drop8(key, i0 + i)));
    if (i < n) {
        __m256i m = tail_mask8(n - i);
        _mm256_maskstore_ps(
            out + i, m, _mm256_mul_ps(gelu256(_mm256_maskload_ps(inp + i, m)), drop8(key, i0 + i)));
    }
}

void ptmi_dropout_mul_avx2(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                           size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(inp + i), drop8(key, i0 + i)));
    for (; i < n; i++) out[i] = inp[i] * drop1(key, i0 + i);
}

/* column sums in blocks of up to 8 vectors held across the rows (the scalar loop's sums);
 * the columns past the last multiple of 8 by the scalar loop */
void ptmi_col_sums_avx2(float *acc, const float *x, size_t rows, size_t n) {
    size_t n8 = n / 8 * 8;
    for (size_t j0 = 0; j0 < n8; j0 += 64) {
        size_t nv = (n8 - j0 < 64 ? n8 - j0 : 64) / 8;
        __m256 a[8];
        for (size_t v = 0; v < nv; v++) a[v] = _mm256_loadu_ps(acc + j0 + 8 * v);
        for (size_t r = 0; r < rows; r++)
            for (size_t v = 0; v < nv; v++)
                a[v] = _mm256_add_ps(a[v], _mm256_loadu_ps(x + r * n + j0 + 8 * v));
        for (size_t v = 0; v < nv; v++) _mm256_storeu_ps(acc + j0 + 8 * v, a[v]);
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t j = n8; j < n; j++) acc[j] += x[r * n + j];
}

/* the transpose in 8 x 8 blocks of registers (unpack, shuffle, 128-bit swap); the rows and
 * columns past the last full block by the scalar loop (the same sums: one addition each) */
static inline void tr8(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        s[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
    }
}

void ptmi_transpose_avx2(float *out, const float *inp, const float *add, int x, int y) {
    int x8 = x / 8 * 8, y8 = y / 8 * 8;
    const __m256 zero = _mm256_setzero_ps();
    for (int r0 = 0; r0 < x8; r0 += 8)
        for (int q0 = 0; q0 < y8; q0 += 8) {
            __m256 v[8];
            for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_ps(inp + (size_t)(r0 + i) * y + q0);
            tr8(v);
            for (int q = 0; q < 8; q++) {
                size_t o = (size_t)(q0 + q) * x + r0;
                _mm256_storeu_ps(out + o,
                                 _mm256_add_ps(v[q], add ? _mm256_loadu_ps(add + o) : zero));
            }
        }
    for (int r = 0; r < x; r++) /* the edges */
        for (int q = r < x8 ? y8 : 0; q < y; q++) {
            size_t o = (size_t)q * x + r;
            out[o] = inp[(size_t)r * y + q] + (add ? add[o] : 0.0f);
        }
}

/* dinp = dout * mask * GELU'(inp) (mask NULL: 1), written, not accumulated: the MLP backward
 * through dropout and GELU in one pass, the same products as masking first */
void ptmi_gelu_backward_set_avx2(float *dinp, const float *inp, const float *dout,
                                 const ptmi_drop_key *key, size_t i0, size_t n) {
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
        if (key) dy = _mm256_mul_ps(dy, drop8(key, i0 + i));
        _mm256_storeu_ps(dinp + i, _mm256_mul_ps(dy, g));
    }
    for (; i < n; i++) {
        float x = inp[i];
        float cdf =
            0.5f * (1.0f + _mm256_cvtss_f32(erf256(_mm256_set1_ps(x * 0.70710678118654752f))));
        float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
        float dy = key ? dout[i] * drop1(key, i0 + i) : dout[i];
        dinp[i] = dy * (cdf + x * pdf);
    }
}

/* rows of width w: p = softmax(p) in place, y = x * p (+ res); widths that are not a multiple
 * of 8 by the scalar kernel */
void ptmi_softmax_gate_avx2(float *out, float *probs, const float *inp, size_t rows, int w,
                            const float *res) {
    if (w % 8) {
        ptmi_softmax_gate_ref(out, probs, inp, rows, w, res);
        return;
    }
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
            __m256 o = _mm256_mul_ps(_mm256_loadu_ps(x + i), pi);
            if (res) o = _mm256_add_ps(o, _mm256_loadu_ps(res + r * (size_t)w + i));
            _mm256_storeu_ps(y + i, o);
        }
    }
}
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* x[8 rows, stride d] -> t[d][8]: element i of the eight rows side by side (8 x 8 transposes in
 * registers, the last d % 8 columns one by one) */
static void rows_to_lanes8(float *t, const float *x, int d) {
    int i = 0;
    for (; i + 8 <= d; i += 8) {
        __m256 r[8], u[8], v[8];
        for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(x + (size_t)k * d + i);
        for (int k = 0; k < 8; k += 2) {
            u[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
            u[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
        }
        for (int k = 0; k < 8; k += 4) {
            v[k] = _mm256_shuffle_ps(u[k], u[k + 2], 0x44);
            v[k + 1] = _mm256_shuffle_ps(u[k], u[k + 2], 0xee);
            v[k + 2] = _mm256_shuffle_ps(u[k + 1], u[k + 3], 0x44);
            v[k + 3] = _mm256_shuffle_ps(u[k + 1], u[k + 3], 0xee);
        }
        for (int k = 0; k < 4; k++) {
            _mm256_storeu_ps(t + (size_t)(i + k) * 8, _mm256_permute2f128_ps(v[k], v[k + 4], 0x20));
            _mm256_storeu_ps(t + (size_t)(i + k + 4) * 8,
                             _mm256_permute2f128_ps(v[k], v[k + 4], 0x31));
        }
    }
    for (; i < d; i++)
        for (int k = 0; k < 8; k++) t[(size_t)i * 8 + k] = x[(size_t)k * d + i];
}

/* the statistics of eight rows as ptmi_layernorm_ref computes them (double sums in row order),
 * from their lanes t[d][8]: mean and 1 / std as floats */
static void lane_stats8(float *mf, float *sf, const float *t, int d, float eps) {
    const __m256d dd = _mm256_set1_pd((double)d);
    __m256d m0 = _mm256_setzero_pd(), m1 = _mm256_setzero_pd();
    for (int i = 0; i < d; i++) {
        __m256 g = _mm256_loadu_ps(t + (size_t)i * 8);
        m0 = _mm256_add_pd(m0, _mm256_cvtps_pd(_mm256_castps256_ps128(g)));
        m1 = _mm256_add_pd(m1, _mm256_cvtps_pd(_mm256_extractf128_ps(g, 1)));
    }
    m0 = _mm256_div_pd(m0, dd);
    m1 = _mm256_div_pd(m1, dd);
    __m256d v0 = _mm256_setzero_pd(), v1 = _mm256_setzero_pd();
    for (int i = 0; i < d; i++) {
        __m256 g = _mm256_loadu_ps(t + (size_t)i * 8);
        __m256d t0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(g)), m0);
        __m256d t1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(g, 1)), m1);
        v0 = _mm256_add_pd(v0, _mm256_mul_pd(t0, t0));
        v1 = _mm256_add_pd(v1, _mm256_mul_pd(t1, t1));
    }
    const __m256d e = _mm256_set1_pd((double)eps), one = _mm256_set1_pd(1.0);
    v0 = _mm256_div_pd(one, _mm256_sqrt_pd(_mm256_add_pd(_mm256_div_pd(v0, dd), e)));
    v1 = _mm256_div_pd(one, _mm256_sqrt_pd(_mm256_add_pd(_mm256_div_pd(v1, dd), e)));
    _mm_storeu_ps(mf, _mm256_cvtpd_ps(m0));
    _mm_storeu_ps(mf + 4, _mm256_cvtpd_ps(m1));
    _mm_storeu_ps(sf, _mm256_cvtpd_ps(v0));
    _mm_storeu_ps(sf + 4, _mm256_cvtpd_ps(v1));
}

/* LayerNorm of the widths the kernels below lack, bit-identical to ptmi_layernorm_ref: eight
 * rows at a time, one row per double lane, so that every row's statistics are the oracle's
 * double sums in its order; then the oracle's float expression along each row. The last
 * rows % 8 (and rows wider than LANES_MAX_D) by the oracle itself. */
#define LANES_MAX_D 512
void ptmi_layernorm_rows_avx2(float *out, float *mean, float *rstd, const float *inp,
                              const float *weight, const float *bias, size_t rows, int d,
                              float eps) {
    float t[LANES_MAX_D * 8];
    size_t r = 0;
    for (; d <= LANES_MAX_D && r + 8 <= rows; r += 8) {
        const float *x = inp + r * (size_t)d;
        float mf[8], sf[8];
        rows_to_lanes8(t, x, d);
        lane_stats8(mf, sf, t, d, eps);
        for (int k = 0; k < 8; k++) {
            const float *xr = x + (size_t)k * d;
            float *y = out + (r + k) * (size_t)d;
            __m256 mv = _mm256_set1_ps(mf[k]), sv = _mm256_set1_ps(sf[k]);
            int i = 0;
            for (; i + 8 <= d; i += 8) {
                __m256 z = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + i), mv), sv);
                z = _mm256_mul_ps(z, _mm256_loadu_ps(weight + i));
                _mm256_storeu_ps(y + i, _mm256_add_ps(z, _mm256_loadu_ps(bias + i)));
            }
            for (; i < d; i++) y[i] = (xr[i] - mf[k]) * sf[k] * weight[i] + bias[i];
            if (mean) mean[r + k] = mf[k];
            if (rstd) rstd[r + k] = sf[k];
        }
    }
    if (r < rows)
        ptmi_layernorm_ref(out + r * (size_t)d, mean ? mean + r : NULL, rstd ? rstd + r : NULL,
                           inp + r * (size_t)d, weight, bias, rows - r, d, eps);
}
#undef LANES_MAX_D

/* LayerNorm over rows of width d (a multiple of 8) too wide to hold in registers: the same
 * float sums as ptmi_layernorm_avx2, each pass reading the row again (from L1) */
static void layernorm_wide_avx2(float *out, float *mean, float *rstd, const float *inp,
                                const float *weight, const float *bias, size_t rows, int d,
                                float eps) {
    float invd = 1.0f / (float)d;
    for (size_t r = 0; r < rows; r++) {
        const float *x = inp + r * (size_t)d;
        float *y = out + r * (size_t)d;
        __m256 acc = _mm256_setzero_ps();
        for (int j = 0; j < d; j += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(x + j));
        float m = hsum256(acc) * invd;
        __m256 mv = _mm256_set1_ps(m), sq = _mm256_setzero_ps();
        for (int j = 0; j < d; j += 8) {
            __m256 xc = _mm256_sub_ps(_mm256_loadu_ps(x + j), mv);
            sq = _mm256_fmadd_ps(xc, xc, sq);
        }
        float s = 1.0f / sqrtf(hsum256(sq) * invd + eps);
        __m256 sv = _mm256_set1_ps(s);
        for (int j = 0; j < d; j += 8) {
            __m256 xc = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), mv), sv);
            _mm256_storeu_ps(
                y + j, _mm256_fmadd_ps(xc, _mm256_loadu_ps(weight + j), _mm256_loadu_ps(bias + j)));
        }
        if (mean) mean[r] = m;
        if (rstd) rstd[r] = s;
    }
}

/* LayerNorm over rows of width d (a multiple of 8: in registers to 64, by layernorm_wide_avx2 to
 * 256; other widths by ptmi_layernorm_rows_avx2), two-pass mean / variance in float; mean and
 * rstd may be NULL */
void ptmi_layernorm_avx2(float *out, float *mean, float *rstd, const float *inp,
                         const float *weight, const float *bias, size_t rows, int d, float eps) {
    if (d % 8 || d > 256) {
        ptmi_layernorm_rows_avx2(out, mean, rstd, inp, weight, bias, rows, d, eps);
        return;
    }
    if (d > 64) {
        layernorm_wide_avx2(out, mean, rstd, inp, weight, bias, rows, d, eps);
        return;
    }
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
/* the dropout mask (ptmi_dropout_mask_ref) for elements [i0, i1): mask[i] = 0 when
 * lowbias32(lowbias32(i ^ hi) + lo) < thr, else keep: drop8 and drop1 (the kernels that apply
 * a mask without storing it compute the same values) */
void ptmi_dropout_mask_avx2(float *mask, size_t i0, size_t i1, uint32_t lo, uint32_t hi,
                            uint32_t thr, float keep) {
    const ptmi_drop_key k = {lo, hi, thr, keep};
    size_t i = i0;
    for (; i + 8 <= i1; i += 8) _mm256_storeu_ps(mask + i, drop8(&k, i));
    for (; i < i1; i++) mask[i] = drop1(&k, i);
}
/* softmax down the columns of an [r, w] block and the gate (+ res), 8 columns per vector,
 * as ptmi_softmax_cols_gate_avx512 */
void ptmi_softmax_cols_gate_avx2(float *out, float *probs, const float *inp, int r, size_t w,
                                 const float *res) {
    for (size_t j = 0; j < w; j += 8) {
        int full = w - j >= 8;
        __m256i m = full ? _mm256_set1_epi32(-1) : tail_mask8(w - j);
#define LD(p) (full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m))
#define ST(p, v)                                                                                   \
    do {                                                                                           \
        if (full)                                                                                  \
            _mm256_storeu_ps(p, v);                                                                \
        else                                                                                       \
            _mm256_maskstore_ps(p, m, v);                                                          \
    } while (0)
        __m256 mx = LD(probs + j);
        for (int i = 1; i < r; i++) mx = _mm256_max_ps(mx, LD(probs + (size_t)i * w + j));
        __m256 sum = _mm256_setzero_ps();
        for (int i = 0; i < r; i++) {
            float *p = probs + (size_t)i * w + j;
            __m256 e = exp256(_mm256_sub_ps(LD(p), mx));
            ST(p, e);
            sum = _mm256_add_ps(sum, e);
        }
        /* masked-off lanes hold 0 sums: divide by 1 there */
        __m256 safe = _mm256_blendv_ps(_mm256_set1_ps(1.0f), sum, _mm256_castsi256_ps(m));
        __m256 inv = _mm256_div_ps(_mm256_set1_ps(1.0f), safe);
        for (int i = 0; i < r; i++) {
            float *p = probs + (size_t)i * w + j;
            __m256 pi = _mm256_mul_ps(LD(p), inv);
            ST(p, pi);
            __m256 y = _mm256_mul_ps(LD(inp + (size_t)i * w + j), pi);
            if (res) y = _mm256_add_ps(y, LD(res + (size_t)i * w + j));
            ST(out + (size_t)i * w + j, y);
        }
#undef LD
#undef ST
    }
}
/* AdamW over [0, n) (ptmi_adamw_ref is the oracle): the same operations in the same order,
 * 8 lanes at a time - FMA instructions round like fmaf, vsqrtps and vdivps like sqrtf and '/',
 * so the result is bit-identical to the scalar loop */
void ptmi_adamw_avx2(float *param, const float *grad, float *m, float *v, size_t n,
                     const unsigned char *decay_mask, float decay, float b1f, float one_b1,
                     float b2f, float one_b2, float neg_step, float bc2_sqrt, float epsf) {
    const __m256 vdecay = _mm256_set1_ps(decay), vb1 = _mm256_set1_ps(b1f);
    const __m256 v1b1 = _mm256_set1_ps(one_b1), vb2 = _mm256_set1_ps(b2f);
    const __m256 v1b2 = _mm256_set1_ps(one_b2), vstep = _mm256_set1_ps(neg_step);
    const __m256 vbc2 = _mm256_set1_ps(bc2_sqrt), veps = _mm256_set1_ps(epsf);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(grad + i), x = _mm256_loadu_ps(param + i);
        if (!decay_mask) {
            x = _mm256_mul_ps(x, vdecay);
        } else {
            /* lanes whose mask byte is set take the decay */
            __m128i b = _mm_loadl_epi64((const __m128i *)(decay_mask + i));
            __m256i wide = _mm256_cvtepu8_epi32(b);
            __m256 sel = _mm256_castsi256_ps(_mm256_cmpgt_epi32(wide, _mm256_setzero_si256()));
            x = _mm256_blendv_ps(x, _mm256_mul_ps(x, vdecay), sel);
        }
        __m256 mi = _mm256_fmadd_ps(v1b1, g, _mm256_mul_ps(_mm256_loadu_ps(m + i), vb1));
        __m256 vi =
            _mm256_fmadd_ps(_mm256_mul_ps(v1b2, g), g, _mm256_mul_ps(_mm256_loadu_ps(v + i), vb2));
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc2), veps);
        x = _mm256_add_ps(x, _mm256_div_ps(_mm256_mul_ps(vstep, mi), denom));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(param + i, x);
    }
    for (; i < n; i++) {
        float g = grad[i], x = param[i];
        if (!decay_mask || decay_mask[i]) x = x * decay;
        float mi = fmaf(one_b1, g, m[i] * b1f);
        float vi = fmaf(one_b2 * g, g, v[i] * b2f);
        float denom = sqrtf(vi) / bc2_sqrt + epsf;
        x = x + neg_step * mi / denom;
        m[i] = mi;
        v[i] = vi;
        param[i] = x;
    }
}
/* LayerNorm backward over rows of width d (a multiple of 8, at most 64; other widths by the
 * scalar kernel), as ptmi_layernorm_backward_avx512 one row at a time:
 *   dinp += (dn - mean(dn) - xhat mean(dn xhat)) rstd,  dn = weight * dout,
 * the two row means in float (the scalar kernel sums in double) */
void ptmi_layernorm_backward_avx2(float *dinp, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd,
                                  size_t rows, int d) {
    if (d % 8 || d > 64) {
        ptmi_layernorm_backward_ref(dinp, dout, inp, weight, mean, rstd, rows, d);
        return;
    }
    int nv = d / 8;
    __m256 w[8];
    for (int v = 0; v < nv; v++) w[v] = _mm256_loadu_ps(weight + 8 * v);
    float invd = 1.0f / (float)d;
    for (size_t r = 0; r < rows; r++) {
        const float *x = inp + r * (size_t)d, *g = dout + r * (size_t)d;
        float *gx = dinp + r * (size_t)d;
        __m256 m = _mm256_set1_ps(mean[r]), s = _mm256_set1_ps(rstd[r]);
        __m256 sa = _mm256_setzero_ps(), sb = _mm256_setzero_ps();
        for (int v = 0; v < nv; v++) {
            __m256 xh = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + 8 * v), m), s);
            __m256 dn = _mm256_mul_ps(w[v], _mm256_loadu_ps(g + 8 * v));
            sa = _mm256_add_ps(sa, dn);
            sb = _mm256_fmadd_ps(dn, xh, sb);
        }
        __m256 a = _mm256_set1_ps(hsum256(sa) * invd), b = _mm256_set1_ps(hsum256(sb) * invd);
        for (int v = 0; v < nv; v++) {
            __m256 xh = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + 8 * v), m), s);
            __m256 dn = _mm256_mul_ps(w[v], _mm256_loadu_ps(g + 8 * v));
            __m256 t = _mm256_sub_ps(_mm256_sub_ps(dn, a), _mm256_mul_ps(xh, b));
            _mm256_storeu_ps(gx + 8 * v, _mm256_fmadd_ps(t, s, _mm256_loadu_ps(gx + 8 * v)));
        }
    }
}

/* dweight += sum_r xhat dout, dbias += sum_r dout over rows of width d (a multiple of 8, at
 * most 64; others scalar), in registers, row after row in order: the same sums as the scalar
 * loop, bit for bit */
void ptmi_layernorm_param_grads_avx2(float *dweight, float *dbias, const float *dout,
                                     const float *inp, const float *mean, const float *rstd,
                                     size_t rows, int d) {
    if (d % 8 || d > 64) {
        ptmi_layernorm_param_grads_ref(dweight, dbias, dout, inp, mean, rstd, rows, d);
        return;
    }
    if (!dweight && !dbias) return;
    int nv = d / 8;
    __m256 dw[8], db[8];
    for (int v = 0; v < nv; v++) {
        dw[v] = dweight ? _mm256_loadu_ps(dweight + 8 * v) : _mm256_setzero_ps();
        db[v] = dbias ? _mm256_loadu_ps(dbias + 8 * v) : _mm256_setzero_ps();
    }
    for (size_t q = 0; q < rows; q++) {
        __m256 m = _mm256_set1_ps(mean[q]), s = _mm256_set1_ps(rstd[q]);
        for (int v = 0; v < nv; v++) {
            size_t o = q * (size_t)d + 8 * v;
            __m256 gv = _mm256_loadu_ps(dout + o);
            __m256 xh = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(inp + o), m), s);
            db[v] = _mm256_add_ps(db[v], gv);
            dw[v] = _mm256_add_ps(dw[v], _mm256_mul_ps(xh, gv));
        }
    }
    for (int v = 0; v < nv; v++) {
        if (dweight) _mm256_storeu_ps(dweight + 8 * v, dw[v]);
        if (dbias) _mm256_storeu_ps(dbias + 8 * v, db[v]);
    }
}

/* gated attention backward over rows of width w (any; masked tails), as the per-row path of
 * ptmi_gate_backward_avx512: dot = sum dy x p, dz = p (dy x - dot), dx += dy p */
void ptmi_gate_backward_avx2(float *dx, float *dz, const float *dy, const float *x, const float *p,
                             size_t rows, int w) {
    int wf = w / 8 * 8;
    __m256i mt = wf < w ? tail_mask8((size_t)(w - wf)) : _mm256_setzero_si256();
    for (size_t r = 0; r < rows; r++) {
        size_t o = r * (size_t)w;
        __m256 acc = _mm256_setzero_ps();
        for (int i = 0; i < wf; i += 8)
            acc = _mm256_fmadd_ps(
                _mm256_mul_ps(_mm256_loadu_ps(dy + o + i), _mm256_loadu_ps(x + o + i)),
                _mm256_loadu_ps(p + o + i), acc);
        if (wf < w)
            acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_maskload_ps(dy + o + wf, mt),
                                                _mm256_maskload_ps(x + o + wf, mt)),
                                  _mm256_maskload_ps(p + o + wf, mt), acc);
        __m256 dot = _mm256_set1_ps(hsum256(acc));
        for (int i = 0; i < wf; i += 8) {
            __m256 g = _mm256_loadu_ps(dy + o + i), pi = _mm256_loadu_ps(p + o + i);
            __m256 gx = _mm256_mul_ps(g, _mm256_loadu_ps(x + o + i));
            _mm256_storeu_ps(dz + o + i, _mm256_mul_ps(pi, _mm256_sub_ps(gx, dot)));
            _mm256_storeu_ps(dx + o + i, _mm256_fmadd_ps(g, pi, _mm256_loadu_ps(dx + o + i)));
        }
        if (wf < w) {
            __m256 g = _mm256_maskload_ps(dy + o + wf, mt), pi = _mm256_maskload_ps(p + o + wf, mt);
            __m256 gx = _mm256_mul_ps(g, _mm256_maskload_ps(x + o + wf, mt));
            _mm256_maskstore_ps(dz + o + wf, mt, _mm256_mul_ps(pi, _mm256_sub_ps(gx, dot)));
            _mm256_maskstore_ps(dx + o + wf, mt,
                                _mm256_fmadd_ps(g, pi, _mm256_maskload_ps(dx + o + wf, mt)));
        }
    }
}

/* std scaling statistics of nc <= 8 adjacent channels of one sample (x[t c + j], t < l,
 * j < nc; observed likewise, NULL = all observed), one channel per double lane in two 4-lane
 * halves. Each lane does exactly the scalar loop of ptmi_std_stats_ref for its channel - the
 * same double operations in the same order, no fused multiply-add - so loc and scale are
 * bit-identical to it (as ptmi_std_stats_avx512). */
static inline void load8_pd(const float *p, __m256i m, int full, __m256d *lo, __m256d *hi) {
    __m256 v = full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
    *lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    *hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}

void ptmi_std_stats_avx2(float *loc, float *scale, const float *x, const float *observed, int l,
                         int c, int nc) {
    int full = nc >= 8;
    __m256i m = full ? _mm256_set1_epi32(-1) : tail_mask8((size_t)nc);
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d sum[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
    __m256d nobs[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
    __m256d xv[2], mv[2] = {one, one};
    for (int t = 0; t < l; t++) {
        load8_pd(x + (size_t)t * c, m, full, &xv[0], &xv[1]);
        if (observed) load8_pd(observed + (size_t)t * c, m, full, &mv[0], &mv[1]);
        for (int h = 0; h < 2; h++) {
            sum[h] = _mm256_add_pd(sum[h], _mm256_mul_pd(xv[h], mv[h]));
            nobs[h] = _mm256_add_pd(nobs[h], mv[h]);
        }
    }
    __m256d den[2], mu[2], var[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
    for (int h = 0; h < 2; h++) {
        den[h] = _mm256_max_pd(nobs[h], one); /* nobs < 1 ? 1 : nobs */
        mu[h] = _mm256_div_pd(sum[h], den[h]);
    }
    for (int t = 0; t < l; t++) {
        load8_pd(x + (size_t)t * c, m, full, &xv[0], &xv[1]);
        if (observed) load8_pd(observed + (size_t)t * c, m, full, &mv[0], &mv[1]);
        for (int h = 0; h < 2; h++) {
            __m256d dv = _mm256_mul_pd(_mm256_sub_pd(xv[h], mu[h]), mv[h]);
            var[h] = _mm256_add_pd(var[h], _mm256_mul_pd(dv, dv));
        }
    }
    double lv[8], sv[8];
    for (int h = 0; h < 2; h++) {
        var[h] = _mm256_div_pd(var[h], den[h]);
        _mm256_storeu_pd(lv + 4 * h, mu[h]);
        _mm256_storeu_pd(sv + 4 * h, _mm256_sqrt_pd(_mm256_add_pd(var[h], _mm256_set1_pd(1e-5))));
    }
    for (int j = 0; j < nc; j++) {
        loc[j] = (float)lv[j];
        scale[j] = (float)sv[j];
    }
}
#endif
