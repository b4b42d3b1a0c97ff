/* gemm.c - the entry points that split a large product over the current thread pool, each
 * calling the kernel table of the level in use (kernels.h): the GEMM and the fused linear layer
 * by rows, or by columns when M is small or B is beyond L2, the series products (or their
 * per-series GEMMs). Every element is computed by one thread with the serial kernel's k order:
 * results do not depend on the thread count. */
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/threads.h"

/* B of 1 MiB or more (beyond L2, as the kernels' packed path): split by columns, so that each
 * thread streams its own part of B instead of all of it */
static int by_columns(size_t M, size_t N, size_t K, int nth) {
    return M < (size_t)(8 * nth) || ((double)K * (double)N >= 262144.0 && N >= (size_t)(64 * nth));
}

typedef struct {
    const ptmi_kernel_table *kt;
    size_t M, N, K, sam, sak, ldb, ldc;
    const float *A, *B;
    float *C;
    int split_n;
} gemm_job;

/* each thread computes whole elements of C (rows, or columns when M is small) */
static void gemm_part(void *arg, int ith, int nth) {
    const gemm_job *j = arg;
    size_t b, e;
    if (!j->split_n) {
        ptmi_share(j->M, 4, ith, nth, &b, &e);
        if (e > b)
            j->kt->gemm_acc(e - b, j->N, j->K, j->A + b * j->sam, j->sam, j->sak, j->B, j->ldb,
                            j->C + b * j->ldc, j->ldc);
    } else {
        ptmi_share(j->N, 16, ith, nth, &b, &e);
        if (e > b)
            j->kt->gemm_acc(j->M, e - b, j->K, j->A, j->sam, j->sak, j->B + b, j->ldb, j->C + b,
                            j->ldc);
    }
}

void ptmi_gemm_acc(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                   const float *B, size_t ldb, float *C, size_t ldc) {
    const ptmi_kernel_table *kt = ptmi_kernels();
    ptmi_pool *pool = ptmi_pool_current();
    int nth = ptmi_pool_size(pool);
    /* below ~1M multiply-adds (~30 us on one core) a split costs more than it saves */
    if (nth < 2 || (double)M * (double)N * (double)K < 1048576.0) {
        kt->gemm_acc(M, N, K, A, sam, sak, B, ldb, C, ldc);
        return;
    }
    gemm_job j = {kt, M, N, K, sam, sak, ldb, ldc, A, B, C, by_columns(M, N, K, nth)};
    ptmi_pool_run(pool, gemm_part, &j);
}

/* GELU in place over n elements, split over the pool like the GELU layer */
static void gelu_range(void *arg, size_t b, size_t e) {
    float *c = arg;
    ptmi_kernels()->gelu(c + b, c + b, e - b);
}

static void gelu_pool(float *out, const float *inp, size_t n) {
    (void)inp; /* always in place here */
    ptmi_parallel_for(n, 65536, gelu_range, out);
}

/* the fused linear layer, split over the pool by rows, or by columns like ptmi_gemm_acc */
typedef struct {
    const ptmi_kernel_table *kt;
    size_t M, N, K, lda, ldb, ldc;
    const float *A, *B, *bias;
    float *C;
    int gelu, split_n;
} linear_job;

static void linear_part(void *arg, int ith, int nth) {
    const linear_job *j = arg;
    size_t b, e;
    if (j->split_n) {
        ptmi_share(j->N, 32, ith, nth, &b, &e);
        if (e > b)
            j->kt->linear(j->M, e - b, j->K, j->A, j->lda, j->B + b, j->ldb,
                          j->bias ? j->bias + b : NULL, j->C + b, j->ldc, j->gelu);
        return;
    }
    ptmi_share(j->M, 8, ith, nth, &b, &e);
    if (e > b)
        j->kt->linear(e - b, j->N, j->K, j->A + b * j->lda, j->lda, j->B, j->ldb, j->bias,
                      j->C + b * j->ldc, j->ldc, j->gelu);
}

