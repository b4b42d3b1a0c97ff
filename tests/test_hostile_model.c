/* test_hostile_model.c - hostile and wrong model directories: config.json + model.safetensors
 * truncated anywhere, a broken safetensors layout, wrong tensors (missing, renamed, reshaped,
 * other dtypes, non-finite values), missing or odd files, config.json values out of range or
 * unsupported, and the values passed to ptm_forward (NaN / Inf, masks, batch out of range).
 * Each case asserts the exact ptm_status; `make asan` runs this program under LeakSanitizer,
 * so every error path is also checked for leaks.
 *
 *     build/test_hostile_model      prints "test_hostile_model: N passed, M failed"
 *
 * The base checkpoint and the safetensors writer that breaks it are in hostile.h. The other
 * hostile inputs: test_hostile_data.c (CSV, .ts), test_hostile_resume.c (--resume state,
 * resource limits); more in test_io_json.c, test_io_safetensors.c, test_csv.c, test_data_ts.c (.ts)
 * and test_model.c; the fuzzers in tests/fuzz/ cover the rest.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"
#include "io/save.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "testutil.h"

TEST(model_base_loads) {
    ptm_error err;
    CASE_CFG(base_config, PTM_OK);
    /* and a file written by hand with st_mut = nothing equals the saved one in content */
    st_mut none;
    memset(&none, 0, sizeof none);
    CHECK_STATUS(load_st_mut(&none, &err), PTM_OK);
}

