/* kernels.h - the compute kernels under the layers, with runtime CPU dispatch.
 *
 * Files: gemm_ref.c (the scalar GEMM, the oracle of every other), gemm_avx512.c, gemm_avx2.c,
 * gemm_neon.c (GEMMs per instruction set), vec_avx512.c, vec_avx2.c (element-wise kernels;
 * their scalar oracles live with the layers in src/layers/), simd512.h / simd256.h (shared
 * vector exp, erf, GELU), dispatch.c (which kernel runs), threads.c (the pool).
 * tests/test_kernels.c checks every SIMD kernel against its oracle on every level this CPU has.
 *
 * ptm_gemm_acc: C[m, n] += sum_k A(m, k) * B[k, n] for m < M, n < N, k < K, where
 *   A(m, k) = A[m * sam + k * sak] (any strides: plain, or transposed),
 *   B is row-major with leading dimension ldb, C row-major with leading dimension ldc.
 * Every linear layer, forward and backward, is one or two calls:
 *   forward  y  = x Wt (+ bias preset in y)   M=rows N=out K=in  A=x    B=W^T
 *   backward dx += dy W                         M=rows N=in  K=out A=dy   B=W
 *            dW += dy^T x                       M=out  N=in  K=rows A=dy^T B=x
 * Results differ from the oracle only by rounding.
 */
#ifndef PTM_KERNELS_H
#define PTM_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* ---- dispatch (dispatch.c) */

/* kernel levels, each implying the ones below; on AArch64 the only SIMD level is NEON, which
 * ranks with AVX2 (every x86 kernel call is also guarded by an x86 #if) */
enum { PTM_KERNELS_SCALAR = 0, PTM_KERNELS_AVX2 = 1, PTM_KERNELS_AVX512 = 2, PTM_KERNELS_NEON = 1 };
/* the level in use: what the CPU has, capped by PTM_KERNELS in the environment (read once) and
 * by ptm_kernels_set_max_level */
int ptm_kernels_level(void);
/* cap the level (tests compare every path); returns the previous cap */
int ptm_kernels_set_max_level(int level);
/* force the scalar kernels (tests compare both paths); returns the previous setting */
int ptm_kernels_force_scalar(int on);
/* "avx512f", "avx2+fma", "neon" or "scalar" */
const char *ptm_kernels_name(void);
/* ptm_kernels_level() >= PTM_KERNELS_AVX2 (the x86 element-wise kernels may be called) */
int ptm_kernels_simd(void);

/* ---- GEMM entry points: dispatched by level, split over the current pool when large */

void ptm_gemm_acc(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                  const float *B, size_t ldb, float *C, size_t ldc);
void ptm_gemm_acc_ref(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                      const float *B, size_t ldb, float *C, size_t ldc);

/* The fused linear layer C = act(bias + A B) (A row-major [M, K], B [K, N], bias [N] or NULL,
 * act = GELU when gelu, else none), in one pass over C: only when ptm_kernels_level() is
 * PTM_KERNELS_AVX2 or above on x86 (linear_fwd in src/layers/linear.c falls back to bias
 * fill + ptm_gemm_acc + GELU otherwise, with the same sums). Split over the pool by rows. */
void ptm_linear_fused(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                      size_t ldb, const float *bias, float *C, size_t ldc, int gelu);

/* Products sharing their left operand over S series (the patch mixer without transposes): for
 * s < S, C_s [M, D] = act(rowbias[m] + A [M, K] B_s [K, D]) with B_s = B + s bss,
 * C_s = C + s css, row strides ldb / ldc. ptm_gemm_series_width() is the multiple D must be
 * of (16 with AVX-512, 8 with AVX2), or 0 when there is no such kernel (scalar, NEON): callers
 * then take another path. ptm_gemm_acc_ref is its oracle in the tests. */
size_t ptm_gemm_series_width(void);
void ptm_gemm_series(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                     size_t bss, size_t ldb, const float *rowbias, float *C, size_t css, size_t ldc,
                     size_t S, int gelu);

/* softmax down the columns of an [r, w] block, the gate, plus res (NULL: none); returns 0 when
 * no SIMD kernel ran (the caller does it in scalar code: gated_attention_cols in gate.c) */
