/* test_ttm_train.c - training TinyTimeMixer models end to end (ptm_train_csv) on small
 * synthetic data: a tiny TTM architecture from random initialisation (its loss falls, the
 * checkpoint's config.json stays TTM's and reloads, the reloaded model forecasts), fine-tuning
 * that checkpoint in full and head-only (--freeze-backbone: the "backbone." tensors stay as
 * they were, the decoder and the head move), few-shot (a fraction of the windows, the same for
 * the same seed), a fine-tune on data with other channels for a channel-independent model (and
 * the refusals), a forecast channel mixer with exogenous channels and a filtered horizon
 * (trained and evaluated), and an interrupted run resumed bit-identical to an uninterrupted
 * one. Runs in a second or two. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/common.h"
#include "model/model.h"
#include "patchtsmixer.h"
#include "testutil.h"
#include "trainutil.h"

static char tmp[256];

static void path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", tmp, name);
}

static void write_series(const char *file, int rows, int channels) {
    tu_write_series(file, rows, channels, 7, 5.0, "2021-03");
}

static const char tiny_json[] =
    "{\"model_type\": \"tinytimemixer\", \"architectures\": [\"TinyTimeMixerForPrediction\"], "
    "\"context_length\": 32, \"patch_length\": 8, \"patch_stride\": 8, \"d_model\": 16, "
    "\"decoder_d_model\": 8, \"num_layers\": 1, \"decoder_num_layers\": 1, "
    "\"adaptive_patching_levels\": 2, \"prediction_length\": 8, \"dropout\": 0.1, "
    "\"head_dropout\": 0.1}";

static ptm_train_params tiny_params(void) {
    ptm_train_params p = ptm_train_default_params();
    p.epochs = 3;
    p.batch_size = 16;
    p.lr = 5e-3f;
    return p;
}

/* the first n values of tensor name of the model in dir into out; 0 when missing */
static int read_tensor(const char *dir, const char *name, float *out, size_t n) {
    ptm_model *m = NULL;
    if (ptmi_model_load(dir, NULL, PTMI_STORE_TRAIN, &m, NULL) != PTM_OK) return 0;
    int ok = 0;
    for (int i = 0; i < m->n_table && !ok; i++) {
        const ptmi_param_entry *e = &m->table[i];
        if (strcmp(e->name, name) != 0 || !e->f32 || e->numel < n) continue;
        memcpy(out, e->f32, n * sizeof(float));
        ok = 1;
    }
    ptm_model_free(m);
    return ok;
}

static double loss_of_epoch1;

static void on_epoch(void *user, int epoch, double train_loss, double val_loss) {
    (void)user, (void)val_loss;
    if (epoch == 1) loss_of_epoch1 = train_loss;
}

