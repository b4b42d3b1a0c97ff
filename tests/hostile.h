/* hostile.h - the shared fixture of the tests/test_hostile_*.c programs (hand-written hostile
 * and wrong inputs across every format the engine reads): a temporary folder, expect_status
 * for table-driven cases, the base checkpoint (a tiny Prediction model, one BatchNorm layer,
 * BASE_CONFIG) that each case changes in one thing, a hand-written safetensors writer that can
 * break it (st_mut, make_st) and load_dir, which writes a model directory and loads it.
 *
 *     int main(void) { hostile_setup("test_hostile_x"); RUN(...); return hostile_finish(); }
 *
 * Header-only (static functions), so that the Makefile's one-file-per-program rule holds.
 */
#ifndef PTMI_TESTS_HOSTILE_H
#define PTMI_TESTS_HOSTILE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/config.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "testutil.h"

static char g_dir[256];
static const char *g_prog; /* the program's name, for messages */

static inline const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static inline void write_file(const char *name, const void *p, size_t n) {
    FILE *f = fopen(tmp_path(name), "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n)) {
        fprintf(stderr, "%s: cannot write %s\n", g_prog, name);
        exit(1);
    }
    fclose(f);
}

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CHECK_STATUS for the table macros (which declare their own ptm_error); the failure names
 * the file and line of the case */
static inline void expect_status_at(ptm_status got, ptm_status want, const ptm_error *e,
                                    const char *what, const char *file, int line) {
    if (got == want) {
        tu_pass++;
        return;
    }
    tu_fail++;
    fprintf(stderr, "FAIL %s:%d: %s returned %d, expected %d (%s | %s | %s)\n", file, line, what,
            (int)got, (int)want, e->file, e->field, e->text);
}
#define expect_status(got, want, e, what, line) expect_status_at(got, want, e, what, __FILE__, line)

/* ---------------------------------------------------------------- the base checkpoint */

#define BASE_CONFIG                                                                                \
    "{\"architectures\": [\"PatchTSMixerForPrediction\"], \"model_type\": \"patchtsmixer\", "      \
    "\"context_length\": 16, \"patch_length\": 4, \"patch_stride\": 4, "                           \
    "\"num_input_channels\": 2, \"d_model\": 4, \"num_layers\": 1, \"norm_mlp\": "                 \
    "\"BatchNorm\", \"prediction_length\": 4"

static const char base_config[] = BASE_CONFIG "}";

/* base_config with key set to the JSON text value (replacing the base's value), malloc'd */
static inline char *cfg_with(const char *key, const char *value) {
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

static inline unsigned char *make_st(const st_mut *mu, size_t *out_len) {
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
static inline ptm_status load_dir(const char *cfg, size_t cfg_len, const unsigned char *st,
                                  size_t st_len, ptm_error *err) {
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
        fprintf(stderr, "%s: a failed load left *out set\n", g_prog);
        tu_fail++;
    }
    if (s != PTM_OK && err->code != s) {
        fprintf(stderr, "%s: err.code %d, returned %d\n", g_prog, (int)err->code, (int)s);
        tu_fail++;
    }
    ptm_model_free(s == PTM_OK ? m : NULL);
    return s;
}

static inline ptm_status load_cfg_with_base_st(const char *cfg, ptm_error *err) {
    size_t n;
    unsigned char *st = make_st(NULL, &n);
    ptm_status s = load_dir(cfg, strlen(cfg), st, n, err);
    free(st);
    return s;
}

static inline ptm_status load_st_mut(const st_mut *mu, ptm_error *err) {
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

/* ---------------------------------------------------------------- setup and teardown */

/* Make the temporary folder and the base model g_model (weights set to small distinct values,
 * BatchNorm running variances 1); exits on failure. */
static inline void hostile_setup(const char *prog) {
    g_prog = prog;
    snprintf(g_dir, sizeof g_dir, "%s/ptm-hostile-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        exit(1);
    }
    ptm_config c;
    ptm_error err;
    if (ptm_config_parse(base_config, strlen(base_config), "base", -1, &c, &err) != PTM_OK ||
        ptmi_model_build(&c, PTMI_STORE_TRAIN, &g_model, &err) != PTM_OK) {
        fprintf(stderr, "%s: base model: %s\n", g_prog, err.text);
        exit(1);
    }
    ptm_config_free(&c);
    for (size_t i = 0; i < g_model->arena_floats; i++)
        g_model->arena[i] = 0.01f * (float)((i * 7) % 23) - 0.1f;
    for (int i = 0; i < g_model->n_table; i++)
        if (strstr(g_model->table[i].name, "running_var"))
            for (size_t k = 0; k < g_model->table[i].numel; k++) g_model->table[i].f32[k] = 1.0f;
    ptmi_model_sync(g_model);
}

/* Free the base model, remove the temporary folder, print the summary line. */
static inline int hostile_finish(void) {
    ptm_model_free(g_model);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "%s: could not remove %s\n", g_prog, g_dir);
    return test_summary(g_prog);
}

/* path as the trainer writes optimizer.safetensors: the AdamW moments exp_avg and exp_avg_sq
 * (F32, shape [numel]) and the step (I64 scalar) */
static inline ptm_status write_adamw_state(const char *path, float *exp_avg, float *exp_avg_sq,
                                           int64_t numel, int64_t step, ptm_error *err) {
    st_write_entry e[3];
    memset(e, 0, sizeof e);
    e[0].name = "adamw.exp_avg";
    e[0].dtype = ST_F32;
    e[0].ndim = 1;
    e[0].shape[0] = numel;
    e[0].data = exp_avg;
    e[1] = e[0];
    e[1].name = "adamw.exp_avg_sq";
    e[1].data = exp_avg_sq;
    e[2].name = "step";
    e[2].dtype = ST_I64;
    e[2].data = &step;
    return st_write(path, e, 3, err);
}

#endif
