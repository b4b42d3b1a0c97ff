/* vec_avx512.c - the AVX-512F table's element-wise kernels: the row softmax-and-gate of gated
 * attention for any row width (masked tails), the same down columns, its backward, GELU
 * (forward and backward), LayerNorm forward over rows of any multiple of 16 to 256 and backward
 * over 16, 32, 48 or 64, and the std scaler's statistics.
 * Compiled with -mavx512f -mfma for this file only; dispatch.c puts them in the table when the
 * CPU has AVX-512F. The scalar kernels of vec_ref.c and norm_ref.c are the oracles
 * (tests/test_kernels.c compares every field). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>
#include <stddef.h>

#include "kernels/kernels.h"
#include "kernels/simd512.h"

static inline __mmask16 tail16(int r) {
    return (__mmask16)(r >= 16 ? 0xffffu : (1u << r) - 1);
}

/* reductions of 16 vectors, in one: out[i] = sum (or max, when MAX) of the lanes of v[i] - a
 * transpose-and-combine tree, 45 instructions for 16 rows instead of a horizontal reduction
 * per row. Row i's lanes are combined in the same order whatever i is, so a row's result does
 * not depend on its slot. */
static inline __m512 comb(__m512 a, __m512 b, const int MAX) {
    return MAX ? _mm512_max_ps(a, b) : _mm512_add_ps(a, b);
}

static inline __m512 red16(const __m512 *v, const int MAX) {
    __m512 s2[8], s4[4];
    for (int p = 0; p < 8; p++) /* lane-wise: [a0+a2, b0+b2, a1+a3, b1+b3] */
        s2[p] = comb(_mm512_unpacklo_ps(v[2 * p], v[2 * p + 1]),
                     _mm512_unpackhi_ps(v[2 * p], v[2 * p + 1]), MAX);
    for (int q = 0; q < 4; q++) { /* lane L of s4[q]: the lane-L results of rows 4q .. 4q+3 */
        __m512d a = _mm512_castps_pd(s2[2 * q]), b = _mm512_castps_pd(s2[2 * q + 1]);
        s4[q] = comb(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                     _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)), MAX);
    }
    /* combine the four 128-bit lanes: [A.L0+A.L1, A.L2+A.L3, B.L0+B.L1, B.L2+B.L3], again */
    __m512 u = comb(_mm512_shuffle_f32x4(s4[0], s4[1], 0x88),
                    _mm512_shuffle_f32x4(s4[0], s4[1], 0xDD), MAX);
    __m512 w = comb(_mm512_shuffle_f32x4(s4[2], s4[3], 0x88),
                    _mm512_shuffle_f32x4(s4[2], s4[3], 0xDD), MAX);
    return comb(_mm512_shuffle_f32x4(u, w, 0x88), _mm512_shuffle_f32x4(u, w, 0xDD), MAX);
}

static inline __m512 sum16(const __m512 *v) {
    return red16(v, 0);
}

static inline __m512 lane(__m512 v, int i) {
    return _mm512_permutexvar_ps(_mm512_set1_epi32(i), v);
}

/* the softmax gate on 16 rows of width 16 (the feature gate at d_model 16), + res */
static inline void gate16_block(float *out, float *probs, const float *inp, const float *res) {
    __m512 v[16];
    for (int i = 0; i < 16; i++) v[i] = _mm512_loadu_ps(probs + 16 * i);
    __m512 mx = red16(v, 1);
    for (int i = 0; i < 16; i++) v[i] = exp512(_mm512_sub_ps(v[i], lane(mx, i)));
    __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), sum16(v));
    for (int i = 0; i < 16; i++) {
        __m512 p = _mm512_mul_ps(v[i], lane(inv, i));
        _mm512_storeu_ps(probs + 16 * i, p);
        __m512 y = _mm512_mul_ps(_mm512_loadu_ps(inp + 16 * i), p);
        if (res) y = _mm512_add_ps(y, _mm512_loadu_ps(res + 16 * i));
        _mm512_storeu_ps(out + 16 * i, y);
    }
}

/* the softmax gate on nr <= 16 rows of width w = 16 nv (TinyTimeMixer's feature gates, 48 to
 * 192 wide): out = x * softmax(z) (+ res), z the logits, rows ldo, ldz, ldx and ldr apart (res
 * NULL: none; out may alias res or x, not z). Each row's max and sum come out of red16 for all
 * the rows at once, instead of two horizontal reductions and a scalar division per row. Lanes
 * of unused rows stay 0; a row's result does not depend on nr or on its slot. KEEP: z ends as
 * the softmax (what backward reads); else z ends as exp(z - max), and the fused gate of
 * inference (ptmi_linear_gate_avx512) saves the store. */
