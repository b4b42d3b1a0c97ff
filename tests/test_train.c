/* test_train.c - training end to end (ptm_train_csv, ptm_eval_file) on small synthetic data:
 * the loss falls and the test error beats a trivial forecast, the checkpoint reloads, the same
 * seed gives bit-identical checkpoints with 1 and 2 threads, an interrupted run resumed from
 * last/ ends bit-identical to an uninterrupted one, fine-tuning from a pretrained backbone
 * (frozen or not), classification on a .ts file with its baseline and evaluation, and HF's
 * sincos table. Runs in a few seconds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/common.h"
#include "io/config.h"
#include "model/model.h"
#include "patchtsmixer.h"
#include "testutil.h"
#include "trainutil.h"
#include "train/trainer.h"

static char tmp[256];

static void path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", tmp, name);
}

static void write_series(const char *file, int rows, int channels) {
    tu_write_series(file, rows, channels, 3, 10.0, "2020-01");
}

/* training parameters with the architecture as a struct */
typedef struct {
    ptm_train_params p;
    ptm_config cfg;
} job_t;

static void tiny_job(job_t *job) {
    ptm_config_defaults(&job->cfg);
    job->cfg.context_length = 32;
    job->cfg.prediction_length = 8;
    job->cfg.patch_length = 8;
    job->cfg.patch_stride = 8;
    job->cfg.d_model = 8;
    job->cfg.num_layers = 2;
    job->cfg.dropout = 0.1f;
    job->cfg.head_dropout = 0.1f;
    job->p = ptm_train_default_params();
    job->p.config = &job->cfg;
    job->p.epochs = 3;
    job->p.batch_size = 16;
    job->p.lr = 5e-3f;
    job->p.patience = 10;
    job->p.seed = 7;
}

TEST(test_forecast_training) {
    char data[512], out[512], out2[512], a[512], b[512];
    path(data, sizeof data, "series.csv");
    path(out, sizeof out, "fc");
    path(out2, sizeof out2, "fc2");
    write_series(data, 600, 3);
    job_t job;
    ptm_train_summary res;
    ptm_error err;
    tiny_job(&job);
    CHECK_STATUS(ptm_train_csv(data, out, &job.p, &res, &err), PTM_OK);
    CHECK_EQ_INT(res.epochs_run, 3);
    CHECK(isfinite(res.best_val));
    /* scaled data has variance ~1: a model that learned the sines does much better */
    CHECK(res.test_mse > 0 && res.test_mse < 0.3);
    CHECK(res.test_mse < res.baseline_mse);
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load(out, &m, &err), PTM_OK);
    if (m) CHECK_EQ_INT(ptm_model_config(m)->num_input_channels, 3);
    ptm_model_free(m);
    /* eval agrees with the trainer's own test metric */
    ptm_eval_result ev;
    CHECK_STATUS(ptm_eval_file(out, data, NULL, "test", 64, &ev, &err), PTM_OK);
    CHECK_NEAR(ev.mse, res.test_mse, 1e-6);
    CHECK(ev.corr > 0.5);
    CHECK_STATUS(ptm_eval_file(out, data, NULL, "nope", 64, &ev, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_eval_file(NULL, data, NULL, NULL, 0, &ev, &err), PTM_ERR_ARG);
    /* same seed, 2 threads instead of 1: bit-identical checkpoints */
    tiny_job(&job);
    job.p.num_threads = 2;
    CHECK_STATUS(ptm_train_csv(data, out2, &job.p, &res, &err), PTM_OK);
    snprintf(a, sizeof a, "%s/model.safetensors", out);
    snprintf(b, sizeof b, "%s/model.safetensors", out2);
    CHECK(tu_same_file(a, b));
    snprintf(a, sizeof a, "%s/config.json", out);
    snprintf(b, sizeof b, "%s/config.json", out2);
    CHECK(tu_same_file(a, b));
    /* bad parameters are errors, with a zeroed summary */
    job.p.batch_size = 0;
    res.steps = 5;
    CHECK_STATUS(ptm_train_csv(data, out2, &job.p, &res, &err), PTM_ERR_ARG);
    CHECK(res.steps == 0);
    CHECK_STATUS(ptm_train_csv(data, NULL, &job.p, &res, &err), PTM_ERR_ARG);
}

