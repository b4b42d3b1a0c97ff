/* test_kernels.c - every field of the kernel table (src/kernels/kernels.h) at every level this
 * CPU runs, against the scalar table (the oracles of src/kernels/..._ref.c), on shapes that hit
 * each tile, vector tail and fallback (M, N not multiples of the tile; transposed A; widths
 * that are not multiples of the vector; row tails of 16-row blocks): within rounding where the
 * kernels reorder sums, bit for bit where the table promises it (dropout masks, AdamW, the
 * scaler's statistics, LayerNorm's parameter gradients). Then the layers' fast paths
 * (transposed-weight linear, fast GELU, the scaler's row ranges, dropout statistics). Whole
 * models on every level: test_kernel_paths.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layers.h"
#include "base/rng.h"
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

static float *fvec(size_t n, unsigned *seed, float scale) {
    float *v = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) v[i] = scale * frand(seed);
    return v;
}

static float *fdup(const float *v, size_t n) {
    float *d = malloc((n ? n : 1) * sizeof(float));
    memcpy(d, v, n * sizeof(float));
    return d;
}

/* ---- one check per field: kt (the level) against ref (the scalar table) */

static void check_gemm_acc(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 1;
    size_t shapes[][3] = {{1, 1, 1},     {4, 16, 8},    {5, 17, 3},     {7, 8, 64},
                          {64, 128, 64}, {13, 31, 9},   {3, 96, 1024},  {130, 2, 4},
                          {9, 40, 7},    {4, 24, 200},  {9, 300, 700},  {8, 32, 64},
                          {17, 48, 5},   {23, 33, 300}, {448, 96, 1024}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        for (int trans = 0; trans < 2; trans++) {
            float *A = fvec(M * K, &seed, 1.0f), *B = fvec(K * N, &seed, 1.0f);
            float *C1 = fvec(M * N, &seed, 1.0f), *C2 = fdup(C1, M * N);
            size_t sam = trans ? 1 : K, sak = trans ? M : 1;
            ref->gemm_acc(M, N, K, A, sam, sak, B, N, C1, N);
            kt->gemm_acc(M, N, K, A, sam, sak, B, N, C2, N);
            CHECK(max_rel(C2, C1, M * N) < 1e-5);
            free(A);
            free(B);
            free(C1);
            free(C2);
        }
    }
}

/* the linear layer against the plain scalar layer (linear_forward_wb) and libm GELU, on shapes
 * that hit every tile edge and the k / n blocking; the output must be overwritten */
static void check_linear(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    (void)ref;
    unsigned seed = 3;
    size_t shapes[][3] = {{1, 1, 1},    {3, 200, 0},   {5, 20, 0},    {8, 32, 16},  {9, 33, 7},
                          {17, 16, 64}, {5, 130, 300}, {64, 128, 64}, {3, 7, 1024}, {23, 200, 257}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = fvec(M * K, &seed, 1.0f), *W = fvec(N * K, &seed, 0.3f);
        float *Wt = malloc(sizeof(float) * (K * N + 1)), *bias = fvec(N, &seed, 1.0f);
        float *want = malloc(sizeof(float) * M * N), *got = malloc(sizeof(float) * M * N);
        for (size_t n = 0; n < N; n++)
            for (size_t k = 0; k < K; k++) Wt[k * N + n] = W[n * K + k];
        for (int gelu = 0; gelu < 2; gelu++)
            for (int hasb = 0; hasb < 2; hasb++) {
                linear_forward_wb(want, A, W, hasb ? bias : NULL, M, (int)K, (int)N);
                if (gelu)
                    for (size_t i = 0; i < M * N; i++) want[i] = gelu_scalar(want[i]);
                for (size_t i = 0; i < M * N; i++) got[i] = 1e30f;
                kt->linear(M, N, K, A, K, Wt, N, hasb ? bias : NULL, got, N, gelu);
                CHECK(max_rel(got, want, M * N) < 1e-5);
            }
        free(A);
        free(W);
        free(Wt);
        free(bias);
        free(want);
        free(got);
    }
}

/* series products against a GEMM per series (row bias, libm GELU): odd series counts (a tile
 * split over two series), D of one and several vectors of the level's series width, and D
 * off that width (the kernel's GEMM fallback) */
