/* test_resume_bounds.c - every number of a resume state is bounded, and a diverging run saves
 * nothing: hostile optimizer.safetensors (step INT64_MAX, 2^60, 2^53 + 1, negative; moments
 * 3e38, NaN, a negative exp_avg_sq, |exp_avg| beyond Adam's invariant; an extra, a missing or a
 * misshapen tensor, a wrong dtype) and trainer_state.json (an absurd epoch, a step that
 * disagrees) refused with the exact status; a run whose loss goes non-finite (a learning rate
 * of 1e30 through the API, weights of 1e30 planted in last/ through the CLI) stops with
 * PTM_ERR_DIVERGED (exit code 1 and one line from the CLI) and leaves the best model and last/
 * byte for byte as they were, and loadable; a step at the 2^53 limit is refused when training
 * would go past it; a reversed output_range is a config error.
 *
 *     build/test_resume_bounds     prints "test_resume_bounds: N passed, M failed"
 *
 * The CLI is $BUILD/patchtsmixer (BUILD defaults to build).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/common.h"
#include "hostile.h"
#include "io/safetensors.h"
#include "io/save.h"
#include "model/model.h"
#include "testutil.h"
#include "train/trainer.h"

/* ---------------------------------------------------------------- hand-written states */

/* what write_opt writes: the moments of g_model (zero but for m[3] and v[5]) and step, changed
 * as asked */
typedef struct {
    float m3, v5;
    int64_t step;
    int extra;      /* a fourth tensor */
    int no_step;    /* step missing */
    int step_f32;   /* step as an F32 scalar */
    int moments_2d; /* exp_avg of shape [1, n] */
    int moments_i64;
} opt_case;

static void write_opt(const opt_case *c) {
    ptm_error err;
    size_t np = g_model->arena_floats;
    float *mom = calloc(np, sizeof(float)), *vv = calloc(np, sizeof(float));
    int64_t *im = calloc(np, sizeof(int64_t));
    mom[3] = c->m3;
    vv[5] = c->v5;
    float stepf = (float)c->step, one = 1.0f;
    st_write_entry e[4];
    memset(e, 0, sizeof e);
    e[0].name = "adamw.exp_avg";
    e[0].dtype = ST_F32;
    e[0].ndim = 1;
    e[0].shape[0] = (int64_t)np;
    e[0].data = mom;
    if (c->moments_2d) {
        e[0].ndim = 2;
        e[0].shape[0] = 1;
        e[0].shape[1] = (int64_t)np;
    }
    if (c->moments_i64) {
        e[0].dtype = ST_I64;
        e[0].data = im;
    }
    e[1].name = "adamw.exp_avg_sq";
    e[1].dtype = ST_F32;
    e[1].ndim = 1;
    e[1].shape[0] = (int64_t)np;
    e[1].data = vv;
    e[2].name = "step";
    e[2].dtype = c->step_f32 ? ST_F32 : ST_I64;
    e[2].data = c->step_f32 ? (const void *)&stepf : (const void *)&c->step;
    e[3].name = "adamw.max_exp_avg_sq";
    e[3].dtype = ST_F32;
    e[3].data = &one;
    size_t n = c->no_step ? 2 : c->extra ? 4 : 3;
    if (st_write(tmp_path("last/optimizer.safetensors"), e, n, &err) != PTM_OK) {
        fprintf(stderr, "%s: cannot write optimizer.safetensors: %s\n", g_prog, err.text);
        exit(1);
    }
    free(mom);
    free(vv);
    free(im);
}

/* ptmi_train_load_state of g_dir/last into a model of g_model's architecture */
static ptm_status resume(ptm_error *err, int64_t *step_out) {
    size_t np = g_model->arena_floats;
    ptm_model *m = NULL;
    if (ptmi_model_build(&g_model->cfg, PTMI_STORE_TRAIN, &m, err) != PTM_OK) return PTM_ERR_NOMEM;
    float *am = calloc(np, sizeof(float)), *av = calloc(np, sizeof(float));
    int epoch = 0, best_epoch = 0, bad = 0;
    int64_t step = 0;
    double best_val = 0;
    char last[600];
    snprintf(last, sizeof last, "%s/last", g_dir);
    memset(err, 0, sizeof *err);
    ptm_status s =
        ptmi_train_load_state(last, m, am, av, &epoch, &step, &best_val, &best_epoch, &bad, err);
    if (s != PTM_OK && err->code != s) tu_fail++;
    if (step_out) *step_out = step;
    free(am);
    free(av);
    ptm_model_free(m);
    return s;
}

