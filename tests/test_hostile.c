/* test_hostile.c - hand-written hostile and wrong inputs across every format the engine reads:
 * model directories (config.json + model.safetensors), the safetensors layout, config.json
 * values, CSV and .ts data files, the --resume state (optimizer.safetensors,
 * trainer_state.json) and the values passed to ptm_forward. Each case asserts the exact
 * ptm_status; `make asan` runs this program under LeakSanitizer, so every error path is also
 * checked for leaks. The resource-limit cases also check that they fail fast and, in a child
 * process with a 1 GiB address-space limit, that they are refused before any large allocation.
 *
 *     build/test_hostile            prints "test_hostile: N passed, M failed"
 *
 * The base checkpoint is built here (a tiny Prediction model, one BatchNorm layer) and each
 * case changes one thing in it. More hostile files live in test_io.c (JSON, safetensors),
 * test_csv.c, test_data.c (.ts) and test_model.c; the fuzzers in tests/fuzz/ cover the rest.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/config.h"
#include "io/csv.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "testutil.h"
#include "io/ts.h"
#include "train/trainer.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

static char g_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static void write_file(const char *name, const void *p, size_t n) {
    FILE *f = fopen(tmp_path(name), "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n)) {
        fprintf(stderr, "test_hostile: cannot write %s\n", name);
        exit(1);
    }
    fclose(f);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CHECK_STATUS for the table macros below (which declare their own ptm_error) */
static void expect_status(ptm_status got, ptm_status want, const ptm_error *e, const char *what,
                          int line) {
    if (got == want) {
        tu_pass++;
        return;
    }
    tu_fail++;
    fprintf(stderr, "FAIL %s:%d: %s returned %d, expected %d (%s | %s | %s)\n", __FILE__, line,
            what, (int)got, (int)want, e->file, e->field, e->text);
}

/* ---------------------------------------------------------------- the base checkpoint */

#define BASE_CONFIG                                                                                \
    "{\"architectures\": [\"PatchTSMixerForPrediction\"], \"model_type\": \"patchtsmixer\", "      \
    "\"context_length\": 16, \"patch_length\": 4, \"patch_stride\": 4, "                           \
    "\"num_input_channels\": 2, \"d_model\": 4, \"num_layers\": 1, \"norm_mlp\": "                 \
    "\"BatchNorm\", \"prediction_length\": 4"

static const char base_config[] = BASE_CONFIG "}";

/* base_config with key set to the JSON text value (replacing the base's value), malloc'd */
static char *cfg_with(const char *key, const char *value) {
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *at = strstr(base_config, pat);
    size_t n = strlen(base_config) + strlen(value) + strlen(pat) + 8;
    char *out = malloc(n);
    if (!at) {
        snprintf(out, n, "%.*s, %s%s}", (int)(strlen(base_config) - 1), base_config, pat, value);
        return out;
    }
    const char *vend = at + strlen(pat);
    if (*vend == '[') {
        vend = strchr(vend, ']') + 1;
    } else if (*vend == '"') {
        vend = strchr(vend + 1, '"') + 1;
    } else {
        while (*vend && *vend != ',' && *vend != '}') vend++;
    }
    snprintf(out, n, "%.*s%s%s%s", (int)(at - base_config), base_config, pat, value, vend);
    return out;
}
static ptm_model *g_model; /* the base model, weights set to small distinct values */

/* A safetensors file of g_model's tensors, written by hand so that cases can break it:
 * mutate(name, dtype, shape, begin, end) may rewrite one entry's header text. */
typedef struct {
    const char *skip;      /* leave this tensor out */
    const char *rename;    /* give this tensor ... */
    const char *rename_to; /* ... this name */
    const char *reshape;   /* write this tensor's shape transposed / changed */
    const char *redtype;   /* write this tensor with this dtype ... */
    const char *dtype_to;  /* ... (same byte count kept when possible) */
    const char *extra;     /* raw header text appended before the closing brace */
    int overlap;           /* second tensor starts inside the first */
    const char *poison;    /* write this value into ... */
    float poison_value;    /* ... its first element */
} st_mut;