static void check_gemm_series(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 9;
    size_t width = kt->series_width ? kt->series_width : 8;
    size_t shapes[][4] = {{128, 16, 64, 3}, {64, 32, 128, 5}, {13, 16, 7, 1},
                          {9, 48, 33, 4},   {7, 12, 9, 3},    {5, 5, 3, 2}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        size_t M = shapes[si][0],
               D = shapes[si][1] % 16 ? shapes[si][1] : shapes[si][1] / 16 * width;
        size_t K = shapes[si][2], S = shapes[si][3];
        float *A = fvec(M * K, &seed, 0.3f), *B = fvec(S * K * D, &seed, 1.0f);
        float *rb = fvec(M, &seed, 1.0f), *want = malloc(sizeof(float) * S * M * D);
        float *got = malloc(sizeof(float) * S * M * D);
        for (int gelu = 0; gelu < 2; gelu++) {
            for (size_t s = 0; s < S; s++) {
                float *c = want + s * M * D;
                for (size_t m = 0; m < M; m++)
                    for (size_t j = 0; j < D; j++) c[m * D + j] = rb[m];
                ref->gemm_acc(M, D, K, A, K, 1, B + s * K * D, D, c, D);
                if (gelu)
                    for (size_t i = 0; i < M * D; i++) c[i] = gelu_scalar(c[i]);
            }
            for (size_t i = 0; i < S * M * D; i++) got[i] = 1e30f;
            kt->gemm_series(M, D, K, A, K, B, K * D, D, rb, got, M * D, D, S, gelu);
            CHECK(max_rel(got, want, S * M * D) < 1e-5);
        }
        free(A);
        free(B);
        free(rb);
        free(want);
        free(got);
    }
}

/* GELU forward and the written, masked backward: every length up to two vectors (tails), and a
 * long one; in place for the forward */
static void check_gelu(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 11;
    size_t lens[4] = {1003, 7, 17, 33};
    for (int li = 0; li < 4; li++) {
        size_t n = lens[li];
        float *x = fvec(n, &seed, 6.0f), *g = fvec(n, &seed, 1.0f),
              *mask5 = fvec(n + 5, &seed, 1.0f);
        float *mask = mask5 + 5;
        float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
        ref->gelu(a, x, n);
        kt->gelu(b, x, n);
        CHECK(max_rel(b, a, n) < 2e-6);
        memcpy(b, x, n * sizeof(float));
        kt->gelu(b, b, n);
        CHECK(max_rel(b, a, n) < 2e-6);
        /* the mask of a key (ptmi_drop_key) from element 5 on, stored by dropout_mask; gelu_mask
         * is this level's GELU times it, bit for bit (in place too) */
        ptmi_drop_key key = {0x9e3779b9u, 0x7f4a7c15u, 1288490188u, 1.25f};
        kt->dropout_mask(mask - 5, 5, 5 + n, key.lo, key.hi, key.thr, key.keep);
        kt->gelu(a, x, n);
        for (size_t i = 0; i < n; i++) a[i] *= mask[i];
        kt->gelu_mask(b, x, &key, 5, n);
        CHECK(memcmp(a, b, n * sizeof(float)) == 0);
        memcpy(b, x, n * sizeof(float));
        kt->gelu_mask(b, b, &key, 5, n);
        CHECK(memcmp(a, b, n * sizeof(float)) == 0);
        for (int m = 0; m < 2; m++) {
            ref->gelu_backward_set(a, x, g, m ? &key : NULL, 5, n);
            for (size_t i = 0; i < n; i++) b[i] = 1e30f;
            kt->gelu_backward_set(b, x, g, m ? &key : NULL, 5, n);
            CHECK(max_rel(b, a, n) < 2e-6);
            if (m) { /* the key's mask is the stored one: the reference on it */
                float *c = malloc(n * sizeof(float));
                for (size_t i = 0; i < n; i++) c[i] = g[i] * mask[i];
                ref->gelu_backward_set(b, x, c, NULL, 0, n);
                CHECK(memcmp(a, b, n * sizeof(float)) == 0);
                free(c);
            }
        }
        free(x);
        free(g);
        free(mask5);
        free(a);
        free(b);
    }
}

/* the transpose, bit-identical to the scalar loop: block multiples, edges in both directions,
 * shapes smaller than one block; with and without the added term (and -0 + 0 = +0 without) */
static void check_transpose(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 12;
    int shapes[9][2] = {{64, 16}, {16, 64}, {63, 16}, {16, 63}, {7, 5},
                        {33, 48}, {1, 17},  {40, 24}, {8, 8}};
    for (int si = 0; si < 9; si++) {
        int x = shapes[si][0], y = shapes[si][1];
        size_t n = (size_t)x * y;
        float *in = fvec(n, &seed, 3.0f), *add = fvec(n, &seed, 1.0f);
        in[0] = -0.0f;
        float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
        for (int withadd = 0; withadd < 2; withadd++) {
            ref->transpose(a, in, withadd ? add : NULL, x, y);
            for (size_t i = 0; i < n; i++) b[i] = 1e30f;
            kt->transpose(b, in, withadd ? add : NULL, x, y);
            CHECK(memcmp(a, b, n * sizeof(float)) == 0);
            CHECK(a[(size_t)1 * x] == in[1] + (withadd ? add[(size_t)1 * x] : 0.0f));
        }
        free(in);
        free(add);
        free(a);
        free(b);
    }
}

