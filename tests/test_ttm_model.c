/* test_ttm_model.c - TinyTimeMixer checkpoints: every golden case's model directory loads
 * strictly with the parameter count its case.json states, saves and reloads to the same
 * config and tensors, and a model.safetensors with a tensor missing, extra, misnamed or
 * misshapen is refused naming it. */
#include "hostile.h"

#define GOLDEN "tests/golden/ttm/"

static const char *const CASES[] = {"apl3_fallback_np1_noscale",
                                    "categorical_static_mixdec",
                                    "decoder_mix_rawres_apl2_mean",
                                    "fcm_exog_mixer_prepend_mixdec",
                                    "fcm_w2_nomixer_noprepend_filter",
                                    "grad_apl2_mixdec_bn",
                                    "grad_fcm_exog_mixer",
                                    "grad_prefix_rawres_mae_selfattn",
                                    "mean_missing_series_pinball_mix_perandom",
                                    "model_backbone_prefix_apl2_obsmask",
                                    "predidx_filter_longctx_futmask",
                                    "r21_52_16_ft_l1_prefix",
                                    "r2_1024_96",
                                    "r2_512_96_7ch",
                                    "selfattn_bn_pe_sincos_obsmask_huber"};

/* "num_parameters": N of a case.json */
static long long case_num_parameters(const char *name) {
    char path[512], buf[65536];
    snprintf(path, sizeof path, GOLDEN "%s/case.json", name);
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    const char *at = strstr(buf, "\"num_parameters\":");
    return at ? atoll(at + strlen("\"num_parameters\":")) : -1;
}

/* the text of a file without its lines containing `drop` (NULL: none), malloc'd */
static char *text_without(const char *path, const char *drop) {
    FILE *f = fopen(path, "rb");
    char *out = calloc(1, 1 << 16), line[1024];
    size_t n = 0;
    while (f && out && fgets(line, sizeof line, f))
        if (!drop || !strstr(line, drop)) n += (size_t)snprintf(out + n, (1 << 16) - n, "%s", line);
    if (f) fclose(f);
    return out;
}

/* two models with the same table: names, shapes and values */
static int same_tensors(const ptm_model *a, const ptm_model *b) {
    if (a->n_table != b->n_table) return 0;
    for (int i = 0; i < a->n_table; i++) {
        const ptmi_param_entry *x = &a->table[i], *y = &b->table[i];
        if (strcmp(x->name, y->name) != 0 || x->numel != y->numel || x->ndim != y->ndim) return 0;
        if (x->f32 && memcmp(x->f32, y->f32, x->numel * sizeof(float)) != 0) return 0;
        if (x->i64 && *x->i64 != *y->i64) return 0;
    }
    return 1;
}

TEST(golden_models_load) {
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char dir[512];
        ptm_error err;
        ptm_model *m = NULL;
        snprintf(dir, sizeof dir, GOLDEN "%s", CASES[i]);
        ptm_status s = ptm_model_load(dir, &m, &err);
        expect_at(s == PTM_OK, __LINE__, CASES[i], &err);
        if (s != PTM_OK) continue;
        /* case.json counts model.parameters(), which includes the sincos table (a Parameter
         * with requires_grad False; not trainable here) */
        long long frozen = 0;
        for (int k = 0; k < m->n_table; k++)
            if (strstr(m->table[k].name, "position_enc") && !m->table[k].trainable)
                frozen += (long long)m->table[k].numel;
        CHECK_EQ_INT(ptm_model_num_params(m) + frozen, case_num_parameters(CASES[i]));
        /* saved and loaded back: the same config text and tensors */
        CHECK_STATUS(ptm_model_save(m, tmp_path("saved"), &err), PTM_OK);
        ptm_model *back = NULL;
        CHECK_STATUS(ptm_model_load(tmp_path("saved"), &back, &err), PTM_OK);
        /* config.json as granite-tsfm wrote it, but for r2's unknown *d_model_scale keys */
        char golden[512], saved[512];
        snprintf(golden, sizeof golden, GOLDEN "%s/config.json", CASES[i]);
        snprintf(saved, sizeof saved, "%s/config.json", tmp_path("saved"));
        char *a = text_without(golden, "d_model_scale\""), *b = text_without(saved, NULL);
        CHECK(a && b && strcmp(a, b) == 0);
        free(a);
        free(b);
        if (back) {
            CHECK(same_tensors(m, back));
            CHECK_EQ_INT(back->cfg.family, PTM_FAMILY_TTM);
            CHECK_EQ_INT(back->cfg.num_patches, m->cfg.num_patches);
        }
        ptm_model_free(back);
        ptm_model_free(m);
    }
}