static unsigned char *make_st(const st_mut *mu, size_t *out_len) {
    const ptm_model *m = g_model;
    size_t cap = 65536 + (mu && mu->extra ? strlen(mu->extra) : 0), hl = 0;
    char *h = malloc(cap);
    size_t dcap = m->arena_floats * 4 + (size_t)m->n_table * 8 + 64, dl = 0;
    unsigned char *d = malloc(dcap);
    hl += (size_t)snprintf(h + hl, cap - hl, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < m->n_table; i++) {
        const ptmi_param_entry *e = &m->table[i];
        if (mu && mu->skip && strcmp(mu->skip, e->name) == 0) continue;
        const char *name = e->name;
        if (mu && mu->rename && strcmp(mu->rename, e->name) == 0) name = mu->rename_to;
        const char *dtype = e->f32 ? "F32" : "I64";
        if (mu && mu->redtype && strcmp(mu->redtype, e->name) == 0) dtype = mu->dtype_to;
        size_t esz = strcmp(dtype, "I64") == 0 ? 8 : strcmp(dtype, "F16") == 0 ? 2 : 4;
        size_t begin = dl;
        if (mu && mu->overlap && i == 1) begin = dl - 4;
        hl += (size_t)snprintf(h + hl, cap - hl, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", name,
                               dtype);
        int reshape = mu && mu->reshape && strcmp(mu->reshape, e->name) == 0;
        for (int k = 0; k < e->ndim; k++) {
            int64_t v = e->shape[reshape ? e->ndim - 1 - k : k];
            if (reshape && e->ndim == 1) v = v + 1;
            hl += (size_t)snprintf(h + hl, cap - hl, "%s%lld", k ? "," : "", (long long)v);
        }
        size_t numel = e->numel;
        if (reshape && e->ndim == 1) numel++;
        size_t nb = numel * esz;
        hl +=
            (size_t)snprintf(h + hl, cap - hl, "],\"data_offsets\":[%zu,%zu]}", begin, begin + nb);
        /* data: the arena bytes (or zeros), poisoned if asked */
        size_t from = begin;
        if (from + nb > dcap) {
            dcap = (from + nb) * 2;
            d = realloc(d, dcap);
        }
        if (e->f32) {
            size_t cp = nb < e->numel * 4 ? nb : e->numel * 4;
            memset(d + from, 0, nb);
            memcpy(d + from, e->f32, cp);
            if (mu && mu->poison && strcmp(mu->poison, e->name) == 0)
                memcpy(d + from, &mu->poison_value, 4);
        } else {
            memset(d + from, 0, nb);
            if (nb >= 8) memcpy(d + from, e->i64, 8);
        }
        dl = from + nb;
    }
    if (mu && mu->extra) hl += (size_t)snprintf(h + hl, cap - hl, "%s", mu->extra);
    hl += (size_t)snprintf(h + hl, cap - hl, "}");
    while ((8 + hl) % 8) h[hl++] = ' ';
    unsigned char *out = malloc(8 + hl + dl);
    for (int k = 0; k < 8; k++) out[k] = (unsigned char)((uint64_t)hl >> (8 * k));
    memcpy(out + 8, h, hl);
    memcpy(out + 8 + hl, d, dl);
    free(h);
    free(d);
    *out_len = 8 + hl + dl;
    return out;
}

/* Write dir "m" with this config text and safetensors bytes (st NULL: no file) and load it. */
static ptm_status load_dir(const char *cfg, size_t cfg_len, const unsigned char *st, size_t st_len,
                           ptm_error *err) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/m", g_dir);
    mkdir(dir, 0755);
    write_file("m/config.json", cfg, cfg_len);
    unlink(tmp_path("m/model.safetensors"));
    if (st) write_file("m/model.safetensors", st, st_len);
    ptm_model *m = (ptm_model *)(uintptr_t)1;
    memset(err, 0, sizeof *err);
    ptm_status s = ptm_model_load(dir, &m, err);
    if (s != PTM_OK && m != NULL) {
        fprintf(stderr, "test_hostile: a failed load left *out set\n");
        tu_fail++;
    }
    if (s != PTM_OK && err->code != s) {
        fprintf(stderr, "test_hostile: err.code %d, returned %d\n", (int)err->code, (int)s);
        tu_fail++;
    }
    ptm_model_free(s == PTM_OK ? m : NULL);
    return s;
}

