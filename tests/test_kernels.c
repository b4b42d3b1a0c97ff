/* test_kernels.c - every SIMD kernel against its scalar oracle, on shapes that hit each tile
 * and edge path (M, N not multiples of the tile; transposed A), and the layers' fast paths
 * (transposed-weight linear, fast GELU) against their references. */
#include <math.h>
#include <stdlib.h>

#include <string.h>

#include "io/config.h"
#include "kernels/kernels.h"
#include "model.h"
#include "rng.h"
#include "train/adamw.h"
#include "train/trainer.h"
#include "layers/layers.h"
#include "testutil.h"

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static double max_rel(const float *a, const float *b, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / (1.0 + fabs((double)b[i]));
        if (!(d <= worst)) worst = d;
    }
    return worst;
}

/* cap the kernels at `level`; 1 when this CPU runs exactly that level (*prev: the cap to
 * restore afterwards), else 0 with the cap already restored */
static int enter_level(int level, int *prev) {
    *prev = ptm_kernels_set_max_level(level);
    if (ptm_kernels_level() == level) return 1;
    ptm_kernels_set_max_level(*prev);
    return 0;
}

TEST(test_gemm_shapes) {
    unsigned seed = 1;
    size_t shapes[][3] = {{1, 1, 1},     {4, 16, 8},    {5, 17, 3},     {7, 8, 64},
                          {64, 128, 64}, {13, 31, 9},   {3, 96, 1024},  {130, 2, 4},
                          {9, 40, 7},    {4, 24, 200},  {9, 300, 700},  {8, 32, 64},
                          {17, 48, 5},   {23, 33, 300}, {448, 96, 1024}};
    /* every kernel this CPU runs: AVX-512F, AVX2 + FMA (each capped to in turn) */
    int levels[2] = {PTM_KERNELS_AVX512, PTM_KERNELS_AVX2}, tested = 0;
    for (int li = 0; li < 2; li++) {
        int prev_cap;
        if (!enter_level(levels[li], &prev_cap)) continue;
        tested++;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            for (int trans = 0; trans < 2; trans++) {
                float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
                float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
                for (size_t i = 0; i < M * K; i++) A[i] = frand(&seed);
                for (size_t i = 0; i < K * N; i++) B[i] = frand(&seed);
                for (size_t i = 0; i < M * N; i++) C1[i] = C2[i] = frand(&seed);
                size_t sam = trans ? 1 : K, sak = trans ? M : 1;
                ptm_gemm_acc_ref(M, N, K, A, sam, sak, B, N, C1, N);
                ptm_gemm_acc(M, N, K, A, sam, sak, B, N, C2, N);
                CHECK(max_rel(C2, C1, M * N) < 1e-5);
                free(A);
                free(B);
                free(C1);
                free(C2);
            }
        }
        ptm_kernels_set_max_level(prev_cap);
    }
    printf("gemm: %d SIMD kernel(s) checked against the oracle\n", tested);
    /* forcing the scalar path gives exactly the oracle */
    int prev = ptm_kernels_force_scalar(1);
    CHECK(ptm_kernels_name()[0] == 's');
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, -1, 2, 0.5f, 3, 1}, C[4] = {0}, R[4] = {0};
    ptm_gemm_acc(2, 2, 3, A, 3, 1, B, 2, C, 2);
    ptm_gemm_acc_ref(2, 2, 3, A, 3, 1, B, 2, R, 2);
    CHECK(C[0] == R[0] && C[3] == R[3]);
    ptm_kernels_force_scalar(prev);
}

/* the fused linear kernel (bias + GEMM + optional GELU in one pass, AVX-512 only) against the
 * scalar linear layer and GELU, on shapes that hit every tile edge and the k / n blocking */