/* column sums, bit for bit with the scalar loop: widths around the vector and block sizes */
static void check_col_sums(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 14;
    size_t widths[8] = {16, 32, 7, 63, 128, 130, 200, 1}, rows = 37;
    for (int wi = 0; wi < 8; wi++) {
        size_t n = widths[wi];
        float *x = fvec(rows * n, &seed, 3.0f), *a = fvec(n, &seed, 1.0f);
        float *b = malloc(n * sizeof(float));
        memcpy(b, a, n * sizeof(float));
        ref->col_sums(a, x, rows, n);
        kt->col_sums(b, x, rows, n);
        CHECK(memcmp(a, b, n * sizeof(float)) == 0);
        free(x);
        free(a);
        free(b);
    }
}

/* the gate along rows: widths with and without a vector tail, 16 (the 16-row blocks), row
 * counts with a block tail; with and without the residual */
static void check_softmax_gate(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 13;
    int widths[9] = {16, 12, 7, 64, 70, 8, 24, 48, 192};
    for (int wi = 0; wi < 9; wi++) {
        size_t w = (size_t)widths[wi], rows = 37, nn = rows * w;
        float *in = fvec(nn, &seed, 3.0f), *logits = fvec(nn, &seed, 4.0f);
        float *res = fvec(nn, &seed, 1.0f);
        float *p1 = malloc(nn * sizeof(float)), *p2 = malloc(nn * sizeof(float));
        float *o1 = malloc(nn * sizeof(float)), *o2 = malloc(nn * sizeof(float));
        for (int r = 0; r < 2; r++) {
            memcpy(p1, logits, nn * sizeof(float));
            memcpy(p2, logits, nn * sizeof(float));
            ref->softmax_gate(o1, p1, in, rows, (int)w, r ? res : NULL);
            kt->softmax_gate(o2, p2, in, rows, (int)w, r ? res : NULL);
            CHECK(max_rel(p2, p1, nn) < 2e-6);
            CHECK(max_rel(o2, o1, nn) < 2e-6);
            /* a row's result does not depend on its place in the call (chunked forwards):
             * rows one call each, bit for bit */
            int same = 1;
            for (size_t i = 0; i < rows; i++) {
                float p3[192], o3[192];
                memcpy(p3, logits + i * w, w * sizeof(float));
                kt->softmax_gate(o3, p3, in + i * w, 1, (int)w, r ? res + i * w : NULL);
                same &= memcmp(p3, p2 + i * w, w * sizeof(float)) == 0 &&
                        memcmp(o3, o2 + i * w, w * sizeof(float)) == 0;
            }
            CHECK(same);
        }
        free(in);
        free(logits);
        free(res);
        free(p1);
        free(p2);
        free(o1);
        free(o2);
    }
}

/* the gate down columns (mix_channel's channel gate, the patch gate): r rows mixed, w columns;
 * widths with and without a partial vector, a single row */
static void check_softmax_cols_gate(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 17;
    size_t cw[5] = {16, 37, 160, 8, 5};
    int rs[2] = {7, 1};
    for (int ci = 0; ci < 5; ci++)
        for (int ri = 0; ri < 2; ri++) {
            int r = rs[ri];
            size_t w = cw[ci], nn = (size_t)r * w;
            float *in = fvec(nn, &seed, 3.0f), *logits = fvec(nn, &seed, 4.0f);
            float *res = fvec(nn, &seed, 1.0f);
            float *p1 = fdup(logits, nn), *p2 = fdup(logits, nn);
            float *o1 = malloc(nn * sizeof(float)), *o2 = malloc(nn * sizeof(float));
            for (int q = 0; q < 2; q++) {
                memcpy(p1, logits, nn * sizeof(float));
                memcpy(p2, logits, nn * sizeof(float));
                ref->softmax_cols_gate(o1, p1, in, r, w, q ? res : NULL);
                kt->softmax_cols_gate(o2, p2, in, r, w, q ? res : NULL);
                CHECK(max_rel(p2, p1, nn) < 2e-6);
                CHECK(max_rel(o2, o1, nn) < 2e-6);
            }
            free(in);
            free(logits);
            free(res);
            free(p1);
            free(p2);
            free(o1);
            free(o2);
        }
}

/* gated attention backward: dz written, dx accumulated; softmax rows as p */
static void check_gate_backward(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 19;
    int widths[7] = {16, 12, 7, 64, 70, 8, 24};
    for (int wi = 0; wi < 7; wi++) {
        size_t w = (size_t)widths[wi], rows = 37, nn = rows * w;
        float *x = fvec(nn, &seed, 3.0f), *dy = fvec(nn, &seed, 1.0f), *p = fvec(nn, &seed, 4.0f);
        float *o = malloc(nn * sizeof(float));
        ref->softmax_gate(o, p, x, rows, (int)w, NULL); /* p: softmax rows */
        float *dx1 = malloc(nn * sizeof(float)), *dx2 = malloc(nn * sizeof(float));
        float *dz1 = malloc(nn * sizeof(float)), *dz2 = malloc(nn * sizeof(float));
        for (size_t i = 0; i < nn; i++) {
            dx1[i] = dx2[i] = 0.5f;
            dz2[i] = 1e30f;
        }
        ref->gate_backward(dx1, dz1, dy, x, p, rows, (int)w);
        kt->gate_backward(dx2, dz2, dy, x, p, rows, (int)w);
        CHECK(max_rel(dx2, dx1, nn) < 1e-5);
        CHECK(max_rel(dz2, dz1, nn) < 1e-5);
        free(x);
        free(dy);
        free(p);
        free(o);
        free(dx1);
        free(dx2);
        free(dz1);
        free(dz2);
    }
}

