/* test_ttm_channels.c - ptm_ctx_params.num_input_channels: a channel-independent TinyTimeMixer
 * checkpoint forecasts any number of channels (each channel's forecast bit for bit what the
 * checkpoint's own channel count gives), and models whose weights depend on the count refuse
 * another one with exact messages. */
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"
#include "testutil.h"

#define GOLDEN "tests/golden/ttm/"

static ptm_model *load(const char *dir) {
    ptm_model *m = NULL;
    ptm_error err;
    if (ptm_model_load(dir, &m, &err) != PTM_OK) fprintf(stderr, "%s: %s\n", dir, err.text);
    return m;
}

static ptm_ctx *ctx_with(const ptm_model *m, int batch, int channels, int threads) {
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = batch;
    cp.num_input_channels = channels;
    cp.num_threads = threads;
    ptm_ctx *ctx = NULL;
    ptm_error err;
    if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_OK) fprintf(stderr, "ctx: %s\n", err.text);
    return ctx;
}

/* the forecast of past [B, Lp, C] through ctx into out [B, H, C] (a copy), or 0 */
static int forecast(ptm_ctx *ctx, const float *past, int B, int Lp, const int64_t *tok, float *out,
                    size_t count) {
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = B;
    in.past_values = past;
    in.past_length = Lp;
    in.freq_token = tok;
    ptm_error err;
    ptm_tensor_view y;
    if (ptm_forward(ctx, &in, &err) != PTM_OK ||
        ptm_ctx_output(ctx, "prediction_outputs", &y, &err) != PTM_OK) {
        fprintf(stderr, "forward: %s\n", err.text);
        return 0;
    }
    size_t n = 1;
    for (int k = 0; k < y.ndim; k++) n *= (size_t)y.shape[k];
    if (n != count) return 0;
    memcpy(out, y.data, n * sizeof(float));
    return 1;
}

/* every channel of a golden case run alone (a one-channel context) and the channels tripled
 * (3C) give the forecast of the case's own C channels, bit for bit */
static void check_case(const char *name, int threads) {
    char path[512];
    snprintf(path, sizeof path, GOLDEN "%s", name);
    ptm_model *m = load(path);
    CHECK(m != NULL);
    if (!m) return;
    st_file in;
    ptm_error err;
    snprintf(path, sizeof path, GOLDEN "%s/inputs.safetensors", name);
    CHECK_STATUS(st_load(path, &in, &err), PTM_OK);
    const st_tensor *t = st_find(&in, "past_values");
    const st_tensor *tt = st_find(&in, "freq_token");
    int B = (int)t->shape[0], Lp = (int)t->shape[1], C = (int)t->shape[2];
    int H = ptm_model_config(m)->prediction_length;
    float *past = malloc(t->numel * sizeof(float)), *one = malloc(sizeof(float) * B * Lp);
    float *wide = malloc(sizeof(float) * 3 * t->numel);
    float *ref = malloc(sizeof(float) * B * H * C), *y1 = malloc(sizeof(float) * B * H);
    float *y3 = malloc(sizeof(float) * 3 * B * H * C);
    int64_t tok[16] = {0};
    CHECK(B <= 16);
    if (tt) memcpy(tok, tt->data, sizeof(int64_t) * (size_t)B);
    CHECK_STATUS(st_to_f32(t, past, &err), PTM_OK);
    ptm_ctx *c0 = ctx_with(m, B, 0, threads), *c1 = ctx_with(m, B, 1, threads);
    ptm_ctx *c3 = ctx_with(m, B, 3 * C, threads);
    CHECK(c0 && c1 && c3);
    if (!c0 || !c1 || !c3) goto done;
    CHECK(forecast(c0, past, B, Lp, tt ? tok : NULL, ref, (size_t)B * H * C));
    for (int j = 0; j < C; j++) {
        for (size_t i = 0; i < (size_t)B * Lp; i++) one[i] = past[i * C + (size_t)j];
        CHECK(forecast(c1, one, B, Lp, tt ? tok : NULL, y1, (size_t)B * H));
        int same = 1;
        for (size_t i = 0; i < (size_t)B * H; i++) same &= y1[i] == ref[i * C + (size_t)j];
        CHECK(same);
    }
    for (size_t i = 0; i < (size_t)B * Lp; i++)
        for (int r = 0; r < 3; r++) memcpy(wide + (i * 3 + r) * C, past + i * C, sizeof(float) * C);
    CHECK(forecast(c3, wide, B, Lp, tt ? tok : NULL, y3, (size_t)3 * B * H * C));
    int same = 1;
    for (size_t i = 0; i < (size_t)B * H; i++)
        for (int r = 0; r < 3; r++)
            same &= memcmp(y3 + (i * 3 + r) * C, ref + i * C, sizeof(float) * C) == 0;
    CHECK(same);
    /* the view is the context's: the model keeps its own channels */
    CHECK_EQ_INT(ptm_model_config(m)->num_input_channels, C);
done:
    ptm_ctx_free(c0);
    ptm_ctx_free(c1);
    ptm_ctx_free(c3);
    free(past);
    free(one);
    free(wide);
    free(ref);
    free(y1);
    free(y3);
    st_free(&in);
    ptm_model_free(m);
}

