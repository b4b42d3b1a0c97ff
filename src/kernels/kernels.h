/* kernels.h - the compute kernels under the layers: one table of function pointers per
 * instruction-set level, picked once from the CPU's features (as ggml does).
 *
 * Files: dispatch.c (the levels and their tables), gemm.c (entry points that split a GEMM over
 * the current thread pool), the scalar oracles gemm_ref.c, vec_ref.c, norm_ref.c, adamw_ref.c
 * (what every other level is tested against, and what a level without a kernel of its own
 * runs), gemm_avx512.c / gemm_avx2.c / gemm_neon.c (GEMMs per instruction set; gemm_pack.h:
 * what the packed paths of the first two share),
 * vec_avx512.c / vec_avx2.c (the element-wise, softmax, LayerNorm, dropout, AdamW and scaler
 * kernels), simd512.h / simd256.h (vector exp, erf, GELU), threads.c (the pool).
 * tests/test_kernels.c runs every field of every table this CPU has against the scalar table.
 *
 * GEMM: C[m, n] += sum_k A(m, k) * B[k, n] for m < M, n < N, k < K, where
 *   A(m, k) = A[m * sam + k * sak] (any strides: plain, or transposed),
 *   B is row-major with leading dimension ldb, C row-major with leading dimension ldc.
 * Every linear layer, forward and backward, is one or two calls:
 *   forward  y  = x Wt (+ bias preset in y)   M=rows N=out K=in  A=x    B=W^T
 *   backward dx += dy W                         M=rows N=in  K=out A=dy   B=W
 *            dW += dy^T x                       M=out  N=in  K=rows A=dy^T B=x
 * Results of the SIMD levels differ from the oracles only by rounding, except where a field
 * says bit-identical.
 */
#ifndef PTMI_KERNELS_H
#define PTMI_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#include "patchtsmixer.h"

/* ---- levels (dispatch.c) */

/* kernel levels, each implying the ones below; on AArch64 the only SIMD level is NEON, which
 * ranks with AVX2 */
enum {
    PTMI_KERNELS_SCALAR = 0,
    PTMI_KERNELS_AVX2 = 1,
    PTMI_KERNELS_AVX512 = 2,
    PTMI_KERNELS_NEON = 1
};
/* the level in use: what the CPU has, capped by PTM_KERNELS in the environment (read once) and
 * by ptmi_kernels_set_max_level */
int ptmi_kernels_level(void);
/* PTM_KERNELS as the user set it: PTM_OK when unset, empty or a level this CPU architecture
 * knows (scalar, avx2, avx512 on x86; scalar, neon on AArch64); otherwise PTM_ERR_ARG naming
 * the variable, its value and the accepted ones (field "PTM_KERNELS"). ptm_ctx_create and
 * ptm_ctx_create_train call it, so a typo fails the first context instead of being ignored. */
ptm_status ptmi_kernels_check_env(ptm_error *err);
/* cap the level (tests compare every path); returns the previous cap */
int ptmi_kernels_set_max_level(int level);
/* force the scalar kernels (tests compare both paths); returns the previous setting */
int ptmi_kernels_force_scalar(int on);
/* "avx512f", "avx2+fma", "neon" or "scalar" */
const char *ptmi_kernels_name(void);

/* An inverted-dropout mask that is never stored: element i (counted from the start of the
 * whole mask) is 0 when lowbias32(lowbias32(i ^ hi) + lo) < thr, else keep = 1 / (1 - p) -
 * the values the dropout_mask field writes, computed by the kernels that apply them. */
typedef struct {
    uint32_t lo, hi, thr;
    float keep;
} ptmi_drop_key;

/* ---- the table: every SIMD entry point of the engine. Every field of every table may be
 * called with any shape its comment allows; a level without a kernel of its own for a field
 * points it at the scalar oracle (or its kernel falls back to one for shapes it lacks).
 * Fields run on the calling thread; the layers split rows over the pool around them. */
/* the widest gate the fused linear gate takes (its block of logits: 16 rows on the stack, 32 KiB)
 */
#define PTMI_GATE_MAX_D 512

/* Packed weights: the large linear layers of a loaded model (PTMI_STORE_LOADED, model.h) keep
 * their [K, N] weight (K = in, N = out, the transposed layout) in the order the tiles read it -
 * k blocks of PTMI_PACKED_KC rows, each N / 32 slivers of [kb, 32] row-major (kb: the block's
 * depth) - so that a product streams it front to back instead of gathering strided rows into a
 * packing scratch on every call. Layers of at least 1 MiB whose N is a multiple of 32. */
