/* dispatch.c - the kernel table of each level (scalar, AVX2 + FMA, AVX-512F; NEON on AArch64)
 * and the choice of one from the CPU's features, made once. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "kernels/kernels.h"

/* PTMI_KERNELS_SCALAR / _AVX2 / _AVX512 (kernels.h): the best this CPU runs, capped by
 * ptmi_kernels_set_max_level and, once at the first call, by the environment variable
 * PTM_KERNELS=scalar|avx2|avx512 (to compare paths, or to run under tools that lack AVX-512) */
static atomic_int max_level = PTMI_KERNELS_AVX512;

static int cpu_level(void) {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    /* atomic: the first calls may come from several threads at once (benign but a data race
     * with a plain int; found by ThreadSanitizer in tests/test_threads.c) */
    static atomic_int cached = -1;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = PTMI_KERNELS_SCALAR;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            v = PTMI_KERNELS_AVX2;
            /* libgcc also checks that the OS saves the AVX-512 state (XCR0) */
            if (__builtin_cpu_supports("avx512f")) v = PTMI_KERNELS_AVX512;
        }
        const char *env = getenv("PTM_KERNELS");
        if (env && strcmp(env, "scalar") == 0) v = PTMI_KERNELS_SCALAR;
        if (env && strcmp(env, "avx2") == 0 && v > PTMI_KERNELS_AVX2) v = PTMI_KERNELS_AVX2;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
#elif defined(__aarch64__)
    /* Advanced SIMD is part of every AArch64 CPU; PTM_KERNELS=scalar turns it off */
    static atomic_int cached = -1;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        const char *env = getenv("PTM_KERNELS");
        v = env && strcmp(env, "scalar") == 0 ? PTMI_KERNELS_SCALAR : PTMI_KERNELS_NEON;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
#else
    return PTMI_KERNELS_SCALAR;
#endif
}

ptm_status ptmi_kernels_check_env(ptm_error *err) {
#if defined(__x86_64__) || defined(__i386__)
    static const char *const names[] = {"scalar", "avx2", "avx512"};
    static const char *const list = "scalar, avx2 or avx512";
#elif defined(__aarch64__)
    static const char *const names[] = {"scalar", "neon"};
    static const char *const list = "scalar or neon";
#else
    static const char *const names[] = {"scalar"};
    static const char *const list = "scalar";
#endif
    const char *env = getenv("PTM_KERNELS");
    if (!env || !*env) return PTM_OK;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(env, names[i]) == 0) return PTM_OK;
    return ptmi_err(err, PTM_ERR_ARG, NULL, "PTM_KERNELS",
                    "the environment sets '%.64s', expected %s (or unset)", env, list);
}

int ptmi_kernels_level(void) {
    int cpu = cpu_level(), cap = atomic_load_explicit(&max_level, memory_order_relaxed);
    return cpu < cap ? cpu : cap;
}

int ptmi_kernels_set_max_level(int level) {
    return atomic_exchange_explicit(&max_level, level, memory_order_relaxed);
}

int ptmi_kernels_force_scalar(int on) {
    int prev = ptmi_kernels_set_max_level(on ? PTMI_KERNELS_SCALAR : PTMI_KERNELS_AVX512);
    return prev == PTMI_KERNELS_SCALAR;
}

const char *ptmi_kernels_name(void) {
    return ptmi_kernels()->name;
}

/* every field of every table is set: a level without a kernel of its own for a field runs the
 * scalar oracle there */
static const ptmi_kernel_table scalar_table = {
    .name = "scalar",
    .gemm_acc = ptmi_gemm_acc_ref,
    .linear = ptmi_linear_ref,
    .linear_fused = 0,
    .gemm_series = ptmi_gemm_series_ref,
    .series_width = 0,
    .gelu = ptmi_gelu_ref,
    .gelu_backward_set = ptmi_gelu_backward_set_ref,
    .gelu_mask = ptmi_gelu_mask_ref,
    .dropout_mul = ptmi_dropout_mul_ref,
    .transpose = ptmi_transpose_ref,
    .col_sums = ptmi_col_sums_ref,
    .softmax_gate = ptmi_softmax_gate_ref,
    .softmax_cols_gate = ptmi_softmax_cols_gate_ref,
    .gate_backward = ptmi_gate_backward_ref,
    .layernorm = ptmi_layernorm_ref,
    .layernorm_backward = ptmi_layernorm_backward_ref,
    .layernorm_param_grads = ptmi_layernorm_param_grads_ref,
    .dropout_mask = ptmi_dropout_mask_ref,
    .adamw = ptmi_adamw_ref,
    .std_stats = ptmi_std_stats_ref,
};

