/* config_ttm.c - reads an IBM granite-tsfm TinyTimeMixer config.json ("model_type":
 * "tinytimemixer") into a ptm_config of family PTM_FAMILY_TTM.
 *
 * Every TinyTimeMixerConfig field is read with granite-tsfm's default where the key is absent
 * (r1 checkpoints predate every key added after April 2024). Keys TTM does not use
 * (d_model_scale, decoder_d_model_scale, init_linear, init_embed, patch_last, init_processing,
 * torch_dtype, transformers_version, ...) are ignored. num_patches is derived as
 * check_and_init_preprocessing does (the prefix patch included) and a stored value that
 * differs is refused; so are the values granite-tsfm itself refuses or fails on.
 */
#include "io/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config_keys.h"

/* adaptive-patching levels beyond this many are refused (2^30 exceeds any d_model) */
#define MAX_LEVELS 30

static const char *const TTM_CLASSES[] = {"TinyTimeMixerModel", "TinyTimeMixerForPrediction", NULL};

const char *ptmi_ttm_class_name(ptm_class c) {
    return c == PTM_CLASS_MODEL || c == PTM_CLASS_PREDICTION ? TTM_CLASSES[c] : "?";
}

/* TinyTimeMixerConfig's defaults */
static void ttm_defaults(ptm_config *c) {
    ptm_config_defaults(c);
    c->family = PTM_FAMILY_TTM;
    c->context_length = 64;
    c->d_model = 16;
    c->num_forecast_mask_patches_count = 0;
    c->forecast_mask_patches_is_list = 0;
    ptm_ttm_config *t = &c->ttm;
    t->frequency_token_vocab_size = 5;
    t->use_decoder = 1;
    t->decoder_num_layers = 8;
    t->decoder_d_model = 8;
    t->decoder_mode = PTM_MODE_COMMON_CHANNEL;
    t->fcm_gated_attn = 1;
    t->fcm_context_length = 1;
    t->fcm_mix_layers = 2;
    t->fcm_prepend_past = 1;
    t->huber_delta = 1.0f;
    t->quantile = 0.5f;
}

static ptm_status read_ttm_architectures(reader *r, ptm_config *c) {
    const json_value *arch = json_get(r->root, "architectures");
    const char *accepted = "TinyTimeMixerModel, TinyTimeMixerForPrediction";
    if (!arch || arch->type == JSON_NULL) {
        if (r->default_class == PTM_CLASS_MODEL || r->default_class == PTM_CLASS_PREDICTION) {
            c->model_class = (ptm_class)r->default_class;
            return PTM_OK;
        }
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "architectures",
                        "missing; expected a list naming one of %s", accepted);
    }
    if (arch->type != JSON_ARRAY || arch->count < 1 || arch->items[0].type != JSON_STRING)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "architectures",
                        "found %s, expected a non-empty list of class names", cfg_type_of(arch));
    for (int i = 0; TTM_CLASSES[i]; i++)
        if (strcmp(arch->items[0].string, TTM_CLASSES[i]) == 0) {
            c->model_class = (ptm_class)i;
            return PTM_OK;
        }
    return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, "architectures",
                    "unsupported class \"%.100s\"; accepted: %s", arch->items[0].string, accepted);
}

const char *const ptmi_loss_names[] = {"mse", "nll", "mae", "pinball", "huber", NULL};

/* granite-tsfm refuses "nll" ("Distribution heads are currently not allowed") */
static ptm_status read_ttm_loss(reader *r, ptm_config *c) {
    int v = (int)c->loss;
    ptm_status s = cfg_get_enum(r, "loss", ptmi_loss_names, -1, &v);
    if (s != PTM_OK) return s;
    if (v == PTM_LOSS_NLL)
        return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, "loss",
                        "unsupported value \"nll\": TinyTimeMixer has no distribution head; "
                        "accepted: \"mse\", \"mae\", \"pinball\", \"huber\"");
    c->loss = (ptm_loss)v;
    return PTM_OK;
}

