/* simd512.h - AVX-512F vector math shared by the AVX-512 kernel files (include only from
 * files compiled with -mavx512f): exp and erf on 16 lanes, the same results lane for lane as
 * the 8-lane versions in simd256.h; GELU in a form of its own, three operations shorter (equal
 * to the others up to rounding). */
#ifndef PTMI_SIMD512_H
#define PTMI_SIMD512_H
#include <immintrin.h>

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
    /* p 2^n in one instruction: exact, as the 8-lane version's multiply by the power of two
     * built in the exponent bits (n is in [-126, 127] after the clamp) */
    return _mm512_scalef_ps(p, n);
}

/* the rational erf of vec_ref.c and vec_avx2.c, 16 lanes at a time (the same
 * operations, so the same results as the 8-lane version) */
static inline __m512 erf512(__m512 x) {
    __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
    __m512 x2 = _mm512_mul_ps(xc, xc);
    __m512 p = _mm512_set1_ps(-2.72614225801306e-10f);
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.77068142495902e-08f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.10102402082508e-06f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-5.69250639462346e-05f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-7.34990630326855e-04f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.95459980854025e-03f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.60960333262415e-02f));
    __m512 q = _mm512_set1_ps(-1.45660718464996e-05f);
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-2.13374055278905e-04f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.68282697438203e-03f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-7.37332916720468e-03f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.42647390514189e-02f));
    /* x p / q with a reciprocal estimate (14 bits) and one Newton step (about 28 bits)
     * instead of a division, which costs as much as the rest of the polynomial */
    __m512 r = _mm512_rcp14_ps(q);
    r = _mm512_mul_ps(r, _mm512_fnmadd_ps(q, r, _mm512_set1_ps(2.0f)));
    return _mm512_mul_ps(_mm512_mul_ps(xc, p), r);
}

/* GELU(x) = x (1/2 + erf(x / sqrt 2) / 2) with erf512's rational function rewritten for x
 * itself, three operations fewer (19): with u = x^2 = 2 z^2, erf(z) = z P(z^2) / Q(z^2) becomes
 * x P'(u) / Q'(u) / sqrt 2, where P' and Q' have erf512's coefficients times 2^-i (exact) and
 * P' also absorbs the 1 / (2 sqrt 2); the clamp moves to |x| <= 4 sqrt 2. The same function as
 * ptmi_gelu_fast up to rounding (a few float ulps). */
#define GELU_P(c, i) _mm512_set1_ps((float)((c) / (double)(1 << (i)) * 0.35355339059327378))
#define GELU_Q(c, i) _mm512_set1_ps((float)((c) / (double)(1 << (i))))
static inline __m512 gelu512(__m512 x) {
    __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-5.65685424949238f)),
                              _mm512_set1_ps(5.65685424949238f));
    __m512 u = _mm512_mul_ps(xc, xc);
    __m512 p = GELU_P(-2.72614225801306e-10, 6);
    p = _mm512_fmadd_ps(p, u, GELU_P(2.77068142495902e-08, 5));
    p = _mm512_fmadd_ps(p, u, GELU_P(-2.10102402082508e-06, 4));
    p = _mm512_fmadd_ps(p, u, GELU_P(-5.69250639462346e-05, 3));
    p = _mm512_fmadd_ps(p, u, GELU_P(-7.34990630326855e-04, 2));
    p = _mm512_fmadd_ps(p, u, GELU_P(-2.95459980854025e-03, 1));
    p = _mm512_fmadd_ps(p, u, GELU_P(-1.60960333262415e-02, 0));
    __m512 q = GELU_Q(-1.45660718464996e-05, 4);
    q = _mm512_fmadd_ps(q, u, GELU_Q(-2.13374055278905e-04, 3));
    q = _mm512_fmadd_ps(q, u, GELU_Q(-1.68282697438203e-03, 2));
    q = _mm512_fmadd_ps(q, u, GELU_Q(-7.37332916720468e-03, 1));
    q = _mm512_fmadd_ps(q, u, GELU_Q(-1.42647390514189e-02, 0));
    __m512 r = _mm512_rcp14_ps(q); /* 1 / q to about 28 bits after one Newton step */
    r = _mm512_mul_ps(r, _mm512_fnmadd_ps(q, r, _mm512_set1_ps(2.0f)));
    return _mm512_mul_ps(x, _mm512_fmadd_ps(_mm512_mul_ps(xc, p), r, _mm512_set1_ps(0.5f)));
}
#undef GELU_P
#undef GELU_Q

#endif