/* write the case, resume, and expect status want with the error naming field (NULL: any) */
static void opt_expect(const opt_case *c, ptm_status want, const char *field, const char *what,
                       int line) {
    write_opt(c);
    ptm_error e;
    ptm_status s = resume(&e, NULL);
    expect_status(s, want, &e, what, line);
    if (s != PTM_OK && field && strcmp(e.field, field) != 0) {
        tu_fail++;
        fprintf(stderr, "FAIL line %d: error field '%s', expected '%s'\n", line, e.field, field);
    }
}

/* OPT(expected status, expected error field or NULL, changes to the valid case c_) */
#define OPT(expected, field, ...)                                                                  \
    do {                                                                                           \
        opt_case c_ = {0.0f, 0.0f, 8, 0, 0, 0, 0, 0};                                              \
        __VA_ARGS__;                                                                               \
        opt_expect(&c_, expected, field, #__VA_ARGS__, __LINE__);                                  \
    } while (0)

#define STATE(json, expected)                                                                      \
    do {                                                                                           \
        ptm_error e_;                                                                              \
        write_file("last/trainer_state.json", json, sizeof(json) - 1);                             \
        expect_status(resume(&e_, NULL), expected, &e_, #json, __LINE__);                          \
    } while (0)

TEST(hostile_resume_numbers) {
    ptm_error err;
    char last[600];
    snprintf(last, sizeof last, "%s/last", g_dir);
    CHECK_STATUS(ptm_model_save(g_model, last, &err), PTM_OK);
    const char *js = "{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1}";
    write_file("last/trainer_state.json", js, strlen(js));
    OPT(PTM_OK, NULL, (void)0);
    /* the step */
    OPT(PTM_ERR_TENSOR, "step", c_.step = INT64_MAX);
    OPT(PTM_ERR_TENSOR, "step", c_.step = (int64_t)1 << 60);
    OPT(PTM_ERR_TENSOR, "step", c_.step = ((int64_t)1 << 53) + 1);
    OPT(PTM_ERR_TENSOR, "step", c_.step = -1);
    OPT(PTM_ERR_TENSOR, "step", c_.step = INT64_MIN);
    OPT(PTM_OK, NULL, c_.step = (int64_t)1 << 53);
    /* the moments */
    OPT(PTM_ERR_TENSOR, "adamw.exp_avg", c_.m3 = 3e38f);
    OPT(PTM_ERR_TENSOR, "adamw.exp_avg_sq", c_.v5 = 3e38f);
    OPT(PTM_ERR_TENSOR, "adamw.exp_avg_sq", c_.v5 = 2e30f);
    OPT(PTM_OK, NULL, c_.v5 = 1e29f);
    OPT(PTM_ERR_TENSOR, "adamw.exp_avg", c_.m3 = NAN);
    OPT(PTM_ERR_TENSOR, "adamw.exp_avg", c_.m3 = -INFINITY);
    OPT(PTM_ERR_TENSOR, "adamw.exp_avg_sq", c_.v5 = NAN);
    OPT(PTM_ERR_TENSOR, "adamw.exp_avg_sq", c_.v5 = -1e-30f);
    OPT(PTM_OK, NULL, c_.v5 = -0.0f);
    /* |exp_avg| <= 8 sqrt(exp_avg_sq) + 1e-8, element by element */
    OPT(PTM_ERR_TENSOR, "adamw.exp_avg", c_.m3 = 1e-3f);
    OPT(PTM_OK, NULL, c_.m3 = 5e-9f);
    {
        /* m and v at the same index: 15.9 <= 8 * 2 passes, 16.1 does not */
        opt_case c = {0.0f, 0.0f, 8, 0, 0, 0, 0, 0};
        write_opt(&c);
        for (int k = 0; k < 2; k++) {
            size_t np = g_model->arena_floats;
            float *mom = calloc(np, sizeof(float)), *vv = calloc(np, sizeof(float));
            int64_t step = 8;
            mom[4] = k == 0 ? 15.9f : -16.1f;
            vv[4] = 4.0f;
            CHECK_STATUS(write_adamw_state(tmp_path("last/optimizer.safetensors"), mom, vv,
                                           (int64_t)np, step, &err),
                         PTM_OK);
            CHECK_STATUS(resume(&err, NULL), k == 0 ? PTM_OK : PTM_ERR_TENSOR);
            free(mom);
            free(vv);
        }
    }
    /* exactly three tensors of the right dtypes and shapes */
    OPT(PTM_ERR_TENSOR, NULL, c_.extra = 1);
    OPT(PTM_ERR_TENSOR, NULL, c_.no_step = 1);
    OPT(PTM_ERR_TENSOR, NULL, c_.step_f32 = 1);
    OPT(PTM_ERR_TENSOR, NULL, c_.moments_2d = 1);
    OPT(PTM_ERR_TENSOR, NULL, c_.moments_i64 = 1);
    unlink(tmp_path("last/optimizer.safetensors"));
    CHECK_STATUS(resume(&err, NULL), PTM_ERR_IO);

    /* trainer_state.json against the optimizer's step (8) */
    OPT(PTM_OK, NULL, (void)0);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 7}", PTM_OK);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 8}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 2147483646}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1e15}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1, \"step\": 8}",
          PTM_OK);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1, \"step\": 9}",
          PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1, \"step\": "
          "9223372036854775807}",
          PTM_ERR_FORMAT);
    STATE(
        "{\"best_epoch\": 0, \"best_val\": 0.5, \"bad_epochs\": 1, \"epoch\": 1, \"step\": \"8\"}",
        PTM_ERR_FORMAT);
    STATE("{\"best_epoch\": 0, \"best_val\": -1e308, \"bad_epochs\": 1, \"epoch\": 1}", PTM_OK);
}