#define PTMI_PACKED_KC 256
#define PTMI_PACKED_NR 32
static inline int ptmi_packed_weight(size_t K, size_t N) {
    return N % PTMI_PACKED_NR == 0 && K >= 16 && (double)K * (double)N >= 262144.0;
}
/* where element (k, n) of the [K, N] matrix lies in its packed form */
static inline size_t ptmi_packed_index(size_t k, size_t n, size_t K, size_t N) {
    size_t k0 = k / PTMI_PACKED_KC * PTMI_PACKED_KC;
    size_t kb = K - k0 < PTMI_PACKED_KC ? K - k0 : PTMI_PACKED_KC;
    return k0 * N + n / PTMI_PACKED_NR * PTMI_PACKED_NR * kb + (k - k0) * PTMI_PACKED_NR +
           n % PTMI_PACKED_NR;
}

typedef struct ptmi_kernel_table {
    const char *name; /* as ptmi_kernels_name */
    /* C += A B (see above) */
    void (*gemm_acc)(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                     const float *B, size_t ldb, float *C, size_t ldc);
    /* the linear layer C = act(bias + A B), A row-major [M, K] (leading dimension lda), B [K, N],
     * bias [N] or NULL (zero), act = GELU when gelu; linear_fused: 1 when this is one fused
     * pass (ptmi_linear_fused splits it over the pool by rows), 0 when it is bias + gemm_acc +
     * gelu (ptmi_linear_fused then runs those three steps, each split over the pool) */
    void (*linear)(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                   size_t ldb, const float *bias, float *C, size_t ldc, int gelu);
    int linear_fused;
    /* the packing scratch gemm_acc and linear use per thread for products beyond L2 (floats;
     * 0: none): contexts reserve this much per thread and publish it (ptmi_scratch in
     * threads.h); without it, or with less, the kernels read the operands in place - the same
     * results either way */
    size_t pack_floats;
    /* the linear layer on a packed weight (above): columns [n0, n1) (multiples of 32) of
     * C [M, N] = act(bias + A Bp), Bp the packed [K, N]; the same sums as `linear` on the
     * unpacked weight. NULL: ptmi_linear_packed runs the level's gemm_acc on each block. */
    void (*linear_packed)(size_t M, size_t n0, size_t n1, size_t N, size_t K, const float *A,
                          size_t lda, const float *Bp, const float *bias, float *C, size_t ldc,
                          int gelu);
    /* products sharing their left operand over S series (the patch mixer without transposes):
     * for s < S, C_s [M, D] = act(rowbias[m] + A [M, K] B_s [K, D]), B_s = B + s bss,
     * C_s = C + s css, row strides ldb / ldc; any D. series_width: the multiple of D for which
     * a dedicated kernel runs (16 with AVX-512, 8 with AVX2), 0 when there is none (then this is
     * bias + gemm_acc + gelu per series, and the layers choose another layout) */
    void (*gemm_series)(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                        size_t bss, size_t ldb, const float *rowbias, float *C, size_t css,
                        size_t ldc, size_t S, int gelu);
    size_t series_width;
    /* the patch gate of inference in one pass, for R <= series_gate_rows patches (0: none) and D
     * a multiple of series_width: for s < S, out_s [R, D] = Y_s * softmax_cols(rowbias + A Y_s)
     * (+ res_s when res is not NULL), A [R, R], Y_s = Y + s ss, res_s and out_s likewise, rows D
     * apart; out may alias res. The same bits as gemm_series followed by softmax_cols_gate. */
    void (*series_gate)(size_t R, size_t D, const float *A, const float *rowbias, const float *Y,
                        const float *res, float *out, size_t ss, size_t S);
    size_t series_gate_rows;
    /* the feature mixer of inference in column form at width 16 (NULL: none; d_model 16, rows a
     * multiple of 16): norm_cols16 writes the LayerNorm of rows [rows, 16] transposed, xt [16,
     * ldt] (feature f of row r at xt[f ldt + r]); the MLP then runs as gemm_series products with
     * the weights on the left; gate_cols16 takes its output yt [16, ldt] back to rows:
     * out = res + yt^T * softmax(bias + A yt)^T per row (A [16, 16] as [out, in]; NULL: no gate,
     * out = res + yt^T); out may alias res. Sums in orders of their own (within float rounding
     * of the row kernels); a row's result does not depend on the other rows. */
    void (*norm_cols16)(float *xt, size_t ldt, const float *x, size_t rows, const float *weight,
                        const float *bias, float eps);
    void (*gate_cols16)(float *out, const float *res, size_t rows, const float *A,
                        const float *bias, const float *yt, size_t ldt);
    /* GELU (the oracle: the erf form, to 4.2e-7 of erff; AVX-512: a table, simd512.h); out may
     * alias inp */
    void (*gelu)(float *out, const float *inp, size_t n);
    /* dinp = dout * mask * GELU'(inp), written; the mask is element i0 + i of key's (NULL:
     * none) */
    void (*gelu_backward_set)(float *dinp, const float *inp, const float *dout,
                              const ptmi_drop_key *key, size_t i0, size_t n);
    /* out = GELU(inp) * mask (element i0 + i of key's): the training MLP's activation and
     * dropout in one pass, the same bits as this level's gelu followed by the product with the
     * stored mask (out may alias inp) */
    void (*gelu_mask)(float *out, const float *inp, const ptmi_drop_key *key, size_t i0, size_t n);
    /* out = inp * mask (element i0 + i of key's; out may alias inp) - bit-identical at every
     * level */
    void (*dropout_mul)(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                        size_t n);
    /* acc[j] += x[r n + j] for r = 0, 1, ..., rows - 1 in that order, j < n (the bias gradient
     * of a linear layer) - bit-identical at every level */
    void (*col_sums)(float *acc, const float *x, size_t rows, size_t n);
    /* out [y, x] = the transpose of inp [x, y] (+ add [y, x]; NULL: + 0, as the scalar loop) -
     * bit-identical at every level */
    void (*transpose)(float *out, const float *inp, const float *add, int x, int y);
    /* gated attention along rows of width w: probs = softmax(probs) per row in place,
     * out = inp * probs (+ res when not NULL) */
    void (*softmax_gate)(float *out, float *probs, const float *inp, size_t rows, int w,
                         const float *res);
    /* the gated attention of inference in one pass, for D a multiple of gate_width (0: none) up
     * to PTMI_GATE_MAX_D:
     * out [M, D] = A * softmax_rows(bias + A W) (+ res when not NULL), A and res rows lda and
     * ldr apart, W [D, D] rows ldw apart, out rows ldo apart (out may alias res); the
     * probabilities are not kept. The same bits as the linear layer followed by softmax_gate. */
    void (*linear_gate)(size_t M, size_t D, const float *A, size_t lda, const float *W, size_t ldw,
                        const float *bias, const float *res, size_t ldr, float *out, size_t ldo);
    size_t gate_width;
    /* the same down the columns of an [r, w] block (row stride w) */
    void (*softmax_cols_gate)(float *out, float *probs, const float *inp, int r, size_t w,
                              const float *res);
    /* gated attention backward on rows of width w, p the saved softmax:
     * dot = sum dy x p, dz = p (dy x - dot) written, dx += dy p */
    void (*gate_backward)(float *dx, float *dz, const float *dy, const float *x, const float *p,
                          size_t rows, int w);
    /* LayerNorm over rows of width d; mean and rstd (per row) may be NULL. A row's result does
     * not depend on the other rows of the call (the layers split rows over threads). */
    void (*layernorm)(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                      const float *bias, size_t rows, int d, float eps);
    /* LayerNorm backward, d(input) of each row, accumulated:
     * dinp += (dn - mean(dn) - xhat mean(dn xhat)) rstd, dn = weight * dout */
    void (*layernorm_backward)(float *dinp, const float *dout, const float *inp,
                               const float *weight, const float *mean, const float *rstd,
                               size_t rows, int d);
    /* and its parameter gradients, summed over the rows in order (either may be NULL):
     * dweight += sum_r xhat dout, dbias += sum_r dout - bit-identical at every level */
    void (*layernorm_param_grads)(float *dweight, float *dbias, const float *dout, const float *inp,
                                  const float *mean, const float *rstd, size_t rows, int d);
    /* the inverted-dropout mask over elements [i0, i1): mask[i] = 0 when
     * lowbias32(lowbias32(i ^ hi) + lo) < thr, else keep - bit-identical at every level */
    void (*dropout_mask)(float *mask, size_t i0, size_t i1, uint32_t lo, uint32_t hi, uint32_t thr,
                         float keep);
    /* one AdamW step over n parameters with the coefficients of src/train/adamw.c (decay_mask
     * NULL: decay all) - bit-identical at every level */
    void (*adamw)(float *param, const float *grad, float *m, float *v, size_t n,
                  const unsigned char *decay_mask, float decay, float b1f, float one_b1, float b2f,
                  float one_b2, float neg_step, float bc2_sqrt, float epsf);
    /* std-scaler statistics of nc <= 8 adjacent channels of one sample: x[t c + j], t < l,
     * j < nc (observed likewise, NULL = all observed): loc = observed mean, scale =
     * sqrt(observed variance + 1e-5), in double - bit-identical at every level */
    void (*std_stats)(float *loc, float *scale, const float *x, const float *observed, int l, int c,
                      int nc);
} ptmi_kernel_table;

