/* trainer.c - the training loop and evaluation (see trainer.h).
 *
 * Forecasting / pretraining: a CSV, the standard split (data.c), a StandardScaler fitted on the
 * training rows, sliding windows. Classification / regression: .ts files. Each step:
 *   forward (train mode) -> backward -> [freeze] -> clip -> lr = schedule(step) -> AdamW
 *   -> ptm_model_sync
 * and each epoch ends with a validation pass (eval mode) and the checkpoints.
 */
#include "train/trainer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/config.h"
#include "io/csv.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "io/save.h"
#include "kernels/kernels.h"
#include "io/ts.h"

void ptm_train_job_defaults(ptm_train_job *job) {
    memset(job, 0, sizeof *job);
    ptm_config_defaults(&job->cfg);
    job->task = PTM_TASK_FORECAST;
    job->epochs = 10;
    job->batch_size = 64;
    job->lr = 1e-3f;
    job->weight_decay = 0.0f;
    job->clip_norm = 1.0f;
    job->schedule = PTM_SCHED_ONECYCLE;
    job->warmup_frac = 0.1f;
    job->patience = 5;
    job->seed = 42;
    job->threads = 1;
}

static double now_sec(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void logf_(const ptm_train_job *job, int progress, const char *fmt, ...) PTM_PRINTF(3, 4);
static void logf_(const ptm_train_job *job, int progress, const char *fmt, ...) {
    if (!job->log) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    job->log(job->user, progress, line);
}

/* ------------------------------------------------------------------ data */

typedef struct {
    /* CSV series (forecast / pretrain), scaled in place */
    ptm_csv tab;
    float *vals, *obs; /* [nrows, C] selected columns */
    int *cols;         /* selected column indices into tab */
    int C;
    size_t nrows;
    ptm_split split;
    ptm_std_scaler sc;
    ptm_windows train, val, test;
    /* .ts sets (classify / regress) */
    ptm_ts_dataset ts_train, ts_test;
    size_t *order;                     /* ts: shuffled case order */
    size_t n_train_cases, n_val_cases; /* ts: split of the training file into train / val */
} dataset;

static void dataset_free(dataset *d) {
    ptm_csv_free(&d->tab);
    free(d->vals);
    free(d->obs);
    free(d->cols);
    ptm_scaler_free(&d->sc);
    ptm_windows_free(&d->train);
    ptm_windows_free(&d->val);
    ptm_windows_free(&d->test);
    ptm_ts_free(&d->ts_train);
    ptm_ts_free(&d->ts_test);
    free(d->order);
    memset(d, 0, sizeof *d);
}

/* Column selection "a,b,c" -> indices; NULL = all. */
static ptm_status select_columns(dataset *d, const char *path, const char *columns,
                                 ptm_error *err) {
    int n = 0;
    d->cols = malloc(sizeof(int) * (d->tab.ncols + 1));
    if (!d->cols) return ptm_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    ptm_status s = ptm_csv_select_columns(&d->tab, columns, path, d->cols, &n, err);
    if (s != PTM_OK) return s;
    if (n < 1) return ptm_err(err, PTM_ERR_INPUT, path, "columns", "no value columns selected");
    d->C = n;
    return PTM_OK;
}

static ptm_status load_series(dataset *d, const char *path, const char *columns, int L, int H,
                              ptm_error *err) {
    ptm_status s = ptm_csv_load(path, 0, &d->tab, err);
    if (s != PTM_OK) return s;
    if ((s = select_columns(d, path, columns, err)) != PTM_OK) return s;
    d->nrows = d->tab.nrows;
    size_t cells = 0;
    if (ptm_mul_size(d->nrows, (size_t)d->C, &cells) != 0)
        return ptm_err(err, PTM_ERR_LIMIT, path, NULL, "too many cells");
    d->vals = malloc(sizeof(float) * (cells ? cells : 1));
    d->obs = malloc(sizeof(float) * (cells ? cells : 1));
    if (!d->vals || !d->obs) return ptm_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    for (size_t r = 0; r < d->nrows; r++)
        for (int j = 0; j < d->C; j++) {
            d->vals[r * d->C + j] = d->tab.values[r * d->tab.ncols + (size_t)d->cols[j]];
            d->obs[r * d->C + j] = d->tab.observed[r * d->tab.ncols + (size_t)d->cols[j]];
        }
    s = ptm_split_make(ptm_split_kind_from_name(path), d->nrows, L, H, &d->split, err);
    if (s != PTM_OK) {
        snprintf(err->file, sizeof err->file, "%s", path);
        return s;
    }
    s = ptm_scaler_fit(&d->sc, d->vals, d->obs, d->nrows, d->C, d->split.train_begin,
                       d->split.train_end, err);
    if (s != PTM_OK) return s;
    ptm_scaler_transform(&d->sc, d->vals, d->obs, d->nrows);
    if ((s = ptm_windows_init(&d->train, d->vals, d->obs, d->nrows, d->C, L, H,
                              d->split.train_begin, d->split.train_end, err)) != PTM_OK ||
        (s = ptm_windows_init(&d->val, d->vals, d->obs, d->nrows, d->C, L, H, d->split.val_begin,
                              d->split.val_end, err)) != PTM_OK ||
        (s = ptm_windows_init(&d->test, d->vals, d->obs, d->nrows, d->C, L, H, d->split.test_begin,
                              d->split.test_end, err)) != PTM_OK)
        return s;
    return PTM_OK;
}

/* ------------------------------------------------------------------ batches */

typedef struct {
    float *past, *pobs, *fut, *tgt;
    int64_t *labels;
    int cap;
} batch_buf;

static ptm_status batch_alloc(batch_buf *b, int cap, const ptm_config *c, ptm_error *err) {
    size_t L = (size_t)c->context_length, C = (size_t)c->num_input_channels,
           H = (size_t)c->prediction_length, T = (size_t)c->num_targets;
    b->cap = cap;
    b->past = malloc(sizeof(float) * (size_t)cap * L * C);
    b->pobs = malloc(sizeof(float) * (size_t)cap * L * C);
    b->fut = malloc(sizeof(float) * (size_t)cap * (H > 1 ? H : 1) * C);
    b->tgt = malloc(sizeof(float) * (size_t)cap * T);
    b->labels = malloc(sizeof(int64_t) * (size_t)cap);
    if (!b->past || !b->pobs || !b->fut || !b->tgt || !b->labels)
        return ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory for a batch of %d", cap);
    return PTM_OK;
}

static void batch_free(batch_buf *b) {
    free(b->past);
    free(b->pobs);
    free(b->fut);
    free(b->tgt);
    free(b->labels);
}

/* ts cases idx[0..n) into the batch; regression targets are standardised with tmean/tstd
 * (tstd 0 = raw targets) */
static void ts_fill(batch_buf *b, const ptm_ts_dataset *ts, const size_t *idx, size_t n, int task,
                    double tmean, double tstd) {
    size_t per = (size_t)ts->length * (size_t)ts->nchannels;
    for (size_t i = 0; i < n; i++) {
        memcpy(b->past + i * per, ts->values + idx[i] * per, per * sizeof(float));
        memcpy(b->pobs + i * per, ts->observed + idx[i] * per, per * sizeof(float));
        if (task == PTM_TASK_CLASSIFY)
            b->labels[i] = ts->labels[idx[i]];
        else
            b->tgt[i] = tstd > 0 ? (float)(((double)ts->targets[idx[i]] - tmean) / tstd)
                                 : ts->targets[idx[i]];
    }
}

/* ------------------------------------------------------------------ model setup */

static int is_backbone_field_equal(const ptm_config *a, const ptm_config *b) {
    return a->context_length == b->context_length && a->patch_length == b->patch_length &&
           a->patch_stride == b->patch_stride && a->num_input_channels == b->num_input_channels &&
           a->d_model == b->d_model && a->expansion_factor == b->expansion_factor &&
           a->num_layers == b->num_layers && a->mode == b->mode && a->gated_attn == b->gated_attn &&
           a->norm_mlp == b->norm_mlp && a->self_attn == b->self_attn &&
           a->self_attn_heads == b->self_attn_heads &&
           a->use_positional_encoding == b->use_positional_encoding &&
           a->positional_encoding_type == b->positional_encoding_type && a->scaling == b->scaling;
}

/* copy the backbone tensors of `from` into m (names with or without the "model." prefix) */
static int copy_backbone(ptm_model *m, const ptm_model *from) {
    int copied = 0;
    for (int i = 0; i < m->n_table; i++) {
        ptm_param_entry *e = &m->table[i];
        if (strncmp(e->name, "model.", 6) != 0) continue;
        for (int j = 0; j < from->n_table; j++) {
            const ptm_param_entry *f = &from->table[j];
            const char *fn = strncmp(f->name, "model.", 6) == 0 ? f->name + 6 : f->name;
            if (strcmp(fn, e->name + 6) != 0 || f->numel != e->numel) continue;
            if (e->f32 && f->f32) memcpy(e->f32, f->f32, e->numel * sizeof(float));
            if (e->i64 && f->i64) *e->i64 = *f->i64;
            copied++;
            break;
        }
    }
    ptm_model_sync(m);
    return copied;
}

/* per-parameter masks over the model arena: trainable (gets updates) and weight decay (HF
 * Trainer convention: no decay on biases and normalisation weights) */
static void make_masks(const ptm_model *m, int freeze_backbone, unsigned char *train_mask,
                       unsigned char *decay_mask) {
    memset(train_mask, 0, m->arena_floats);
    memset(decay_mask, 0, m->arena_floats);
    for (int i = 0; i < m->n_table; i++) {
        const ptm_param_entry *e = &m->table[i];
        if (!e->f32 || !e->trainable) continue;
        if (freeze_backbone && strncmp(e->name, "model.", 6) == 0) continue;
        size_t off = (size_t)(e->f32 - m->arena);
        memset(train_mask + off, 1, e->numel);
        int decay = e->ndim >= 2 && strstr(e->name, "norm") == NULL;
        if (decay) memset(decay_mask + off, 1, e->numel);
    }
}

/* ------------------------------------------------------------------ evaluation passes */

typedef struct {
    double loss_sum, se, ae, n_el, n_samples, correct;
    double sx, sy, sxx, syy, sxy; /* correlation sums */
} acc_t;

/* one eval-mode forward on a filled batch; accumulates loss (weighted by batch size) and, for
 * forecasts, errors of the point forecast vs the targets */
static ptm_status eval_batch(ptm_ctx *ectx, const ptm_config *c, batch_buf *b, int n, int task,
                             acc_t *a, ptm_error *err) {
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = n;
    in.past_values = b->past;
    in.observed_mask = b->pobs;
    if (task == PTM_TASK_FORECAST) in.future_values = b->fut;
    if (task == PTM_TASK_CLASSIFY) in.target_labels = b->labels;
    if (task == PTM_TASK_REGRESS) in.target_values = b->tgt;
    in.mask_seed = 1234;
    ptm_status s = ptm_forward(ectx, &in, err);
    if (s != PTM_OK) return s;
    ptm_tensor_view v;
    if (ptm_ctx_output(ectx, "loss", &v, NULL) == PTM_OK) a->loss_sum += (double)v.data[0] * n;
    a->n_samples += n;
    int nll = c->loss == PTM_LOSS_NLL;
    if (task == PTM_TASK_FORECAST) {
        if (ptm_ctx_output(ectx, nll ? "distribution_mean" : "prediction_outputs", &v, err) !=
            PTM_OK)
            return err->code;
        int H = c->prediction_length, C = c->num_input_channels, Cs = c->num_prediction_channels;
        for (int i = 0; i < n; i++)
            for (int t = 0; t < H; t++)
                for (int j = 0; j < Cs; j++) {
                    int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
                    double y = (double)v.data[((size_t)i * H + t) * Cs + j];
                    double x = (double)b->fut[((size_t)i * H + t) * C + ch];
                    double e = y - x;
                    a->se += e * e;
                    a->ae += fabs(e);
                    a->n_el += 1;
                    a->sx += y;
                    a->sy += x;
                    a->sxx += y * y;
                    a->syy += x * x;
                    a->sxy += x * y;
                }
    } else if (task == PTM_TASK_CLASSIFY) {
        if (ptm_ctx_output(ectx, "prediction_outputs", &v, err) != PTM_OK) return err->code;
        int T = c->num_targets;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int t = 1; t < T; t++)
                if (v.data[(size_t)i * T + t] > v.data[(size_t)i * T + best]) best = t;
            a->correct += best == b->labels[i];
        }
    } else if (task == PTM_TASK_REGRESS) {
        if (ptm_ctx_output(ectx, nll ? "distribution_mean" : "regression_outputs", &v, err) !=
            PTM_OK)
            return err->code;
        int T = c->num_targets;
        for (int i = 0; i < n * T; i++) {
            double e = (double)v.data[i] - (double)b->tgt[i];
            a->se += e * e;
            a->ae += fabs(e);
            a->n_el += 1;
        }
    }
    return PTM_OK;
}

