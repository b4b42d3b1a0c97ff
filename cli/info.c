/* info.c - `patchtsmixer info MODEL_DIR [--json]`: a checkpoint's class, configuration in
 * words (or as JSON), parameter count and multiply-adds per sample. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *INFO_USAGE =
    "usage: patchtsmixer info MODEL_DIR [--json] [--max-model-memory BYTES]\n"
    "\n"
    "Loads MODEL_DIR/config.json and MODEL_DIR/model.safetensors (as Hugging Face's\n"
    "save_pretrained writes them), checks every tensor, and prints the model class, its\n"
    "configuration, the parameter count (as Hugging Face's num_parameters(), with how many\n"
    "are trainable) and the multiply-adds of one forward pass.\n"
    "  --json   the same as one JSON object (config keys as in config.json)\n"
    "  --max-model-memory BYTES  refuse a model that takes more memory (K, M, G suffixes)\n"
    "\n"
    "example: patchtsmixer info models/etth1\n"
    "         patchtsmixer info models/etth1 --json\n";

static const char *mode_name(ptm_mode m) {
    return m == PTM_MODE_MIX_CHANNEL ? "mix_channel" : "common_channel";
}
static const char *scaling_name(ptm_scaling s) {
    return s == PTM_SCALING_STD ? "std" : s == PTM_SCALING_MEAN ? "mean" : "none";
}
static const char *dist_name(ptm_dist d) {
    return d == PTM_DIST_STUDENT_T ? "student_t"
           : d == PTM_DIST_NORMAL  ? "normal"
                                   : "negative_binomial";
}
static const char *agg_name(ptm_agg a) {
    return a == PTM_AGG_MAX_POOL   ? "max_pool"
           : a == PTM_AGG_AVG_POOL ? "avg_pool"
           : a == PTM_AGG_USE_LAST ? "use_last"
                                   : "none (flatten all patches)";
}

/* Parameters Hugging Face counts that are not trained: the sincos positional table
 * (PatchTSMixerPositionalEncoding's position_enc, an nn.Parameter with requires_grad=False,
 * stored in model.safetensors). ptm_model_num_params counts the trainable ones only, so
 * HF's model.num_parameters() is the sum of both. */
int64_t frozen_params(const ptm_config *c) {
    return c->use_positional_encoding && c->positional_encoding_type == PTM_PE_SINCOS
               ? (int64_t)c->num_patches * c->d_model
               : 0;
}