/* LayerNorm forward (outputs and saved statistics, with and without them), d(input) and the
 * parameter gradients: widths the kernels take (multiples of 16 and 8 to 64; forward: multiples
 * of 8 to 256, TinyTimeMixer's 96, 128, 192) and those they hand on (12 and 264; in the
 * backward 80 to 264; forward bit for bit there, rows in double lanes), row counts around the
 * 8- and 16-row blocks */
static void check_layernorm(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    unsigned seed = 31;
    int widths[13] = {8, 16, 24, 32, 48, 64, 12, 80, 96, 128, 192, 256, 264};
    size_t nrows[5] = {1, 15, 16, 17, 53};
    for (int wi = 0; wi < 13; wi++)
        for (int ri = 0; ri < 5; ri++) {
            int d = widths[wi];
            size_t rows = nrows[ri], n = rows * (size_t)d;
            float *x = malloc(n * sizeof(float)), *w = malloc((size_t)d * sizeof(float));
            float *b = fvec((size_t)d, &seed, 1.0f);
            for (size_t i = 0; i < n; i++) x[i] = 3.0f * frand(&seed) + 0.5f * (float)(i % 7);
            for (int i = 0; i < d; i++) w[i] = 1.0f + frand(&seed);
            float *y1 = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
            float *m1 = malloc(rows * sizeof(float)), *m2 = malloc(rows * sizeof(float));
            float *s1 = malloc(rows * sizeof(float)), *s2 = malloc(rows * sizeof(float));
            ref->layernorm(y1, m1, s1, x, w, b, rows, d, 1e-5f);
            kt->layernorm(y2, m2, s2, x, w, b, rows, d, 1e-5f);
            CHECK(max_rel(y2, y1, n) < 2e-6);
            CHECK(max_rel(m2, m1, rows) < 2e-6);
            CHECK(max_rel(s2, s1, rows) < 2e-6);
            /* the row-lane kernel: the oracle's sums */
            if (d % 8 || d > 256)
                CHECK(memcmp(y1, y2, n * sizeof(float)) == 0 &&
                      memcmp(m1, m2, rows * sizeof(float)) == 0 &&
                      memcmp(s1, s2, rows * sizeof(float)) == 0);
            kt->layernorm(y2, NULL, NULL, x, w, b, rows, d, 1e-5f);
            CHECK(max_rel(y2, y1, n) < 2e-6);
            /* backward: dinp accumulated; dweight and dbias summed over the rows, bit for bit */
            float *g = fvec(n, &seed, 1.0f), *dx1 = malloc(n * sizeof(float));
            float *dx2 = malloc(n * sizeof(float)), dw1[264], dw2[264], db1[264], db2[264];
            for (size_t i = 0; i < n; i++) dx1[i] = dx2[i] = 0.25f;
            for (int i = 0; i < d; i++) dw1[i] = dw2[i] = db1[i] = db2[i] = 0.5f;
            ref->layernorm_backward(dx1, g, x, w, m1, s1, rows, d);
            kt->layernorm_backward(dx2, g, x, w, m1, s1, rows, d);
            CHECK(max_rel(dx2, dx1, n) < 1e-5);
            ref->layernorm_param_grads(dw1, db1, g, x, m1, s1, rows, d);
            kt->layernorm_param_grads(dw2, db2, g, x, m1, s1, rows, d);
            CHECK(memcmp(dw1, dw2, (size_t)d * sizeof(float)) == 0);
            CHECK(memcmp(db1, db2, (size_t)d * sizeof(float)) == 0);
            kt->layernorm_param_grads(NULL, db2, g, x, m1, s1, rows, d); /* one of the two */
            ref->layernorm_param_grads(NULL, db1, g, x, m1, s1, rows, d);
            CHECK(memcmp(db1, db2, (size_t)d * sizeof(float)) == 0);
            free(x);
            free(w);
            free(b);
            free(y1);
            free(y2);
            free(m1);
            free(m2);
            free(s1);
            free(s2);
            free(g);
            free(dx1);
            free(dx2);
        }
}

