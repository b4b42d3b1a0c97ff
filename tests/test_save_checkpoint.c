/* test_save_checkpoint.c - checkpoint writing.
 *
 * - every golden case is loaded, saved to a temporary folder, reloaded: config fields equal,
 *   every tensor bit-identical, and the written config.json has the golden key set, value
 *   types and values (it is even byte-identical: the goldens are HF's own serialisation);
 * - ptmi_config_write_json float formatting (Python repr) and its errors;
 * - ptm_write_file: write, overwrite, no temporary left behind, clean PTM_ERR_IO;
 * - ptm_model_save errors.
 * The optimiser pieces of training (AdamW, clipping, schedules) are tested in test_optim.c.
 *
 * Run from the repository root (make test does): it reads tests/golden/.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/config.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "io/save.h"
#include "model/model.h"
#include "patchtsmixer.h"
#include "testutil.h"

#define GOLDEN "tests/golden"

static char g_tmp[256];

static char *read_all(const char *path, size_t *len) {
    unsigned char *buf = NULL;
    size_t n = 0;
    if (ptmi_read_file(path, 0, &buf, &n, NULL) != PTM_OK) return NULL;
    if (len) *len = n;
    return (char *)buf;
}

/* remove dir and every plain file in it (one level) */
static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[1024];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

/* ---------------------------------------------------------------- config comparison */

static int int_lists_equal(const int *a, const int *b, int n) {
    if (!a || !b) return a == b;
    return n <= 0 || memcmp(a, b, (size_t)n * sizeof(int)) == 0;
}

static void check_config_equal(const ptm_config *a, const ptm_config *b) {
    CHECK_EQ_INT(a->model_class, b->model_class);
    CHECK_EQ_INT(a->context_length, b->context_length);
    CHECK_EQ_INT(a->patch_length, b->patch_length);
    CHECK_EQ_INT(a->patch_stride, b->patch_stride);
    CHECK_EQ_INT(a->num_patches, b->num_patches);
    CHECK_EQ_INT(a->num_input_channels, b->num_input_channels);
    CHECK_EQ_INT(a->d_model, b->d_model);
    CHECK_EQ_INT(a->expansion_factor, b->expansion_factor);
    CHECK_EQ_INT(a->num_layers, b->num_layers);
    CHECK(a->dropout == b->dropout);
    CHECK(a->head_dropout == b->head_dropout);
    CHECK_EQ_INT(a->mode, b->mode);
    CHECK_EQ_INT(a->gated_attn, b->gated_attn);
    CHECK_EQ_INT(a->norm_mlp, b->norm_mlp);
    CHECK_EQ_INT(a->self_attn, b->self_attn);
    CHECK_EQ_INT(a->self_attn_heads, b->self_attn_heads);
    CHECK_EQ_INT(a->use_positional_encoding, b->use_positional_encoding);
    CHECK_EQ_INT(a->positional_encoding_type, b->positional_encoding_type);
    CHECK_EQ_INT(a->scaling, b->scaling);
    CHECK_EQ_INT(a->loss, b->loss);
    CHECK_EQ_INT(a->distribution_output, b->distribution_output);
    CHECK_EQ_INT(a->prediction_length, b->prediction_length);
    CHECK_EQ_INT(a->num_prediction_channels, b->num_prediction_channels);
    CHECK(int_lists_equal(a->prediction_channel_indices, b->prediction_channel_indices,
                          a->num_prediction_channels));
    CHECK_EQ_INT(a->num_targets, b->num_targets);
    CHECK_EQ_INT(a->has_output_range, b->has_output_range);
    CHECK(a->output_range[0] == b->output_range[0] && a->output_range[1] == b->output_range[1]);
    CHECK_EQ_INT(a->head_aggregation, b->head_aggregation);
    CHECK(a->norm_eps == b->norm_eps);
    CHECK(a->init_std == b->init_std);
    CHECK_EQ_INT(a->num_parallel_samples, b->num_parallel_samples);
    CHECK_EQ_INT(a->mask_type, b->mask_type);
    CHECK(a->random_mask_ratio == b->random_mask_ratio);
    CHECK_EQ_INT(a->num_forecast_mask_patches_count, b->num_forecast_mask_patches_count);
    CHECK(int_lists_equal(a->num_forecast_mask_patches, b->num_forecast_mask_patches,
                          a->num_forecast_mask_patches_count));
    CHECK_EQ_INT(a->forecast_mask_patches_is_list, b->forecast_mask_patches_is_list);
    CHECK(a->mask_value == b->mask_value);
    CHECK_EQ_INT(a->masked_loss, b->masked_loss);
    CHECK_EQ_INT(a->channel_consistent_masking, b->channel_consistent_masking);
    CHECK_EQ_INT(a->num_unmasked_channels, b->num_unmasked_channels);
    CHECK(int_lists_equal(a->unmasked_channel_indices, b->unmasked_channel_indices,
                          a->num_unmasked_channels));
    CHECK_EQ_INT(a->post_init, b->post_init);
}