/* truncated anywhere: every prefix of model.safetensors and of config.json */
TEST(model_truncated_anywhere) {
    ptm_error err;
    size_t n;
    unsigned char *st = make_st(NULL, &n);
    int bad = 0;
    for (size_t cut = 0; cut < n; cut++) {
        st_file f;
        ptm_status s = st_load_mem(st, cut, "cut.safetensors", &f, &err);
        if (s != PTM_ERR_FORMAT) {
            fprintf(stderr, "FAIL truncated safetensors at %zu: status %d\n", cut, (int)s);
            bad++;
        }
        if (s == PTM_OK) st_free(&f);
    }
    CHECK_EQ_INT(bad, 0);
    /* the whole directory path, at a stride through header and data */
    for (size_t cut = 0; cut < n; cut += 97)
        CHECK_STATUS(load_dir(base_config, strlen(base_config), st, cut, &err), PTM_ERR_FORMAT);
    size_t cl = strlen(base_config);
    bad = 0;
    for (size_t cut = 0; cut < cl; cut++) {
        ptm_status s = load_dir(base_config, cut, st, n, &err);
        if (s != PTM_ERR_FORMAT) {
            fprintf(stderr, "FAIL truncated config at %zu: status %d\n", cut, (int)s);
            bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    free(st);
}

TEST(model_safetensors_layout) {
    ptm_error err;
    size_t n;
    unsigned char *st = make_st(NULL, &n);
    unsigned char *b = malloc(n);
    /* length field beyond the file, and 2^64 - 1 */
    memcpy(b, st, n);
    b[0] = 0xff;
    b[1] = 0xff;
    CHECK_STATUS(load_dir(base_config, strlen(base_config), b, n, &err), PTM_ERR_FORMAT);
    memset(b, 0xff, 8);
    CHECK_STATUS(load_dir(base_config, strlen(base_config), b, n, &err), PTM_ERR_FORMAT);
    /* header length 0 */
    memset(b, 0, 8);
    CHECK_STATUS(load_dir(base_config, strlen(base_config), b, n, &err), PTM_ERR_FORMAT);
    free(b);
    free(st);

    st_mut mu;
    /* overlapping offsets */
    memset(&mu, 0, sizeof mu);
    mu.overlap = 1;
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
    /* duplicate tensor names */
    memset(&mu, 0, sizeof mu);
    mu.rename = "model.encoder.patcher.bias";
    mu.rename_to = "model.encoder.patcher.weight";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
    CHECK(strstr(err.text, "duplicate") != NULL);
    /* data offsets beyond the file */
    memset(&mu, 0, sizeof mu);
    mu.extra = ",\"far\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1000000,1000008]}";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
    /* negative and overflowing shapes */
    memset(&mu, 0, sizeof mu);
    mu.extra = ",\"neg\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
    mu.extra = ",\"big\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],"
               "\"data_offsets\":[0,0]}";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
    CHECK(strstr(err.text, "overflow") != NULL);
    mu.extra = ",\"big\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],"
               "\"data_offsets\":[0,0]}";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
    /* wrong types in the header */
    mu.extra = ",\"t\":{\"dtype\":\"F32\",\"shape\":\"[2]\",\"data_offsets\":[0,8]}";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
    mu.extra = ",\"t\":{\"dtype\":[\"F32\"],\"shape\":[2],\"data_offsets\":[0,8]}";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
    /* a deeply nested header value */
    {
        char *deep = malloc(200064);
        size_t k = 0;
        k += (size_t)snprintf(deep, 32, ",\"x\":");
        for (int i = 0; i < 100000; i++) deep[k++] = '[';
        for (int i = 0; i < 100000; i++) deep[k++] = ']';
        deep[k] = 0;
        mu.extra = deep;
        CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
        free(deep);
    }
    /* invalid UTF-8 in a tensor name */
    mu.extra = ",\"bad\xff\xfe\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_FORMAT);
}

TEST(model_tensors) {
    ptm_error err;
    st_mut mu;
    /* a tensor missing, one unexpected, one misshapen, one renamed */
    memset(&mu, 0, sizeof mu);
    mu.skip = "head.base_forecast_block.bias";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    memset(&mu, 0, sizeof mu);
    mu.extra = ",\"extra.weight\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    CHECK(strcmp(err.field, "extra.weight") == 0);
    memset(&mu, 0, sizeof mu);
    mu.reshape = "model.encoder.patcher.weight"; /* [4, 4] -> [4, 4]: square, use the bias */
    mu.reshape = "model.encoder.patcher.bias";   /* [4] -> [5] */
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    CHECK(strstr(err.text, "expected [4]") != NULL);
    memset(&mu, 0, sizeof mu);
    mu.reshape = "head.base_forecast_block.weight"; /* [4, 16] -> [16, 4] */
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    CHECK(strcmp(err.field, "head.base_forecast_block.weight") == 0);
    memset(&mu, 0, sizeof mu);
    mu.rename = "head.base_forecast_block.bias";
    mu.rename_to = "head.base_forecast_block.bias ";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    /* wrong dtypes: F16 weight, F32 num_batches_tracked, I64 weight */
    memset(&mu, 0, sizeof mu);
    mu.redtype = "model.encoder.patcher.weight";
    mu.dtype_to = "F16";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    mu.dtype_to = "I64";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    mu.redtype = "model.encoder.mlp_mixer_encoder.mixers.0.patch_mixer.norm.norm.batchnorm."
                 "num_batches_tracked";
    mu.dtype_to = "F32";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    /* NaN and Inf where not allowed: weights and buffers */
    memset(&mu, 0, sizeof mu);
    mu.poison = "model.encoder.patcher.weight";
    mu.poison_value = NAN;
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    CHECK(strstr(err.text, "NaN") != NULL);
    mu.poison = "model.encoder.mlp_mixer_encoder.mixers.0.feature_mixer.norm.norm.batchnorm."
                "running_var";
    mu.poison_value = INFINITY;
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
    mu.poison_value = -INFINITY;
    mu.poison = "head.base_forecast_block.bias";
    CHECK_STATUS(load_st_mut(&mu, &err), PTM_ERR_TENSOR);
}

TEST(model_files) {
    ptm_error err;
    size_t n;
    unsigned char *st = make_st(NULL, &n);
    /* no model.safetensors, model.safetensors a directory, no directory, empty config */
    CHECK_STATUS(load_dir(base_config, strlen(base_config), NULL, 0, &err), PTM_ERR_IO);
    mkdir(tmp_path("m/model.safetensors"), 0755);
    ptm_model *m = NULL;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/m", g_dir);
    CHECK_STATUS(ptm_model_load(dir, &m, &err), PTM_ERR_IO);
    rmdir(tmp_path("m/model.safetensors"));
    CHECK_STATUS(ptm_model_load(tmp_path("no/such/dir"), &m, &err), PTM_ERR_IO);
    CHECK(m == NULL);
    CHECK_STATUS(load_dir("", 0, st, n, &err), PTM_ERR_FORMAT);
    /* a config implying far more parameters than the file holds: refused before the model's
     * memory is allocated (the file is read first; its size bounds the allocation) */
    CASE_CFG("{\"architectures\": [\"PatchTSMixerForPrediction\"], \"context_length\": 16, "
             "\"patch_length\": 4, \"patch_stride\": 4, \"num_input_channels\": 2, "
             "\"d_model\": 4096, \"num_layers\": 8, \"norm_mlp\": \"BatchNorm\", "
             "\"prediction_length\": 4}",
             PTM_ERR_TENSOR);
    free(st);
}

/* ---------------------------------------------------------------- config.json values */

TEST(config_values) {
    /* invalid or deep JSON */
    CASE_CFG(BASE_CONFIG ",}", PTM_ERR_FORMAT);
    CASE_CFG(BASE_CONFIG ", \"d_model\": 8}", PTM_ERR_FORMAT); /* duplicate key */
    CASE_CFG("\xef\xbb\xbf" BASE_CONFIG "}", PTM_ERR_FORMAT);  /* BOM */
    CASE_CFG(BASE_CONFIG ", \"x\": \"\xc0\xaf\"}", PTM_ERR_FORMAT);
    CASE_CFG(BASE_CONFIG ", \"norm_eps\": 1e400}", PTM_ERR_FORMAT);
    CASE_CFG(BASE_CONFIG ", \"dropout\": NaN}", PTM_ERR_FORMAT);
    {
        char *deep = malloc(301000);
        size_t k = (size_t)snprintf(deep, 1000, "%s, \"x\": ", BASE_CONFIG);
        for (int i = 0; i < 100000; i++) deep[k++] = '{', deep[k++] = '"', deep[k++] = ':';
        deep[k] = 0;
        ptm_error err;
        CHECK_STATUS(load_cfg_with_base_st(deep, &err), PTM_ERR_FORMAT);
        free(deep);
    }
    CASE_CFG("[" BASE_CONFIG "}]", PTM_ERR_CONFIG);
    /* wrong types */
    CASE_CFG("{\"architectures\": [\"PatchTSMixerForPrediction\"], \"d_model\": \"8\"}",
             PTM_ERR_CONFIG);
    CASE_CFG("{\"architectures\": \"PatchTSMixerForPrediction\"}", PTM_ERR_CONFIG);
    CASE_CFG(BASE_CONFIG ", \"gated_attn\": 1}", PTM_ERR_CONFIG);
    CASE_KV("num_layers", "1.5", PTM_ERR_CONFIG);
    CASE_KV("d_model", "[4]", PTM_ERR_CONFIG);
    CASE_KV("norm_mlp", "null", PTM_ERR_CONFIG);
    CASE_CFG(BASE_CONFIG ", \"output_range\": [0, \"1\"]}", PTM_ERR_CONFIG);
    /* out of range, absurd sizes */
    CASE_CFG("{\"architectures\": [\"PatchTSMixerForPrediction\"], \"d_model\": 1000000000}",
             PTM_ERR_CONFIG);
    CASE_CFG("{\"architectures\": [\"PatchTSMixerForPrediction\"], \"d_model\": -4}",
             PTM_ERR_CONFIG);
    CASE_CFG("{\"architectures\": [\"PatchTSMixerForPrediction\"], \"num_layers\": 1000000}",
             PTM_ERR_CONFIG);
    CASE_CFG("{\"architectures\": [\"PatchTSMixerForPrediction\"], "
             "\"context_length\": 2147483648}",
             PTM_ERR_CONFIG);
    CASE_CFG("{\"architectures\": [\"PatchTSMixerForPrediction\"], "
             "\"num_input_channels\": 1e300}",
             PTM_ERR_CONFIG);
    CASE_CFG(BASE_CONFIG ", \"dropout\": 1.5}", PTM_ERR_CONFIG);
    CASE_CFG(BASE_CONFIG ", \"norm_eps\": -1e-5}", PTM_ERR_CONFIG);
    CASE_CFG(BASE_CONFIG ", \"output_range\": [0, 1e39]}", PTM_ERR_CONFIG); /* inf as float */
    CASE_CFG(BASE_CONFIG ", \"num_patches\": 5}", PTM_ERR_CONFIG);
    CASE_CFG(BASE_CONFIG ", \"prediction_channel_indices\": [0, 0]}", PTM_ERR_CONFIG);
    CASE_CFG(BASE_CONFIG ", \"prediction_channel_indices\": [2]}", PTM_ERR_CONFIG);
    CASE_KV("patch_length", "16", PTM_ERR_CONFIG);
    CASE_KV("patch_stride", "0", PTM_ERR_CONFIG);
    CASE_CFG(BASE_CONFIG ", \"self_attn\": true, \"self_attn_heads\": 3}", PTM_ERR_CONFIG);
    /* values this engine does not support */
    CASE_CFG(BASE_CONFIG ", \"mode\": \"mixed\"}", PTM_ERR_UNSUPPORTED);
    CASE_CFG("{\"architectures\": [\"GPT2LMHeadModel\"]}", PTM_ERR_UNSUPPORTED);
    CASE_KV("model_type", "\"bert\"", PTM_ERR_UNSUPPORTED);
    CASE_KV("norm_mlp", "\"GroupNorm\"", PTM_ERR_UNSUPPORTED);
    CASE_CFG("{\"d_model\": 8}", PTM_ERR_CONFIG); /* no architectures */
}

/* ---------------------------------------------------------------- values given to forward */

TEST(forward_values) {
    ptm_error err;
    const ptm_config *c = &g_model->cfg;
    size_t L = (size_t)c->context_length, C = (size_t)c->num_input_channels;
    size_t H = (size_t)c->prediction_length;
    float past[2 * 16 * 2], obs[2 * 16 * 2], fut[2 * 4 * 2];
    for (size_t i = 0; i < 2 * L * C; i++) {
        past[i] = (float)(i % 5);
        obs[i] = 1.0f;
    }
    for (size_t i = 0; i < 2 * H * C; i++) fut[i] = 1.0f;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 2;
    ptm_ctx *ctx = NULL, *tctx = NULL;
    CHECK_STATUS(ptm_ctx_create(g_model, &cp, &ctx, &err), PTM_OK);
    CHECK_STATUS(ptm_ctx_create_train(g_model, &cp, &tctx, &err), PTM_OK);
    if (!ctx || !tctx) return;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 2;
    in.past_values = past;
    in.observed_mask = obs;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    /* NaN / Inf in an observed value: refused */
    past[7] = NAN;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "past_values") == 0);
    past[7] = INFINITY;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    in.observed_mask = NULL; /* NULL mask = everything observed */
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    in.observed_mask = obs;
    /* ... even where marked missing: the value still enters the patches (as in Hugging
     * Face), so a NaN there would reach the forecast; missing values are 0 with mask 0 */
    obs[7] = 0.0f;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    past[7] = NAN;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    past[7] = 0.0f;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    ptm_tensor_view y;
    CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &y, &err), PTM_OK);
    int finite = 1;
    for (size_t i = 0; i < 2 * H * C; i++) finite &= isfinite(y.data[i]) != 0;
    CHECK(finite);
    /* a whole channel missing in one window: the std scaler's zero variance stays finite */
    for (size_t t = 0; t < L; t++) obs[t * C + 1] = 0.0f, past[t * C + 1] = 0.0f;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &y, &err), PTM_OK);
    finite = 1;
    for (size_t i = 0; i < 2 * H * C; i++) finite &= isfinite(y.data[i]) != 0;
    CHECK(finite);
    /* every value of every window missing */
    for (size_t i = 0; i < 2 * L * C; i++) obs[i] = 0.0f, past[i] = 0.0f;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &y, &err), PTM_OK);
    finite = 1;
    for (size_t i = 0; i < 2 * H * C; i++) finite &= isfinite(y.data[i]) != 0;
    CHECK(finite);
    for (size_t i = 0; i < 2 * L * C; i++) obs[i] = 1.0f, past[i] = (float)(i % 5);
    /* a NaN observed mask */
    obs[0] = NAN;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    obs[0] = 1.0f;
    /* targets: Inf in future_values */
    in.future_values = fut;
    fut[3] = -INFINITY;
    in.observed_mask = obs;
    CHECK_STATUS(ptm_forward(tctx, &in, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "future_values") == 0);
    fut[3] = 1.0f;
    /* batch out of range, NULL values */
    in.batch = 0;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_ARG);
    in.batch = 3;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_ARG);
    in.batch = 1;
    in.past_values = NULL;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_forward(ctx, NULL, &err), PTM_ERR_ARG);
    ptm_ctx_free(ctx);
    ptm_ctx_free(tctx);
    cp.max_batch = 0;
    CHECK_STATUS(ptm_ctx_create(g_model, &cp, &ctx, &err), PTM_ERR_ARG);
}

