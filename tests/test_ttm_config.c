/* test_ttm_config.c - TinyTimeMixer config.json (model_type "tinytimemixer"): every golden
 * case's config parses with the values it states, granite-tsfm's defaults fill an r1-style
 * config without the keys added later, the writer's text reads back to the same config, and
 * hostile configs are refused with exact messages. */
#include <stdlib.h>
#include <string.h>

#include "io/save.h"
#include "testutil.h"

#define GOLDEN "tests/golden/ttm/"

/* one golden case's config.json, as granite-tsfm wrote it (the ints in the order of the
 * fields of expect_values) */
typedef struct {
    const char *name;
    ptm_class cls;
    ptm_mode mode, decoder_mode;
    ptm_scaling scaling;
    ptm_loss loss;
    int v[27];
    const char *pred, *exog, *cat; /* comma-separated lists, "" for null */
    float huber_delta, quantile;
} golden_config;

static const golden_config CASES[] = {
    {"apl3_fallback_np1_noscale",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_NONE,
     PTM_LOSS_MSE,
     {2, 12, 8, 8, 1, 16, 2, 1, 5, 3, 0, 5, 1, 1, 8, 0, 0, 0, 0, 1, 0, 2, 1, 0, 1, 0, 0},
     "",
     "",
     "",
     (float)1,
     (float)0.5},
    {"categorical_static_mixdec",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_MIX_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {2, 32, 8, 8, 4, 16, 2, 2, 16, 0, 0, 5, 1, 2, 12, 0, 0, 0, 0, 1, 0, 2, 1, 0, 1, 0, 0},
     "",
     "",
     "4,3",
     (float)1,
     (float)0.5},
    {"decoder_mix_rawres_apl2_mean",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_MIX_CHANNEL,
     PTM_SCALING_MEAN,
     PTM_LOSS_MSE,
     {3, 64, 8, 8, 8, 32, 2, 1, 16, 2, 0, 5, 1, 1, 16, 2, 1, 0, 0, 1, 0, 2, 1, 0, 1, 0, 0},
     "",
     "",
     "",
     (float)1,
     (float)0.5},
    {"fcm_exog_mixer_prepend_mixdec",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_MIX_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {4, 48, 8, 8, 6, 16, 2, 2, 10, 0, 0, 5, 1, 2, 16, 0, 0, 0, 1, 1, 1, 2, 1, 0, 1, 0, 0},
     "0,1",
     "2,3",
     "",
     (float)1,
     (float)0.5},
    {"fcm_w2_nomixer_noprepend_filter",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {3, 40, 8, 8, 5, 16, 2, 2, 12, 0, 0, 5, 1, 2, 12, 0, 0, 7, 1, 2, 0, 2, 0, 0, 1, 0, 0},
     "1,2",
     "0",
     "",
     (float)1,
     (float)0.5},
    {"grad_apl2_mixdec_bn",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_MIX_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {3, 40, 8, 8, 5, 16, 2, 1, 16, 2, 0, 5, 1, 2, 8, 0, 0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 0},
     "",
     "",
     "",
     (float)1,
     (float)0.5},
    {"grad_fcm_exog_mixer",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_MIX_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {3, 32, 8, 8, 4, 16, 2, 2, 8, 0, 0, 5, 1, 2, 8, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0},
     "0,2",
     "1",
     "",
     (float)1,
     (float)0.5},
    {"grad_prefix_rawres_mae_selfattn",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MAE,
     {2, 32, 8, 8, 5, 16, 2, 2, 16, 0, 1, 5, 1, 2, 8, 0, 1, 0, 0, 1, 0, 2, 1, 1, 2, 0, 0},
     "",
     "",
     "",
     (float)1,
     (float)0.5},
    {"mean_missing_series_pinball_mix_perandom",
     PTM_CLASS_PREDICTION,
     PTM_MODE_MIX_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_MEAN,
     PTM_LOSS_PINBALL,
     {3, 48, 8, 8, 6, 12, 2, 2, 16, 0, 0, 5, 1, 2, 8, 0, 0, 0, 0, 1, 0, 2, 1, 0, 1, 0, 1},
     "",
     "",
     "",
     (float)1,
     (float)0.8},
    {"model_backbone_prefix_apl2_obsmask",
     PTM_CLASS_MODEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {2, 40, 8, 8, 6, 16, 2, 1, 16, 2, 1, 6, 1, 2, 12, 0, 0, 0, 0, 1, 0, 2, 1, 0, 1, 0, 0},
     "",
     "",
     "",
     (float)1,
     (float)0.5},
    {"predidx_filter_longctx_futmask",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {4, 48, 8, 8, 6, 16, 2, 2, 10, 0, 0, 5, 1, 2, 8, 0, 0, 6, 0, 1, 0, 2, 1, 0, 1, 0, 0},
     "0,2",
     "",
     "",
     (float)1,
     (float)0.5},
    {"r21_52_16_ft_l1_prefix",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MAE,
     {2, 52, 4, 4, 14, 20, 3, 12, 16, 0, 1, 10, 1, 4, 16, 0, 0, 0, 0, 1, 0, 2, 1, 0, 1, 0, 0},
     "",
     "",
     "",
     (float)1,
     (float)0.5},
    {"r2_1024_96",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {2, 1024, 128, 128, 8, 384, 2, 2, 96, 3, 0, 5, 1, 2, 256, 0, 0, 0, 0, 1, 1, 3, 1, 0, 1, 0, 0},
     "",
     "",
     "",
     (float)1,
     (float)0.5},
    {"r2_512_96_7ch",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_MSE,
     {7, 512, 64, 64, 8, 192, 2, 2, 96, 3, 0, 5, 1, 2, 128, 0, 0, 0, 0, 1, 1, 3, 1, 0, 1, 0, 0},
     "",
     "",
     "",
     (float)1,
     (float)0.5},
    {"selfattn_bn_pe_sincos_obsmask_huber",
     PTM_CLASS_PREDICTION,
     PTM_MODE_COMMON_CHANNEL,
     PTM_MODE_COMMON_CHANNEL,
     PTM_SCALING_STD,
     PTM_LOSS_HUBER,
     {3, 56, 8, 8, 7, 16, 2, 2, 16, 0, 0, 5, 1, 2, 8, 0, 0, 0, 0, 1, 0, 2, 1, 1, 2, 1, 1},
     "",
     "",
     "",
     (float)0.5,
     (float)0.5},
};