/* JSON values equal in type and value (numbers: relative 1e-6; ints stay ints) */
static int json_equal(const json_value *a, const json_value *b) {
    if (a->type != b->type) return 0;
    switch (a->type) {
    case JSON_NULL:
        return 1;
    case JSON_BOOL:
        return a->boolean == b->boolean;
    case JSON_NUMBER:
        if (a->is_integer != b->is_integer) return 0;
        return fabs(a->number - b->number) <= 1e-6 * fmax(fabs(a->number), fabs(b->number));
    case JSON_STRING:
        return strcmp(a->string, b->string) == 0;
    case JSON_ARRAY:
        if (a->count != b->count) return 0;
        for (size_t i = 0; i < a->count; i++)
            if (!json_equal(&a->items[i], &b->items[i])) return 0;
        return 1;
    case JSON_OBJECT:
        if (a->count != b->count) return 0;
        for (size_t i = 0; i < a->count; i++) {
            const json_value *o = json_get(b, a->keys[i]);
            if (!o || !json_equal(&a->items[i], o)) return 0;
        }
        return 1;
    }
    return 0;
}

/* written config.json vs golden: same keys (but transformers_version), types and values */
static void check_config_json(const char *written_path, const char *golden_path) {
    ptm_error err;
    size_t wl = 0, gl = 0;
    char *wt = read_all(written_path, &wl), *gt = read_all(golden_path, &gl);
    CHECK(wt != NULL && gt != NULL);
    if (!wt || !gt) {
        free(wt);
        free(gt);
        return;
    }
    json_value *w = NULL, *g = NULL;
    CHECK_STATUS(json_parse(wt, wl, written_path, &w, &err), PTM_OK);
    CHECK_STATUS(json_parse(gt, gl, golden_path, &g, &err), PTM_OK);
    if (w && g && w->type == JSON_OBJECT && g->type == JSON_OBJECT) {
        for (size_t i = 0; i < g->count; i++) {
            if (strcmp(g->keys[i], "transformers_version") == 0) continue;
            const json_value *v = json_get(w, g->keys[i]);
            if (!v) {
                fprintf(stderr, "  key %s missing from the written config\n", g->keys[i]);
                CHECK(v != NULL);
                continue;
            }
            if (v->type != g->items[i].type ||
                (v->type == JSON_NUMBER && v->is_integer != g->items[i].is_integer))
                fprintf(stderr, "  key %s: written %s, golden %s\n", g->keys[i],
                        json_type_name(v->type), json_type_name(g->items[i].type));
            CHECK(json_equal(v, &g->items[i]));
        }
        for (size_t i = 0; i < w->count; i++) {
            if (strcmp(w->keys[i], "transformers_version") == 0) continue;
            if (!json_get(g, w->keys[i]))
                fprintf(stderr, "  written key %s is not in the golden config\n", w->keys[i]);
            CHECK(json_get(g, w->keys[i]) != NULL);
            if (i > 0) CHECK(strcmp(w->keys[i - 1], w->keys[i]) < 0); /* sorted */
        }
    } else {
        CHECK(0);
    }
    /* the goldens are HF's own text (without transformers_version): expect the same bytes */
    CHECK(wl == gl && memcmp(wt, gt, wl) == 0);
    json_free(w);
    json_free(g);
    free(wt);
    free(gt);
}

