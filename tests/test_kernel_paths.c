/* test_kernel_paths.c - whole models on every kernel level and thread count: a forward and a
 * backward give bit-identical results on 1 and 3 threads, eval-mode chunks do not change any
 * output, and long contexts / many channels agree with the scalar level (every kernel path,
 * including the layers' splitting of rows over threads around the kernel table), and products
 * larger than L2 (AVX2's packed path) with the pool's column split of them. The
 * kernels one by one are in test_kernels.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "model/model.h"
#include "testutil.h"
#include "train/trainer.h"

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
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
    CHECK_STATUS(ptmi_config_finish(&c, "test", &err), PTM_OK);
    CHECK_STATUS(ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err), PTM_OK);
    ptm_config_free(&c);
    if (!m) return;
    ptmi_model_init_weights(m, 3);
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
    cp.num_threads = threads;
    cp.keep_hidden_states = 1; /* compare every layer's output too */
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
    for (int variant = 0; variant < 10; variant++) {
        ptm_config c;
        ptm_config_defaults(&c);
        c.model_class = variant == 3   ? PTM_CLASS_PRETRAINING
                        : variant == 4 ? PTM_CLASS_REGRESSION
                        : variant == 5 ? PTM_CLASS_CLASSIFICATION
                                       : PTM_CLASS_PREDICTION;
        /* 8, 9: 16 patches at d_model 16, the feature mixer's column form where the level has
         * it (with and without the gate) */
        c.context_length = variant >= 8 ? 128 : 48;
        c.patch_length = 8;
        c.patch_stride = variant >= 8 ? 8 : 5;
        c.gated_attn = variant != 9;
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
        CHECK_STATUS(ptmi_config_finish(&c, "test", &err), PTM_OK);
        CHECK_STATUS(ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err), PTM_OK);
        ptm_config_free(&c);
        if (!m) return;
        ptmi_model_init_weights(m, 11 + variant);
        int B = 5, N = ptm_model_config(m)->num_patches;
        size_t per = (size_t)ptm_model_config(m)->context_length * 3;
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

/* products whose right operand exceeds L2 (B of 1 MiB or more, rows far apart: the AVX2
 * level's packed path), at every level: within rounding of the oracle, and bit for bit what the
 * same level computes on 32-column slices (the unpacked path) and what ptmi_gemm_acc /
 * ptmi_linear_fused compute on 3 threads (split by columns) - the GEMM, transposed A, the
 * linear layer with GELU (op 0..3) */
static void large_op(const ptmi_kernel_table *kt, int op, size_t M, size_t nw, size_t K,
                     const float *A, const float *B, size_t ldb, const float *bias, float *C,
                     size_t ldc) {
    if (op < 2 && kt)
        kt->gemm_acc(M, nw, K, A, op ? 1 : K, op ? M : 1, B, ldb, C, ldc);
    else if (op < 2)
        ptmi_gemm_acc(M, nw, K, A, op ? 1 : K, op ? M : 1, B, ldb, C, ldc);
    else if (kt && kt->linear_fused)
        kt->linear(M, nw, K, A, K, B, ldb, bias, C, ldc, op == 3);
    else if (kt) /* what ptmi_linear_fused runs on a level without a fused kernel (NEON) */
        ptmi_linear_by_gemm(kt->gemm_acc, kt->gelu, M, nw, K, A, K, B, ldb, bias, C, ldc, op == 3);
    else
        ptmi_linear_fused(M, nw, K, A, K, B, ldb, bias, C, ldc, op == 3);
}

TEST(test_large_products) {
    const ptmi_kernel_table *ref = ptmi_kernels_at(PTMI_KERNELS_SCALAR);
    size_t shapes[][3] = {{40, 600, 520}, {300, 1100, 260}, {33, 4096, 70}};
    ptmi_pool *pool = ptmi_pool_create(3);
    for (int level = PTMI_KERNELS_AVX2; level <= PTMI_KERNELS_AVX512; level++) {
        const ptmi_kernel_table *kt = ptmi_kernels_at(level);
        if (!kt || level > ptmi_kernels_level()) continue;
        int prev = ptmi_kernels_set_max_level(level);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], ldb = N + 13;
            unsigned seed = 5 + (unsigned)s;
            float *A = malloc(M * K * sizeof(float)), *B = malloc(K * ldb * sizeof(float));
            float *bias = malloc(N * sizeof(float)), *C[4];
            for (size_t i = 0; i < M * K; i++) A[i] = frand(&seed);
            for (size_t i = 0; i < K * ldb; i++) B[i] = frand(&seed);
            for (size_t i = 0; i < N; i++) bias[i] = frand(&seed);
            for (int op = 0; op < 4; op++) {
                for (int v = 0; v < 4; v++) { /* oracle, level, slices, pool */
                    C[v] = malloc(M * N * sizeof(float));
                    for (size_t i = 0; i < M * N; i++) C[v][i] = 0.25f * (float)(i % 5);
                }
                large_op(ref, op, M, N, K, A, B, ldb, bias, C[0], N);
                large_op(kt, op, M, N, K, A, B, ldb, bias, C[1], N);
                for (size_t n0 = 0; n0 < N; n0 += 32)
                    large_op(kt, op, M, N - n0 < 32 ? N - n0 : 32, K, A, B + n0, ldb, bias + n0,
                             C[2] + n0, N);
                ptmi_pool *was = ptmi_pool_enter(pool);
                large_op(NULL, op, M, N, K, A, B, ldb, bias, C[3], N);
                ptmi_pool_leave(was);
                double worst = 0.0;
                for (size_t i = 0; i < M * N; i++) {
                    double d = fabs((double)C[1][i] - (double)C[0][i]) / (1.0 + fabs(C[0][i]));
                    worst = d > worst ? d : worst;
                }
                CHECK(worst < 1e-5);
                CHECK(memcmp(C[1], C[2], M * N * sizeof(float)) == 0);
                CHECK(memcmp(C[1], C[3], M * N * sizeof(float)) == 0);
                for (int v = 0; v < 4; v++) free(C[v]);
            }
            free(A);
            free(B);
            free(bias);
        }
        ptmi_kernels_set_max_level(prev);
    }
    ptmi_pool_free(pool);
}