/* an integer >= lo, or null (then *out = 0) */
static ptm_status get_optional_int(reader *r, const char *key, int lo, int *out) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    if (v->type == JSON_NULL) {
        *out = 0;
        return PTM_OK;
    }
    if (v->type != JSON_NUMBER || !v->is_integer || v->number < lo || v->number > (1 << 24))
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key,
                        "found %s, expected null or an integer in [%d, %d]", cfg_type_of(v), lo,
                        1 << 24);
    *out = (int)v->number;
    return PTM_OK;
}

static ptm_status read_filter_length(reader *r, ptm_config *c) {
    return get_optional_int(r, "prediction_filter_length", 1, &c->ttm.prediction_filter_length);
}

static ptm_status read_prepend_offset(reader *r, ptm_config *c) {
    return get_optional_int(r, "fcm_prepend_past_offset", 1, &c->ttm.fcm_prepend_past_offset);
}

static ptm_status read_prediction_channels(reader *r, ptm_config *c) {
    return cfg_read_channels(r, "prediction_channel_indices", &c->prediction_channel_indices,
                             &c->num_prediction_channels);
}

static ptm_status read_exogenous_channels(reader *r, ptm_config *c) {
    return cfg_read_channels(r, "exogenous_channel_indices", &c->ttm.exogenous_channel_indices,
                             &c->ttm.num_exogenous_channels);
}

/* one vocabulary size per static categorical variable, in the order of the inputs */
static ptm_status read_categoricals(reader *r, ptm_config *c) {
    ptm_status s =
        cfg_get_int_list(r, "categorical_vocab_size_list", 1, MAX_DIM, 0,
                         &c->ttm.categorical_vocab_size_list, &c->ttm.num_categorical, NULL);
    if (s != PTM_OK) return s;
    if (c->ttm.num_categorical > 64)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "categorical_vocab_size_list",
                        "%d variables, at most 64 are supported", c->ttm.num_categorical);
    return PTM_OK;
}

/* TinyTimeMixerForMaskedPrediction's key: a plain forecaster has it null */
static ptm_status read_masked_context(reader *r, ptm_config *c) {
    const json_value *v = json_get(r->root, "masked_context_length");
    if (v && v->type != JSON_NULL)
        return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, "masked_context_length",
                        "found %s, expected null (masked prediction is not supported)",
                        cfg_type_of(v));
    return PTM_OK;
}

static const key_spec TTM_KEYS[] = {
    CUSTOM("architectures", read_ttm_architectures, NULL),
    INT(context_length, 1, 1 << 24),
    INT(patch_length, 1, 1 << 24),
    INT(patch_stride, 1, 1 << 24),
    INT(num_input_channels, 1, MAX_DIM),
    INT(d_model, 1, 1 << 16),
    INT(expansion_factor, 1, 1 << 10),
    INT(num_layers, 0, MAX_LAYERS),
    FLOAT(dropout, 0.0, 1.0),
    FLOAT(head_dropout, 0.0, 1.0),
    ENUM(mode, cfg_modes, NULL),
    BOOL(gated_attn),
    CUSTOM("norm_mlp", cfg_read_norm_mlp, NULL),
    BOOL(self_attn),
    INT(self_attn_heads, 1, 1 << 16),
    BOOL(use_positional_encoding),
    ENUM(positional_encoding_type, cfg_pes, cfg_uses_pe),
    CUSTOM("scaling", cfg_read_scaling, NULL),
    CUSTOM("loss", read_ttm_loss, NULL),
    ENUM(distribution_output, cfg_dists, NULL),
    INT(prediction_length, 1, 1 << 24),
    CUSTOM("prediction_channel_indices", read_prediction_channels, NULL),
    FLOAT(norm_eps, 0.0, 1.0),
    FLOAT(init_std, 0.0, 1e6),
    INT(num_parallel_samples, 1, 1 << 20),
    BOOL(post_init),
    FLOAT(mask_value, -3.4e38, 3.4e38),
    CUSTOM("masked_context_length", read_masked_context, NULL),
    INT(ttm.adaptive_patching_levels, -MAX_LAYERS, MAX_LEVELS),
    BOOL(ttm.resolution_prefix_tuning),
    INT(ttm.frequency_token_vocab_size, 1, MAX_DIM),
    BOOL(ttm.use_decoder),
    INT(ttm.decoder_num_layers, 0, MAX_LAYERS),
    INT(ttm.decoder_d_model, 1, 1 << 16),
    INT(ttm.decoder_adaptive_patching_levels, -MAX_LAYERS, MAX_LEVELS),
    BOOL(ttm.decoder_raw_residual),
    ENUM(ttm.decoder_mode, cfg_modes, NULL),
    CUSTOM("prediction_filter_length", read_filter_length, NULL),
    CUSTOM("exogenous_channel_indices", read_exogenous_channels, NULL),
    BOOL(ttm.enable_forecast_channel_mixing),
    BOOL(ttm.fcm_gated_attn),
    INT(ttm.fcm_context_length, 0, 1 << 16),
    BOOL(ttm.fcm_use_mixer),
    INT(ttm.fcm_mix_layers, 0, MAX_LAYERS),
    BOOL(ttm.fcm_prepend_past),
    CUSTOM("fcm_prepend_past_offset", read_prepend_offset, NULL),
    CUSTOM("categorical_vocab_size_list", read_categoricals, NULL),
    FLOAT(ttm.huber_delta, 1e-30, 3.4e38),
    FLOAT(ttm.quantile, 0.0, 1.0),
};

