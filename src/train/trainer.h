/* trainer.h - the pieces of the training loop behind ptm_train_csv and ptm_eval_file
 * (patchtsmixer.h), shared by the files of src/train/:
 *
 *   task.c        task setup: the architecture from ptm_train_params (struct, config.json or
 *                 defaults) and an init_from checkpoint, the data (CSV split, scaler and
 *                 windows, or .ts cases with a validation share), regression target
 *                 standardisation, batch buffers, the one shuffle, the log
 *   trainer.c     the loop: a step (forward, backward, clip, AdamW), an epoch (one shuffled
 *                 pass), validation, early stopping, the test of the best model
 *   eval.c        evaluation passes over windows or cases, and ptm_eval_file
 *   baselines.c   trivial predictors on the test data (majority class, training mean, last value)
 *   checkpoint.c  out_dir/ (best) and out_dir/last/ (resume: + optimizer.safetensors,
 *                 trainer_state.json), written atomically
 *   init.c        initial weights of a new model
 *
 * Checkpoints in Hugging Face format:
 *   out_dir/config.json + model.safetensors        the best model so far (by validation loss)
 *   out_dir/last/ (+ optimizer.safetensors, trainer_state.json)  where resume continues
 * Same seed, data and thread count give bit-identical checkpoints.
 */
#ifndef PTMI_TRAINER_H
#define PTMI_TRAINER_H

#include "model/model.h"
#include "train/adamw.h"
#include "io/ts.h"

#define PTMI_MAX_STATIC 64 /* static categorical variables (config_ttm.c's limit) */

/* ------------------------------------------------------------------ task setup (task.c) */

/* The windows of one part of the data (train, val or test), where batches come from: one row
 * segment of a wide CSV (w from ptm_windows_init, first_row NULL), or windows of many series
 * (long format, long_data.c): w.count counts them all, first_row[k] is window k's first row in
 * the concatenated rows. Either way w.order is the order batches take them in (shuffled by
 * ptm_windows_shuffle, the few-shot subset written into it). */
typedef struct {
    ptm_windows w;
    size_t *first_row; /* [w.count] long format, else NULL */
} train_windows;

/* ptm_windows_batch for either kind: the windows at positions [start, start + n) of order */
size_t train_windows_batch(const train_windows *tw, size_t start, size_t n, float *past,
                           float *past_observed, float *future, float *future_observed);
void train_windows_free(train_windows *tw);

/* The data of a run. CSV series (forecast / pretrain) are scaled in place; .ts cases
 * (classify / regress) are split by `order`: the first n_train_cases train, the next
 * n_val_cases validate. A long-format file (is_long) keeps its whole table in tab (rows
 * grouped by series) and the rows of the series used, concatenated, in vals / obs. */
typedef struct {
    ptm_csv tab;
    float *vals, *obs; /* [nrows, C] selected columns */
    int *cols;         /* selected column indices into tab */
    int C;
    size_t nrows;
    ptm_split split; /* wide CSV: the rows of each segment (long format: zeroed) */
    ptm_std_scaler sc;
    train_windows train, val, test;
    int is_long;              /* long format (the fields below) */
    char *id_col;             /* the id column's name */
    int target_col;           /* the target column (index into tab) */
    size_t nseries, nskipped; /* series used, skipped */
    int64_t step;             /* the time step of every series used, 0 when they differ */
    int time_integer;         /* the time column holds integers */
    ptmi_ts_dataset ts_train, ts_test;
    size_t *order;                     /* ts: shuffled case order */
    size_t n_train_cases, n_val_cases; /* ts: split of the training file into train / val */
    const char *static_columns; /* set before loading: TinyTimeMixer's static categorical code
                                   columns, never channels (left out when all are taken) */
} train_data;

/* Everything a run knows before the model exists. */
typedef struct {
    ptm_train_task task;
    ptm_config cfg; /* finished: channels (and classes) from the data */
    ptm_model *pre; /* the init_from checkpoint, or NULL */
    train_data d;
    double tmean, tstd; /* regression targets learnt standardised (tstd 0 = raw) */
    int64_t freq_token; /* TinyTimeMixer with a frequency prefix: the data's token, else -1 */
    int64_t codes[PTMI_MAX_STATIC]; /* its static categorical codes (train_static_count) */
} train_task;

/* log callback of p with a printf line (nothing when p->log is NULL) */
void train_log(const ptm_train_params *p, int progress, const char *fmt, ...) PTMI_PRINTF(3, 4);
/* Fisher-Yates over idx[0..n) with a ptmi_rng seeded by seed */
void train_shuffle(size_t *idx, size_t n, uint64_t seed);
/* the architecture of p (p->config, else config_path, else config_json, else the defaults)
 * with the model class of p->task; *cfg owns its lists (ptm_config_free) */
PTM_MUST_USE ptm_status train_config_resolve(const ptm_train_params *p, ptm_config *cfg,
                                             ptm_error *err);
