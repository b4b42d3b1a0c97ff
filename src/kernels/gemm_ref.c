/* gemm_ref.c - scalar reference of ptm_gemm_acc (see kernels.h): the oracle the SIMD kernels
 * are tested against. The k loop is outermost per row so that the n loop is a plain axpy. */
#include "kernels/kernels.h"

void ptm_gemm_acc_ref(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
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
