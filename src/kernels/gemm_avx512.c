/* gemm_avx512.c - ptmi_gemm_acc for AVX-512F: register tiles of 8 rows x 32 columns (sixteen
 * 16-float accumulators), each A element broadcast straight from memory into the FMA, B
 * streamed; column edges use masked loads and stores, row edges the same tile with fewer rows.
 * On a CPU with full-width 512-bit FMA units (AMD Zen 5, Intel server cores) this doubles the
 * FLOP rate of the AVX2 kernel. Compiled with -mavx512f -mfma for this file only; dispatch.c
 * calls it when the CPU and the OS support AVX-512F. Summation order over k is the same as in
 * the other kernels (one FMA per k into the accumulator loaded from C).
 * ptmi_linear_avx512 is the fused linear layer: the tile starts from the bias row instead of
 * loading C, and GELU (optional) is applied to the accumulators as they are stored.
 * Products whose B is beyond L2 take the packed path below (B in panels of column slivers, A in
 * row panels, in the context's packing scratch), with the same tiles and the same bits. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>

#include "kernels/gemm_pack.h"
#include "kernels/kernels.h"
#include "kernels/simd512.h"
#include "kernels/threads.h"

/* How a tile starts and ends (a compile-time constant in each instance of tile(), so that the
 * accumulators stay in registers): ACC adds to C (the plain GEMM); BIAS starts from a bias row
 * (NULL: zero) instead of loading C; BIAS_GELU also applies GELU to the accumulators as they
 * are stored (the fused linear layer: the values never go to memory before it); ACC_GELU adds
 * to C, then GELU (the last k block of a blocked fused layer). */
enum { ACC = 0, BIAS = 1, BIAS_GELU = 2, ACC_GELU = 3 };

/* C[0..MR) x [0..16*NV) (+)= A[0..MR) x B; with MASK the last 16-column vector is masked with
 * `mk` (edge tiles only: masked loads and stores in full tiles cost time on this CPU) */
#define LOADV(p, last) (MASK && (last) ? _mm512_maskz_loadu_ps(mk, p) : _mm512_loadu_ps(p))
static inline __attribute__((always_inline)) void tile(const int MR, const int NV, const int MODE,
                                                       const int MASK, size_t K, const float *A,
                                                       size_t sam, size_t sak, const float *B,
                                                       size_t ldb, float *C, size_t ldc,
                                                       __mmask16 mk, const float *bias) {
    __m512 acc[8][2];
    if (MODE == ACC || MODE == ACC_GELU) {
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++) acc[i][v] = LOADV(C + i * ldc + 16 * v, v == NV - 1);
    } else {
        __m512 b0[2];
        for (int v = 0; v < NV; v++)
            b0[v] = !bias ? _mm512_setzero_ps() : LOADV(bias + 16 * v, v == NV - 1);
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++) acc[i][v] = b0[v];
    }
    for (size_t k = 0; k < K; k++) {
        const float *b = B + k * ldb;
        __m512 bv[2];
        for (int v = 0; v < NV; v++) bv[v] = LOADV(b + 16 * v, v == NV - 1);
        const float *a = A + k * sak;
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(a[i * sam]);
            for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    const int G = MODE == BIAS_GELU || MODE == ACC_GELU;
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) {
            __m512 r = G ? gelu512(acc[i][v]) : acc[i][v];
            if (MASK && v == NV - 1)
                _mm512_mask_storeu_ps(C + i * ldc + 16 * v, mk, r);
            else
                _mm512_storeu_ps(C + i * ldc + 16 * v, r);
        }
}
#undef LOADV

/* one row band of MR rows over all N columns */
static inline __attribute__((always_inline)) void
band_mode(const int MR, const int MODE, size_t N, size_t K, const float *A, size_t sam, size_t sak,
          const float *B, size_t ldb, float *C, size_t ldc, const float *bias) {
    size_t n = 0;
    for (; n + 32 <= N; n += 32)
        tile(MR, 2, MODE, 0, K, A, sam, sak, B + n, ldb, C + n, ldc, 0xffff,
             bias ? bias + n : NULL);
    size_t r = N - n;
    if (r == 16)
        tile(MR, 1, MODE, 0, K, A, sam, sak, B + n, ldb, C + n, ldc, 0xffff,
             bias ? bias + n : NULL);
    else if (r > 16)
        tile(MR, 2, MODE, 1, K, A, sam, sak, B + n, ldb, C + n, ldc,
             (__mmask16)((1u << (r - 16)) - 1), bias ? bias + n : NULL);
    else if (r > 0)
        tile(MR, 1, MODE, 1, K, A, sam, sak, B + n, ldb, C + n, ldc, (__mmask16)((1u << r) - 1),
             bias ? bias + n : NULL);
}