/* the table names nested fields "ttm.x"; config.json calls them "x" */
static ptm_status read_ttm_table(reader *r, ptm_config *c) {
    for (size_t i = 0; i < sizeof TTM_KEYS / sizeof TTM_KEYS[0]; i++) {
        key_spec k = TTM_KEYS[i];
        if (strncmp(k.name, "ttm.", 4) == 0) k.name += 4;
        if (k.when && !k.when(c)) continue;
        ptm_status s = cfg_read_key(r, &k, c);
        if (s != PTM_OK) return s;
    }
    return PTM_OK;
}

int ptmi_ttm_level_factor(int width, int level) {
    if (level >= MAX_LEVELS) return 1;
    int f = 1 << level;
    return width / f <= 4 ? 1 : f;
}

/* every level of a stack of width w must split it evenly (granite-tsfm: "d_model should be
 * divisible by 2^i"), and self-attention heads must divide every width */
static ptm_status check_levels(const ptm_config *c, const char *file, const char *key, int w,
                               int levels, ptm_error *err) {
    for (int i = 0; i < (levels > 0 ? levels : 1); i++) {
        int f = levels > 0 ? ptmi_ttm_level_factor(w, i) : 1;
        if (w % f != 0)
            return ptmi_err(err, PTM_ERR_CONFIG, file, key,
                            "width %d is not divisible by 2^%d = %d (level %d of %d)", w, i, f, i,
                            levels);
        if (c->self_attn && (w / f) % c->self_attn_heads != 0)
            return ptmi_err(err, PTM_ERR_CONFIG, file, "self_attn_heads",
                            "%d heads do not divide the width %d of level %d of %s",
                            c->self_attn_heads, w / f, i, key);
    }
    return PTM_OK;
}

static ptm_status check_channels(const int *list, int n, int C, const char *file, const char *key,
                                 ptm_error *err) {
    for (int i = 0; i < n; i++)
        if (list[i] >= C)
            return ptmi_err(err, PTM_ERR_CONFIG, file, key,
                            "channel %d out of range: num_input_channels is %d", list[i], C);
    return PTM_OK;
}

/* the forecast channels default to the complement of the exogenous ones */
static ptm_status complement_channels(ptm_config *c, const char *file, ptm_error *err) {
    const ptm_ttm_config *t = &c->ttm;
    if (c->prediction_channel_indices || !t->exogenous_channel_indices) return PTM_OK;
    int C = c->num_input_channels, n = 0;
    int *list = malloc((size_t)C * sizeof(int));
    if (!list) return ptmi_err(err, PTM_ERR_NOMEM, file, NULL, "out of memory");
    for (int ch = 0, j = 0; ch < C; ch++) {
        while (j < t->num_exogenous_channels && t->exogenous_channel_indices[j] < ch) j++;
        if (j < t->num_exogenous_channels && t->exogenous_channel_indices[j] == ch) continue;
        list[n++] = ch;
    }
    if (n == 0) {
        free(list);
        return ptmi_err(err, PTM_ERR_CONFIG, file, "exogenous_channel_indices",
                        "every channel is exogenous: nothing is left to forecast");
    }
    c->prediction_channel_indices = list;
    c->num_prediction_channels = n;
    return PTM_OK;
}

