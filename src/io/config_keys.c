/* config_keys.c - the key-table reader shared by the config.json parsers (config_keys.h):
 * typed getters with exact error messages, and the table walker. */
#include "io/config_keys.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cfg_type_of(const json_value *v) {
    return json_type_name(v->type);
}

ptm_status cfg_bad_type(reader *r, const char *key, const json_value *v, const char *expected) {
    return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key, "found %s, expected %s", cfg_type_of(v),
                    expected);
}

/* Integer key in [lo, hi]. Absent (or null when allow_null) keeps *out. */
ptm_status cfg_get_int(reader *r, const char *key, int lo, int hi, int *out) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    if (v->type != JSON_NUMBER || !v->is_integer) return cfg_bad_type(r, key, v, "an integer");
    if (v->number < lo || v->number > hi)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key, "value %.17g out of range [%d, %d]",
                        v->number, lo, hi);
    *out = (int)v->number;
    return PTM_OK;
}

ptm_status cfg_get_float(reader *r, const char *key, double lo, double hi, float *out) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    if (v->type != JSON_NUMBER) return cfg_bad_type(r, key, v, "a number");
    if (!(v->number >= lo && v->number <= hi))
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key, "value %.17g out of range [%g, %g]",
                        v->number, lo, hi);
    *out = (float)v->number;
    return PTM_OK;
}

ptm_status cfg_get_bool(reader *r, const char *key, int *out) {
    const json_value *v = json_get(r->root, key);
    if (!v) return PTM_OK;
    if (v->type != JSON_BOOL) return cfg_bad_type(r, key, v, "true or false");
    *out = v->boolean;
    return PTM_OK;
}

/* String key among `names` (NULL-terminated); sets *out to the index. null_index >= 0 accepts
 * JSON null as that index. */
ptm_status cfg_get_enum(reader *r, const char *key, const char *const *names, int null_index,
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
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key, "found %s, expected one of %s%s",
                        cfg_type_of(v), accepted, null_index >= 0 ? ", null" : "");
    for (int i = 0; names[i]; i++) {
        if (strcmp(v->string, names[i]) == 0) {
            *out = i;
            return PTM_OK;
        }
    }
    return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, key,
                    "unsupported value \"%.100s\"; accepted: %s%s", v->string, accepted,
                    null_index >= 0 ? ", null" : "");
}

/* List of ints in [lo, hi]; null -> *count = 0, *list = NULL. A bare int is accepted when
 * allow_scalar (then *is_list = 0). */
ptm_status cfg_get_int_list(reader *r, const char *key, int lo, int hi, int allow_scalar,
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
            return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key,
                            "value %.17g is not an integer in [%d, %d]", v->number, lo, hi);
        *list = malloc(sizeof(int));
        if (!*list) return ptmi_err(r->err, PTM_ERR_NOMEM, r->file, key, "out of memory");
        (*list)[0] = (int)v->number;
        *count = 1;
        if (is_list) *is_list = 0;
        return PTM_OK;
    }
    if (v->type != JSON_ARRAY)
        return cfg_bad_type(r, key, v,
                            allow_scalar ? "an integer, a list of integers or null"
                                         : "a list of integers or null");
    if (v->count > (size_t)MAX_DIM)
        return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key, "list of %zu items is too long",
                        v->count);
    if (v->count == 0) return PTM_OK;
    *list = malloc(v->count * sizeof(int));
    if (!*list) return ptmi_err(r->err, PTM_ERR_NOMEM, r->file, key, "out of memory");
    for (size_t i = 0; i < v->count; i++) {
        const json_value *it = &v->items[i];
        if (it->type != JSON_NUMBER || !it->is_integer || it->number < lo || it->number > hi)
            return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key,
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
ptm_status cfg_sort_unique(reader *r, const char *key, int *list, int count) {
    if (count > 1) qsort(list, (size_t)count, sizeof(int), cmp_int);
    for (int i = 1; i < count; i++)
        if (list[i] == list[i - 1])
            return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, key, "channel %d is listed twice",
                            list[i]);
    return PTM_OK;
}

ptm_status cfg_read_key(reader *r, const key_spec *k, ptm_config *c) {
    void *field = (char *)c + k->field;
    switch (k->kind) {
    case K_INT:
        return cfg_get_int(r, k->name, (int)k->lo, (int)k->hi, (int *)field);
    case K_FLOAT:
        return cfg_get_float(r, k->name, k->lo, k->hi, (float *)field);
    case K_BOOL:
        return cfg_get_bool(r, k->name, (int *)field);
    case K_ENUM:
        return cfg_get_enum(r, k->name, k->names, -1, (int *)field);
    case K_CUSTOM:
        break;
    }
    return k->handler(r, c);
}

/* HF: any norm_mlp containing "batch" (case-insensitive) is BatchNorm, else LayerNorm. We accept
 * exactly those two families and refuse anything else. */
