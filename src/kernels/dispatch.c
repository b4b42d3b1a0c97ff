/* dispatch.c - picks the kernels for this CPU once (AVX-512F, else AVX2 + FMA, else scalar;
 * NEON on AArch64). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/threads.h"

/* PTM_KERNELS_SCALAR / _AVX2 / _AVX512 (kernels.h): the best this CPU runs, capped by
 * ptm_kernels_set_max_level and, once at the first call, by the environment variable
 * PTM_KERNELS=scalar|avx2|avx512 (to compare paths, or to run under tools that lack AVX-512) */
static atomic_int max_level = PTM_KERNELS_AVX512;

static int cpu_level(void) {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    /* atomic: the first calls may come from several threads at once (benign but a data race
     * with a plain int; found by ThreadSanitizer in tests/test_threads.c) */
    static atomic_int cached = -1;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = PTM_KERNELS_SCALAR;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            v = PTM_KERNELS_AVX2;
            /* libgcc also checks that the OS saves the AVX-512 state (XCR0) */
            if (__builtin_cpu_supports("avx512f")) v = PTM_KERNELS_AVX512;
        }
        const char *env = getenv("PTM_KERNELS");
        if (env && strcmp(env, "scalar") == 0) v = PTM_KERNELS_SCALAR;
        if (env && strcmp(env, "avx2") == 0 && v > PTM_KERNELS_AVX2) v = PTM_KERNELS_AVX2;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
#elif defined(__aarch64__)
    /* Advanced SIMD is part of every AArch64 CPU; PTM_KERNELS=scalar turns it off */
    static atomic_int cached = -1;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        const char *env = getenv("PTM_KERNELS");
        v = env && strcmp(env, "scalar") == 0 ? PTM_KERNELS_SCALAR : PTM_KERNELS_NEON;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
#else
    return PTM_KERNELS_SCALAR;
#endif
}

int ptm_kernels_level(void) {
    int cpu = cpu_level(), cap = atomic_load_explicit(&max_level, memory_order_relaxed);
    return cpu < cap ? cpu : cap;
}

int ptm_kernels_set_max_level(int level) {
    return atomic_exchange_explicit(&max_level, level, memory_order_relaxed);
}

int ptm_kernels_force_scalar(int on) {
    int prev = ptm_kernels_set_max_level(on ? PTM_KERNELS_SCALAR : PTM_KERNELS_AVX512);
    return prev == PTM_KERNELS_SCALAR;
}

int ptm_kernels_simd(void) {
    return ptm_kernels_level() >= PTM_KERNELS_AVX2;
}

const char *ptm_kernels_name(void) {
#if defined(__aarch64__)
    return ptm_kernels_level() >= PTM_KERNELS_NEON ? "neon" : "scalar";
#else
    switch (ptm_kernels_level()) {
    case PTM_KERNELS_AVX512:
        return "avx512f";
    case PTM_KERNELS_AVX2:
        return "avx2+fma";
    default:
        return "scalar";
    }
#endif
}

static void gemm_serial(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc) {
#if defined(__x86_64__) || defined(__i386__)
    int level = ptm_kernels_level();
    if (level >= PTM_KERNELS_AVX512) {
        ptm_gemm_acc_avx512(M, N, K, A, sam, sak, B, ldb, C, ldc);
        return;
    }
    if (level >= PTM_KERNELS_AVX2) {
        ptm_gemm_acc_avx2(M, N, K, A, sam, sak, B, ldb, C, ldc);
        return;
    }
#elif defined(__aarch64__)
    if (ptm_kernels_level() >= PTM_KERNELS_NEON) {
        ptm_gemm_acc_neon(M, N, K, A, sam, sak, B, ldb, C, ldc);
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

/* the fused linear layer, split over the pool by rows like ptm_gemm_acc */
typedef struct {
    size_t M, N, K, lda, ldb, ldc;
    const float *A, *B, *bias;
    float *C;
    int gelu;
} linear_job;

static void linear_part(void *arg, int ith, int nth) {
    const linear_job *j = arg;
    size_t b, e;
    ptm_share(j->M, 8, ith, nth, &b, &e);
#if defined(__x86_64__) || defined(__i386__)
    if (e > b && ptm_kernels_level() >= PTM_KERNELS_AVX512)
        ptm_linear_avx512(e - b, j->N, j->K, j->A + b * j->lda, j->lda, j->B, j->ldb, j->bias,
                          j->C + b * j->ldc, j->ldc, j->gelu);
    else if (e > b)
        ptm_linear_avx2(e - b, j->N, j->K, j->A + b * j->lda, j->lda, j->B, j->ldb, j->bias,
                        j->C + b * j->ldc, j->ldc, j->gelu);
#else
    (void)b;
    (void)e;
#endif
}

void ptm_linear_fused(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                      size_t ldb, const float *bias, float *C, size_t ldc, int gelu) {
    ptm_pool *pool = ptm_pool_current();
    int nth = ptm_pool_size(pool);
    linear_job j = {M, N, K, lda, ldb, ldc, A, B, bias, C, gelu};
    if (nth < 2 || M < 16 || (double)M * (double)N * (double)K < 1048576.0)
        linear_part(&j, 0, 1);
    else
        ptm_pool_run(pool, linear_part, &j);
}

size_t ptm_gemm_series_width(void) {
#if defined(__x86_64__) || defined(__i386__)
    int level = ptm_kernels_level();
    return level >= PTM_KERNELS_AVX512 ? 16 : level >= PTM_KERNELS_AVX2 ? 8 : 0;
#else
    return 0;
#endif
}

void ptm_gemm_series(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                     size_t bss, size_t ldb, const float *rowbias, float *C, size_t css, size_t ldc,
                     size_t S, int gelu) {
#if defined(__x86_64__) || defined(__i386__)
    if (ptm_kernels_level() >= PTM_KERNELS_AVX512)
        ptm_gemm_series_avx512(M, D, K, A, lda, B, bss, ldb, rowbias, C, css, ldc, S, gelu);
    else
        ptm_gemm_series_avx2(M, D, K, A, lda, B, bss, ldb, rowbias, C, css, ldc, S, gelu);
#else
    (void)M, (void)D, (void)K, (void)A, (void)lda, (void)B, (void)bss, (void)ldb, (void)rowbias;
    (void)C, (void)css, (void)ldc, (void)S, (void)gelu;
#endif
}

int ptm_softmax_cols_gate(float *out, float *probs, const float *inp, int r, size_t w,
                          const float *res) {
#if defined(__x86_64__) || defined(__i386__)
    int level = ptm_kernels_level();
    if (level >= PTM_KERNELS_AVX512) {
        ptm_softmax_cols_gate_avx512(out, probs, inp, r, w, res);
        return 1;
    }
    if (level >= PTM_KERNELS_AVX2) {
        ptm_softmax_cols_gate_avx2(out, probs, inp, r, w, res);
        return 1;
    }
#else
    (void)out, (void)probs, (void)inp, (void)r, (void)w, (void)res;
#endif
    return 0;
}