/* whole segment of windows in eval mode */
static ptm_status eval_windows(ptm_ctx *ectx, const ptm_config *c, const ptm_windows *w,
                               batch_buf *b, int task, acc_t *a, ptm_error *err) {
    memset(a, 0, sizeof *a);
    for (size_t start = 0; start < w->count; start += (size_t)b->cap) {
        size_t n = ptm_windows_batch(w, start, (size_t)b->cap, b->past, b->pobs, b->fut, NULL);
        ptm_status s = eval_batch(ectx, c, b, (int)n, task, a, err);
        if (s != PTM_OK) return s;
    }
    return PTM_OK;
}

static ptm_status eval_cases(ptm_ctx *ectx, const ptm_config *c, const ptm_ts_dataset *ts,
                             const size_t *idx, size_t count, batch_buf *b, int task, double tmean,
                             double tstd, acc_t *a, ptm_error *err) {
    memset(a, 0, sizeof *a);
    for (size_t start = 0; start < count; start += (size_t)b->cap) {
        size_t n = count - start < (size_t)b->cap ? count - start : (size_t)b->cap;
        ts_fill(b, ts, idx + start, n, task, tmean, tstd);
        ptm_status s = eval_batch(ectx, c, b, (int)n, task, a, err);
        if (s != PTM_OK) return s;
    }
    return PTM_OK;
}

