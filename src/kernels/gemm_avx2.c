/* gemm_avx2.c - the GEMMs for AVX2 + FMA, on the same plan as gemm_avx512.c with 8-float
 * vectors: register tiles of 6 rows x 16 columns (twelve accumulators, the classic Haswell
 * shape), A broadcast, B streamed; column edges masked, row edges the same tile with fewer
 * rows. ptmi_gemm_acc_avx2 accumulates into C; ptmi_linear_avx2 is the fused linear layer (tiles
 * start from the bias row, GELU applied on each stored band); ptmi_gemm_series_avx2 multiplies
 * one left operand into many series' blocks (the patch mixer without transposes). Compiled
 * with -mavx2 -mfma for this file only; called only when the CPU has both. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>

#include "kernels/gemm_pack.h"
#include "kernels/kernels.h"
#include "kernels/simd256.h"
#include "kernels/threads.h"

/* lanes [0, r) set, for the 1..7 columns left at the right edge */
static inline __m256i tail_mask(size_t r) {
    static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(m + 8 - r));
}

/* GELU in place on mr rows of n columns (ldc apart) just written by a band of tiles (still in
 * L1): one pass per band with the erf constants loaded once; in the register tile itself it
 * would push the accumulators out to the stack */
static __attribute__((noinline)) void gelu_rows(float *C, size_t ldc, int mr, size_t n) {
    size_t n8 = n / 8 * 8;
    __m256i mt = tail_mask(n - n8);
    for (int i = 0; i < mr; i++) {
        float *c = C + (size_t)i * ldc;
        for (size_t j = 0; j < n8; j += 8) _mm256_storeu_ps(c + j, gelu256(_mm256_loadu_ps(c + j)));
        if (n8 < n) _mm256_maskstore_ps(c + n8, mt, gelu256(_mm256_maskload_ps(c + n8, mt)));
    }
}

/* how a tile starts and ends (compile-time in each instance, see gemm_avx512.c) */
enum { ACC = 0, BIAS = 1, BIAS_GELU = 2, ACC_GELU = 3 };

/* C[0..MR) x [0..8 NV) (+)= A[0..MR) x B; with MASK the last 8-column vector is masked with mk
 * (edge tiles only). MR x NV <= 12 accumulators + NV B vectors + 1 broadcast fit the 16 ymm
 * registers at 6 x 16. */
#define LOADV(p, last) (MASK && (last) ? _mm256_maskload_ps(p, mk) : _mm256_loadu_ps(p))
static inline __attribute__((always_inline)) void tile(const int MR, const int NV, const int MODE,
                                                       const int MASK, size_t K, const float *A,
                                                       size_t sam, size_t sak, const float *B,
                                                       size_t ldb, float *C, size_t ldc, __m256i mk,
                                                       const float *bias) {
    __m256 acc[6][2];
    if (MODE == ACC || MODE == ACC_GELU) {
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++) acc[i][v] = LOADV(C + i * ldc + 8 * v, v == NV - 1);
    } else {
        __m256 b0[2];
        for (int v = 0; v < NV; v++)
            b0[v] = !bias ? _mm256_setzero_ps() : LOADV(bias + 8 * v, v == NV - 1);
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++) acc[i][v] = b0[v];
    }
    for (size_t k = 0; k < K; k++) {
        const float *b = B + k * ldb;
        __m256 bv[2];
        for (int v = 0; v < NV; v++) bv[v] = LOADV(b + 8 * v, v == NV - 1);
        const float *a = A + k * sak;
        for (int i = 0; i < MR; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * sam);
            for (int v = 0; v < NV; v++) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) {
            if (MASK && v == NV - 1)
                _mm256_maskstore_ps(C + i * ldc + 8 * v, mk, acc[i][v]);
            else
                _mm256_storeu_ps(C + i * ldc + 8 * v, acc[i][v]);
        }
}
#undef LOADV

static inline __attribute__((always_inline)) void
band_mode(const int MR, const int MODE, size_t N, size_t K, const float *A, size_t sam, size_t sak,
          const float *B, size_t ldb, float *C, size_t ldc, const float *bias) {
    const __m256i full = _mm256_set1_epi32(-1);
    size_t n = 0;
    for (; n + 16 <= N; n += 16)
        tile(MR, 2, MODE, 0, K, A, sam, sak, B + n, ldb, C + n, ldc, full, bias ? bias + n : NULL);
    size_t r = N - n;
    const float *bn = bias ? bias + n : NULL;
    if (r == 8)
        tile(MR, 1, MODE, 0, K, A, sam, sak, B + n, ldb, C + n, ldc, full, bn);
    else if (r > 8)
        tile(MR, 2, MODE, 1, K, A, sam, sak, B + n, ldb, C + n, ldc, tail_mask(r - 8), bn);
    else if (r > 0)
        tile(MR, 1, MODE, 1, K, A, sam, sak, B + n, ldb, C + n, ldc, tail_mask(r), bn);
    if (MODE == BIAS_GELU || MODE == ACC_GELU) gelu_rows(C, ldc, MR, N);
}

