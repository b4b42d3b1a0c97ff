/* config.c - the ptm_config struct: Hugging Face's defaults, class names, copy and free, and
 * the cross-field checks and derived values (ptmi_config_finish). Reading config.json is in
 * config_parse.c, writing it in save.c. */
#include "io/config.h"

#include <stdlib.h>
#include <string.h>

#include "io/json.h"

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

const char *ptm_config_class_name(const ptm_config *c) {
    if (!c) return "?";
    return c->family == PTM_FAMILY_TTM ? ptmi_ttm_class_name(c->model_class)
                                       : ptm_class_name(c->model_class);
}

int ptmi_config_patches(const ptm_config *c) {
    int prefix = c->family == PTM_FAMILY_TTM && c->ttm.resolution_prefix_tuning;
    return c->num_patches - prefix;
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
    c->num_forecast_mask_patches = NULL; /* filled by ptmi_config_finish: [2] */
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
    free(c->ttm.exogenous_channel_indices);
    free(c->ttm.categorical_vocab_size_list);
    for (int i = 0; c->id2label && i < c->num_labels; i++) free(c->id2label[i]);
    free(c->id2label);
    c->id2label = NULL;
    c->num_labels = 0;
    c->ttm.exogenous_channel_indices = NULL;
    c->ttm.categorical_vocab_size_list = NULL;
    c->prediction_channel_indices = NULL;
    c->num_forecast_mask_patches = NULL;
    c->unmasked_channel_indices = NULL;
}

ptm_status ptmi_config_copy(ptm_config *dst, const ptm_config *src, ptm_error *err) {
    *dst = *src;
    dst->prediction_channel_indices = NULL;
    dst->num_forecast_mask_patches = NULL;
    dst->unmasked_channel_indices = NULL;
    dst->ttm.exogenous_channel_indices = NULL;
    dst->ttm.categorical_vocab_size_list = NULL;
    struct {
        int *const *from;
        int **to;
        int n;
    } lists[5] = {
        {&src->prediction_channel_indices, &dst->prediction_channel_indices,
         src->prediction_channel_indices ? src->num_prediction_channels : 0},
        {&src->num_forecast_mask_patches, &dst->num_forecast_mask_patches,
         src->num_forecast_mask_patches_count},
        {&src->unmasked_channel_indices, &dst->unmasked_channel_indices,
         src->num_unmasked_channels},
        {&src->ttm.exogenous_channel_indices, &dst->ttm.exogenous_channel_indices,
         src->ttm.num_exogenous_channels},
        {&src->ttm.categorical_vocab_size_list, &dst->ttm.categorical_vocab_size_list,
         src->ttm.num_categorical},
    };
    for (int i = 0; i < 5; i++) {
        if (!*lists[i].from || lists[i].n <= 0) continue;
        *lists[i].to = malloc((size_t)lists[i].n * sizeof(int));
        if (!*lists[i].to) {
            ptm_config_free(dst);
            return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory copying a config");
        }
        memcpy(*lists[i].to, *lists[i].from, (size_t)lists[i].n * sizeof(int));
    }
    dst->id2label = NULL;
    dst->num_labels = 0;
    ptm_status s = ptmi_config_set_labels(dst, (const char *const *)src->id2label,
                                          src->id2label ? src->num_labels : 0, err);
    if (s != PTM_OK) ptm_config_free(dst);
    return s;
}