/* ------------------------------------------------------------------ optimizer state */

static ptm_status write_state_files(const char *dir, const ptm_model *m, const float *am,
                                    const float *av, int epoch, int64_t step, double best_val,
                                    int best_epoch, int bad_epochs, ptm_error *err) {
    ptm_status s = ptm_model_save(m, dir, err);
    if (s != PTM_OK) return s;
    char path[4096];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    st_write_entry e[3];
    memset(e, 0, sizeof e);
    e[0].name = "adamw.exp_avg";
    e[0].dtype = ST_F32;
    e[0].ndim = 1;
    e[0].shape[0] = (int64_t)m->arena_floats;
    e[0].data = am;
    e[1] = e[0];
    e[1].name = "adamw.exp_avg_sq";
    e[1].data = av;
    e[2].name = "step";
    e[2].dtype = ST_I64;
    e[2].ndim = 0;
    e[2].data = &step;
    if ((s = st_write(path, e, 3, err)) != PTM_OK) return s;
    char json[512], bv[32] = "null"; /* JSON has no inf or nan */
    if (isfinite(best_val)) snprintf(bv, sizeof bv, "%.17g", best_val);
    int len = snprintf(json, sizeof json,
                       "{\n  \"best_epoch\": %d,\n  \"best_val\": %s,\n  \"bad_epochs\": %d,\n"
                       "  \"epoch\": %d,\n  \"step\": %lld\n}\n",
                       best_epoch, bv, bad_epochs, epoch, (long long)step);
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    return ptm_write_file_atomic(path, json, (size_t)len, err);
}

/* Remove a staging folder of save_state (DIR.tmp or DIR.old): the regular files in it (the
 * state files and temporary files of an interrupted write) and the folder; a missing folder is
 * fine. 0, or -1 with errno set. */
static int remove_state_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    char path[4200];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) unlink(path);
    }
    closedir(d);
    return rmdir(dir) != 0 && errno != ENOENT ? -1 : 0;
}

static int dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The resume state is four files, and a crash between two of them would leave weights of one
 * epoch with the optimiser of another. So they are written into DIR.tmp and swapped in by
 * renames: DIR -> DIR.old, DIR.tmp -> DIR, then DIR.old is removed. At every moment DIR or,
 * when DIR is missing, DIR.old holds one complete state (ptm_train_load_state falls back to
 * DIR.old). */