static inline __attribute__((always_inline)) void gate_rows(float *out, size_t ldo, float *z,
                                                            size_t ldz, const float *x, size_t ldx,
                                                            const float *res, size_t ldr, int nr,
                                                            int w, const int KEEP) {
    int nv = w / 16;
    __m512 acc[16];
    for (int i = 0; i < 16; i++) acc[i] = _mm512_setzero_ps();
    for (int i = 0; i < nr; i++) {
        const float *p = z + (size_t)i * ldz;
        __m512 m = _mm512_loadu_ps(p);
        for (int v = 1; v < nv; v++) m = _mm512_max_ps(m, _mm512_loadu_ps(p + 16 * v));
        acc[i] = m;
    }
    __m512 mx = red16(acc, 1);
    for (int i = 0; i < nr; i++) {
        float *p = z + (size_t)i * ldz;
        __m512 mi = lane(mx, i), sum = _mm512_setzero_ps();
        for (int v = 0; v < nv; v++) {
            __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(p + 16 * v), mi));
            _mm512_storeu_ps(p + 16 * v, e);
            sum = _mm512_add_ps(sum, e);
        }
        acc[i] = sum;
    }
    /* lanes of unused rows: 1 / 0, never read */
    __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), red16(acc, 0));
    for (int i = 0; i < nr; i++) {
        float *p = z + (size_t)i * ldz;
        const float *xi = x + (size_t)i * ldx;
        float *y = out + (size_t)i * ldo;
        __m512 iv = lane(inv, i);
        for (int v = 0; v < nv; v++) {
            __m512 pi = _mm512_mul_ps(_mm512_loadu_ps(p + 16 * v), iv);
            if (KEEP) _mm512_storeu_ps(p + 16 * v, pi);
            __m512 o = _mm512_mul_ps(_mm512_loadu_ps(xi + 16 * v), pi);
            if (res) o = _mm512_add_ps(o, _mm512_loadu_ps(res + (size_t)i * ldr + 16 * v));
            _mm512_storeu_ps(y + 16 * v, o);
        }
    }
}

/* gate_rows for the fused linear gate: the probabilities are not kept */
void ptmi_gate_band_avx512(float *out, size_t ldo, float *z, size_t ldz, const float *x, size_t ldx,
                           const float *res, size_t ldr, int nr, int w) {
    gate_rows(out, ldo, z, ldz, x, ldx, res, ldr, nr, w, 0);
}

/* rows of width w (any): p = softmax(p) in place, y = x * p (+ res) */
void ptmi_softmax_gate_avx512(float *out, float *probs, const float *inp, size_t rows, int w,
                              const float *res) {
    if (w == 16) { /* the feature gate at d_model 16: 16 rows per reduction tree */
        size_t r = 0;
        for (; r + 16 <= rows; r += 16)
            gate16_block(out + r * 16, probs + r * 16, inp + r * 16, res ? res + r * 16 : NULL);
        if (r < rows) { /* the row tail through the same code, zero-padded */
            float p[256] = {0}, x[256] = {0}, q[256] = {0}, y[256];
            size_t t = (rows - r) * 16;
            for (size_t i = 0; i < t; i++) {
                p[i] = probs[r * 16 + i];
                x[i] = inp[r * 16 + i];
                q[i] = res ? res[r * 16 + i] : 0.0f;
            }
            gate16_block(y, p, x, res ? q : NULL);
            for (size_t i = 0; i < t; i++) {
                probs[r * 16 + i] = p[i];
                out[r * 16 + i] = y[i];
            }
        }
        return;
    }
    if (w % 16 == 0) { /* blocks of 16 rows */
        for (size_t r = 0; r < rows; r += 16) {
            int nr = rows - r < 16 ? (int)(rows - r) : 16;
            size_t o = r * (size_t)w, ld = (size_t)w;
            gate_rows(out + o, ld, probs + o, ld, inp + o, ld, res ? res + o : NULL, ld, nr, w, 1);
        }
        return;
    }
    /* full vectors unmasked, the row's last w % 16 lanes masked (masked stores in the body
     * cost time on this CPU) */
    int wf = w / 16 * 16;
    __mmask16 mt = tail16(w - wf);
    for (size_t r = 0; r < rows; r++) {
        float *p = probs + r * (size_t)w;
        const float *x = inp + r * (size_t)w;
        float *y = out + r * (size_t)w;
        __m512 mx = _mm512_set1_ps(-INFINITY);
        for (int i = 0; i < wf; i += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(p + i));
        if (wf < w)
            mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), mt, p + wf));
        __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        __m512 sum = _mm512_setzero_ps();
        for (int i = 0; i < wf; i += 16) {
            __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(p + i), vmax));
            _mm512_storeu_ps(p + i, e);
            sum = _mm512_add_ps(sum, e);
        }
        if (wf < w) {
            __m512 e = _mm512_maskz_mov_ps(
                mt, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mt, p + wf), vmax)));
            _mm512_mask_storeu_ps(p + wf, mt, e);
            sum = _mm512_add_ps(sum, e);
        }
        __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
        for (int i = 0; i < wf; i += 16) {
            __m512 pi = _mm512_mul_ps(_mm512_loadu_ps(p + i), inv);
            _mm512_storeu_ps(p + i, pi);
            __m512 o = _mm512_mul_ps(_mm512_loadu_ps(x + i), pi);
            if (res) o = _mm512_add_ps(o, _mm512_loadu_ps(res + r * (size_t)w + i));
            _mm512_storeu_ps(y + i, o);
        }
        if (wf < w) {
            __m512 pi = _mm512_mul_ps(_mm512_maskz_loadu_ps(mt, p + wf), inv);
            _mm512_mask_storeu_ps(p + wf, mt, pi);
            __m512 o = _mm512_mul_ps(_mm512_maskz_loadu_ps(mt, x + wf), pi);
            if (res) o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(mt, res + r * (size_t)w + wf));
            _mm512_mask_storeu_ps(y + wf, mt, o);
        }
    }
}
/* one 16-column block of ptmi_softmax_cols_gate_avx512 (MASK: the last, partial block) */
static inline __attribute__((always_inline)) void cols_block(float *out, float *probs,
                                                             const float *inp, int r, size_t w,
                                                             const float *res, __mmask16 m,
                                                             const int MASK) {
#define LD(p) (MASK ? _mm512_maskz_loadu_ps(m, p) : _mm512_loadu_ps(p))
#define ST(p, v) (MASK ? _mm512_mask_storeu_ps(p, m, v) : _mm512_storeu_ps(p, v))
    __m512 mx = LD(probs);
    for (int i = 1; i < r; i++) mx = _mm512_max_ps(mx, LD(probs + (size_t)i * w));
    __m512 sum = _mm512_setzero_ps();
    for (int i = 0; i < r; i++) {
        float *p = probs + (size_t)i * w;
        __m512 e = exp512(_mm512_sub_ps(LD(p), mx));
        ST(p, e);
        sum = _mm512_add_ps(sum, e);
    }
    __m512 inv =
        _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_mask_mov_ps(_mm512_set1_ps(1.0f), m, sum));
    for (int i = 0; i < r; i++) {
        float *p = probs + (size_t)i * w;
        __m512 pi = _mm512_mul_ps(LD(p), inv);
        ST(p, pi);
        __m512 y = _mm512_mul_ps(LD(inp + (size_t)i * w), pi);
        if (res) y = _mm512_add_ps(y, LD(res + (size_t)i * w));
        ST(out + (size_t)i * w, y);
    }