/* Task setup over a resolved cfg (taken over by t): the init_from backbone, the data, the
 * finished config, target standardisation. t is zeroed first; train_task_free after failure. */
PTM_MUST_USE ptm_status train_task_setup(train_task *t, ptm_config *cfg, const char *data_path,
                                         const ptm_train_params *p, ptm_error *err);
/* CSV tasks: write dir/preprocessor_config.json (columns by name and role, the training
 * split's scaler, the timestamps, the command); other tasks write nothing */
PTM_MUST_USE ptm_status train_task_save_preprocessor(const train_task *t, const char *dir,
                                                     const char *data_path,
                                                     const ptm_train_params *p, ptm_error *err);
/* dir/README.md: the model card of a finished run (card.c) */
PTM_MUST_USE ptm_status train_write_model_card(const train_task *t, const char *dir,
                                               const char *data_path, const ptm_train_params *p,
                                               const ptm_train_summary *r, int64_t num_params,
                                               ptm_error *err);
void train_task_free(train_task *t);
/* every tensor of `from` into m by name (a TinyTimeMixer fine-tune starts from the whole
 * checkpoint dir); a tensor of another size is refused (err); returns the number copied, -1 on
 * a refusal */
int train_copy_all(ptm_model *m, const ptm_model *from, const char *dir, ptm_error *err);
/* few-shot: p->few_shot of the *n_train training windows (at least one), drawn once from
 * p->seed, in the order of the data, into *few (malloc'ed); *n_train becomes their number */
PTM_MUST_USE ptm_status train_pick_few(const ptm_train_params *p, size_t **few, size_t *n_train,
                                       ptm_error *err);
/* a CSV of columns ("a,b", NULL = all): the standard split for context L and horizon H, a
 * scaler fitted on the training rows, windows of each segment. With a preprocessor (pp present,
 * else NULL): its columns by name (columns, when given, must list the same) and its scaler
 * (none: the values as they are) instead of a new fit. */
PTM_MUST_USE ptm_status train_data_load_series(train_data *d, const char *path, const char *columns,
                                               const ptm_preprocessor *pp, int L, int H,
                                               ptm_error *err);
void train_data_free(train_data *d);
/* a long-format file (p->long_format names its columns; long_data.c): each series checked
 * (too short, a repeated time, uneven steps, a column without values: skipped, reported
 * through p->on_skipped and the log; none left is PTM_ERR_INPUT naming the first reason),
 * split by itself (the last H rows test, the H before validate, the rest trains), one scaler
 * fitted on the training rows of every series used, windows of each part */
/* PTM_OK unless path's header has the id and time columns of a long-format file (pp's names
 * for a model trained on long data, else unique_id and ds): then code, saying what to do
 * instead */
PTM_MUST_USE ptm_status train_refuse_long(const char *path, const ptm_preprocessor *pp,
                                          ptm_status code, const char *instead, ptm_error *err);
PTM_MUST_USE ptm_status train_data_load_long(train_data *d, const char *path,
                                             const ptm_train_params *p, int L, int H,
                                             ptm_error *err);

/* input buffers of one batch */
typedef struct {
    float *past, *pobs, *fut, *tgt;
    int64_t *labels;
    int64_t *tok; /* [cap] the frequency token of every sample, or NULL (no prefix) */
    int64_t *cat; /* [cap, n_cat] the static categorical codes of every sample, or NULL */
    int cap;
} train_batch;

/* the buffers for cap samples; tok (freq_token >= 0) filled with freq_token */
PTM_MUST_USE ptm_status train_batch_alloc(train_batch *b, int cap, const ptm_config *c,
                                          int64_t freq_token, ptm_error *err);
void train_batch_free(train_batch *b);
/* b->cat: codes [n] for every sample (n 0: none) */
PTM_MUST_USE ptm_status train_batch_codes(train_batch *b, const int64_t *codes, int n,
                                          ptm_error *err);
/* static categorical variables the model reads (TinyTimeMixer's decoder), 0 if none */
int train_static_count(const ptm_config *c);
/* their codes [train_static_count] from the columns cols of every data row of d (eval.c);
 * PTM_ERR_INPUT when the model has some and cols is NULL, PTM_ERR_ARG when it has none and
 * cols is set */
PTM_MUST_USE ptm_status train_static_codes(const ptm_config *c, const train_data *d,
                                           const char *file, const char *cols, int64_t *codes,
                                           ptm_error *err);
/* .ts cases idx[0..n) into the batch; regression targets are standardised with tmean / tstd
 * (tstd 0 = raw targets) */
void train_batch_cases(train_batch *b, const ptmi_ts_dataset *ts, const size_t *idx, size_t n,
                       ptm_train_task task, double tmean, double tstd);

/* ------------------------------------------------------------------ evaluation (eval.c) */

