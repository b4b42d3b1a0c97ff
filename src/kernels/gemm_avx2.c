/* gemm_avx2.c - ptm_gemm_acc for AVX2 + FMA: register tiles of 4 rows x 16 columns (eight
 * 8-float accumulators), A broadcast, B streamed; edges fall back to 8-wide and scalar code.
 * Compiled with -mavx2 -mfma for this file only; called only when the CPU has both. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>

#include "kernels/kernels.h"

#define TILE_M 4

/* lanes [0, r) set, for the 1..7 columns left at the right edge */
static inline __m256i tail_mask(size_t r) {
    static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(m + 8 - r));
}

static void gemm_block(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc) {
    size_t m = 0;
    for (; m + TILE_M <= M; m += TILE_M) {
        const float *a0 = A + m * sam, *a1 = a0 + sam, *a2 = a1 + sam, *a3 = a2 + sam;
        size_t n = 0;
        for (; n + 16 <= N; n += 16) {
            float *c0 = C + m * ldc + n, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
            __m256 x00 = _mm256_loadu_ps(c0), x01 = _mm256_loadu_ps(c0 + 8);
            __m256 x10 = _mm256_loadu_ps(c1), x11 = _mm256_loadu_ps(c1 + 8);
            __m256 x20 = _mm256_loadu_ps(c2), x21 = _mm256_loadu_ps(c2 + 8);
            __m256 x30 = _mm256_loadu_ps(c3), x31 = _mm256_loadu_ps(c3 + 8);
            for (size_t k = 0; k < K; k++) {
                const float *b = B + k * ldb + n;
                __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
                __m256 v = _mm256_broadcast_ss(a0 + k * sak);
                x00 = _mm256_fmadd_ps(v, b0, x00);
                x01 = _mm256_fmadd_ps(v, b1, x01);
                v = _mm256_broadcast_ss(a1 + k * sak);
                x10 = _mm256_fmadd_ps(v, b0, x10);
                x11 = _mm256_fmadd_ps(v, b1, x11);
                v = _mm256_broadcast_ss(a2 + k * sak);
                x20 = _mm256_fmadd_ps(v, b0, x20);
                x21 = _mm256_fmadd_ps(v, b1, x21);
                v = _mm256_broadcast_ss(a3 + k * sak);
                x30 = _mm256_fmadd_ps(v, b0, x30);
                x31 = _mm256_fmadd_ps(v, b1, x31);
            }
            _mm256_storeu_ps(c0, x00);
            _mm256_storeu_ps(c0 + 8, x01);
            _mm256_storeu_ps(c1, x10);
            _mm256_storeu_ps(c1 + 8, x11);
            _mm256_storeu_ps(c2, x20);
            _mm256_storeu_ps(c2 + 8, x21);
            _mm256_storeu_ps(c3, x30);
            _mm256_storeu_ps(c3 + 8, x31);
        }
        for (; n + 8 <= N; n += 8) {
            float *c0 = C + m * ldc + n, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
            __m256 x0 = _mm256_loadu_ps(c0), x1 = _mm256_loadu_ps(c1);
            __m256 x2 = _mm256_loadu_ps(c2), x3 = _mm256_loadu_ps(c3);
            for (size_t k = 0; k < K; k++) {
                __m256 b0 = _mm256_loadu_ps(B + k * ldb + n);
                x0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k * sak), b0, x0);
                x1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + k * sak), b0, x1);
                x2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + k * sak), b0, x2);
                x3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + k * sak), b0, x3);
            }
            _mm256_storeu_ps(c0, x0);
            _mm256_storeu_ps(c1, x1);
            _mm256_storeu_ps(c2, x2);
            _mm256_storeu_ps(c3, x3);
        }
        if (n < N) {
            __m256i mk = tail_mask(N - n);
            float *c0 = C + m * ldc + n, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
            __m256 x0 = _mm256_maskload_ps(c0, mk), x1 = _mm256_maskload_ps(c1, mk);
            __m256 x2 = _mm256_maskload_ps(c2, mk), x3 = _mm256_maskload_ps(c3, mk);
            for (size_t k = 0; k < K; k++) {
                __m256 b0 = _mm256_maskload_ps(B + k * ldb + n, mk);
                x0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k * sak), b0, x0);
                x1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + k * sak), b0, x1);
                x2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + k * sak), b0, x2);
                x3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + k * sak), b0, x3);
            }
            _mm256_maskstore_ps(c0, mk, x0);
            _mm256_maskstore_ps(c1, mk, x1);
            _mm256_maskstore_ps(c2, mk, x2);
            _mm256_maskstore_ps(c3, mk, x3);
        }
    }
    for (; m < M; m++) {
        const float *a0 = A + m * sam;
        float *c0 = C + m * ldc;
        size_t n = 0;
        for (; n + 8 <= N; n += 8) {
            __m256 x0 = _mm256_loadu_ps(c0 + n);
            for (size_t k = 0; k < K; k++)
                x0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k * sak),
                                     _mm256_loadu_ps(B + k * ldb + n), x0);
            _mm256_storeu_ps(c0 + n, x0);
        }
        if (n < N) {
            __m256i mk = tail_mask(N - n);
            __m256 x0 = _mm256_maskload_ps(c0 + n, mk);
            for (size_t k = 0; k < K; k++)
                x0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k * sak),
                                     _mm256_maskload_ps(B + k * ldb + n, mk), x0);
            _mm256_maskstore_ps(c0 + n, mk, x0);
        }
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