#undef LD
#undef ST
}

/* softmax down the columns of a [r, w] block (ld w): for each column j, p[., j] =
 * softmax(p[., j]) in place and y[., j] = x[., j] p[., j] (+ res[., j] when res is not NULL) -
 * 16 columns per vector, no horizontal reductions (the channel gate of mix_channel on
 * [C, N D], the patch gate on [N, D]) */
void ptmi_softmax_cols_gate_avx512(float *out, float *probs, const float *inp, int r, size_t w,
                                   const float *res) {
    for (size_t j = 0; j < w; j += 16) {
        if (w - j >= 16) /* full vectors: unmasked loads and stores */
            cols_block(out + j, probs + j, inp + j, r, w, res ? res + j : NULL, 0xffff, 0);
        else
            cols_block(out + j, probs + j, inp + j, r, w, res ? res + j : NULL,
                       (__mmask16)((1u << (w - j)) - 1), 1);
    }
}

/* 16 rows of width d: the row statistics come out of sum16 as vectors, so mean, variance and
 * 1/sqrt are one vector operation per 16 rows */
static inline void ln_block16(float *y, float *mean, float *rstd, const float *x, const __m512 *w,
                              const __m512 *bb, int d, int nv, float eps) {
    const __m512 invd = _mm512_set1_ps(1.0f / (float)d);
    __m512 acc[16];
    for (int i = 0; i < 16; i++) {
        acc[i] = _mm512_loadu_ps(x + (size_t)i * d);
        for (int v = 1; v < nv; v++)
            acc[i] = _mm512_add_ps(acc[i], _mm512_loadu_ps(x + (size_t)i * d + 16 * v));
    }
    __m512 mu = _mm512_mul_ps(sum16(acc), invd);
    for (int i = 0; i < 16; i++) {
        __m512 m = _mm512_permutexvar_ps(_mm512_set1_epi32(i), mu);
        __m512 sq = _mm512_setzero_ps();
        for (int v = 0; v < nv; v++) {
            __m512 dv = _mm512_sub_ps(_mm512_loadu_ps(x + (size_t)i * d + 16 * v), m);
            sq = _mm512_fmadd_ps(dv, dv, sq);
        }
        acc[i] = sq;
    }
    __m512 var = _mm512_mul_ps(sum16(acc), invd);
    __m512 rs = _mm512_div_ps(_mm512_set1_ps(1.0f),
                              _mm512_sqrt_ps(_mm512_add_ps(var, _mm512_set1_ps(eps))));
    for (int i = 0; i < 16; i++) {
        __m512 m = _mm512_permutexvar_ps(_mm512_set1_epi32(i), mu);
        __m512 sc = _mm512_permutexvar_ps(_mm512_set1_epi32(i), rs);
        for (int v = 0; v < nv; v++) {
            __m512 dv = _mm512_sub_ps(_mm512_loadu_ps(x + (size_t)i * d + 16 * v), m);
            _mm512_storeu_ps(y + (size_t)i * d + 16 * v,
                             _mm512_fmadd_ps(_mm512_mul_ps(dv, sc), w[v], bb[v]));
        }
    }
    _mm512_storeu_ps(mean, mu);
    _mm512_storeu_ps(rstd, rs);
}

