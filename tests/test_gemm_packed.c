/* test_gemm_packed.c - the packed path of the GEMM kernels (products whose B is beyond L2, run
 * in the per-thread packing scratch a context publishes, kernels.h pack_floats): at every level
 * this CPU runs that has one, on shapes that cross every block edge (M, N, K not multiples of
 * the tile, the 32-column sliver, the 128-column panel, the 128-row block or the 256-deep k
 * block; transposed and strided A, B and C with leading dimensions beyond N), the result is
 * bit for bit the table's promise - one FMA per k, in k order, into C (or from the bias, then
 * GELU) - as computed here with fmaf; it equals the in-place path (no scratch, or too little)
 * and the same product split over pools of 2 and 3 threads. Contexts reserve the scratch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "model/model.h"
#include "testutil.h"

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *fvec(size_t n, unsigned *seed) {
    float *v = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) v[i] = frand(seed);
    return v;
}

/* the promise of gemm_acc, element by element: c = fma(A(m, k), B[k, n], c) for k in order */
static void gemm_fma(size_t M, size_t N, size_t K, const float *A, size_t sam, size_t sak,
                     const float *B, size_t ldb, float *C, size_t ldc) {
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            float c = C[m * ldc + n];
            for (size_t k = 0; k < K; k++) c = fmaf(A[m * sam + k * sak], B[k * ldb + n], c);
            C[m * ldc + n] = c;
        }
}

typedef struct {
    size_t M, N, K;
    int trans_a;     /* A stored [K, M] (the weight gradient's shape) */
    size_t ldb, ldc; /* beyond N: strided rows */
} shape;

/* every shape takes the packed path (K N >= 256 Ki floats, M, N, K >= 16) */
static const shape shapes[] = {
    {141, 300, 1000, 0, 300, 300}, /* 2 row blocks (128 + 13: a 5-row band), panels 128 128 44
                                      (slivers to 12 columns), k blocks 256 x 3 + 232 */
    {16, 529, 517, 1, 529, 529},   /* transposed A, a 17-column sliver, a 5-deep k block */
    {40, 257, 1030, 0, 300, 270},  /* strided B and C, a 1-column sliver */
};

/* C += A B at level kt with this thread's scratch (NULL: none) */
static void run_acc(const ptmi_kernel_table *kt, const shape *s, const float *A, const float *B,
                    float *C, float *scratch, size_t floats) {
    ptmi_scratch_buf prev = ptmi_scratch_enter(scratch, floats);
    kt->gemm_acc(s->M, s->N, s->K, A, s->trans_a ? 1 : s->K, s->trans_a ? s->M : 1, B, s->ldb, C,
                 s->ldc);
    ptmi_scratch_leave(prev);
}

static void check_level(const ptmi_kernel_table *kt, const shape *s, unsigned seed) {
    size_t M = s->M, N = s->N, K = s->K, nc = M * s->ldc;
    float *A = fvec(M * K, &seed), *B = fvec(K * s->ldb, &seed), *C0 = fvec(nc, &seed);
    float *bias = fvec(N, &seed);
    float *want = malloc(nc * sizeof(float)), *got = malloc(nc * sizeof(float));
    float *in_place = malloc(nc * sizeof(float));
    /* scratch deliberately off the 64-byte grid: the kernel aligns inside it */
    float *buf = malloc((kt->pack_floats + 3) * sizeof(float)), *scratch = buf + 3;
    size_t sam = s->trans_a ? 1 : K, sak = s->trans_a ? M : 1;

    memcpy(want, C0, nc * sizeof(float));
    gemm_fma(M, N, K, A, sam, sak, B, s->ldb, want, s->ldc);
    memcpy(got, C0, nc * sizeof(float));
    run_acc(kt, s, A, B, got, scratch, kt->pack_floats);
    CHECK(memcmp(got, want, nc * sizeof(float)) == 0);
    /* no scratch, and too little: read in place, the same bits */
    memcpy(in_place, C0, nc * sizeof(float));
    run_acc(kt, s, A, B, in_place, NULL, 0);
    CHECK(memcmp(in_place, want, nc * sizeof(float)) == 0);
    memcpy(in_place, C0, nc * sizeof(float));
    run_acc(kt, s, A, B, in_place, scratch, kt->pack_floats - 1);
    CHECK(memcmp(in_place, want, nc * sizeof(float)) == 0);

    /* the fused linear layer (row-major A only): from the bias, then GELU */
    if (!s->trans_a) {
        for (int gelu = 0; gelu <= 1; gelu++) {
            for (size_t m = 0; m < M; m++) {
                memcpy(want + m * s->ldc, bias, N * sizeof(float));
                memcpy(got + m * s->ldc, C0 + m * s->ldc, s->ldc * sizeof(float));
            }
            gemm_fma(M, N, K, A, K, 1, B, s->ldb, want, s->ldc);
            if (gelu)
                for (size_t m = 0; m < M; m++) kt->gelu(want + m * s->ldc, want + m * s->ldc, N);
            ptmi_scratch_buf prev = ptmi_scratch_enter(scratch, kt->pack_floats);
            kt->linear(M, N, K, A, K, B, s->ldb, bias, got, s->ldc, gelu);
            ptmi_scratch_leave(prev);
            int same = 1;
            for (size_t m = 0; m < M; m++)
                same &= memcmp(got + m * s->ldc, want + m * s->ldc, N * sizeof(float)) == 0;
            CHECK(same);
        }
    }
    free(A);
    free(B);
    free(C0);
    free(bias);
    free(want);
    free(got);
    free(in_place);
    free(buf);
}