/* the table of the level in use (ptmi_kernels_level) */
const ptmi_kernel_table *ptmi_kernels(void);
/* the table of one level, or NULL when this CPU does not run it (tests) */
const ptmi_kernel_table *ptmi_kernels_at(int level);

/* ---- entry points that split large products over the current pool (gemm.c) */

/* C += A B with the level's gemm_acc, by rows or columns (results independent of threads) */
void ptmi_gemm_acc(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                   const float *B, size_t ldb, float *C, size_t ldc);
/* the level's linear (see the field), split by rows, or bias + ptmi_gemm_acc + GELU */
void ptmi_linear_fused(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                       size_t ldb, const float *bias, float *C, size_t ldc, int gelu);
/* the linear layer on a packed weight (Bp: ptmi_packed_weight(K, N)), split over the pool by
 * columns: the level's linear_packed, else bias rows + the level's gemm_acc on each [kb, 32]
 * sliver + GELU (the same sums) */
void ptmi_linear_packed(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *Bp,
                        const float *bias, float *C, size_t ldc, int gelu);
/* the level's gemm_series when D is a multiple of its series_width, else per series bias rows +
 * ptmi_gemm_acc + GELU (the same sums) */
void ptmi_gemm_series(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                      size_t bss, size_t ldb, const float *rowbias, float *C, size_t css,
                      size_t ldc, size_t S, int gelu);