/* the saved model.safetensors holds exactly the golden tensors, same dtype, shape, bytes */
static void check_safetensors_equal(const char *written, const char *golden) {
    ptm_error err;
    st_file a = {0}, b = {0};
    CHECK_STATUS(st_load(written, &a, &err), PTM_OK);
    CHECK_STATUS(st_load(golden, &b, &err), PTM_OK);
    CHECK_EQ_INT(a.count, b.count);
    for (size_t i = 0; i < b.count; i++) {
        const st_tensor *g = &b.tensors[i], *t = st_find(&a, g->name);
        CHECK(t != NULL);
        if (!t) continue;
        CHECK_EQ_INT(t->dtype, g->dtype);
        CHECK_EQ_INT(t->ndim, g->ndim);
        CHECK(memcmp(t->shape, g->shape, sizeof t->shape) == 0);
        CHECK(t->nbytes == g->nbytes && memcmp(t->data, g->data, t->nbytes) == 0);
    }
    st_free(&a);
    st_free(&b);
}

static void round_trip_case(const char *name) {
    ptm_error err;
    char src[512], dst[512], p1[600], p2[600];
    snprintf(src, sizeof src, "%s/%s", GOLDEN, name);
    snprintf(dst, sizeof dst, "%s/%s", g_tmp, name);
    ptm_model *m1 = NULL, *m2 = NULL;
    CHECK_STATUS(ptm_model_load(src, &m1, &err), PTM_OK);
    if (!m1) return;
    CHECK_STATUS(ptm_model_save(m1, dst, &err), PTM_OK);
    CHECK_STATUS(ptm_model_load(dst, &m2, &err), PTM_OK);
    if (m2) {
        check_config_equal(&m1->cfg, &m2->cfg);
        CHECK_EQ_INT(m1->n_table, m2->n_table);
        for (int i = 0; i < m1->n_table && i < m2->n_table; i++) {
            const ptmi_param_entry *a = &m1->table[i], *b = &m2->table[i];
            CHECK(strcmp(a->name, b->name) == 0);
            CHECK_EQ_INT(a->ndim, b->ndim);
            CHECK(memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof a->shape[0]) == 0);
            CHECK(a->numel == b->numel);
            CHECK((a->f32 != NULL) == (b->f32 != NULL));
            if (a->f32 && b->f32)
                CHECK(memcmp(a->f32, b->f32, a->numel * sizeof(float)) == 0);
            else if (a->i64 && b->i64)
                CHECK(memcmp(a->i64, b->i64, a->numel * sizeof(int64_t)) == 0);
        }
    }
    snprintf(p1, sizeof p1, "%s/config.json", dst);
    snprintf(p2, sizeof p2, "%s/config.json", src);
    check_config_json(p1, p2);
    snprintf(p1, sizeof p1, "%s/model.safetensors", dst);
    snprintf(p2, sizeof p2, "%s/model.safetensors", src);
    check_safetensors_equal(p1, p2);
    CHECK_EQ_INT(count_entries(dst), 2); /* no temporary file left behind */
    ptm_model_free(m1);
    ptm_model_free(m2);
    remove_dir(dst);
}

TEST(golden_round_trip) {
    DIR *d = opendir(GOLDEN);
    CHECK(d != NULL);
    if (!d) return;
    int cases = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char cfg[512];
        struct stat st;
        snprintf(cfg, sizeof cfg, "%s/%s/config.json", GOLDEN, e->d_name);
        if (stat(cfg, &st) != 0) continue;
        int f0 = tu_fail;
        round_trip_case(e->d_name);
        if (tu_fail != f0) fprintf(stderr, "  in golden case %s\n", e->d_name);
        cases++;
    }
    closedir(d);
    CHECK(cases >= 30);
}

/* ---------------------------------------------------------------- config.json text */

static int has(const char *text, const char *needle) {
    if (strstr(text, needle)) return 1;
    fprintf(stderr, "  missing in config.json: %s\n", needle);
    return 0;
}

