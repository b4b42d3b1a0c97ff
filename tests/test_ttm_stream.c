/* test_ttm_stream.c - the streaming API (ptm_stream_*) on TinyTimeMixer models: a stream with
 * the frequency token (r2.1 prefix), with static categorical codes, and with another channel
 * count than the checkpoint's forecasts bit for bit what ptm_forward gives for the same window
 * and inputs, also after more rows than the context were pushed; what a model needs and does
 * not take is refused at creation with exact messages. */
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"
#include "testutil.h"

#define GOLDEN "tests/golden/ttm/"

typedef struct {
    ptm_model *m;
    st_file in;
    const float *past;
    const int64_t *tok, *cat;
    int batch, T, C; /* samples, time steps, channels of past_values */
} golden_case;

static int open_case(golden_case *g, const char *name) {
    char path[512];
    ptm_error err;
    memset(g, 0, sizeof *g);
    snprintf(path, sizeof path, GOLDEN "%s", name);
    if (ptm_model_load(path, &g->m, &err) != PTM_OK) return 0;
    snprintf(path, sizeof path, GOLDEN "%s/inputs.safetensors", name);
    if (st_load(path, &g->in, &err) != PTM_OK) return 0;
    const st_tensor *p = st_find(&g->in, "past_values"), *t = st_find(&g->in, "freq_token"),
                    *c = st_find(&g->in, "static_categorical_values");
    if (!p || p->dtype != ST_F32) return 0;
    g->batch = (int)p->shape[0];
    g->T = (int)p->shape[1];
    g->C = (int)p->shape[2];
    g->past = (const float *)p->data;
    g->tok = t && t->dtype == ST_I64 ? (const int64_t *)t->data : NULL;
    g->cat = c && c->dtype == ST_I64 ? (const int64_t *)c->data : NULL;
    return 1;
}

static void close_case(golden_case *g) {
    ptm_model_free(g->m);
    st_free(&g->in);
}

/* sample s's past (its channels chans[0 .. nc)) through a stream of params sp and through
 * ptm_forward with the same token and codes: the same forecast, bit for bit */
static int stream_equals_forward(const golden_case *g, int s, ptm_stream_params sp,
                                 const int *chans, int nc) {
    ptm_error err;
    int L = ptm_model_config(g->m)->context_length, ok = 1;
    float *x = malloc(sizeof(float) * (size_t)g->T * nc);
    for (int t = 0; t < g->T; t++)
        for (int j = 0; j < nc; j++)
            x[(size_t)t * nc + j] = g->past[((size_t)s * g->T + t) * g->C + chans[j]];
    ptm_stream *st = NULL;
    ptm_ctx *ctx = NULL;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.num_input_channels = sp.num_input_channels;
    const float *y = NULL;
    ptm_tensor_view v;
    ok &= ptm_stream_create(g->m, &sp, &st, &err) == PTM_OK;
    /* every row but the last, then the last: the ring has wrapped when T > L */
    ok &= ok && ptm_stream_push(st, x, NULL, g->T - 1, &err) == PTM_OK &&
          ptm_stream_push(st, x + (size_t)(g->T - 1) * nc, NULL, 1, &err) == PTM_OK &&
          ptm_stream_forecast(st, &y, &err) == PTM_OK;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = x + (size_t)(g->T - L) * nc;
    in.freq_token = sp.freq_token >= 0 ? &sp.freq_token : NULL;
    in.static_categorical_values = sp.static_categorical_values;
    ok &= ok && ptm_ctx_create(g->m, &cp, &ctx, &err) == PTM_OK &&
          ptm_forward(ctx, &in, &err) == PTM_OK &&
          ptm_ctx_output(ctx, "prediction_outputs", &v, &err) == PTM_OK;
    if (ok) ok = memcmp(y, v.data, sizeof(float) * (size_t)v.shape[1] * v.shape[2]) == 0;
    if (!ok) fprintf(stderr, "  sample %d: %s\n", s, err.text);
    ptm_stream_free(st);
    ptm_ctx_free(ctx);
    free(x);
    return ok;
}