typedef struct {
    const float *bias;
    int mode;
} epilogue;

static inline __attribute__((always_inline)) void band(const int MR, size_t N, size_t K,
                                                       const float *A, size_t sam, size_t sak,
                                                       const float *B, size_t ldb, float *C,
                                                       size_t ldc, const epilogue *ep) {
    if (ep->mode == ACC)
        band_mode(MR, ACC, N, K, A, sam, sak, B, ldb, C, ldc, NULL);
    else if (ep->mode == BIAS)
        band_mode(MR, BIAS, N, K, A, sam, sak, B, ldb, C, ldc, ep->bias);
    else if (ep->mode == BIAS_GELU)
        band_mode(MR, BIAS_GELU, N, K, A, sam, sak, B, ldb, C, ldc, ep->bias);
    else
        band_mode(MR, ACC_GELU, N, K, A, sam, sak, B, ldb, C, ldc, NULL);
}

/* M rows in bands of 8, band b's A at A + b sab (sab = 8 sam for A read in place; the packed
 * path stores each band's 8 x K panel contiguously) */
static void gemm_block(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                       size_t sab, const float *B, size_t ldb, float *C, size_t ldc,
                       const epilogue *ep) {
    size_t m = 0;
    for (; m + 8 <= M; m += 8)
        band(8, N, K, A + m / 8 * sab, sam, sak, B, ldb, C + m * ldc, ldc, ep);
    const float *a = A + m / 8 * sab;
    float *c = C + m * ldc;
    switch (M - m) {
    case 7:
        band(7, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 6:
        band(6, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 5:
        band(5, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 4:
        band(4, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 3:
        band(3, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 2:
        band(2, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    case 1:
        band(1, N, K, a, sam, sak, B, ldb, c, ldc, ep);
        break;
    default:
        break;
    }
}

/* Cache blocking as in gemm_avx2.c: a KB x NB panel of B (128 KiB) stays in L2 while every row
 * of A passes over it; splitting k changes no rounding (C is the accumulator). */
#define KB 256
#define NB 128

/* blocked over n and k; with a fused epilogue the first k block starts from the bias and
 * only the last applies GELU, so the sums are those of the plain GEMM on a bias-filled C */
static void gemm_blocked(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                         const float *B, size_t ldb, float *C, size_t ldc, const epilogue *ep) {
    /* one block (also K = 0, where a fused layer still writes bias and GELU) */
    if (K <= KB && N <= NB) {
        gemm_block(M, N, K, A, sam, sak, 8 * sam, B, ldb, C, ldc, ep);
        return;
    }
    for (size_t n0 = 0; n0 < N; n0 += NB) {
        size_t nb = N - n0 < NB ? N - n0 : NB;
        if (K == 0) { /* N > NB: the bias and GELU of each column block */
            epilogue e = {ep->bias ? ep->bias + n0 : NULL, ep->mode};
            gemm_block(M, nb, 0, A, sam, sak, 8 * sam, B + n0, ldb, C + n0, ldc, &e);
            continue;
        }
        for (size_t k0 = 0; k0 < K; k0 += KB) {
            size_t kb = K - k0 < KB ? K - k0 : KB;
            /* the first k block starts from the bias, the last applies GELU */
            int first = k0 == 0, last = k0 + kb >= K, gelu = ep->mode == BIAS_GELU && last;
            int mode = ep->mode == ACC ? ACC
                       : first         ? (gelu ? BIAS_GELU : BIAS)
                                       : (gelu ? ACC_GELU : ACC);
            epilogue e = {ep->bias ? ep->bias + n0 : NULL, mode};
            gemm_block(M, nb, kb, A + k0 * sak, sam, sak, 8 * sam, B + k0 * ldb + n0, ldb, C + n0,
                       ldc, &e);
        }
    }
}

/* ---- the packed path, for products whose B is beyond L2 (the patch mixer of long contexts:
 * 2048 x 4096 weights). Read in place, the rows of such a B are far apart (ldb floats, a power
 * of two there): a strip of it falls in one L1 set, every row in another page, and the narrow
 * runs read from memory at half the bandwidth of runs of 128 floats or more. Here, as in
 * BLIS: each PKC-deep block of k is cut into row blocks of up to PMC rows whose A is copied
 * once into 8-row panels (k-major: the 8 broadcasts of one k in 32 bytes; the block stays in
 * L2), and for each row block every PNC-wide panel of B is copied into 32-column slivers
 * (rows of 32 floats, zeros past N; the panel in L2, the sliver in L1 while every band of the
 * row block passes over it), while the next panel is fetched into L2. The tiles are those of
 * the in-place path (tile() above), so every element gets the same FMAs in the same k order:
 * the results are bit-identical to it. The panels live in the context's packing scratch
 * (ptmi_scratch, PTMI_PACK_FLOATS per thread): without one the product is read in
 * place. */
#define PKC PTMI_PACK_KC
#define PNC PTMI_PACK_NC
#define PMC 128
#define PNR 32

/* kb rows of nc <= PNC columns of B into slivers: column 32 s + j of row k at
 * Bp[s 32 kb + 32 k + j], zeros past nc */
static void pack_b(size_t kb, size_t nc, const float *B, size_t ldb, float *Bp) {
    for (size_t k = 0; k < kb; k++) {
        const float *b = B + k * ldb;
        for (size_t s = 0; s * PNR < nc; s++) {
            size_t w = nc - s * PNR < PNR ? nc - s * PNR : PNR;
            __mmask16 m0 = (__mmask16)(w >= 16 ? 0xffff : (1u << w) - 1);
            __mmask16 m1 = (__mmask16)(w >= 32 ? 0xffff : w > 16 ? (1u << (w - 16)) - 1 : 0);
            float *d = Bp + s * PNR * kb + PNR * k;
            _mm512_store_ps(d, _mm512_maskz_loadu_ps(m0, b + s * PNR));
            _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(m1, b + s * PNR + 16));
        }
    }
}

/* the epilogue of one k block [k0, k0 + kb) of K (see gemm_blocked) */
static epilogue block_epilogue(const epilogue *ep, size_t n0, size_t k0, size_t kb, size_t K) {
    int first = k0 == 0, last = k0 + kb >= K, gelu = ep->mode == BIAS_GELU && last;
    int mode = ep->mode == ACC ? ACC : first ? (gelu ? BIAS_GELU : BIAS) : (gelu ? ACC_GELU : ACC);
    epilogue e = {ep->bias ? ep->bias + n0 : NULL, mode};
    return e;
}

/* one row block (mb rows, A packed) times one packed panel of B (nc columns), each band
 * fetching its share of the next panel (f) */
static void panel_product(size_t mb, size_t nc, size_t kb, const float *Ap, const float *Bp,
                          float *C, size_t ldc, const epilogue *e0, const ptmi_panel_fetch *f) {
    size_t bands = (mb + 7) / 8, calls = bands * ((nc + PNR - 1) / PNR), j = 0;
    for (size_t s = 0; s * PNR < nc; s++) {
        size_t w = nc - s * PNR < PNR ? nc - s * PNR : PNR;
        epilogue e = {e0->bias ? e0->bias + s * PNR : NULL, e0->mode};
        for (size_t m = 0; m < mb; m += 8, j++) {
            ptmi_fetch_share(f, j, calls);
            gemm_block(mb - m < 8 ? mb - m : 8, w, kb, Ap + m * kb, 1, 8, 8 * kb, Bp + s * PNR * kb,
                       PNR, C + m * ldc + s * PNR, ldc, &e);
        }
    }
}

static void gemm_packed(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc, const epilogue *ep,
                        float *scratch) {
    float *Ap = scratch, *Bp = scratch + PMC * PKC;
    for (size_t k0 = 0; k0 < K; k0 += PKC) {
        size_t kb = K - k0 < PKC ? K - k0 : PKC;
        for (size_t m0 = 0; m0 < M; m0 += PMC) {
            size_t mb = M - m0 < PMC ? M - m0 : PMC;
            ptmi_pack_a(8, mb, kb, A + m0 * sam + k0 * sak, sam, sak, Ap);
            for (size_t n0 = 0; n0 < N; n0 += PNC) {
                size_t nc = N - n0 < PNC ? N - n0 : PNC;
                pack_b(kb, nc, B + k0 * ldb + n0, ldb, Bp);
                ptmi_panel_fetch f = ptmi_next_panel(B, ldb, M, N, K, n0, k0, m0, PMC);
                epilogue e = block_epilogue(ep, n0, k0, kb, K);
                panel_product(mb, nc, kb, Ap, Bp, C + m0 * ldc + n0, ldc, &e, &f);
            }
        }
    }
}

/* the linear layer on a weight packed at load (kernels.h: the panels pack_b would copy, in the
 * order gemm_packed takes them): gemm_packed's loops and tiles with B read where it lies, so
 * the same bits as the product on the unpacked weight. B is read front to back, which the
 * hardware prefetchers follow: fetching the next panel with prefetch instructions, as
 * gemm_packed does for its strided rows, made the 2048-patch model 13 % slower (a local build
 * with it against one without, interleaved, build/bench --context 4096 --patch 2 on the Zen 5:
 * 130 vs 113 ms). Without
 * the packing scratch for A: the tiles on A in place, sliver by sliver. */
void ptmi_linear_packed_avx512(size_t M, size_t n0, size_t n1, size_t N, size_t K, const float *A,
                               size_t lda, const float *Bp, const float *bias, float *C, size_t ldc,
                               int gelu) {
    _Static_assert(PKC == PTMI_PACKED_KC && PNR == PTMI_PACKED_NR, "packed weight layout");
    size_t have = 0;
    float *scratch = ptmi_scratch(&have);
    epilogue ep = {bias, gelu ? BIAS_GELU : BIAS};
    if (!scratch || have < PTMI_PACK_FLOATS) {
        for (size_t k0 = 0; k0 < K; k0 += PKC) {
            size_t kb = K - k0 < PKC ? K - k0 : PKC;
            for (size_t n = n0; n < n1; n += PNR) {
                epilogue e = block_epilogue(&ep, n, k0, kb, K);
                gemm_block(M, PNR, kb, A + k0, lda, 1, 8 * lda, Bp + k0 * N + n * kb, PNR, C + n,
                           ldc, &e);
            }
        }
        return;
    }
    float *Ap = scratch + ((64 - (uintptr_t)scratch % 64) % 64) / sizeof(float);
    const ptmi_panel_fetch none = {NULL, 0, 0, 0};
    for (size_t k0 = 0; k0 < K; k0 += PKC) {
        size_t kb = K - k0 < PKC ? K - k0 : PKC;
        for (size_t m0 = 0; m0 < M; m0 += PMC) {
            size_t mb = M - m0 < PMC ? M - m0 : PMC;
            ptmi_pack_a(8, mb, kb, A + m0 * lda + k0, lda, 1, Ap);
            for (size_t n = n0; n < n1; n += PNC) {
                size_t nc = n1 - n < PNC ? n1 - n : PNC;
                epilogue e = block_epilogue(&ep, n, k0, kb, K);
                panel_product(mb, nc, kb, Ap, Bp + k0 * N + n * kb, C + m0 * ldc + n, ldc, &e,
                              &none);
            }
        }
    }
}

/* the packed path when it pays and this thread has the scratch for it, else in place */
static void gemm_choose(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                        const float *B, size_t ldb, float *C, size_t ldc, const epilogue *ep) {
    _Static_assert(PTMI_PACK_FLOATS >= PMC * PKC + PKC * PNC + 16, "packing scratch");
    size_t have = 0;
    float *scratch = ptmi_packed_pays(M, N, K) ? ptmi_scratch(&have) : NULL;
    if (scratch && have >= PTMI_PACK_FLOATS)
        gemm_packed(M, N, K, A, sam, sak, B, ldb, C, ldc, ep,
                    scratch + ((64 - (uintptr_t)scratch % 64) % 64) / sizeof(float));
    else
        gemm_blocked(M, N, K, A, sam, sak, B, ldb, C, ldc, ep);
}

void ptmi_gemm_acc_avx512(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                          const float *B, size_t ldb, float *C, size_t ldc) {
    epilogue ep = {NULL, ACC};
    gemm_choose(M, N, K, A, sam, sak, B, ldb, C, ldc, &ep);
}

void ptmi_linear_avx512(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                        size_t ldb, const float *bias, float *C, size_t ldc, int gelu) {
    epilogue ep = {bias, gelu ? BIAS_GELU : BIAS};
    gemm_choose(M, N, K, A, lda, 1, B, ldb, C, ldc, &ep);
}

/* the gated attention of inference, out [M, D] = A * softmax_rows(bias + A W) (+ res), W [D, D]
 * rows ldw apart, D a multiple of 16 up to PTMI_GATE_MAX_D: each block of 16 rows gets its
 * logits from the tiles of the linear layer into a buffer on the stack (in L1) and is gated from
 * there (16 rows: one reduction tree for all), so the logits never go to memory and back; out may
 * alias res (the layers add the residual in place). The logits are those of ptmi_linear_avx512
 * (one block: the same k order), the gate that of ptmi_softmax_gate_avx512: the same bits as the
 * two steps. */
void ptmi_linear_gate_avx512(size_t M, size_t D, const float *A, size_t lda, const float *W,
                             size_t ldw, const float *bias, const float *res, size_t ldr,
                             float *out, size_t ldo) {
    float z[16 * PTMI_GATE_MAX_D] __attribute__((aligned(64)));
    epilogue ep = {bias, BIAS};
    for (size_t m = 0; m < M; m += 16) {
        size_t mr = M - m < 16 ? M - m : 16;
        gemm_block(mr, D, D, A + m * lda, lda, 1, 8 * lda, W, ldw, z, D, &ep);
        ptmi_gate_band_avx512(out + m * ldo, ldo, z, D, A + m * lda, lda,
                              res ? res + m * ldr : NULL, ldr, (int)mr, (int)D);
    }
}

/* ---- products that share their left operand over many series (the patch mixer without
 * transposes): for s < S, C_s [M, D] = act(rowbias + A [M, K] B_s [K, D]), B_s = B + s bss,
 * C_s = C + s css, rows of B_s and C_s ldb / ldc apart, D a multiple of 16 (other widths by the
 * GEMM). The 16-column vectors of all series are numbered j = s (D / 16) + v, and a tile takes two
 * of them, so that an 8 x 32 register tile spans two series when D is 16; each A band is reused
 * over every series while it is in L1. */
static inline __attribute__((always_inline)) void
series_tile(const int MR, const int NV, const int GELU, size_t K, const float *A, size_t lda,
            const float *const *bp, size_t ldb, float *const *cp, size_t ldc,
            const float *rowbias) {
    __m512 acc[8][2];
    for (int i = 0; i < MR; i++) {
        __m512 b0 = rowbias ? _mm512_set1_ps(rowbias[i]) : _mm512_setzero_ps();
        for (int v = 0; v < NV; v++) acc[i][v] = b0;
    }
    for (size_t k = 0; k < K; k++) {
        __m512 bv[2];
        for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(bp[v] + k * ldb);
        const float *a = A + k;
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(a[i * lda]);
            for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++)
            _mm512_storeu_ps(cp[v] + i * ldc, GELU ? gelu512(acc[i][v]) : acc[i][v]);
}

static inline __attribute__((always_inline)) void
series_band(const int MR, const int GELU, size_t D, size_t K, const float *A, size_t lda,
            const float *B, size_t bss, size_t ldb, float *C, size_t css, size_t ldc,
            const float *rowbias, size_t S) {
    size_t per = D / 16, nvec = S * per;
    for (size_t j = 0; j < nvec; j += 2) {
        const float *bp[2];
        float *cp[2];
        int nv = j + 1 < nvec ? 2 : 1;
        for (int v = 0; v < nv; v++) {
            size_t s = (j + v) / per, o = (j + v) % per * 16;
            bp[v] = B + s * bss + o;
            cp[v] = C + s * css + o;
        }
        if (nv == 2)
            series_tile(MR, 2, GELU, K, A, lda, bp, ldb, cp, ldc, rowbias);
        else
            series_tile(MR, 1, GELU, K, A, lda, bp, ldb, cp, ldc, rowbias);
    }
}

#define SERIES_BAND(MR)                                                                            \
    do {                                                                                           \
        if (gelu)                                                                                  \
            series_band(MR, 1, D, K, a, lda, B, bss, ldb, c, css, ldc, rb, S);                     \
        else                                                                                       \
            series_band(MR, 0, D, K, a, lda, B, bss, ldb, c, css, ldc, rb, S);                     \
    } while (0)

void ptmi_gemm_series_avx512(size_t M, size_t D, size_t K, const float *A, size_t lda,
                             const float *B, size_t bss, size_t ldb, const float *rowbias, float *C,
                             size_t css, size_t ldc, size_t S, int gelu) {
    if (D % 16) { /* no kernel for this width: per series, bias rows + GEMM + GELU */
        ptmi_gemm_series_by_gemm(ptmi_gemm_acc_avx512, ptmi_gelu_avx512, M, D, K, A, lda, B, bss,
                                 ldb, rowbias, C, css, ldc, S, gelu);
        return;
    }
    for (size_t m = 0; m < M; m += 8) {
        const float *a = A + m * lda;
        float *c = C + m * ldc;
        const float *rb = rowbias ? rowbias + m : NULL;
        switch (M - m < 8 ? M - m : 8) {
        case 8:
            SERIES_BAND(8);
            break;
        case 7:
            SERIES_BAND(7);
            break;
        case 6:
            SERIES_BAND(6);
            break;
        case 5:
            SERIES_BAND(5);
            break;
        case 4:
            SERIES_BAND(4);
            break;
        case 3:
            SERIES_BAND(3);
            break;
        case 2:
            SERIES_BAND(2);
            break;
        default:
            SERIES_BAND(1);
            break;
        }
    }
}
#undef SERIES_BAND

/* ---- the patch gate of inference in one pass (R <= 16 patches): for s < S,
 * out_s [R, D] = Y_s * softmax_cols(rowbias + A [R, R] Y_s) (+ res_s), Y_s = Y + s ss, res_s and
 * out_s likewise (every block [R, D] with rows D apart). A register tile holds all R rows of one
 * or two 16-column vectors, so the softmax down the columns runs on the accumulators: the logits
 * and probabilities never go to memory. The logits are those of series_tile (the same k order),
 * the gate that of ptmi_softmax_cols_gate_avx512: the same bits as the two steps. out may alias
 * res (each vector is read before it is written). */
static inline __attribute__((always_inline)) void
series_gate_tile(const int R, const int NV, const float *A, const float *rowbias,
                 const float *const *yp, const float *const *rp, float *const *op, size_t D) {
    __m512 acc[16][2];
    for (int i = 0; i < R; i++) {
        __m512 b0 = rowbias ? _mm512_set1_ps(rowbias[i]) : _mm512_setzero_ps();
        for (int v = 0; v < NV; v++) acc[i][v] = b0;
    }
    for (int k = 0; k < R; k++) {
        __m512 bv[2];
        for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(yp[v] + (size_t)k * D);
        for (int i = 0; i < R; i++) {
            __m512 av = _mm512_set1_ps(A[i * R + k]);
            for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    for (int v = 0; v < NV; v++) {
        __m512 mx = acc[0][v];
        for (int i = 1; i < R; i++) mx = _mm512_max_ps(mx, acc[i][v]);
        __m512 sum = _mm512_setzero_ps();
        for (int i = 0; i < R; i++) {
            acc[i][v] = exp512(_mm512_sub_ps(acc[i][v], mx));
            sum = _mm512_add_ps(sum, acc[i][v]);
        }
        __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), sum);
        for (int i = 0; i < R; i++) {
            __m512 y = _mm512_mul_ps(_mm512_loadu_ps(yp[v] + (size_t)i * D),
                                     _mm512_mul_ps(acc[i][v], inv));
            if (rp[v]) y = _mm512_add_ps(y, _mm512_loadu_ps(rp[v] + (size_t)i * D));
            _mm512_storeu_ps(op[v] + (size_t)i * D, y);
        }
    }
}

static inline __attribute__((always_inline)) void
series_gate_rows(const int R, size_t D, const float *A, const float *rowbias, const float *Y,
                 const float *res, float *out, size_t ss, size_t S) {
    const int NVMAX = R <= 8 ? 2 : 1; /* at most 16 accumulators */
    size_t per = D / 16, nvec = S * per;
    for (size_t j = 0; j < nvec; j += (size_t)NVMAX) {
        const float *yp[2], *rp[2];
        float *op[2];
        int nv = j + 1 < nvec ? NVMAX : 1;
        for (int v = 0; v < nv; v++) {
            size_t o = (j + v) / per * ss + (j + v) % per * 16;
            yp[v] = Y + o;
            rp[v] = res ? res + o : NULL;
            op[v] = out + o;
        }
        if (nv == 2)
            series_gate_tile(R, 2, A, rowbias, yp, rp, op, D);
        else
            series_gate_tile(R, 1, A, rowbias, yp, rp, op, D);
    }
}

/* the feature gate of inference in column form, back to rows: for rows r (a multiple of 16), with
 * yt [16, ldt] the block output in column form (yt[f ldt + r]),
 *   out[r, .] = res[r, .] + (y * softmax_f(bias + A y))[r, .]   (A [16, 16] as [out, in])
 * or out = res + y without a gate (A NULL); each 16-column block's logits and softmax stay in
 * registers, and the gated block is transposed back to rows there. out may alias res. */
void ptmi_gate_cols16_avx512(float *out, const float *res, size_t rows, const float *A,
                             const float *bias, const float *yt, size_t ldt) {
    for (size_t r = 0; r < rows; r += 16) {
        __m512 g[16];
        if (A) {
            for (int i = 0; i < 16; i++) g[i] = _mm512_set1_ps(bias[i]);
            for (int k = 0; k < 16; k++) {
                __m512 yk = _mm512_loadu_ps(yt + (size_t)k * ldt + r);
                for (int i = 0; i < 16; i++)
                    g[i] = _mm512_fmadd_ps(_mm512_set1_ps(A[i * 16 + k]), yk, g[i]);
            }
            __m512 mx = g[0];
            for (int i = 1; i < 16; i++) mx = _mm512_max_ps(mx, g[i]);
            for (int i = 0; i < 16; i++) g[i] = exp512(_mm512_sub_ps(g[i], mx));
            __m512 s[8];
            for (int i = 0; i < 8; i++) s[i] = _mm512_add_ps(g[i], g[i + 8]);
            for (int i = 0; i < 4; i++) s[i] = _mm512_add_ps(s[i], s[i + 4]);
            __m512 inv =
                _mm512_div_ps(_mm512_set1_ps(1.0f),
                              _mm512_add_ps(_mm512_add_ps(s[0], s[2]), _mm512_add_ps(s[1], s[3])));
            for (int i = 0; i < 16; i++)
                g[i] = _mm512_mul_ps(_mm512_loadu_ps(yt + (size_t)i * ldt + r),
                                     _mm512_mul_ps(g[i], inv));
        } else {
            for (int i = 0; i < 16; i++) g[i] = _mm512_loadu_ps(yt + (size_t)i * ldt + r);
        }
        transpose16x16(g);
        for (int j = 0; j < 16; j++) {
            float *o = out + (r + (size_t)j) * 16;
            _mm512_storeu_ps(o, _mm512_add_ps(g[j], _mm512_loadu_ps(res + (r + (size_t)j) * 16)));
        }
    }
}

void ptmi_series_gate_avx512(size_t R, size_t D, const float *A, const float *rowbias,
                             const float *Y, const float *res, float *out, size_t ss, size_t S) {
#define SG(r)                                                                                      \
    case r:                                                                                        \
        series_gate_rows(r, D, A, rowbias, Y, res, out, ss, S);                                    \
        break
    switch (R) { /* R a compile-time constant in each instance: the tile stays in registers */
        SG(1);
        SG(2);
        SG(3);
        SG(4);
        SG(5);
        SG(6);
        SG(7);
        SG(8);
        SG(9);
        SG(10);
        SG(11);
        SG(12);
        SG(13);
        SG(14);
        SG(15);
        SG(16);
    default:
        break;
    }
#undef SG
}
#endif