/* info --json: the model as one JSON object, config keys named as in config.json */
static void info_json(const char *dir, const ptm_model *m, const ptm_preprocessor *pp) {
    const ptm_config *c = ptm_model_config(m);
    int64_t trainable = ptm_model_num_params(m);
    printf("{\"model\": ");
    json_str(stdout, dir);
    printf(", \"class\": \"%s\", \"parameters\": %lld, \"trainable_parameters\": %lld, "
           "\"macs_per_sample\": %lld, \"version\": \"%s\",\n \"config\": {",
           ptm_config_class_name(c), (long long)(trainable + frozen_params(c)),
           (long long)trainable, (long long)ptm_model_macs_per_sample(m), ptm_version());
    printf(
        "\"context_length\": %d, \"patch_length\": %d, \"patch_stride\": %d, "
        "\"num_patches\": %d, \"num_input_channels\": %d, \"d_model\": %d, "
        "\"expansion_factor\": %d, \"num_layers\": %d, \"dropout\": %.9g, "
        "\"head_dropout\": %.9g, \"mode\": \"%s\", \"gated_attn\": %s, \"norm_mlp\": \"%s\", "
        "\"self_attn\": %s, \"self_attn_heads\": %d, \"use_positional_encoding\": %s, "
        "\"positional_encoding_type\": \"%s\", \"scaling\": ",
        c->context_length, c->patch_length, c->patch_stride, c->num_patches, c->num_input_channels,
        c->d_model, c->expansion_factor, c->num_layers, (double)c->dropout, (double)c->head_dropout,
        mode_name(c->mode), c->gated_attn ? "true" : "false",
        c->norm_mlp == PTM_NORM_BATCH ? "BatchNorm" : "LayerNorm", c->self_attn ? "true" : "false",
        c->self_attn_heads, c->use_positional_encoding ? "true" : "false",
        c->positional_encoding_type == PTM_PE_RANDOM ? "random" : "sincos");
    if (c->scaling == PTM_SCALING_NONE)
        printf("null");
    else
        printf("\"%s\"", scaling_name(c->scaling));
    printf(", \"loss\": \"%s\", \"distribution_output\": \"%s\", \"prediction_length\": %d, "
           "\"prediction_channel_indices\": ",
           c->loss == PTM_LOSS_NLL ? "nll" : "mse", dist_name(c->distribution_output),
           c->prediction_length);
    json_ints(stdout, c->prediction_channel_indices, c->num_prediction_channels);
    printf(", \"num_targets\": %d, \"output_range\": ", c->num_targets);
    if (c->has_output_range)
        printf("[%.9g, %.9g]", (double)c->output_range[0], (double)c->output_range[1]);
    else
        printf("null");
    printf(", \"head_aggregation\": ");
    if (c->head_aggregation == PTM_AGG_NONE)
        printf("null");
    else
        printf("\"%s\"", agg_name(c->head_aggregation));
    printf(", \"norm_eps\": %.9g, \"num_parallel_samples\": %d, \"mask_type\": \"%s\", "
           "\"random_mask_ratio\": %.17g, \"mask_value\": %.9g, \"masked_loss\": %s},\n "
           "\"preprocessor\": ",
           (double)c->norm_eps, c->num_parallel_samples,
           c->mask_type == PTM_MASK_RANDOM ? "random" : "forecast", c->random_mask_ratio,
           (double)c->mask_value, c->masked_loss ? "true" : "false");
    if (!pp->present) {
        printf("null}\n");
        return;
    }
    printf("{\"columns\": [");
    for (int i = 0; i < pp->ncols; i++) {
        printf(i ? ", " : "");
        json_str(stdout, pp->columns[i]);
    }
    printf("], \"targets\": [");
    for (int i = 0; i < pp->ncols; i++)
        printf("%s%s", i ? ", " : "", pp->is_target[i] ? "true" : "false");
    printf("], \"scaled\": %s, \"timestamp_column\": ", pp->scaler.ncols ? "true" : "false");
    json_str(stdout, pp->timestamp_column);
    printf(", \"time_step_seconds\": %lld, \"training_command\": ", (long long)pp->time_step);
    json_str(stdout, pp->training_command);
    printf("}}\n");
}

/* what preprocessor_config.json says the model was trained on (nothing without one) */
static void info_preprocessor(const ptm_preprocessor *pp) {
    if (!pp->present) return;
    for (int role = 1; role >= 0; role--) {
        int n = 0;
        for (int i = 0; i < pp->ncols; i++)
            if (pp->is_target[i] == role)
                printf("%s%s", n++ ? ", " : (role ? "columns:      " : "covariates:   "),
                       pp->columns[i]);
        if (n) printf("%s\n", role ? " (forecast channels, in this order)" : " (inputs only)");
    }
    printf("scaler:       %s\n", pp->scaler.ncols ? "standard, fitted on the training split; "
                                                    "predict and eval apply it"
                                                  : "none (the data were not scaled)");
    if (pp->timestamp_column) {
        printf("timestamps:   column %s", pp->timestamp_column);
        if (pp->timestamp_format) printf(", %s", pp->timestamp_format);
        if (pp->time_step) printf(", every %lld s", (long long)pp->time_step);
        printf("\n");
    }
    if (pp->training_command) printf("trained by:   %s\n", pp->training_command);
}

/* the parameter count and the multiply-adds of one sample */
/* the parameters as Hugging Face counts them (with how many are trainable), the cost */
static void print_cost(const ptm_model *m) {
    const ptm_config *c = ptm_model_config(m);
    int64_t trainable = ptm_model_num_params(m), frozen = frozen_params(c);
    int64_t np = trainable + frozen;
    int64_t macs = ptm_model_macs_per_sample(m);
    printf("parameters:   %lld (%.2f MiB as float32), as Hugging Face counts them", (long long)np,
           (double)np * 4 / 1048576.0);
    if (frozen)
        printf(": %lld trainable + %lld in the frozen sincos positional table\n",
               (long long)trainable, (long long)frozen);
    else
        printf(", all trainable\n");
    printf("cost:         %lld multiply-adds per sample (%.2f MFLOP)\n", (long long)macs,
           (double)macs * 2e-6);
}

