/* config.c - reads a Hugging Face PatchTSMixer config.json into a ptm_config.
 *
 * Every PatchTSMixerConfig field is read with Hugging Face's default where the key is absent.
 * A key of the wrong JSON type, or a value this engine does not support, is an error naming
 * the key, what was found and the accepted values; nothing falls back silently. Keys that are
 * not PatchTSMixerConfig fields (torch_dtype, transformers_version, ...) are ignored, as
 * Hugging Face keeps them as plain attributes.
 */
#include "io/config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"

/* Sanity bounds: beyond them a config is refused before any allocation is sized from it. */
#define MAX_DIM (1 << 20)
#define MAX_LAYERS 1024

typedef struct {
    const json_value *root;
    const char *file;
    ptm_error *err;
} reader;

static const char *type_of(const json_value *v) {
    return json_type_name(v->type);
}

static ptm_status bad_type(reader *r, const char *key, const json_value *v, const char *expected) {
    return ptm_err(r->err, PTM_ERR_CONFIG, r->file, key, "found %s, expected %s", type_of(v),
                   expected);
}

/* Integer key in [lo, hi]. Absent (or null when allow_null) keeps *out. */
static ptm_status get_int(reader *r, const char *key, int lo, int hi, int *out) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    if (v->type != JSON_NUMBER || !v->is_integer) return bad_type(r, key, v, "an integer");
    if (v->number < lo || v->number > hi)
        return ptm_err(r->err, PTM_ERR_CONFIG, r->file, key, "value %.17g out of range [%d, %d]",
                       v->number, lo, hi);
    *out = (int)v->number;
    return PTM_OK;
}

static ptm_status get_float(reader *r, const char *key, double lo, double hi, float *out) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    if (v->type != JSON_NUMBER) return bad_type(r, key, v, "a number");
    if (!(v->number >= lo && v->number <= hi))
        return ptm_err(r->err, PTM_ERR_CONFIG, r->file, key, "value %.17g out of range [%g, %g]",
                       v->number, lo, hi);
    *out = (float)v->number;
    return PTM_OK;
}

static ptm_status get_bool(reader *r, const char *key, int *out) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    if (v->type != JSON_BOOL) return bad_type(r, key, v, "true or false");
    *out = v->boolean;
    return PTM_OK;
}

/* String key among `names` (NULL-terminated); sets *out to the index. null_index >= 0 accepts
 * JSON null as that index. */
static ptm_status get_enum(reader *r, const char *key, const char *const *names, int null_index,
                           int *out) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    char accepted[256] = "";
    for (int i = 0; names[i]; i++) {
        size_t used = strlen(accepted);
        snprintf(accepted + used, sizeof accepted - used, "%s\"%s\"", i ? ", " : "", names[i]);
    }
    if (v->type == JSON_NULL && null_index >= 0) {
        *out = null_index;
        return PTM_OK;
    }
    if (v->type != JSON_STRING)
        return ptm_err(r->err, PTM_ERR_CONFIG, r->file, key, "found %s, expected one of %s%s",
                       type_of(v), accepted, null_index >= 0 ? ", null" : "");
    for (int i = 0; names[i]; i++) {
        if (strcmp(v->string, names[i]) == 0) {
            *out = i;
            return PTM_OK;
        }
    }
    return ptm_err(r->err, PTM_ERR_UNSUPPORTED, r->file, key,
                   "unsupported value \"%.100s\"; accepted: %s%s", v->string, accepted,
                   null_index >= 0 ? ", null" : "");
}

/* List of ints in [lo, hi]; null -> *count = 0, *list = NULL. A bare int is accepted when
 * allow_scalar (then *is_list = 0). */