ptm_status cfg_read_norm_mlp(reader *r, ptm_config *c) {
    const json_value *v = json_get(r->root, "norm_mlp");
    if (!v) return PTM_OK;
    if (v->type != JSON_STRING)
        return cfg_bad_type(r, "norm_mlp", v, "\"LayerNorm\" or \"BatchNorm\"");
    char low[64] = "";
    size_t n = v->string_len < sizeof low - 1 ? v->string_len : sizeof low - 1;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)v->string[i]);
    low[n] = 0;
    if (strstr(low, "batch"))
        c->norm_mlp = PTM_NORM_BATCH;
    else if (strcmp(low, "layernorm") == 0)
        c->norm_mlp = PTM_NORM_LAYER;
    else
        return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, "norm_mlp",
                        "unsupported value \"%.60s\"; accepted: \"LayerNorm\", \"BatchNorm\"",
                        v->string);
    return PTM_OK;
}

/* HF: "mean" -> mean scaler; "std" or true -> std scaler; otherwise no scaling. */
ptm_status cfg_read_scaling(reader *r, ptm_config *c) {
    const json_value *v = json_get(r->root, "scaling");
    if (!v) return PTM_OK;
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
    else
        return ptmi_err(r->err, PTM_ERR_UNSUPPORTED, r->file, "scaling",
                        "unsupported value (%s); accepted: \"std\", \"mean\", \"none\", "
                        "true, false, null",
                        cfg_type_of(v));
    return PTM_OK;
}

/* A list of distinct channels, kept sorted; null or [] -> NULL. */
ptm_status cfg_read_channels(reader *r, const char *key, int **list, int *count) {
    ptm_status s = cfg_get_int_list(r, key, 0, MAX_DIM, 0, list, count, NULL);
    if (s != PTM_OK) return s;
    return cfg_sort_unique(r, key, *list, *count);
}
ptm_status cfg_read_table(reader *r, const key_spec *keys, size_t n, ptm_config *c) {
    for (size_t i = 0; i < n; i++) {
        if (keys[i].when && !keys[i].when(c)) continue;
        ptm_status s = cfg_read_key(r, &keys[i], c);
        if (s != PTM_OK) return s;
    }
    return PTM_OK;
}

/* optimal string alignment distance of a and b, capped: returns cap + 1 beyond cap */
static int edit_distance(const char *a, const char *b, int cap) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64 || (n > m ? n - m : m - n) > (size_t)cap) return cap + 1;
    int d[65][65];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m] > cap ? cap + 1 : d[n][m];
}

/* transformers' PretrainedConfig keys (to_dict), which a model's table does not read: known,
 * never typos (num_labels is two edits from num_layers) */
static const char *const HF_GENERIC[] = {"num_labels",
                                         "id2label",
                                         "label2id",
                                         "problem_type",
                                         "return_dict",
                                         "output_hidden_states",
                                         "output_attentions",
                                         "torchscript",
                                         "torch_dtype",
                                         "use_bfloat16",
                                         "tf_legacy_loss",
                                         "pruned_heads",
                                         "tie_word_embeddings",
                                         "is_encoder_decoder",
                                         "is_decoder",
                                         "add_cross_attention",
                                         "tie_encoder_decoder",
                                         "max_length",
                                         "min_length",
                                         "finetuning_task",
                                         "tokenizer_class",
                                         "transformers_version",
                                         "_name_or_path",
                                         "model_type",
                                         "bos_token_id",
                                         "pad_token_id",
                                         "eos_token_id",
                                         "sep_token_id",
                                         NULL};

ptm_status cfg_check_typos(reader *r, const key_spec *keys, size_t n) {
    if (r->root->type != JSON_OBJECT) return PTM_OK;
    for (size_t i = 0; i < r->root->count; i++) {
        const char *k = r->root->keys[i];
        const char *best = NULL;
        int best_d = 3, known = 0;
        for (int g = 0; HF_GENERIC[g] && !known; g++) known = strcmp(k, HF_GENERIC[g]) == 0;
        for (size_t j = 0; j < n && !known; j++) {
            if (strcmp(k, keys[j].name) == 0) {
                known = 1;
                break;
            }
            int dd = edit_distance(k, keys[j].name, 2);
            if (dd < best_d) {
                best_d = dd;
                best = keys[j].name;
            }
        }
        /* short keys are too close to too much to guess */
        if (!known && best && strlen(k) >= 5)
            return ptmi_err(r->err, PTM_ERR_CONFIG, r->file, k,
                            "unknown key (did you mean \"%s\"?)", best);
    }
    return PTM_OK;
}

const char *const cfg_modes[] = {"common_channel", "mix_channel", NULL};
const char *const cfg_pes[] = {"sincos", "random", NULL};
const char *const cfg_dists[] = {"student_t", "normal", "negative_binomial", NULL};

int cfg_uses_pe(const ptm_config *c) {
    return c->use_positional_encoding;
}
