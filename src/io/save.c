/* save.c - Hugging Face checkpoint writer: config.json text and ptm_model_save (config.json +
 * model.safetensors, each through the atomic writer of file_writer.c). See save.h for usage.
 *
 * config.json follows transformers' `PretrainedConfig.to_json_string` as used by
 * save_pretrained: json.dumps(indent=2, sort_keys=True) + "\n", with "architectures" and
 * "torch_dtype" added. Floats use Python's repr rules (shortest round-trip digits; fixed
 * notation when the decimal exponent is in [-4, 16), otherwise d.dddde+XX), so the text is the
 * one Python would write for the decimals the config was made from.
 */
#include "io/save.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "io/json.h"
#include "io/safetensors.h"

/* ---------------------------------------------------------------- Python float repr */

/* Python's repr of v into out (at least 32 bytes). as_float: the shortest digits that read
 * back to the same float32 ((float)strtod), else to the same double. Returns -1 if v is not
 * finite (JSON has no NaN / Infinity). Independent of the locale's decimal point. */
static int py_repr(double v, int as_float, char *out, size_t out_size) {
    if (!isfinite(v)) return -1;
    if (v == 0.0) {
        snprintf(out, out_size, "%s", signbit(v) ? "-0.0" : "0.0");
        return 0;
    }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        double back = strtod(buf, NULL); /* same locale as the snprintf above */
        if (as_float ? (float)back == (float)v : back == v) break;
    }
    /* buf: [-]d[<point>ddd]e(+|-)XX -> sign, digits, exponent */
    const char *s = buf;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    char digits[24];
    int nd = 0;
    while (*s && *s != 'e' && *s != 'E') {
        if (*s >= '0' && *s <= '9' && nd < (int)sizeof digits - 1) digits[nd++] = *s;
        s++;
    }
    int e = (*s == 'e' || *s == 'E') ? (int)strtol(s + 1, NULL, 10) : 0;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    int decpt = e + 1; /* value = 0.DIGITS * 10^decpt */
    char r[64];
    size_t n = 0;
    if (neg) r[n++] = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            r[n++] = '0';
            r[n++] = '.';
            for (int i = 0; i < -decpt; i++) r[n++] = '0';
            for (int i = 0; i < nd; i++) r[n++] = digits[i];
        } else if (decpt >= nd) {
            for (int i = 0; i < nd; i++) r[n++] = digits[i];
            for (int i = nd; i < decpt; i++) r[n++] = '0';
            r[n++] = '.';
            r[n++] = '0';
        } else {
            for (int i = 0; i < nd; i++) {
                if (i == decpt) r[n++] = '.';
                r[n++] = digits[i];
            }
        }
        r[n] = '\0';
    } else {
        r[n++] = digits[0];
        if (nd > 1) {
            r[n++] = '.';
            for (int i = 1; i < nd; i++) r[n++] = digits[i];
        }
        r[n] = '\0';
        int ae = e < 0 ? -e : e;
        snprintf(r + n, sizeof r - n, "e%c%02d", e < 0 ? '-' : '+', ae);
    }
    snprintf(out, out_size, "%s", r);
    return 0;
}

/* ---------------------------------------------------------------- config.json */

typedef struct {
    ptmi_strbuf b;
    int first;
    ptm_status status;
    ptm_error *err;
} jw;

static void key(jw *w, const char *k) {
    ptmi_sb_add(&w->b, w->first ? "\n  \"" : ",\n  \"");
    w->first = 0;
    ptmi_sb_add(&w->b, k);
    ptmi_sb_add(&w->b, "\": ");
}

static void put_str(jw *w, const char *k, const char *v) {
    key(w, k);
    if (!v) {
        ptmi_sb_add(&w->b, "null");
        return;
    }
    ptmi_sb_add(&w->b, "\"");
    ptmi_sb_add(&w->b, v);
    ptmi_sb_add(&w->b, "\"");
}

static void put_int(jw *w, const char *k, long long v) {
    key(w, k);
    ptmi_sb_int(&w->b, v);
}

static void put_bool(jw *w, const char *k, int v) {
    key(w, k);
    ptmi_sb_add(&w->b, v ? "true" : "false");
}

static void put_null(jw *w, const char *k) {
    key(w, k);
    ptmi_sb_add(&w->b, "null");
}