static ptm_status get_int_list(reader *r, const char *key, int lo, int hi, int allow_scalar,
                               int **list, int *count, int *is_list) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    free(*list);
    *list = NULL;
    *count = 0;
    if (is_list) *is_list = 1;
    if (v->type == JSON_NULL) return PTM_OK;
    if (allow_scalar && v->type == JSON_NUMBER) {
        if (!v->is_integer || v->number < lo || v->number > hi)
            return ptm_err(r->err, PTM_ERR_CONFIG, r->file, key,
                           "value %.17g is not an integer in [%d, %d]", v->number, lo, hi);
        *list = malloc(sizeof(int));
        if (!*list) return ptm_err(r->err, PTM_ERR_NOMEM, r->file, key, "out of memory");
        (*list)[0] = (int)v->number;
        *count = 1;
        if (is_list) *is_list = 0;
        return PTM_OK;
    }
    if (v->type != JSON_ARRAY)
        return bad_type(r, key, v,
                        allow_scalar ? "an integer, a list of integers or null"
                                     : "a list of integers or null");
    if (v->count > (size_t)MAX_DIM)
        return ptm_err(r->err, PTM_ERR_CONFIG, r->file, key, "list of %zu items is too long",
                       v->count);
    if (v->count == 0) return PTM_OK;
    *list = malloc(v->count * sizeof(int));
    if (!*list) return ptm_err(r->err, PTM_ERR_NOMEM, r->file, key, "out of memory");
    for (size_t i = 0; i < v->count; i++) {
        const json_value *it = &v->items[i];
        if (it->type != JSON_NUMBER || !it->is_integer || it->number < lo || it->number > hi)
            return ptm_err(r->err, PTM_ERR_CONFIG, r->file, key,
                           "item %zu is not an integer in [%d, %d]", i, lo, hi);
        (*list)[i] = (int)it->number;
    }
    *count = (int)v->count;
    return PTM_OK;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sort (HF sorts these lists) and refuse duplicates. */
static ptm_status sort_unique(reader *r, const char *key, int *list, int count) {
    if (count > 1) qsort(list, (size_t)count, sizeof(int), cmp_int);
    for (int i = 1; i < count; i++)
        if (list[i] == list[i - 1])
            return ptm_err(r->err, PTM_ERR_CONFIG, r->file, key, "channel %d is listed twice",
                           list[i]);
    return PTM_OK;
}

static const char *const CLASS_NAMES[] = {"PatchTSMixerModel",
                                          "PatchTSMixerForPrediction",
                                          "PatchTSMixerForTimeSeriesClassification",
                                          "PatchTSMixerForRegression",
                                          "PatchTSMixerForPretraining",
                                          NULL};

const char *ptm_class_name(ptm_class c) {
    if ((int)c < 0 || (int)c > 4) return "?";
    return CLASS_NAMES[c];
}

void ptm_config_defaults(ptm_config *c) {
    memset(c, 0, sizeof *c);
    c->model_class = PTM_CLASS_MODEL;
    c->context_length = 32;
    c->patch_length = 8;
    c->patch_stride = 8;
    c->num_input_channels = 1;
    c->d_model = 8;
    c->expansion_factor = 2;
    c->num_layers = 3;
    c->dropout = 0.2f;
    c->head_dropout = 0.2f;
    c->mode = PTM_MODE_COMMON_CHANNEL;
    c->gated_attn = 1;
    c->norm_mlp = PTM_NORM_LAYER;
    c->self_attn = 0;
    c->self_attn_heads = 1;
    c->use_positional_encoding = 0;
    c->positional_encoding_type = PTM_PE_SINCOS;
    c->scaling = PTM_SCALING_STD;
    c->loss = PTM_LOSS_MSE;
    c->distribution_output = PTM_DIST_STUDENT_T;
    c->prediction_length = 16;
    c->num_targets = 3;
    c->head_aggregation = PTM_AGG_MAX_POOL;
    c->norm_eps = 1e-5f;
    c->init_std = 0.02f;
    c->num_parallel_samples = 100;
    c->mask_type = PTM_MASK_RANDOM;
    c->random_mask_ratio = 0.5f;
    c->num_forecast_mask_patches_count = 1;
    c->num_forecast_mask_patches = NULL; /* filled by ptm_config_finish: [2] */
    c->forecast_mask_patches_is_list = 1;
    c->mask_value = 0.0f;
    c->masked_loss = 1;
    c->channel_consistent_masking = 1;
}