TEST(test_linear_fused) {
#if !defined(__x86_64__) && !defined(__i386__)
    printf("linear_fused: x86 only, skipped\n");
    return;
#endif
    int levels[2] = {PTM_KERNELS_AVX512, PTM_KERNELS_AVX2}, tested = 0;
    for (int li = 0; li < 2; li++) {
        int cap;
        if (!enter_level(levels[li], &cap)) continue;
        tested++;
        unsigned seed = 3;
        size_t shapes[][3] = {{1, 1, 1},    {3, 200, 0},   {5, 20, 0},    {8, 32, 16},
                              {9, 33, 7},   {17, 16, 64},  {5, 130, 300}, {64, 128, 64},
                              {3, 7, 1024}, {23, 200, 257}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            float *A = malloc(sizeof(float) * M * K), *W = malloc(sizeof(float) * N * K);
            float *Wt = malloc(sizeof(float) * K * N), *bias = malloc(sizeof(float) * N);
            float *ref = malloc(sizeof(float) * M * N), *got = malloc(sizeof(float) * M * N);
            for (size_t i = 0; i < M * K; i++) A[i] = frand(&seed);
            for (size_t i = 0; i < N * K; i++) W[i] = frand(&seed) * 0.3f;
            for (size_t n = 0; n < N; n++)
                for (size_t k = 0; k < K; k++) Wt[k * N + n] = W[n * K + k];
            for (size_t i = 0; i < N; i++) bias[i] = frand(&seed);
            for (int gelu = 0; gelu < 2; gelu++)
                for (int hasb = 0; hasb < 2; hasb++) {
                    linear_forward(ref, A, W, hasb ? bias : NULL, M, (int)K, (int)N);
                    if (gelu)
                        for (size_t i = 0; i < M * N; i++) ref[i] = gelu_scalar(ref[i]);
                    for (size_t i = 0; i < M * N; i++) got[i] = 1e30f; /* must be overwritten */
                    ptm_linear_fused(M, N, K, A, K, Wt, N, hasb ? bias : NULL, got, N, gelu);
                    CHECK(max_rel(got, ref, M * N) < 1e-5);
                }
            free(A);
            free(W);
            free(Wt);
            free(bias);
            free(ref);
            free(got);
        }
        ptm_kernels_set_max_level(cap);
    }
    printf("linear_fused: %d SIMD level(s) checked\n", tested);
}

/* products sharing their left operand over many series (the patch mixer without transposes),
 * every SIMD level, against the scalar GEMM on each series: odd series counts (a tile split
 * over two series), D of one and of several vectors, row bias, GELU */
TEST(test_gemm_series) {
    int levels[2] = {PTM_KERNELS_AVX512, PTM_KERNELS_AVX2};
    for (int li = 0; li < 2; li++) {
        int cap;
        if (!enter_level(levels[li], &cap)) continue;
        size_t width = ptm_gemm_series_width();
        if (!width) { /* no series kernel on this level (NEON) */
            ptm_kernels_set_max_level(cap);
            continue;
        }
        unsigned seed = 9;
        size_t shapes[][4] = {{128, 1, 64, 3}, {64, 2, 128, 5}, {13, 1, 7, 1}, {9, 3, 33, 4}};
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            size_t M = shapes[si][0], D = shapes[si][1] * width, K = shapes[si][2],
                   S = shapes[si][3];
            float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * S * K * D);
            float *rb = malloc(sizeof(float) * M), *ref = malloc(sizeof(float) * S * M * D);
            float *got = malloc(sizeof(float) * S * M * D);
            for (size_t i = 0; i < M * K; i++) A[i] = frand(&seed) * 0.3f;
            for (size_t i = 0; i < S * K * D; i++) B[i] = frand(&seed);
            for (size_t i = 0; i < M; i++) rb[i] = frand(&seed);
            for (int gelu = 0; gelu < 2; gelu++) {
                for (size_t s = 0; s < S; s++) {
                    float *c = ref + s * M * D;
                    for (size_t m = 0; m < M; m++)
                        for (size_t j = 0; j < D; j++) c[m * D + j] = rb[m];
                    ptm_gemm_acc_ref(M, D, K, A, K, 1, B + s * K * D, D, c, D);
                    if (gelu)
                        for (size_t i = 0; i < M * D; i++) c[i] = gelu_scalar(c[i]);
                }
                for (size_t i = 0; i < S * M * D; i++) got[i] = 1e30f;
                ptm_gemm_series(M, D, K, A, K, B, K * D, D, rb, got, M * D, D, S, gelu);
                CHECK(max_rel(got, ref, S * M * D) < 1e-5);
            }
            free(A);
            free(B);
            free(rb);
            free(ref);
            free(got);
        }
        ptm_kernels_set_max_level(cap);
    }
}

TEST(test_linear_fast_path) {
    unsigned seed = 7;
    int in = 37, out = 19;
    size_t rows = 11;
    float *w = malloc(sizeof(float) * (size_t)in * out),
          *wt = malloc(sizeof(float) * (size_t)in * out);
    float b[19], *x = malloc(sizeof(float) * rows * in);
    float *y1 = malloc(sizeof(float) * rows * out), *y2 = malloc(sizeof(float) * rows * out);
    for (int i = 0; i < in * out; i++) w[i] = frand(&seed);
    for (int o = 0; o < out; o++)
        for (int i = 0; i < in; i++) wt[(size_t)i * out + o] = w[(size_t)o * in + i];
    for (int o = 0; o < out; o++) b[o] = frand(&seed);
    for (size_t i = 0; i < rows * (size_t)in; i++) x[i] = frand(&seed);
    ptm_linear lin = {w, b, wt, out, in};
    linear_forward(y1, x, w, b, rows, in, out);
    linear_fwd(y2, x, &lin, rows);
    CHECK(max_rel(y2, y1, rows * (size_t)out) < 1e-5);
    free(w);
    free(wt);
    free(x);
    free(y1);
    free(y2);
}

