/* vec_avx512.c - element-wise kernels for AVX-512F: the row softmax-and-gate of gated
 * attention for any row width (masked tails), and LayerNorm over rows of width 16.
 * Compiled with -mavx512f -mfma for this file only; used when ptm_kernels_level() is
 * PTM_KERNELS_AVX512. The scalar versions in src/layers/gate.c and norm.c are the oracles
 * (tests/test_kernels.c compares them). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>
#include <stddef.h>

#include "kernels/kernels.h"

/* exp(x) for x in [-87, 88]: 2^n e^r, the Cephes polynomial of vec_avx2.c on 16 lanes */
static inline __m512 exp512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500E-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
    __m512 r2 = _mm512_mul_ps(r, r);
    p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i e =
        _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

static inline __mmask16 tail16(int r) {
    return (__mmask16)(r >= 16 ? 0xffffu : (1u << r) - 1);
}

/* rows of width w (any): p = softmax(p) in place, y = x * p */
void ptm_softmax_gate_avx512(float *out, float *probs, const float *inp, size_t rows, int w) {
    if (w == 16) { /* the feature gate at d_model 16: one vector per row */
        for (size_t r = 0; r < rows; r++) {
            float *p = probs + r * 16;
            __m512 v = _mm512_loadu_ps(p);
            __m512 e = exp512(_mm512_sub_ps(v, _mm512_set1_ps(_mm512_reduce_max_ps(v))));
            __m512 pi = _mm512_mul_ps(e, _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(e)));
            _mm512_storeu_ps(p, pi);
            _mm512_storeu_ps(out + r * 16, _mm512_mul_ps(_mm512_loadu_ps(inp + r * 16), pi));
        }
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        float *p = probs + r * (size_t)w;
        const float *x = inp + r * (size_t)w;
        float *y = out + r * (size_t)w;
        __m512 mx = _mm512_set1_ps(-INFINITY);
        for (int i = 0; i < w; i += 16)
            mx = _mm512_max_ps(
                mx, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail16(w - i), p + i));
        __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        __m512 sum = _mm512_setzero_ps();
        for (int i = 0; i < w; i += 16) {
            __mmask16 m = tail16(w - i);
            __m512 e = _mm512_maskz_mov_ps(
                m, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p + i), vmax)));
            _mm512_mask_storeu_ps(p + i, m, e);
            sum = _mm512_add_ps(sum, e);
        }
        __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
        for (int i = 0; i < w; i += 16) {
            __mmask16 m = tail16(w - i);
            __m512 pi = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, p + i), inv);
            _mm512_mask_storeu_ps(p + i, m, pi);
            _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), pi));
        }
    }
}
/* softmax down the columns of a [r, w] block (ld w): for each column j, p[., j] =
 * softmax(p[., j]) in place and y[., j] = x[., j] p[., j] - 16 columns per vector, no
 * horizontal reductions (the channel gate of mix_channel in the [C, N D] layout) */
void ptm_softmax_cols_gate_avx512(float *out, float *probs, const float *inp, int r, size_t w) {
    for (size_t j = 0; j < w; j += 16) {
        __mmask16 m = (__mmask16)(w - j >= 16 ? 0xffffu : (1u << (w - j)) - 1);
        __m512 mx = _mm512_maskz_loadu_ps(m, probs + j);
        for (int i = 1; i < r; i++)
            mx = _mm512_max_ps(mx, _mm512_maskz_loadu_ps(m, probs + (size_t)i * w + j));
        __m512 sum = _mm512_setzero_ps();
        for (int i = 0; i < r; i++) {
            float *p = probs + (size_t)i * w + j;
            __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p), mx));
            _mm512_mask_storeu_ps(p, m, e);
            sum = _mm512_add_ps(sum, e);
        }
        __m512 inv =
            _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_mask_mov_ps(_mm512_set1_ps(1.0f), m, sum));
        for (int i = 0; i < r; i++) {
            float *p = probs + (size_t)i * w + j;
            __m512 pi = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, p), inv);
            _mm512_mask_storeu_ps(p, m, pi);
            _mm512_mask_storeu_ps(
                out + (size_t)i * w + j, m,
                _mm512_mul_ps(_mm512_maskz_loadu_ps(m, inp + (size_t)i * w + j), pi));
        }
    }
}
#endif
