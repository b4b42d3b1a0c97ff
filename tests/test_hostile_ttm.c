/* test_hostile_ttm.c - hostile and wrong TinyTimeMixer configurations, checkpoints and inputs,
 * each refused with its exact message: adaptive-patching levels that do not split a width,
 * self-attention heads that do not divide a level, categorical variables without a channel
 * mixing decoder, a forecast channel mixer with a bad window, a checkpoint whose tensors are of
 * another architecture, a frequency token missing or out of range, the known future of a
 * forecast channel mixer missing or not finite, a past that is not finite or too short, and a
 * channel count that a model cannot take. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define GOLDEN "tests/golden/ttm/"

static char g_tmp[256];

/* golden case `base`'s config.json with the keys of `patch` ("key": value, ...) replaced (its
 * entries start at "\n  \"", indent 2, and run to the next one or to "\n}"); the text in a
 * static buffer */
static const char *patched(const char *base, const char *patch) {
    static char text[16384], doc[16384];
    char path[512];
    snprintf(path, sizeof path, GOLDEN "%s/config.json", base);
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    text[n] = 0;
    size_t used = (size_t)snprintf(doc, sizeof doc, "{%s", patch);
    for (char *at = strstr(text, "\n  \""); at;) {
        char *next = strstr(at + 1, "\n  \"");
        char *stop = next ? next : strstr(at, "\n}");
        char *q = at + 3, *e = strchr(q + 1, '"');
        char key[128];
        snprintf(key, sizeof key, "%.*s\":", (int)(e - q), q);
        size_t len = (size_t)(stop - at) - 3;
        if (at[3 + len - 1] == ',') len--;
        if (!strstr(patch, key))
            used += (size_t)snprintf(doc + used, sizeof doc - used, ", %.*s", (int)len, at + 3);
        at = next;
    }
    snprintf(doc + used, sizeof doc - used, "}");
    return doc;
}

static void expect_err(ptm_status s, const ptm_error *err, ptm_status code, const char *field,
                       const char *text, int line, const char *what) {
    int ok = s == code && strcmp(err->field, field) == 0 && strcmp(err->text, text) == 0;
    expect_at(ok, line, what, err);
}

/* the patched config of `base` is refused by the parser */
static void config_refused(const char *base, const char *patch, ptm_status code, const char *field,
                           const char *text, int line) {
    const char *doc = patched(base, patch);
    ptm_config c;
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_status s = ptm_config_parse(doc, strlen(doc), "config.json", -1, &c, &err);
    expect_err(s, &err, code, field, text, line, patch);
    if (s == PTM_OK) ptm_config_free(&c);
}
#define CONFIG_REFUSED(base, patch, code, field, text)                                             \
    config_refused(base, patch, code, field, text, __LINE__)