TEST(config_json_format) {
    ptm_error err;
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = PTM_CLASS_REGRESSION;
    CHECK_STATUS(ptmi_config_finish(&c, NULL, &err), PTM_OK);
    c.dropout = 0.2f;
    c.head_dropout = 0.0f;
    c.norm_eps = 1e-5f;
    c.has_output_range = 1;
    c.output_range[0] = -2.0f;
    c.output_range[1] = 1e16f;
    c.mask_value = 0.5f;
    c.random_mask_ratio = 0.1;
    c.head_aggregation = PTM_AGG_NONE;
    c.scaling = PTM_SCALING_NONE;
    c.forecast_mask_patches_is_list = 0;
    char *t = NULL;
    size_t len = 0;
    CHECK_STATUS(ptmi_config_write_json(&c, &t, &len, &err), PTM_OK);
    if (t) {
        CHECK(strlen(t) == len);
        CHECK(len > 2 && t[0] == '{' && t[len - 2] == '}' && t[len - 1] == '\n');
        CHECK(has(t, "{\n  \"architectures\": [\n    \"PatchTSMixerForRegression\"\n  ],\n"));
        CHECK(has(t, "\n  \"dropout\": 0.2,\n"));
        CHECK(has(t, "\n  \"head_dropout\": 0.0,\n"));
        CHECK(has(t, "\n  \"init_std\": 0.02,\n"));
        CHECK(has(t, "\n  \"norm_eps\": 1e-05,\n"));
        CHECK(has(t, "\n  \"output_range\": [\n    -2.0,\n    1e+16\n  ],\n"));
        CHECK(has(t, "\n  \"mask_value\": 0.5,\n"));
        CHECK(has(t, "\n  \"random_mask_ratio\": 0.1,\n"));
        CHECK(has(t, "\n  \"head_aggregation\": null,\n"));
        CHECK(has(t, "\n  \"scaling\": null,\n"));
        CHECK(has(t, "\n  \"num_forecast_mask_patches\": 2,\n"));
        CHECK(has(t, "\n  \"use_positional_encoding\": false\n}\n"));
        /* it reads back to the same config */
        ptm_config back;
        ptm_status ps = ptm_config_parse(t, len, "mem", -1, &back, &err);
        CHECK_STATUS(ps, PTM_OK);
        if (ps == PTM_OK) {
            check_config_equal(&c, &back);
            ptm_config_free(&back);
        }
        free(t);
    }
    /* more Python repr cases through one field */
    static const struct {
        float v;
        const char *text;
    } reprs[] = {{0.0001f, "0.0001"},     {0.00001f, "1e-05"},
                 {1.5e-7f, "1.5e-07"},    {0.3f, "0.3"},
                 {2.0f, "2.0"},           {1e15f, "1000000000000000.0"},
                 {3.4e38f, "3.4e+38"},    {-0.0f, "-0.0"},
                 {0.1f + 0.2f, "0.3"},    {1.0f / 3.0f, "0.33333334"},
                 {123456.5f, "123456.5"}, {1e16f, "1e+16"}};
    for (size_t i = 0; i < sizeof reprs / sizeof reprs[0]; i++) {
        c.init_std = reprs[i].v;
        char want[64];
        snprintf(want, sizeof want, "\n  \"init_std\": %s,\n", reprs[i].text);
        CHECK_STATUS(ptmi_config_write_json(&c, &t, &len, &err), PTM_OK);
        if (t) CHECK(has(t, want));
        free(t);
    }
    /* errors */
    c.init_std = NAN;
    t = (char *)&c;
    CHECK_STATUS(ptmi_config_write_json(&c, &t, &len, &err), PTM_ERR_CONFIG);
    CHECK(t == NULL);
    CHECK(strcmp(err.field, "init_std") == 0);
    c.init_std = 0.02f;
    c.mode = (ptm_mode)7;
    CHECK_STATUS(ptmi_config_write_json(&c, &t, &len, &err), PTM_ERR_CONFIG);
    CHECK(strcmp(err.field, "mode") == 0);
    CHECK_STATUS(ptmi_config_write_json(NULL, &t, &len, &err), PTM_ERR_ARG);
    ptm_config_free(&c);
}

/* ---------------------------------------------------------------- atomic writes */

