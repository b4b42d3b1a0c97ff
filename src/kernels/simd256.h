/* simd256.h - AVX2 + FMA vector math shared by the AVX2 kernel files (include only from files
 * compiled with -mavx2 -mfma): exp, erf and GELU on 8 lanes. simd512.h has the same exp on
 * 16 lanes, erf and GELU with a reciprocal step instead of the division. */
#ifndef PTMI_SIMD256_H
#define PTMI_SIMD256_H
#include <immintrin.h>

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

/* the rational erf of vec_ref.c, 8 lanes at a time */
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

/* GELU(x) = x (1/2 + erf(x / sqrt 2) / 2) with erf256's rational function rewritten for x
 * itself (see gelu512 in simd512.h: P' and Q' have the coefficients times 2^-i, P' also
 * 1 / (2 sqrt 2); the clamp at |x| <= 4 sqrt 2), two operations fewer */
#define GELU_P(c, i) _mm256_set1_ps((float)((c) / (double)(1 << (i)) * 0.35355339059327378))
#define GELU_Q(c, i) _mm256_set1_ps((float)((c) / (double)(1 << (i))))
static inline __m256 gelu256(__m256 x) {
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-5.65685424949238f)),
                              _mm256_set1_ps(5.65685424949238f));
    __m256 u = _mm256_mul_ps(xc, xc);
    __m256 p = GELU_P(-2.72614225801306e-10, 6);
    p = _mm256_fmadd_ps(p, u, GELU_P(2.77068142495902e-08, 5));
    p = _mm256_fmadd_ps(p, u, GELU_P(-2.10102402082508e-06, 4));
    p = _mm256_fmadd_ps(p, u, GELU_P(-5.69250639462346e-05, 3));
    p = _mm256_fmadd_ps(p, u, GELU_P(-7.34990630326855e-04, 2));
    p = _mm256_fmadd_ps(p, u, GELU_P(-2.95459980854025e-03, 1));
    p = _mm256_fmadd_ps(p, u, GELU_P(-1.60960333262415e-02, 0));
    __m256 q = GELU_Q(-1.45660718464996e-05, 4);
    q = _mm256_fmadd_ps(q, u, GELU_Q(-2.13374055278905e-04, 3));
    q = _mm256_fmadd_ps(q, u, GELU_Q(-1.68282697438203e-03, 2));
    q = _mm256_fmadd_ps(q, u, GELU_Q(-7.37332916720468e-03, 1));
    q = _mm256_fmadd_ps(q, u, GELU_Q(-1.42647390514189e-02, 0));
    __m256 half_erf = _mm256_div_ps(_mm256_mul_ps(xc, p), q);
    return _mm256_mul_ps(x, _mm256_add_ps(_mm256_set1_ps(0.5f), half_erf));
}
#undef GELU_P
#undef GELU_Q
#endif