/* the widest rows of the 16-row LayerNorm kernel (TinyTimeMixer's d_model 192, its decoder's
 * 128; the tail block's copies are 2 x 16 KiB of stack) */
#define LN_MAX_D 256

/* LayerNorm over rows of width d (a multiple of 16, at most LN_MAX_D; other widths by
 * ptmi_layernorm_avx2, which gives the widths it lacks to ptmi_layernorm_rows_avx2), 16 rows at a
 * time; the last rows % 16 go through the same block code on a zero-padded copy, so a row's result
 * does not depend on where it sits in the call (chunked forwards rely on it); mean and rstd may be
 * NULL */
void ptmi_layernorm_avx512(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, size_t rows, int d, float eps) {
    if (d % 16 || d > LN_MAX_D) { /* the AVX2 kernel for multiples of 8, else scalar */
        ptmi_layernorm_avx2(out, mean, rstd, inp, weight, bias, rows, d, eps);
        return;
    }
    int nv = d / 16;
    __m512 w[LN_MAX_D / 16], bb[LN_MAX_D / 16];
    for (int v = 0; v < nv; v++) {
        w[v] = _mm512_loadu_ps(weight + 16 * v);
        bb[v] = _mm512_loadu_ps(bias + 16 * v);
    }
    float mu[16], rs[16];
    size_t r = 0;
    for (; r + 16 <= rows; r += 16) {
        ln_block16(out + r * (size_t)d, mu, rs, inp + r * (size_t)d, w, bb, d, nv, eps);
        for (int i = 0; i < 16; i++) {
            if (mean) mean[r + i] = mu[i];
            if (rstd) rstd[r + i] = rs[i];
        }
    }
    if (r < rows) {
        float xin[16 * LN_MAX_D], yout[16 * LN_MAX_D];
        size_t t = rows - r;
        for (size_t i = 0; i < t * (size_t)d; i++) xin[i] = inp[r * (size_t)d + i];
        for (size_t i = t * (size_t)d; i < 16 * (size_t)d; i++) xin[i] = 0.0f;
        ln_block16(yout, mu, rs, xin, w, bb, d, nv, eps);
        for (size_t i = 0; i < t * (size_t)d; i++) out[r * (size_t)d + i] = yout[i];
        for (size_t i = 0; i < t; i++) {
            if (mean) mean[r + i] = mu[i];
            if (rstd) rstd[r + i] = rs[i];
        }
    }
}
/* LayerNorm of rows of width 16 into column form: xt [16, ldt] with xt[f ldt + r] the normalised
 * feature f of row r, for rows a multiple of 16 (<= ldt). Each 16-row block is transposed in
 * registers, so the statistics are sums down the feature vectors (no horizontal reductions);
 * a row's result does not depend on its block. */
void ptmi_norm_cols16_avx512(float *xt, size_t ldt, const float *x, size_t rows,
                             const float *weight, const float *bias, float eps) {
    const __m512 inv16 = _mm512_set1_ps(1.0f / 16.0f), ve = _mm512_set1_ps(eps);
    for (size_t r = 0; r < rows; r += 16) {
        __m512 v[16];
        for (int i = 0; i < 16; i++) v[i] = _mm512_loadu_ps(x + (r + (size_t)i) * 16);
        transpose16x16(v);
        __m512 s[8];
        for (int f = 0; f < 8; f++) s[f] = _mm512_add_ps(v[f], v[f + 8]);
        for (int f = 0; f < 4; f++) s[f] = _mm512_add_ps(s[f], s[f + 4]);
        __m512 mu = _mm512_mul_ps(
            _mm512_add_ps(_mm512_add_ps(s[0], s[2]), _mm512_add_ps(s[1], s[3])), inv16);
        for (int f = 0; f < 16; f++) v[f] = _mm512_sub_ps(v[f], mu);
        for (int f = 0; f < 8; f++)
            s[f] = _mm512_fmadd_ps(v[f], v[f], _mm512_mul_ps(v[f + 8], v[f + 8]));
        for (int f = 0; f < 4; f++) s[f] = _mm512_add_ps(s[f], s[f + 4]);
        __m512 var = _mm512_mul_ps(
            _mm512_add_ps(_mm512_add_ps(s[0], s[2]), _mm512_add_ps(s[1], s[3])), inv16);
        __m512 rs = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_sqrt_ps(_mm512_add_ps(var, ve)));
        for (int f = 0; f < 16; f++)
            _mm512_storeu_ps(xt + (size_t)f * ldt + r,
                             _mm512_fmadd_ps(_mm512_mul_ps(v[f], rs), _mm512_set1_ps(weight[f]),
                                             _mm512_set1_ps(bias[f])));
    }
}

