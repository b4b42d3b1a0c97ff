/* gemm_neon.c - ptmi_gemm_acc for AArch64 Advanced SIMD (NEON, part of every AArch64 CPU):
 * register tiles of 4 rows x 16 columns (sixteen 4-float accumulators), each A element
 * broadcast, B streamed; column edges in 4-wide vectors and then scalar FMAs, row edges the
 * same tile with fewer rows. Same k order as the other kernels (one fused multiply-add per k
 * into the accumulator loaded from C). Built on aarch64 only; tested under qemu-user
 * (`make neon-check`, docs/architecture.md). */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <stddef.h>

#include "kernels/kernels.h"

/* C[0..MR) x [0..4 NV) += A[0..MR) x B */
static inline __attribute__((always_inline)) void tile(const int MR, const int NV, size_t K,
                                                       const float *A, size_t sam, size_t sak,
                                                       const float *B, size_t ldb, float *C,
                                                       size_t ldc) {
    float32x4_t acc[4][4];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) acc[i][v] = vld1q_f32(C + i * ldc + 4 * v);
    for (size_t k = 0; k < K; k++) {
        const float *b = B + k * ldb;
        float32x4_t bv[4];
        for (int v = 0; v < NV; v++) bv[v] = vld1q_f32(b + 4 * v);
        const float *a = A + k * sak;
        for (int i = 0; i < MR; i++) {
            float32x4_t av = vdupq_n_f32(a[i * sam]);
            for (int v = 0; v < NV; v++) acc[i][v] = vfmaq_f32(acc[i][v], av, bv[v]);
        }
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) vst1q_f32(C + i * ldc + 4 * v, acc[i][v]);
}

/* the last N % 4 columns of MR rows: scalar fused multiply-adds, same order */
static void tail_cols(int mr, size_t nc, size_t K, const float *A, size_t sam, size_t sak,
                      const float *B, size_t ldb, float *C, size_t ldc) {
    for (int i = 0; i < mr; i++)
        for (size_t j = 0; j < nc; j++) {
            float acc = C[i * ldc + j];
            for (size_t k = 0; k < K; k++)
                acc = __builtin_fmaf(A[i * sam + k * sak], B[k * ldb + j], acc);
            C[i * ldc + j] = acc;
        }
}

static inline __attribute__((always_inline)) void band(const int MR, size_t N, size_t K,
                                                       const float *A, size_t sam, size_t sak,
                                                       const float *B, size_t ldb, float *C,
                                                       size_t ldc) {
    size_t n = 0;
    for (; n + 16 <= N; n += 16) tile(MR, 4, K, A, sam, sak, B + n, ldb, C + n, ldc);
    switch ((N - n) / 4) {
    case 3:
        tile(MR, 3, K, A, sam, sak, B + n, ldb, C + n, ldc);
        break;
    case 2:
        tile(MR, 2, K, A, sam, sak, B + n, ldb, C + n, ldc);
        break;
    case 1:
        tile(MR, 1, K, A, sam, sak, B + n, ldb, C + n, ldc);
        break;
    default:
        break;
    }
    n += (N - n) / 4 * 4;
    if (n < N) tail_cols(MR, N - n, K, A, sam, sak, B + n, ldb, C + n, ldc);
}

static void gemm_block(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc) {
    size_t m = 0;
    for (; m + 4 <= M; m += 4) band(4, N, K, A + m * sam, sam, sak, B, ldb, C + m * ldc, ldc);
    const float *a = A + m * sam;
    float *c = C + m * ldc;
    switch (M - m) {
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

/* cache blocking as in gemm_avx2.c; splitting k changes no rounding (C is the accumulator) */
#define KB 256
#define NB 128

void ptmi_gemm_acc_neon(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc) {
    for (size_t n0 = 0; n0 < N; n0 += NB) {
        size_t nb = N - n0 < NB ? N - n0 : NB;
        for (size_t k0 = 0; k0 < K; k0 += KB) {
            size_t kb = K - k0 < KB ? K - k0 : KB;
            gemm_block(M, nb, kb, A + k0 * sak, sam, sak, B + k0 * ldb + n0, ldb, C + n0, ldc);
        }
    }
}
#endif