/* the patched config of `base` parses, but `base`'s tensors do not fit it */
static void load_refused(const char *base, const char *patch, ptm_status code, const char *field,
                         const char *text, int line) {
    char path[600], src[512];
    snprintf(path, sizeof path, "%s/config.json", g_tmp);
    const char *doc = patched(base, patch);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(doc, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/model.safetensors", g_tmp);
    snprintf(src, sizeof src, "../../" GOLDEN "%s/model.safetensors", base);
    unlink(path);
    char abs[1024];
    CHECK(getcwd(abs, sizeof abs) != NULL);
    snprintf(src, sizeof src, "%s/" GOLDEN "%s/model.safetensors", abs, base);
    CHECK(symlink(src, path) == 0);
    ptm_model *m = NULL;
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_status s = ptm_model_load(g_tmp, &m, &err);
    expect_err(s, &err, code, field, text, line, patch);
    ptm_model_free(m);
}
#define LOAD_REFUSED(base, patch, code, field, text)                                               \
    load_refused(base, patch, code, field, text, __LINE__)

TEST(configs) {
    /* levels: every level must split the width evenly (granite-tsfm asserts it) */
    CONFIG_REFUSED("r2_512_96_7ch", "\"d_model\": 22", PTM_ERR_CONFIG, "d_model",
                   "width 22 is not divisible by 2^2 = 4 (level 2 of 3)");
    CONFIG_REFUSED(
        "r2_512_96_7ch", "\"decoder_d_model\": 26, \"decoder_adaptive_patching_levels\": 3",
        PTM_ERR_CONFIG, "decoder_d_model", "width 26 is not divisible by 2^2 = 4 (level 2 of 3)");
    CONFIG_REFUSED("r2_512_96_7ch", "\"adaptive_patching_levels\": 40", PTM_ERR_CONFIG,
                   "adaptive_patching_levels", "value 40 out of range [-1024, 30]");
    CONFIG_REFUSED("decoder_mix_rawres_apl2_mean", "\"self_attn\": true, \"self_attn_heads\": 3",
                   PTM_ERR_CONFIG, "self_attn_heads",
                   "3 heads do not divide the width 32 of level 0 of d_model");
    /* prefix tuning: a vocabulary of at least one token */
    CONFIG_REFUSED("r21_52_16_ft_l1_prefix", "\"frequency_token_vocab_size\": 0", PTM_ERR_CONFIG,
                   "frequency_token_vocab_size", "value 0 out of range [1, 1048576]");
    CONFIG_REFUSED("r21_52_16_ft_l1_prefix", "\"num_patches\": 13", PTM_ERR_CONFIG, "num_patches",
                   "found number of another value, expected 14 = (context_length - "
                   "patch_length) / patch_stride + 1 + 1 (prefix patch)");
    /* categorical variables are mixed into the decoder's channels */
    CONFIG_REFUSED("categorical_static_mixdec", "\"decoder_mode\": \"common_channel\"",
                   PTM_ERR_CONFIG, "decoder_mode",
                   "static categorical variables need decoder_mode \"mix_channel\"");
    CONFIG_REFUSED("categorical_static_mixdec", "\"categorical_vocab_size_list\": [4, -3]",
                   PTM_ERR_CONFIG, "categorical_vocab_size_list",
                   "item 1 is not an integer in [1, 1048576]");
    /* the forecast channel mixer */
    CONFIG_REFUSED("fcm_exog_mixer_prepend_mixdec", "\"fcm_context_length\": 0", PTM_ERR_CONFIG,
                   "fcm_context_length",
                   "0 needs fcm_gated_attn true and fcm_use_mixer false (granite-tsfm fails on "
                   "the other combinations)");
    CONFIG_REFUSED("fcm_exog_mixer_prepend_mixdec", "\"fcm_prepend_past_offset\": 48",
                   PTM_ERR_CONFIG, "fcm_prepend_past_offset",
                   "fcm_context_length 1 + offset 48 reach before the context of 48 steps");
    CONFIG_REFUSED("fcm_exog_mixer_prepend_mixdec",
                   "\"exogenous_channel_indices\": [0, 1, 2, 3], \"prediction_channel_indices\": "
                   "null",
                   PTM_ERR_CONFIG, "exogenous_channel_indices",
                   "every channel is exogenous: nothing is left to forecast");
    CONFIG_REFUSED("fcm_exog_mixer_prepend_mixdec", "\"exogenous_channel_indices\": [4]",
                   PTM_ERR_CONFIG, "exogenous_channel_indices",
                   "channel 4 out of range: num_input_channels is 4");
    CONFIG_REFUSED("fcm_exog_mixer_prepend_mixdec", "\"exogenous_channel_indices\": \"2,3\"",
                   PTM_ERR_CONFIG, "exogenous_channel_indices",
                   "found string, expected a list of integers or null");
    CONFIG_REFUSED("predidx_filter_longctx_futmask", "\"prediction_filter_length\": 11",
                   PTM_ERR_CONFIG, "prediction_filter_length",
                   "11 is more than prediction_length 10");
    CONFIG_REFUSED("predidx_filter_longctx_futmask", "\"prediction_channel_indices\": [0, 9]",
                   PTM_ERR_CONFIG, "prediction_channel_indices",
                   "channel 9 out of range: num_input_channels is 4");
    CONFIG_REFUSED("r2_512_96_7ch", "\"loss\": \"quantile\"", PTM_ERR_UNSUPPORTED, "loss",
                   "unsupported value \"quantile\"; accepted: \"mse\", \"nll\", \"mae\", "
                   "\"pinball\", \"huber\"");
    CONFIG_REFUSED("r2_512_96_7ch", "\"quantile\": 1.5, \"loss\": \"pinball\"", PTM_ERR_CONFIG,
                   "quantile", "value 1.5 out of range [0, 1]");
}

TEST(checkpoints) {
    /* a config of another architecture than the tensors */
    LOAD_REFUSED("r2_512_96_7ch", "\"adaptive_patching_levels\": 2", PTM_ERR_TENSOR,
                 "backbone.encoder.mlp_mixer_encoder.mixers.0.mixer_layers.0.patch_mixer.norm.norm."
                 "weight",
                 "shape [48], expected [96]");
    LOAD_REFUSED("r2_512_96_7ch", "\"decoder_d_model\": 64", PTM_ERR_TENSOR,
                 "decoder.adapter.weight", "shape [128, 192], expected [64, 192]");
    LOAD_REFUSED("r21_52_16_ft_l1_prefix",
                 "\"resolution_prefix_tuning\": false, \"num_patches\": 13", PTM_ERR_TENSOR,
                 "backbone.encoder.mlp_mixer_encoder.mixers.0.patch_mixer.mlp.fc1.weight",
                 "shape [42, 14], expected [39, 13]");
    LOAD_REFUSED("fcm_exog_mixer_prepend_mixdec", "\"fcm_use_mixer\": false", PTM_ERR_TENSOR,
                 "head.fcm_block.exog_mixer.mixers.0.patch_mixer.norm.norm.weight",
                 "unexpected tensor: the config (TinyTimeMixerForPrediction) implies no tensor of "
                 "this name");
    LOAD_REFUSED("categorical_static_mixdec", "\"categorical_vocab_size_list\": [4, 5]",
                 PTM_ERR_TENSOR, "decoder.decoder_cat_embedding_layer.embedding_layers.1.weight",
                 "shape [3, 12], expected [5, 12]");
}

/* one forward of `name`'s model, batch 1, zero inputs but past[0] = past0 and future[0] =
 * fut0, on `channels` channels (0 = the config's), past_length steps (0 = context_length), the
 * frequency token `token` (-2 = none), no future values with no_future */
static void forward_refused(const char *name, int channels, int past_length, int64_t token,
                            float past0, float fut0, int no_future, ptm_status code,
                            const char *field, const char *text, int line) {
    char dir[512];
    snprintf(dir, sizeof dir, GOLDEN "%s", name);
    ptm_model *m = NULL;
    ptm_error err;
    CHECK_STATUS(ptm_model_load(dir, &m, &err), PTM_OK);
    if (!m) return;
    const ptm_config *c = ptm_model_config(m);
    int C = channels ? channels : c->num_input_channels, L = c->context_length;
    int H = c->prediction_length, Lp = past_length ? past_length : L;
    float *past = calloc((size_t)Lp * C, sizeof(float)),
          *fut = calloc((size_t)H * C, sizeof(float));
    past[0] = past0;
    fut[0] = fut0;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.num_input_channels = channels;
    ptm_ctx *ctx = NULL;
    CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx, &err), PTM_OK);
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = past;
    in.past_length = Lp;
    in.freq_token = token >= -1 ? &token : NULL;
    in.future_values = no_future ? NULL : fut;
    memset(&err, 0, sizeof err);
    ptm_status s = ctx ? ptm_forward(ctx, &in, &err) : PTM_ERR_ARG;
    expect_err(s, &err, code, field, text, line, name);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    free(past);
    free(fut);
}
#define FORWARD_REFUSED(name, ch, lp, tok, p0, f0, nofut, code, field, text)                       \
    forward_refused(name, ch, lp, tok, p0, f0, nofut, code, field, text, __LINE__)

