/* test_ttm_forward.c - TinyTimeMixer inference beyond the golden values: inputs a model cannot
 * use are refused with exact messages (frequency token, static categoricals, the known future
 * of exogenous channels, the observed-future mask, a short past), a sample's forecast does not
 * depend on the batch it is in nor on the thread count, and a context cannot train a TTM
 * model yet. */
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"
#include "testutil.h"

#define GOLDEN "tests/golden/ttm/"

typedef struct {
    ptm_model *m;
    st_file in;
    float *past, *fut;
    int batch, past_length;
} golden_run;

static float *f32_of(const st_file *f, const char *name) {
    const st_tensor *t = st_find(f, name);
    float *d = t ? malloc(t->numel * sizeof(float)) : NULL;
    if (d && st_to_f32(t, d, NULL) != PTM_OK) {
        free(d);
        d = NULL;
    }
    return d;
}

static int open_case(golden_run *g, const char *name) {
    char path[512];
    ptm_error err;
    memset(g, 0, sizeof *g);
    snprintf(path, sizeof path, GOLDEN "%s", name);
    if (ptm_model_load(path, &g->m, &err) != PTM_OK) return 0;
    snprintf(path, sizeof path, GOLDEN "%s/inputs.safetensors", name);
    if (st_load(path, &g->in, &err) != PTM_OK) return 0;
    const st_tensor *t = st_find(&g->in, "past_values");
    g->batch = (int)t->shape[0];
    g->past_length = (int)t->shape[1];
    g->past = f32_of(&g->in, "past_values");
    g->fut = f32_of(&g->in, "future_values");
    return g->past != NULL;
}

static void close_case(golden_run *g) {
    ptm_model_free(g->m);
    st_free(&g->in);
    free(g->past);
    free(g->fut);
}

static ptm_ctx *make_ctx(const ptm_model *m, int batch, int threads) {
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = batch;
    cp.num_threads = threads;
    ptm_ctx *ctx = NULL;
    ptm_error err;
    if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_OK) fprintf(stderr, "ctx: %s\n", err.text);
    return ctx;
}

static ptm_inputs inputs_of(const golden_run *g) {
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = g->batch;
    in.past_values = g->past;
    in.past_length = g->past_length;
    in.future_values = g->fut;
    return in;
}

static void expect_refused(ptm_ctx *ctx, const ptm_inputs *in, ptm_status code, const char *field,
                           const char *text, int line) {
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_status s = ptm_forward(ctx, in, &err);
    int ok = s == code && strcmp(err.field, field) == 0 && strcmp(err.text, text) == 0;
    expect_at(ok, line, field, &err);
}
#define REFUSED(ctx, in, code, field, text) expect_refused(ctx, in, code, field, text, __LINE__)

TEST(prefix_and_past) {
    golden_run g;
    CHECK(open_case(&g, "r21_52_16_ft_l1_prefix"));
    ptm_ctx *ctx = make_ctx(g.m, g.batch, 1);
    ptm_inputs in = inputs_of(&g);
    REFUSED(ctx, &in, PTM_ERR_ARG, "freq_token",
            "freq_token is NULL; this model (resolution_prefix_tuning) needs a frequency token "
            "per sample");
    int64_t tok[64] = {3, 10};
    CHECK(g.batch <= 64);
    in.freq_token = tok;
    REFUSED(ctx, &in, PTM_ERR_INPUT, "freq_token", "sample 1: token 10 out of range [0, 10)");
    tok[1] = 9;
    in.past_length = 51;
    REFUSED(ctx, &in, PTM_ERR_INPUT, "past_length",
            "51 time steps, fewer than the context_length 52 the model needs");
    in.past_length = g.past_length;
    ptm_error err;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    ptm_ctx_free(ctx);
    close_case(&g);
}