TEST(test_gelu_fast) {
    double worst = 0.0;
    for (float x = -8.0f; x <= 8.0f; x += 0.001f) {
        double d = fabs((double)gelu_fast(x) - (double)gelu_scalar(x));
        if (d > worst) worst = d;
    }
    CHECK(worst < 2e-6);
}

/* the AVX2 element-wise kernels against the scalar layers (forced with ptm_kernels_force_scalar) */
TEST(test_vector_kernels) {
    unsigned seed = 11;
    size_t n = 1003;
    float *x = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float));
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        x[i] = 6.0f * frand(&seed);
        g[i] = frand(&seed);
    }
    int prev = ptm_kernels_force_scalar(1);
    gelu_forward(a, x, n);
    ptm_kernels_force_scalar(0);
    gelu_forward(b, x, n);
    CHECK(max_rel(b, a, n) < 2e-6);
    ptm_kernels_force_scalar(1);
    gelu_backward_set(a, x, g, NULL, n);
    ptm_kernels_force_scalar(0);
    gelu_backward_set(b, x, g, NULL, n);
    CHECK(max_rel(b, a, n) < 2e-6);
    /* the written, masked form (MLP backward), AVX-512 and AVX2 against scalar */
    ptm_kernels_force_scalar(1);
    gelu_backward_set(a, x, g, x, n); /* any array works as the mask */
    for (int li = 0; li < 2; li++) {
        int cap = ptm_kernels_set_max_level(li == 0 ? PTM_KERNELS_AVX512 : PTM_KERNELS_AVX2);
        for (size_t i = 0; i < n; i++) b[i] = 1e30f;
        gelu_backward_set(b, x, g, x, n);
        ptm_kernels_set_max_level(cap);
        CHECK(max_rel(b, a, n) < 2e-6);
    }
    /* GELU forward on the AVX2 level too (the default level is checked above) */
    ptm_kernels_force_scalar(1);
    gelu_forward(a, x, n);
    {
        int cap = ptm_kernels_set_max_level(PTM_KERNELS_AVX2);
        gelu_forward(b, x, n);
        ptm_kernels_set_max_level(cap);
        CHECK(max_rel(b, a, n) < 2e-6);
    }
    /* gated attention rows of width 16 (the SIMD path) and 12 (scalar either way) */
    int widths[5] = {16, 12, 7, 64, 70};
    for (int wi = 0; wi < 5; wi++) {
        int w = widths[wi];
        size_t rows = 37; /* two 16-row blocks and a tail */
        float *wt = malloc(sizeof(float) * (size_t)w * w),
              *bias = malloc(sizeof(float) * (size_t)w);
        float *in = malloc(sizeof(float) * rows * (size_t)w);
        float *o1 = malloc(sizeof(float) * rows * (size_t)w),
              *o2 = malloc(sizeof(float) * rows * (size_t)w);
        float *p1 = malloc(sizeof(float) * rows * (size_t)w),
              *p2 = malloc(sizeof(float) * rows * (size_t)w);
        for (int i = 0; i < w * w; i++) wt[i] = 2.0f * frand(&seed);
        for (int i = 0; i < w; i++) bias[i] = frand(&seed);
        for (size_t i = 0; i < rows * (size_t)w; i++) in[i] = 3.0f * frand(&seed);
        ptm_linear gate = {wt, bias, NULL, w, w};
        ptm_kernels_force_scalar(1);
        gated_attention_forward(o1, p1, in, &gate, rows);
        ptm_kernels_force_scalar(0);
        gated_attention_forward(o2, p2, in, &gate, rows);
        CHECK(max_rel(p2, p1, rows * (size_t)w) < 2e-6);
        CHECK(max_rel(o2, o1, rows * (size_t)w) < 2e-6);
        /* with the residual added in the same pass */
        float *rr = malloc(sizeof(float) * rows * (size_t)w);
        for (size_t i = 0; i < rows * (size_t)w; i++) rr[i] = frand(&seed);
        ptm_kernels_force_scalar(1);
        gated_attention_forward_res(o1, p1, in, &gate, rows, rr);
        for (int li = 0; li < 2; li++) {
            int cap = ptm_kernels_set_max_level(li == 0 ? PTM_KERNELS_AVX512 : PTM_KERNELS_AVX2);
            gated_attention_forward_res(o2, p2, in, &gate, rows, rr);
            ptm_kernels_set_max_level(cap);
            CHECK(max_rel(o2, o1, rows * (size_t)w) < 2e-6);
        }
        ptm_kernels_force_scalar(0);
        free(rr);
        /* backward: d(input) accumulated, the gate's weight and bias gradients */
        {
            size_t nn = rows * (size_t)w;
            float *dy = malloc(sizeof(float) * nn), *dx1 = malloc(sizeof(float) * nn);
            float *dx2 = malloc(sizeof(float) * nn), *dz = malloc(sizeof(float) * nn);
            float *gw1 = calloc((size_t)w * w, sizeof(float)),
                  *gw2 = calloc((size_t)w * w, sizeof(float));
            float *gb1 = calloc((size_t)w, sizeof(float)), *gb2 = calloc((size_t)w, sizeof(float));
            for (size_t i = 0; i < nn; i++) {
                dy[i] = frand(&seed);
                dx1[i] = dx2[i] = 0.5f;
            }
            ptm_linear g1 = {gw1, gb1, NULL, w, w}, g2 = {gw2, gb2, NULL, w, w};
            ptm_kernels_force_scalar(1);
            gated_attention_forward(o1, p1, in, &gate, rows);
            gated_attention_backward(dx1, dz, &gate, &g1, dy, in, p1, rows);
            ptm_kernels_force_scalar(0);
            gated_attention_backward(dx2, dz, &gate, &g2, dy, in, p1, rows);
            CHECK(max_rel(dx2, dx1, nn) < 1e-5);
            CHECK(max_rel(gw2, gw1, (size_t)w * w) < 1e-4);
            CHECK(max_rel(gb2, gb1, (size_t)w) < 1e-4);
            free(dy);
            free(dx1);
            free(dx2);
            free(dz);
            free(gw1);
            free(gw2);
            free(gb1);
            free(gb2);
        }
        free(wt);
        free(bias);
        free(in);
        free(o1);
        free(o2);
        free(p1);
        free(p2);
    }
    /* the gate down columns (mix_channel's channel gate, the patch gate): r rows mixed, w
     * columns; widths with and without a partial 16-column block */
    size_t cw[3] = {16, 37, 160};
    for (int ci = 0; ci < 3; ci++) {
        int r = 7;
        size_t w = cw[ci], nn = (size_t)r * w;
        float *wt = malloc(sizeof(float) * (size_t)r * r), *bias = malloc(sizeof(float) * r);
        float *in = malloc(sizeof(float) * nn), *o1 = malloc(sizeof(float) * nn);
        float *o2 = malloc(sizeof(float) * nn), *p1 = malloc(sizeof(float) * nn);
        float *p2 = malloc(sizeof(float) * nn);
        for (int i = 0; i < r * r; i++) wt[i] = 2.0f * frand(&seed);
        for (int i = 0; i < r; i++) bias[i] = frand(&seed);
        for (size_t i = 0; i < nn; i++) in[i] = 3.0f * frand(&seed);
        ptm_linear gate = {wt, bias, NULL, r, r};
        ptm_kernels_force_scalar(1);
        gated_attention_cols(o1, p1, in, &gate, r, w);
        ptm_kernels_force_scalar(0);
        gated_attention_cols(o2, p2, in, &gate, r, w);
        CHECK(max_rel(p2, p1, nn) < 2e-6);
        CHECK(max_rel(o2, o1, nn) < 2e-6);
        free(wt);
        free(bias);
        free(in);
        free(o1);
        free(o2);
        free(p1);
        free(p2);
    }
    ptm_kernels_force_scalar(prev);
    free(x);
    free(g);
    free(a);
    free(b);
}

