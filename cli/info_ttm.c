/* info_ttm.c - `patchtsmixer info` of a TinyTimeMixer checkpoint: its structure in words
 * (encoder levels, decoder, head and forecast channel mixer) or as JSON, called by info.c. */
#include <stdio.h>

#include "cli.h"

static const char *ttm_mode(ptm_mode m) {
    return m == PTM_MODE_MIX_CHANNEL ? "mix_channel" : "common_channel";
}

/* "3 levels (2 x 32 patches of width 48, 2 x 16 of 96, 2 x 8 of 192)" or "2 layers" */
static void print_levels(int levels, int layers, int n, int d) {
    if (levels <= 0) {
        printf("%d mixer layer%s, %d patches of width %d", layers, layers == 1 ? "" : "s", n, d);
        return;
    }
    printf("%d adaptive-patching levels of %d layer%s:", levels, layers, layers == 1 ? "" : "s");
    for (int i = levels - 1; i >= 0; i--) {
        int f = 1 << i;
        if (d / f <= 4) f = 1;
        printf(" %d x %d%s", n * f, d / f, i ? "," : "");
    }
    printf(" (patches x width)");
}

static const char *ttm_loss(ptm_loss l) {
    return l == PTM_LOSS_MAE       ? "mae"
           : l == PTM_LOSS_PINBALL ? "pinball"
           : l == PTM_LOSS_HUBER   ? "huber"
                                   : "mse";
}

void info_ttm(const char *dir, const ptm_model *m) {
    const ptm_config *c = ptm_model_config(m);
    const ptm_ttm_config *t = &c->ttm;
    int prefix = t->resolution_prefix_tuning;
    printf("model:        %s\n", dir);
    printf("class:        %s (TinyTimeMixer)\n", ptm_config_class_name(c));
    printf("input:        %d channels x %d time steps (context_length)\n", c->num_input_channels,
           c->context_length);
    printf("patching:     %d patches of length %d, stride %d%s\n", c->num_patches - prefix,
           c->patch_length, c->patch_stride, prefix ? " + 1 frequency-token prefix patch" : "");
    if (prefix) printf("freq tokens:  %d\n", t->frequency_token_vocab_size);
    printf("encoder:      d_model %d, ", c->d_model);
    print_levels(t->adaptive_patching_levels, c->num_layers, c->num_patches, c->d_model);
    printf(", %s, %s%s%s\n", ttm_mode(c->mode),
           c->norm_mlp == PTM_NORM_BATCH ? "BatchNorm" : "LayerNorm",
           c->gated_attn ? ", gated attention" : "", c->self_attn ? ", self-attention" : "");
    printf("scaling:      %s\n", c->scaling == PTM_SCALING_STD    ? "std"
                                 : c->scaling == PTM_SCALING_MEAN ? "mean"
                                                                  : "none");
    if (c->model_class != PTM_CLASS_PREDICTION) {
        printf("head:         none (backbone only)\n");
        return;
    }
    if (t->use_decoder) {
        printf("decoder:      d_model %d, ", t->decoder_d_model);
        print_levels(t->decoder_adaptive_patching_levels, t->decoder_num_layers, c->num_patches,
                     t->decoder_d_model);
        printf(", %s%s\n", ttm_mode(t->decoder_mode),
               t->decoder_raw_residual ? ", raw-patch residual" : "");
        if (t->num_categorical) {
            printf("categorical:  %d static variables (vocabularies", t->num_categorical);
            for (int i = 0; i < t->num_categorical; i++)
                printf(" %d", t->categorical_vocab_size_list[i]);
            printf(")\n");
        }
    }
    int hf = t->prediction_filter_length ? t->prediction_filter_length : c->prediction_length;
    printf("head:         forecast %d steps", hf);
    if (hf != c->prediction_length) printf(" (of %d)", c->prediction_length);
    printf(" of %d channel%s", c->num_prediction_channels,
           c->num_prediction_channels == 1 ? "" : "s");
    if (c->prediction_channel_indices) {
        printf(" (channels");
        for (int i = 0; i < c->num_prediction_channels; i++)
            printf(" %d", c->prediction_channel_indices[i]);
        printf(")");
    }
    printf(", loss %s\n", ttm_loss(c->loss));
    if (t->enable_forecast_channel_mixing) {
        printf("channel mix:  forecast channel mixer, context %d, %s%s%s", t->fcm_context_length,
               t->fcm_use_mixer ? "mixer" : "no mixer", t->fcm_gated_attn ? ", gated" : "",
               t->fcm_prepend_past ? ", past prepended" : "");
        if (t->num_exogenous_channels) {
            printf(", exogenous channels");
            for (int i = 0; i < t->num_exogenous_channels; i++)
                printf(" %d", t->exogenous_channel_indices[i]);
        }
        printf("\n");
    }
}