static void put_num(jw *w, const char *k, double v, int as_float) {
    char t[40];
    key(w, k);
    if (py_repr(v, as_float, t, sizeof t) != 0) {
        if (w->status == PTM_OK)
            w->status = ptmi_err(w->err, PTM_ERR_CONFIG, NULL, k,
                                 "value is not finite; JSON has no NaN or Infinity");
        return;
    }
    ptmi_sb_add(&w->b, t);
}

/* a list as json.dumps(indent=2) writes it one level down: items on lines of their own */
static void put_int_list(jw *w, const char *k, const int *v, int n) {
    key(w, k);
    if (n <= 0) {
        ptmi_sb_add(&w->b, "[]");
        return;
    }
    ptmi_sb_add(&w->b, "[");
    for (int i = 0; i < n; i++) {
        ptmi_sb_add(&w->b, i ? ",\n    " : "\n    ");
        ptmi_sb_int(&w->b, v[i]);
    }
    ptmi_sb_add(&w->b, "\n  ]");
}

/* name of enum value v among names[0..n), or an error naming the key */
static const char *enum_name(jw *w, const char *k, int v, const char *const *names, int n) {
    if (v >= 0 && v < n) return names[v];
    if (w->status == PTM_OK)
        w->status = ptmi_err(w->err, PTM_ERR_CONFIG, NULL, k, "invalid value %d", v);
    return "";
}

/* "architectures": [class name] */
static void put_class(jw *w, const ptm_config *c) {
    key(w, "architectures");
    const char *cls = ptm_config_class_name(c);
    if (strcmp(cls, "?") == 0 && w->status == PTM_OK)
        w->status = ptmi_err(w->err, PTM_ERR_CONFIG, NULL, "architectures", "invalid class %d",
                             (int)c->model_class);
    ptmi_sb_add(&w->b, "[\n    \"");
    ptmi_sb_add(&w->b, cls);
    ptmi_sb_add(&w->b, "\"\n  ]");
}

/* HF types mask_value (and TTM huber_delta) as an int: integral values as JSON integers */
static void put_intlike(jw *w, const char *k, float v) {
    if (isfinite(v) && v == floorf(v) && fabsf(v) < 9.0e15f)
        put_int(w, k, (long long)v);
    else
        put_num(w, k, (double)v, 1);
}

static void put_list_or_null(jw *w, const char *k, const int *v, int n) {
    if (v && n > 0)
        put_int_list(w, k, v, n);
    else
        put_null(w, k);
}

static const char *const MODES[] = {"common_channel", "mix_channel"};
static const char *const NORMS[] = {"LayerNorm", "BatchNorm"};
static const char *const DISTS[] = {"student_t", "normal", "negative_binomial"};
static const char *const PES[] = {"sincos", "random"};
static const char *const SCALINGS[] = {NULL, "std", "mean"};