TEST(write_file_atomic) {
    ptm_error err;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/atomic", g_tmp);
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof path, "%s/f.txt", dir);
    size_t n = 0;
    CHECK_STATUS(ptm_write_file(path, "hello world", 11, &err), PTM_OK);
    char *t = read_all(path, &n);
    CHECK(t && n == 11 && memcmp(t, "hello world", 11) == 0);
    free(t);
    CHECK_STATUS(ptm_write_file(path, "bye", 3, &err), PTM_OK); /* overwrite, shorter */
    t = read_all(path, &n);
    CHECK(t && n == 3 && memcmp(t, "bye", 3) == 0);
    free(t);
    CHECK_STATUS(ptm_write_file(path, NULL, 0, &err), PTM_OK); /* empty */
    t = read_all(path, &n);
    CHECK(t && n == 0);
    free(t);
    CHECK_EQ_INT(count_entries(dir), 1); /* no temporary left */

    /* parent folder missing */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/no/such/dir/f.txt", dir);
    CHECK_STATUS(ptm_write_file(bad, "x", 1, &err), PTM_ERR_IO);
    CHECK(strcmp(err.file, bad) == 0);
    CHECK(strlen(err.text) > 0);
    /* target is a directory: the rename fails and the temporary is removed */
    char sub[700];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK(mkdir(sub, 0755) == 0);
    snprintf(bad, sizeof bad, "%s/inner", sub);
    CHECK(mkdir(bad, 0755) == 0);
    CHECK_STATUS(ptm_write_file(bad, "x", 1, &err), PTM_ERR_IO);
    CHECK_EQ_INT(count_entries(sub), 1);
    rmdir(bad);
    rmdir(sub);
    /* read-only folder (root ignores permissions: skipped then) */
    if (geteuid() != 0) {
        char ro[700];
        snprintf(ro, sizeof ro, "%s/ro", dir);
        CHECK(mkdir(ro, 0555) == 0);
        snprintf(bad, sizeof bad, "%s/f.txt", ro);
        CHECK_STATUS(ptm_write_file(bad, "x", 1, &err), PTM_ERR_IO);
        CHECK_EQ_INT(count_entries(ro), 0);
        rmdir(ro);
    }
    CHECK_STATUS(ptm_write_file(NULL, "x", 1, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_write_file("", "x", 1, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_write_file(path, NULL, 1, &err), PTM_ERR_ARG);
    remove_dir(dir);
}

TEST(model_save_errors) {
    ptm_error err;
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load(GOLDEN "/fc_common_gated_ln_std", &m, &err), PTM_OK);
    CHECK_STATUS(ptm_model_save(NULL, g_tmp, &err), PTM_ERR_ARG);
    if (m) {
        CHECK_STATUS(ptm_model_save(m, NULL, &err), PTM_ERR_ARG);
        CHECK_STATUS(ptm_model_save(m, "", &err), PTM_ERR_ARG);
        /* a plain file where the folder should be */
        char file[512], dir[600];
        snprintf(file, sizeof file, "%s/plain", g_tmp);
        CHECK_STATUS(ptm_write_file(file, "x", 1, &err), PTM_OK);
        CHECK_STATUS(ptm_model_save(m, file, &err), PTM_ERR_IO);
        snprintf(dir, sizeof dir, "%s/plain/below", g_tmp);
        CHECK_STATUS(ptm_model_save(m, dir, &err), PTM_ERR_IO);
        unlink(file);
        /* nested folders are created; saving twice overwrites */
        snprintf(dir, sizeof dir, "%s/a/b/", g_tmp);
        CHECK_STATUS(ptm_model_save(m, dir, &err), PTM_OK);
        CHECK_STATUS(ptm_model_save(m, dir, &err), PTM_OK);
        CHECK_EQ_INT(count_entries(dir), 2);
        remove_dir(dir);
        snprintf(dir, sizeof dir, "%s/a", g_tmp);
        rmdir(dir);
    }
    ptm_model_free(m);
}

int main(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/ptm_test_save_ckpt_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(golden_round_trip);
    RUN(config_json_format);
    RUN(write_file_atomic);
    RUN(model_save_errors);
    remove_dir(g_tmp);
    return test_summary("test_save_checkpoint");
}