void ptm_config_free(ptm_config *c) {
    if (!c) return;
    free(c->prediction_channel_indices);
    free(c->num_forecast_mask_patches);
    free(c->unmasked_channel_indices);
    c->prediction_channel_indices = NULL;
    c->num_forecast_mask_patches = NULL;
    c->unmasked_channel_indices = NULL;
}

ptm_status ptm_config_copy(ptm_config *dst, const ptm_config *src, ptm_error *err) {
    *dst = *src;
    dst->prediction_channel_indices = NULL;
    dst->num_forecast_mask_patches = NULL;
    dst->unmasked_channel_indices = NULL;
    struct {
        int *const *from;
        int **to;
        int n;
    } lists[3] = {
        {&src->prediction_channel_indices, &dst->prediction_channel_indices,
         src->prediction_channel_indices ? src->num_prediction_channels : 0},
        {&src->num_forecast_mask_patches, &dst->num_forecast_mask_patches,
         src->num_forecast_mask_patches_count},
        {&src->unmasked_channel_indices, &dst->unmasked_channel_indices,
         src->num_unmasked_channels},
    };
    for (int i = 0; i < 3; i++) {
        if (!*lists[i].from || lists[i].n <= 0) continue;
        *lists[i].to = malloc((size_t)lists[i].n * sizeof(int));
        if (!*lists[i].to) {
            ptm_config_free(dst);
            return ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory copying a config");
        }
        memcpy(*lists[i].to, *lists[i].from, (size_t)lists[i].n * sizeof(int));
    }
    return PTM_OK;
}

ptm_status ptm_config_finish(ptm_config *c, const char *file, ptm_error *err) {
    if (c->context_length < 1 || c->patch_length < 1 || c->patch_stride < 1)
        return ptm_err(err, PTM_ERR_CONFIG, file, "context_length",
                       "context_length, patch_length and patch_stride must be positive");
    /* HF's patchify requires sequence_length > patch_length */
    if (c->context_length <= c->patch_length)
        return ptm_err(err, PTM_ERR_CONFIG, file, "patch_length",
                       "patch_length %d must be smaller than context_length %d", c->patch_length,
                       c->context_length);
    c->num_patches = (c->context_length - c->patch_length) / c->patch_stride + 1;
    if (c->self_attn && c->d_model % c->self_attn_heads != 0)
        return ptm_err(err, PTM_ERR_CONFIG, file, "self_attn_heads",
                       "d_model %d is not divisible by self_attn_heads %d", c->d_model,
                       c->self_attn_heads);
    if (!c->prediction_channel_indices) c->num_prediction_channels = c->num_input_channels;
    for (int i = 0; c->prediction_channel_indices && i < c->num_prediction_channels; i++)
        if (c->prediction_channel_indices[i] >= c->num_input_channels)
            return ptm_err(err, PTM_ERR_CONFIG, file, "prediction_channel_indices",
                           "channel %d out of range: num_input_channels is %d",
                           c->prediction_channel_indices[i], c->num_input_channels);
    for (int i = 0; i < c->num_unmasked_channels; i++)
        if (c->unmasked_channel_indices[i] >= c->num_input_channels)
            return ptm_err(err, PTM_ERR_CONFIG, file, "unmasked_channel_indices",
                           "channel %d out of range: num_input_channels is %d",
                           c->unmasked_channel_indices[i], c->num_input_channels);
    if (!c->num_forecast_mask_patches) {
        c->num_forecast_mask_patches = malloc(sizeof(int));
        if (!c->num_forecast_mask_patches)
            return ptm_err(err, PTM_ERR_NOMEM, file, NULL, "out of memory");
        c->num_forecast_mask_patches[0] = 2;
        c->num_forecast_mask_patches_count = 1;
    }
    if (c->model_class == PTM_CLASS_PRETRAINING && c->mask_type == PTM_MASK_FORECAST) {
        for (int i = 0; i < c->num_forecast_mask_patches_count; i++) {
            int k = c->num_forecast_mask_patches[i];
            if (k <= 0 || k >= c->num_patches)
                return ptm_err(err, PTM_ERR_CONFIG, file, "num_forecast_mask_patches",
                               "value %d must be greater than 0 and less than num_patches %d", k,
                               c->num_patches);
        }
    }
    return PTM_OK;
}

