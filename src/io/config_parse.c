/* config_parse.c - reads a Hugging Face PatchTSMixer config.json into a ptm_config.
 *
 * Every PatchTSMixerConfig field is read with Hugging Face's default where the key is absent.
 * A key of the wrong JSON type, or a value this engine does not support, is an error naming
 * the key, what was found and the accepted values; nothing falls back silently. Keys that are
 * not PatchTSMixerConfig fields (torch_dtype, transformers_version, ...) are ignored, as
 * Hugging Face keeps them as plain attributes.
 */
#include "io/config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config_keys.h"

/* class, from architectures[0]; absent or null takes the caller's default_class if any */
static ptm_status read_architectures(reader *r, ptm_config *c) {
    const json_value *arch = json_get(r->root, "architectures");
    if ((!arch || arch->type == JSON_NULL) && r->default_class >= 0) {
        c->model_class = (ptm_class)r->default_class;
        return PTM_OK;
    }
    if (!arch || arch->type == JSON_NULL)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "architectures",
                        "missing; expected a list naming one of PatchTSMixerModel, "
                        "PatchTSMixerForPrediction, PatchTSMixerForTimeSeriesClassification, "
                        "PatchTSMixerForRegression, PatchTSMixerForPretraining");
    if (arch->type != JSON_ARRAY || arch->count < 1 || arch->items[0].type != JSON_STRING)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "architectures",
                        "found %s, expected a non-empty list of class names", cfg_type_of(arch));
    int found = -1;
    for (int i = 0; i <= (int)PTM_CLASS_PRETRAINING; i++)
        if (strcmp(arch->items[0].string, ptm_class_name((ptm_class)i)) == 0) found = i;
    if (found < 0)
        return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, "architectures",
                        "unsupported class \"%.100s\"; accepted: PatchTSMixerModel, "
                        "PatchTSMixerForPrediction, PatchTSMixerForTimeSeriesClassification, "
                        "PatchTSMixerForRegression, PatchTSMixerForPretraining",
                        arch->items[0].string);
    c->model_class = (ptm_class)found;
    return PTM_OK;
}

static ptm_status read_model_type(reader *r, ptm_config *c) {
    const json_value *mt = json_get(r->root, "model_type");
    if (mt && (mt->type != JSON_STRING || strcmp(mt->string, "patchtsmixer") != 0))
        return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, "model_type",
                        "found %s%s%.60s%s, expected \"patchtsmixer\" or \"tinytimemixer\"",
                        cfg_type_of(mt), mt->type == JSON_STRING ? " \"" : "",
                        mt->type == JSON_STRING ? mt->string : "",
                        mt->type == JSON_STRING ? "\"" : "");
    return PTM_OK;
}

static ptm_status read_prediction_channels(reader *r, ptm_config *c) {
    return cfg_read_channels(r, "prediction_channel_indices", &c->prediction_channel_indices,
                             &c->num_prediction_channels);
}

static ptm_status read_unmasked_channels(reader *r, ptm_config *c) {
    return cfg_read_channels(r, "unmasked_channel_indices", &c->unmasked_channel_indices,
                             &c->num_unmasked_channels);
}

static ptm_status read_output_range(reader *r, ptm_config *c) {
    const json_value *v = json_get(r->root, "output_range");
    if (!v || v->type == JSON_NULL) return PTM_OK;
    if (v->type != JSON_ARRAY || v->count != 2 || v->items[0].type != JSON_NUMBER ||
        v->items[1].type != JSON_NUMBER)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "output_range",
                        "found %s, expected null or a list of two numbers [low, high]",
                        cfg_type_of(v));
    c->has_output_range = 1;
    c->output_range[0] = (float)v->items[0].number;
    c->output_range[1] = (float)v->items[1].number;
    if (!isfinite(c->output_range[0]) || !isfinite(c->output_range[1]))
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "output_range", "values must be finite");
    return PTM_OK;
}

static ptm_status read_head_aggregation(reader *r, ptm_config *c) {
    static const char *const aggs[] = {"none", "max_pool", "avg_pool", "use_last", NULL};
    int a = (int)c->head_aggregation;
    ptm_status s = cfg_get_enum(r, "head_aggregation", aggs, 0, &a);
    if (s != PTM_OK) return s;
    if (a == 0) {
        /* the string "none" is not an HF value: only JSON null means no aggregation */
        const json_value *v = json_get(r->root, "head_aggregation");
        if (v && v->type == JSON_STRING)
            return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, "head_aggregation",
                            "unsupported value \"none\"; accepted: \"max_pool\", \"avg_pool\", "
                            "\"use_last\", null");
    }
    c->head_aggregation = (ptm_agg)a;
    return PTM_OK;
}