/* sums of an evaluation pass */
typedef struct {
    double loss_sum, se, ae, n_el, n_samples, correct;
    double sx, sy, sxx, syy, sxy; /* correlation sums */
} train_metrics;

/* every window of w (eval mode, batches of b->cap) into *a (zeroed first) */
PTM_MUST_USE ptm_status train_eval_windows(ptm_ctx *ectx, const ptm_config *c,
                                           const train_windows *w, train_batch *b,
                                           ptm_train_task task, train_metrics *a, ptm_error *err);
/* the cases idx[0..count) of ts into *a (zeroed first); targets as train_batch_cases */
PTM_MUST_USE ptm_status train_eval_cases(ptm_ctx *ectx, const ptm_config *c,
                                         const ptmi_ts_dataset *ts, const size_t *idx, size_t count,
                                         train_batch *b, ptm_train_task task, double tmean,
                                         double tstd, train_metrics *a, ptm_error *err);

/* ------------------------------------------------------------------ baselines (baselines.c) */

/* baseline_* of s on the test data of t (b: a batch buffer for the forecast windows) */
void train_baselines(const train_task *t, train_batch *b, ptm_train_summary *s);

/* ------------------------------------------------------------------ checkpoints (checkpoint.c) */

/* where training stands after an epoch (trainer_state.json) */
typedef struct {
    int epoch; /* 0-based, the last one completed */
    int64_t step;
    double best_val; /* inf while no epoch had a finite validation loss */
    int best_epoch;  /* 0-based, -1 = none yet */
    int bad_epochs;  /* epochs since the last improvement */
} train_state;

/* The resume folder dir (out_dir/last): model, AdamW moments am and av (F32 [m->arena_floats]
 * each), counters; swapped in atomically so that dir or dir.old always holds a whole state. */
PTM_MUST_USE ptm_status train_checkpoint_save(const char *dir, const ptm_model *m, const float *am,
                                              const float *av, const train_state *st,
                                              ptm_error *err);
/* The best model into dir with y = t * sd + mean folded into the head's last linear layer when
 * sd > 0 (regression targets learnt standardised); m is restored bit for bit afterwards.
 * *backup: scratch for the head, allocated on first use (the caller frees it). */
PTM_MUST_USE ptm_status train_checkpoint_save_best(ptm_model *m, const char *dir, double mean,
                                                   double sd, float **backup, ptm_error *err);
/* Bounds of a resume state: what training can produce (docs/security.md, "resume state").
 * PTMI_TRAIN_MAX_STEP: the optimiser step counter stays <= 2^53, so that step + 1 never
 * overflows and the schedule's and bias corrections' conversions to double are exact; the
 * trainer refuses to step beyond it (PTM_ERR_LIMIT) and the loader refuses a larger step.
 * PTMI_TRAIN_MAX_EXP_AVG_SQ: a second moment is a weighted mean of squared gradients; 1e30 is
 * a gradient RMS of 1e15, far beyond any run whose loss is finite (losses are computed on
 * standardised data) and well inside float range, so the next steps cannot overflow. */
#define PTMI_TRAIN_MAX_STEP ((int64_t)1 << 53)
#define PTMI_TRAIN_MAX_EXP_AVG_SQ 1e30

/* Whether AdamW moments am, av (n each) are a state training can produce: finite,
 * 0 <= av <= PTMI_TRAIN_MAX_EXP_AVG_SQ and |am| <= 8 sqrt(av) + 1e-8 (the invariant of Adam
 * moments started at zero, see checkpoint.c). PTM_OK, or code with a message naming file,
 * the tensor and the first element out of bounds. */
PTM_MUST_USE ptm_status train_moments_check(const float *am, const float *av, size_t n,
                                            ptm_status code, const char *file, ptm_error *err);

/* The resume state of dir (a `last/` folder, or dir.old after a crash between the two renames
 * of a save): the model (config.json + model.safetensors, which must have m's architecture) is
 * copied into m, the AdamW moments (optimizer.safetensors, F32 [m->arena_floats] each) into am
 * and av, the counters from trainer_state.json. optimizer.safetensors holds exactly
 * adamw.exp_avg, adamw.exp_avg_sq and step; every number is checked against what training
 * can produce (train_moments_check, 0 <= step <= PTMI_TRAIN_MAX_STEP, epoch < step, the epoch
 * counters of each other). Hostile files give PTM_ERR_FORMAT / TENSOR / INPUT / IO; m, am and
 * av may be partly overwritten then. */
PTM_MUST_USE ptm_status ptmi_train_load_state(const char *dir, ptm_model *m, float *am, float *av,
                                              int *epoch, int64_t *step, double *best_val,
                                              int *best_epoch, int *bad_epochs, ptm_error *err);

/* ------------------------------------------------------------------ init.c */

void ptmi_model_init_weights(ptm_model *m, uint64_t seed);
void ptmi_sincos_table(float *pe, int n, int d);

#endif