/* "a,b,c" == list[0..n) ("" == NULL) */
static int same_list(const char *want, const int *list, int n) {
    char buf[256] = "";
    for (int i = 0; list && i < n; i++) {
        size_t u = strlen(buf);
        snprintf(buf + u, sizeof buf - u, "%s%d", i ? "," : "", list[i]);
    }
    return strcmp(buf, want) == 0 && (want[0] != 0) == (list != NULL);
}

static void expect_values(const golden_config *g, const ptm_config *c) {
    const ptm_ttm_config *t = &c->ttm;
    int got[27] = {c->num_input_channels,
                   c->context_length,
                   c->patch_length,
                   c->patch_stride,
                   c->num_patches,
                   c->d_model,
                   c->expansion_factor,
                   c->num_layers,
                   c->prediction_length,
                   t->adaptive_patching_levels,
                   t->resolution_prefix_tuning,
                   t->frequency_token_vocab_size,
                   t->use_decoder,
                   t->decoder_num_layers,
                   t->decoder_d_model,
                   t->decoder_adaptive_patching_levels,
                   t->decoder_raw_residual,
                   t->prediction_filter_length,
                   t->enable_forecast_channel_mixing,
                   t->fcm_context_length,
                   t->fcm_use_mixer,
                   t->fcm_mix_layers,
                   t->fcm_prepend_past,
                   c->self_attn,
                   c->self_attn_heads,
                   c->norm_mlp == PTM_NORM_BATCH,
                   c->use_positional_encoding};
    CHECK_EQ_INT(c->family, PTM_FAMILY_TTM);
    CHECK_EQ_INT(c->model_class, g->cls);
    CHECK_EQ_INT(c->mode, g->mode);
    CHECK_EQ_INT(t->decoder_mode, g->decoder_mode);
    CHECK_EQ_INT(c->scaling, g->scaling);
    CHECK_EQ_INT(c->loss, g->loss);
    for (int i = 0; i < 27; i++) {
        if (got[i] != g->v[i])
            fprintf(stderr, "  %s: value %d is %d, config.json says %d\n", g->name, i, got[i],
                    g->v[i]);
        CHECK_EQ_INT(got[i], g->v[i]);
    }
    CHECK(same_list(g->pred, c->prediction_channel_indices, c->num_prediction_channels));
    CHECK(same_list(g->exog, t->exogenous_channel_indices, t->num_exogenous_channels));
    CHECK(same_list(g->cat, t->categorical_vocab_size_list, t->num_categorical));
    CHECK(t->huber_delta == g->huber_delta);
    CHECK(t->quantile == g->quantile);
}