/* LayerNorm: every SIMD path (AVX-512 blocks of 16 rows and the row tail; AVX2) against the
 * scalar layer, outputs and the saved statistics */
TEST(test_layernorm_kernels) {
    unsigned seed = 31;
    int widths[6] = {8, 16, 24, 32, 48, 64};
    size_t nrows[5] = {1, 15, 16, 17, 53};
    for (int wi = 0; wi < 6; wi++)
        for (int ri = 0; ri < 5; ri++) {
            int d = widths[wi];
            size_t rows = nrows[ri], n = rows * (size_t)d;
            float *x = malloc(n * sizeof(float)), *w = malloc((size_t)d * sizeof(float));
            float *b = malloc((size_t)d * sizeof(float));
            float *y1 = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
            float *m1 = malloc(rows * sizeof(float)), *m2 = malloc(rows * sizeof(float));
            float *s1 = malloc(rows * sizeof(float)), *s2 = malloc(rows * sizeof(float));
            for (size_t i = 0; i < n; i++) x[i] = 3.0f * frand(&seed) + 0.5f * (float)(i % 7);
            for (int i = 0; i < d; i++) {
                w[i] = 1.0f + frand(&seed);
                b[i] = frand(&seed);
            }
            int prev = ptm_kernels_force_scalar(1);
            layernorm_forward(y1, m1, s1, x, w, b, rows, d, 1e-5f);
            ptm_kernels_force_scalar(0);
            int levels[2] = {PTM_KERNELS_AVX512, PTM_KERNELS_AVX2};
            for (int li = 0; li < 2; li++) {
                int cap = ptm_kernels_set_max_level(levels[li]);
                layernorm_forward(y2, m2, s2, x, w, b, rows, d, 1e-5f);
                ptm_kernels_set_max_level(cap);
                CHECK(max_rel(y2, y1, n) < 2e-6);
                CHECK(max_rel(m2, m1, rows) < 2e-6);
                CHECK(max_rel(s2, s1, rows) < 2e-6);
            }
            /* backward: dinp accumulated, dweight and dbias summed over the rows */
            float *g = malloc(n * sizeof(float)), *dx1 = malloc(n * sizeof(float));
            float *dx2 = malloc(n * sizeof(float)), dw1[64], dw2[64], db1[64], db2[64];
            for (size_t i = 0; i < n; i++) {
                g[i] = frand(&seed);
                dx1[i] = dx2[i] = 0.25f;
            }
            for (int i = 0; i < d; i++) dw1[i] = dw2[i] = db1[i] = db2[i] = 0.5f;
            ptm_kernels_force_scalar(1);
            layernorm_backward(dx1, dw1, db1, g, x, w, m1, s1, rows, d);
            ptm_kernels_force_scalar(0);
            layernorm_backward(dx2, dw2, db2, g, x, w, m1, s1, rows, d);
            CHECK(max_rel(dx2, dx1, n) < 1e-5);
            CHECK(max_rel(dw2, dw1, (size_t)d) < 1e-5);
            CHECK(max_rel(db2, db1, (size_t)d) < 1e-5);
            free(g);
            free(dx1);
            free(dx2);
            ptm_kernels_force_scalar(prev);
            free(x);
            free(w);
            free(b);
            free(y1);
            free(y2);
            free(m1);
            free(m2);
            free(s1);
            free(s2);
        }
}