TEST(categoricals_and_exogenous) {
    golden_run g;
    CHECK(open_case(&g, "categorical_static_mixdec"));
    ptm_ctx *ctx = make_ctx(g.m, g.batch, 1);
    ptm_inputs in = inputs_of(&g);
    REFUSED(ctx, &in, PTM_ERR_ARG, "static_categorical_values",
            "static_categorical_values is NULL; this model needs 2 category indices per sample");
    int64_t cats[128] = {0, 2, 3, 3};
    CHECK(g.batch <= 64);
    in.static_categorical_values = cats;
    REFUSED(ctx, &in, PTM_ERR_INPUT, "static_categorical_values",
            "sample 1, variable 1: index 3 out of range [0, 3)");
    ptm_ctx_free(ctx);
    close_case(&g);

    CHECK(open_case(&g, "fcm_exog_mixer_prepend_mixdec"));
    ctx = make_ctx(g.m, g.batch, 1);
    in = inputs_of(&g);
    in.future_values = NULL;
    REFUSED(ctx, &in, PTM_ERR_ARG, "future_values",
            "future_values is NULL; the forecast channel mixer reads the known future of the "
            "exogenous channels from it");
    in = inputs_of(&g);
    size_t nf = (size_t)g.batch * 10 * 4;
    float *mask = calloc(nf, sizeof(float));
    in.future_observed_mask = mask;
    REFUSED(ctx, &in, PTM_ERR_INPUT, "future_observed_mask",
            "no forecast value is observed: the loss has nothing to average");
    mask[3] = 0.5f;
    REFUSED(ctx, &in, PTM_ERR_INPUT, "future_observed_mask", "value 0.5 at 3, expected 0 or 1");
    free(mask);
    ptm_ctx_free(ctx);
    close_case(&g);
}

/* every sample alone, and the batch on 2 threads, give the batch's forecast bit for bit */
TEST(batch_and_threads) {
    golden_run g;
    CHECK(open_case(&g, "r2_512_96_7ch"));
    ptm_error err;
    ptm_ctx *ctx = make_ctx(g.m, g.batch, 1), *one = make_ctx(g.m, 1, 1),
            *two = make_ctx(g.m, g.batch, 2);
    ptm_inputs in = inputs_of(&g);
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    CHECK_STATUS(ptm_forward(two, &in, &err), PTM_OK);
    ptm_tensor_view a, b;
    CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &a, &err), PTM_OK);
    CHECK_STATUS(ptm_ctx_output(two, "prediction_outputs", &b, &err), PTM_OK);
    size_t per = (size_t)a.shape[1] * a.shape[2];
    CHECK(memcmp(a.data, b.data, per * g.batch * sizeof(float)) == 0);
    for (int s = 0; s < g.batch; s++) {
        ptm_inputs i1 = in;
        i1.batch = 1;
        i1.past_values = g.past + (size_t)s * g.past_length * 7;
        i1.future_values = g.fut + (size_t)s * 96 * 7;
        CHECK_STATUS(ptm_forward(one, &i1, &err), PTM_OK);
        CHECK_STATUS(ptm_ctx_output(one, "prediction_outputs", &b, &err), PTM_OK);
        CHECK(memcmp(a.data + s * per, b.data, per * sizeof(float)) == 0);
    }
    ptm_ctx_free(ctx);
    ptm_ctx_free(one);
    ptm_ctx_free(two);
    /* training: a context of 2 threads gives the gradients of 1, bit for bit */
    ptm_ctx *t1 = NULL, *t2 = NULL;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = g.batch;
    CHECK_STATUS(ptm_ctx_create_train(g.m, &cp, &t1, &err), PTM_OK);
    cp.num_threads = 2;
    CHECK_STATUS(ptm_ctx_create_train(g.m, &cp, &t2, &err), PTM_OK);
    CHECK_STATUS(ptm_forward(t1, &in, &err), PTM_OK);
    CHECK_STATUS(ptm_backward(t1, &err), PTM_OK);
    CHECK_STATUS(ptm_forward(t2, &in, &err), PTM_OK);
    CHECK_STATUS(ptm_backward(t2, &err), PTM_OK);
    const char *names[] = {"backbone.encoder.patcher.weight", "head.base_forecast_block.weight"};
    for (int k = 0; k < 2; k++) {
        CHECK_STATUS(ptm_ctx_grad(t1, names[k], &a, &err), PTM_OK);
        CHECK_STATUS(ptm_ctx_grad(t2, names[k], &b, &err), PTM_OK);
        size_t n = (size_t)a.shape[0] * a.shape[1];
        CHECK(memcmp(a.data, b.data, n * sizeof(float)) == 0);
    }
    ptm_ctx_free(t1);
    ptm_ctx_free(t2);
    close_case(&g);
}