static ptm_status load_cfg_with_base_st(const char *cfg, ptm_error *err) {
    size_t n;
    unsigned char *st = make_st(NULL, &n);
    ptm_status s = load_dir(cfg, strlen(cfg), st, n, err);
    free(st);
    return s;
}

static ptm_status load_st_mut(const st_mut *mu, ptm_error *err) {
    size_t n;
    unsigned char *st = make_st(mu, &n);
    ptm_status s = load_dir(base_config, strlen(base_config), st, n, err);
    free(st);
    return s;
}

#define CASE_CFG(text, expected)                                                                   \
    do {                                                                                           \
        ptm_error e_;                                                                              \
        expect_status(load_cfg_with_base_st(text, &e_), expected, &e_, #text, __LINE__);           \
    } while (0)

#define CASE_KV(key, value, expected)                                                              \
    do {                                                                                           \
        char *c_ = cfg_with(key, value);                                                           \
        ptm_error e_;                                                                              \
        expect_status(load_cfg_with_base_st(c_, &e_), expected, &e_, key " " value, __LINE__);     \
        free(c_);                                                                                  \
    } while (0)

/* ---------------------------------------------------------------- model directory */

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

/* ---------------------------------------------------------------- resource limits */

/* Configs whose models or contexts would need gigabytes: each is refused with
 * PTM_ERR_LIMIT (or CONFIG) quickly. Returns the number of wrong results. */
static int absurd_configs(int verbose) {
    static const struct {
        const char *cfg;
        ptm_status want;
    } cases[] = {
        /* d_model 65536 with 1024 layers: ~2^45 parameters */
        {"{\"architectures\": [\"PatchTSMixerForPrediction\"], \"d_model\": 65536, "
         "\"num_layers\": 1024}",
         PTM_ERR_LIMIT},
        /* context 16M with patch 1: 16M patches, a 2^48-element patch mixer */
        {"{\"architectures\": [\"PatchTSMixerForPrediction\"], \"context_length\": 16777216, "
         "\"patch_length\": 1, \"patch_stride\": 1}",
         PTM_ERR_LIMIT},
        /* head input d_model * channels * patches = 2^16 * 2^20 * 2^24 (int overflow) */
        {"{\"architectures\": [\"PatchTSMixerForTimeSeriesClassification\"], "
         "\"context_length\": 16777216, \"patch_length\": 1, \"patch_stride\": 1, "
         "\"d_model\": 65536, \"num_input_channels\": 1048576, \"head_aggregation\": null, "
         "\"num_layers\": 0}",
         PTM_ERR_LIMIT},
        /* fc width num_patches * expansion_factor beyond int */
        {"{\"architectures\": [\"PatchTSMixerForPrediction\"], \"context_length\": 16777216, "
         "\"patch_length\": 1, \"patch_stride\": 1, \"expansion_factor\": 1024}",
         PTM_ERR_LIMIT},
        /* mix_channel with 2^20 channels: a [2^21, 2^20] channel mixer */
        {"{\"architectures\": [\"PatchTSMixerForPrediction\"], \"num_input_channels\": 1048576, "
         "\"mode\": \"mix_channel\"}",
         PTM_ERR_LIMIT},
        {"{\"architectures\": [\"PatchTSMixerForPrediction\"], \"d_model\": 1000000000}",
         PTM_ERR_CONFIG},
        /* within the parameter limit (~700M, 5 GiB with the transposed copy) but the file
         * holds a few KB: refused from the file size before allocating */
        {"{\"architectures\": [\"PatchTSMixerForPrediction\"], \"d_model\": 4096, "
         "\"num_layers\": 8}",
         PTM_ERR_TENSOR},
    };
    int bad = 0;
    size_t n;
    unsigned char *st = make_st(NULL, &n);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ptm_error err;
        double t0 = now_s();
        ptm_status s = load_dir(cases[i].cfg, strlen(cases[i].cfg), st, n, &err);
        double dt = now_s() - t0;
        if (s != cases[i].want || dt > 2.0) {
            bad++;
            if (verbose)
                fprintf(stderr, "FAIL absurd config %zu: status %d (want %d) in %.2fs: %s\n", i,
                        (int)s, (int)cases[i].want, dt, err.text);
        }
    }
    free(st);

    /* a model that loads (few parameters: common_channel does not depend on the channel
     * count) but whose context for 2^20 channels would need ~50 GiB of activations */
    ptm_config c;
    ptm_error err;
    const char *wide = "{\"architectures\": [\"PatchTSMixerForPrediction\"], "
                       "\"context_length\": 512, \"patch_length\": 8, \"patch_stride\": 8, "
                       "\"num_input_channels\": 1048576, \"d_model\": 8, \"num_layers\": 2}";
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    if (ptm_config_parse(wide, strlen(wide), "wide", -1, &c, &err) != PTM_OK ||
        ptmi_model_build(&c, &m, &err) != PTM_OK) {
        bad++;
    } else {
        ptm_ctx_params cp = ptm_ctx_default_params();
        cp.max_batch = 1;
        double t0 = now_s();
        ptm_status s = ptm_ctx_create(m, &cp, &ctx, &err);
        if (s != PTM_ERR_LIMIT || ctx != NULL || now_s() - t0 > 2.0) {
            bad++;
            if (verbose) fprintf(stderr, "FAIL wide context: status %d\n", (int)s);
        }
        /* and a batch so large that max_batch itself is refused */
        cp.max_batch = 1 << 25;
        if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_ERR_ARG) bad++;
    }
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    ptm_config_free(&c);

    /* CSV and .ts limits */
    csv_options opt = {0};
    opt.max_bytes = 16;
    csv_table t;
    if (csv_parse("date,a\n2020-01-01,1\n", 20, "x.csv", &opt, &t, &err) != PTM_ERR_LIMIT) bad++;
    const char *ts = "@dimensions 268435456\n@data\n1\n";
    write_file("limit.ts", ts, strlen(ts));
    ptmi_ts_dataset d;
    if (ptmi_ts_load(tmp_path("limit.ts"), 0, &d, &err) != PTM_ERR_LIMIT) bad++;
    /* 3 cases x 2^27 steps x 1 channel: beyond the 2^28-cell limit */
    const char *ts2 = "@data\n1\n2\n3\n";
    write_file("limit2.ts", ts2, strlen(ts2));
    if (ptmi_ts_load(tmp_path("limit2.ts"), 1 << 27, &d, &err) != PTM_ERR_LIMIT) bad++;
    return bad;
}