/* ---- the scalar oracles (the scalar table's fields) */

/* gemm_ref.c */
void ptmi_gemm_acc_ref(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       const float *B, size_t ldb, float *C, size_t ldc);
void ptmi_linear_ref(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                     size_t ldb, const float *bias, float *C, size_t ldc, int gelu);
void ptmi_gemm_series_ref(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                          size_t bss, size_t ldb, const float *rowbias, float *C, size_t css,
                          size_t ldc, size_t S, int gelu);
/* the linear layer and the series products as bias rows + gemm + gelu, from a given GEMM and
 * GELU (the oracles use the scalar ones; levels and entry points their own) */
typedef void (*ptmi_gemm_fn)(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                             const float *B, size_t ldb, float *C, size_t ldc);
typedef void (*ptmi_gelu_fn)(float *out, const float *inp, size_t n);
void ptmi_linear_by_gemm(ptmi_gemm_fn gemm, ptmi_gelu_fn gelu_fn, size_t M, size_t N, size_t K,
                         const float *A, size_t lda, const float *B, size_t ldb, const float *bias,
                         float *C, size_t ldc, int gelu);
void ptmi_gemm_series_by_gemm(ptmi_gemm_fn gemm, ptmi_gelu_fn gelu_fn, size_t M, size_t D, size_t K,
                              const float *A, size_t lda, const float *B, size_t bss, size_t ldb,
                              const float *rowbias, float *C, size_t css, size_t ldc, size_t S,
                              int gelu);

/* vec_ref.c */
float ptmi_gelu_fast(float x); /* the vectorisable erf form of GELU, one element */
void ptmi_gelu_ref(float *out, const float *inp, size_t n);
void ptmi_gelu_backward_set_ref(float *dinp, const float *inp, const float *dout,
                                const ptmi_drop_key *key, size_t i0, size_t n);
void ptmi_gelu_mask_ref(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                        size_t n);
void ptmi_dropout_mul_ref(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                          size_t n);
void ptmi_transpose_ref(float *out, const float *inp, const float *add, int x, int y);
void ptmi_col_sums_ref(float *acc, const float *x, size_t rows, size_t n);
void ptmi_softmax_gate_ref(float *out, float *probs, const float *inp, size_t rows, int w,
                           const float *res);