static ptm_status check_fcm(const ptm_config *c, const char *file, ptm_error *err) {
    const ptm_ttm_config *t = &c->ttm;
    if (!t->enable_forecast_channel_mixing) return PTM_OK;
    int w = t->fcm_context_length;
    if (w == 0 && (!t->fcm_gated_attn || t->fcm_use_mixer))
        return ptmi_err(err, PTM_ERR_CONFIG, file, "fcm_context_length",
                        "0 needs fcm_gated_attn true and fcm_use_mixer false (granite-tsfm "
                        "fails on the other combinations)");
    if (t->fcm_prepend_past && (long)w + t->fcm_prepend_past_offset > c->context_length)
        return ptmi_err(err, PTM_ERR_CONFIG, file, "fcm_prepend_past_offset",
                        "fcm_context_length %d + offset %d reach before the context of %d steps", w,
                        t->fcm_prepend_past_offset, c->context_length);
    if (t->fcm_use_mixer && c->self_attn && (2 * (2 * w + 1)) % c->self_attn_heads != 0)
        return ptmi_err(err, PTM_ERR_CONFIG, file, "self_attn_heads",
                        "%d heads do not divide the forecast channel mixer's width %d",
                        c->self_attn_heads, 2 * (2 * w + 1));
    return PTM_OK;
}

/* derived values and cross-field checks (check_and_init_preprocessing and the modules'
 * constructors) */
static ptm_status ttm_finish(reader *r, ptm_config *c) {
    const char *file = r->file;
    ptm_error *err = r->err;
    ptm_ttm_config *t = &c->ttm;
    if (c->context_length <= c->patch_length)
        return ptmi_err(err, PTM_ERR_CONFIG, file, "patch_length",
                        "patch_length %d must be smaller than context_length %d", c->patch_length,
                        c->context_length);
    c->num_patches = (c->context_length - c->patch_length) / c->patch_stride + 1 +
                     (t->resolution_prefix_tuning ? 1 : 0);
    const json_value *v = json_get(r->root, "num_patches");
    if (v && (v->type != JSON_NUMBER || !v->is_integer || v->number != c->num_patches))
        return ptmi_err(err, PTM_ERR_CONFIG, file, "num_patches",
                        "found %s%s, expected %d = (context_length - patch_length) / "
                        "patch_stride + 1%s",
                        cfg_type_of(v), v->type == JSON_NUMBER ? " of another value" : "",
                        c->num_patches, t->resolution_prefix_tuning ? " + 1 (prefix patch)" : "");
    if (t->prediction_filter_length > c->prediction_length)
        return ptmi_err(err, PTM_ERR_CONFIG, file, "prediction_filter_length",
                        "%d is more than prediction_length %d", t->prediction_filter_length,
                        c->prediction_length);
    ptm_status s = check_levels(c, file, "d_model", c->d_model, t->adaptive_patching_levels, err);
    if (s == PTM_OK && t->use_decoder)
        s = check_levels(c, file, "decoder_d_model", t->decoder_d_model,
                         t->decoder_adaptive_patching_levels, err);
    if (s == PTM_OK)
        s = check_channels(c->prediction_channel_indices, c->num_prediction_channels,
                           c->num_input_channels, file, "prediction_channel_indices", err);
    if (s == PTM_OK)
        s = check_channels(t->exogenous_channel_indices, t->num_exogenous_channels,
                           c->num_input_channels, file, "exogenous_channel_indices", err);
    if (s == PTM_OK) s = complement_channels(c, file, err);
    if (s != PTM_OK) return s;
    if (!c->prediction_channel_indices) c->num_prediction_channels = c->num_input_channels;
    if (t->num_categorical > 0 && t->use_decoder && t->decoder_mode != PTM_MODE_MIX_CHANNEL)
        return ptmi_err(err, PTM_ERR_CONFIG, file, "decoder_mode",
                        "static categorical variables need decoder_mode \"mix_channel\"");
    return check_fcm(c, file, err);
}

ptm_status ptmi_config_read_ttm(reader *r, ptm_config *c) {
    ttm_defaults(c);
    ptm_status s = read_ttm_table(r, c);
    return s == PTM_OK ? ttm_finish(r, c) : s;
}