/* ---------------------------------------------------------------- output_range */

TEST(output_range_order) {
    ptm_config c;
    ptm_error err;
    const char *bad[] = {"[1, 0]", "[0.5, 0.5]", "[3, -3]"};
    for (int i = 0; i < 3; i++) {
        char *t = cfg_with("output_range", bad[i]);
        memset(&err, 0, sizeof err);
        CHECK_STATUS(ptm_config_parse(t, strlen(t), "config.json", -1, &c, &err), PTM_ERR_CONFIG);
        CHECK(strcmp(err.field, "output_range") == 0);
        free(t);
    }
    char *t = cfg_with("output_range", "[-1, 2]");
    CHECK_STATUS(ptm_config_parse(t, strlen(t), "config.json", -1, &c, &err), PTM_OK);
    CHECK(c.has_output_range && c.output_range[0] == -1.0f && c.output_range[1] == 2.0f);
    ptm_config_free(&c);
    free(t);
}

/* ---------------------------------------------------------------- diverging runs */

static const char *const g_files[] = {"config.json",
                                      "model.safetensors",
                                      "last/config.json",
                                      "last/model.safetensors",
                                      "last/optimizer.safetensors",
                                      "last/trainer_state.json"};
#define NFILES (sizeof g_files / sizeof g_files[0])

typedef struct {
    unsigned char *b[NFILES];
    size_t n[NFILES];
} snapshot;

static void snap(const char *dir, snapshot *s) {
    char p[700];
    for (size_t i = 0; i < NFILES; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, g_files[i]);
        s->b[i] = NULL;
        s->n[i] = 0;
        if (ptmi_read_file(p, 0, &s->b[i], &s->n[i], NULL) != PTM_OK) s->b[i] = NULL;
    }
}

