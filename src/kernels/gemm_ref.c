/* gemm_ref.c - the scalar GEMM, linear layer and series products (kernels.h): the oracles the
 * SIMD kernels are tested against, and the scalar table's fields. The GEMM's k loop is
 * outermost per row so that the n loop is a plain axpy; the linear layer and the series
 * products are bias rows + GEMM + GELU, from any GEMM and GELU (ptmi_linear_by_gemm,
 * ptmi_gemm_series_by_gemm: the levels without fused kernels and the pool entry points use
 * them too). */
#include <string.h>

#include "kernels/kernels.h"

void ptmi_gemm_acc_ref(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc) {
    for (size_t m = 0; m < M; m++) {
        float *c = C + m * ldc;
        for (size_t k = 0; k < K; k++) {
            float a = A[m * sam + k * sak];
            const float *b = B + k * ldb;
            for (size_t n = 0; n < N; n++) c[n] += a * b[n];
        }
    }
}

/* GELU in place on M rows of width N (row stride ldc) */
static void gelu_rows(ptmi_gelu_fn gelu_fn, float *C, size_t M, size_t N, size_t ldc) {
    if (ldc == N) {
        gelu_fn(C, C, M * N);
        return;
    }
    for (size_t m = 0; m < M; m++) gelu_fn(C + m * ldc, C + m * ldc, N);
}

void ptmi_linear_by_gemm(ptmi_gemm_fn gemm, ptmi_gelu_fn gelu_fn, size_t M, size_t N, size_t K,
                         const float *A, size_t lda, const float *B, size_t ldb, const float *bias,
                         float *C, size_t ldc, int gelu) {
    for (size_t m = 0; m < M; m++) {
        if (bias)
            memcpy(C + m * ldc, bias, N * sizeof(float));
        else
            memset(C + m * ldc, 0, N * sizeof(float));
    }
    gemm(M, N, K, A, lda, 1, B, ldb, C, ldc);
    if (gelu) gelu_rows(gelu_fn, C, M, N, ldc);
}

void ptmi_gemm_series_by_gemm(ptmi_gemm_fn gemm, ptmi_gelu_fn gelu_fn, size_t M, size_t D, size_t K,
                              const float *A, size_t lda, const float *B, size_t bss, size_t ldb,
                              const float *rowbias, float *C, size_t css, size_t ldc, size_t S,
                              int gelu) {
    for (size_t s = 0; s < S; s++) {
        float *c = C + s * css;
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < D; j++) c[i * ldc + j] = rowbias ? rowbias[i] : 0.0f;
        gemm(M, D, K, A, lda, 1, B + s * bss, ldb, c, ldc);
        if (gelu) gelu_rows(gelu_fn, c, M, D, ldc);
    }
}

void ptmi_linear_ref(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                     size_t ldb, const float *bias, float *C, size_t ldc, int gelu) {
    ptmi_linear_by_gemm(ptmi_gemm_acc_ref, ptmi_gelu_ref, M, N, K, A, lda, B, ldb, bias, C, ldc,
                        gelu);
}

void ptmi_gemm_series_ref(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                          size_t bss, size_t ldb, const float *rowbias, float *C, size_t css,
                          size_t ldc, size_t S, int gelu) {
    ptmi_gemm_series_by_gemm(ptmi_gemm_acc_ref, ptmi_gelu_ref, M, D, K, A, lda, B, bss, ldb,
                             rowbias, C, css, ldc, S, gelu);
}
