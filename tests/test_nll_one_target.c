/* test_nll_one_target.c - PatchTSMixerForRegression with loss "nll" and num_targets 1, as
 * Hugging Face computes it: the domain maps squeeze each projection to [B], the distribution's
 * log_prob broadcasts against target_values [B, 1] to [B, B] and the loss is the mean of those
 * B^2 terms (src/heads/linear.c). The head's loss and its gradient with respect to the raw
 * projections are compared with PyTorch's (dev/hf_nll_one_target.py, a faithful copy of HF's
 * distribution code run with Debian's python3-torch 1.13; values committed here). Then a whole
 * model: config, save and load (once refused), regression_outputs.j and distribution_mean of
 * shape [B, 1], the loss recomputed from its outputs, samples [B, S, 1]. Gradients through
 * the model: test_fdiff_models ("... one target"). Training on that loss is refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "layers/layers.h"
#include "model/model.h"
#include "train/trainer.h"

#define B 3

typedef struct {
    const char *name;
    ptm_dist dist;
    int nproj;
    float raw[3][B];
    double grad[3][B];
    float target[B];
    double loss;
} torch_case;

/* printed by dev/hf_nll_one_target.py (torch 1.13.0a0) */
static const torch_case CASES[] = {
    {"student_t",
     PTM_DIST_STUDENT_T,
     3,
     {{0.3f, -1.2f, 2.0f}, {0.5f, -0.7f, 1.9f}, {-0.4f, 0.8f, -2.5f}},
     {{-0.00704275444, -0.00452615181, 0.0813864768},
      {0.000479700044, -0.178896755, 1.00281727},
      {0.0770438462, 0.0395488515, -0.308667183}},
     {1.1f, -0.3f, 0.6f},
     2.30575705},
    {"normal",
     PTM_DIST_NORMAL,
     2,
     {{0.2f, -0.9f, 1.4f}, {0.7f, -1.5f, 0.05f}},
     {{0.0335575566, -1.19999993, 0.443909407}, {0.0997693986, -0.664888859, -0.252854377}},
     {0.9f, -1.1f, 0.2f},
     2.28896999},
    {"negative_binomial",
     PTM_DIST_NEGATIVE_BINOMIAL,
     2,
     {{0.4f, 1.8f, -0.6f}, {0.3f, -0.8f, 1.2f}},
     {{-0.0476224311, -0.0908659771, -0.0113744438}, {-0.0974200815, -0.304606915, 0.010565713}},
     {2.0f, 0.0f, 5.0f},
     2.18743968},
};

/* the head's loss and gradients against PyTorch's */
TEST(test_head_against_torch) {
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        const torch_case *tc = &CASES[c];
        float p[3][B], raw[3][B], d[3][B], mean[B];
        float *pp[3] = {p[0], p[1], p[2]}, *rp[3] = {raw[0], raw[1], raw[2]},
              *dp[3] = {d[0], d[1], d[2]};
        memcpy(p, tc->raw, sizeof p);
        memcpy(raw, tc->raw, sizeof raw);
        dist_head_forward(pp, mean, tc->dist, B, 1, 1, NULL, NULL);
        double loss = -nll_log_prob_cross_sum((const float *const *)pp, tc->dist, B, tc->target) /
                      (double)(B * B);
        CHECK_NEAR(loss, tc->loss, 2e-6 * tc->loss);
        nll_loss_backward_cross(dp, (const float *const *)pp, (const float *const *)rp, tc->dist, B,
                                tc->target, -1.0 / (double)(B * B));
        for (int k = 0; k < tc->nproj; k++)
            for (int j = 0; j < B; j++) CHECK_NEAR(d[k][j], tc->grad[k][j], 1e-6);
        if (tu_fail) fprintf(stderr, "  case %s\n", tc->name);
    }
    /* with one sample the broadcast is the plain NLL of that sample */
    float p0 = 0.3f, p1 = 0.5f, y = 0.7f;
    float *one[2] = {&p0, &p1};
    CHECK_NEAR(
        nll_log_prob_cross_sum((const float *const *)one, PTM_DIST_NORMAL, 1, &y),
        nll_log_prob_sum((const float *const *)one, PTM_DIST_NORMAL, 1, 1, 1, &y, NULL, NULL), 0.0);
}