/* AdamW: the SIMD step (FMA instructions) is bit-identical to the scalar loop (fmaf), with and
 * without a decay mask, odd lengths for the scalar tail */
TEST(test_adamw_kernel) {
    size_t n = 1237;
    unsigned seed = 41;
    float *p[2], *m[2], *v[2], *g = malloc(n * sizeof(float));
    unsigned char *mask = malloc(n);
    for (int k = 0; k < 2; k++) {
        p[k] = malloc(n * sizeof(float));
        m[k] = malloc(n * sizeof(float));
        v[k] = malloc(n * sizeof(float));
    }
    for (size_t i = 0; i < n; i++) {
        p[0][i] = p[1][i] = frand(&seed);
        m[0][i] = m[1][i] = 0.1f * frand(&seed);
        v[0][i] = v[1][i] = 0.01f * (frand(&seed) + 1.0f);
        g[i] = frand(&seed);
        mask[i] = (unsigned char)(frand(&seed) > 0.0f);
    }
    ptm_adamw_params hp = ptm_adamw_defaults();
    hp.weight_decay = 0.05f;
    for (int step = 1; step <= 3; step++) {
        int prev = ptm_kernels_force_scalar(1);
        ptm_adamw_step(p[0], g, m[0], v[0], n, step == 2 ? NULL : mask, &hp, step);
        ptm_kernels_force_scalar(0);
        ptm_adamw_step(p[1], g, m[1], v[1], n, step == 2 ? NULL : mask, &hp, step);
        ptm_kernels_force_scalar(prev);
    }
    CHECK(memcmp(p[0], p[1], n * sizeof(float)) == 0);
    CHECK(memcmp(m[0], m[1], n * sizeof(float)) == 0);
    CHECK(memcmp(v[0], v[1], n * sizeof(float)) == 0);
    for (int k = 0; k < 2; k++) {
        free(p[k]);
        free(m[k]);
        free(v[k]);
    }
    free(g);
    free(mask);
}

/* std scaling + patching of a row range: the AVX-512 statistics (8 channels per vector) are
 * bit-identical to the scalar loop, with an observed mask, ranges that start and end inside a
 * sample, and more channels than one vector holds */
TEST(test_scaler_rows_kernel) {
    int B = 3, L = 40, C = 11, N = 7, P = 6, stride = 5;
    size_t nx = (size_t)B * L * C, rows = (size_t)B * C;
    unsigned seed = 57;
    float *x = malloc(nx * sizeof(float)), *obs = malloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; i++) {
        x[i] = 4.0f * frand(&seed) + 0.5f * (float)(i % 5);
        obs[i] = frand(&seed) > -0.6f ? 1.0f : 0.0f;
    }
    float *pa[2], *lo[2], *sc[2];
    for (int k = 0; k < 2; k++) {
        pa[k] = calloc(rows * N * P, sizeof(float));
        lo[k] = calloc(rows, sizeof(float));
        sc[k] = calloc(rows, sizeof(float));
        int prev = ptm_kernels_force_scalar(k == 0);
        size_t cuts[4] = {0, 5, 19, rows}; /* ranges across sample boundaries */
        for (int q = 0; q < 3; q++)
            scaler_patchify_rows(pa[k], lo[k], sc[k], x, q == 1 ? NULL : obs, PTM_SCALING_STD, L, C,
                                 N, P, stride, cuts[q], cuts[q + 1]);
        ptm_kernels_force_scalar(prev);
    }
    CHECK(memcmp(lo[0], lo[1], rows * sizeof(float)) == 0);
    CHECK(memcmp(sc[0], sc[1], rows * sizeof(float)) == 0);
    CHECK(memcmp(pa[0], pa[1], rows * N * P * sizeof(float)) == 0);
    for (int k = 0; k < 2; k++) {
        free(pa[k]);
        free(lo[k]);
        free(sc[k]);
    }
    free(x);
    free(obs);
}