static const char *json_bool(int v) {
    return v ? "true" : "false";
}

void info_ttm_json(const char *dir, const ptm_model *m) {
    const ptm_config *c = ptm_model_config(m);
    const ptm_ttm_config *t = &c->ttm;
    printf("{\"model\": ");
    json_str(stdout, dir);
    int64_t trainable = ptm_model_num_params(m);
    printf(", \"class\": \"%s\", \"parameters\": %lld, \"trainable_parameters\": %lld, "
           "\"macs_per_sample\": %lld, \"version\": \"%s\",\n \"config\": {",
           ptm_config_class_name(c), (long long)(trainable + frozen_params(c)),
           (long long)trainable, (long long)ptm_model_macs_per_sample(m), ptm_version());
    printf("\"context_length\": %d, \"patch_length\": %d, \"patch_stride\": %d, "
           "\"num_patches\": %d, \"num_input_channels\": %d, \"d_model\": %d, "
           "\"expansion_factor\": %d, \"num_layers\": %d, \"adaptive_patching_levels\": %d, "
           "\"mode\": \"%s\", \"gated_attn\": %s, \"norm_mlp\": \"%s\", \"self_attn\": %s, "
           "\"self_attn_heads\": %d, \"use_positional_encoding\": %s, ",
           c->context_length, c->patch_length, c->patch_stride, c->num_patches,
           c->num_input_channels, c->d_model, c->expansion_factor, c->num_layers,
           t->adaptive_patching_levels, ttm_mode(c->mode), json_bool(c->gated_attn),
           c->norm_mlp == PTM_NORM_BATCH ? "BatchNorm" : "LayerNorm", json_bool(c->self_attn),
           c->self_attn_heads, json_bool(c->use_positional_encoding));
    printf("\"resolution_prefix_tuning\": %s, \"frequency_token_vocab_size\": %d, "
           "\"use_decoder\": %s, \"decoder_d_model\": %d, \"decoder_num_layers\": %d, "
           "\"decoder_adaptive_patching_levels\": %d, \"decoder_mode\": \"%s\", "
           "\"decoder_raw_residual\": %s, \"categorical_vocab_size_list\": ",
           json_bool(t->resolution_prefix_tuning), t->frequency_token_vocab_size,
           json_bool(t->use_decoder), t->decoder_d_model, t->decoder_num_layers,
           t->decoder_adaptive_patching_levels, ttm_mode(t->decoder_mode),
           json_bool(t->decoder_raw_residual));
    json_ints(stdout, t->categorical_vocab_size_list, t->num_categorical);
    printf(", \"scaling\": ");
    if (c->scaling == PTM_SCALING_NONE)
        printf("null");
    else
        printf("\"%s\"", c->scaling == PTM_SCALING_STD ? "std" : "mean");
    printf(", \"loss\": \"%s\", \"prediction_length\": %d, \"prediction_filter_length\": ",
           ttm_loss(c->loss), c->prediction_length);
    if (t->prediction_filter_length)
        printf("%d", t->prediction_filter_length);
    else
        printf("null");
    printf(", \"prediction_channel_indices\": ");
    json_ints(stdout, c->prediction_channel_indices, c->num_prediction_channels);
    printf(", \"exogenous_channel_indices\": ");
    json_ints(stdout, t->exogenous_channel_indices, t->num_exogenous_channels);
    printf(", \"enable_forecast_channel_mixing\": %s, \"fcm_context_length\": %d, "
           "\"fcm_use_mixer\": %s, \"fcm_mix_layers\": %d, \"fcm_gated_attn\": %s, "
           "\"fcm_prepend_past\": %s, \"quantile\": %.9g, \"huber_delta\": %.9g}}\n",
           json_bool(t->enable_forecast_channel_mixing), t->fcm_context_length,
           json_bool(t->fcm_use_mixer), t->fcm_mix_layers, json_bool(t->fcm_gated_attn),
           json_bool(t->fcm_prepend_past), (double)t->quantile, (double)t->huber_delta);
}