/* the entry point over pools of 2 and 3 threads, each with its own scratch: the bits of one */
static void check_threads(const shape *s, unsigned seed) {
    size_t M = s->M, N = s->N, K = s->K, nc = M * s->ldc, per = ptmi_kernels()->pack_floats;
    float *A = fvec(M * K, &seed), *B = fvec(K * s->ldb, &seed), *C0 = fvec(nc, &seed);
    float *one = malloc(nc * sizeof(float)), *got = malloc(nc * sizeof(float));
    float *pack = malloc(3 * (per ? per : 1) * sizeof(float));
    size_t sam = s->trans_a ? 1 : K, sak = s->trans_a ? M : 1;
    memcpy(one, C0, nc * sizeof(float));
    ptmi_scratch_buf prev = ptmi_scratch_enter(per ? pack : NULL, per);
    ptmi_gemm_acc(M, N, K, A, sam, sak, B, s->ldb, one, s->ldc);
    for (int nth = 2; nth <= 3; nth++) {
        ptmi_pool *pool = ptmi_pool_create(nth);
        CHECK(pool != NULL);
        ptmi_pool_set_scratch(pool, per ? pack : NULL, per);
        ptmi_pool *was = ptmi_pool_enter(pool);
        memcpy(got, C0, nc * sizeof(float));
        ptmi_gemm_acc(M, N, K, A, sam, sak, B, s->ldb, got, s->ldc);
        ptmi_pool_leave(was);
        ptmi_pool_free(pool);
        CHECK(memcmp(got, one, nc * sizeof(float)) == 0);
    }
    ptmi_scratch_leave(prev);
    free(A);
    free(B);
    free(C0);
    free(one);
    free(got);
    free(pack);
}

/* the scratch a thread publishes is what the kernels see, and the previous one comes back */
TEST(scratch_publishing) {
    float a[4], b[8];
    size_t n = 99;
    ptmi_scratch_buf outer = ptmi_scratch_enter(a, 4);
    CHECK(ptmi_scratch(&n) == a && n == 4);
    ptmi_scratch_buf inner = ptmi_scratch_enter(b, 8);
    CHECK(ptmi_scratch(&n) == b && n == 8);
    ptmi_scratch_leave(inner);
    CHECK(ptmi_scratch(&n) == a && n == 4);
    ptmi_scratch_leave(outer);
    CHECK(ptmi_scratch(&n) == NULL && n == 0);
}

TEST(packed_levels) {
    int tested = 0;
    for (int level = 0; level <= 2; level++) {
        const ptmi_kernel_table *kt = ptmi_kernels_at(level);
        if (!kt || !kt->pack_floats) continue;
        tested++;
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
            check_level(kt, &shapes[i], 7u + (unsigned)i);
    }
    /* the scalar table never packs */
    CHECK(ptmi_kernels_at(0) && ptmi_kernels_at(0)->pack_floats == 0);
    if (!tested) fprintf(stderr, "test_gemm_packed: no level with a packed path on this CPU\n");
}

TEST(packed_threads) {
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) check_threads(&shapes[i], 40u);
}

/* a context reserves pack_floats per thread of the level in use, in its accounted arena */
TEST(context_reserves_scratch) {
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = PTM_CLASS_PREDICTION;
    ptm_model *m = NULL;
    ptm_error err;
    CHECK(ptmi_config_finish(&c, NULL, &err) == PTM_OK &&
          ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err) == PTM_OK);
    ptm_config_free(&c);
    if (!m) return;
    for (int nth = 1; nth <= 2; nth++) {
        ptm_ctx_params cp = ptm_ctx_default_params();
        cp.num_threads = nth;
        ptm_ctx *ctx = NULL;
        CHECK(ptm_ctx_create(m, &cp, &ctx, &err) == PTM_OK);
        if (!ctx) continue;
        size_t per = ptmi_kernels()->pack_floats;
        CHECK(ctx->pack_floats == per);
        CHECK(per == 0 || (ctx->pack >= ctx->arena &&
                           ctx->pack + (size_t)nth * per <= ctx->arena + ctx->arena_floats));
        CHECK(ptm_ctx_memory_bytes(ctx) >= (size_t)nth * per * sizeof(float));
        ptm_ctx_free(ctx);
    }
    ptm_model_free(m);
}

int main(void) {
    RUN(scratch_publishing);
    RUN(packed_levels);
    RUN(packed_threads);
    RUN(context_reserves_scratch);
    return test_summary("test_gemm_packed");
}