#if defined(__x86_64__) || defined(__i386__)
static const ptmi_kernel_table avx2_table = {
    .name = "avx2+fma",
    .gemm_acc = ptmi_gemm_acc_avx2,
    .linear = ptmi_linear_avx2,
    .linear_fused = 1,
    .pack_floats = PTMI_PACK_FLOATS,
    .gemm_series = ptmi_gemm_series_avx2,
    .series_width = 8,
    .gelu = ptmi_gelu_avx2,
    .gelu_backward_set = ptmi_gelu_backward_set_avx2,
    .gelu_mask = ptmi_gelu_mask_avx2,
    .dropout_mul = ptmi_dropout_mul_avx2,
    .transpose = ptmi_transpose_avx2,
    .col_sums = ptmi_col_sums_avx2,
    .softmax_gate = ptmi_softmax_gate_avx2,
    .softmax_cols_gate = ptmi_softmax_cols_gate_avx2,
    .gate_backward = ptmi_gate_backward_avx2,
    .layernorm = ptmi_layernorm_avx2,
    .layernorm_backward = ptmi_layernorm_backward_avx2,
    .layernorm_param_grads = ptmi_layernorm_param_grads_avx2,
    .dropout_mask = ptmi_dropout_mask_avx2,
    .adamw = ptmi_adamw_avx2,
    .std_stats = ptmi_std_stats_avx2,
};

static const ptmi_kernel_table avx512_table = {
    .name = "avx512f",
    .gemm_acc = ptmi_gemm_acc_avx512,
    .linear = ptmi_linear_avx512,
    .linear_fused = 1,
    .pack_floats = PTMI_PACK_FLOATS,
    .gemm_series = ptmi_gemm_series_avx512,
    .series_width = 16,
    .linear_packed = ptmi_linear_packed_avx512,
    .series_gate = ptmi_series_gate_avx512,
    .series_gate_rows = 16,
    .norm_cols16 = ptmi_norm_cols16_avx512,
    .gate_cols16 = ptmi_gate_cols16_avx512,
    .gelu = ptmi_gelu_avx512,
    .gelu_backward_set = ptmi_gelu_backward_set_avx512,
    .gelu_mask = ptmi_gelu_mask_avx512,
    .dropout_mul = ptmi_dropout_mul_avx512,
    .transpose = ptmi_transpose_avx512,
    .col_sums = ptmi_col_sums_avx512,
    .softmax_gate = ptmi_softmax_gate_avx512,
    .softmax_cols_gate = ptmi_softmax_cols_gate_avx512,
    .linear_gate = ptmi_linear_gate_avx512,
    .gate_width = 16,
    .gate_backward = ptmi_gate_backward_avx512,
    .layernorm = ptmi_layernorm_avx512,
    .layernorm_backward = ptmi_layernorm_backward_avx512,
    .layernorm_param_grads = ptmi_layernorm_param_grads_avx512,
    .dropout_mask = ptmi_dropout_mask_avx2, /* 8 lanes: as fast as 16 here */
    .adamw = ptmi_adamw_avx2,
    .std_stats = ptmi_std_stats_avx512,
};
static const ptmi_kernel_table *const tables[3] = {&scalar_table, &avx2_table, &avx512_table};
#elif defined(__aarch64__)
/* the NEON GEMM; the rest scalar */
static const ptmi_kernel_table neon_table = {
    .name = "neon",
    .gemm_acc = ptmi_gemm_acc_neon,
    .linear = ptmi_linear_ref,
    .linear_fused = 0,
    .gemm_series = ptmi_gemm_series_ref,
    .series_width = 0,
    .gelu = ptmi_gelu_ref,
    .gelu_backward_set = ptmi_gelu_backward_set_ref,
    .gelu_mask = ptmi_gelu_mask_ref,
    .dropout_mul = ptmi_dropout_mul_ref,
    .transpose = ptmi_transpose_ref,
    .col_sums = ptmi_col_sums_ref,
    .softmax_gate = ptmi_softmax_gate_ref,
    .softmax_cols_gate = ptmi_softmax_cols_gate_ref,
    .gate_backward = ptmi_gate_backward_ref,
    .layernorm = ptmi_layernorm_ref,
    .layernorm_backward = ptmi_layernorm_backward_ref,
    .layernorm_param_grads = ptmi_layernorm_param_grads_ref,
    .dropout_mask = ptmi_dropout_mask_ref,
    .adamw = ptmi_adamw_ref,
    .std_stats = ptmi_std_stats_ref,
};
static const ptmi_kernel_table *const tables[3] = {&scalar_table, &neon_table, &neon_table};
#else
static const ptmi_kernel_table *const tables[3] = {&scalar_table, &scalar_table, &scalar_table};
#endif

const ptmi_kernel_table *ptmi_kernels(void) {
    int level = ptmi_kernels_level();
    return tables[level < 0 ? 0 : level > 2 ? 2 : level];
}

const ptmi_kernel_table *ptmi_kernels_at(int level) {
    if (level < 0 || level > 2 || level > cpu_level()) return NULL;
    return tables[level];
}