TEST(any_channel_count) {
    check_case("r2_512_96_7ch", 1);
    check_case("r21_52_16_ft_l1_prefix", 2);
    check_case("selfattn_bn_pe_sincos_obsmask_huber", 1);
    check_case("apl3_fallback_np1_noscale", 1);
}

static void expect_refusal(const char *dir, int channels, ptm_status code, const char *text,
                           int line) {
    ptm_model *m = load(dir);
    CHECK(m != NULL);
    if (!m) return;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.num_input_channels = channels;
    ptm_ctx *ctx = (ptm_ctx *)&cp; /* set to NULL by the refusal */
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_status s = ptm_ctx_create(m, &cp, &ctx, &err);
    int ok = s == code && ctx == NULL && strcmp(err.field, "num_input_channels") == 0 &&
             strcmp(err.text, text) == 0;
    expect_at(ok, line, dir, &err);
    ptm_model_free(m);
}
#define REFUSED(dir, ch, code, text) expect_refusal(dir, ch, code, text, __LINE__)

TEST(weights_that_depend_on_channels) {
    REFUSED(GOLDEN "mean_missing_series_pinball_mix_perandom", 5, PTM_ERR_UNSUPPORTED,
            "this model takes exactly 3 channels, not 5: its backbone mixes channels (mode "
            "mix_channel)");
    REFUSED(GOLDEN "grad_apl2_mixdec_bn", 1, PTM_ERR_UNSUPPORTED,
            "this model takes exactly 3 channels, not 1: its decoder mixes channels "
            "(decoder_mode mix_channel)");
    REFUSED(GOLDEN "fcm_w2_nomixer_noprepend_filter", 2, PTM_ERR_UNSUPPORTED,
            "this model takes exactly 3 channels, not 2: it has a forecast channel mixer");
    REFUSED(GOLDEN "predidx_filter_longctx_futmask", 7, PTM_ERR_UNSUPPORTED,
            "this model takes exactly 4 channels, not 7: it names forecast channels");
    REFUSED("tests/golden/fc_common_gated_ln_std", 9, PTM_ERR_UNSUPPORTED,
            "this model takes exactly 3 channels, not 9: only a TinyTimeMixer model's channels "
            "can change");
    REFUSED(GOLDEN "r2_512_96_7ch", -1, PTM_ERR_ARG,
            "num_input_channels -1 out of range [0, 1048576]");
    REFUSED(GOLDEN "r2_512_96_7ch", (1 << 20) + 1, PTM_ERR_ARG,
            "num_input_channels 1048577 out of range [0, 1048576]");
    /* a count the context's size limit cannot hold */
    ptm_model *m = load(GOLDEN "r2_1024_96");
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.num_input_channels = 1 << 20;
    ptm_ctx *ctx = NULL;
    ptm_error err;
    CHECK(m && ptm_ctx_create(m, &cp, &ctx, &err) == PTM_ERR_LIMIT && !ctx);
    ptm_model_free(m);
}

int main(void) {
    RUN(any_channel_count);
    RUN(weights_that_depend_on_channels);
    return test_summary("test_ttm_channels");
}