static ptm_status read_random_mask_ratio(reader *r, ptm_config *c) {
    const json_value *v = json_get(r->root, "random_mask_ratio");
    if (!v) return PTM_OK;
    if (v->type != JSON_NUMBER)
        return cfg_bad_type(r, "random_mask_ratio", v, "a number in [0, 1)");
    if (!(v->number >= 0 && v->number < 1))
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "random_mask_ratio",
                        "value %.17g out of range [0, 1)", v->number);
    c->random_mask_ratio = v->number;
    return PTM_OK;
}

/* An integer or a list of them; null and [] are refused where forecast masking needs them. */
static ptm_status read_forecast_mask_patches(reader *r, ptm_config *c) {
    const char *key = "num_forecast_mask_patches";
    int forecast = c->model_class == PTM_CLASS_PRETRAINING && c->mask_type == PTM_MASK_FORECAST;
    const json_value *v = json_get(r->root, key);
    if (v && v->type == JSON_NULL) {
        if (forecast)
            return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key,
                            "null, expected an integer or a list of integers for forecast masking");
        return PTM_OK;
    }
    int is_list = 1;
    ptm_status s = cfg_get_int_list(r, key, -(1 << 24), 1 << 24, 1, &c->num_forecast_mask_patches,
                                    &c->num_forecast_mask_patches_count, &is_list);
    if (s != PTM_OK) return s;
    c->forecast_mask_patches_is_list = is_list;
    if (v && c->num_forecast_mask_patches_count == 0 && forecast)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key,
                        "empty list, expected at least one number of patches");
    return PTM_OK;
}

/* outside these classes loss keeps its default, mse */
static int uses_loss(const ptm_config *c) {
    return c->model_class == PTM_CLASS_PREDICTION || c->model_class == PTM_CLASS_REGRESSION;
}
static int uses_nll(const ptm_config *c) {
    return uses_loss(c) && c->loss == PTM_LOSS_NLL;
}
static int aggregates(const ptm_config *c) {
    return c->model_class == PTM_CLASS_CLASSIFICATION || c->model_class == PTM_CLASS_REGRESSION;
}
static int pretrains(const ptm_config *c) {
    return c->model_class == PTM_CLASS_PRETRAINING;
}

/* id2label: {"0": name, "1": name, ...}, the keys exactly 0 .. n-1 in decimal (Hugging Face's
 * classifiers; label2id is derived from it, so it is not read) */
static ptm_status read_id2label(reader *r, ptm_config *c) {
    const json_value *v = json_get(r->root, "id2label");
    if (!v || v->type == JSON_NULL) return PTM_OK;
    if (v->type != JSON_OBJECT) return cfg_bad_type(r, "id2label", v, "an object");
    if (v->count > MAX_DIM)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "id2label", "%zu labels, at most %d",
                        v->count, MAX_DIM);
    const char **names = calloc(v->count + 1, sizeof(char *));
    if (!names) return ptmi_err(r->err, PTM_ERR_NOMEM, r->file, "id2label", "out of memory");
    ptm_status s = PTM_OK;
    for (size_t i = 0; i < v->count && s == PTM_OK; i++) {
        const char *k = v->keys[i];
        char *end = NULL;
        long id = k[0] >= '0' && k[0] <= '9' && !(k[0] == '0' && k[1]) ? strtol(k, &end, 10) : -1;
        if (id < 0 || *end || id >= (long)v->count)
            s = ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "id2label",
                         "key \"%s\": expected the class indices 0 to %zu", k, v->count - 1);
        else if (v->items[i].type != JSON_STRING)
            s = ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "id2label",
                         "\"%s\": found %s, expected a class name (a string)", k,
                         cfg_type_of(&v->items[i]));
        else if (names[id])
            s = ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "id2label", "class %ld named twice", id);
        else
            names[id] = v->items[i].string;
    }
    if (s == PTM_OK && (s = ptmi_config_set_labels(c, names, (int)v->count, r->err)) != PTM_OK &&
        r->err)
        ptmi_escape(r->err->file, sizeof r->err->file, r->file, SIZE_MAX);
    free(names);
    return s;
}

static const char *const LOSSES[] = {"mse", "nll", NULL};
static const char *const MASKS[] = {"random", "forecast", NULL};