/* GELU and the MLP's GELU backward (as ptmi_gelu_avx2 / ptmi_gelu_backward_set_avx2) */
void ptmi_gelu_avx512(float *out, const float *inp, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, gelu512(_mm512_loadu_ps(inp + i)));
    if (i < n) {
        __mmask16 m = tail16((int)(n - i));
        _mm512_mask_storeu_ps(out + i, m, gelu512(_mm512_maskz_loadu_ps(m, inp + i)));
    }
}

/* elements i .. i+15 of the dropout mask of key (ptmi_drop_key, ptmi_dropout_mask_ref): the
 * two rounds of lowbias32 on 16 lanes, 0 where the hash is below thr, else keep */
static inline __m512i hash512(__m512i x) {
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32(0x7feb352d));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32((int)0x846ca68bU));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    return x;
}

static inline __m512 drop16(const ptmi_drop_key *k, size_t i) {
    __m512i idx =
        _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)i),
                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    __m512i h =
        hash512(_mm512_add_epi32(hash512(_mm512_xor_si512(idx, _mm512_set1_epi32((int)k->hi))),
                                 _mm512_set1_epi32((int)k->lo)));
    __mmask16 keep = _mm512_cmpge_epu32_mask(h, _mm512_set1_epi32((int)k->thr));
    return _mm512_maskz_mov_ps(keep, _mm512_set1_ps(k->keep));
}

void ptmi_gelu_mask_avx512(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                           size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i,
                         _mm512_mul_ps(gelu512(_mm512_loadu_ps(inp + i)), drop16(key, i0 + i)));
    if (i < n) {
        __mmask16 m = tail16((int)(n - i));
        _mm512_mask_storeu_ps(
            out + i, m,
            _mm512_mul_ps(gelu512(_mm512_maskz_loadu_ps(m, inp + i)), drop16(key, i0 + i)));
    }
}

void ptmi_dropout_mul_avx512(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                             size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_loadu_ps(inp + i), drop16(key, i0 + i)));
    if (i < n) {
        __mmask16 m = tail16((int)(n - i));
        _mm512_mask_storeu_ps(
            out + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, inp + i), drop16(key, i0 + i)));
    }
}

/* column sums in blocks of up to 8 vectors held across the rows (one addition per row and
 * column, in row order: the scalar loop's sums) */
void ptmi_col_sums_avx512(float *acc, const float *x, size_t rows, size_t n) {
    for (size_t j0 = 0; j0 < n; j0 += 128) {
        size_t w = n - j0 < 128 ? n - j0 : 128, nv = (w + 15) / 16;
        __m512 a[8];
        __mmask16 last = tail16((int)(w - 16 * (nv - 1)));
        for (size_t v = 0; v < nv; v++)
            a[v] = _mm512_maskz_loadu_ps(v + 1 == nv ? last : 0xffff, acc + j0 + 16 * v);
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * n + j0;
            for (size_t v = 0; v < nv; v++)
                a[v] = _mm512_add_ps(
                    a[v], _mm512_maskz_loadu_ps(v + 1 == nv ? last : 0xffff, xr + 16 * v));
        }
        for (size_t v = 0; v < nv; v++)
            _mm512_mask_storeu_ps(acc + j0 + 16 * v, v + 1 == nv ? last : 0xffff, a[v]);
    }
}

/* the transpose in 16 x 16 blocks of registers (unpack, shuffle within 128-bit lanes, then two
 * rounds of 128-bit lane shuffles); a block at the edge is loaded with masked rows (zeros past
 * y, zero rows past x) and stored with masked rows. Each element gets the scalar loop's one
 * addition (of add, or of +0). */
static inline void tr16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) { /* r[4i + j]: column j (+4, +8, +12) of rows 4i .. 4i+3 */
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
        t[j] = _mm512_shuffle_f32x4(r[j], r[j + 4], 0x88);          /* columns j, j+8; rows 0-7 */
        t[j + 4] = _mm512_shuffle_f32x4(r[j], r[j + 4], 0xDD);      /* columns j+4, j+12 */
        t[j + 8] = _mm512_shuffle_f32x4(r[j + 8], r[j + 12], 0x88); /* rows 8-15 */
        t[j + 12] = _mm512_shuffle_f32x4(r[j + 8], r[j + 12], 0xDD);
    }
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xDD);
    }
}

void ptmi_transpose_avx512(float *out, const float *inp, const float *add, int x, int y) {
    const __m512 zero = _mm512_setzero_ps();
    for (int r0 = 0; r0 < x; r0 += 16) {
        int nr = x - r0 < 16 ? x - r0 : 16;
        __mmask16 mr = tail16(nr);
        for (int q0 = 0; q0 < y; q0 += 16) {
            int nq = y - q0 < 16 ? y - q0 : 16;
            __m512 v[16];
            if (nr == 16 && nq == 16) {
                for (int i = 0; i < 16; i++)
                    v[i] = _mm512_loadu_ps(inp + (size_t)(r0 + i) * y + q0);
                tr16(v);
                for (int q = 0; q < 16; q++) {
                    size_t o = (size_t)(q0 + q) * x + r0;
                    _mm512_storeu_ps(out + o,
                                     _mm512_add_ps(v[q], add ? _mm512_loadu_ps(add + o) : zero));
                }
                continue;
            }
            __mmask16 mq = tail16(nq);
            for (int i = 0; i < 16; i++)
                v[i] = i < nr ? _mm512_maskz_loadu_ps(mq, inp + (size_t)(r0 + i) * y + q0) : zero;
            tr16(v);
            for (int q = 0; q < nq; q++) {
                size_t o = (size_t)(q0 + q) * x + r0;
                __m512 a = add ? _mm512_maskz_loadu_ps(mr, add + o) : zero;
                _mm512_mask_storeu_ps(out + o, mr, _mm512_add_ps(v[q], a));
            }
        }
    }
}