/* every file of dir byte for byte as in s, no staging folder left, both checkpoints load */
static int unchanged(const char *dir, const snapshot *s) {
    snapshot now;
    snap(dir, &now);
    int same = 1;
    for (size_t i = 0; i < NFILES; i++) {
        if (!s->b[i] || !now.b[i] || s->n[i] != now.n[i] || memcmp(s->b[i], now.b[i], s->n[i])) {
            fprintf(stderr, "%s: %s/%s changed\n", g_prog, dir, g_files[i]);
            same = 0;
        }
        free(now.b[i]);
    }
    char p[700];
    struct stat st;
    snprintf(p, sizeof p, "%s/last.tmp", dir);
    if (stat(p, &st) == 0) same = 0;
    ptm_model *m = NULL;
    ptm_error err;
    if (ptm_model_load(dir, &m, &err) != PTM_OK) same = 0;
    ptm_model_free(m);
    snprintf(p, sizeof p, "%s/last", dir);
    if (ptm_model_load(p, &m, &err) != PTM_OK) same = 0;
    ptm_model_free(m);
    return same;
}

static void snap_free(snapshot *s) {
    for (size_t i = 0; i < NFILES; i++) free(s->b[i]);
}

static void write_sine(const char *name) {
    FILE *f = fopen(tmp_path(name), "w");
    if (!f) exit(1);
    fprintf(f, "date,a,b\n");
    for (int i = 0; i < 240; i++)
        fprintf(f, "2020-01-%02d %02d:00:00,%.5f,%.5f\n", 1 + i / 24, i % 24,
                sin(i * 0.3) + 0.1 * sin(i * 1.7), cos(i * 0.17));
    fclose(f);
}

static void tiny_params(ptm_train_params *p, ptm_config *c) {
    ptm_config_defaults(c);
    c->context_length = 32;
    c->prediction_length = 8;
    c->patch_length = 8;
    c->patch_stride = 8;
    c->d_model = 8;
    c->num_layers = 1;
    *p = ptm_train_default_params();
    p->config = c;
    p->epochs = 3;
    p->batch_size = 8;
    p->patience = 0;
    p->seed = 3;
}

/* the library: a learning rate of 1e30 on resume; a step at the 2^53 limit */
TEST(api_divergence) {
    write_sine("sine.csv");
    char out[600], last[700];
    snprintf(out, sizeof out, "%s/api", g_dir);
    snprintf(last, sizeof last, "%s/last", out);
    ptm_train_params p;
    ptm_config c;
    tiny_params(&p, &c);
    p.stop_after_epochs = 1;
    ptm_train_summary res;
    ptm_error err;
    CHECK_STATUS(ptm_train_csv(tmp_path("sine.csv"), out, &p, &res, &err), PTM_OK);
    snapshot before;
    snap(out, &before);

    /* resumed with a learning rate that throws the weights to 1e30 */
    p.stop_after_epochs = 0;
    p.resume = 1;
    p.lr = 1e30f;
    p.schedule = PTM_LR_CONSTANT;
    memset(&err, 0, sizeof err);
    CHECK_STATUS(ptm_train_csv(tmp_path("sine.csv"), out, &p, &res, &err), PTM_ERR_DIVERGED);
    CHECK(strstr(err.text, "training diverged at epoch 2") != NULL);
    CHECK(strcmp(err.field, "loss") == 0 || strcmp(err.field, "gradient") == 0);
    CHECK(unchanged(out, &before));
    /* without clipping the gradient is not measured: the loss (or the end-of-epoch check) stops it
     */
    p.clip_norm = 0.0f;
    CHECK_STATUS(ptm_train_csv(tmp_path("sine.csv"), out, &p, &res, &err), PTM_ERR_DIVERGED);
    CHECK(unchanged(out, &before));
    /* and the state still resumes normally */
    tiny_params(&p, &c);
    p.resume = 1;
    p.epochs = 2;
    CHECK_STATUS(ptm_train_csv(tmp_path("sine.csv"), out, &p, &res, &err), PTM_OK);
    CHECK_EQ_INT(res.epochs_run, 2);

    /* a step at the limit loads, but training may not go past it */
    {
        ptm_model *m = NULL;
        CHECK_STATUS(ptm_model_load(last, &m, &err), PTM_OK);
        if (m) {
            size_t np = m->arena_floats;
            float *z = calloc(np, sizeof(float));
            int64_t step = (int64_t)1 << 53;
            char path[800];
            snprintf(path, sizeof path, "%s/optimizer.safetensors", last);
            CHECK_STATUS(write_adamw_state(path, z, z, (int64_t)np, step, &err), PTM_OK);
            free(z);
            ptm_model_free(m);
        }
        const char *js = "{\"best_epoch\": 0, \"best_val\": 1, \"bad_epochs\": 0, \"epoch\": 1}";
        char path[800];
        snprintf(path, sizeof path, "%s/trainer_state.json", last);
        CHECK_STATUS(ptm_write_file(path, js, strlen(js), &err), PTM_OK);
        p.epochs = 3;
        CHECK_STATUS(ptm_train_csv(tmp_path("sine.csv"), out, &p, &res, &err), PTM_ERR_LIMIT);
        CHECK(strcmp(err.field, "step") == 0);
    }
    snap_free(&before);
}