/* g_model = a golden TTM case, so that make_st writes its tensors */
static char g_cfg[16384];
static size_t g_cfg_len;

static void use_case(const char *name) {
    char path[512];
    ptm_error err;
    snprintf(path, sizeof path, GOLDEN "%s", name);
    ptm_model_free(g_model);
    g_model = NULL;
    if (ptm_model_load(path, &g_model, &err) != PTM_OK) {
        fprintf(stderr, "%s: %s: %s\n", g_prog, name, err.text);
        exit(1);
    }
    snprintf(path, sizeof path, GOLDEN "%s/config.json", name);
    FILE *f = fopen(path, "rb");
    g_cfg_len = f ? fread(g_cfg, 1, sizeof g_cfg - 1, f) : 0;
    if (f) fclose(f);
}

static void expect_st(const st_mut *mu, ptm_status want, const char *field, const char *text,
                      int line) {
    size_t n = 0;
    unsigned char *st = make_st(mu, &n);
    ptm_error err;
    ptm_status s = load_dir(g_cfg, g_cfg_len, st, n, &err);
    free(st);
    int ok = s == want && (!field || strcmp(err.field, field) == 0) &&
             (!text || strstr(err.text, text) != NULL);
    expect_at(ok, line, "safetensors case", &err);
}

TEST(strict_tensors) {
    use_case("fcm_exog_mixer_prepend_mixdec");
    /* the unchanged tensors load */
    expect_st(NULL, PTM_OK, NULL, NULL, __LINE__);
    const char *gate = "head.fcm_block.fcm_gating_block.attn_layer.weight";
    expect_st(&(st_mut){.skip = gate}, PTM_ERR_TENSOR, gate, "missing", __LINE__);
    expect_st(&(st_mut){.rename = gate, .rename_to = "head.fcm_block.gate.weight"}, PTM_ERR_TENSOR,
              NULL, NULL, __LINE__);
    const char *fc1 = "head.fcm_block.exog_mixer.mixers.1.patch_mixer.mlp.fc1.bias";
    expect_st(&(st_mut){.reshape = fc1}, PTM_ERR_TENSOR, fc1, NULL, __LINE__);
    /* one patch: no patch mixer, so a patch-mixer tensor is one too many */
    use_case("apl3_fallback_np1_noscale");
    expect_st(NULL, PTM_OK, NULL, NULL, __LINE__);
    expect_st(&(st_mut){.extra = ",\"decoder.decoder_block.mixers.0.patch_mixer.norm.norm.weight\":"
                                 "{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}"},
              PTM_ERR_TENSOR, "decoder.decoder_block.mixers.0.patch_mixer.norm.norm.weight", NULL,
              __LINE__);
}

/* a config built in code is checked before anything is counted */
TEST(memory_bytes_checks) {
    ptm_error err;
    ptm_config c;
    static const char txt[] = "{\"model_type\": \"tinytimemixer\"}";
    CHECK_STATUS(ptm_config_parse(txt, strlen(txt), "t.json", PTM_CLASS_PREDICTION, &c, &err),
                 PTM_OK);
    uint64_t bytes = 0;
    CHECK_STATUS(ptm_model_memory_bytes(&c, &bytes, &err), PTM_OK);
    CHECK(bytes > 0);
    c.ttm.adaptive_patching_levels = 40;
    CHECK_STATUS(ptm_model_memory_bytes(&c, &bytes, &err), PTM_ERR_CONFIG);
    CHECK(strstr(err.text, "adaptive_patching_levels 40") != NULL);
    c.ttm.adaptive_patching_levels = 0;
    c.d_model = 1 << 16;
    c.expansion_factor = 1 << 10;
    c.num_patches = 1 << 10;
    CHECK_STATUS(ptm_model_memory_bytes(&c, &bytes, &err), PTM_ERR_LIMIT);
    ptm_config_free(&c);
}

int main(void) {
    hostile_setup("test_ttm_model");
    RUN(memory_bytes_checks);
    RUN(golden_models_load);
    RUN(strict_tensors);
    return hostile_finish();
}