TEST(resource_limits) {
    CHECK_EQ_INT(absurd_configs(1), 0);
    if (UNDER_SANITIZER || getenv("PTM_UNDER_VALGRIND")) return; /* they reserve address space */
    /* the same again in a child process that may not map more than 1 GiB: an allocation of
     * gigabytes before the refusal would turn LIMIT into NOMEM (or worse) there */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)1 << 30, (rlim_t)1 << 30};
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
        _exit(absurd_configs(1) == 0 ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---------------------------------------------------------------- CSV */

static ptm_status csv_case(const char *text, size_t len, csv_table *t, ptm_error *err) {
    memset(err, 0, sizeof *err);
    ptm_status s = csv_parse(text, len, "hostile.csv", NULL, t, err);
    if (s != PTM_OK && (t->values || t->nrows || t->colnames)) tu_fail++; /* zeroed on error */
    return s;
}
#define CSV(text, expected)                                                                        \
    do {                                                                                           \
        csv_table t_;                                                                              \
        ptm_error e_;                                                                              \
        expect_status(csv_case(text, sizeof(text) - 1, &t_, &e_), expected, &e_, #text, __LINE__); \
        csv_free(&t_);                                                                             \
    } while (0)

TEST(csv_hostile) {
    CSV("", PTM_ERR_INPUT);                                             /* empty file */
    CSV("\xef\xbb\xbf", PTM_ERR_INPUT);                                 /* only a BOM */
    CSV("date,a,b\n", PTM_ERR_INPUT);                                   /* header only */
    CSV("date,a,b\n2020-01-01,1,2\n2020-01-02,3\n", PTM_ERR_INPUT);     /* ragged: short */
    CSV("date,a,b\n2020-01-01,1,2\n2020-01-02,3,4,5\n", PTM_ERR_INPUT); /* ragged: long */
    CSV("a,b\n1,\"2\n", PTM_ERR_FORMAT);                                /* unterminated quote */
    CSV("a,b\n1,\"2\"x\n", PTM_ERR_FORMAT);                             /* text after a quote */
    CSV("a,b\n1,2\0\n", PTM_ERR_FORMAT);                                /* NUL byte */
    CSV("a,b\n1,1e39\n", PTM_ERR_INPUT);                                /* beyond float */
    CSV("a,b\n1,abc\n", PTM_ERR_INPUT);                                 /* not a number */
    CSV("a,b\n1,0x10\n", PTM_ERR_INPUT);                                /* hex is not data */
    CSV("date\n2020-01-01\n", PTM_ERR_INPUT);                           /* no value column */

    /* BOM, CRLF, quoted fields (with delimiters, quotes and a line break inside) are fine */
    csv_table t;
    ptm_error err;
    static const char ok[] = "\xef\xbb\xbf\"date\",\"x, y\",\"say\r\n\"\"z\"\"\"\r\n"
                             "2020-01-01 00:00:00,\"1.5\",2\r\n"
                             "\"2020-01-01 01:00:00\",-3e2,\" 4 \"\r\n";
    CHECK_STATUS(csv_case(ok, sizeof ok - 1, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK_EQ_INT(t.ncols, 2);
    CHECK(t.ncols == 2 && strcmp(t.colnames[0], "x, y") == 0);
    CHECK(t.ncols == 2 && strcmp(t.colnames[1], "say\r\n\"z\"") == 0);
    CHECK(t.nrows == 2 && t.values[0] == 1.5f && t.values[2] == -300.0f && t.values[3] == 4.0f);
    CHECK(t.time_parsed == 1);
    csv_free(&t);

    /* NaN / Inf / NA cells are missing values: value 0, observed 0, never NaN in the table */
    static const char miss[] = "a,b,c\nNaN,inf,NA\n-Infinity,,null\n1,2,3\n";
    CHECK_STATUS(csv_case(miss, sizeof miss - 1, &t, &err), PTM_OK);
    int all_missing = 1;
    for (int i = 0; i < 6; i++)
        if (t.observed[i] != 0.0f || t.values[i] != 0.0f) all_missing = 0;
    CHECK(all_missing);
    CHECK(t.observed[6] == 1.0f && t.values[8] == 3.0f);
    csv_free(&t);
}

/* ---------------------------------------------------------------- .ts */

static ptm_status ts_case(const char *text, size_t len, int length, ptm_error *err) {
    write_file("hostile.ts", text, len);
    ptmi_ts_dataset d;
    ptm_status s = ptmi_ts_load(tmp_path("hostile.ts"), length, &d, err);
    if (s != PTM_OK && (d.values || d.ncases)) tu_fail++;
    ptmi_ts_free(&d);
    return s;
}
#define TS(text, expected)                                                                         \
    do {                                                                                           \
        ptm_error e_;                                                                              \
        memset(&e_, 0, sizeof e_);                                                                 \
        expect_status(ts_case(text, sizeof(text) - 1, 0, &e_), expected, &e_, #text, __LINE__);    \
    } while (0)

TEST(ts_hostile) {
    TS("", PTM_ERR_FORMAT);
    TS("\xef\xbb\xbf\r\n", PTM_ERR_FORMAT);
    TS("@data\n", PTM_ERR_FORMAT);                                  /* no cases */
    TS("@classLabel true a b\n@data\n1,2:c\n", PTM_ERR_FORMAT);     /* label not listed */
    TS("@targetLabel true\n@data\n1,2:nan\n", PTM_ERR_FORMAT);      /* NaN target */
    TS("@targetLabel true\n@data\n1,2:1e39\n", PTM_ERR_FORMAT);     /* target beyond float */
    TS("@dimensions 2\n@data\n1,2\n", PTM_ERR_FORMAT);              /* too few dimensions */
    TS("@dimensions 2097152\n@data\n1\n", PTM_ERR_LIMIT);           /* absurd @dimensions */
    TS("@seriesLength 300000000\n@data\n1\n", PTM_ERR_LIMIT);       /* absurd @seriesLength */
    TS("@timeStamps true\n@data\n(2020,1)\n", PTM_ERR_UNSUPPORTED); /* time stamps */
    /* BOM, CRLF, '?' and non-finite values as missing are fine */
    TS("\xef\xbb\xbf@classLabel true a b\r\n@data\r\n1,?,inf:2,3,-nan:b\r\n", PTM_OK);
}

/* ---------------------------------------------------------------- --resume state */

static char g_last[512];

/* Write a valid last/ folder for g_model (optimizer moments all 0.5, step 8). */
static void write_last(void) {
    ptm_error err;
    snprintf(g_last, sizeof g_last, "%s/last", g_dir);
    if (ptm_model_save(g_model, g_last, &err) != PTM_OK) {
        fprintf(stderr, "test_hostile: cannot save: %s\n", err.text);
        exit(1);
    }
    size_t np = g_model->arena_floats;
    float *mom = malloc(np * sizeof(float));
    for (size_t i = 0; i < np; i++) mom[i] = 0.5f;
    int64_t step = 8;
    st_write_entry e[3];
    memset(e, 0, sizeof e);
    e[0].name = "adamw.exp_avg";
    e[0].dtype = ST_F32;
    e[0].ndim = 1;
    e[0].shape[0] = (int64_t)np;
    e[0].data = mom;
    e[1] = e[0];
    e[1].name = "adamw.exp_avg_sq";
    e[2].name = "step";
    e[2].dtype = ST_I64;
    e[2].data = &step;
    if (st_write(tmp_path("last/optimizer.safetensors"), e, 3, &err) != PTM_OK) exit(1);
    free(mom);
    const char *js = "{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1, "
                     "\"step\": 8}";
    write_file("last/trainer_state.json", js, strlen(js));
}

/* the optimizer state with one thing changed */
static void write_opt(float m0, float v0, int64_t step, int64_t numel) {
    ptm_error err;
    size_t np = g_model->arena_floats;
    float *mom = calloc(np + 1, sizeof(float)), *vv = calloc(np + 1, sizeof(float));
    mom[3] = m0;
    vv[5] = v0;
    st_write_entry e[3];
    memset(e, 0, sizeof e);
    e[0].name = "adamw.exp_avg";
    e[0].dtype = ST_F32;
    e[0].ndim = 1;
    e[0].shape[0] = numel;
    e[0].data = mom;
    e[1] = e[0];
    e[1].name = "adamw.exp_avg_sq";
    e[1].data = vv;
    e[2].name = "step";
    e[2].dtype = ST_I64;
    e[2].data = &step;
    if (st_write(tmp_path("last/optimizer.safetensors"), e, 3, &err) != PTM_OK) exit(1);
    free(mom);
    free(vv);
}

static ptm_status resume(ptm_error *errp) {
    size_t np = g_model->arena_floats;
    ptm_model *m = NULL;
    ptm_error err;
    if (ptmi_model_build(&g_model->cfg, &m, &err) != PTM_OK) return PTM_ERR_NOMEM;
    float *am = calloc(np, sizeof(float)), *av = calloc(np, sizeof(float));
    int epoch = 0, best_epoch = 0, bad = 0;
    int64_t step = 0;
    double best_val = 0;
    memset(&err, 0, sizeof err);
    ptm_status s =
        ptmi_train_load_state(g_last, m, am, av, &epoch, &step, &best_val, &best_epoch, &bad, &err);
    if (s != PTM_OK && err.code != s) tu_fail++;
    *errp = err;
    free(am);
    free(av);
    ptm_model_free(m);
    return s;
}

#define STATE(json, expected)                                                                      \
    do {                                                                                           \
        ptm_error e_;                                                                              \
        write_file("last/trainer_state.json", json, sizeof(json) - 1);                             \
        expect_status(resume(&e_), expected, &e_, #json, __LINE__);                                \
    } while (0)

TEST(resume_state_hostile) {
    ptm_error err;
    memset(&err, 0, sizeof err);
    write_last();
    CHECK_STATUS(resume(&err), PTM_OK);
    /* trainer_state.json */
    STATE("{\"best_epoch\": 0, \"best_val\": null, \"bad_epochs\": 1, \"epoch\": 1}", PTM_OK);
    STATE("", PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1", PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1}", PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": \"1\"}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1e300}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": -7}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 5, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1.5, \"epoch\": 1}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": inf, \"bad_epochs\": 1, \"epoch\": 1}",
          PTM_ERR_FORMAT);
    unlink(tmp_path("last/trainer_state.json"));
    CHECK_STATUS(resume(&err), PTM_ERR_IO);
    write_last();
    /* optimizer.safetensors */
    size_t np = g_model->arena_floats;
    write_opt(NAN, 0.0f, 8, (int64_t)np);
    CHECK_STATUS(resume(&err), PTM_ERR_TENSOR);
    write_opt(0.0f, -1.0f, 8, (int64_t)np);
    CHECK_STATUS(resume(&err), PTM_ERR_TENSOR);
    write_opt(0.0f, INFINITY, 8, (int64_t)np);
    CHECK_STATUS(resume(&err), PTM_ERR_TENSOR);
    write_opt(0.0f, 0.0f, -1, (int64_t)np);
    CHECK_STATUS(resume(&err), PTM_ERR_TENSOR);
    write_opt(0.0f, 0.0f, 8, (int64_t)np + 1);
    CHECK_STATUS(resume(&err), PTM_ERR_TENSOR);
    unlink(tmp_path("last/optimizer.safetensors"));
    CHECK_STATUS(resume(&err), PTM_ERR_IO);
    /* a last/ folder of another architecture */
    write_last();
    char *other = cfg_with("d_model", "8");
    write_file("last/config.json", other, strlen(other));
    CHECK_STATUS(resume(&err), PTM_ERR_TENSOR); /* its weights do not fit its own config */
    {
        ptm_config c;
        ptm_model *m8 = NULL;
        CHECK_STATUS(ptm_config_parse(other, strlen(other), "x", -1, &c, &err), PTM_OK);
        CHECK_STATUS(ptmi_model_build(&c, &m8, &err), PTM_OK);
        CHECK_STATUS(ptm_model_save(m8, g_last, &err), PTM_OK);
        ptm_model_free(m8);
        ptm_config_free(&c);
    }
    CHECK_STATUS(resume(&err), PTM_ERR_INPUT);
    free(other);
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

int main(void) {
    snprintf(g_dir, sizeof g_dir, "%s/ptm-hostile-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    ptm_config c;
    ptm_error err;
    if (ptm_config_parse(base_config, strlen(base_config), "base", -1, &c, &err) != PTM_OK ||
        ptmi_model_build(&c, &g_model, &err) != PTM_OK) {
        fprintf(stderr, "test_hostile: base model: %s\n", err.text);
        return 1;
    }
    ptm_config_free(&c);
    for (size_t i = 0; i < g_model->arena_floats; i++)
        g_model->arena[i] = 0.01f * (float)((i * 7) % 23) - 0.1f;
    for (int i = 0; i < g_model->n_table; i++)
        if (strstr(g_model->table[i].name, "running_var"))
            for (size_t k = 0; k < g_model->table[i].numel; k++) g_model->table[i].f32[k] = 1.0f;
    ptmi_model_sync(g_model);

    RUN(model_base_loads);
    RUN(model_truncated_anywhere);
    RUN(model_safetensors_layout);
    RUN(model_tensors);
    RUN(model_files);
    RUN(config_values);
    RUN(resource_limits);
    RUN(csv_hostile);
    RUN(ts_hostile);
    RUN(resume_state_hostile);
    RUN(forward_values);

    ptm_model_free(g_model);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "test_hostile: could not remove %s\n", g_dir);
    return test_summary("test_hostile");
}