void ptmi_softmax_cols_gate_ref(float *out, float *probs, const float *inp, int r, size_t w,
                                const float *res);
void ptmi_gate_backward_ref(float *dx, float *dz, const float *dy, const float *x, const float *p,
                            size_t rows, int w);
void ptmi_dropout_mask_ref(float *mask, size_t i0, size_t i1, uint32_t lo, uint32_t hi,
                           uint32_t thr, float keep);

/* norm_ref.c */
void ptmi_layernorm_ref(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                        const float *bias, size_t rows, int d, float eps);
void ptmi_layernorm_backward_ref(float *dinp, const float *dout, const float *inp,
                                 const float *weight, const float *mean, const float *rstd,
                                 size_t rows, int d);
void ptmi_layernorm_param_grads_ref(float *dweight, float *dbias, const float *dout,
                                    const float *inp, const float *mean, const float *rstd,
                                    size_t rows, int d);
void ptmi_std_stats_ref(float *loc, float *scale, const float *x, const float *observed, int l,
                        int c, int nc);

/* adamw_ref.c */
void ptmi_adamw_ref(float *param, const float *grad, float *m, float *v, size_t n,
                    const unsigned char *decay_mask, float decay, float b1f, float one_b1,
                    float b2f, float one_b2, float neg_step, float bc2_sqrt, float epsf);

/* ---- per instruction set (the other tables' fields; see the table for what each does) */

#if defined(__aarch64__)
/* gemm_neon.c */
void ptmi_gemm_acc_neon(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc);
#endif

#if defined(__x86_64__) || defined(__i386__)
/* the packing scratch of the AVX2 and AVX-512 GEMMs, per thread: a block of up to 128 rows of
 * A and a panel of B, each 256 deep, B's 128 wide, and 64 bytes to align them */
#define PTMI_PACK_FLOATS ((size_t)65536 + 16)
/* gemm_avx2.c / gemm_avx512.c (series: D a multiple of 8 / 16 in the kernel, others by GEMM) */
void ptmi_gemm_acc_avx2(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc);
void ptmi_linear_avx2(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                      size_t ldb, const float *bias, float *C, size_t ldc, int gelu);
void ptmi_gemm_series_avx2(size_t M, size_t D, size_t K, const float *A, size_t lda, const float *B,
                           size_t bss, size_t ldb, const float *rowbias, float *C, size_t css,
                           size_t ldc, size_t S, int gelu);
void ptmi_gemm_acc_avx512(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                          const float *B, size_t ldb, float *C, size_t ldc);
void ptmi_linear_avx512(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                        size_t ldb, const float *bias, float *C, size_t ldc, int gelu);
void ptmi_linear_packed_avx512(size_t M, size_t n0, size_t n1, size_t N, size_t K, const float *A,
                               size_t lda, const float *Bp, const float *bias, float *C, size_t ldc,
                               int gelu);
void ptmi_norm_cols16_avx512(float *xt, size_t ldt, const float *x, size_t rows,
                             const float *weight, const float *bias, float eps);
void ptmi_gate_cols16_avx512(float *out, const float *res, size_t rows, const float *A,
                             const float *bias, const float *yt, size_t ldt);
void ptmi_series_gate_avx512(size_t R, size_t D, const float *A, const float *rowbias,
                             const float *Y, const float *res, float *out, size_t ss, size_t S);
void ptmi_gemm_series_avx512(size_t M, size_t D, size_t K, const float *A, size_t lda,
                             const float *B, size_t bss, size_t ldb, const float *rowbias, float *C,
                             size_t css, size_t ldc, size_t S, int gelu);

/* vec_avx2.c (AVX2 + FMA) */
void ptmi_gelu_avx2(float *out, const float *inp, size_t n);
void ptmi_gelu_backward_set_avx2(float *dinp, const float *inp, const float *dout,
                                 const ptmi_drop_key *key, size_t i0, size_t n);
void ptmi_gelu_mask_avx2(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                         size_t n);
void ptmi_dropout_mul_avx2(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                           size_t n);
/* 8 x 8 blocks, the edges scalar */
void ptmi_transpose_avx2(float *out, const float *inp, const float *add, int x, int y);
void ptmi_col_sums_avx2(float *acc, const float *x, size_t rows, size_t n);
/* rows of width a multiple of 8 in the kernel, others scalar */
void ptmi_softmax_gate_avx2(float *out, float *probs, const float *inp, size_t rows, int w,
                            const float *res);