/* the writer's text parses back to a config equal field by field (lists compared by value) */
static void expect_round_trip(const ptm_config *c, const char *name) {
    ptm_error err;
    char *text = NULL;
    size_t len = 0;
    CHECK_STATUS(ptmi_config_write_json(c, &text, &len, &err), PTM_OK);
    if (!text) return;
    ptm_config back;
    CHECK_STATUS(ptm_config_parse(text, len, name, -1, &back, &err), PTM_OK);
    ptm_config a = *c, b = back;
    CHECK(same_list("", NULL, 0));
    int lists_equal = a.num_prediction_channels == b.num_prediction_channels &&
                      (!a.prediction_channel_indices ||
                       memcmp(a.prediction_channel_indices, b.prediction_channel_indices,
                              sizeof(int) * (size_t)a.num_prediction_channels) == 0) &&
                      a.ttm.num_exogenous_channels == b.ttm.num_exogenous_channels &&
                      (!a.ttm.exogenous_channel_indices ||
                       memcmp(a.ttm.exogenous_channel_indices, b.ttm.exogenous_channel_indices,
                              sizeof(int) * (size_t)a.ttm.num_exogenous_channels) == 0) &&
                      a.ttm.num_categorical == b.ttm.num_categorical &&
                      (!a.ttm.categorical_vocab_size_list ||
                       memcmp(a.ttm.categorical_vocab_size_list, b.ttm.categorical_vocab_size_list,
                              sizeof(int) * (size_t)a.ttm.num_categorical) == 0);
    CHECK(lists_equal);
    a.prediction_channel_indices = b.prediction_channel_indices = NULL;
    a.ttm.exogenous_channel_indices = b.ttm.exogenous_channel_indices = NULL;
    a.ttm.categorical_vocab_size_list = b.ttm.categorical_vocab_size_list = NULL;
    a.num_forecast_mask_patches = b.num_forecast_mask_patches = NULL;
    a.unmasked_channel_indices = b.unmasked_channel_indices = NULL;
    if (memcmp(&a, &b, sizeof a) != 0) fprintf(stderr, "  %s: round trip differs\n", name);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    ptm_config_free(&back);
    free(text);
}

TEST(golden_configs) {
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char path[512];
        ptm_error err;
        ptm_config c;
        snprintf(path, sizeof path, GOLDEN "%s/config.json", CASES[i].name);
        ptm_status s = ptm_config_load(path, -1, &c, &err);
        expect_at(s == PTM_OK, __LINE__, CASES[i].name, &err);
        if (s != PTM_OK) continue;
        expect_values(&CASES[i], &c);
        CHECK(strcmp(ptm_config_class_name(&c), CASES[i].cls == PTM_CLASS_MODEL
                                                    ? "TinyTimeMixerModel"
                                                    : "TinyTimeMixerForPrediction") == 0);
        expect_round_trip(&c, CASES[i].name);
        ptm_config_free(&c);
    }
}

/* an r1 config.json (granite-tsfm of early 2024): none of the later keys; they take
 * TinyTimeMixerConfig's defaults, and the keys TTM does not use are ignored */