/* dropout masks: the drop rate is p, kept elements are 1/(1-p), same key same mask */
TEST(test_dropout_masks) {
    size_t n = 200000;
    float *m1 = malloc(n * sizeof(float)), *m2 = malloc(n * sizeof(float));
    ptm_rng r1, r2;
    ptm_rng_seed(&r1, 17);
    ptm_rng_seed(&r2, 17);
    dropout_mask_fill(m1, n, 0.2f, &r1);
    dropout_mask_fill(m2, n, 0.2f, &r2);
    size_t dropped = 0;
    int values_ok = 1;
    for (size_t i = 0; i < n; i++) {
        dropped += m1[i] == 0.0f;
        values_ok &= m1[i] == 0.0f || m1[i] == 1.25f;
    }
    CHECK(memcmp(m1, m2, n * sizeof(float)) == 0);
    CHECK(values_ok);
    CHECK_NEAR((double)dropped / (double)n, 0.2, 0.005);
    dropout_mask_fill(m2, n, 0.2f, &r2); /* the next key gives another mask */
    CHECK(memcmp(m1, m2, n * sizeof(float)) != 0);
    /* the SIMD mask is the scalar one, bit for bit (odd length: the scalar tail too) */
    ptm_rng_seed(&r1, 23);
    ptm_rng_seed(&r2, 23);
    int prev = ptm_kernels_force_scalar(1);
    dropout_mask_fill(m1, n - 5, 0.3f, &r1);
    ptm_kernels_force_scalar(0);
    dropout_mask_fill(m2, n - 5, 0.3f, &r2);
    ptm_kernels_force_scalar(prev);
    CHECK(memcmp(m1, m2, (n - 5) * sizeof(float)) == 0);
    free(m1);
    free(m2);
}

/* a forward and a backward on 1 and on 3 threads give bit-identical results */
TEST(test_threads_deterministic) {
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = PTM_CLASS_PREDICTION;
    c.context_length = 64;
    c.patch_length = 8;
    c.patch_stride = 4;
    c.num_input_channels = 3;
    c.d_model = 16;
    c.num_layers = 2;
    c.prediction_length = 12;
    c.mode = PTM_MODE_MIX_CHANNEL;
    c.self_attn = 1;
    c.self_attn_heads = 2;
    ptm_error err;
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_config_finish(&c, "test", &err), PTM_OK);
    CHECK_STATUS(ptm_model_build(&c, &m, &err), PTM_OK);
    ptm_config_free(&c);
    if (!m) return;
    ptm_model_init_weights(m, 3);
    int B = 16;
    size_t n = (size_t)B * 64 * 3, nf = (size_t)B * 12 * 3;
    float *x = malloc(n * sizeof(float)), *fut = malloc(nf * sizeof(float));
    unsigned seed = 5;
    for (size_t i = 0; i < n; i++) x[i] = frand(&seed);
    for (size_t i = 0; i < nf; i++) fut[i] = frand(&seed);
    float *out[2] = {NULL, NULL}, *grad[2] = {NULL, NULL};
    int threads[2] = {1, 3};
    for (int t = 0; t < 2; t++) {
        ptm_ctx *ctx = NULL;
        ptm_ctx_params cp = ptm_ctx_default_params();
        cp.max_batch = B;
        cp.num_threads = threads[t];
        CHECK_STATUS(ptm_ctx_create_train(m, &cp, &ctx, &err), PTM_OK);
        if (!ctx) continue;
        ptm_inputs in;
        memset(&in, 0, sizeof in);
        in.batch = B;
        in.past_values = x;
        in.future_values = fut;
        in.dropout_seed = 9;
        CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
        CHECK_STATUS(ptm_backward(ctx, &err), PTM_OK);
        ptm_tensor_view v, g;
        CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &v, &err), PTM_OK);
        CHECK_STATUS(ptm_ctx_grad(ctx, "model.encoder.patcher.weight", &g, &err), PTM_OK);
        out[t] = malloc(sizeof(float) * (size_t)(B * 12 * 3));
        grad[t] = malloc(sizeof(float) * 16 * 8);
        memcpy(out[t], v.data, sizeof(float) * (size_t)(B * 12 * 3));
        memcpy(grad[t], g.data, sizeof(float) * 16 * 8);
        ptm_ctx_free(ctx);
    }
    CHECK(out[0] && out[1] && memcmp(out[0], out[1], sizeof(float) * (size_t)(B * 12 * 3)) == 0);
    CHECK(grad[0] && grad[1] && memcmp(grad[0], grad[1], sizeof(float) * 16 * 8) == 0);
    for (int t = 0; t < 2; t++) {
        free(out[t]);
        free(grad[t]);
    }
    free(x);
    free(fut);
    ptm_model_free(m);
}