/* TinyTimeMixerConfig's keys, sorted (config_ttm.c reads them back) */
static void keys_ttm(jw *w, const ptm_config *c) {
    static const char *const losses[] = {"mse", NULL, "mae", "pinball", "huber"};
    const ptm_ttm_config *t = &c->ttm;
    put_int(w, "adaptive_patching_levels", t->adaptive_patching_levels);
    put_class(w, c);
    put_list_or_null(w, "categorical_vocab_size_list", t->categorical_vocab_size_list,
                     t->num_categorical);
    put_int(w, "context_length", c->context_length);
    put_int(w, "d_model", c->d_model);
    put_int(w, "decoder_adaptive_patching_levels", t->decoder_adaptive_patching_levels);
    put_int(w, "decoder_d_model", t->decoder_d_model);
    put_str(w, "decoder_mode", enum_name(w, "decoder_mode", (int)t->decoder_mode, MODES, 2));
    put_int(w, "decoder_num_layers", t->decoder_num_layers);
    put_bool(w, "decoder_raw_residual", t->decoder_raw_residual);
    put_str(w, "distribution_output",
            enum_name(w, "distribution_output", (int)c->distribution_output, DISTS, 3));
    put_num(w, "dropout", (double)c->dropout, 1);
    put_bool(w, "enable_forecast_channel_mixing", t->enable_forecast_channel_mixing);
    put_list_or_null(w, "exogenous_channel_indices", t->exogenous_channel_indices,
                     t->num_exogenous_channels);
    put_int(w, "expansion_factor", c->expansion_factor);
    put_int(w, "fcm_context_length", t->fcm_context_length);
    put_bool(w, "fcm_gated_attn", t->fcm_gated_attn);
    put_int(w, "fcm_mix_layers", t->fcm_mix_layers);
    put_bool(w, "fcm_prepend_past", t->fcm_prepend_past);
    if (t->fcm_prepend_past_offset > 0)
        put_int(w, "fcm_prepend_past_offset", t->fcm_prepend_past_offset);
    else
        put_null(w, "fcm_prepend_past_offset");
    put_bool(w, "fcm_use_mixer", t->fcm_use_mixer);
    put_int(w, "frequency_token_vocab_size", t->frequency_token_vocab_size);
    put_bool(w, "gated_attn", c->gated_attn);
    put_num(w, "head_dropout", (double)c->head_dropout, 1);
    put_intlike(w, "huber_delta", t->huber_delta);
    put_str(w, "init_embed", "pytorch");
    put_str(w, "init_linear", "pytorch");
    put_bool(w, "init_processing", 1);
    put_num(w, "init_std", (double)c->init_std, 1);
    put_str(w, "loss", enum_name(w, "loss", (int)c->loss, losses, 5));
    put_intlike(w, "mask_value", c->mask_value);
    put_null(w, "masked_context_length");
    put_str(w, "mode", enum_name(w, "mode", (int)c->mode, MODES, 2));
    put_str(w, "model_type", "tinytimemixer");
    put_num(w, "norm_eps", (double)c->norm_eps, 1);
    put_str(w, "norm_mlp", enum_name(w, "norm_mlp", (int)c->norm_mlp, NORMS, 2));
    put_int(w, "num_input_channels", c->num_input_channels);
    put_int(w, "num_layers", c->num_layers);
    put_int(w, "num_parallel_samples", c->num_parallel_samples);
    put_int(w, "num_patches", c->num_patches);
    put_bool(w, "patch_last", 1);
    put_int(w, "patch_length", c->patch_length);
    put_int(w, "patch_stride", c->patch_stride);
    put_str(w, "positional_encoding_type",
            enum_name(w, "positional_encoding_type", (int)c->positional_encoding_type, PES, 2));
    put_bool(w, "post_init", c->post_init);
    put_list_or_null(w, "prediction_channel_indices", c->prediction_channel_indices,
                     c->num_prediction_channels);
    if (t->prediction_filter_length > 0)
        put_int(w, "prediction_filter_length", t->prediction_filter_length);
    else
        put_null(w, "prediction_filter_length");
    put_int(w, "prediction_length", c->prediction_length);
    put_num(w, "quantile", (double)t->quantile, 1);
    put_bool(w, "resolution_prefix_tuning", t->resolution_prefix_tuning);
    put_str(w, "scaling", enum_name(w, "scaling", (int)c->scaling, SCALINGS, 3));
    put_bool(w, "self_attn", c->self_attn);
    put_int(w, "self_attn_heads", c->self_attn_heads);
    put_str(w, "torch_dtype", "float32");
    put_bool(w, "use_decoder", t->use_decoder);
    put_bool(w, "use_positional_encoding", c->use_positional_encoding);
}

static int label_cmp_names(const ptm_config *c, int a, int b) {
    int d = strcmp(c->id2label[a], c->id2label[b]);
    return d ? d : (a > b) - (a < b);
}

/* "id2label": {"0": name, ...} with the keys sorted as strings ("10" before "2"), as
 * json.dumps(sort_keys=True) writes it; nothing without class names */