TEST(r1_defaults) {
    static const char r1[] =
        "{\"adaptive_patching_levels\": 3, \"architectures\": [\"TinyTimeMixerForPrediction\"],"
        "\"context_length\": 512, \"d_model\": 192, \"decoder_adaptive_patching_levels\": 0,"
        "\"decoder_d_model\": 128, \"decoder_mode\": \"common_channel\","
        "\"decoder_num_layers\": 2, \"decoder_raw_residual\": false, \"dropout\": 0.2,"
        "\"expansion_factor\": 2, \"frequency_token_vocab_size\": 5, \"gated_attn\": true,"
        "\"head_dropout\": 0.2, \"init_processing\": true, \"init_std\": 0.02, \"loss\": \"mse\","
        "\"mode\": \"common_channel\", \"model_type\": \"tinytimemixer\", \"norm_eps\": 1e-05,"
        "\"norm_mlp\": \"LayerNorm\", \"num_input_channels\": 1, \"num_layers\": 2,"
        "\"num_patches\": 8, \"patch_last\": true, \"patch_length\": 64, \"patch_stride\": 64,"
        "\"post_init\": false, \"prediction_length\": 96, \"scaling\": \"std\","
        "\"self_attn\": false, \"self_attn_heads\": 1, \"torch_dtype\": \"float32\","
        "\"transformers_version\": \"4.38.0\", \"d_model_scale\": 3,"
        "\"use_decoder\": true, \"use_positional_encoding\": false}";
    ptm_error err;
    ptm_config c;
    CHECK_STATUS(ptm_config_parse(r1, strlen(r1), "r1.json", -1, &c, &err), PTM_OK);
    CHECK_EQ_INT(c.family, PTM_FAMILY_TTM);
    CHECK_EQ_INT(c.num_patches, 8);
    CHECK_EQ_INT(c.ttm.enable_forecast_channel_mixing, 0);
    CHECK_EQ_INT(c.ttm.fcm_use_mixer, 0);
    CHECK_EQ_INT(c.ttm.fcm_mix_layers, 2);
    CHECK_EQ_INT(c.ttm.fcm_context_length, 1);
    CHECK_EQ_INT(c.ttm.prediction_filter_length, 0);
    CHECK_EQ_INT(c.ttm.num_categorical, 0);
    CHECK(c.ttm.quantile == 0.5f && c.ttm.huber_delta == 1.0f);
    CHECK(c.prediction_channel_indices == NULL && c.num_prediction_channels == 1);
    expect_round_trip(&c, "r1.json");
    ptm_config_free(&c);
    /* an empty object is TinyTimeMixerConfig() itself */
    static const char empty[] = "{\"model_type\": \"tinytimemixer\"}";
    CHECK_STATUS(ptm_config_parse(empty, strlen(empty), "e.json", PTM_CLASS_MODEL, &c, &err),
                 PTM_OK);
    CHECK(c.context_length == 64 && c.patch_length == 8 && c.d_model == 16 && c.num_layers == 3 &&
          c.ttm.decoder_num_layers == 8 && c.ttm.decoder_d_model == 8 && c.num_patches == 8 &&
          c.model_class == PTM_CLASS_MODEL);
    ptm_config_free(&c);
}

/* the exogenous channels alone give the forecast channels as their complement */
TEST(exogenous_complement) {
    static const char txt[] =
        "{\"model_type\": \"tinytimemixer\", \"architectures\": [\"TinyTimeMixerForPrediction\"],"
        "\"num_input_channels\": 5, \"exogenous_channel_indices\": [3, 1]}";
    ptm_error err;
    ptm_config c;
    CHECK_STATUS(ptm_config_parse(txt, strlen(txt), "x.json", -1, &c, &err), PTM_OK);
    CHECK(same_list("0,2,4", c.prediction_channel_indices, c.num_prediction_channels));
    CHECK(same_list("1,3", c.ttm.exogenous_channel_indices, c.ttm.num_exogenous_channels));
    ptm_config_free(&c);
}

/* the config.json of r2_512_96_7ch with the keys of `patch` ("key": value, ...) replaced by
 * patch's (the file has one key a line) */