ptm_status ptmi_config_set_labels(ptm_config *c, const char *const *names, int n, ptm_error *err) {
    for (int i = 0; c->id2label && i < c->num_labels; i++) free(c->id2label[i]);
    free(c->id2label);
    c->id2label = NULL;
    c->num_labels = 0;
    if (n <= 0 || !names) return PTM_OK;
    for (int i = 0; i < n; i++) {
        int ctl = 0;
        for (const unsigned char *p = (const unsigned char *)names[i]; *p && !ctl; p++)
            ctl = *p < 0x20 || *p == 0x7f;
        if (ctl || !json_utf8_valid(names[i], strlen(names[i])))
            return ptmi_err(err, PTM_ERR_CONFIG, NULL, "id2label", "the name of class %d %s", i,
                            ctl ? "holds a control character" : "is not valid UTF-8");
    }
    if (!(c->id2label = calloc((size_t)n, sizeof(char *))))
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, "id2label", "out of memory");
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (!(c->id2label[i] = malloc(len + 1))) {
            for (int k = 0; k < i; k++) free(c->id2label[k]);
            free(c->id2label);
            c->id2label = NULL;
            return ptmi_err(err, PTM_ERR_NOMEM, NULL, "id2label", "out of memory");
        }
        memcpy(c->id2label[i], names[i], len + 1);
    }
    c->num_labels = n;
    return PTM_OK;
}

ptm_status ptmi_config_finish(ptm_config *c, const char *file, ptm_error *err) {
    if (c->context_length < 1 || c->patch_length < 1 || c->patch_stride < 1)
        return ptmi_err(err, PTM_ERR_CONFIG, file, "context_length",
                        "context_length, patch_length and patch_stride must be positive");
    /* HF's patchify requires sequence_length > patch_length */
    if (c->context_length <= c->patch_length)
        return ptmi_err(err, PTM_ERR_CONFIG, file, "patch_length",
                        "patch_length %d must be smaller than context_length %d", c->patch_length,
                        c->context_length);
    /* TinyTimeMixer's frequency prefix is one more patch (ptmi_config_patches) */
    c->num_patches = (c->context_length - c->patch_length) / c->patch_stride + 1 +
                     (c->family == PTM_FAMILY_TTM && c->ttm.resolution_prefix_tuning ? 1 : 0);
    /* [low, high] (HF computes low + (high - low) sigmoid(x); a reversed range flips it) */
    if (c->has_output_range && !(c->output_range[0] < c->output_range[1]))
        return ptmi_err(err, PTM_ERR_CONFIG, file, "output_range",
                        "[%g, %g]: expected [low, high] with low < high",
                        (double)c->output_range[0], (double)c->output_range[1]);
    if (c->self_attn && c->d_model % c->self_attn_heads != 0)
        return ptmi_err(err, PTM_ERR_CONFIG, file, "self_attn_heads",
                        "d_model %d is not divisible by self_attn_heads %d", c->d_model,
                        c->self_attn_heads);
    if (!c->prediction_channel_indices) c->num_prediction_channels = c->num_input_channels;
    for (int i = 0; c->prediction_channel_indices && i < c->num_prediction_channels; i++)
        if (c->prediction_channel_indices[i] >= c->num_input_channels)
            return ptmi_err(err, PTM_ERR_CONFIG, file, "prediction_channel_indices",
                            "channel %d out of range: num_input_channels is %d",
                            c->prediction_channel_indices[i], c->num_input_channels);
    for (int i = 0; i < c->num_unmasked_channels; i++)
        if (c->unmasked_channel_indices[i] >= c->num_input_channels)
            return ptmi_err(err, PTM_ERR_CONFIG, file, "unmasked_channel_indices",
                            "channel %d out of range: num_input_channels is %d",
                            c->unmasked_channel_indices[i], c->num_input_channels);
    if (!c->num_forecast_mask_patches) {
        c->num_forecast_mask_patches = malloc(sizeof(int));
        if (!c->num_forecast_mask_patches)
            return ptmi_err(err, PTM_ERR_NOMEM, file, NULL, "out of memory");
        c->num_forecast_mask_patches[0] = 2;
        c->num_forecast_mask_patches_count = 1;
    }
    if (c->model_class == PTM_CLASS_PRETRAINING && c->mask_type == PTM_MASK_FORECAST) {
        for (int i = 0; i < c->num_forecast_mask_patches_count; i++) {
            int k = c->num_forecast_mask_patches[i];
            if (k <= 0 || k >= c->num_patches)
                return ptmi_err(err, PTM_ERR_CONFIG, file, "num_forecast_mask_patches",
                                "value %d must be greater than 0 and less than num_patches %d", k,
                                c->num_patches);
        }
    }
    return PTM_OK;
}
