/* simd512.h - AVX-512F vector math shared by the AVX-512 kernel files (include only from
 * files compiled with -mavx512f): exp (a polynomial of its own, two FMAs shorter than
 * simd256.h's), erf (the same results lane for lane as the 8-lane version) and GELU (a table,
 * about half the cost of the rational form); all within float rounding of the others. */
#ifndef PTMI_SIMD512_H
#define PTMI_SIMD512_H
#include <immintrin.h>

/* exp(x) for x in [-87, 88]: 2^n e^r, n = round(x / ln 2), r = x - n ln 2 (ln 2 in two parts),
 * e^r by a degree-6 polynomial in Horner form (coefficients from dev/exp_poly.py: within
 * 8.7e-8 relative on [-87, 0], as the Cephes form of simd256.h, with two FMAs fewer) */
static inline __m512 exp512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(0.00138592906f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.00837476365f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.0416677259f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.166664213f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.49999994f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    /* p 2^n in one instruction (n is in [-126, 127] after the clamp) */
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

/* GELU(x) = max(x, 0) - D(|x|), D(a) = a Phi(-a) = a erfc(a / sqrt 2) / 2: D is smooth, small
 * (at most 0.17) and below 6e-9 past a = 6, so a table does it in few multiplies: [0, 6) in 32
 * intervals of width w = 3/16, on each a polynomial of degree 4 in t = a / w - i - 1/2 (the
 * coefficients from dev/gelu_table.py, which also checks the float evaluation: within 4.8e-8
 * of (1 + |GELU|) of the exact GELU, where the rational erf form of ptmi_gelu_fast is within
 * 1.06e-6). The interval index is u = a / w - 1/2 rounded by adding 1.5 2^23, whose low five
 * mantissa bits are then the index that vpermt2ps reads; the five coefficients come from two
 * registers each. Five of the 17 operations go to the FMA pipes, against 16 of 19 in the
 * rational form, so GELU costs about half as much beside the products. NaN stays NaN
 * (max(0, x) returns x); beyond 6 the clamp keeps the index in the table. */
static const float gelu_tab[5][32] __attribute__((aligned(64))) = {
    {
        0.0433738008f,   0.109479181f,    0.14982383f,     0.167889521f,    0.168247595f,
        0.155937165f,    0.135853514f,    0.112253845f,    0.0884467885f,   0.0666825399f,
        0.0482164696f,   0.0334910415f,   0.0223722253f,   0.0143846925f,   0.00890786573f,
        0.00531537365f,  0.0030573057f,   0.00169555529f,  0.000906880363f, 0.000467875449f,
        0.000232870705f, 0.000111828929f, 5.18190354e-05f, 2.31715076e-05f, 9.99947315e-06f,
        4.16467674e-06f, 1.67411952e-06f, 6.49545029e-07f, 2.43256125e-07f, 8.79350424e-08f,
        3.06841557e-08f, 1.03354463e-08f,
    },
    {
        0.0797657147f,    0.0527640507f,    0.0285144486f,    0.00838969368f,   -0.00682301773f,
        -0.0169733949f,   -0.0224790685f,   -0.0241670441f,   -0.023073256f,    -0.0202492606f,
        -0.0166132916f,   -0.0128639955f,   -0.00945622846f,  -0.00662463577f,  -0.00443478301f,
        -0.00284241675f,  -0.00174675381f,  -0.0010303387f,   -0.000583853107f, -0.000318051258f,
        -0.000166647398f, -8.40238499e-05f, -4.07822008e-05f, -1.90606679e-05f, -8.58063413e-06f,
        -3.72145064e-06f, -1.55525231e-06f, -6.26409076e-07f, -2.43190982e-07f, -9.10175189e-08f,
        -3.28427774e-08f, -1.14270948e-08f,
    },
    {
        -0.0139024351f,  -0.0129482159f,  -0.0111855175f,   -0.00887321588f, -0.00632758066f,
        -0.00385896955f, -0.00171733869f, -5.86085444e-05f, 0.00106351299f,  0.00168325147f,
        0.00189431605f,  0.00181729533f,  0.0015713647f,    0.00125527091f,  0.00093871908f,
        0.000662376755f, 0.000443276105f, 0.00028234272f,   0.000171599153f, 9.97039169e-05f,
        5.54623875e-05f, 2.95712343e-05f, 1.51259137e-05f,  7.42810926e-06f, 3.50434334e-06f,
        1.58902344e-06f, 6.92848857e-07f, 2.9059828e-07f,   1.17282525e-07f, 4.55596592e-08f,
        1.70388574e-08f, 6.13630124e-09f,
    },
    {
        0.000162877142f,  0.000463469973f,  0.000694269082f,  0.00082604395f,   0.000850266137f,
        0.000778798596f,  0.000638627098f,  0.000463733857f,  0.000286767317f,  0.000132757268f,
        1.60651907e-05f,  -5.94461817e-05f, -9.79478282e-05f, -0.000108185384f, -0.000100198078f,
        -8.29491619e-05f, -6.30969298e-05f, -4.47485581e-05f, -2.98475188e-05f, -1.8830211e-05f,
        -1.12802445e-05f, -6.43468138e-06f, -3.50269556e-06f, -1.82245265e-06f, -9.07509957e-07f,
        -4.32954124e-07f, -1.98061542e-07f, -8.69433165e-08f, -3.66447068e-08f, -1.48370569e-08f,
        -5.77347237e-09f, -2.15995755e-09f,
    },
    {
        8.04047595e-05f,  6.8059584e-05f,   4.61448944e-05f,  1.94022396e-05f,  -6.79211416e-06f,
        -2.78239186e-05f, -4.08629312e-05f, -4.52474924e-05f, -4.22193407e-05f, -3.42110434e-05f,
        -2.39911715e-05f, -1.39469093e-05f, -5.66874178e-06f, 1.37371558e-07f,  3.49182437e-06f,
        4.86481122e-06f,  4.89843114e-06f,  4.20071183e-06f,  3.23511176e-06f,  2.29236571e-06f,
        1.51451991e-06f,  9.40595896e-07f,  5.52100914e-07f,  3.07449085e-07f,  1.62884845e-07f,
        8.22740702e-08f,  3.96863022e-08f,  1.83058315e-08f,  8.08310929e-09f,  3.41976136e-09f,
        1.38728984e-09f,  5.39969403e-10f,
    },
};
static inline __m512 gelu512(__m512 x) {
    const __m512 magic = _mm512_set1_ps(12582912.0f); /* 1.5 2^23 */
    __m512 a = _mm512_min_ps(_mm512_abs_ps(x), _mm512_set1_ps(5.9999995f));
    __m512 u = _mm512_fmsub_ps(a, _mm512_set1_ps(16.0f / 3.0f), _mm512_set1_ps(0.5f));
    __m512 f = _mm512_add_ps(u, magic);
    __m512 t = _mm512_sub_ps(u, _mm512_sub_ps(f, magic));
    __m512i i = _mm512_castps_si512(f);
#define GELU_C(j)                                                                                  \
    _mm512_permutex2var_ps(_mm512_load_ps(gelu_tab[j]), i, _mm512_load_ps(gelu_tab[j] + 16))
    __m512 p = GELU_C(4);
    p = _mm512_fmadd_ps(p, t, GELU_C(3));
    p = _mm512_fmadd_ps(p, t, GELU_C(2));
    p = _mm512_fmadd_ps(p, t, GELU_C(1));
    p = _mm512_fmadd_ps(p, t, GELU_C(0));
#undef GELU_C
    return _mm512_sub_ps(_mm512_max_ps(_mm512_setzero_ps(), x), p);
}

/* r[0..16) as the rows of a 16 x 16 block, transposed in place (r[j] becomes column j): 64
 * shuffles (element pairs, then 64-bit pairs, then 128-bit lanes twice) */
static inline void transpose16x16(__m512 *r) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);     /* a0 b0 a1 b1 per lane */
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]); /* a2 b2 a3 b3 */
    }
    for (int i = 0; i < 4; i++) { /* lane k of r[4i + j]: column 4k + j of rows 4i .. 4i+3 */
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
        __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
    }
    for (int j = 0; j < 4; j++) {
        __m512 ab0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x44); /* lanes 0, 1 of each */
        __m512 ab1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xEE); /* lanes 2, 3 */
        __m512 cd0 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x44);
        __m512 cd1 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xEE);
        t[j] = _mm512_shuffle_f32x4(ab0, cd0, 0x88);
        t[4 + j] = _mm512_shuffle_f32x4(ab0, cd0, 0xDD);
        t[8 + j] = _mm512_shuffle_f32x4(ab1, cd1, 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(ab1, cd1, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

#endif