void ptmi_linear_fused(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                       size_t ldb, const float *bias, float *C, size_t ldc, int gelu) {
    const ptmi_kernel_table *kt = ptmi_kernels();
    if (!kt->linear_fused) { /* bias rows, then the GEMM and GELU, each split over the pool */
        ptmi_linear_by_gemm(ptmi_gemm_acc, gelu_pool, M, N, K, A, lda, B, ldb, bias, C, ldc, gelu);
        return;
    }
    ptmi_pool *pool = ptmi_pool_current();
    int nth = ptmi_pool_size(pool);
    linear_job j = {kt, M, N, K, lda, ldb, ldc, A, B, bias, C, gelu, 0};
    j.split_n = by_columns(M, N, K, nth) && N >= (size_t)(64 * nth);
    if (nth < 2 || (M < 16 && !j.split_n) || (double)M * (double)N * (double)K < 1048576.0)
        linear_part(&j, 0, 1);
    else
        ptmi_pool_run(pool, linear_part, &j);
}

void ptmi_gemm_series(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                      size_t bss, size_t ldb, const float *rowbias, float *C, size_t css,
                      size_t ldc, size_t S, int gelu) {
    const ptmi_kernel_table *kt = ptmi_kernels();
    if (kt->series_width && D % kt->series_width == 0)
        kt->gemm_series(M, D, K, A, lda, B, bss, ldb, rowbias, C, css, ldc, S, gelu);
    else
        ptmi_gemm_series_by_gemm(ptmi_gemm_acc, gelu_pool, M, D, K, A, lda, B, bss, ldb, rowbias, C,
                                 css, ldc, S, gelu);
}

/* columns [n0, n1) of the packed product on a level without a kernel for it: bias rows, then
 * the level's GEMM on each sliver of each k block in order (every element's k order is the
 * GEMM's), then GELU */
static void linear_packed_by_gemm(const ptmi_kernel_table *kt, size_t M, size_t n0, size_t n1,
                                  size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                                  const float *bias, float *C, size_t ldc, int gelu) {
    for (size_t m = 0; m < M; m++)
        for (size_t n = n0; n < n1; n++) C[m * ldc + n] = bias ? bias[n] : 0.0f;
    for (size_t k0 = 0; k0 < K; k0 += PTMI_PACKED_KC) {
        size_t kb = K - k0 < PTMI_PACKED_KC ? K - k0 : PTMI_PACKED_KC;
        for (size_t n = n0; n < n1; n += PTMI_PACKED_NR)
            kt->gemm_acc(M, PTMI_PACKED_NR, kb, A + k0, lda, 1, Bp + k0 * N + n * kb,
                         PTMI_PACKED_NR, C + n, ldc);
    }
    if (gelu)
        for (size_t m = 0; m < M; m++) kt->gelu(C + m * ldc + n0, C + m * ldc + n0, n1 - n0);
}

typedef struct {
    const ptmi_kernel_table *kt;
    size_t M, N, K, lda, ldc;
    const float *A, *Bp, *bias;
    float *C;
    int gelu;
} packed_job;

static void packed_part(void *arg, int ith, int nth) {
    const packed_job *j = arg;
    size_t b, e;
    ptmi_share(j->N, PTMI_PACKED_NR, ith, nth, &b, &e);
    if (e <= b) return;
    if (j->kt->linear_packed)
        j->kt->linear_packed(j->M, b, e, j->N, j->K, j->A, j->lda, j->Bp, j->bias, j->C, j->ldc,
                             j->gelu);
    else
        linear_packed_by_gemm(j->kt, j->M, b, e, j->N, j->K, j->A, j->lda, j->Bp, j->bias, j->C,
                              j->ldc, j->gelu);
}

void ptmi_linear_packed(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                        const float *bias, float *C, size_t ldc, int gelu) {
    ptmi_pool *pool = ptmi_pool_current();
    packed_job j = {ptmi_kernels(), M, N, K, lda, ldc, A, Bp, bias, C, gelu};
    if (ptmi_pool_size(pool) < 2 || (double)M * (double)N * (double)K < 1048576.0)
        packed_part(&j, 0, 1);
    else
        ptmi_pool_run(pool, packed_part, &j);
}