static inline __m512 gelu_grad512(__m512 x) {
    __m512 cdf = _mm512_mul_ps(
        _mm512_set1_ps(0.5f),
        _mm512_add_ps(_mm512_set1_ps(1.0f),
                      erf512(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)))));
    __m512 pdf = _mm512_mul_ps(_mm512_set1_ps(0.39894228040143268f),
                               exp512(_mm512_mul_ps(_mm512_set1_ps(-0.5f), _mm512_mul_ps(x, x))));
    return _mm512_fmadd_ps(x, pdf, cdf);
}

void ptmi_gelu_backward_set_avx512(float *dinp, const float *inp, const float *dout,
                                   const ptmi_drop_key *key, size_t i0, size_t n) {
    size_t i = 0;
    /* unmasked loads and stores in the body: masked stores in the main loop made it slower
     * than the 8-lane AVX2 version */
    for (; i + 16 <= n; i += 16) {
        __m512 dy = _mm512_loadu_ps(dout + i);
        if (key) dy = _mm512_mul_ps(dy, drop16(key, i0 + i));
        _mm512_storeu_ps(dinp + i, _mm512_mul_ps(dy, gelu_grad512(_mm512_loadu_ps(inp + i))));
    }
    if (i < n) {
        __mmask16 m = tail16((int)(n - i));
        __m512 dy = _mm512_maskz_loadu_ps(m, dout + i);
        if (key) dy = _mm512_mul_ps(dy, drop16(key, i0 + i));
        _mm512_mask_storeu_ps(dinp + i, m,
                              _mm512_mul_ps(dy, gelu_grad512(_mm512_maskz_loadu_ps(m, inp + i))));
    }
}

/* LayerNorm backward over rows of width d (a multiple of 16, at most 64):
 *   dinp += (dn - mean(dn) - xhat mean(dn xhat)) rstd,  dn = weight * dout,
 * the two row means for 16 rows at a time through sum16 (in float; the scalar kernel sums in
 * double); other widths by the scalar kernel. Rows past a multiple of 16 take the padded path,
 * so a row's result does not depend on where it sits in the call. */
static inline void ln_bwd_block16(float *gx, const float *x, const float *g, const float *mean,
                                  const float *rstd, const __m512 *w, int d, int nv) {
    const __m512 invd = _mm512_set1_ps(1.0f / (float)d);
    __m512 sa[16], sb[16];
    __m512 mu = _mm512_loadu_ps(mean), rs = _mm512_loadu_ps(rstd);
    for (int i = 0; i < 16; i++) {
        __m512 m = _mm512_permutexvar_ps(_mm512_set1_epi32(i), mu);
        __m512 s = _mm512_permutexvar_ps(_mm512_set1_epi32(i), rs);
        sa[i] = _mm512_setzero_ps();
        sb[i] = _mm512_setzero_ps();
        for (int v = 0; v < nv; v++) {
            size_t o = (size_t)i * d + 16 * v;
            __m512 xh = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + o), m), s);
            __m512 dn = _mm512_mul_ps(w[v], _mm512_loadu_ps(g + o));
            sa[i] = _mm512_add_ps(sa[i], dn);
            sb[i] = _mm512_fmadd_ps(dn, xh, sb[i]);
        }
    }
    __m512 av = _mm512_mul_ps(sum16(sa), invd), bv = _mm512_mul_ps(sum16(sb), invd);
    for (int i = 0; i < 16; i++) {
        __m512 m = _mm512_permutexvar_ps(_mm512_set1_epi32(i), mu);
        __m512 s = _mm512_permutexvar_ps(_mm512_set1_epi32(i), rs);
        __m512 a = _mm512_permutexvar_ps(_mm512_set1_epi32(i), av);
        __m512 b = _mm512_permutexvar_ps(_mm512_set1_epi32(i), bv);
        for (int v = 0; v < nv; v++) {
            size_t o = (size_t)i * d + 16 * v;
            __m512 xh = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + o), m), s);
            __m512 dn = _mm512_mul_ps(w[v], _mm512_loadu_ps(g + o));
            __m512 t = _mm512_sub_ps(_mm512_sub_ps(dn, a), _mm512_mul_ps(xh, b));
            _mm512_storeu_ps(gx + o, _mm512_fmadd_ps(t, s, _mm512_loadu_ps(gx + o)));
        }
    }
}