ptm_status ptm_config_parse(const char *text, size_t len, const char *file, int default_class,
                            ptm_config *c, ptm_error *err) {
    if (!c) return ptm_err(err, PTM_ERR_ARG, file, NULL, "output config is NULL");
    ptm_config_defaults(c);
    if (!text) return ptm_err(err, PTM_ERR_ARG, file, NULL, "config text is NULL");
    if (default_class < -1 || default_class > (int)PTM_CLASS_PRETRAINING)
        return ptm_err(err, PTM_ERR_ARG, file, "default_class",
                       "found %d, expected -1 or a ptm_class", default_class);
    json_value *root = NULL;
    ptm_status s = json_parse(text, len, file, &root, err);
    if (s != PTM_OK) return s;
    reader rd = {root, file, err};
    reader *r = &rd;
    if (root->type != JSON_OBJECT) {
        s = ptm_err(err, PTM_ERR_CONFIG, file, NULL, "top level is %s, expected an object",
                    type_of(root));
        goto done;
    }

    /* class, from architectures[0] */
    const json_value *arch = json_get(root, "architectures");
    if ((!arch || arch->type == JSON_NULL) && default_class >= 0) {
        c->model_class = (ptm_class)default_class;
    } else if (!arch || arch->type == JSON_NULL) {
        s = ptm_err(err, PTM_ERR_CONFIG, file, "architectures",
                    "missing; expected a list naming one of PatchTSMixerModel, "
                    "PatchTSMixerForPrediction, PatchTSMixerForTimeSeriesClassification, "
                    "PatchTSMixerForRegression, PatchTSMixerForPretraining");
        goto done;
    } else if (arch->type != JSON_ARRAY || arch->count < 1 || arch->items[0].type != JSON_STRING) {
        s = ptm_err(err, PTM_ERR_CONFIG, file, "architectures",
                    "found %s, expected a non-empty list of class names", type_of(arch));
        goto done;
    } else {
        int found = -1;
        for (int i = 0; CLASS_NAMES[i]; i++)
            if (strcmp(arch->items[0].string, CLASS_NAMES[i]) == 0) found = i;
        if (found < 0) {
            s = ptm_err(err, PTM_ERR_UNSUPPORTED, file, "architectures",
                        "unsupported class \"%.100s\"; accepted: PatchTSMixerModel, "
                        "PatchTSMixerForPrediction, PatchTSMixerForTimeSeriesClassification, "
                        "PatchTSMixerForRegression, PatchTSMixerForPretraining",
                        arch->items[0].string);
            goto done;
        }
        c->model_class = (ptm_class)found;
    }
    {
        const json_value *mt = json_get(root, "model_type");
        if (mt && (mt->type != JSON_STRING || strcmp(mt->string, "patchtsmixer") != 0)) {
            s = ptm_err(err, PTM_ERR_UNSUPPORTED, file, "model_type",
                        "found %s%s%.60s%s, expected \"patchtsmixer\"", type_of(mt),
                        mt->type == JSON_STRING ? " \"" : "",
                        mt->type == JSON_STRING ? mt->string : "",
                        mt->type == JSON_STRING ? "\"" : "");
            goto done;
        }
    }

#define TRY(call)                                                                                  \
    do {                                                                                           \
        s = (call);                                                                                \
        if (s != PTM_OK) goto done;                                                                \
    } while (0)
    TRY(get_int(r, "context_length", 1, 1 << 24, &c->context_length));
    TRY(get_int(r, "patch_length", 1, 1 << 24, &c->patch_length));
    TRY(get_int(r, "patch_stride", 1, 1 << 24, &c->patch_stride));
    TRY(get_int(r, "num_input_channels", 1, MAX_DIM, &c->num_input_channels));
    TRY(get_int(r, "d_model", 1, 1 << 16, &c->d_model));
    TRY(get_int(r, "expansion_factor", 1, 1 << 10, &c->expansion_factor));
    TRY(get_int(r, "num_layers", 0, MAX_LAYERS, &c->num_layers));
    TRY(get_float(r, "dropout", 0.0, 1.0, &c->dropout));
    TRY(get_float(r, "head_dropout", 0.0, 1.0, &c->head_dropout));
    {
        static const char *const modes[] = {"common_channel", "mix_channel", NULL};
        int m = (int)c->mode;
        TRY(get_enum(r, "mode", modes, -1, &m));
        c->mode = (ptm_mode)m;
    }
    TRY(get_bool(r, "gated_attn", &c->gated_attn));
    {
        /* HF: any norm_mlp containing "batch" (case-insensitive) is BatchNorm, else LayerNorm.
         * We accept exactly those two families and refuse anything else. */
        const json_value *v = json_get(root, "norm_mlp");
        if (v) {
            if (v->type != JSON_STRING) {
                s = bad_type(r, "norm_mlp", v, "\"LayerNorm\" or \"BatchNorm\"");
                goto done;
            }
            char low[64] = "";
            size_t n = v->string_len < sizeof low - 1 ? v->string_len : sizeof low - 1;
            for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)v->string[i]);
            low[n] = 0;
            if (strstr(low, "batch"))
                c->norm_mlp = PTM_NORM_BATCH;
            else if (strcmp(low, "layernorm") == 0)
                c->norm_mlp = PTM_NORM_LAYER;
            else {
                s = ptm_err(err, PTM_ERR_UNSUPPORTED, file, "norm_mlp",
                            "unsupported value \"%.60s\"; accepted: \"LayerNorm\", \"BatchNorm\"",
                            v->string);
                goto done;
            }
        }
    }
    TRY(get_bool(r, "self_attn", &c->self_attn));
    TRY(get_int(r, "self_attn_heads", 1, 1 << 16, &c->self_attn_heads));
    TRY(get_bool(r, "use_positional_encoding", &c->use_positional_encoding));
    if (c->use_positional_encoding) {
        static const char *const pes[] = {"sincos", "random", NULL};
        int p = (int)c->positional_encoding_type;
        TRY(get_enum(r, "positional_encoding_type", pes, -1, &p));
        c->positional_encoding_type = (ptm_pe)p;
    }
    {
        /* HF: "mean" -> mean scaler; "std" or true -> std scaler; otherwise no scaling. */
        const json_value *v = json_get(root, "scaling");
        if (v) {
            if (v->type == JSON_NULL || (v->type == JSON_BOOL && !v->boolean))
                c->scaling = PTM_SCALING_NONE;
            else if (v->type == JSON_BOOL)
                c->scaling = PTM_SCALING_STD;
            else if (v->type == JSON_STRING && strcmp(v->string, "std") == 0)
                c->scaling = PTM_SCALING_STD;
            else if (v->type == JSON_STRING && strcmp(v->string, "mean") == 0)
                c->scaling = PTM_SCALING_MEAN;
            else if (v->type == JSON_STRING && strcmp(v->string, "none") == 0)
                c->scaling = PTM_SCALING_NONE;
            else {
                s = ptm_err(err, PTM_ERR_UNSUPPORTED, file, "scaling",
                            "unsupported value (%s); accepted: \"std\", \"mean\", \"none\", "
                            "true, false, null",
                            type_of(v));
                goto done;
            }
        }
    }
    int uses_loss =
        c->model_class == PTM_CLASS_PREDICTION || c->model_class == PTM_CLASS_REGRESSION;
    if (uses_loss) {
        static const char *const losses[] = {"mse", "nll", NULL};
        int l = (int)c->loss;
        TRY(get_enum(r, "loss", losses, -1, &l));
        c->loss = (ptm_loss)l;
        if (c->loss == PTM_LOSS_NLL) {
            static const char *const dists[] = {"student_t", "normal", "negative_binomial", NULL};
            int d = (int)c->distribution_output;
            TRY(get_enum(r, "distribution_output", dists, -1, &d));
            c->distribution_output = (ptm_dist)d;
        }
    } else {
        c->loss = PTM_LOSS_MSE;
    }
    TRY(get_int(r, "prediction_length", 1, 1 << 24, &c->prediction_length));
    TRY(get_int_list(r, "prediction_channel_indices", 0, MAX_DIM, 0, &c->prediction_channel_indices,
                     &c->num_prediction_channels, NULL));
    if (c->prediction_channel_indices && c->num_prediction_channels == 0) {
        s = ptm_err(err, PTM_ERR_CONFIG, file, "prediction_channel_indices",
                    "empty list; expected at least one channel or null");
        goto done;
    }
    TRY(sort_unique(r, "prediction_channel_indices", c->prediction_channel_indices,
                    c->num_prediction_channels));
    TRY(get_int(r, "num_targets", 1, MAX_DIM, &c->num_targets));
    {
        const json_value *v = json_get(root, "output_range");
        if (v && v->type != JSON_NULL) {
            if (v->type != JSON_ARRAY || v->count != 2 || v->items[0].type != JSON_NUMBER ||
                v->items[1].type != JSON_NUMBER) {
                s = ptm_err(err, PTM_ERR_CONFIG, file, "output_range",
                            "found %s, expected null or a list of two numbers [low, high]",
                            type_of(v));
                goto done;
            }
            c->has_output_range = 1;
            c->output_range[0] = (float)v->items[0].number;
            c->output_range[1] = (float)v->items[1].number;
            if (!isfinite(c->output_range[0]) || !isfinite(c->output_range[1])) {
                s = ptm_err(err, PTM_ERR_CONFIG, file, "output_range", "values must be finite");
                goto done;
            }
        }
    }
    if (c->model_class == PTM_CLASS_CLASSIFICATION || c->model_class == PTM_CLASS_REGRESSION) {
        static const char *const aggs[] = {"none", "max_pool", "avg_pool", "use_last", NULL};
        int a = (int)c->head_aggregation;
        TRY(get_enum(r, "head_aggregation", aggs, 0, &a));
        if (a == 0) {
            /* the string "none" is not an HF value: only JSON null means no aggregation */
            const json_value *v = json_get(root, "head_aggregation");
            if (v && v->type == JSON_STRING) {
                s = ptm_err(err, PTM_ERR_UNSUPPORTED, file, "head_aggregation",
                            "unsupported value \"none\"; accepted: \"max_pool\", \"avg_pool\", "
                            "\"use_last\", null");
                goto done;
            }
        }
        c->head_aggregation = (ptm_agg)a;
    }
    TRY(get_float(r, "norm_eps", 0.0, 1.0, &c->norm_eps));
    TRY(get_float(r, "init_std", 0.0, 1e6, &c->init_std));
    TRY(get_int(r, "num_parallel_samples", 1, 1 << 20, &c->num_parallel_samples));
    TRY(get_bool(r, "post_init", &c->post_init));
    if (c->model_class == PTM_CLASS_PRETRAINING) {
        static const char *const masks[] = {"random", "forecast", NULL};
        int m = (int)c->mask_type;
        TRY(get_enum(r, "mask_type", masks, -1, &m));
        c->mask_type = (ptm_mask_type)m;
    }
    {
        const json_value *v = json_get(root, "random_mask_ratio");
        if (v) {
            if (v->type != JSON_NUMBER) {
                s = bad_type(r, "random_mask_ratio", v, "a number in [0, 1)");
                goto done;
            }
            if (!(v->number >= 0 && v->number < 1)) {
                s = ptm_err(err, PTM_ERR_CONFIG, file, "random_mask_ratio",
                            "value %.17g out of range [0, 1)", v->number);
                goto done;
            }
            c->random_mask_ratio = v->number;
        }
    }
    {
        int is_list = 1;
        const json_value *v = json_get(root, "num_forecast_mask_patches");
        if (v && v->type == JSON_NULL) {
            if (c->model_class == PTM_CLASS_PRETRAINING && c->mask_type == PTM_MASK_FORECAST) {
                s = ptm_err(err, PTM_ERR_CONFIG, file, "num_forecast_mask_patches",
                            "null, expected an integer or a list of integers for forecast masking");
                goto done;
            }
        } else {
            TRY(get_int_list(r, "num_forecast_mask_patches", -(1 << 24), 1 << 24, 1,
                             &c->num_forecast_mask_patches, &c->num_forecast_mask_patches_count,
                             &is_list));
            c->forecast_mask_patches_is_list = is_list;
            if (v && c->num_forecast_mask_patches_count == 0 &&
                c->model_class == PTM_CLASS_PRETRAINING && c->mask_type == PTM_MASK_FORECAST) {
                s = ptm_err(err, PTM_ERR_CONFIG, file, "num_forecast_mask_patches",
                            "empty list, expected at least one number of patches");
                goto done;
            }
        }
    }
    TRY(get_float(r, "mask_value", -3.4e38, 3.4e38, &c->mask_value));
    TRY(get_bool(r, "masked_loss", &c->masked_loss));
    TRY(get_bool(r, "channel_consistent_masking", &c->channel_consistent_masking));
    TRY(get_int_list(r, "unmasked_channel_indices", 0, MAX_DIM, 0, &c->unmasked_channel_indices,
                     &c->num_unmasked_channels, NULL));
    TRY(sort_unique(r, "unmasked_channel_indices", c->unmasked_channel_indices,
                    c->num_unmasked_channels));