TEST(scratch_then_finetune) {
    char data[512], data5[512], base[512], full[512], head[512], few[512], few2[512], wide[512];
    path(data, sizeof data, "s.csv");
    path(data5, sizeof data5, "s5.csv");
    path(base, sizeof base, "base");
    path(full, sizeof full, "full");
    path(head, sizeof head, "head");
    path(few, sizeof few, "few");
    path(few2, sizeof few2, "few2");
    path(wide, sizeof wide, "wide");
    ptm_train_summary res;
    ptm_error err;
    /* from random initialisation: the loss falls */
    ptm_train_params p = tiny_params();
    p.config_json = tiny_json;
    p.on_epoch = on_epoch;
    CHECK_STATUS(ptm_train_csv(data, base, &p, &res, &err), PTM_OK);
    CHECK(res.epochs_run == 3 && res.best_val < loss_of_epoch1);
    /* the checkpoint is TTM's and reloads; the reloaded model forecasts */
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load(base, &m, &err), PTM_OK);
    if (m) {
        CHECK(strcmp(ptm_config_class_name(ptm_model_config(m)), "TinyTimeMixerForPrediction") ==
              0);
        ptm_ctx *ctx = NULL;
        CHECK_STATUS(ptm_ctx_create(m, NULL, &ctx, &err), PTM_OK);
        float past[32 * 3];
        for (int i = 0; i < 32 * 3; i++) past[i] = (float)sin(0.3 * i);
        ptm_inputs in;
        memset(&in, 0, sizeof in);
        in.batch = 1;
        in.past_values = past;
        ptm_tensor_view v;
        CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
        CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &v, &err), PTM_OK);
        CHECK(v.ndim == 3 && v.shape[1] == 8 && v.shape[2] == 3 && isfinite(v.data[0]));
        ptm_ctx_free(ctx);
        ptm_model_free(m);
    }
    size_t n = 0;
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/config.json", base);
    unsigned char *txt = tu_slurp(cfg, &n);
    CHECK(txt && strstr((const char *)txt, "\"model_type\": \"tinytimemixer\"") != NULL);
    free(txt);
    snprintf(cfg, sizeof cfg, "%s/README.md", base); /* the model card names the class */
    txt = tu_slurp(cfg, &n);
    CHECK(txt && strstr((const char *)txt, "# TinyTimeMixerForPrediction\n") != NULL &&
          strstr((const char *)txt, "\n- tinytimemixer\n") != NULL);
    free(txt);

    /* fine-tuning the whole model, and the head only (backbone frozen) */
    ptm_train_params f = tiny_params();
    f.init_from = base;
    f.epochs = 1;
    CHECK_STATUS(ptm_train_csv(data, full, &f, &res, &err), PTM_OK);
    f.freeze_backbone = 1;
    CHECK_STATUS(ptm_train_csv(data, head, &f, &res, &err), PTM_OK);
    float a[16], b[16], c[16];
    const char *patcher = "backbone.encoder.patcher.weight",
               *hw = "head.base_forecast_block.weight";
    CHECK(read_tensor(base, patcher, a, 16) && read_tensor(full, patcher, b, 16) &&
          read_tensor(head, patcher, c, 16));
    CHECK(memcmp(a, b, sizeof a) != 0 && memcmp(a, c, sizeof a) == 0);
    CHECK(read_tensor(base, hw, a, 16) && read_tensor(head, hw, c, 16));
    CHECK(memcmp(a, c, sizeof a) != 0);

    /* few-shot: 10 % of the windows, the same ones for the same seed */
    f.freeze_backbone = 0;
    f.few_shot = 0.1f;
    CHECK_STATUS(ptm_train_csv(data, few, &f, &res, &err), PTM_OK);
    CHECK_STATUS(ptm_train_csv(data, few2, &f, &res, &err), PTM_OK);
    char x[600], y[600];
    snprintf(x, sizeof x, "%s/model.safetensors", few);
    snprintf(y, sizeof y, "%s/model.safetensors", few2);
    CHECK(tu_same_file(x, y));
    snprintf(y, sizeof y, "%s/model.safetensors", full);
    CHECK(!tu_same_file(x, y));
    f.few_shot = 1.5f;
    CHECK_STATUS(ptm_train_csv(data, few2, &f, &res, &err), PTM_ERR_ARG);
    CHECK(strstr(err.text, "few_shot 1.5") != NULL);
    f.few_shot = 0.0f;

    /* a channel-independent TTM fine-tunes on data with other channels; one whose decoder
     * mixes the channels is refused, naming the first tensor that does not fit */
    CHECK_STATUS(ptm_train_csv(data5, wide, &f, &res, &err), PTM_OK);
    static const char mixdec[] =
        "{\"model_type\": \"tinytimemixer\", \"context_length\": 32, \"patch_length\": 8, "
        "\"d_model\": 8, \"num_layers\": 1, \"decoder_num_layers\": 1, \"prediction_length\": "
        "8, \"decoder_mode\": \"mix_channel\"}";
    p.config_json = mixdec;
    p.epochs = 1;
    path(base, sizeof base, "mixdec");
    CHECK_STATUS(ptm_train_csv(data, base, &p, &res, &err), PTM_OK);
    f.init_from = base;
    path(wide, sizeof wide, "mixdec_wide");
    CHECK_STATUS(ptm_train_csv(data5, wide, &f, &res, &err), PTM_ERR_INPUT);
    CHECK(strstr(err.field, "channel_feature_mixer") != NULL &&
          strstr(err.text, "channels differ") != NULL);
    /* a frequency prefix model gets the token of the data's time step (hourly: 7, as
     * granite-tsfm's mapping), and trains; a vocabulary without that token is named */
    static const char prefix[] =
        "{\"model_type\": \"tinytimemixer\", \"context_length\": 32, \"patch_length\": 8, "
        "\"d_model\": 8, \"num_layers\": 1, \"prediction_length\": 8, "
        "\"resolution_prefix_tuning\": true, \"frequency_token_vocab_size\": 10}";
    p.config_json = prefix;
    path(base, sizeof base, "prefix");
    CHECK_STATUS(ptm_train_csv(data, base, &p, &res, &err), PTM_OK);
    CHECK(isfinite(res.test_mse) && res.test_mse > 0);
    ptm_model *pm = NULL; /* the saved prefix model reloads (num_patches counts the prefix) */
    CHECK_STATUS(ptm_model_load(base, &pm, &err), PTM_OK);
    CHECK(pm && ptm_model_config(pm)->num_patches == 4 + 1);
    ptm_model_free(pm);
    static const char prefix5[] =
        "{\"model_type\": \"tinytimemixer\", \"context_length\": 32, \"patch_length\": 8, "
        "\"d_model\": 8, \"num_layers\": 1, \"prediction_length\": 8, "
        "\"resolution_prefix_tuning\": true, \"frequency_token_vocab_size\": 5}";
    p.config_json = prefix5;
    path(base, sizeof base, "prefix5");
    CHECK_STATUS(ptm_train_csv(data, base, &p, &res, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "freq_token") == 0 && strstr(err.text, "token 7 out of range"));
}