int cmd_info(int argc, char **argv) {
    const char *dir = NULL;
    int json = 0;
    ptm_load_params lp = ptm_load_default_params();
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(INFO_USAGE, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            continue;
        }
        if (strcmp(argv[i], "--max-model-memory") == 0) {
            if (i + 1 >= argc) return fail_usage("info", "option '%s' needs a value", argv[i]);
            if (parse_bytes(argv[++i], &lp.max_bytes) != 0)
                return fail_usage("info", "--max-model-memory '%s': expected a byte count",
                                  argv[i]);
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return fail_usage("info", "unknown option '%s'", argv[i]);
        if (dir) return fail_usage("info", "unexpected argument '%s'", argv[i]);
        dir = argv[i];
    }
    if (!dir) return fail_usage("info", "%smissing MODEL_DIR", "");
    ptm_error err;
    ptm_model *m = NULL;
    if (ptm_model_load_ex(dir, &lp, &m, &err) != PTM_OK) return fail_status(&err);
    ptm_preprocessor pp;
    if (ptm_preprocessor_load(dir, &pp, &err) != PTM_OK) {
        ptm_model_free(m);
        return fail_status(&err);
    }
    if (json) {
        if (ptm_model_config(m)->family == PTM_FAMILY_TTM)
            info_ttm_json(dir, m);
        else
            info_json(dir, m, &pp);
        ptm_preprocessor_free(&pp);
        ptm_model_free(m);
        return 0;
    }
    const ptm_config *c = ptm_model_config(m);
    if (c->family == PTM_FAMILY_TTM) {
        info_ttm(dir, m);
        print_cost(m);
        ptm_model_free(m);
        return 0;
    }
    printf("model:        %s\n", dir);
    printf("class:        %s\n", ptm_class_name(c->model_class));
    printf("input:        %d channels x %d time steps (context_length)\n", c->num_input_channels,
           c->context_length);
    printf("patching:     %d patches of length %d, stride %d\n", c->num_patches, c->patch_length,
           c->patch_stride);
    printf("backbone:     %d mixer layers, d_model %d, expansion %d, %s, %s%s%s\n", c->num_layers,
           c->d_model, c->expansion_factor, mode_name(c->mode),
           c->norm_mlp == PTM_NORM_BATCH ? "BatchNorm" : "LayerNorm",
           c->gated_attn ? ", gated attention" : "", c->self_attn ? ", self-attention" : "");
    if (c->self_attn) printf("self-attn:    %d heads\n", c->self_attn_heads);
    if (c->use_positional_encoding)
        printf("positions:    %s positional encoding\n",
               c->positional_encoding_type == PTM_PE_RANDOM ? "learned (random)" : "sincos");
    printf("scaling:      %s\n", scaling_name(c->scaling));
    switch (c->model_class) {
    case PTM_CLASS_PREDICTION:
        printf("head:         forecast %d steps of %d channel%s", c->prediction_length,
               c->num_prediction_channels, c->num_prediction_channels == 1 ? "" : "s");
        if (c->prediction_channel_indices) {
            printf(" (channels");
            for (int i = 0; i < c->num_prediction_channels; i++)
                printf(" %d", c->prediction_channel_indices[i]);
            printf(")");
        }
        printf(", loss %s", c->loss == PTM_LOSS_NLL ? "nll" : "mse");
        if (c->loss == PTM_LOSS_NLL)
            printf(" (%s distribution)", dist_name(c->distribution_output));
        printf("\n");
        break;
    case PTM_CLASS_CLASSIFICATION:
        printf("head:         %d classes, aggregation %s\n", c->num_targets,
               agg_name(c->head_aggregation));
        for (int k = 0; c->id2label && k < c->num_labels; k++)
            printf("%s%d %s%s", k ? ", " : "classes:      ", k, c->id2label[k],
                   k + 1 == c->num_labels ? "\n" : "");
        break;
    case PTM_CLASS_REGRESSION:
        printf("head:         %d targets, aggregation %s, loss %s", c->num_targets,
               agg_name(c->head_aggregation), c->loss == PTM_LOSS_NLL ? "nll" : "mse");
        if (c->loss == PTM_LOSS_NLL)
            printf(" (%s distribution)", dist_name(c->distribution_output));
        if (c->has_output_range)
            printf(", output range [%g, %g]", (double)c->output_range[0],
                   (double)c->output_range[1]);
        printf("\n");
        break;
    case PTM_CLASS_PRETRAINING:
        printf("head:         masked reconstruction (%s masking, %s loss)\n",
               c->mask_type == PTM_MASK_RANDOM ? "random" : "forecast",
               c->masked_loss ? "masked" : "full");
        break;
    case PTM_CLASS_MODEL:
        printf("head:         none (backbone only)\n");
        break;
    }
    print_cost(m);
    info_preprocessor(&pp);
    ptm_preprocessor_free(&pp);
    ptm_model_free(m);
    return 0;
}