/* eval mode runs common_channel models in chunks of series spread over the threads (forward.c,
 * rows_chunk): every output must be bit-identical whatever the thread count, the batch size a
 * sample comes in, and so whatever chunk a series falls in, for every head */
static int eval_outputs(const ptm_model *m, int threads, int B, const ptm_inputs *in, float **out,
                        size_t *count) {
    ptm_ctx *ctx = NULL;
    ptm_ctx_params cp = ptm_ctx_default_params();
    ptm_error err;
    cp.max_batch = B;
    cp.keep_hidden_states = 1; /* compare every layer's output too */
    cp.num_threads = threads;
    if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_OK) return 0;
    int ok = ptm_forward(ctx, in, &err) == PTM_OK;
    size_t total = 0;
    int n = ptm_ctx_num_outputs(ctx);
    /* sample-major: for each sample, its slice of every output with a batch axis */
    for (int b = 0; ok && b < B; b++)
        for (int i = 0; i < n; i++) {
            ptm_tensor_view v;
            if (ptm_ctx_output_at(ctx, i, &v, NULL) != PTM_OK || v.ndim < 1 || v.shape[0] != B)
                continue;
            size_t e = 1;
            for (int d = 1; d < v.ndim; d++) e *= (size_t)v.shape[d];
            *out = realloc(*out, (*count + total + e) * sizeof(float));
            memcpy(*out + *count + total, v.data + (size_t)b * e, e * sizeof(float));
            total += e;
        }
    *count += total;
    ptm_ctx_free(ctx);
    return ok;
}

TEST(test_eval_chunks_deterministic) {
    for (int variant = 0; variant < 8; variant++) {
        ptm_config c;
        ptm_config_defaults(&c);
        c.model_class = variant == 3   ? PTM_CLASS_PRETRAINING
                        : variant == 4 ? PTM_CLASS_REGRESSION
                        : variant == 5 ? PTM_CLASS_CLASSIFICATION
                                       : PTM_CLASS_PREDICTION;
        c.context_length = 48;
        c.patch_length = 8;
        c.patch_stride = 5;
        c.num_input_channels = 3;
        c.d_model = 16;
        c.num_layers = 2;
        c.prediction_length = 7;
        c.num_targets = 3;
        if (variant == 0) {
            c.self_attn = 1;
            c.self_attn_heads = 2;
            c.norm_mlp = PTM_NORM_BATCH;
        }
        if (variant == 1) {
            c.loss = PTM_LOSS_NLL;
            c.distribution_output = PTM_DIST_NORMAL;
            c.scaling = PTM_SCALING_NONE;
            c.prediction_channel_indices = malloc(2 * sizeof(int));
            c.prediction_channel_indices[0] = 0;
            c.prediction_channel_indices[1] = 2;
            c.num_prediction_channels = 2;
        }
        if (variant == 2) c.scaling = PTM_SCALING_MEAN;
        if (variant == 4) c.head_aggregation = PTM_AGG_AVG_POOL;
        if (variant >= 6) { /* mix_channel: chunks of whole samples, the [C, N D] channel mixer */
            c.mode = PTM_MODE_MIX_CHANNEL;
            c.gated_attn = variant == 6;
            c.num_input_channels = 3;
        }
        ptm_error err;
        ptm_model *m = NULL;
        CHECK_STATUS(ptm_config_finish(&c, "test", &err), PTM_OK);
        CHECK_STATUS(ptm_model_build(&c, &m, &err), PTM_OK);
        ptm_config_free(&c);
        if (!m) return;
        ptm_model_init_weights(m, 11 + variant);
        int B = 5, N = ptm_model_config(m)->num_patches;
        size_t per = 48 * 3;
        float *x = malloc(B * per * sizeof(float)),
              *mask = malloc((size_t)B * 3 * N * sizeof(float));
        unsigned seed = 21 + (unsigned)variant;
        for (size_t i = 0; i < B * per; i++) x[i] = 2.0f * frand(&seed) + 0.3f;
        for (int i = 0; i < B * 3 * N; i++) mask[i] = frand(&seed) > 0.2f ? 1.0f : 0.0f;
        ptm_inputs in;
        memset(&in, 0, sizeof in);
        in.batch = B;
        in.past_values = x;
        if (variant == 3) in.patch_mask = mask;
        float *ref = NULL, *alt = NULL, *one = NULL;
        size_t nref = 0, nalt = 0, none = 0;
        CHECK(eval_outputs(m, 1, B, &in, &ref, &nref));
        CHECK(eval_outputs(m, 3, B, &in, &alt, &nalt));
        CHECK(nref == nalt && nref > 0 && memcmp(ref, alt, nref * sizeof(float)) == 0);
        /* each sample alone, on two threads: the same values as in the batch */
        int same = 1;
        for (int b = 0; b < B; b++) {
            ptm_inputs i1 = in;
            i1.batch = 1;
            i1.past_values = x + b * per;
            if (variant == 3) i1.patch_mask = mask + (size_t)b * 3 * N;
            free(one);
            one = NULL;
            none = 0;
            CHECK(eval_outputs(m, 2, 1, &i1, &one, &none));
            same &= none * (size_t)B == nref &&
                    memcmp(one, ref + (size_t)b * none, none * sizeof(float)) == 0;
        }
        CHECK(same);
        free(ref);
        free(alt);
        free(one);
        free(x);
        free(mask);
        ptm_model_free(m);
    }
}

