/* gemm_avx2.c - ptm_gemm_acc for AVX2 + FMA: register tiles of 6 rows x 16 columns (twelve
 * 8-float accumulators), A broadcast, B streamed; column edges masked, row edges the same tile
 * with fewer rows. Compiled with -mavx2 -mfma for this file only; called only when the CPU
 * has both. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* lanes [0, r) set, for the 1..7 columns left at the right edge */
static inline __m256i tail_mask(size_t r) {
    static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(m + 8 - r));
}

/* C[0..MR) x [0..8 NV) += A[0..MR) x B; with MASK the last 8-column vector is masked with mk
 * (edge tiles only). MR x NV <= 12 accumulators + NV B vectors + 1 broadcast fit the 16 ymm
 * registers at 6 x 16 (the classic Haswell tile). */
#define LOADV(p, last) (MASK && (last) ? _mm256_maskload_ps(p, mk) : _mm256_loadu_ps(p))
static inline __attribute__((always_inline)) void tile(const int MR, const int NV, const int MASK,
                                                       size_t K, const float *A, size_t sam,
                                                       size_t sak, const float *B, size_t ldb,
                                                       float *C, size_t ldc, __m256i mk) {
    __m256 acc[6][2];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) acc[i][v] = LOADV(C + i * ldc + 8 * v, v == NV - 1);
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

static inline __attribute__((always_inline)) void band(const int MR, size_t N, size_t K,
                                                       const float *A, size_t sam, size_t sak,
                                                       const float *B, size_t ldb, float *C,
                                                       size_t ldc) {
    const __m256i full = _mm256_set1_epi32(-1);
    size_t n = 0;
    for (; n + 16 <= N; n += 16) tile(MR, 2, 0, K, A, sam, sak, B + n, ldb, C + n, ldc, full);
    size_t r = N - n;
    if (r == 8)
        tile(MR, 1, 0, K, A, sam, sak, B + n, ldb, C + n, ldc, full);
    else if (r > 8)
        tile(MR, 2, 1, K, A, sam, sak, B + n, ldb, C + n, ldc, tail_mask(r - 8));
    else if (r > 0)
        tile(MR, 1, 1, K, A, sam, sak, B + n, ldb, C + n, ldc, tail_mask(r));
}

static void gemm_block(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc) {
    size_t m = 0;
    for (; m + 6 <= M; m += 6) band(6, N, K, A + m * sam, sam, sak, B, ldb, C + m * ldc, ldc);
    const float *a = A + m * sam;
    float *c = C + m * ldc;
    switch (M - m) {
    case 5:
        band(5, N, K, a, sam, sak, B, ldb, c, ldc);
        break;
    case 4:
        band(4, N, K, a, sam, sak, B, ldb, c, ldc);
        break;
    case 3:
        band(3, N, K, a, sam, sak, B, ldb, c, ldc);
        break;
    case 2:
        band(2, N, K, a, sam, sak, B, ldb, c, ldc);
        break;
    case 1:
        band(1, N, K, a, sam, sak, B, ldb, c, ldc);
        break;
    default:
        break;
    }
}
/* Cache blocking: a KB x NB panel of B (128 KiB) stays in L2 while every row of A passes over
 * it. C is the accumulator the tile loads and stores, so splitting k changes no rounding. */
#define KB 256
#define NB 128

void ptm_gemm_acc_avx2(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc) {
    if (K <= KB && N <= NB) {
        gemm_block(M, N, K, A, sam, sak, B, ldb, C, ldc);
        return;
    }
    for (size_t n0 = 0; n0 < N; n0 += NB) {
        size_t nb = N - n0 < NB ? N - n0 : NB;
        for (size_t k0 = 0; k0 < K; k0 += KB) {
            size_t kb = K - k0 < KB ? K - k0 : KB;
            gemm_block(M, nb, kb, A + k0 * sak, sam, sak, B + k0 * ldb + n0, ldb, C + n0, ldc);
        }
    }
}
#endif