static void put_id2label(jw *w, const ptm_config *c) {
    if (c->num_labels <= 0 || !c->id2label) return;
    char(*ids)[12] = malloc(sizeof *ids * (size_t)c->num_labels);
    int *order = malloc(sizeof(int) * (size_t)c->num_labels);
    if (!ids || !order) {
        free(ids);
        free(order);
        if (w->status == PTM_OK)
            w->status = ptmi_err(w->err, PTM_ERR_NOMEM, NULL, "id2label", "out of memory");
        return;
    }
    for (int i = 0; i < c->num_labels; i++) {
        snprintf(ids[i], sizeof ids[i], "%d", i);
        order[i] = i;
        if (!json_utf8_valid(c->id2label[i], strlen(c->id2label[i])) && w->status == PTM_OK)
            w->status = ptmi_err(w->err, PTM_ERR_CONFIG, NULL, "id2label",
                                 "the name of class %d is not valid UTF-8", i);
    }
    /* insertion sort of the decimal keys as strings (few classes) */
    for (int i = 1; i < c->num_labels; i++)
        for (int j = i; j > 0 && strcmp(ids[order[j - 1]], ids[order[j]]) > 0; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    key(w, "id2label");
    ptmi_sb_add(&w->b, "{");
    for (int i = 0; i < c->num_labels; i++) {
        ptmi_sb_add(&w->b, i ? ",\n    \"" : "\n    \"");
        ptmi_sb_add(&w->b, ids[order[i]]);
        ptmi_sb_add(&w->b, "\": ");
        ptmi_sb_json_string(&w->b, c->id2label[order[i]]);
    }
    ptmi_sb_add(&w->b, "\n  }");
    free(ids);
    free(order);
}

/* "label2id": {name: index}, sorted by name; a repeated name keeps its last index, as the
 * dict Hugging Face builds from id2label does */
static void put_label2id(jw *w, const ptm_config *c) {
    if (c->num_labels <= 0 || !c->id2label) return;
    int *order = malloc(sizeof(int) * (size_t)c->num_labels);
    if (!order) {
        if (w->status == PTM_OK)
            w->status = ptmi_err(w->err, PTM_ERR_NOMEM, NULL, "label2id", "out of memory");
        return;
    }
    for (int i = 0; i < c->num_labels; i++) order[i] = i;
    for (int i = 1; i < c->num_labels; i++)
        for (int j = i; j > 0 && label_cmp_names(c, order[j - 1], order[j]) > 0; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    key(w, "label2id");
    ptmi_sb_add(&w->b, "{");
    int first = 1;
    for (int i = 0; i < c->num_labels; i++) {
        if (i + 1 < c->num_labels && strcmp(c->id2label[order[i]], c->id2label[order[i + 1]]) == 0)
            continue; /* the last of equal names */
        ptmi_sb_add(&w->b, first ? "\n    " : ",\n    ");
        first = 0;
        ptmi_sb_json_string(&w->b, c->id2label[order[i]]);
        ptmi_sb_add(&w->b, ": ");
        ptmi_sb_int(&w->b, order[i]);
    }
    ptmi_sb_add(&w->b, "\n  }");
    free(order);
}

/* PatchTSMixerConfig's keys, sorted */
static void keys_patchtsmixer(jw *w_, const ptm_config *c) {
    jw w = *w_;
    ptm_error *err = w.err;
    static const char *const losses[] = {"mse", "nll"};
    static const char *const aggs[] = {NULL, "max_pool", "avg_pool", "use_last"};
    static const char *const masks[] = {"random", "forecast"};
    put_class(&w, c);
    put_bool(&w, "channel_consistent_masking", c->channel_consistent_masking);
    put_int(&w, "context_length", c->context_length);
    put_int(&w, "d_model", c->d_model);
    put_str(&w, "distribution_output",
            enum_name(&w, "distribution_output", (int)c->distribution_output, DISTS, 3));
    put_num(&w, "dropout", (double)c->dropout, 1);
    put_int(&w, "expansion_factor", c->expansion_factor);
    put_bool(&w, "gated_attn", c->gated_attn);
    put_str(&w, "head_aggregation",
            enum_name(&w, "head_aggregation", (int)c->head_aggregation, aggs, 4));
    put_num(&w, "head_dropout", (double)c->head_dropout, 1);
    put_id2label(&w, c);
    put_num(&w, "init_std", (double)c->init_std, 1);
    put_label2id(&w, c);
    put_str(&w, "loss", enum_name(&w, "loss", (int)c->loss, losses, 2));
    put_str(&w, "mask_type", enum_name(&w, "mask_type", (int)c->mask_type, masks, 2));
    put_intlike(&w, "mask_value", c->mask_value);
    put_bool(&w, "masked_loss", c->masked_loss);
    put_str(&w, "mode", enum_name(&w, "mode", (int)c->mode, MODES, 2));
    put_str(&w, "model_type", "patchtsmixer");
    put_num(&w, "norm_eps", (double)c->norm_eps, 1);
    put_str(&w, "norm_mlp", enum_name(&w, "norm_mlp", (int)c->norm_mlp, NORMS, 2));
    if (!c->num_forecast_mask_patches)
        put_null(&w, "num_forecast_mask_patches");
    else if (!c->forecast_mask_patches_is_list && c->num_forecast_mask_patches_count == 1)
        put_int(&w, "num_forecast_mask_patches", c->num_forecast_mask_patches[0]);
    else
        put_int_list(&w, "num_forecast_mask_patches", c->num_forecast_mask_patches,
                     c->num_forecast_mask_patches_count);
    put_int(&w, "num_input_channels", c->num_input_channels);
    put_int(&w, "num_layers", c->num_layers);
    put_int(&w, "num_parallel_samples", c->num_parallel_samples);
    put_int(&w, "num_patches", c->num_patches);
    put_int(&w, "num_targets", c->num_targets);
    if (c->has_output_range) {
        char lo[40], hi[40];
        key(&w, "output_range");
        if (py_repr((double)c->output_range[0], 1, lo, sizeof lo) != 0 ||
            py_repr((double)c->output_range[1], 1, hi, sizeof hi) != 0) {
            if (w.status == PTM_OK)
                w.status =
                    ptmi_err(err, PTM_ERR_CONFIG, NULL, "output_range", "values must be finite");
        } else {
            ptmi_sb_add(&w.b, "[\n    ");
            ptmi_sb_add(&w.b, lo);
            ptmi_sb_add(&w.b, ",\n    ");
            ptmi_sb_add(&w.b, hi);
            ptmi_sb_add(&w.b, "\n  ]");
        }
    } else {
        put_null(&w, "output_range");
    }
    put_bool(&w, "patch_last", 1);
    put_int(&w, "patch_length", c->patch_length);
    put_int(&w, "patch_stride", c->patch_stride);
    put_str(&w, "positional_encoding_type",
            enum_name(&w, "positional_encoding_type", (int)c->positional_encoding_type, PES, 2));
    put_bool(&w, "post_init", c->post_init);
    if (c->prediction_channel_indices)
        put_int_list(&w, "prediction_channel_indices", c->prediction_channel_indices,
                     c->num_prediction_channels);
    else
        put_null(&w, "prediction_channel_indices");
    put_int(&w, "prediction_length", c->prediction_length);
    put_num(&w, "random_mask_ratio", c->random_mask_ratio, 0);
    put_str(&w, "scaling", enum_name(&w, "scaling", (int)c->scaling, SCALINGS, 3));
    put_bool(&w, "self_attn", c->self_attn);
    put_int(&w, "self_attn_heads", c->self_attn_heads);
    put_str(&w, "torch_dtype", "float32");
    if (c->unmasked_channel_indices && c->num_unmasked_channels > 0)
        put_int_list(&w, "unmasked_channel_indices", c->unmasked_channel_indices,
                     c->num_unmasked_channels);
    else
        put_null(&w, "unmasked_channel_indices");
    put_bool(&w, "use_positional_encoding", c->use_positional_encoding);
    *w_ = w;
}

ptm_status ptmi_config_write_json(const ptm_config *c, char **out_text, size_t *out_len,
                                  ptm_error *err) {
    if (out_text) *out_text = NULL;
    if (out_len) *out_len = 0;
    if (!c || !out_text)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptmi_config_write_json: NULL argument");
    jw w = {{NULL, 0, 0, 0}, 1, PTM_OK, err};
    ptmi_sb_add(&w.b, "{");
    /* keys in sorted order, as json.dumps(sort_keys=True) */
    if (c->family == PTM_FAMILY_TTM)
        keys_ttm(&w, c);
    else
        keys_patchtsmixer(&w, c);
    ptmi_sb_add(&w.b, "\n}\n");

    if (w.status == PTM_OK && w.b.oom)
        w.status = ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory writing config.json");
    if (w.status != PTM_OK) {
        free(w.b.p);
        return w.status;
    }
    *out_text = w.b.p;
    if (out_len) *out_len = w.b.len;
    return PTM_OK;
}

/* ---------------------------------------------------------------- model checkpoint */