static ptm_status save_state(const char *dir, const ptm_model *m, const float *am, const float *av,
                             int epoch, int64_t step, double best_val, int best_epoch,
                             int bad_epochs, ptm_error *err) {
    char tmp[4200], old[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", dir);
    snprintf(old, sizeof old, "%s.old", dir);
    /* a crash between the two renames of an earlier save: DIR.old is the complete state */
    if (!dir_exists(dir) && dir_exists(old) && rename(old, dir) != 0)
        return ptm_err(err, PTM_ERR_IO, dir, NULL, "cannot restore %s: %s", old, strerror(errno));
    if (remove_state_dir(tmp) != 0 || remove_state_dir(old) != 0)
        return ptm_err(err, PTM_ERR_IO, dir, NULL, "cannot remove an old %s or %s: %s", tmp, old,
                       strerror(errno));
    ptm_status s =
        write_state_files(tmp, m, am, av, epoch, step, best_val, best_epoch, bad_epochs, err);
    if (s != PTM_OK) {
        remove_state_dir(tmp);
        return s;
    }
    if (dir_exists(dir) && rename(dir, old) != 0)
        return ptm_err(err, PTM_ERR_IO, dir, NULL, "cannot rename it to %s: %s", old,
                       strerror(errno));
    if (rename(tmp, dir) != 0) {
        int e = errno;
        (void)rename(old, dir); /* if this fails too, the loader finds DIR.old */
        return ptm_err(err, PTM_ERR_IO, dir, NULL, "cannot rename %s to it: %s", tmp, strerror(e));
    }
    /* make the renames durable before the old state goes */
    char parent[4200];
    snprintf(parent, sizeof parent, "%s/..", dir);
    int fd = open(parent, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    remove_state_dir(old);
    return PTM_OK;
}

ptm_status ptm_train_load_state(const char *dir, ptm_model *m, float *am, float *av, int *epoch,
                                int64_t *step, double *best_val, int *best_epoch, int *bad_epochs,
                                ptm_error *err) {
    /* a crash between the two renames of save_state leaves only DIR.old: use it */
    char old_dir[4200];
    snprintf(old_dir, sizeof old_dir, "%s.old", dir);
    if (!dir_exists(dir) && dir_exists(old_dir)) dir = old_dir;
    ptm_model *last = NULL;
    ptm_status s = ptm_model_load(dir, &last, err);
    if (s != PTM_OK) return s;
    if (last->arena_floats != m->arena_floats || last->n_table != m->n_table) {
        ptm_model_free(last);
        return ptm_err(err, PTM_ERR_INPUT, dir, NULL,
                       "the checkpoint to resume has another architecture than this job");
    }
    memcpy(m->arena, last->arena, m->arena_floats * sizeof(float));
    memcpy(m->iarena, last->iarena, m->iarena_count * sizeof(int64_t));
    ptm_model_free(last);
    ptm_model_sync(m);
    char path[4096];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    st_file st = {0};
    if ((s = st_load(path, &st, err)) != PTM_OK) return s;
    const st_tensor *tm = st_find(&st, "adamw.exp_avg"), *tv = st_find(&st, "adamw.exp_avg_sq"),
                    *ts = st_find(&st, "step");
    if (!tm || !tv || !ts || tm->numel != m->arena_floats || tv->numel != m->arena_floats ||
        ts->dtype != ST_I64 || ts->numel != 1 || tm->dtype != ST_F32 || tv->dtype != ST_F32) {
        st_free(&st);
        return ptm_err(err, PTM_ERR_TENSOR, path, NULL,
                       "expected adamw.exp_avg and adamw.exp_avg_sq (F32 [%zu]) and step (I64)",
                       m->arena_floats);
    }
    memcpy(am, tm->data, m->arena_floats * sizeof(float));
    memcpy(av, tv->data, m->arena_floats * sizeof(float));
    memcpy(step, ts->data, sizeof(int64_t));
    st_free(&st);
    /* hostile or corrupt state must not reach AdamW: moments finite, second moments >= 0 */
    for (size_t i = 0; i < m->arena_floats; i++) {
        if (!isfinite(am[i]) || !isfinite(av[i]) || av[i] < 0.0f)
            return ptm_err(err, PTM_ERR_TENSOR, path,
                           isfinite(am[i]) ? "adamw.exp_avg_sq" : "adamw.exp_avg",
                           "value %zu is %g; expected finite moments (exp_avg_sq >= 0)", i,
                           (double)(isfinite(am[i]) ? av[i] : am[i]));
    }
    if (*step < 0)
        return ptm_err(err, PTM_ERR_TENSOR, path, "step", "step %lld, expected >= 0",
                       (long long)*step);
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    unsigned char *buf = NULL;
    size_t n = 0;
    if ((s = ptm_read_file(path, 1 << 20, &buf, &n, err)) != PTM_OK) return s;
    json_value *root = NULL;
    s = json_parse((const char *)buf, n, path, &root, err);
    free(buf);
    if (s != PTM_OK) return s;
    const json_value *ve = json_get(root, "epoch"), *vb = json_get(root, "best_val"),
                     *vbe = json_get(root, "best_epoch"), *vbad = json_get(root, "bad_epochs");
    /* integers in range (a cast of an out-of-range double is undefined behaviour);
     * best_val is null when no epoch has had a finite validation loss */
    if (!ve || !vb || !vbe || !vbad || ve->type != JSON_NUMBER || !ve->is_integer ||
        (vb->type != JSON_NUMBER && vb->type != JSON_NULL) || vbe->type != JSON_NUMBER ||
        !vbe->is_integer || vbad->type != JSON_NUMBER || !vbad->is_integer ||
        !(ve->number >= 0 && ve->number < INT_MAX) || !(vbe->number >= -1) ||
        !(vbe->number <= ve->number) || !(vbad->number >= 0 && vbad->number <= ve->number + 1)) {
        json_free(root);
        return ptm_err(err, PTM_ERR_FORMAT, path, NULL,
                       "expected integers 0 <= epoch, -1 <= best_epoch <= epoch, 0 <= "
                       "bad_epochs <= epoch + 1 and a number (or null) best_val");
    }
    *epoch = (int)ve->number;
    *best_val = vb->type == JSON_NULL ? (double)INFINITY : vb->number;
    *best_epoch = (int)vbe->number;
    *bad_epochs = (int)vbad->number;
    json_free(root);
    return PTM_OK;
}

/* save m with y = t * std + mean folded into head.projection (regression targets learnt
 * standardised); the model itself is restored bit for bit afterwards */
static ptm_status save_folded(ptm_model *m, const char *dir, double mean, double sd, float **backup,
                              ptm_error *err) {
    if (!(sd > 0.0)) return ptm_model_save(m, dir, err);
    ptm_linear *h = &m->p.head;
    size_t nw = (size_t)h->out * (size_t)h->in, nb = (size_t)h->out;
    if (!*backup) *backup = malloc(sizeof(float) * (nw + nb));
    if (!*backup) return ptm_err(err, PTM_ERR_NOMEM, dir, NULL, "out of memory");
    memcpy(*backup, h->w, nw * sizeof(float));
    memcpy(*backup + nw, h->b, nb * sizeof(float));
    for (size_t i = 0; i < nw; i++) h->w[i] = (float)((double)h->w[i] * sd);
    for (size_t i = 0; i < nb; i++) h->b[i] = (float)((double)h->b[i] * sd + mean);
    ptm_status s = ptm_model_save(m, dir, err);
    memcpy(h->w, *backup, nw * sizeof(float));
    memcpy(h->b, *backup + nw, nb * sizeof(float));
    return s;
}

/* ------------------------------------------------------------------ the loop */

static const char *task_name(int t) {
    static const char *names[] = {"forecast", "classify", "regress", "pretrain"};
    return names[t];
}

ptm_status ptm_train_run(const ptm_train_job *job, ptm_train_result *res, ptm_error *err) {
    memset(res, 0, sizeof *res);
    ptm_status s = PTM_OK;
    dataset d;
    memset(&d, 0, sizeof d);
    ptm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    ptm_model *m = NULL, *pre = NULL;
    ptm_ctx *tctx = NULL, *ectx = NULL;
    float *am = NULL, *av = NULL;
    unsigned char *tmask = NULL, *dmask = NULL;
    batch_buf tb, eb;
    memset(&tb, 0, sizeof tb);
    memset(&eb, 0, sizeof eb);
    int task = job->task;
    double tmean = 0.0, tstd = 0.0; /* regression target standardisation (0 = off) */
    float *fold_backup = NULL;
    if (!job->data_path || !job->out_dir)
        return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "a training job needs data and out_dir");
    if (job->batch_size < 1 || job->epochs < 1)
        return ptm_err(err, PTM_ERR_ARG, NULL, "batch_size", "batch size and epochs must be >= 1");

    if ((s = ptm_config_copy(&cfg, &job->cfg, err)) != PTM_OK) return s;
    static const ptm_class cls[] = {PTM_CLASS_PREDICTION, PTM_CLASS_CLASSIFICATION,
                                    PTM_CLASS_REGRESSION, PTM_CLASS_PRETRAINING};
    cfg.model_class = cls[task];
    if (job->init_from) {
        if ((s = ptm_model_load(job->init_from, &pre, err)) != PTM_OK) goto done;
        /* the backbone's architecture comes from the checkpoint */
        const ptm_config *pc = &pre->cfg;
        cfg.context_length = pc->context_length;
        cfg.patch_length = pc->patch_length;
        cfg.patch_stride = pc->patch_stride;
        cfg.num_input_channels = pc->num_input_channels;
        cfg.d_model = pc->d_model;
        cfg.expansion_factor = pc->expansion_factor;
        cfg.num_layers = pc->num_layers;
        cfg.mode = pc->mode;
        cfg.gated_attn = pc->gated_attn;
        cfg.norm_mlp = pc->norm_mlp;
        cfg.self_attn = pc->self_attn;
        cfg.self_attn_heads = pc->self_attn_heads;
        cfg.use_positional_encoding = pc->use_positional_encoding;
        cfg.positional_encoding_type = pc->positional_encoding_type;
        cfg.scaling = pc->scaling;
    }

    /* data */
    int L = cfg.context_length;
    if (task == PTM_TASK_FORECAST || task == PTM_TASK_PRETRAIN) {
        int H = task == PTM_TASK_FORECAST ? cfg.prediction_length : 1;
        if ((s = load_series(&d, job->data_path, job->columns, L, H, err)) != PTM_OK) goto done;
        if (job->init_from && d.C != cfg.num_input_channels) {
            s = ptm_err(err, PTM_ERR_INPUT, job->data_path, "columns",
                        "%d columns selected, the checkpoint %s has %d channels", d.C,
                        job->init_from, cfg.num_input_channels);
            goto done;
        }
        cfg.num_input_channels = d.C;
        logf_(job, 0, "data: %s, %zu rows x %d channels; windows train %zu, val %zu, test %zu",
              job->data_path, d.nrows, d.C, d.train.count, d.val.count, d.test.count);
    } else {
        if ((s = ptm_ts_load(job->data_path, L, &d.ts_train, err)) != PTM_OK) goto done;
        if (job->test_path && (s = ptm_ts_load_with_classes(job->test_path, L, &d.ts_train,
                                                            &d.ts_test, err)) != PTM_OK)
            goto done;
        if (task == PTM_TASK_CLASSIFY && !d.ts_train.labels) {
            s = ptm_err(err, PTM_ERR_INPUT, job->data_path, "@classLabel",
                        "no class labels: not a classification file");
            goto done;
        }
        if (task == PTM_TASK_REGRESS && !d.ts_train.targets) {
            s = ptm_err(err, PTM_ERR_INPUT, job->data_path, "@targetLabel",
                        "no regression targets: not a regression file");
            goto done;
        }
        cfg.num_input_channels = d.ts_train.nchannels;
        if (task == PTM_TASK_CLASSIFY) cfg.num_targets = d.ts_train.nclasses;
        if (task == PTM_TASK_REGRESS) cfg.num_targets = 1;
        /* 20 % of the training cases (shuffled with the seed) for validation */
        size_t nc = d.ts_train.ncases;
        d.order = malloc(sizeof(size_t) * (nc + 1));
        if (!d.order) goto nomem;
        for (size_t i = 0; i < nc; i++) d.order[i] = i;
        ptm_rng r;
        ptm_rng_seed(&r, job->seed ^ 0x5bd1e995ULL);
        for (size_t i = nc; i > 1; i--) {
            size_t j = (size_t)ptm_rng_below(&r, i);
            size_t t = d.order[i - 1];
            d.order[i - 1] = d.order[j];
            d.order[j] = t;
        }
        d.n_val_cases = nc >= 10 ? nc / 5 : 0;
        d.n_train_cases = nc - d.n_val_cases;
        logf_(job, 0, "data: %s, %zu cases x %d channels x %d steps (%zu train, %zu val), %s %zu",
              job->data_path, nc, d.ts_train.nchannels, d.ts_train.length, d.n_train_cases,
              d.n_val_cases, job->test_path ? "test" : "no test file", d.ts_test.ncases);
    }
    if ((s = ptm_config_finish(&cfg, "training config", err)) != PTM_OK) goto done;
    /* regression with a point head: learn standardised targets, and fold the inverse
     * transform into the head's last linear layer in every saved checkpoint */
    if (task == PTM_TASK_REGRESS && cfg.loss == PTM_LOSS_MSE && !cfg.has_output_range &&
        d.n_train_cases > 1) {
        double sum = 0.0, ss = 0.0;
        for (size_t i = 0; i < d.n_train_cases; i++) sum += (double)d.ts_train.targets[d.order[i]];
        tmean = sum / (double)d.n_train_cases;
        for (size_t i = 0; i < d.n_train_cases; i++) {
            double e = (double)d.ts_train.targets[d.order[i]] - tmean;
            ss += e * e;
        }
        tstd = sqrt(ss / (double)d.n_train_cases);
        if (!(tstd > 0.0))
            tmean = tstd = 0.0;
        else
            logf_(job, 0, "targets standardised: mean %.6g, std %.6g (folded into the saved head)",
                  tmean, tstd);
    }

    /* model */
    if ((s = ptm_model_build(&cfg, &m, err)) != PTM_OK) goto done;
    ptm_model_init_weights(m, job->seed);
    if (pre) {
        if (!is_backbone_field_equal(&m->cfg, &pre->cfg)) {
            s = ptm_err(err, PTM_ERR_INPUT, job->init_from, NULL,
                        "the checkpoint's backbone differs from the job's");
            goto done;
        }
        int copied = copy_backbone(m, pre);
        logf_(job, 0, "init: %d backbone tensors from %s%s", copied, job->init_from,
              job->freeze_backbone ? " (frozen)" : "");
    }
    logf_(job, 0, "model: %s, %lld parameters, %.2f MFLOP per sample",
          ptm_class_name(cfg.model_class), (long long)ptm_model_num_params(m),
          (double)ptm_model_macs_per_sample(m) * 2e-6);

    /* contexts, optimizer */
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = job->batch_size;
    cp.keep_hidden_states = 0;
    cp.training = 1;
    cp.num_threads = job->threads;
    if ((s = ptm_ctx_create(m, &cp, &tctx, err)) != PTM_OK) goto done;
    cp.training = 0;
    cp.max_batch = job->batch_size < 256 ? 256 : job->batch_size;
    if ((s = ptm_ctx_create(m, &cp, &ectx, err)) != PTM_OK) goto done;
    if ((s = batch_alloc(&tb, job->batch_size, &cfg, err)) != PTM_OK ||
        (s = batch_alloc(&eb, cp.max_batch, &cfg, err)) != PTM_OK)
        goto done;
    size_t np = m->arena_floats;
    am = calloc(np, sizeof(float));
    av = calloc(np, sizeof(float));
    tmask = malloc(np);
    dmask = malloc(np);
    if (!am || !av || !tmask || !dmask) goto nomem;
    make_masks(m, job->freeze_backbone, tmask, dmask);

    size_t n_train =
        (task == PTM_TASK_FORECAST || task == PTM_TASK_PRETRAIN) ? d.train.count : d.n_train_cases;
    int64_t steps_per_epoch =
        (int64_t)((n_train + (size_t)job->batch_size - 1) / (size_t)job->batch_size);
    int64_t total_steps = steps_per_epoch * job->epochs;
    if (job->max_steps > 0 && job->max_steps < total_steps) total_steps = job->max_steps;
    ptm_schedule sched;
    memset(&sched, 0, sizeof sched);
    sched.kind = job->schedule;
    sched.base_lr = job->lr;
    sched.total_steps = total_steps;
    sched.warmup_steps = (int64_t)((double)job->warmup_frac * (double)total_steps);
    sched.min_lr = 0.0f;
    sched.pct_start = 0.3f;
    sched.div_factor = 25.0f;
    sched.final_div_factor = 1e4f;
    ptm_adamw_params ap = ptm_adamw_defaults();
    ap.weight_decay = job->weight_decay;

    int start_epoch = 0, best_epoch = -1, bad = 0;
    int64_t step = 0;
    double best_val = INFINITY;
    char last_dir[4096];
    snprintf(last_dir, sizeof last_dir, "%s/last", job->out_dir);
    if (job->resume) {
        int ep = 0;
        if ((s = ptm_train_load_state(last_dir, m, am, av, &ep, &step, &best_val, &best_epoch, &bad,
                                      err)) != PTM_OK)
            goto done;
        start_epoch = ep + 1;
        logf_(job, 0, "resume: after epoch %d (step %lld, best val %.6g at epoch %d)", ep + 1,
              (long long)step, best_val, best_epoch + 1);
    }
    logf_(job, 0,
          "train: %s, %d epochs x %lld steps, batch %d, lr %g (%s), weight decay %g, clip %g, "
          "seed %llu, %d thread%s, kernels %s",
          task_name(task), job->epochs, (long long)steps_per_epoch, job->batch_size,
          (double)job->lr,
          job->schedule == PTM_SCHED_ONECYCLE ? "one-cycle"
          : job->schedule == PTM_SCHED_COSINE ? "warm-up + cosine"
                                              : "constant",
          (double)job->weight_decay, (double)job->clip_norm, (unsigned long long)job->seed,
          job->threads, job->threads == 1 ? "" : "s", ptm_kernels_name());

    double t_start = now_sec(), train_time = 0.0;
    double samples_done = 0.0;
    int epoch = start_epoch;
    for (; epoch < job->epochs && (job->max_steps <= 0 || step < job->max_steps); epoch++) {
        double te = now_sec(), tlast = 0.0, loss_sum = 0.0;
        size_t seen = 0;
        if (task == PTM_TASK_FORECAST || task == PTM_TASK_PRETRAIN) {
            ptm_windows_shuffle(&d.train, job->seed, epoch);
        } else {
            ptm_rng r;
            ptm_rng_seed(&r, job->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)epoch);
            for (size_t i = d.n_train_cases; i > 1; i--) {
                size_t j = (size_t)ptm_rng_below(&r, i);
                size_t t = d.order[i - 1];
                d.order[i - 1] = d.order[j];
                d.order[j] = t;
            }
        }
        for (size_t start = 0; start < n_train; start += (size_t)job->batch_size) {
            if (job->max_steps > 0 && step >= job->max_steps) break;
            size_t n;
            if (task == PTM_TASK_FORECAST || task == PTM_TASK_PRETRAIN) {
                n = ptm_windows_batch(&d.train, start, (size_t)job->batch_size, tb.past, tb.pobs,
                                      tb.fut, NULL);
            } else {
                n = n_train - start < (size_t)job->batch_size ? n_train - start
                                                              : (size_t)job->batch_size;
                ts_fill(&tb, &d.ts_train, d.order + start, n, task, tmean, tstd);
            }
            ptm_inputs in;
            memset(&in, 0, sizeof in);
            in.batch = (int)n;
            in.past_values = tb.past;
            in.observed_mask = tb.pobs;
            if (task == PTM_TASK_FORECAST) in.future_values = tb.fut;
            if (task == PTM_TASK_CLASSIFY) in.target_labels = tb.labels;
            if (task == PTM_TASK_REGRESS) in.target_values = tb.tgt;
            in.dropout_seed = job->seed * 0x2545F4914F6CDD1DULL + (uint64_t)step;
            in.mask_seed = job->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)step;
            if ((s = ptm_forward(tctx, &in, err)) != PTM_OK) goto done;
            if ((s = ptm_backward(tctx, err)) != PTM_OK) goto done;
            ptm_tensor_view lv;
            if (ptm_ctx_output(tctx, "loss", &lv, err) != PTM_OK) {
                s = err->code;
                goto done;
            }
            float *g = tctx->grads->arena;
            for (size_t i = 0; i < np; i++)
                if (!tmask[i]) g[i] = 0.0f;
            if (job->clip_norm > 0.0f) ptm_clip_grad_norm(g, np, (double)job->clip_norm);
            ap.lr = ptm_schedule_lr(&sched, step);
            ptm_adamw_step(m->arena, g, am, av, np, dmask, &ap, step + 1);
            ptm_model_sync(m);
            step++;
            seen += n;
            loss_sum += (double)lv.data[0] * (double)n;
            double tnow = now_sec();
            if (tnow - tlast > 0.5) {
                tlast = tnow;
                double rate = (double)seen / (tnow - te);
                double left = (double)(n_train - seen) / rate;
                logf_(job, 1, "epoch %d/%d  step %lld/%lld  loss %.5f  %.0f samples/s  ETA %.0fs",
                      epoch + 1, job->epochs, (long long)(step - (int64_t)epoch * steps_per_epoch),
                      (long long)steps_per_epoch, loss_sum / (double)seen, rate, left);
            }
        }
        double ep_time = now_sec() - te;
        train_time += ep_time;
        samples_done += (double)seen;

        /* validation */
        acc_t a;
        if (task == PTM_TASK_FORECAST || task == PTM_TASK_PRETRAIN)
            s = eval_windows(ectx, &cfg, &d.val, &eb, task, &a, err);
        else
            s = eval_cases(ectx, &cfg, &d.ts_train, d.order + d.n_train_cases, d.n_val_cases, &eb,
                           task, tmean, tstd, &a, err);
        if (s != PTM_OK) goto done;
        double val = a.n_samples > 0 ? a.loss_sum / a.n_samples : loss_sum / (double)seen;
        int improved = val < best_val;
        if (improved) {
            best_val = val;
            best_epoch = epoch;
            bad = 0;
            if ((s = save_folded(m, job->out_dir, tmean, tstd, &fold_backup, err)) != PTM_OK)
                goto done;
        } else {
            bad++;
        }
        logf_(job, 0, "epoch %d/%d: train loss %.6f, val loss %.6f%s, %.1fs, %.0f samples/s",
              epoch + 1, job->epochs, loss_sum / (double)(seen ? seen : 1), val,
              improved ? " (best, saved)" : "", ep_time, (double)seen / ep_time);
        if ((s = save_state(last_dir, m, am, av, epoch, step, best_val, best_epoch, bad, err)) !=
            PTM_OK)
            goto done;
        if (job->on_epoch)
            job->on_epoch(job->user, epoch + 1, loss_sum / (double)(seen ? seen : 1), val);
        if (job->stop_after_epochs > 0 && epoch + 1 >= job->stop_after_epochs) {
            logf_(job, 0, "stopping after epoch %d as asked", epoch + 1);
            epoch++;
            break;
        }
        if (job->patience > 0 && bad >= job->patience) {
            logf_(job, 0, "early stop: no improvement for %d epochs", bad);
            epoch++;
            break;
        }
    }
    res->epochs_run = epoch;
    res->best_epoch = best_epoch + 1;
    res->best_val = best_val;
    res->steps = step;
    res->seconds = now_sec() - t_start;
    res->samples_per_sec = train_time > 0 ? samples_done / train_time : 0.0;

    /* test the best model */
    {
        ptm_model *best = NULL;
        ptm_ctx *bctx = NULL;
        if ((s = ptm_model_load(job->out_dir, &best, err)) != PTM_OK) goto done;
        ptm_ctx_params bp = ptm_ctx_default_params();
        bp.max_batch = eb.cap;
        bp.keep_hidden_states = 0;
        s = ptm_ctx_create(best, &bp, &bctx, err);
        acc_t a;
        memset(&a, 0, sizeof a);
        if (s == PTM_OK) {
            if (task == PTM_TASK_FORECAST || task == PTM_TASK_PRETRAIN) {
                s = eval_windows(bctx, &cfg, &d.test, &eb, task, &a, err);
            } else if (d.ts_test.ncases > 0) {
                size_t *idx = malloc(sizeof(size_t) * d.ts_test.ncases);
                if (!idx) {
                    s = ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
                } else {
                    for (size_t i = 0; i < d.ts_test.ncases; i++) idx[i] = i;
                    s = eval_cases(bctx, &cfg, &d.ts_test, idx, d.ts_test.ncases, &eb, task, 0.0,
                                   0.0, &a, err);
                    free(idx);
                }
            }
        }
        ptm_ctx_free(bctx);
        ptm_model_free(best);
        if (s != PTM_OK) goto done;
        if (a.n_el > 0) {
            res->test_mse = a.se / a.n_el;
            res->test_mae = a.ae / a.n_el;
        }
        if (task == PTM_TASK_CLASSIFY && a.n_samples > 0)
            res->test_accuracy = a.correct / a.n_samples;
        /* trivial baselines on the same test data */
        if ((task == PTM_TASK_CLASSIFY || task == PTM_TASK_REGRESS) && d.ts_test.ncases > 0) {
            const ptm_ts_dataset *tr = &d.ts_train, *te = &d.ts_test;
            if (task == PTM_TASK_CLASSIFY) {
                int major = 0;
                size_t major_n = 0;
                for (int k = 0; k < tr->nclasses; k++) {
                    size_t cnt = 0;
                    for (size_t i = 0; i < tr->ncases; i++) cnt += tr->labels[i] == k;
                    if (cnt > major_n) {
                        major_n = cnt;
                        major = k;
                    }
                }
                size_t hit = 0;
                for (size_t i = 0; i < te->ncases; i++) hit += te->labels[i] == major;
                res->baseline_accuracy = (double)hit / (double)te->ncases;
            } else {
                double mean = 0.0, se = 0.0, ae = 0.0;
                for (size_t i = 0; i < tr->ncases; i++) mean += (double)tr->targets[i];
                mean /= (double)tr->ncases;
                for (size_t i = 0; i < te->ncases; i++) {
                    double e = mean - (double)te->targets[i];
                    se += e * e;
                    ae += fabs(e);
                }
                res->baseline_mse = se / (double)te->ncases;
                res->baseline_mae = ae / (double)te->ncases;
            }
        }
        if (task == PTM_TASK_FORECAST) {
            /* repeat the last observed value of each channel over the horizon */
            acc_t r;
            memset(&r, 0, sizeof r);
            int Lc = cfg.context_length, Hh = cfg.prediction_length, C = d.C;
            for (size_t start = 0; start < d.test.count; start += (size_t)eb.cap) {
                size_t n = ptm_windows_batch(&d.test, start, (size_t)eb.cap, eb.past, eb.pobs,
                                             eb.fut, NULL);
                for (size_t i = 0; i < n; i++)
                    for (int t = 0; t < Hh; t++)
                        for (int j = 0; j < cfg.num_prediction_channels; j++) {
                            int ch = cfg.prediction_channel_indices
                                         ? cfg.prediction_channel_indices[j]
                                         : j;
                            double last =
                                (double)eb.past[(i * (size_t)Lc + (size_t)Lc - 1) * C + ch];
                            double e = last - (double)eb.fut[(i * (size_t)Hh + t) * C + ch];
                            r.se += e * e;
                            r.ae += fabs(e);
                            r.n_el += 1;
                        }
            }
            if (r.n_el > 0) {
                res->baseline_mse = r.se / r.n_el;
                res->baseline_mae = r.ae / r.n_el;
            }
        }
        if (task == PTM_TASK_PRETRAIN && a.n_samples > 0) res->test_mse = a.loss_sum / a.n_samples;
    }
    goto done;