/* the CLI: weights of 1e30 planted in last/ (finite, so the model loads) make the resumed
 * run's loss overflow; hostile moments are refused; each time exit code 1, one line on
 * stderr, and nothing changed */
TEST(cli_divergence) {
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char bin[600], out[600], last[700], cmd[4096], errf[600];
    snprintf(bin, sizeof bin, "%s/patchtsmixer", build);
    struct stat st;
    CHECK(stat(bin, &st) == 0);
    write_sine("sine.csv");
    snprintf(out, sizeof out, "%s/cli", g_dir);
    snprintf(last, sizeof last, "%s/last", out);
    snprintf(errf, sizeof errf, "%s/cli.err", g_dir);
    const char *flags = "--context-length 32 --prediction-length 8 --patch-length 8 --d-model 8 "
                        "--num-layers 1 --batch-size 8 --patience 0 --seed 3 --threads 1 --quiet";
    snprintf(cmd, sizeof cmd, "'%s' train --data '%s' --out '%s' --epochs 1 %s 2>'%s'", bin,
             tmp_path("sine.csv"), out, flags, errf);
    int rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);

    ptm_model *m = NULL;
    ptm_error err;
    CHECK_STATUS(ptm_model_load(last, &m, &err), PTM_OK);
    if (!m) return;
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->f32 || !e->trainable) continue;
        for (size_t k = 0; k < e->numel; k++) e->f32[k] = 1e30f;
    }
    CHECK_STATUS(ptm_model_save(m, last, &err), PTM_OK);
    ptm_model_free(m);
    snapshot before;
    snap(out, &before);
    snprintf(cmd, sizeof cmd, "'%s' train --data '%s' --out '%s' --epochs 2 --resume %s 2>'%s'",
             bin, tmp_path("sine.csv"), out, flags, errf);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    unsigned char *msg = NULL;
    size_t n = 0;
    CHECK_STATUS(ptmi_read_file(errf, 0, &msg, &n, NULL), PTM_OK);
    if (msg) {
        CHECK(strstr((char *)msg, "training diverged at epoch 2") != NULL);
        CHECK(memchr(msg, '\n', n) == msg + n - 1); /* one line */
        free(msg);
    }
    CHECK(unchanged(out, &before));
    snap_free(&before);

    /* moments of 3e38 (the case) */
    char path[800];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", last);
    st_file f = {0};
    CHECK_STATUS(st_load(path, &f, &err), PTM_OK);
    const st_tensor *tm = st_find(&f, "adamw.exp_avg"), *ts = st_find(&f, "step");
    if (tm && ts) {
        size_t np = tm->numel;
        float *big = malloc(np * sizeof(float));
        int64_t step;
        memcpy(&step, ts->data, sizeof step);
        for (size_t k = 0; k < np; k++) big[k] = 3e38f;
        CHECK_STATUS(write_adamw_state(path, big, big, (int64_t)np, step, &err), PTM_OK);
        free(big);
    }
    st_free(&f);
    snap(out, &before);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    msg = NULL;
    CHECK_STATUS(ptmi_read_file(errf, 0, &msg, &n, NULL), PTM_OK);
    if (msg) {
        CHECK(strstr((char *)msg, "optimizer.safetensors: adamw.exp_avg") != NULL);
        free(msg);
    }
    CHECK(unchanged(out, &before));
    snap_free(&before);
}

int main(void) {
    hostile_setup("test_resume_bounds");
    mkdir(tmp_path("last"), 0755);
    RUN(hostile_resume_numbers);
    RUN(output_range_order);
    RUN(api_divergence);
    RUN(cli_divergence);
    return hostile_finish();
}