static void expect_refused(const char *patch, ptm_status code, const char *field, const char *text,
                           int line) {
    static char base[8192];
    FILE *f = fopen(GOLDEN "r2_512_96_7ch/config.json", "rb");
    size_t n = f ? fread(base, 1, sizeof base - 1, f) : 0;
    if (f) fclose(f);
    base[n] = 0;
    char doc[9000];
    size_t used = (size_t)snprintf(doc, sizeof doc, "{%s", patch);
    /* entries start at "\n  \"" (indent 2) and run to the next one or to "\n}" */
    for (char *at = strstr(base, "\n  \""); at;) {
        char *next = strstr(at + 1, "\n  \"");
        char *stop = next ? next : strstr(at, "\n}");
        char *q = at + 3, *e = strchr(q + 1, '"');
        char key[96];
        snprintf(key, sizeof key, "%.*s\":", (int)(e - q), q);
        size_t len = (size_t)(stop - at) - 3;
        if (at[3 + len - 1] == ',') len--;
        if (!strstr(patch, key))
            used += (size_t)snprintf(doc + used, sizeof doc - used, ", %.*s", (int)len, at + 3);
        at = next;
    }
    snprintf(doc + used, sizeof doc - used, "}");
    ptm_error err;
    ptm_config c;
    ptm_status s = ptm_config_parse(doc, strlen(doc), "h.json", -1, &c, &err);
    int ok = s == code && strcmp(err.field, field) == 0 && strcmp(err.text, text) == 0;
    expect_at(ok, line, patch, &err);
    if (s == PTM_OK) ptm_config_free(&c);
}
#define REFUSED(key, patch, code, field, text) expect_refused(patch, code, field, text, __LINE__)

