/* dispatch.c - picks the kernels for this CPU once (AVX2 + FMA, else scalar). */
#include <stdatomic.h>

#include "kernels/kernels.h"
#include "kernels/threads.h"

static int force_scalar;

int ptm_kernels_force_scalar(int on) {
    int prev = force_scalar;
    force_scalar = on;
    return prev;
}

static int have_avx2(void) {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    /* atomic: the first calls may come from several threads at once (benign but a data race
     * with a plain int; found by ThreadSanitizer in tests/test_threads.c) */
    static atomic_int cached = -1;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
#else
    return 0;
#endif
}

int ptm_kernels_simd(void) {
    return !force_scalar && have_avx2();
}

const char *ptm_kernels_name(void) {
    return !force_scalar && have_avx2() ? "avx2+fma" : "scalar";
}

static void gemm_serial(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc) {
#if defined(__x86_64__) || defined(__i386__)
    if (!force_scalar && have_avx2()) {
        ptm_gemm_acc_avx2(M, N, K, A, sam, sak, B, ldb, C, ldc);
        return;
    }
#endif
    ptm_gemm_acc_ref(M, N, K, A, sam, sak, B, ldb, C, ldc);
}

typedef struct {
    size_t M, N, K, sam, sak, ldb, ldc;
    const float *A, *B;
    float *C;
    int split_n;
} gemm_job;

/* each thread computes whole elements of C (rows, or columns when M is small), with the same
 * k order as the serial kernel: results do not depend on the thread count */
static void gemm_part(void *arg, int ith, int nth) {
    const gemm_job *j = arg;
    size_t b, e;
    if (!j->split_n) {
        ptm_share(j->M, 4, ith, nth, &b, &e);
        if (e > b)
            gemm_serial(e - b, j->N, j->K, j->A + b * j->sam, j->sam, j->sak, j->B, j->ldb,
                        j->C + b * j->ldc, j->ldc);
    } else {
        ptm_share(j->N, 16, ith, nth, &b, &e);
        if (e > b)
            gemm_serial(j->M, e - b, j->K, j->A, j->sam, j->sak, j->B + b, j->ldb, j->C + b,
                        j->ldc);
    }
}

void ptm_gemm_acc(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                  const float *B, size_t ldb, float *C, size_t ldc) {
    ptm_pool *pool = ptm_pool_current();
    int nth = ptm_pool_size(pool);
    /* below ~1M multiply-adds (~30 us on one core) a split costs more than it saves */
    if (nth < 2 || (double)M * (double)N * (double)K < 1048576.0) {
        gemm_serial(M, N, K, A, sam, sak, B, ldb, C, ldc);
        return;
    }
    gemm_job j = {M, N, K, sam, sak, ldb, ldc, A, B, C, M < (size_t)(8 * nth)};
    ptm_pool_run(pool, gemm_part, &j);
}