/* A half-precision checkpoint as torch writes it (every F32 tensor stored as F16, so the file
 * is half the size): the error names the dtype, not the size (issue #12). */
TEST(model_half_precision) {
    ptm_error err;
    st_file src;
    CHECK_STATUS(st_load("tests/golden/fc_common_gated_ln_std/model.safetensors", &src, &err),
                 PTM_OK);
    size_t cap = 1 << 16, hl = 0, off = 0;
    char *h = malloc(cap);
    hl += (size_t)snprintf(h + hl, cap - hl, "{");
    for (size_t i = 0; i < src.count; i++) {
        const st_tensor *t = &src.tensors[i];
        size_t bytes = t->dtype == ST_F32 ? t->numel * 2 : t->nbytes;
        hl += (size_t)snprintf(h + hl, cap - hl, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                               i ? "," : "", t->name, t->dtype == ST_F32 ? "F16" : t->dtype_name);
        for (int d = 0; d < t->ndim; d++)
            hl +=
                (size_t)snprintf(h + hl, cap - hl, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        hl += (size_t)snprintf(h + hl, cap - hl, "],\"data_offsets\":[%zu,%zu]}", off, off + bytes);
        off += bytes;
    }
    hl += (size_t)snprintf(h + hl, cap - hl, "}");
    size_t n = 8 + hl + off;
    unsigned char *f = calloc(n, 1);
    for (int k = 0; k < 8; k++) f[k] = (unsigned char)((uint64_t)hl >> (8 * k));
    memcpy(f + 8, h, hl);
    const char *cfg_path = "tests/golden/fc_common_gated_ln_std/config.json";
    FILE *cf = fopen(cfg_path, "rb");
    char cfg[8192];
    size_t cl = cf ? fread(cfg, 1, sizeof cfg, cf) : 0;
    if (cf) fclose(cf);
    CHECK_STATUS(load_dir(cfg, cl, f, n, &err), PTM_ERR_TENSOR);
    CHECK(strstr(err.text, "dtype F16, expected F32 (only float32 weights are supported") != NULL);
    CHECK(strstr(err.text, "too small") == NULL);
    free(f);
    free(h);
    st_free(&src);
}

/* a mistyped key is refused naming the key meant; keys far from every known one (Hugging
 * Face's generic ones, a future field) are ignored as transformers ignores them (issue #12) */
TEST(config_typos) {
    static const struct {
        const char *key, *meant;
    } typos[] = {
        {"d_modle", "d_model"},      {"dmodel", "d_model"},  {"contxt_length", "context_length"},
        {"num_layer", "num_layers"}, {"Scaling", "scaling"}, {"patch_lenght", "patch_length"}};
    for (size_t i = 0; i < sizeof typos / sizeof typos[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "{\"architectures\": [\"PatchTSMixerForPrediction\"], \"%s\": 8}", typos[i].key);
        ptm_config c;
        ptm_error err;
        CHECK_STATUS(ptm_config_parse(text, strlen(text), "t.json", -1, &c, &err), PTM_ERR_CONFIG);
        char want[128];
        snprintf(want, sizeof want, "unknown key (did you mean \"%s\"?)", typos[i].meant);
        CHECK(strcmp(err.field, typos[i].key) == 0 && strcmp(err.text, want) == 0);
        ptm_config_free(&c);
    }
    const char *fine = "{\"architectures\": [\"PatchTSMixerForPrediction\"], \"num_labels\": 3, "
                       "\"use_bfloat16\": false, \"my_own_note\": \"x\", \"eps\": 1}";
    ptm_config c;
    ptm_error err;
    CHECK_STATUS(ptm_config_parse(fine, strlen(fine), "t.json", -1, &c, &err), PTM_OK);
    ptm_config_free(&c);
}

/* id2label: class names read, kept, written back as Hugging Face writes them (keys sorted as
 * strings, label2id beside it); hostile forms refused with exact messages (issue #12) */
TEST(config_id2label) {
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "{\"architectures\": [\"PatchTSMixerForTimeSeriesClassification\"], "
                     "\"num_targets\": 11, \"id2label\": {");
    for (int i = 0; i < 11; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s\"%d\": \"c%c\"", i ? ", " : "", i,
                      'k' - i);
    snprintf(text + n, sizeof text - (size_t)n, "}}");
    ptm_config c, c2;
    ptm_error err;
    CHECK_STATUS(ptm_config_parse(text, strlen(text), "t.json", -1, &c, &err), PTM_OK);
    CHECK(c.num_labels == 11 && c.id2label && strcmp(c.id2label[10], "ca") == 0);
    char *json = NULL;
    size_t len = 0;
    CHECK_STATUS(ptmi_config_write_json(&c, &json, &len, &err), PTM_OK);
    CHECK(json && strstr(json, "\"id2label\": {\n    \"0\": \"ck\",\n    \"1\": \"cj\",\n    "
                               "\"10\": \"ca\",\n    \"2\": \"ci\"") != NULL);
    CHECK(json && strstr(json, "\"label2id\": {\n    \"ca\": 10,\n    \"cb\": 9,") != NULL);
    CHECK_STATUS(ptm_config_parse(json, len, "w.json", -1, &c2, &err), PTM_OK);
    CHECK(c2.num_labels == 11 && strcmp(c2.id2label[3], "ch") == 0);
    ptm_config c3;
    CHECK_STATUS(ptmi_config_copy(&c3, &c2, &err), PTM_OK);
    CHECK(c3.id2label != c2.id2label && strcmp(c3.id2label[0], "ck") == 0);
    ptm_config_free(&c3);
    ptm_config_free(&c2);
    ptm_config_free(&c);
    free(json);
    static const struct {
        const char *value, *msg;
    } bad[] = {
        {"[\"a\"]", "found array, expected an object"},
        {"{\"01\": \"a\"}", "key \"01\": expected the class indices 0 to 0"},
        {"{\"0\": \"a\", \"2\": \"b\"}", "key \"2\": expected the class indices 0 to 1"},
        {"{\"x\": \"a\"}", "key \"x\": expected the class indices 0 to 0"},
        {"{\"0\": 3}", "\"0\": found number, expected a class name (a string)"},
        {"{\"0\": \"a\\u001b[31m\"}", "the name of class 0 holds a control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text,
                 "{\"architectures\": [\"PatchTSMixerForTimeSeriesClassification\"], "
                 "\"id2label\": %s}",
                 bad[i].value);
        CHECK_STATUS(ptm_config_parse(text, strlen(text), "t.json", -1, &c, &err), PTM_ERR_CONFIG);
        if (strcmp(err.text, bad[i].msg) != 0 || strcmp(err.field, "id2label") != 0 ||
            strcmp(err.file, "t.json") != 0)
            fprintf(stderr, "  id2label %s: %s: %s: %s\n", bad[i].value, err.file, err.field,
                    err.text);
        CHECK(strcmp(err.text, bad[i].msg) == 0 && strcmp(err.field, "id2label") == 0);
    }
}

int main(void) {
    hostile_setup("test_hostile_model");
    RUN(model_base_loads);
    RUN(model_truncated_anywhere);
    RUN(model_safetensors_layout);
    RUN(model_tensors);
    RUN(model_files);
    RUN(config_values);
    RUN(forward_values);
    RUN(model_half_precision);
    RUN(config_typos);
    RUN(config_id2label);
    return hostile_finish();
}