static const key_spec KEYS[] = {
    CUSTOM("architectures", read_architectures, NULL),
    CUSTOM("model_type", read_model_type, NULL),
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
    ENUM(loss, LOSSES, uses_loss),
    ENUM(distribution_output, cfg_dists, uses_nll),
    INT(prediction_length, 1, 1 << 24),
    CUSTOM("prediction_channel_indices", read_prediction_channels, NULL),
    INT(num_targets, 1, MAX_DIM),
    CUSTOM("output_range", read_output_range, NULL),
    CUSTOM("head_aggregation", read_head_aggregation, aggregates),
    FLOAT(norm_eps, 0.0, 1.0),
    FLOAT(init_std, 0.0, 1e6),
    INT(num_parallel_samples, 1, 1 << 20),
    BOOL(post_init),
    ENUM(mask_type, MASKS, pretrains),
    CUSTOM("random_mask_ratio", read_random_mask_ratio, NULL),
    CUSTOM("num_forecast_mask_patches", read_forecast_mask_patches, NULL),
    FLOAT(mask_value, -3.4e38, 3.4e38),
    BOOL(masked_loss),
    BOOL(channel_consistent_masking),
    CUSTOM("unmasked_channel_indices", read_unmasked_channels, NULL),
    CUSTOM("id2label", read_id2label, NULL),
};
#undef F
#undef INT
#undef FLOAT
#undef BOOL
#undef ENUM
#undef CUSTOM

/* config.json also stores the derived num_patches; HF would use the stored value, so a
 * different one means a checkpoint that cannot run. */
static ptm_status check_num_patches(reader *r, const ptm_config *c) {
    const json_value *v = json_get(r->root, "num_patches");
    if (v && (v->type != JSON_NUMBER || !v->is_integer || v->number != c->num_patches))
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, "num_patches",
                        "found %s%s, expected %d = (context_length - patch_length) / "
                        "patch_stride + 1",
                        cfg_type_of(v), v->type == JSON_NUMBER ? " of another value" : "",
                        c->num_patches);
    return PTM_OK;
}

static ptm_status read_keys(reader *r, ptm_config *c) {
    if (r->root->type != JSON_OBJECT)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, NULL,
                        "top level is %s, expected an object", cfg_type_of(r->root));
    ptm_status s = cfg_check_typos(r, KEYS, sizeof KEYS / sizeof KEYS[0]);
    if (s == PTM_OK) s = cfg_read_table(r, KEYS, sizeof KEYS / sizeof KEYS[0], c);
    if (s != PTM_OK) return s;
    s = ptmi_config_finish(c, r->file, r->err);
    if (s != PTM_OK) return s;
    return check_num_patches(r, c);
}

ptm_status ptm_config_parse(const char *text, size_t len, const char *file, int default_class,
                            ptm_config *c, ptm_error *err) {
    if (!c) return ptmi_err(err, PTM_ERR_ARG, file, NULL, "output config is NULL");
    ptm_config_defaults(c);
    if (!text) return ptmi_err(err, PTM_ERR_ARG, file, NULL, "config text is NULL");
    if (default_class < -1 || default_class > (int)PTM_CLASS_PRETRAINING)
        return ptmi_err(err, PTM_ERR_ARG, file, "default_class",
                        "found %d, expected -1 or a ptm_class", default_class);
    json_value *root = NULL;
    ptm_status s = json_parse(text, len, file, &root, err);
    if (s != PTM_OK) return s;
    reader r = {root, file, default_class, err};
    const json_value *mt = root->type == JSON_OBJECT ? json_get(root, "model_type") : NULL;
    /* the family first: its key table reads everything else */
    if (mt && mt->type == JSON_STRING && strcmp(mt->string, "tinytimemixer") == 0)
        s = ptmi_config_read_ttm(&r, c);
    else if (mt && !(mt->type == JSON_STRING && strcmp(mt->string, "patchtsmixer") == 0))
        s = read_model_type(&r, c);
    else
        s = read_keys(&r, c);
    json_free(root);
    if (s != PTM_OK) ptm_config_free(c);
    return s;
}

ptm_status ptm_config_load(const char *path, int default_class, ptm_config *c, ptm_error *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    if (!c) return ptmi_err(err, PTM_ERR_ARG, path, NULL, "output config is NULL");
    ptm_config_defaults(c);
    if (!path) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "config path is NULL");
    ptm_status s = ptmi_read_file(path, (size_t)16 << 20, &buf, &size, err);
    if (s != PTM_OK) return s;
    if (size == 0) {
        free(buf);
        return ptmi_err(err, PTM_ERR_FORMAT, path, NULL, "empty file, expected a JSON object");
    }
    s = ptm_config_parse((const char *)buf, size, path, default_class, c, err);
    free(buf);
    return s;
}