/* a small regressor with one target and a distribution head, saved to dir */
static ptm_status make_model(ptm_dist dist, const char *dir, ptm_error *err) {
    char json[512];
    static const char *names[] = {"student_t", "normal", "negative_binomial"};
    snprintf(json, sizeof json,
             "{\"context_length\": 16, \"patch_length\": 4, \"patch_stride\": 4, "
             "\"num_input_channels\": 2, \"d_model\": 4, \"num_layers\": 1, \"num_targets\": 1, "
             "\"loss\": \"nll\", \"distribution_output\": \"%s\", \"head_aggregation\": "
             "\"avg_pool\", \"architectures\": [\"PatchTSMixerForRegression\"]}",
             names[dist]);
    ptm_config c;
    ptm_model *m = NULL;
    ptm_status s =
        ptm_config_parse(json, strlen(json), "one_target", PTM_CLASS_REGRESSION, &c, err);
    if (s == PTM_OK) s = ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, err);
    if (s == PTM_OK) {
        ptmi_model_init_weights(m, 7);
        s = ptm_model_save(m, dir, err);
    }
    ptm_model_free(m);
    ptm_config_free(&c);
    return s;
}

/* a saved one-target model loads and runs: outputs [B, 1], the [B, B] loss, samples [B, S, 1] */
TEST(test_model_one_target) {
    char tmpl[] = "/tmp/ptm_one_target_XXXXXX";
    const char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    if (!dir) return;
    for (int dist = 0; dist < 3; dist++) {
        ptm_error err;
        memset(&err, 0, sizeof err);
        ptm_model *m = NULL;
        ptm_ctx *ctx = NULL;
        CHECK_STATUS(make_model((ptm_dist)dist, dir, &err), PTM_OK);
        CHECK_STATUS(ptm_model_load(dir, &m, &err), PTM_OK);
        if (!m) continue;
        ptm_ctx_params cp = ptm_ctx_default_params();
        cp.max_batch = B;
        CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx, &err), PTM_OK);
        float past[B * 16 * 2], target[B] = {1.0f, 0.0f, 3.0f}, samples[B * 5];
        for (int i = 0; i < B * 16 * 2; i++) past[i] = (float)sin(0.37 * i) * 2.0f + 1.0f;
        ptm_inputs in;
        memset(&in, 0, sizeof in);
        in.batch = B;
        in.past_values = past;
        in.target_values = target;
        CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
        ptm_tensor_view v[3], mean, loss;
        int np = dist == PTM_DIST_STUDENT_T ? 3 : 2;
        for (int k = 0; k < np; k++) {
            char name[40];
            snprintf(name, sizeof name, "regression_outputs.%d", k);
            CHECK_STATUS(ptm_ctx_output(ctx, name, &v[k], &err), PTM_OK);
            CHECK(v[k].ndim == 2 && v[k].shape[0] == B && v[k].shape[1] == 1);
        }
        CHECK_STATUS(ptm_ctx_output(ctx, "distribution_mean", &mean, &err), PTM_OK);
        CHECK(mean.ndim == 2 && mean.shape[0] == B && mean.shape[1] == 1);
        CHECK_STATUS(ptm_ctx_output(ctx, "loss", &loss, &err), PTM_OK);
        const float *p[3] = {v[0].data, v[1].data, np == 3 ? v[2].data : NULL};
        double want = -nll_log_prob_cross_sum(p, (ptm_dist)dist, B, target); /* the head's sum */
        CHECK_NEAR(loss.data[0], want / (B * B), 1e-6 * (1.0 + fabs(want))); /* mean of B^2 */
        CHECK_STATUS(ptm_ctx_sample(ctx, 5, 11, samples, B * 5, &err), PTM_OK);
        for (int i = 0; i < B * 5; i++) CHECK(isfinite(samples[i]));
        ptm_ctx_free(ctx);
        ptm_model_free(m);
    }
    char path[256];
    const char *files[] = {"config.json", "model.safetensors"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        remove(path);
    }
    rmdir(dir);
}

/* training on that loss is refused (it ignores the inputs), naming why */
TEST(test_training_refused) {
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_train_params p = ptm_train_default_params();
    p.task = PTM_TRAIN_REGRESS;
    p.config_json = "{\"context_length\": 16, \"patch_length\": 4, \"loss\": \"nll\", "
                    "\"distribution_output\": \"normal\"}";
    p.epochs = 1;
    CHECK_STATUS(
        ptm_train_csv("tests/data/tiny_tser.ts", "/tmp/ptm_one_target_never", &p, NULL, &err),
        PTM_ERR_UNSUPPORTED);
    CHECK(strcmp(err.field, "loss") == 0);
    CHECK(strncmp(err.text,
                  "training a regressor with loss \"nll\" and one target is refused: its loss, "
                  "as Hugging Face computes it",
                  90) == 0);
    CHECK(access("/tmp/ptm_one_target_never", F_OK) != 0);
}

int main(void) {
    RUN(test_head_against_torch);
    RUN(test_model_one_target);
    RUN(test_training_refused);
    return test_summary("test_nll_one_target");
}