/* a forecast channel mixer with exogenous channels and a filtered horizon trains (the known
 * future of the exogenous channels comes from the windows) and evaluates over its Hf steps */
TEST(exogenous_filtered) {
    char data[512], dir[512];
    path(data, sizeof data, "s.csv");
    path(dir, sizeof dir, "fcm");
    static const char fcm[] =
        "{\"model_type\": \"tinytimemixer\", \"context_length\": 32, \"patch_length\": 8, "
        "\"d_model\": 8, \"num_layers\": 1, \"decoder_num_layers\": 1, \"prediction_length\": "
        "8, \"prediction_filter_length\": 5, \"num_input_channels\": 3, "
        "\"exogenous_channel_indices\": [1], "
        "\"enable_forecast_channel_mixing\": true, \"fcm_context_length\": 1, "
        "\"fcm_use_mixer\": true, \"fcm_mix_layers\": 1}";
    ptm_train_summary res;
    ptm_error err;
    ptm_train_params p = tiny_params();
    p.config_json = fcm;
    p.epochs = 2;
    CHECK_STATUS(ptm_train_csv(data, dir, &p, &res, &err), PTM_OK);
    CHECK(isfinite(res.test_mse) && res.test_mse > 0.0);
    ptm_eval_result ev;
    CHECK_STATUS(ptm_eval_file(dir, data, NULL, "test", 0, &ev, &err), PTM_OK);
    CHECK(fabs(ev.mse - res.test_mse) <= 1e-6 * res.test_mse && isfinite(ev.mse_raw));
}

TEST(resume) {
    char data[512], whole[512], part[512], a[600], b[600];
    path(data, sizeof data, "s.csv");
    path(whole, sizeof whole, "whole");
    path(part, sizeof part, "part");
    ptm_train_summary res;
    ptm_error err;
    ptm_train_params p = tiny_params();
    p.config_json = tiny_json;
    CHECK_STATUS(ptm_train_csv(data, whole, &p, &res, &err), PTM_OK);
    p.stop_after_epochs = 1;
    CHECK_STATUS(ptm_train_csv(data, part, &p, &res, &err), PTM_OK);
    p.stop_after_epochs = 0;
    p.resume = 1;
    CHECK_STATUS(ptm_train_csv(data, part, &p, &res, &err), PTM_OK);
    CHECK_EQ_INT(res.epochs_run, 3);
    const char *files[] = {"last/model.safetensors", "last/optimizer.safetensors",
                           "model.safetensors"};
    for (int i = 0; i < 3; i++) {
        snprintf(a, sizeof a, "%s/%s", whole, files[i]);
        snprintf(b, sizeof b, "%s/%s", part, files[i]);
        CHECK(tu_same_file(a, b));
    }
}

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/ptm_test_ttm_train_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    char cmd[512], data[512];
    path(data, sizeof data, "s.csv");
    write_series(data, 600, 3);
    path(data, sizeof data, "s5.csv");
    write_series(data, 600, 5);
    RUN(scratch_then_finetune);
    RUN(exogenous_filtered);
    RUN(resume);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return test_summary("test_ttm_train");
}