/* patch weights beyond SHARED_PRODUCT_BYTES (ctx.c: 1024 patches, 8 MiB fc1): the chunks run on
 * the caller and each product is split over the threads by columns (kernels/gemm.c), through the
 * kernels' packed path - every output bit for bit the same on 1, 2 and 3 threads */
TEST(test_shared_products_deterministic) {
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = PTM_CLASS_PREDICTION;
    c.context_length = 2048;
    c.patch_length = 2;
    c.patch_stride = 2;
    c.num_input_channels = 2;
    c.d_model = 16;
    c.num_layers = 1;
    c.prediction_length = 12;
    ptm_error err;
    ptm_model *m = NULL;
    CHECK_STATUS(ptmi_config_finish(&c, "test", &err), PTM_OK);
    CHECK_STATUS(ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err), PTM_OK);
    ptm_config_free(&c);
    if (!m) return;
    ptmi_model_init_weights(m, 5);
    int B = 3;
    size_t n = (size_t)B * 2048 * 2;
    float *x = malloc(n * sizeof(float)), *out[3] = {NULL, NULL, NULL};
    size_t cnt[3] = {0, 0, 0};
    unsigned seed = 8;
    for (size_t i = 0; i < n; i++) x[i] = frand(&seed) + 0.05f * (float)(i % 11);
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = B;
    in.past_values = x;
    for (int t = 0; t < 3; t++) CHECK(eval_outputs(m, t + 1, B, &in, &out[t], &cnt[t]));
    for (int t = 1; t < 3; t++)
        CHECK(cnt[t] == cnt[0] && cnt[0] > 0 &&
              memcmp(out[t], out[0], cnt[0] * sizeof(float)) == 0);
    for (int t = 0; t < 3; t++) free(out[t]);
    free(x);
    ptm_model_free(m);
}

/* long contexts (many patches: weights past the GEMM's k and n blocks, wide gate rows) and many
 * channels, on every kernel path against the scalar oracle */
TEST(test_scale_paths) {
    for (int variant = 0; variant < 5; variant++) {
        ptm_config c;
        ptm_config_defaults(&c);
        c.model_class = PTM_CLASS_PREDICTION;
        c.context_length = variant == 0 ? 1024 : variant >= 3 ? 512 : 96;
        c.patch_length = variant == 0 ? 2 : 8;
        c.patch_stride = c.patch_length;
        c.num_input_channels = variant == 0 ? 2 : variant >= 3 ? 7 : 67;
        c.d_model = variant == 2 ? 24 : 16;
        c.num_layers = variant >= 3 ? 2 : 1;
        /* 3, 4: the seed configuration's shape (64 patches at d_model 16: the feature mixer's
         * column form on AVX-512), with and without the gates */
        c.gated_attn = variant != 4;
        c.prediction_length = 24;
        if (variant == 2) c.mode = PTM_MODE_MIX_CHANNEL;
        ptm_error err;
        ptm_model *m = NULL;
        CHECK_STATUS(ptmi_config_finish(&c, "test", &err), PTM_OK);
        CHECK_STATUS(ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err), PTM_OK);
        ptm_config_free(&c);
        if (!m) return;
        ptmi_model_init_weights(m, 40 + variant);
        /* the 1-D parameters (norm weights, biases) away from their init (1 or 0), so that a path
         * that drops one of them fails here */
        unsigned ps = 5;
        for (int i = 0; i < m->n_table; i++)
            if (m->table[i].f32 && m->table[i].ndim == 1 && m->table[i].trainable)
                for (size_t k = 0; k < m->table[i].numel; k++)
                    m->table[i].f32[k] += 0.3f * frand(&ps);
        const ptm_config *mc = ptm_model_config(m);
        int B = 3;
        size_t n = (size_t)B * mc->context_length * mc->num_input_channels;
        size_t no = (size_t)B * mc->prediction_length * mc->num_input_channels;
        float *x = malloc(n * sizeof(float)), *ref = malloc(no * sizeof(float));
        unsigned seed = 77;
        for (size_t i = 0; i < n; i++) x[i] = frand(&seed) + 0.1f * (float)(i % 13);
        int levels[3] = {PTMI_KERNELS_SCALAR, PTMI_KERNELS_AVX2, PTMI_KERNELS_AVX512};
        for (int li = 0; li < 3; li++) {
            int prev = ptmi_kernels_set_max_level(levels[li]);
            if (ptmi_kernels_level() == levels[li]) {
                ptm_ctx *ctx = NULL;
                ptm_ctx_params cp = ptm_ctx_default_params();
                cp.max_batch = B;
                cp.num_threads = 2;
                cp.keep_hidden_states = 1;
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
            ptmi_kernels_set_max_level(prev);
        }
        free(x);
        free(ref);
        ptm_model_free(m);
    }
}

int main(void) {
    RUN(test_threads_deterministic);
    RUN(test_eval_chunks_deterministic);
    RUN(test_scale_paths);
    RUN(test_large_products);
    RUN(test_shared_products_deterministic);
    printf("kernels: %s\n", ptmi_kernels_name());
    return test_summary("test_kernel_paths");
}