nomem:
    s = ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
done:
    free(fold_backup);
    batch_free(&tb);
    batch_free(&eb);
    free(am);
    free(av);
    free(tmask);
    free(dmask);
    ptm_ctx_free(tctx);
    ptm_ctx_free(ectx);
    ptm_model_free(m);
    ptm_model_free(pre);
    ptm_config_free(&cfg);
    dataset_free(&d);
    return s;
}

/* ------------------------------------------------------------------ evaluation */

ptm_status ptm_eval_run(const char *model_dir, const char *data_path, const char *columns,
                        const char *split, int batch, ptm_eval_result *res, ptm_error *err) {
    memset(res, 0, sizeof *res);
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    dataset d;
    memset(&d, 0, sizeof d);
    batch_buf b;
    memset(&b, 0, sizeof b);
    ptm_status s = ptm_model_load(model_dir, &m, err);
    if (s != PTM_OK) return s;
    const ptm_config *c = &m->cfg;
    if (batch < 1) batch = 256;
    int task = c->model_class == PTM_CLASS_CLASSIFICATION ? PTM_TASK_CLASSIFY
               : c->model_class == PTM_CLASS_REGRESSION   ? PTM_TASK_REGRESS
               : c->model_class == PTM_CLASS_PRETRAINING  ? PTM_TASK_PRETRAIN
                                                          : PTM_TASK_FORECAST;
    if (c->model_class == PTM_CLASS_MODEL) {
        s = ptm_err(err, PTM_ERR_UNSUPPORTED, model_dir, "architectures",
                    "PatchTSMixerModel has no head to evaluate");
        goto done;
    }
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = batch;
    cp.keep_hidden_states = 0;
    if ((s = ptm_ctx_create(m, &cp, &ctx, err)) != PTM_OK) goto done;
    if ((s = batch_alloc(&b, batch, c, err)) != PTM_OK) goto done;
    acc_t a;
    memset(&a, 0, sizeof a);
    if (task == PTM_TASK_FORECAST || task == PTM_TASK_PRETRAIN) {
        int H = task == PTM_TASK_FORECAST ? c->prediction_length : 1;
        if ((s = load_series(&d, data_path, columns, c->context_length, H, err)) != PTM_OK)
            goto done;
        if (d.C != c->num_input_channels) {
            s = ptm_err(err, PTM_ERR_INPUT, data_path, "columns",
                        "%d columns selected, the model expects %d (num_input_channels)", d.C,
                        c->num_input_channels);
            goto done;
        }
        const ptm_windows *w = &d.test;
        if (split && strcmp(split, "val") == 0)
            w = &d.val;
        else if (split && strcmp(split, "train") == 0)
            w = &d.train;
        else if (split && strcmp(split, "test") != 0) {
            s = ptm_err(err, PTM_ERR_ARG, NULL, "split",
                        "unknown split '%s'; expected train, val or test", split);
            goto done;
        }
        if ((s = eval_windows(ctx, c, w, &b, task, &a, err)) != PTM_OK) goto done;
        res->windows = w->count;
        if (a.n_el > 0) {
            res->mse = a.se / a.n_el;
            res->mae = a.ae / a.n_el;
            double cov = a.sxy / a.n_el - (a.sx / a.n_el) * (a.sy / a.n_el);
            double vx = a.sxx / a.n_el - (a.sx / a.n_el) * (a.sx / a.n_el);
            double vy = a.syy / a.n_el - (a.sy / a.n_el) * (a.sy / a.n_el);
            res->corr = vx > 0 && vy > 0 ? cov / sqrt(vx * vy) : 0.0;
            /* original units: errors scale with each channel's std */
            acc_t r;
            memset(&r, 0, sizeof r);
            int Cs = c->num_prediction_channels, Hh = c->prediction_length, C = d.C;
            ptm_tensor_view v;
            for (size_t start = 0; start < w->count; start += (size_t)b.cap) {
                size_t n = ptm_windows_batch(w, start, (size_t)b.cap, b.past, b.pobs, b.fut, NULL);
                ptm_inputs in;
                memset(&in, 0, sizeof in);
                in.batch = (int)n;
                in.past_values = b.past;
                in.observed_mask = b.pobs;
                if ((s = ptm_forward(ctx, &in, err)) != PTM_OK) goto done;
                if ((s = ptm_ctx_output(
                         ctx, c->loss == PTM_LOSS_NLL ? "distribution_mean" : "prediction_outputs",
                         &v, err)) != PTM_OK)
                    goto done;
                for (size_t i = 0; i < n; i++)
                    for (int t = 0; t < Hh; t++)
                        for (int j = 0; j < Cs; j++) {
                            int ch = c->prediction_channel_indices
                                         ? c->prediction_channel_indices[j]
                                         : j;
                            double sd = (double)d.sc.std[ch];
                            double e = ((double)v.data[(i * Hh + t) * Cs + j] -
                                        (double)b.fut[(i * Hh + t) * C + ch]) *
                                       sd;
                            r.se += e * e;
                            r.ae += fabs(e);
                            r.n_el += 1;
                        }
            }
            res->mse_raw = r.se / r.n_el;
            res->mae_raw = r.ae / r.n_el;
        }
        if (task == PTM_TASK_PRETRAIN && a.n_samples > 0) res->mse = a.loss_sum / a.n_samples;
    } else {
        if ((s = ptm_ts_load(data_path, c->context_length, &d.ts_test, err)) != PTM_OK) goto done;
        if (d.ts_test.nchannels != c->num_input_channels) {
            s = ptm_err(err, PTM_ERR_INPUT, data_path, NULL,
                        "%d channels, the model expects %d (num_input_channels)",
                        d.ts_test.nchannels, c->num_input_channels);
            goto done;
        }
        if (task == PTM_TASK_CLASSIFY &&
            (!d.ts_test.labels || d.ts_test.nclasses > c->num_targets)) {
            s = ptm_err(err, PTM_ERR_INPUT, data_path, "@classLabel",
                        "expected class labels of at most %d classes", c->num_targets);
            goto done;
        }
        if (task == PTM_TASK_REGRESS && !d.ts_test.targets) {
            s = ptm_err(err, PTM_ERR_INPUT, data_path, "@targetLabel", "no regression targets");
            goto done;
        }
        size_t nc = d.ts_test.ncases;
        size_t *idx = malloc(sizeof(size_t) * (nc + 1));
        if (!idx) {
            s = ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < nc; i++) idx[i] = i;
        s = eval_cases(ctx, c, &d.ts_test, idx, nc, &b, task, 0.0, 0.0, &a, err);
        free(idx);
        if (s != PTM_OK) goto done;
        res->cases = nc;
        res->classifier = task == PTM_TASK_CLASSIFY;
        if (task == PTM_TASK_CLASSIFY) res->accuracy = a.correct / (double)nc;
        if (a.n_el > 0) {
            res->rmse = sqrt(a.se / a.n_el);
            res->reg_mae = a.ae / a.n_el;
        }
    }
done:
    batch_free(&b);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    dataset_free(&d);
    return s;
}
