/* trainer.h - training and evaluation jobs: data -> windows -> AdamW steps -> checkpoints.
 *
 * A job names the task, the data, the model (a config, or a pretrained checkpoint to start
 * from) and the optimisation; ptm_train_run does the whole loop: per epoch a shuffled pass
 * over the training windows (forward, backward, gradient clipping, AdamW with a schedule),
 * validation, early stopping, and atomic checkpoints in Hugging Face format:
 *   out_dir/config.json + model.safetensors        the best model so far (by validation loss)
 *   out_dir/last/ (+ optimizer.safetensors, trainer_state.json)  where --resume continues
 * Same seed, data and thread count give bit-identical checkpoints.
 */
#ifndef PTM_TRAINER_H
#define PTM_TRAINER_H

#include "model.h"
#include "train/adamw.h"

typedef enum {
    PTM_TASK_FORECAST = 0,
    PTM_TASK_CLASSIFY = 1,
    PTM_TASK_REGRESS = 2,
    PTM_TASK_PRETRAIN = 3
} ptm_task;

typedef struct {
    ptm_task task;
    ptm_config cfg;        /* architecture; model_class is set from the task */
    const char *init_from; /* checkpoint to start from (backbone copied), or NULL */
    int freeze_backbone;   /* train the head only (linear probing) */
    /* data */
    const char *data_path; /* forecasting/pretraining CSV, or the .ts training file */
    const char *test_path; /* .ts test file (classification/regression) */
    const char *columns;   /* comma-separated CSV columns to use (NULL = all numeric) */
    /* optimisation */
    int epochs;
    int batch_size;
    float lr;
    float weight_decay;
    float clip_norm; /* 0 = no clipping */
    ptm_sched_kind schedule;
    float warmup_frac;     /* cosine: warm-up share of all steps */
    int patience;          /* early stopping after this many epochs without improvement */
    int64_t max_steps;     /* stop after this many steps in total (0 = no limit) */
    int stop_after_epochs; /* stop (as if interrupted) after this many epochs; the schedule
                              still spans `epochs` (0 = run to the end) */
    uint64_t seed;
    int threads; /* threads per context (results do not depend on it) */
    const char *out_dir;
    int resume; /* continue from out_dir/last */
    /* reporting: lines for a log; progress = 1 for a transient progress update */
    void (*log)(void *user, int progress, const char *line);
    void *user;
    /* optional: after each epoch's checkpoints, its 1-based number and mean losses */
    void (*on_epoch)(void *user, int epoch, double train_loss, double val_loss);
} ptm_train_job;

typedef struct {
    int epochs_run, best_epoch;
    int64_t steps;
    double best_val;                   /* validation loss of the saved model */
    double test_mse, test_mae;         /* forecasting, scaled space; regression in units */
    double test_accuracy;              /* classification */
    double baseline_accuracy;          /* classification: majority class of the training set */
    double baseline_mse, baseline_mae; /* regression: the training mean as the prediction;
                                          forecasting: the last observed value repeated */
    double seconds, samples_per_sec;   /* wall time and training throughput */
} ptm_train_result;

void ptm_train_job_defaults(ptm_train_job *job);
/* The --resume state of dir (a `last/` folder): the model (config.json + model.safetensors,
 * which must have m's architecture) is copied into m, the AdamW moments (optimizer.safetensors,
 * F32 [m->arena_floats] each) into am and av, the counters from trainer_state.json. Hostile
 * files give PTM_ERR_FORMAT / TENSOR / INPUT / IO; m, am and av may be partly overwritten then. */
PTM_MUST_USE ptm_status ptm_train_load_state(const char *dir, ptm_model *m, float *am, float *av,
                                             int *epoch, int64_t *step, double *best_val,
                                             int *best_epoch, int *bad_epochs, ptm_error *err);
PTM_MUST_USE ptm_status ptm_train_run(const ptm_train_job *job, ptm_train_result *res,
                                      ptm_error *err);

/* Metrics of a forecaster on the test split of a CSV (standard protocol, StandardScaler fitted
 * on the training rows): MSE/MAE in the scaled space and in original units, correlation. */
typedef struct {
    double mse, mae;         /* scaled space (the literature's protocol) */
    double mse_raw, mae_raw; /* original units */
    double corr;             /* Pearson correlation of forecast and truth (scaled) */
    size_t windows;
    /* classification / regression */
    int classifier; /* 1: accuracy is meaningful; 0 with cases > 0: a regressor */
    double accuracy, rmse, reg_mae;
    size_t cases;
} ptm_eval_result;
PTM_MUST_USE ptm_status ptm_eval_run(const char *model_dir, const char *data_path,
                                     const char *columns, const char *split, int batch,
                                     ptm_eval_result *res, ptm_error *err);

/* init.c */
void ptm_model_init_weights(ptm_model *m, uint64_t seed);
void ptm_sincos_table(float *pe, int n, int d);

#endif