void ptmi_softmax_cols_gate_avx2(float *out, float *probs, const float *inp, int r, size_t w,
                                 const float *res);
/* d a multiple of 8 and at most 256 in the kernel (backward: 64), others by
 * ptmi_layernorm_rows_avx2 (backward: scalar) */
void ptmi_layernorm_avx2(float *out, float *mean, float *rstd, const float *inp,
                         const float *weight, const float *bias, size_t rows, int d, float eps);
/* the other widths, bit-identical to ptmi_layernorm_ref (rows in double lanes) */
void ptmi_layernorm_rows_avx2(float *out, float *mean, float *rstd, const float *inp,
                              const float *weight, const float *bias, size_t rows, int d,
                              float eps);
/* the same widths; backward bit-identical for the parameter gradients */
void ptmi_layernorm_backward_avx2(float *dinp, const float *dout, const float *inp,
                                  const float *weight, const float *mean, const float *rstd,
                                  size_t rows, int d);
void ptmi_layernorm_param_grads_avx2(float *dweight, float *dbias, const float *dout,
                                     const float *inp, const float *mean, const float *rstd,
                                     size_t rows, int d);
void ptmi_gate_backward_avx2(float *dx, float *dz, const float *dy, const float *x, const float *p,
                             size_t rows, int w);
void ptmi_std_stats_avx2(float *loc, float *scale, const float *x, const float *observed, int l,
                         int c, int nc);
void ptmi_dropout_mask_avx2(float *mask, size_t i0, size_t i1, uint32_t lo, uint32_t hi,
                            uint32_t thr, float keep);
void ptmi_adamw_avx2(float *param, const float *grad, float *m, float *v, size_t n,
                     const unsigned char *decay_mask, float decay, float b1f, float one_b1,
                     float b2f, float one_b2, float neg_step, float bc2_sqrt, float epsf);

/* vec_avx512.c (AVX-512F) */
void ptmi_gelu_avx512(float *out, const float *inp, size_t n);
void ptmi_gelu_backward_set_avx512(float *dinp, const float *inp, const float *dout,
                                   const ptmi_drop_key *key, size_t i0, size_t n);
void ptmi_gelu_mask_avx512(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                           size_t n);
void ptmi_dropout_mul_avx512(float *out, const float *inp, const ptmi_drop_key *key, size_t i0,
                             size_t n);
/* 16 x 16 blocks, the edges masked */
void ptmi_transpose_avx512(float *out, const float *inp, const float *add, int x, int y);
void ptmi_col_sums_avx512(float *acc, const float *x, size_t rows, size_t n);
void ptmi_linear_gate_avx512(size_t M, size_t D, const float *A, size_t lda, const float *W,
                             size_t ldw, const float *bias, const float *res, size_t ldr,
                             float *out, size_t ldo);
void ptmi_gate_band_avx512(float *out, size_t ldo, float *z, size_t ldz, const float *x, size_t ldx,
                           const float *res, size_t ldr, int nr, int w);
void ptmi_softmax_gate_avx512(float *out, float *probs, const float *inp, size_t rows, int w,
                              const float *res);
void ptmi_softmax_cols_gate_avx512(float *out, float *probs, const float *inp, int r, size_t w,
                                   const float *res);
/* d a multiple of 16 in the kernel, at most 256 forward and 64 backward; forward: other
 * multiples of 8 (to 256) by ptmi_layernorm_avx2, the rest by ptmi_layernorm_rows_avx2;
 * backward: the rest scalar */
void ptmi_layernorm_avx512(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, size_t rows, int d, float eps);
void ptmi_layernorm_backward_avx512(float *dinp, const float *dout, const float *inp,
                                    const float *weight, const float *mean, const float *rstd,
                                    size_t rows, int d);
void ptmi_layernorm_param_grads_avx512(float *dweight, float *dbias, const float *dout,
                                       const float *inp, const float *mean, const float *rstd,
                                       size_t rows, int d);
void ptmi_gate_backward_avx512(float *dx, float *dz, const float *dy, const float *x,
                               const float *p, size_t rows, int w);
void ptmi_std_stats_avx512(float *loc, float *scale, const float *x, const float *observed, int l,
                           int c, int nc);
#endif
#endif
