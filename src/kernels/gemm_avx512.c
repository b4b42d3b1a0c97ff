/* gemm_avx512.c - ptm_gemm_acc for AVX-512F: register tiles of 8 rows x 32 columns (sixteen
 * 16-float accumulators), each A element broadcast straight from memory into the FMA, B
 * streamed; column edges use masked loads and stores, row edges the same tile with fewer rows.
 * On a CPU with full-width 512-bit FMA units (AMD Zen 5, Intel server cores) this doubles the
 * FLOP rate of the AVX2 kernel. Compiled with -mavx512f -mfma for this file only; dispatch.c
 * calls it when the CPU and the OS support AVX-512F. Summation order over k is the same as in
 * the other kernels (one FMA per k into the accumulator loaded from C). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* C[0..MR) x [0..16*NV) += A[0..MR) x B, the last 16-column vector masked with `mk` */
static inline __attribute__((always_inline)) void tile(const int MR, const int NV, size_t K,
                                                       const float *A, size_t sam, size_t sak,
                                                       const float *B, size_t ldb, float *C,
                                                       size_t ldc, __mmask16 mk) {
    __m512 acc[8][2];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++)
            acc[i][v] = v == NV - 1 ? _mm512_maskz_loadu_ps(mk, C + i * ldc + 16 * v)
                                    : _mm512_loadu_ps(C + i * ldc + 16 * v);
    for (size_t k = 0; k < K; k++) {
        const float *b = B + k * ldb;
        __m512 bv[2];
        for (int v = 0; v < NV; v++)
            bv[v] =
                v == NV - 1 ? _mm512_maskz_loadu_ps(mk, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
        const float *a = A + k * sak;
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(a[i * sam]);
            for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) {
            if (v == NV - 1)
                _mm512_mask_storeu_ps(C + i * ldc + 16 * v, mk, acc[i][v]);
            else
                _mm512_storeu_ps(C + i * ldc + 16 * v, acc[i][v]);
        }
}

/* one row band of MR rows over all N columns */
static inline __attribute__((always_inline)) void band(const int MR, size_t N, size_t K,
                                                       const float *A, size_t sam, size_t sak,
                                                       const float *B, size_t ldb, float *C,
                                                       size_t ldc) {
    size_t n = 0;
    for (; n + 32 <= N; n += 32) tile(MR, 2, K, A, sam, sak, B + n, ldb, C + n, ldc, 0xffff);
    size_t r = N - n;
    if (r > 16)
        tile(MR, 2, K, A, sam, sak, B + n, ldb, C + n, ldc, (__mmask16)((1u << (r - 16)) - 1));
    else if (r > 0)
        tile(MR, 1, K, A, sam, sak, B + n, ldb, C + n, ldc,
             (__mmask16)(r == 16 ? 0xffffu : (1u << r) - 1));
}

static void gemm_block(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc) {
    size_t m = 0;
    for (; m + 8 <= M; m += 8) band(8, N, K, A + m * sam, sam, sak, B, ldb, C + m * ldc, ldc);
    const float *a = A + m * sam;
    float *c = C + m * ldc;
    switch (M - m) {
    case 7:
        band(7, N, K, a, sam, sak, B, ldb, c, ldc);
        break;
    case 6:
        band(6, N, K, a, sam, sak, B, ldb, c, ldc);
        break;
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

/* Cache blocking as in gemm_avx2.c: a KB x NB panel of B (128 KiB) stays in L2 while every row
 * of A passes over it; splitting k changes no rounding (C is the accumulator). */
#define KB 256
#define NB 128

void ptm_gemm_acc_avx512(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
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