static void expect_create_refused(const ptm_model *m, const ptm_stream_params *sp,
                                  const char *field, const char *text, int line) {
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_stream *st = NULL;
    ptm_status s = ptm_stream_create(m, sp, &st, &err);
    int ok = s == PTM_ERR_ARG && st == NULL && strcmp(err.field, field) == 0 &&
             strcmp(err.text, text) == 0;
    expect_at(ok, line, field, &err);
    ptm_stream_free(st);
}
#define REFUSED(m, sp, field, text) expect_create_refused(m, sp, field, text, __LINE__)

TEST(frequency_token) {
    golden_case g;
    CHECK(open_case(&g, "r21_52_16_ft_l1_prefix"));
    CHECK(g.tok != NULL);
    int all[2] = {0, 1};
    for (int s = 0; s < g.batch; s++) {
        ptm_stream_params sp = ptm_stream_default_params();
        sp.freq_token = g.tok[s];
        CHECK(stream_equals_forward(&g, s, sp, all, g.C));
    }
    ptm_stream_params sp = ptm_stream_default_params();
    REFUSED(g.m, &sp, "freq_token",
            "this model (resolution_prefix_tuning) needs a frequency token: set "
            "ptm_stream_params.freq_token (ptm_frequency_token of the time step)");
    REFUSED(g.m, NULL, "freq_token",
            "this model (resolution_prefix_tuning) needs a frequency token: set "
            "ptm_stream_params.freq_token (ptm_frequency_token of the time step)");
    sp.freq_token = 10;
    REFUSED(g.m, &sp, "freq_token", "token 10 out of range [0, 10)");
    /* a channel-independent prefix model streams one channel too */
    sp.freq_token = 7;
    sp.num_input_channels = 1;
    int second[1] = {1};
    CHECK(stream_equals_forward(&g, 2, sp, second, 1));
    close_case(&g);

    CHECK(open_case(&g, "r2_512_96_7ch"));
    sp = ptm_stream_default_params();
    sp.freq_token = 3;
    REFUSED(g.m, &sp, "freq_token",
            "this model has no frequency token (resolution_prefix_tuning is off)");
    /* three of the seven channels, in another order */
    sp.freq_token = -1;
    sp.num_input_channels = 3;
    int three[3] = {6, 0, 4};
    CHECK(stream_equals_forward(&g, 1, sp, three, 3));
    int64_t codes[2] = {0, 0};
    sp.static_categorical_values = codes;
    REFUSED(g.m, &sp, "static_categorical_values",
            "this model has no static categorical variables (categorical_vocab_size_list)");
    close_case(&g);
}

TEST(static_categoricals) {
    golden_case g;
    CHECK(open_case(&g, "categorical_static_mixdec"));
    CHECK(g.cat != NULL);
    int all[2] = {0, 1};
    for (int s = 0; s < g.batch; s++) {
        ptm_stream_params sp = ptm_stream_default_params();
        sp.static_categorical_values = g.cat + (size_t)s * 2;
        CHECK(stream_equals_forward(&g, s, sp, all, g.C));
    }
    ptm_stream_params sp = ptm_stream_default_params();
    REFUSED(g.m, &sp, "static_categorical_values",
            "this model needs 2 static categorical codes: set "
            "ptm_stream_params.static_categorical_values");
    int64_t codes[2] = {3, 3};
    sp.static_categorical_values = codes;
    REFUSED(g.m, &sp, "static_categorical_values", "variable 1: index 3 out of range [0, 3)");
    codes[1] = -1;
    REFUSED(g.m, &sp, "static_categorical_values", "variable 1: index -1 out of range [0, 3)");
    /* the codes are copied at creation */
    codes[1] = 2;
    ptm_stream *st = NULL;
    ptm_error err;
    CHECK_STATUS(ptm_stream_create(g.m, &sp, &st, &err), PTM_OK);
    codes[1] = 7;
    const float *y = NULL;
    CHECK_STATUS(ptm_stream_push(st, g.past, NULL, g.T, &err), PTM_OK);
    CHECK_STATUS(ptm_stream_forecast(st, &y, &err), PTM_OK);
    ptm_stream_free(st);
    close_case(&g);
}

int main(void) {
    RUN(frequency_token);
    RUN(static_categoricals);
    return test_summary("test_ttm_stream");
}