/* dropout masks over ranges that start and end off the vector width, bit for bit */
static void check_dropout_mask(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    size_t n = 4099;
    float *m1 = malloc(n * sizeof(float)), *m2 = malloc(n * sizeof(float));
    size_t ranges[4][2] = {{0, 4099}, {3, 1003}, {256, 263}, {5, 5}};
    uint32_t thr[3] = {0, 1288490188u, 4294967295u};
    for (int ri = 0; ri < 4; ri++)
        for (int ti = 0; ti < 3; ti++) {
            for (size_t i = 0; i < n; i++) m1[i] = m2[i] = -1.0f;
            ref->dropout_mask(m1, ranges[ri][0], ranges[ri][1], 0x9e3779b9u, 0x7f4a7c15u, thr[ti],
                              1.25f);
            kt->dropout_mask(m2, ranges[ri][0], ranges[ri][1], 0x9e3779b9u, 0x7f4a7c15u, thr[ti],
                             1.25f);
            CHECK(memcmp(m1, m2, n * sizeof(float)) == 0);
            /* dropout_mul computes the same mask: ones times it, in place */
            ptmi_drop_key key = {0x9e3779b9u, 0x7f4a7c15u, thr[ti], 1.25f};
            size_t i0 = ranges[ri][0], len = ranges[ri][1] - i0;
            for (size_t i = 0; i < n; i++) m2[i] = 1.0f;
            kt->dropout_mul(m2 + i0, m2 + i0, &key, i0, len);
            CHECK(memcmp(m1 + i0, m2 + i0, len * sizeof(float)) == 0);
        }
    free(m1);
    free(m2);
}

/* AdamW: bit for bit with the scalar loop (fmaf), with and without a decay mask, an odd
 * length for the tail, three steps */
static void check_adamw(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    size_t n = 1237;
    unsigned seed = 41;
    float *p[2], *m[2], *v[2], *g = fvec(n, &seed, 1.0f);
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
        mask[i] = (unsigned char)(frand(&seed) > 0.0f);
    }
    for (int step = 1; step <= 3; step++) {
        const unsigned char *dm = step == 2 ? NULL : mask;
        float bc2 = sqrtf(1.0f - powf(0.999f, (float)step)),
              st = -1e-3f / (1.0f - powf(0.9f, (float)step));
        ref->adamw(p[0], g, m[0], v[0], n, dm, 0.9995f, 0.9f, 0.1f, 0.999f, 0.001f, st, bc2, 1e-8f);
        kt->adamw(p[1], g, m[1], v[1], n, dm, 0.9995f, 0.9f, 0.1f, 0.999f, 0.001f, st, bc2, 1e-8f);
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

/* std-scaler statistics of 1..8 adjacent channels, with and without an observed mask (some
 * series fully unobserved), bit for bit */
static void check_std_stats(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    int L = 40, C = 11;
    size_t nx = (size_t)L * C;
    unsigned seed = 57;
    float *x = malloc(nx * sizeof(float)), *obs = malloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; i++) {
        x[i] = 4.0f * frand(&seed) + 0.5f * (float)(i % 5);
        obs[i] = frand(&seed) > -0.6f && i % (size_t)C != 9 ? 1.0f : 0.0f;
    }
    for (int nc = 1; nc <= 8; nc++)
        for (int o = 0; o < 2; o++)
            for (int ch = 0; ch + nc <= C; ch += 3) {
                float l1[8], l2[8], s1[8], s2[8];
                ref->std_stats(l1, s1, x + ch, o ? obs + ch : NULL, L, C, nc);
                kt->std_stats(l2, s2, x + ch, o ? obs + ch : NULL, L, C, nc);
                CHECK(memcmp(l1, l2, (size_t)nc * sizeof(float)) == 0);
                CHECK(memcmp(s1, s2, (size_t)nc * sizeof(float)) == 0);
            }
    free(x);
    free(obs);
}

/* the fused linear gate (where a table has one): bit-identical to the table's own linear layer
 * followed by its softmax_gate, and close to the oracle's two steps; row counts with a band tail,
 * widths 16 to 192, with and without the residual, and in place on the residual as the layers
 * call it */
static void check_linear_gate(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    if (!kt->linear_gate) {
        CHECK(kt->gate_width == 0);
        return;
    }
    CHECK(kt->gate_width == 8 || kt->gate_width == 16);
    unsigned seed = 29;
    size_t widths[4] = {16, 48, 64, 192}, rows[3] = {1, 8, 21};
    for (int wi = 0; wi < 4; wi++)
        for (int ri = 0; ri < 3; ri++)
            for (int r = 0; r < 3; r++) { /* no residual, a residual, in place on it */
                size_t D = widths[wi], M = rows[ri], n = M * D;
                float *x = fvec(n, &seed, 2.0f), *W = fvec(D * D, &seed, 0.3f);
                float *b = fvec(D, &seed, 0.5f), *res = fvec(n, &seed, 1.0f);
                float *p1 = malloc(n * sizeof(float)), *p2 = malloc(n * sizeof(float));
                float *two = malloc(n * sizeof(float)), *oracle = malloc(n * sizeof(float));
                float *got = r == 2 ? fdup(res, n) : malloc(n * sizeof(float));
                const float *rs = r ? res : NULL;
                kt->linear(M, D, D, x, D, W, D, b, p1, D, 0);
                kt->softmax_gate(two, p1, x, M, (int)D, rs);
                ref->linear(M, D, D, x, D, W, D, b, p2, D, 0);
                ref->softmax_gate(oracle, p2, x, M, (int)D, rs);
                kt->linear_gate(M, D, x, D, W, D, b, r == 2 ? got : rs, D, got, D);
                CHECK(memcmp(got, two, n * sizeof(float)) == 0);
                CHECK(max_rel(got, oracle, n) < 1e-5);
                free(x);
                free(W);
                free(b);
                free(res);
                free(p1);
                free(p2);
                free(two);
                free(oracle);
                free(got);
            }
}