void ptmi_layernorm_backward_avx512(float *dinp, const float *dout, const float *inp,
                                    const float *weight, const float *mean, const float *rstd,
                                    size_t rows, int d) {
    if (d % 16 || d > 64) {
        ptmi_layernorm_backward_ref(dinp, dout, inp, weight, mean, rstd, rows, d);
        return;
    }
    int nv = d / 16;
    __m512 w[4];
    for (int v = 0; v < nv; v++) w[v] = _mm512_loadu_ps(weight + 16 * v);
    size_t r = 0;
    for (; r + 16 <= rows; r += 16)
        ln_bwd_block16(dinp + r * (size_t)d, inp + r * (size_t)d, dout + r * (size_t)d, mean + r,
                       rstd + r, w, d, nv);
    if (r < rows) {
        float xs[16 * 64] = {0}, gs[16 * 64] = {0}, gxs[16 * 64] = {0}, ms[16] = {0}, rss[16] = {0};
        size_t t = rows - r;
        for (size_t i = 0; i < t * (size_t)d; i++) {
            xs[i] = inp[r * (size_t)d + i];
            gs[i] = dout[r * (size_t)d + i];
            gxs[i] = dinp[r * (size_t)d + i];
        }
        for (size_t i = 0; i < t; i++) {
            ms[i] = mean[r + i];
            rss[i] = rstd[r + i];
        }
        ln_bwd_block16(gxs, xs, gs, ms, rss, w, d, nv);
        for (size_t i = 0; i < t * (size_t)d; i++) dinp[r * (size_t)d + i] = gxs[i];
    }
}

/* dweight += sum_r xhat dout, dbias += sum_r dout, in registers, row after row in order (the
 * same sums as the scalar loop) */
void ptmi_layernorm_param_grads_avx512(float *dweight, float *dbias, const float *dout,
                                       const float *inp, const float *mean, const float *rstd,
                                       size_t rows, int d) {
    if (d % 16 || d > 64) {
        ptmi_layernorm_param_grads_ref(dweight, dbias, dout, inp, mean, rstd, rows, d);
        return;
    }
    if (!dweight && !dbias) return;
    int nv = d / 16;
    __m512 dw[4], db[4];
    for (int v = 0; v < nv; v++) {
        dw[v] = dweight ? _mm512_loadu_ps(dweight + 16 * v) : _mm512_setzero_ps();
        db[v] = dbias ? _mm512_loadu_ps(dbias + 16 * v) : _mm512_setzero_ps();
    }
    for (size_t q = 0; q < rows; q++) {
        __m512 m = _mm512_set1_ps(mean[q]), s = _mm512_set1_ps(rstd[q]);
        for (int v = 0; v < nv; v++) {
            size_t o = q * (size_t)d + 16 * v;
            __m512 gv = _mm512_loadu_ps(dout + o);
            __m512 xh = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(inp + o), m), s);
            db[v] = _mm512_add_ps(db[v], gv);
            dw[v] = _mm512_add_ps(dw[v], _mm512_mul_ps(xh, gv));
        }
    }
    for (int v = 0; v < nv; v++) {
        if (dweight) _mm512_storeu_ps(dweight + 16 * v, dw[v]);
        if (dbias) _mm512_storeu_ps(dbias + 16 * v, db[v]);
    }
}
/* std scaling statistics of nc <= 8 adjacent channels of one sample at once: x[t * c + j] for
 * t < l, j < nc (observed likewise, NULL = all observed), one channel per double lane. Each
 * lane does exactly the scalar loop of norm_ref.c (ptmi_std_stats_ref) for its channel - the
 * same double operations in the same order, no fused multiply-add - so loc and scale are
 * bit-identical to it. */
void ptmi_std_stats_avx512(float *loc, float *scale, const float *x, const float *observed, int l,
                           int c, int nc) {
    __mmask16 m = (__mmask16)((1u << nc) - 1); /* masked 16-lane loads: AVX-512F only */
    __m512d sum = _mm512_setzero_pd(), nobs = _mm512_setzero_pd();
    const __m512d one = _mm512_set1_pd(1.0);
    for (int t = 0; t < l; t++) {
        __m512d xv =
            _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps(m, x + (size_t)t * c)));
        __m512d mv = observed ? _mm512_cvtps_pd(_mm512_castps512_ps256(
                                    _mm512_maskz_loadu_ps(m, observed + (size_t)t * c)))
                              : one;
        sum = _mm512_add_pd(sum, _mm512_mul_pd(xv, mv));
        nobs = _mm512_add_pd(nobs, mv);
    }
    __m512d den = _mm512_max_pd(nobs, one); /* nobs < 1 ? 1 : nobs */
    __m512d mu = _mm512_div_pd(sum, den);
    __m512d var = _mm512_setzero_pd();
    for (int t = 0; t < l; t++) {
        __m512d xv =
            _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps(m, x + (size_t)t * c)));
        __m512d mv = observed ? _mm512_cvtps_pd(_mm512_castps512_ps256(
                                    _mm512_maskz_loadu_ps(m, observed + (size_t)t * c)))
                              : one;
        __m512d dv = _mm512_mul_pd(_mm512_sub_pd(xv, mu), mv);
        var = _mm512_add_pd(var, _mm512_mul_pd(dv, dv));
    }
    var = _mm512_div_pd(var, den);
    double lv[8], sv[8];
    _mm512_storeu_pd(lv, mu);
    _mm512_storeu_pd(sv, _mm512_sqrt_pd(_mm512_add_pd(var, _mm512_set1_pd(1e-5))));
    for (int j = 0; j < nc; j++) {
        loc[j] = (float)lv[j];
        scale[j] = (float)sv[j];
    }
}
/* gated attention backward over rows of width w (ptmi_gate_backward_ref is the oracle): dot = sum
 * dy x p, dz = p (dy x - dot), dx += dy p. Width 16 takes the dots of 16 rows from one sum tree
 * (the row tail through the same code on a padded copy); other widths one row at a time with masked
 * tails. */