int ptm_softmax_cols_gate(float *out, float *probs, const float *inp, int r, size_t w,
                          const float *res);

/* ---- per instruction set (called by the entry points above and by the layers) */

#if defined(__aarch64__)
void ptm_gemm_acc_neon(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc);
#endif

#if defined(__x86_64__) || defined(__i386__)
/* gemm_avx2.c / gemm_avx512.c: the three GEMM forms above */
void ptm_gemm_acc_avx2(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc);
void ptm_linear_avx2(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                     size_t ldb, const float *bias, float *C, size_t ldc, int gelu);
void ptm_gemm_series_avx2(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                          size_t bss, size_t ldb, const float *rowbias, float *C, size_t css,
                          size_t ldc, size_t S, int gelu);
void ptm_gemm_acc_avx512(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                         const float *B, size_t ldb, float *C, size_t ldc);
void ptm_linear_avx512(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                       size_t ldb, const float *bias, float *C, size_t ldc, int gelu);
void ptm_gemm_series_avx512(size_t M, size_t D, size_t K, const float *A, size_t lda,
                            const float *B, size_t bss, size_t ldb, const float *rowbias, float *C,
                            size_t css, size_t ldc, size_t S, int gelu);

/* vec_avx2.c (AVX2 + FMA) */
void ptm_gelu_avx2(float *out, const float *inp, size_t n);
/* dinp = dout * mask * GELU'(inp) (mask NULL: none), written */
void ptm_gelu_backward_set_avx2(float *dinp, const float *inp, const float *dout, const float *mask,
                                size_t n);
/* rows of width w, w a multiple of 8: probs = softmax(probs) per row, out = inp * probs (+ res) */
void ptm_softmax_gate_avx2(float *out, float *probs, const float *inp, size_t rows, int w,
                           const float *res);
void ptm_softmax_cols_gate_avx2(float *out, float *probs, const float *inp, int r, size_t w,
                                const float *res);
/* LayerNorm rows of width d, d a multiple of 8 and at most 64 */
void ptm_layernorm_avx2(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                        const float *bias, size_t rows, int d, float eps);
/* dropout mask elements [i0, i1) (see dropout_part in src/layers/mixer.c, the oracle) */
void ptm_dropout_mask_avx2(float *mask, size_t i0, size_t i1, uint32_t lo, uint32_t hi,
                           uint32_t thr, float keep);
/* one AdamW step over n parameters, bit-identical to the scalar loop of src/train/adamw.c */
void ptm_adamw_avx2(float *param, const float *grad, float *m, float *v, size_t n,
                    const unsigned char *decay_mask, float decay, float b1f, float one_b1,
                    float b2f, float one_b2, float neg_step, float bc2_sqrt, float epsf);

/* vec_avx512.c (AVX-512F): the same operations on 16 lanes */
void ptm_gelu_avx512(float *out, const float *inp, size_t n);
void ptm_gelu_backward_set_avx512(float *dinp, const float *inp, const float *dout,
                                  const float *mask, size_t n);
/* rows of any width */
void ptm_softmax_gate_avx512(float *out, float *probs, const float *inp, size_t rows, int w,
                             const float *res);
void ptm_softmax_cols_gate_avx512(float *out, float *probs, const float *inp, int r, size_t w,
                                  const float *res);
/* LayerNorm rows of width d, d a multiple of 16 and at most 64, forward and backward */
void ptm_layernorm_avx512(float *out, float *mean, float *rstd, const float *inp,
                          const float *weight, const float *bias, size_t rows, int d, float eps);
void ptm_layernorm_backward_avx512(float *dinp, float *dweight, float *dbias, const float *dout,
                                   const float *inp, const float *weight, const float *mean,
                                   const float *rstd, size_t rows, int d);
/* gated attention backward (gate_bwd_range in src/layers/gate.c is the oracle) */
void ptm_gate_backward_avx512(float *dx, float *dz, const float *dy, const float *x, const float *p,
                              size_t rows, int w);
/* std scaling statistics of nc <= 8 adjacent channels of one sample (time stride c),
 * bit-identical to the scalar loop of src/layers/scaler.c */
void ptm_std_stats_avx512(float *loc, float *scale, const float *x, const float *observed, int l,
                          int c, int nc);
#endif
#endif