/* the fused patch gate (where a table has one): bit-identical to the table's gemm_series
 * followed by its softmax_cols_gate per series, and close to the oracle's two steps; every row
 * count 1..series_gate_rows, widths of one to three vectors, series counts with a vector tail
 * (D 16: the tile pairs vectors of two series), with and without the residual, in place on it */
static void check_series_gate(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    if (!kt->series_gate) {
        CHECK(kt->series_gate_rows == 0);
        return;
    }
    CHECK(kt->series_width > 0 && kt->series_gate_rows >= 8);
    unsigned seed = 31;
    size_t S_list[3] = {1, 3, 4};
    for (size_t R = 1; R <= kt->series_gate_rows; R++)
        for (size_t dv = 1; dv <= 3; dv++)
            for (int si = 0; si < 3; si++)
                for (int r = 0; r < 3; r++) { /* no residual, a residual, in place on it */
                    size_t D = dv * kt->series_width, S = S_list[si], ss = R * D, n = S * ss;
                    float *y = fvec(n, &seed, 2.0f), *A = fvec(R * R, &seed, 0.4f);
                    float *b = fvec(R, &seed, 0.5f), *res = fvec(n, &seed, 1.0f);
                    float *p1 = malloc(n * sizeof(float)), *p2 = malloc(n * sizeof(float));
                    float *two = malloc(n * sizeof(float)), *oracle = malloc(n * sizeof(float));
                    float *got = r == 2 ? fdup(res, n) : malloc(n * sizeof(float));
                    const float *rs = r ? res : NULL;
                    kt->gemm_series(R, D, R, A, R, y, ss, D, b, p1, ss, D, S, 0);
                    ref->gemm_series(R, D, R, A, R, y, ss, D, b, p2, ss, D, S, 0);
                    for (size_t s = 0; s < S; s++) {
                        kt->softmax_cols_gate(two + s * ss, p1 + s * ss, y + s * ss, (int)R, D,
                                              rs ? rs + s * ss : NULL);
                        ref->softmax_cols_gate(oracle + s * ss, p2 + s * ss, y + s * ss, (int)R, D,
                                               rs ? rs + s * ss : NULL);
                    }
                    kt->series_gate(R, D, A, b, y, r == 2 ? got : rs, got, ss, S);
                    CHECK(memcmp(got, two, n * sizeof(float)) == 0);
                    CHECK(max_rel(got, oracle, n) < 1e-5);
                    free(y);
                    free(A);
                    free(b);
                    free(res);
                    free(p1);
                    free(p2);
                    free(two);
                    free(oracle);
                    free(got);
                }
}

/* the feature mixer's column form at width 16 (where a table has it): norm_cols16 equals the
 * oracle's LayerNorm transposed, gate_cols16 the oracle's linear + softmax gate + residual on the
 * rows (with and without the gate, in place on the residual), within float rounding */
static void check_feature_cols(const ptmi_kernel_table *kt, const ptmi_kernel_table *ref) {
    if (!kt->norm_cols16) {
        CHECK(kt->gate_cols16 == NULL);
        return;
    }
    CHECK(kt->gate_cols16 != NULL && kt->gemm_series && kt->series_width);
    unsigned seed = 37;
    size_t rows_list[2] = {16, 48};
    for (int ri = 0; ri < 2; ri++) {
        size_t R = rows_list[ri], n = R * 16, ldt = R + 16; /* a wider stride than R */
        float *x = fvec(n, &seed, 2.0f), *w = fvec(16, &seed, 1.0f), *b = fvec(16, &seed, 0.5f);
        for (size_t i = 0; i < n; i++) x[i] += (float)(i % 7); /* rows with a mean */
        float *rows_out = malloc(n * sizeof(float)), *xt = malloc(16 * ldt * sizeof(float));
        ref->layernorm(rows_out, NULL, NULL, x, w, b, R, 16, 1e-5f);
        kt->norm_cols16(xt, ldt, x, R, w, b, 1e-5f);
        double worst = 0.0;
        for (size_t r = 0; r < R; r++)
            for (size_t f = 0; f < 16; f++) {
                double d = fabs((double)xt[f * ldt + r] - (double)rows_out[r * 16 + f]);
                worst = d > worst ? d : worst;
            }
        CHECK(worst < 1e-5);
        float *yt = fvec(16 * ldt, &seed, 1.5f), *A = fvec(256, &seed, 0.4f);
        float *At = malloc(256 * sizeof(float)), *y = malloc(n * sizeof(float));
        for (int i = 0; i < 16; i++)
            for (int k = 0; k < 16; k++) At[k * 16 + i] = A[i * 16 + k];
        for (size_t r = 0; r < R; r++)
            for (size_t f = 0; f < 16; f++) y[r * 16 + f] = yt[f * ldt + r];
        for (int g = 0; g < 2; g++)
            for (int inplace = 0; inplace < 2; inplace++) {
                float *res = fvec(n, &seed, 1.0f), *want = malloc(n * sizeof(float));
                float *p = malloc(n * sizeof(float));
                float *got = inplace ? fdup(res, n) : malloc(n * sizeof(float));
                if (g) {
                    ref->linear(R, 16, 16, y, 16, At, 16, b, p, 16, 0);
                    ref->softmax_gate(want, p, y, R, 16, res);
                } else {
                    for (size_t i = 0; i < n; i++) want[i] = y[i] + res[i];
                }
                kt->gate_cols16(got, inplace ? got : res, R, g ? A : NULL, b, yt, ldt);
                CHECK(max_rel(got, want, n) < 1e-5);
                free(res);
                free(want);
                free(p);
                free(got);
            }
        free(x);
        free(w);
        free(b);
        free(rows_out);
        free(xt);
        free(yt);
        free(A);
        free(At);
        free(y);
    }
}