static inline void gate_bwd16_block(float *dx, float *dz, const float *dy, const float *x,
                                    const float *p) {
    __m512 t[16];
    for (int i = 0; i < 16; i++)
        t[i] =
            _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(dy + 16 * i), _mm512_loadu_ps(x + 16 * i)),
                          _mm512_loadu_ps(p + 16 * i));
    __m512 dots = sum16(t);
    for (int i = 0; i < 16; i++) {
        __m512 g = _mm512_loadu_ps(dy + 16 * i), pi = _mm512_loadu_ps(p + 16 * i);
        __m512 gx = _mm512_mul_ps(g, _mm512_loadu_ps(x + 16 * i));
        _mm512_storeu_ps(dz + 16 * i, _mm512_mul_ps(pi, _mm512_sub_ps(gx, lane(dots, i))));
        _mm512_storeu_ps(dx + 16 * i, _mm512_fmadd_ps(g, pi, _mm512_loadu_ps(dx + 16 * i)));
    }
}

void ptmi_gate_backward_avx512(float *dx, float *dz, const float *dy, const float *x,
                               const float *p, size_t rows, int w) {
    if (w == 16) {
        size_t r = 0;
        for (; r + 16 <= rows; r += 16)
            gate_bwd16_block(dx + r * 16, dz + r * 16, dy + r * 16, x + r * 16, p + r * 16);
        if (r < rows) {
            float a[256] = {0}, b[256] = {0}, c[256] = {0}, e[256] = {0}, f[256] = {0};
            size_t t = (rows - r) * 16;
            for (size_t i = 0; i < t; i++) {
                a[i] = dx[r * 16 + i];
                c[i] = dy[r * 16 + i];
                e[i] = x[r * 16 + i];
                f[i] = p[r * 16 + i];
            }
            gate_bwd16_block(a, b, c, e, f);
            for (size_t i = 0; i < t; i++) {
                dx[r * 16 + i] = a[i];
                dz[r * 16 + i] = b[i];
            }
        }
        return;
    }
    int wf = w / 16 * 16;
    __mmask16 mt = tail16(w - wf);
    for (size_t r = 0; r < rows; r++) {
        size_t o = r * (size_t)w;
        __m512 acc = _mm512_setzero_ps();
        for (int i = 0; i < wf; i += 16)
            acc = _mm512_fmadd_ps(
                _mm512_mul_ps(_mm512_loadu_ps(dy + o + i), _mm512_loadu_ps(x + o + i)),
                _mm512_loadu_ps(p + o + i), acc);
        if (wf < w)
            acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mt, dy + o + wf),
                                                _mm512_maskz_loadu_ps(mt, x + o + wf)),
                                  _mm512_maskz_loadu_ps(mt, p + o + wf), acc);
        __m512 dot = _mm512_set1_ps(_mm512_reduce_add_ps(acc));
        for (int i = 0; i < wf; i += 16) {
            __m512 g = _mm512_loadu_ps(dy + o + i), pi = _mm512_loadu_ps(p + o + i);
            __m512 gx = _mm512_mul_ps(g, _mm512_loadu_ps(x + o + i));
            _mm512_storeu_ps(dz + o + i, _mm512_mul_ps(pi, _mm512_sub_ps(gx, dot)));
            _mm512_storeu_ps(dx + o + i, _mm512_fmadd_ps(g, pi, _mm512_loadu_ps(dx + o + i)));
        }
        if (wf < w) {
            __m512 g = _mm512_maskz_loadu_ps(mt, dy + o + wf),
                   pi = _mm512_maskz_loadu_ps(mt, p + o + wf);
            __m512 gx = _mm512_mul_ps(g, _mm512_maskz_loadu_ps(mt, x + o + wf));
            _mm512_mask_storeu_ps(dz + o + wf, mt, _mm512_mul_ps(pi, _mm512_sub_ps(gx, dot)));
            _mm512_mask_storeu_ps(dx + o + wf, mt,
                                  _mm512_fmadd_ps(g, pi, _mm512_maskz_loadu_ps(mt, dx + o + wf)));
        }
    }
}
#endif