#undef TRY

    s = ptm_config_finish(c, file, err);
    if (s != PTM_OK) goto done;
    {
        /* config.json also stores the derived num_patches; HF would use the stored value, so a
         * different one means a checkpoint that cannot run. */
        const json_value *v = json_get(root, "num_patches");
        if (v && (v->type != JSON_NUMBER || !v->is_integer || v->number != c->num_patches)) {
            s = ptm_err(err, PTM_ERR_CONFIG, file, "num_patches",
                        "found %s%s, expected %d = (context_length - patch_length) / "
                        "patch_stride + 1",
                        type_of(v), v->type == JSON_NUMBER ? " of another value" : "",
                        c->num_patches);
            goto done;
        }
    }
done:
    json_free(root);
    if (s != PTM_OK) ptm_config_free(c);
    return s;
}

ptm_status ptm_config_load(const char *path, int default_class, ptm_config *c, ptm_error *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    if (!c) return ptm_err(err, PTM_ERR_ARG, path, NULL, "output config is NULL");
    ptm_config_defaults(c);
    if (!path) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "config path is NULL");
    ptm_status s = ptm_read_file(path, (size_t)16 << 20, &buf, &size, err);
    if (s != PTM_OK) return s;
    if (size == 0) {
        free(buf);
        return ptm_err(err, PTM_ERR_FORMAT, path, NULL, "empty file, expected a JSON object");
    }
    s = ptm_config_parse((const char *)buf, size, path, default_class, c, err);
    free(buf);
    return s;
}