/* every field of every table this CPU runs: set, and equal to the oracle */
TEST(test_table_fields) {
    const ptmi_kernel_table *ref = ptmi_kernels_at(PTMI_KERNELS_SCALAR);
    CHECK(ref != NULL);
    if (!ref) return;
    int levels[3] = {PTMI_KERNELS_SCALAR, PTMI_KERNELS_AVX2, PTMI_KERNELS_AVX512}, tested = 0;
    for (int li = 0; li < 3; li++) {
        const ptmi_kernel_table *kt = ptmi_kernels_at(levels[li]);
        if (!kt) continue;
        tested++;
        CHECK(kt->name && kt->gemm_acc && kt->linear && kt->gemm_series && kt->gelu &&
              kt->gelu_backward_set && kt->gelu_mask && kt->dropout_mul && kt->transpose &&
              kt->col_sums && kt->softmax_gate && kt->softmax_cols_gate && kt->gate_backward &&
              kt->layernorm && kt->layernorm_backward && kt->layernorm_param_grads &&
              kt->dropout_mask && kt->adamw && kt->std_stats);
        CHECK(kt->series_width == 0 || kt->series_width % 8 == 0);
        check_gemm_acc(kt, ref);
        check_linear(kt, ref);
        check_gemm_series(kt, ref);
        check_gelu(kt, ref);
        check_transpose(kt, ref);
        check_col_sums(kt, ref);
        check_softmax_gate(kt, ref);
        check_softmax_cols_gate(kt, ref);
        check_linear_gate(kt, ref);
        check_series_gate(kt, ref);
        check_feature_cols(kt, ref);
        check_gate_backward(kt, ref);
        check_layernorm(kt, ref);
        check_dropout_mask(kt, ref);
        check_adamw(kt, ref);
        check_std_stats(kt, ref);
        printf("kernel table %s: every field checked\n", kt->name);
    }
    /* the level in use is one of them, and capping selects the scalar table */
    int prev = ptmi_kernels_force_scalar(1);
    CHECK(ptmi_kernels() == ref && strcmp(ptmi_kernels_name(), "scalar") == 0);
    ptmi_kernels_force_scalar(prev);
    CHECK(tested >= 1);
}

/* the pool entry points at every level: the fused linear layer (or bias + GEMM + GELU where a
 * level has no fused kernel), the written form of linear_backward_set, and the series products
 * on and off the level's series width, against the scalar GEMM */