TEST(test_resume) {
    char data[512], full[512], part[512], a[512], b[512];
    path(data, sizeof data, "series.csv");
    path(full, sizeof full, "full");
    path(part, sizeof part, "part");
    job_t job;
    ptm_train_summary res;
    ptm_error err;
    tiny_job(&job);
    job.cfg.norm_mlp = PTM_NORM_BATCH; /* running statistics must resume too */
    CHECK_STATUS(ptm_train_csv(data, full, &job.p, &res, &err), PTM_OK);
    job.p.stop_after_epochs = 1;
    CHECK_STATUS(ptm_train_csv(data, part, &job.p, &res, &err), PTM_OK);
    CHECK_EQ_INT(res.epochs_run, 1);
    job.p.stop_after_epochs = 0;
    job.p.resume = 1;
    CHECK_STATUS(ptm_train_csv(data, part, &job.p, &res, &err), PTM_OK);
    CHECK_EQ_INT(res.epochs_run, 3);
    snprintf(a, sizeof a, "%s/last/model.safetensors", full);
    snprintf(b, sizeof b, "%s/last/model.safetensors", part);
    CHECK(tu_same_file(a, b));
    snprintf(a, sizeof a, "%s/last/optimizer.safetensors", full);
    snprintf(b, sizeof b, "%s/last/optimizer.safetensors", part);
    CHECK(tu_same_file(a, b));
    snprintf(a, sizeof a, "%s/last/trainer_state.json", full);
    snprintf(b, sizeof b, "%s/last/trainer_state.json", part);
    CHECK(tu_same_file(a, b));
    snprintf(a, sizeof a, "%s/model.safetensors", full);
    snprintf(b, sizeof b, "%s/model.safetensors", part);
    CHECK(tu_same_file(a, b));
    /* resuming from nothing is a clear error */
    path(part, sizeof part, "nothing_here");
    CHECK_STATUS(ptm_train_csv(data, part, &job.p, &res, &err), PTM_ERR_IO);
}

TEST(test_pretrain_finetune) {
    char data[512], pre[512], ft[512];
    path(data, sizeof data, "series.csv");
    path(pre, sizeof pre, "pre");
    path(ft, sizeof ft, "ft");
    job_t job;
    ptm_train_summary res;
    ptm_error err;
    tiny_job(&job);
    job.p.task = PTM_TRAIN_PRETRAIN;
    job.p.epochs = 2;
    CHECK_STATUS(ptm_train_csv(data, pre, &job.p, &res, &err), PTM_OK);
    CHECK(isfinite(res.test_mse) && res.test_mse > 0);
    ptm_model *pm = NULL, *fm = NULL;
    CHECK_STATUS(ptm_model_load(pre, &pm, &err), PTM_OK);
    if (pm) CHECK_EQ_INT(ptm_model_config(pm)->model_class, PTM_CLASS_PRETRAINING);
    /* the evaluation of a pretrainer is its reconstruction loss */
    ptm_eval_result ev;
    CHECK_STATUS(ptm_eval_file(pre, data, NULL, NULL, 0, &ev, &err), PTM_OK);
    CHECK_NEAR(ev.mse, res.test_mse, 1e-6);
    /* linear probing: the backbone stays as pretrained */
    tiny_job(&job);
    job.p.init_from = pre;
    job.p.freeze_backbone = 1;
    job.p.epochs = 1;
    CHECK_STATUS(ptm_train_csv(data, ft, &job.p, &res, &err), PTM_OK);
    CHECK_STATUS(ptm_model_load(ft, &fm, &err), PTM_OK);
    if (pm && fm) {
        int same = 1, found = 0;
        for (int i = 0; i < fm->n_table; i++) {
            const ptmi_param_entry *e = &fm->table[i];
            if (!e->f32 || strncmp(e->name, "model.", 6) != 0) continue;
            for (int j = 0; j < pm->n_table; j++)
                if (strcmp(pm->table[j].name, e->name) == 0) {
                    found++;
                    same &= memcmp(pm->table[j].f32, e->f32, e->numel * sizeof(float)) == 0;
                }
        }
        CHECK(found > 10);
        CHECK(same);
    }
    ptm_model_free(pm);
    ptm_model_free(fm);
}

/* val_every: validations within the epochs do not change the training (the same epoch-end
 * losses and last/ state as without), the saved model is the best of every validation (its
 * validation MSE is the reported best_val, below the run without here), and each check is
 * logged */
typedef struct {
    double val[8];
    int epochs, mid_checks;
} val_log;

static void on_epoch_val(void *user, int epoch, double train_loss, double val_loss) {
    val_log *v = user;
    (void)train_loss;
    if (epoch >= 1 && epoch <= 8) v->val[epoch - 1] = val_loss;
    v->epochs = epoch;
}

static void on_log_val(void *user, int progress, const char *line) {
    val_log *v = user;
    if (!progress && strstr(line, " step ") && strstr(line, ": val loss ")) v->mid_checks++;
}