TEST(hostile) {
    REFUSED("num_patches", "\"num_patches\": 9", PTM_ERR_CONFIG, "num_patches",
            "found number of another value, expected 8 = (context_length - patch_length) / "
            "patch_stride + 1");
    REFUSED("resolution_prefix_tuning", "\"resolution_prefix_tuning\": true", PTM_ERR_CONFIG,
            "num_patches",
            "found number of another value, expected 9 = (context_length - patch_length) / "
            "patch_stride + 1 + 1 (prefix patch)");
    REFUSED("architectures", "\"architectures\": [\"TinyTimeMixerForMaskedPrediction\"]",
            PTM_ERR_UNSUPPORTED, "architectures",
            "unsupported class \"TinyTimeMixerForMaskedPrediction\"; accepted: "
            "TinyTimeMixerModel, TinyTimeMixerForPrediction");
    REFUSED("loss", "\"loss\": \"nll\"", PTM_ERR_UNSUPPORTED, "loss",
            "unsupported value \"nll\": TinyTimeMixer has no distribution head; accepted: "
            "\"mse\", \"mae\", \"pinball\", \"huber\"");
    REFUSED("loss", "\"loss\": \"l1\"", PTM_ERR_UNSUPPORTED, "loss",
            "unsupported value \"l1\"; accepted: \"mse\", \"nll\", \"mae\", \"pinball\", "
            "\"huber\"");
    REFUSED("adaptive_patching_levels", "\"adaptive_patching_levels\": 31", PTM_ERR_CONFIG,
            "adaptive_patching_levels", "value 31 out of range [-1024, 30]");
    /* level 2 of d_model 42 would be 42 / 4 wide */
    REFUSED("d_model", "\"d_model\": 42", PTM_ERR_CONFIG, "d_model",
            "width 42 is not divisible by 2^2 = 4 (level 2 of 3)");
    REFUSED("decoder_d_model", "\"decoder_d_model\": \"128\"", PTM_ERR_CONFIG, "decoder_d_model",
            "found string, expected an integer");
    REFUSED("prediction_filter_length", "\"prediction_filter_length\": 97", PTM_ERR_CONFIG,
            "prediction_filter_length", "97 is more than prediction_length 96");
    REFUSED("prediction_filter_length", "\"prediction_filter_length\": 0", PTM_ERR_CONFIG,
            "prediction_filter_length",
            "found number, expected null or an integer in [1, 16777216]");
    REFUSED("exogenous_channel_indices", "\"exogenous_channel_indices\": [7]", PTM_ERR_CONFIG,
            "exogenous_channel_indices", "channel 7 out of range: num_input_channels is 7");
    REFUSED("exogenous_channel_indices", "\"exogenous_channel_indices\": [0,1,2,3,4,5,6]",
            PTM_ERR_CONFIG, "exogenous_channel_indices",
            "every channel is exogenous: nothing is left to forecast");
    REFUSED("exogenous_channel_indices", "\"exogenous_channel_indices\": [2, 2]", PTM_ERR_CONFIG,
            "exogenous_channel_indices", "channel 2 is listed twice");
    REFUSED("categorical_vocab_size_list", "\"categorical_vocab_size_list\": [3]", PTM_ERR_CONFIG,
            "decoder_mode", "static categorical variables need decoder_mode \"mix_channel\"");
    REFUSED("categorical_vocab_size_list", "\"categorical_vocab_size_list\": [0]", PTM_ERR_CONFIG,
            "categorical_vocab_size_list", "item 0 is not an integer in [1, 1048576]");
    REFUSED("masked_context_length", "\"masked_context_length\": 400", PTM_ERR_UNSUPPORTED,
            "masked_context_length",
            "found number, expected null (masked prediction is not supported)");
    REFUSED("fcm_context_length",
            "\"fcm_context_length\": 0, \"enable_forecast_channel_mixing\": "
            "true",
            PTM_ERR_CONFIG, "fcm_context_length",
            "0 needs fcm_gated_attn true and fcm_use_mixer false (granite-tsfm fails on the other "
            "combinations)");
    REFUSED("fcm_prepend_past_offset",
            "\"fcm_prepend_past_offset\": 512, \"enable_forecast_channel_mixing\": true",
            PTM_ERR_CONFIG, "fcm_prepend_past_offset",
            "fcm_context_length 1 + offset 512 reach before the context of 512 steps");
    REFUSED("fcm_prepend_past_offset", "\"fcm_prepend_past_offset\": 0", PTM_ERR_CONFIG,
            "fcm_prepend_past_offset",
            "found number, expected null or an integer in [1, 16777216]");
    REFUSED("patch_length", "\"patch_length\": 512", PTM_ERR_CONFIG, "patch_length",
            "patch_length 512 must be smaller than context_length 512");
    REFUSED("self_attn", "\"self_attn\": true, \"self_attn_heads\": 5", PTM_ERR_CONFIG,
            "self_attn_heads", "5 heads do not divide the width 192 of level 0 of d_model");
    /* heads that divide every level (192, 96, 48, the decoder's 128) but not the forecast
     * channel mixer's 2 (2 fcm_context_length + 1) = 6 */
    REFUSED("self_attn",
            "\"self_attn\": true, \"self_attn_heads\": 4, \"enable_forecast_channel_mixing\": true",
            PTM_ERR_CONFIG, "self_attn_heads",
            "4 heads do not divide the forecast channel mixer's width 6");
    REFUSED("categorical_vocab_size_list",
            "\"decoder_mode\": \"mix_channel\", \"categorical_vocab_size_list\": "
            "[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,"
            "2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2]",
            PTM_ERR_CONFIG, "categorical_vocab_size_list",
            "65 variables, at most 64 are supported");
    REFUSED("huber_delta", "\"huber_delta\": 0", PTM_ERR_CONFIG, "huber_delta",
            "value 0 out of range [1e-30, 3.4e+38]");
    REFUSED("model_type", "\"model_type\": \"tinytimemixer2\"", PTM_ERR_UNSUPPORTED, "model_type",
            "found string \"tinytimemixer2\", expected \"patchtsmixer\" or \"tinytimemixer\"");
}

int main(void) {
    RUN(golden_configs);
    RUN(r1_defaults);
    RUN(exogenous_complement);
    RUN(hostile);
    return test_summary("test_ttm_config");
}
