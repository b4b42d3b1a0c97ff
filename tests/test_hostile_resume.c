/* test_hostile_resume.c - the --resume state and the resource limits: a last/ folder whose
 * trainer_state.json or optimizer.safetensors is broken, missing, non-finite or of another
 * architecture, and configs whose models or contexts would need gigabytes (refused with
 * PTM_ERR_LIMIT quickly and, in a child process with a 1 GiB address-space limit, before any
 * large allocation), plus the CSV and .ts size limits. Each case asserts the exact ptm_status;
 * `make asan` runs this program under LeakSanitizer.
 *
 *     build/test_hostile_resume     prints "test_hostile_resume: N passed, M failed"
 *
 * The base checkpoint is in hostile.h; PTM_UNDER_VALGRIND=1 skips the RLIMIT_AS child.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile.h"
#include "io/csv.h"
#include "io/safetensors.h"
#include "io/ts.h"
#include "model/model.h"
#include "testutil.h"
#include "train/trainer.h"

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
        ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err) != PTM_OK) {
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

static char g_last[512];

/* Write a valid last/ folder for g_model (optimizer moments all 0.5, step 8). */
static void write_last(void) {
    ptm_error err;
    snprintf(g_last, sizeof g_last, "%s/last", g_dir);
    if (ptm_model_save(g_model, g_last, &err) != PTM_OK) {
        fprintf(stderr, "%s: cannot save: %s\n", g_prog, err.text);
        exit(1);
    }
    size_t np = g_model->arena_floats;
    float *mom = malloc(np * sizeof(float));
    for (size_t i = 0; i < np; i++) mom[i] = 0.5f;
    int64_t step = 8;
    if (write_adamw_state(tmp_path("last/optimizer.safetensors"), mom, mom, (int64_t)np, step,
                          &err) != PTM_OK)
        exit(1);
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
    if (write_adamw_state(tmp_path("last/optimizer.safetensors"), mom, vv, numel, step, &err) !=
        PTM_OK)
        exit(1);
    free(mom);
    free(vv);
}

static ptm_status resume(ptm_error *errp) {
    size_t np = g_model->arena_floats;
    ptm_model *m = NULL;
    ptm_error err;
    if (ptmi_model_build(&g_model->cfg, PTMI_STORE_TRAIN, &m, &err) != PTM_OK) return PTM_ERR_NOMEM;
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
        CHECK_STATUS(ptmi_model_build(&c, PTMI_STORE_TRAIN, &m8, &err), PTM_OK);
        CHECK_STATUS(ptm_model_save(m8, g_last, &err), PTM_OK);
        ptm_model_free(m8);
        ptm_config_free(&c);
    }
    CHECK_STATUS(resume(&err), PTM_ERR_INPUT);
    free(other);
}

int main(void) {
    hostile_setup("test_hostile_resume");
    RUN(resource_limits);
    RUN(resume_state_hostile);
    return hostile_finish();
}