TEST(test_val_every) {
    char data[512], plain[512], mid[512], a[512], b[512];
    path(data, sizeof data, "series.csv");
    path(plain, sizeof plain, "val_plain");
    path(mid, sizeof mid, "val_mid");
    job_t job;
    ptm_train_summary r0, r1;
    ptm_error err;
    val_log v0, v1;
    memset(&v0, 0, sizeof v0);
    memset(&v1, 0, sizeof v1);
    tiny_job(&job);
    /* a constant, high rate: the validation loss bounces, and here its minimum falls within
     * the third epoch (0.0138 at step 21 of 24, against 0.0154 at its end; training is
     * bit-identical at every kernel level, so this holds on every machine) */
    job.p.schedule = PTM_LR_CONSTANT;
    job.p.lr = 1e-2f;
    job.p.on_epoch = on_epoch_val;
    job.p.log = on_log_val;
    job.p.user = &v0;
    CHECK_STATUS(ptm_train_csv(data, plain, &job.p, &r0, &err), PTM_OK);
    job.p.user = &v1;
    job.p.val_every = 3;
    CHECK_STATUS(ptm_train_csv(data, mid, &job.p, &r1, &err), PTM_OK);
    CHECK_EQ_INT(v0.mid_checks, 0);
    CHECK_EQ_INT(v1.epochs, 3);
    /* steps 3, 6, ... of each epoch, the epoch's last step excluded */
    int64_t spe = r1.steps / 3, per = (spe - 1) / 3;
    CHECK(spe > 3);
    CHECK_EQ_INT(v1.mid_checks, (int)(3 * per));
    for (int e = 0; e < 3; e++) CHECK(v0.val[e] == v1.val[e]);
    snprintf(a, sizeof a, "%s/last/model.safetensors", plain);
    snprintf(b, sizeof b, "%s/last/model.safetensors", mid);
    CHECK(tu_same_file(a, b));
    CHECK(r1.best_val < r0.best_val); /* a mid-epoch check found the best model */
    ptm_eval_result ev;
    CHECK_STATUS(ptm_eval_file(mid, data, NULL, "val", 64, &ev, &err), PTM_OK);
    CHECK_NEAR(ev.mse, r1.best_val, 1e-6);
    CHECK_STATUS(ptm_eval_file(plain, data, NULL, "val", 64, &ev, &err), PTM_OK);
    CHECK_NEAR(ev.mse, r0.best_val, 1e-6);
    job.p.val_every = -1;
    CHECK_STATUS(ptm_train_csv(data, mid, &job.p, &r1, &err), PTM_ERR_ARG);
    CHECK(strstr(err.text, "val_every -1 must be >= 0") != NULL);
}

TEST(test_classification) {
    char out[512];
    path(out, sizeof out, "cls");
    ptm_train_params p = ptm_train_default_params();
    ptm_train_summary res;
    ptm_error err;
    p.task = PTM_TRAIN_CLASSIFY;
    p.config_json = "{\"context_length\": 4, \"patch_length\": 2, \"patch_stride\": 2, "
                    "\"d_model\": 4, \"num_layers\": 1}";
    p.test_path = "tests/data/tiny_uea.ts";
    p.epochs = 3;
    p.batch_size = 2;
    CHECK_STATUS(ptm_train_csv("tests/data/tiny_uea.ts", out, &p, &res, &err), PTM_OK);
    CHECK(res.test_accuracy >= 0.0 && res.test_accuracy <= 1.0);
    CHECK(res.baseline_accuracy > 0.0 && res.baseline_accuracy <= 1.0);
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load(out, &m, &err), PTM_OK);
    if (m) CHECK_EQ_INT(ptm_model_config(m)->num_targets, 3);
    ptm_model_free(m);
    ptm_eval_result ev;
    CHECK_STATUS(ptm_eval_file(out, "tests/data/tiny_uea.ts", NULL, NULL, 0, &ev, &err), PTM_OK);
    CHECK_EQ_INT(ev.classifier, 1);
    CHECK(ev.cases > 0);
    CHECK_NEAR(ev.accuracy, res.test_accuracy, 1e-12);
}

TEST(test_sincos_table) {
    ptm_model *m = NULL;
    ptm_error err;
    CHECK_STATUS(ptm_model_load("tests/golden/fc_common_selfattn4_pe_sincos", &m, &err), PTM_OK);
    if (!m) return;
    const float *stored = m->p.position_enc;
    int n = m->cfg.num_patches, d = m->cfg.d_model;
    float *mine = malloc(sizeof(float) * (size_t)n * d);
    ptmi_sincos_table(mine, n, d);
    double worst = 0;
    for (int i = 0; i < n * d; i++) worst = fmax(worst, fabs((double)mine[i] - (double)stored[i]));
    CHECK(worst < 1e-6);
    free(mine);
    ptm_model_free(m);
}

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/ptm_test_train_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    RUN(test_sincos_table);
    RUN(test_forecast_training);
    RUN(test_resume);
    RUN(test_val_every);
    RUN(test_pretrain_finetune);
    RUN(test_classification);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return test_summary("test_train");
}