TEST(test_entry_points) {
    unsigned seed = 5;
    size_t M = 19, N = 12, K = 37;
    float *A = fvec(M * K, &seed, 1.0f), *W = fvec(N * K, &seed, 0.3f), *b = fvec(N, &seed, 1.0f);
    float *Wt = malloc(K * N * sizeof(float)), *want = malloc(3 * M * K * sizeof(float));
    float *got = malloc(3 * M * K * sizeof(float));
    for (size_t n = 0; n < N; n++)
        for (size_t k = 0; k < K; k++) Wt[k * N + n] = W[n * K + k];
    int levels[3] = {PTMI_KERNELS_SCALAR, PTMI_KERNELS_AVX2, PTMI_KERNELS_AVX512};
    for (int li = 0; li < 3; li++) {
        int prev = ptmi_kernels_set_max_level(levels[li]);
        for (int gelu = 0; gelu < 2; gelu++) {
            linear_forward_wb(want, A, W, b, M, (int)K, (int)N);
            if (gelu)
                for (size_t i = 0; i < M * N; i++) want[i] = gelu_scalar(want[i]);
            for (size_t i = 0; i < M * N; i++) got[i] = 1e30f;
            ptmi_linear_fused(M, N, K, A, K, Wt, N, b, got, N, gelu);
            CHECK(max_rel(got, want, M * N) < 1e-5);
        }
        /* dinp = dout W written over garbage (dout [M, N], W [N, K]) */
        memset(want, 0, M * K * sizeof(float));
        ptmi_gemm_acc_ref(M, K, N, A, K, 1, W, K, want, K);
        for (size_t i = 0; i < M * K; i++) got[i] = 1e30f;
        ptmi_linear_fused(M, K, N, A, K, W, K, NULL, got, K, 0);
        CHECK(max_rel(got, want, M * K) < 1e-5);
        /* series products: S = 3 series of D columns, D 16 (on the width) and 12 (off it) */
        size_t Ds[2] = {16, 12};
        for (int di = 0; di < 2; di++) {
            size_t D = Ds[di], S = 3, KS = 5;
            for (size_t s = 0; s < S; s++) {
                float *c = want + s * M * D;
                for (size_t m = 0; m < M; m++)
                    for (size_t j = 0; j < D; j++) c[m * D + j] = b[m % N];
                ptmi_gemm_acc_ref(M, D, KS, A, KS, 1, W + s * KS * D, D, c, D);
                for (size_t i = 0; i < M * D; i++) c[i] = gelu_scalar(c[i]);
            }
            float rb[19];
            for (size_t m = 0; m < M; m++) rb[m] = b[m % N];
            for (size_t i = 0; i < S * M * D; i++) got[i] = 1e30f;
            ptmi_gemm_series(M, D, KS, A, KS, W, KS * D, D, rb, got, M * D, D, S, 1);
            CHECK(max_rel(got, want, S * M * D) < 1e-5);
        }
        ptmi_kernels_set_max_level(prev);
    }
    free(A);
    free(W);
    free(b);
    free(Wt);
    free(want);
    free(got);
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
    ptmi_linear lin = {w, b, wt, NULL, out, in};
    linear_forward_wb(y1, x, w, b, rows, in, out);
    linear_forward(y2, x, &lin, rows);
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
        double d = fabs((double)ptmi_gelu_fast(x) - (double)gelu_scalar(x));
        if (d > worst) worst = d;
    }
    CHECK(worst < 2e-6);
}

/* std scaling + patching of a row range (the layer groups up to 8 channels per kernel call):
 * bit-identical at every level, with an observed mask, ranges that start and end inside a
 * sample, and more channels than one call takes */
TEST(test_scaler_rows_kernel) {
    int B = 3, L = 40, C = 11, N = 7, P = 6, stride = 5;
    size_t nx = (size_t)B * L * C, rows = (size_t)B * C;
    unsigned seed = 57;
    float *x = malloc(nx * sizeof(float)), *obs = malloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; i++) {
        x[i] = 4.0f * frand(&seed) + 0.5f * (float)(i % 5);
        obs[i] = frand(&seed) > -0.6f ? 1.0f : 0.0f;
    }
    int levels[3] = {PTMI_KERNELS_SCALAR, PTMI_KERNELS_AVX2, PTMI_KERNELS_AVX512};
    float *pa[3], *lo[3], *sc[3];
    for (int k = 0; k < 3; k++) {
        pa[k] = calloc(rows * N * P, sizeof(float));
        lo[k] = calloc(rows, sizeof(float));
        sc[k] = calloc(rows, sizeof(float));
        int prev = ptmi_kernels_set_max_level(levels[k]);
        size_t cuts[4] = {0, 5, 19, rows}; /* ranges across sample boundaries */
        for (int q = 0; q < 3; q++)
            scaler_patchify_forward(pa[k], lo[k], sc[k], x, q == 1 ? NULL : obs, PTM_SCALING_STD, L,
                                    C, N, P, stride, cuts[q], cuts[q + 1]);
        ptmi_kernels_set_max_level(prev);
    }
    for (int k = 1; k < 3; k++) {
        CHECK(memcmp(lo[0], lo[k], rows * sizeof(float)) == 0);
        CHECK(memcmp(sc[0], sc[k], rows * sizeof(float)) == 0);
        CHECK(memcmp(pa[0], pa[k], rows * N * P * sizeof(float)) == 0);
    }
    for (int k = 0; k < 3; k++) {
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
    ptmi_rng r1, r2;
    ptmi_rng_seed(&r1, 17);
    ptmi_rng_seed(&r2, 17);
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
    ptmi_rng_seed(&r1, 23);
    ptmi_rng_seed(&r2, 23);
    int prev = ptmi_kernels_force_scalar(1);
    dropout_mask_fill(m1, n - 5, 0.3f, &r1);
    ptmi_kernels_force_scalar(0);
    dropout_mask_fill(m2, n - 5, 0.3f, &r2);
    ptmi_kernels_force_scalar(prev);
    CHECK(memcmp(m1, m2, (n - 5) * sizeof(float)) == 0);
    free(m1);
    free(m2);
}

int main(void) {
    RUN(test_table_fields);
    RUN(test_entry_points);
    RUN(test_linear_fast_path);
    RUN(test_gelu_fast);
    RUN(test_scaler_rows_kernel);
    RUN(test_dropout_masks);
    printf("kernels: %s\n", ptmi_kernels_name());
    return test_summary("test_kernels");
}