/* long contexts (many patches: weights past the GEMM's k and n blocks, wide gate rows) and many
 * channels, on every kernel path against the scalar oracle */
TEST(test_scale_paths) {
    for (int variant = 0; variant < 3; variant++) {
        ptm_config c;
        ptm_config_defaults(&c);
        c.model_class = PTM_CLASS_PREDICTION;
        c.context_length = variant == 0 ? 1024 : 96;
        c.patch_length = variant == 0 ? 2 : 8;
        c.patch_stride = c.patch_length;
        c.num_input_channels = variant == 0 ? 2 : 67;
        c.d_model = variant == 2 ? 24 : 16;
        c.num_layers = 1;
        c.prediction_length = 24;
        if (variant == 2) c.mode = PTM_MODE_MIX_CHANNEL;
        ptm_error err;
        ptm_model *m = NULL;
        CHECK_STATUS(ptm_config_finish(&c, "test", &err), PTM_OK);
        CHECK_STATUS(ptm_model_build(&c, &m, &err), PTM_OK);
        ptm_config_free(&c);
        if (!m) return;
        ptm_model_init_weights(m, 40 + variant);
        const ptm_config *mc = ptm_model_config(m);
        int B = 3;
        size_t n = (size_t)B * mc->context_length * mc->num_input_channels;
        size_t no = (size_t)B * mc->prediction_length * mc->num_input_channels;
        float *x = malloc(n * sizeof(float)), *ref = malloc(no * sizeof(float));
        unsigned seed = 77;
        for (size_t i = 0; i < n; i++) x[i] = frand(&seed) + 0.1f * (float)(i % 13);
        int levels[3] = {PTM_KERNELS_SCALAR, PTM_KERNELS_AVX2, PTM_KERNELS_AVX512};
        for (int li = 0; li < 3; li++) {
            int prev = ptm_kernels_set_max_level(levels[li]);
            if (ptm_kernels_level() == levels[li]) {
                ptm_ctx *ctx = NULL;
                ptm_ctx_params cp = ptm_ctx_default_params();
                cp.max_batch = B;
                cp.keep_hidden_states = 1;
                cp.num_threads = 2;
                CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx, &err), PTM_OK);
                ptm_inputs in;
                memset(&in, 0, sizeof in);
                in.batch = B;
                in.past_values = x;
                ptm_tensor_view v;
                if (ctx && ptm_forward(ctx, &in, &err) == PTM_OK &&
                    ptm_ctx_output(ctx, "prediction_outputs", &v, &err) == PTM_OK) {
                    if (li == 0) {
                        memcpy(ref, v.data, no * sizeof(float));
                    } else {
                        double worst = 0.0, top = 0.0;
                        for (size_t i = 0; i < no; i++) {
                            double d = fabs((double)v.data[i] - (double)ref[i]);
                            worst = d > worst ? d : worst;
                            top = fabs((double)ref[i]) > top ? fabs((double)ref[i]) : top;
                        }
                        /* the paths agree to ~1e-6 here; 1e-5 still catches a 0.1% error in
                         * one softmax kernel, which the golden 1e-4 would let through */
                        CHECK(worst <= 1e-5 * (1.0 + top));
                    }
                } else {
                    CHECK(0);
                }
                ptm_ctx_free(ctx);
            }
            ptm_kernels_set_max_level(prev);
        }
        free(x);
        free(ref);
        ptm_model_free(m);
    }
}

int main(void) {
    RUN(test_gemm_shapes);
    RUN(test_linear_fused);
    RUN(test_gemm_series);
    RUN(test_linear_fast_path);
    RUN(test_gelu_fast);
    RUN(test_vector_kernels);
    RUN(test_layernorm_kernels);
    RUN(test_adamw_kernel);
    RUN(test_scaler_rows_kernel);
    RUN(test_dropout_masks);
    RUN(test_threads_deterministic);
    RUN(test_eval_chunks_deterministic);
    RUN(test_scale_paths);
    printf("kernels: %s\n", ptm_kernels_name());
    return test_summary("test_kernels");
}