TEST(inputs) {
    const char *pre = "r21_52_16_ft_l1_prefix", *fcm = "fcm_exog_mixer_prepend_mixdec";
    /* prefix tuning without a token, or with one outside the vocabulary */
    FORWARD_REFUSED(pre, 0, 0, -2, 0, 0, 0, PTM_ERR_ARG, "freq_token",
                    "freq_token is NULL; this model (resolution_prefix_tuning) needs a frequency "
                    "token per sample");
    FORWARD_REFUSED(pre, 0, 0, -1, 0, 0, 0, PTM_ERR_INPUT, "freq_token",
                    "sample 0: token -1 out of range [0, 10)");
    FORWARD_REFUSED(pre, 5, 0, 10, 0, 0, 0, PTM_ERR_INPUT, "freq_token",
                    "sample 0: token 10 out of range [0, 10)");
    /* a past that is too short or not finite */
    FORWARD_REFUSED(pre, 0, 51, 3, 0, 0, 0, PTM_ERR_INPUT, "past_length",
                    "51 time steps, fewer than the context_length 52 the model needs");
    FORWARD_REFUSED("r2_512_96_7ch", 1, 600, 0, NAN, 0, 0, PTM_ERR_INPUT, "past_values",
                    "value at [batch 0, time 0, channel 0] is not finite; mark missing values "
                    "with observed_mask 0 (and value 0)");
    /* the forecast channel mixer without the known future, or with a non-finite one */
    FORWARD_REFUSED(fcm, 0, 0, 0, 0, 0, 1, PTM_ERR_ARG, "future_values",
                    "future_values is NULL; the forecast channel mixer reads the known future of "
                    "the exogenous channels from it");
    FORWARD_REFUSED(fcm, 0, 0, 0, 0, INFINITY, 0, PTM_ERR_INPUT, "future_values",
                    "value 0 is not finite");
}

int main(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/test_hostile_ttm_%d", (int)getpid());
    mkdir(g_tmp, 0700);
    RUN(configs);
    RUN(checkpoints);
    RUN(inputs);
    char p[600];
    snprintf(p, sizeof p, "%s/config.json", g_tmp);
    unlink(p);
    snprintf(p, sizeof p, "%s/model.safetensors", g_tmp);
    unlink(p);
    rmdir(g_tmp);
    return test_summary("test_hostile_ttm");
}
