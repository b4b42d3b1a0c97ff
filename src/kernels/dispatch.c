/* dispatch.c - picks the kernels for this CPU once (AVX2 + FMA, else scalar). */
#include "kernels/kernels.h"

static int force_scalar;

int ptm_kernels_force_scalar(int on) {
    int prev = force_scalar;
    force_scalar = on;
    return prev;
}

static int have_avx2(void) {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
#else
    return 0;
#endif
}

const char *ptm_kernels_name(void) {
    return !force_scalar && have_avx2() ? "avx2+fma" : "scalar";
}

void ptm_gemm_acc(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                  const float *B, size_t ldb, float *C, size_t ldc) {
#if defined(__x86_64__) || defined(__i386__)
    if (!force_scalar && have_avx2()) {
        ptm_gemm_acc_avx2(M, N, K, A, sam, sak, B, ldb, C, ldc);
        return;
    }
#endif
    ptm_gemm_acc_ref(M, N, K, A, sam, sak, B, ldb, C, ldc);
}