typedef struct {
    const float *bias;
    int mode;
} epilogue;

static inline __attribute__((always_inline)) void band(const int MR, size_t N, size_t K,
                                                       const float *A, size_t sam, size_t sak,
                                                       const float *B, size_t ldb, float *C,
                                                       size_t ldc, const epilogue *ep) {
    if (ep->mode == ACC)
        band_mode(MR, ACC, N, K, A, sam, sak, B, ldb, C, ldc, NULL);
    else if (ep->mode == BIAS)
        band_mode(MR, BIAS, N, K, A, sam, sak, B, ldb, C, ldc, ep->bias);
    else if (ep->mode == BIAS_GELU)
        band_mode(MR, BIAS_GELU, N, K, A, sam, sak, B, ldb, C, ldc, ep->bias);
    else
        band_mode(MR, ACC_GELU, N, K, A, sam, sak, B, ldb, C, ldc, NULL);
}

/* M rows in bands of 6, band b's A at A + b sab (sab = 6 sam for A read in place; the packed
 * path stores each band's 6 x K panel contiguously) */
static void gemm_block(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       size_t sab, const float *B, size_t ldb, float *C, size_t ldc,
                       const epilogue *ep) {
    size_t m = 0;
    for (; m + 6 <= M; m += 6)
        band(6, N, K, A + m / 6 * sab, sam, sak, B, ldb, C + m * ldc, ldc, ep);
    const float *a = A + m / 6 * sab;
    float *c = C + m * ldc;
    switch (M - m) {
    case 5:
        band(5, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 4:
        band(4, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 3:
        band(3, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 2:
        band(2, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 1:
        band(1, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    default:
        break;
    }
}

/* Cache blocking: a KB x NB panel of B (128 KiB) stays in L2 while every row of A passes over
 * it. C is the accumulator the tile loads and stores, so splitting k changes no rounding; with
 * a fused epilogue the first k block starts from the bias and only the last applies GELU. */
#define KB 256
#define NB 128

static void gemm_blocked(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                         const float *B, size_t ldb, float *C, size_t ldc, const epilogue *ep) {
    /* one block (also K = 0, where a fused layer still writes bias and GELU) */
    if (K <= KB && N <= NB) {
        gemm_block(M, N, K, A, sam, sak, 6 * sam, B, ldb, C, ldc, ep);
        return;
    }
    for (size_t n0 = 0; n0 < N; n0 += NB) {
        size_t nb = N - n0 < NB ? N - n0 : NB;
        if (K == 0) { /* N > NB: the bias and GELU of each column block */
            epilogue e = {ep->bias ? ep->bias + n0 : NULL, ep->mode};
            gemm_block(M, nb, 0, A, sam, sak, 6 * sam, B + n0, ldb, C + n0, ldc, &e);
            continue;
        }
        for (size_t k0 = 0; k0 < K; k0 += KB) {
            size_t kb = K - k0 < KB ? K - k0 : KB;
            /* the first k block starts from the bias, the last applies GELU */
            int first = k0 == 0, last = k0 + kb >= K, gelu = ep->mode == BIAS_GELU && last;
            int mode = ep->mode == ACC ? ACC
                       : first         ? (gelu ? BIAS_GELU : BIAS)
                                       : (gelu ? ACC_GELU : ACC);
            epilogue e = {ep->bias ? ep->bias + n0 : NULL, mode};
            gemm_block(M, nb, kb, A + k0 * sak, sam, sak, 6 * sam, B + k0 * ldb + n0, ldb, C + n0,
                       ldc, &e);
        }
    }
}

/* ---- the packed path, for products whose B is beyond L2: the plan of gemm_avx512.c (A in
 * 6-row panels, B in PNC-wide panels of 16-column slivers, the next panel fetched into L2
 * while one is used; see there) with this file's 6 x 16 tiles, so bit-identical to the
 * in-place path. In the context's packing scratch (ptmi_scratch, PTMI_PACK_FLOATS per
 * thread); without one the product is read in place. */
#define PKC PTMI_PACK_KC
#define PNC PTMI_PACK_NC
#define PMC 126
#define PNR 16

/* kb rows of nc <= PNC columns of B into slivers: column 16 s + j of row k at
 * Bp[s 16 kb + 16 k + j], zeros past nc */
static void pack_b(size_t kb, size_t nc, const float *B, size_t ldb, float *Bp) {
    for (size_t k = 0; k < kb; k++) {
        const float *b = B + k * ldb;
        for (size_t s = 0; s * PNR < nc; s++) {
            size_t w = nc - s * PNR < PNR ? nc - s * PNR : PNR;
            float *d = Bp + s * PNR * kb + PNR * k;
            if (w == PNR) {
                _mm256_store_ps(d, _mm256_loadu_ps(b + s * PNR));
                _mm256_store_ps(d + 8, _mm256_loadu_ps(b + s * PNR + 8));
            } else {
                for (size_t j = 0; j < PNR; j++) d[j] = j < w ? b[s * PNR + j] : 0.0f;
            }
        }
    }
}

/* the epilogue of one k block [k0, k0 + kb) of K (see gemm_blocked) */
static epilogue block_epilogue(const epilogue *ep, size_t n0, size_t k0, size_t kb, size_t K) {
    int first = k0 == 0, last = k0 + kb >= K, gelu = ep->mode == BIAS_GELU && last;
    int mode = ep->mode == ACC ? ACC : first ? (gelu ? BIAS_GELU : BIAS) : (gelu ? ACC_GELU : ACC);
    epilogue e = {ep->bias ? ep->bias + n0 : NULL, mode};
    return e;
}

/* one row block (mb rows, A packed) times one packed panel of B (nc columns), each band
 * fetching its share of the next panel (f) */
static void panel_product(size_t mb, size_t nc, size_t kb, const float *Ap, const float *Bp,
                          float *C, size_t ldc, const epilogue *e0, const ptmi_panel_fetch *f) {
    size_t bands = (mb + 5) / 6, calls = bands * ((nc + PNR - 1) / PNR), j = 0;
    for (size_t s = 0; s * PNR < nc; s++) {
        size_t w = nc - s * PNR < PNR ? nc - s * PNR : PNR;
        epilogue e = {e0->bias ? e0->bias + s * PNR : NULL, e0->mode};
        for (size_t m = 0; m < mb; m += 6, j++) {
            ptmi_fetch_share(f, j, calls);
            gemm_block(mb - m < 6 ? mb - m : 6, w, kb, Ap + m * kb, 1, 6, 6 * kb, Bp + s * PNR * kb,
                       PNR, C + m * ldc + s * PNR, ldc, &e);
        }
    }
}

static void gemm_packed(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc, const epilogue *ep,
                        float *scratch) {
    float *Ap = scratch, *Bp = scratch + PMC * PKC;
    for (size_t k0 = 0; k0 < K; k0 += PKC) {
        size_t kb = K - k0 < PKC ? K - k0 : PKC;
        for (size_t m0 = 0; m0 < M; m0 += PMC) {
            size_t mb = M - m0 < PMC ? M - m0 : PMC;
            ptmi_pack_a(6, mb, kb, A + m0 * sam + k0 * sak, sam, sak, Ap);
            for (size_t n0 = 0; n0 < N; n0 += PNC) {
                size_t nc = N - n0 < PNC ? N - n0 : PNC;
                pack_b(kb, nc, B + k0 * ldb + n0, ldb, Bp);
                ptmi_panel_fetch f = ptmi_next_panel(B, ldb, M, N, K, n0, k0, m0, PMC);
                epilogue e = block_epilogue(ep, n0, k0, kb, K);
                panel_product(mb, nc, kb, Ap, Bp, C + m0 * ldc + n0, ldc, &e, &f);
            }
        }
    }
}

/* the packed path when it pays and this thread has the scratch for it, else in place */
static void gemm_choose(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc, const epilogue *ep) {
    _Static_assert(PTMI_PACK_FLOATS >= PMC * PKC + PKC * PNC + 16, "packing scratch");
    size_t have = 0;
    float *scratch = ptmi_packed_pays(M, N, K) ? ptmi_scratch(&have) : NULL;
    if (scratch && have >= PTMI_PACK_FLOATS)
        gemm_packed(M, N, K, A, sam, sak, B, ldb, C, ldc, ep,
                    scratch + ((64 - (uintptr_t)scratch % 64) % 64) / sizeof(float));
    else
        gemm_blocked(M, N, K, A, sam, sak, B, ldb, C, ldc, ep);
}

void ptmi_gemm_acc_avx2(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc) {
    epilogue ep = {NULL, ACC};
    gemm_choose(M, N, K, A, sam, sak, B, ldb, C, ldc, &ep);
}

void ptmi_linear_avx2(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                      size_t ldb, const float *bias, float *C, size_t ldc, int gelu) {
    epilogue ep = {bias, gelu ? BIAS_GELU : BIAS};
    gemm_choose(M, N, K, A, lda, 1, B, ldb, C, ldc, &ep);
}

/* ---- products sharing their left operand over many series (see gemm_avx512.c): for s < S,
 * C_s [M, D] = act(rowbias + A [M, K] B_s [K, D]), D a multiple of 8 (others by the GEMM); the
 * 8-column vectors of all series are numbered j = s (D / 8) + v and a 6 x 16 tile takes two of
 * them. */
static inline __attribute__((always_inline)) void series_tile(const int MR, const int NV, size_t K,
                                                              const float *A, size_t lda,
                                                              const float *const *bp, size_t ldb,
                                                              float *const *cp, size_t ldc,
                                                              const float *rowbias) {
    __m256 acc[6][2];
    for (int i = 0; i < MR; i++) {
        __m256 b0 = rowbias ? _mm256_broadcast_ss(rowbias + i) : _mm256_setzero_ps();
        for (int v = 0; v < NV; v++) acc[i][v] = b0;
    }
    for (size_t k = 0; k < K; k++) {
        __m256 bv[2];
        for (int v = 0; v < NV; v++) bv[v] = _mm256_loadu_ps(bp[v] + k * ldb);
        const float *a = A + k;
        for (int i = 0; i < MR; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * lda);
            for (int v = 0; v < NV; v++) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) _mm256_storeu_ps(cp[v] + i * ldc, acc[i][v]);
}

static inline __attribute__((always_inline)) void
series_band(const int MR, const int GELU, size_t D, size_t K, const float *A, size_t lda,
            const float *B, size_t bss, size_t ldb, float *C, size_t css, size_t ldc,
            const float *rowbias, size_t S) {
    size_t per = D / 8, nvec = S * per;
    for (size_t j = 0; j < nvec; j += 2) {
        const float *bp[2];
        float *cp[2];
        int nv = j + 1 < nvec ? 2 : 1;
        for (int v = 0; v < nv; v++) {
            size_t s = (j + v) / per, o = (j + v) % per * 8;
            bp[v] = B + s * bss + o;
            cp[v] = C + s * css + o;
        }
        if (nv == 2)
            series_tile(MR, 2, K, A, lda, bp, ldb, cp, ldc, rowbias);
        else
            series_tile(MR, 1, K, A, lda, bp, ldb, cp, ldc, rowbias);
    }
    if (GELU) /* the band's rows of every series */
        for (size_t s = 0; s < S; s++) gelu_rows(C + s * css, ldc, MR, D);
}

#define SERIES_BAND(MR)                                                                            \
    do {                                                                                           \
        if (gelu)                                                                                  \
            series_band(MR, 1, D, K, a, lda, B, bss, ldb, c, css, ldc, rb, S);                     \
        else                                                                                       \
            series_band(MR, 0, D, K, a, lda, B, bss, ldb, c, css, ldc, rb, S);                     \
    } while (0)

void ptmi_gemm_series_avx2(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                           size_t bss, size_t ldb, const float *rowbias, float *C, size_t css,
                           size_t ldc, size_t S, int gelu) {
    if (D % 8) { /* no kernel for this width: per series, bias rows + GEMM + GELU */
        ptmi_gemm_series_by_gemm(ptmi_gemm_acc_avx2, ptmi_gelu_avx2, M, D, K, A, lda, B, bss, ldb,
                                 rowbias, C, css, ldc, S, gelu);
        return;
    }
    for (size_t m = 0; m < M; m += 6) {
        const float *a = A + m * lda;
        float *c = C + m * ldc;
        const float *rb = rowbias ? rowbias + m : NULL;
        switch (M - m < 6 ? M - m : 6) {
        case 6:
            SERIES_BAND(6);
            break;
        case 5:
            SERIES_BAND(5);
            break;
        case 4:
            SERIES_BAND(4);
            break;
        case 3:
            SERIES_BAND(3);
            break;
        case 2:
            SERIES_BAND(2);
            break;
        default:
            SERIES_BAND(1);
            break;
        }
    }
}
#undef SERIES_BAND
#endif