/* a batch of many stack chunks (12 samples of 7 channels: 9 chunks of 10 series): the chunks
 * reuse their thread's scratch slice, and without hidden states the layers before a stack's last
 * write there too; the forecasts equal those with every hidden state kept, on 1 and 2 threads,
 * and each sample's forecast alone, bit for bit */
TEST(many_chunks) {
    golden_run g;
    CHECK(open_case(&g, "r2_512_96_7ch"));
    enum { B = 12 };
    size_t pl = (size_t)g.past_length * 7, fl = (size_t)96 * 7;
    float *past = malloc(B * pl * sizeof(float)), *fut = malloc(B * fl * sizeof(float));
    for (int s = 0; s < B; s++) { /* the golden samples again and again, each scaled its own way */
        const float *src = g.past + (size_t)(s % g.batch) * pl;
        for (size_t i = 0; i < pl; i++) past[(size_t)s * pl + i] = src[i] * (1.0f + 0.01f * s);
        memcpy(fut + (size_t)s * fl, g.fut + (size_t)(s % g.batch) * fl, fl * sizeof(float));
    }
    ptm_inputs in = inputs_of(&g);
    in.batch = B;
    in.past_values = past;
    in.future_values = fut;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = B;
    cp.keep_hidden_states = 1;
    ptm_ctx *kept = NULL, *one = make_ctx(g.m, B, 1), *two = make_ctx(g.m, B, 2);
    ptm_ctx *alone = make_ctx(g.m, 1, 1);
    ptm_error err;
    CHECK_STATUS(ptm_ctx_create(g.m, &cp, &kept, &err), PTM_OK);
    ptm_ctx *ctxs[3] = {kept, one, two};
    ptm_tensor_view v[3];
    for (int k = 0; k < 3; k++) {
        CHECK_STATUS(ptm_forward(ctxs[k], &in, &err), PTM_OK);
        CHECK_STATUS(ptm_ctx_output(ctxs[k], "prediction_outputs", &v[k], &err), PTM_OK);
    }
    size_t per = (size_t)v[0].shape[1] * v[0].shape[2];
    CHECK(memcmp(v[0].data, v[1].data, B * per * sizeof(float)) == 0);
    CHECK(memcmp(v[0].data, v[2].data, B * per * sizeof(float)) == 0);
    int same = 1;
    for (int s = 0; s < B; s += 7) {
        ptm_inputs i1 = in;
        i1.batch = 1;
        i1.past_values = past + (size_t)s * pl;
        i1.future_values = fut + (size_t)s * fl;
        ptm_tensor_view a;
        CHECK_STATUS(ptm_forward(alone, &i1, &err), PTM_OK);
        CHECK_STATUS(ptm_ctx_output(alone, "prediction_outputs", &a, &err), PTM_OK);
        same &= memcmp(a.data, v[1].data + (size_t)s * per, per * sizeof(float)) == 0;
    }
    CHECK(same);
    for (int k = 0; k < 3; k++) ptm_ctx_free(ctxs[k]);
    ptm_ctx_free(alone);
    free(past);
    free(fut);
    close_case(&g);
}

int main(void) {
    RUN(prefix_and_past);
    RUN(categoricals_and_exogenous);
    RUN(batch_and_threads);
    RUN(many_chunks);
    return test_summary("test_ttm_forward");
}
