/* trainer.c - the training loop behind ptm_train_csv (patchtsmixer.h), in named pieces:
 *
 *   train_step    forward (train mode) -> backward -> [freeze] -> clip -> lr = schedule(step)
 *                 -> AdamW -> ptmi_model_sync
 *   train_epoch   one shuffled pass over the training windows or cases
 *   validate      the validation loss (eval mode)
 *   end_epoch     best checkpoint, resume state, early stopping
 *   test_best     the saved best model on the test data, and the baselines
 *
 * Task setup (data, architecture) is task.c, evaluation passes eval.c, checkpoints
 * checkpoint.c. Same seed, data and threads: bit-identical checkpoints; an interrupted run
 * resumed from out_dir/last ends bit-identical to an uninterrupted one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/config.h"
#include "kernels/kernels.h"
#include "train/trainer.h"

ptm_train_params ptm_train_default_params(void) {
    ptm_train_params p;
    memset(&p, 0, sizeof p);
    p.task = PTM_TRAIN_FORECAST;
    p.epochs = 10;
    p.batch_size = 64;
    p.lr = 1e-3f;
    p.weight_decay = 0.0f;
    p.clip_norm = 1.0f;
    p.schedule = PTM_LR_ONECYCLE;
    p.warmup_frac = 0.1f;
    p.patience = 5;
    p.seed = 42;
    p.num_threads = 1;
    return p;
}

static double now_sec(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The state of one run. */
typedef struct {
    const ptm_train_params *p;
    const char *out_dir;
    const char *data_path;
    int preprocessor_saved; /* out_dir/preprocessor_config.json written this run */
    train_task t;
    ptm_model *m;
    ptm_ctx *tctx, *ectx; /* training (batch_size) and evaluation (>= 256) contexts */
    train_batch tb, eb;
    float *am, *av;               /* AdamW moments [m->arena_floats] */
    unsigned char *tmask, *dmask; /* trainable, weight decay [m->arena_floats] */
    float *fold_backup;           /* scratch of train_checkpoint_save_best */
    size_t n_train;               /* training windows or cases */
    size_t *few;                  /* few-shot: the training windows used, or NULL (all) */
    int64_t steps_per_epoch;
    ptmi_schedule sched;
    ptmi_adamw_params ap;
    train_state st;
    char last_dir[4096];
    double train_time, samples_done; /* throughput */
    int improved_in_epoch;           /* a mid-epoch validation (val_every) saved a better model */
} trainer;

static void trainer_free(trainer *tr) {
    free(tr->fold_backup);
    free(tr->few);
    train_batch_free(&tr->tb);
    train_batch_free(&tr->eb);
    free(tr->am);
    free(tr->av);
    free(tr->tmask);
    free(tr->dmask);
    ptm_ctx_free(tr->tctx);
    ptm_ctx_free(tr->ectx);
    ptm_model_free(tr->m);
    train_task_free(&tr->t);
}

static int is_series(ptm_train_task task) {
    return task == PTM_TRAIN_FORECAST || task == PTM_TRAIN_PRETRAIN;
}

/* The one place that creates a training context. */
static ptm_status create_training_ctx(ptm_model *m, int max_batch, int num_threads, ptm_ctx **out,
                                      ptm_error *err) {
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = max_batch;
    cp.keep_hidden_states = 0;
    cp.num_threads = num_threads;
    return ptm_ctx_create_train(m, &cp, out, err);
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
        ptmi_param_entry *e = &m->table[i];
        if (strncmp(e->name, "model.", 6) != 0) continue;
        for (int j = 0; j < from->n_table; j++) {
            const ptmi_param_entry *f = &from->table[j];
            const char *fn = strncmp(f->name, "model.", 6) == 0 ? f->name + 6 : f->name;
            if (strcmp(fn, e->name + 6) != 0 || f->numel != e->numel) continue;
            if (e->f32 && f->f32) memcpy(e->f32, f->f32, e->numel * sizeof(float));
            if (e->i64 && f->i64) *e->i64 = *f->i64;
            copied++;
            break;
        }
    }
    ptmi_model_sync(m);
    return copied;
}

/* per-parameter masks over the model arena: trainable (gets updates) and weight decay (HF
 * Trainer convention: no decay on biases and normalisation weights) */
static void make_masks(const ptm_model *m, int freeze_backbone, unsigned char *train_mask,
                       unsigned char *decay_mask) {
    memset(train_mask, 0, m->arena_floats);
    memset(decay_mask, 0, m->arena_floats);
    for (int i = 0; i < m->n_table; i++) {
        const ptmi_param_entry *e = &m->table[i];
        if (!e->f32 || !e->trainable) continue;
        /* the backbone: PatchTSMixer's "model." tensors; TinyTimeMixer's "backbone." ones (the
         * decoder and the head train, as granite-tsfm's notebooks freeze model.backbone) */
        const char *bb = m->cfg.family == PTM_FAMILY_TTM ? "backbone." : "model.";
        if (freeze_backbone && strncmp(e->name, bb, strlen(bb)) == 0) continue;
        size_t off = (size_t)(e->f32 - m->arena);
        memset(train_mask + off, 1, e->numel);
        int decay = e->ndim >= 2 && strstr(e->name, "norm") == NULL;
        if (decay) memset(decay_mask + off, 1, e->numel);
    }
}

/* the model: initial weights from the seed, the backbone of init_from */
static ptm_status setup_model(trainer *tr, ptm_error *err) {
    const ptm_train_params *p = tr->p;
    ptm_status s = ptmi_model_build(&tr->t.cfg, PTMI_STORE_TRAIN, &tr->m, err);
    if (s != PTM_OK) return s;
    ptmi_model_init_weights(tr->m, p->seed);
    if (tr->t.pre && tr->t.pre->cfg.family == PTM_FAMILY_TTM) {
        int copied = train_copy_all(tr->m, tr->t.pre, p->init_from, err);
        if (copied < 0) return PTM_ERR_INPUT;
        train_log(p, 0, "init: %d tensors from %s%s", copied, p->init_from,
                  p->freeze_backbone ? " (backbone frozen)" : "");
    } else if (tr->t.pre) {
        if (!is_backbone_field_equal(&tr->m->cfg, &tr->t.pre->cfg))
            return ptmi_err(err, PTM_ERR_INPUT, p->init_from, NULL,
                            "the checkpoint's backbone differs from the job's");
        int copied = copy_backbone(tr->m, tr->t.pre);
        train_log(p, 0, "init: %d backbone tensors from %s%s", copied, p->init_from,
                  p->freeze_backbone ? " (frozen)" : "");
    }
    train_log(p, 0, "model: %s, %lld parameters, %.2f MFLOP per sample",
              ptm_config_class_name(&tr->t.cfg), (long long)ptm_model_num_params(tr->m),
              (double)ptm_model_macs_per_sample(tr->m) * 2e-6);
    return PTM_OK;
}

/* contexts, batch buffers, AdamW state and masks, the learning-rate schedule */
static ptm_status setup_optimizer(trainer *tr, ptm_error *err) {
    const ptm_train_params *p = tr->p;
    ptm_status s = create_training_ctx(tr->m, p->batch_size, p->num_threads, &tr->tctx, err);
    if (s != PTM_OK) return s;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = p->batch_size < 256 ? 256 : p->batch_size;
    cp.keep_hidden_states = 0;
    cp.num_threads = p->num_threads;
    if ((s = ptm_ctx_create(tr->m, &cp, &tr->ectx, err)) != PTM_OK) return s;
    int64_t tok = tr->t.freq_token;
    if ((s = train_batch_alloc(&tr->tb, p->batch_size, &tr->t.cfg, tok, err)) != PTM_OK ||
        (s = train_batch_alloc(&tr->eb, cp.max_batch, &tr->t.cfg, tok, err)) != PTM_OK ||
        (s = train_batch_codes(&tr->tb, tr->t.codes, train_static_count(&tr->t.cfg), err)) !=
            PTM_OK ||
        (s = train_batch_codes(&tr->eb, tr->t.codes, train_static_count(&tr->t.cfg), err)) !=
            PTM_OK)
        return s;
    size_t np = tr->m->arena_floats;
    tr->am = calloc(np, sizeof(float));
    tr->av = calloc(np, sizeof(float));
    tr->tmask = malloc(np);
    tr->dmask = malloc(np);
    if (!tr->am || !tr->av || !tr->tmask || !tr->dmask)
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    make_masks(tr->m, p->freeze_backbone, tr->tmask, tr->dmask);

    tr->n_train = is_series(tr->t.task) ? tr->t.d.train.w.count : tr->t.d.n_train_cases;
    if (p->few_shot > 0.0f && is_series(tr->t.task) &&
        (s = train_pick_few(p, &tr->few, &tr->n_train, err)) != PTM_OK)
        return s;
    tr->steps_per_epoch =
        (int64_t)((tr->n_train + (size_t)p->batch_size - 1) / (size_t)p->batch_size);
    int64_t total_steps = tr->steps_per_epoch * p->epochs;
    if (p->max_steps > 0 && p->max_steps < total_steps) total_steps = p->max_steps;
    memset(&tr->sched, 0, sizeof tr->sched);
    tr->sched.kind = p->schedule;
    tr->sched.base_lr = p->lr;
    tr->sched.total_steps = total_steps;
    tr->sched.warmup_steps = (int64_t)((double)p->warmup_frac * (double)total_steps);
    tr->sched.min_lr = 0.0f;
    tr->sched.pct_start = 0.3f;
    tr->sched.div_factor = 25.0f;
    tr->sched.final_div_factor = 1e4f;
    tr->ap = ptmi_adamw_defaults();
    tr->ap.weight_decay = p->weight_decay;
    return PTM_OK;
}

/* ------------------------------------------------------------------ step and epoch */

/* PTM_ERR_DIVERGED for epoch (0-based) at the optimiser step under way: what (a loss, the
 * gradient, ...) is not finite or out of bounds; why says how */
static ptm_status diverged(const trainer *tr, int epoch, const char *what, const char *why,
                           ptm_error *err) {
    return ptmi_err(err, PTM_ERR_DIVERGED, NULL, what,
                    "training diverged at epoch %d, step %lld: %s; stopped before saving "
                    "anything of this epoch (%s and %s/last keep the previous state); a lower "
                    "learning rate or gradient clipping may help",
                    epoch + 1, (long long)tr->st.step + 1, why, tr->out_dir, tr->out_dir);
}

/* one optimiser step of epoch on the n samples in tr->tb; *loss gets the batch's mean loss.
 * A non-finite loss or gradient stops the run before the weights change (PTM_ERR_DIVERGED). */
static ptm_status train_step(trainer *tr, int epoch, int n, double *loss, ptm_error *err) {
    const ptm_train_params *p = tr->p;
    ptm_train_task task = tr->t.task;
    int64_t step = tr->st.step;
    if (step >= PTMI_TRAIN_MAX_STEP)
        return ptmi_err(err, PTM_ERR_LIMIT, NULL, "step", "step %lld: at most 2^53 steps",
                        (long long)step);
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = n;
    in.past_values = tr->tb.past;
    in.observed_mask = tr->tb.pobs;
    in.freq_token = tr->tb.tok;
    in.static_categorical_values = tr->tb.cat;
    if (task == PTM_TRAIN_FORECAST) in.future_values = tr->tb.fut;
    if (task == PTM_TRAIN_CLASSIFY) in.target_labels = tr->tb.labels;
    if (task == PTM_TRAIN_REGRESS) in.target_values = tr->tb.tgt;
    in.dropout_seed = p->seed * 0x2545F4914F6CDD1DULL + (uint64_t)step;
    in.mask_seed = p->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)step;
    ptm_status s = ptm_forward(tr->tctx, &in, err);
    if (s != PTM_OK) return s;
    if ((s = ptm_backward(tr->tctx, err)) != PTM_OK) return s;
    ptm_tensor_view lv;
    if (ptm_ctx_output(tr->tctx, "loss", &lv, err) != PTM_OK) return err->code;
    *loss = (double)lv.data[0];
    char why[64];
    if (!isfinite(*loss)) {
        snprintf(why, sizeof why, "the training loss is %g", *loss);
        return diverged(tr, epoch, "loss", why, err);
    }
    size_t np = tr->m->arena_floats;
    float *g = tr->tctx->grads->arena;
    for (size_t i = 0; i < np; i++)
        if (!tr->tmask[i]) g[i] = 0.0f;
    if (p->clip_norm > 0.0f) {
        double norm = ptmi_clip_grad_norm(g, np, (double)p->clip_norm);
        if (!isfinite(norm)) {
            snprintf(why, sizeof why, "the gradient's norm is %g", norm);
            return diverged(tr, epoch, "gradient", why, err);
        }
    }
    tr->ap.lr = ptmi_schedule_lr(&tr->sched, step);
    ptmi_adamw_step(tr->m->arena, g, tr->am, tr->av, np, tr->dmask, &tr->ap, step + 1);
    ptmi_model_sync(tr->m);
    tr->st.step = step + 1;
    return PTM_OK;
}

/* the training order of epoch: windows reshuffled from the identity, cases reshuffled in place */
static void shuffle_epoch(trainer *tr, int epoch) {
    uint64_t seed = tr->p->seed;
    if (tr->few) { /* the subset, shuffled, in front of the order the batches read */
        memcpy(tr->t.d.train.w.order, tr->few, tr->n_train * sizeof(size_t));
        train_shuffle(tr->t.d.train.w.order, tr->n_train,
                      seed * 0x9E3779B97F4A7C15ULL + (uint64_t)epoch);
    } else if (is_series(tr->t.task)) {
        ptm_windows_shuffle(&tr->t.d.train.w, seed, epoch);
    } else
        train_shuffle(tr->t.d.order, tr->t.d.n_train_cases,
                      seed * 0x9E3779B97F4A7C15ULL + (uint64_t)epoch);
}

/* the training samples at positions [start, start + batch_size) of this epoch's order into
 * tr->tb; returns how many */
static size_t fill_train_batch(trainer *tr, size_t start) {
    size_t bs = (size_t)tr->p->batch_size;
    train_task *t = &tr->t;
    if (is_series(t->task))
        return train_windows_batch(&t->d.train, start, bs, tr->tb.past, tr->tb.pobs, tr->tb.fut,
                                   NULL);
    size_t n = tr->n_train - start < bs ? tr->n_train - start : bs;
    train_batch_cases(&tr->tb, &t->d.ts_train, t->d.order + start, n, t->task, t->tmean, t->tstd);
    return n;
}

static ptm_status mid_epoch_check(trainer *tr, int epoch, int64_t in_epoch, double loss_sum,
                                  size_t seen, ptm_error *err);

/* one shuffled pass (or up to max_steps); *loss_sum is the sample-weighted loss over *seen
 * samples, *seconds the pass's wall time; with val_every, a validation every val_every steps
 * before the pass's last (which end_epoch's validation covers) */
static ptm_status train_epoch(trainer *tr, int epoch, double *loss_sum, size_t *seen,
                              double *seconds, ptm_error *err) {
    const ptm_train_params *p = tr->p;
    double te = now_sec(), tlast = 0.0;
    *loss_sum = 0.0;
    *seen = 0;
    shuffle_epoch(tr, epoch);
    for (size_t start = 0; start < tr->n_train; start += (size_t)p->batch_size) {
        if (p->max_steps > 0 && tr->st.step >= p->max_steps) break;
        size_t n = fill_train_batch(tr, start);
        double loss = 0.0;
        ptm_status s = train_step(tr, epoch, (int)n, &loss, err);
        if (s != PTM_OK) return s;
        *seen += n;
        *loss_sum += loss * (double)n;
        int64_t in_epoch = tr->st.step - (int64_t)epoch * tr->steps_per_epoch;
        int last = start + (size_t)p->batch_size >= tr->n_train ||
                   (p->max_steps > 0 && tr->st.step >= p->max_steps);
        if (p->val_every > 0 && in_epoch % p->val_every == 0 && !last &&
            (s = mid_epoch_check(tr, epoch, in_epoch, *loss_sum, *seen, err)) != PTM_OK)
            return s;
        double tnow = now_sec();
        if (tnow - tlast > 0.5) {
            tlast = tnow;
            double rate = (double)*seen / (tnow - te);
            double left = (double)(tr->n_train - *seen) / rate;
            train_log(p, 1, "epoch %d/%d  step %lld/%lld  loss %.5f  %.0f samples/s  ETA %.0fs",
                      epoch + 1, p->epochs,
                      (long long)(tr->st.step - (int64_t)epoch * tr->steps_per_epoch),
                      (long long)tr->steps_per_epoch, *loss_sum / (double)*seen, rate, left);
        }
    }
    *seconds = now_sec() - te;
    return PTM_OK;
}

/* the mean validation loss (the training loss when there is no validation data) */
static ptm_status validate(trainer *tr, double loss_sum, size_t seen, double *val, ptm_error *err) {
    train_task *t = &tr->t;
    train_metrics a;
    ptm_status s;
    if (is_series(t->task))
        s = train_eval_windows(tr->ectx, &t->cfg, &t->d.val, &tr->eb, t->task, &a, err);
    else
        s = train_eval_cases(tr->ectx, &t->cfg, &t->d.ts_train, t->d.order + t->d.n_train_cases,
                             t->d.n_val_cases, &tr->eb, t->task, t->tmean, t->tstd, &a, err);
    if (s != PTM_OK) return s;
    *val = a.n_samples > 0 ? a.loss_sum / a.n_samples : loss_sum / (double)seen;
    return PTM_OK;
}

/* Before anything of epoch is saved: a finite validation loss, finite weights and buffers (the
 * model loader refuses others) and moments a resume accepts (train_moments_check), so that
 * out_dir and out_dir/last only ever hold states that load and resume. */
static ptm_status check_before_save(const trainer *tr, int epoch, double val, ptm_error *err) {
    char why[64];
    if (!isfinite(val)) {
        snprintf(why, sizeof why, "the validation loss is %g", val);
        return diverged(tr, epoch, "loss", why, err);
    }
    const ptm_model *m = tr->m;
    for (size_t i = 0; i < m->arena_floats; i++) {
        if (isfinite(m->arena[i])) continue;
        snprintf(why, sizeof why, "parameter %zu is %g", i, (double)m->arena[i]);
        return diverged(tr, epoch, "weights", why, err);
    }
    ptm_error e;
    if (train_moments_check(tr->am, tr->av, m->arena_floats, PTM_ERR_DIVERGED, NULL, &e) != PTM_OK)
        return diverged(tr, epoch, e.field, e.text, err);
    return PTM_OK;
}

/* val becomes the best validation loss of the run: the model into out_dir (and, the first
 * time, the preprocessor) */
static ptm_status save_best(trainer *tr, int epoch, double val, ptm_error *err) {
    train_state *st = &tr->st;
    st->best_val = val;
    st->best_epoch = epoch;
    ptm_status s = train_checkpoint_save_best(tr->m, tr->out_dir, tr->t.tmean, tr->t.tstd,
                                              &tr->fold_backup, err);
    if (s != PTM_OK) return s;
    if (!tr->preprocessor_saved && (s = train_task_save_preprocessor(
                                        &tr->t, tr->out_dir, tr->data_path, tr->p, err)) != PTM_OK)
        return s;
    tr->preprocessor_saved = 1;
    return PTM_OK;
}

/* val_every: a validation after step in_epoch of epoch; a better loss saves the best model
 * (as at an epoch's end) and counts as this epoch's improvement. The resume state is still
 * written at epoch ends only: a resumed run repeats the epoch, and so these checks, exactly. */
static ptm_status mid_epoch_check(trainer *tr, int epoch, int64_t in_epoch, double loss_sum,
                                  size_t seen, ptm_error *err) {
    const ptm_train_params *p = tr->p;
    double val = 0.0;
    ptm_status s = validate(tr, loss_sum, seen, &val, err);
    if (s == PTM_OK) s = check_before_save(tr, epoch, val, err);
    if (s != PTM_OK) return s;
    int improved = val < tr->st.best_val;
    if (improved) {
        if ((s = save_best(tr, epoch, val, err)) != PTM_OK) return s;
        tr->improved_in_epoch = 1;
    }
    train_log(p, 0, "epoch %d/%d step %lld/%lld: val loss %.6f%s", epoch + 1, p->epochs,
              (long long)in_epoch, (long long)tr->steps_per_epoch, val,
              improved ? " (best, saved)" : "");
    return PTM_OK;
}

/* after epoch's validation: the best checkpoint when val improved, the resume state, the
 * callback; *stop when the run ends here (asked to, or early stopping) */
static ptm_status end_epoch(trainer *tr, int epoch, double loss_sum, size_t seen, double seconds,
                            double val, int *stop, ptm_error *err) {
    const ptm_train_params *p = tr->p;
    train_state *st = &tr->st;
    ptm_status s = check_before_save(tr, epoch, val, err);
    if (s != PTM_OK) return s;
    int improved = val < st->best_val;
    if (improved) {
        if ((s = save_best(tr, epoch, val, err)) != PTM_OK) return s;
    }
    /* an epoch that saved a better model anywhere (val_every) restarts the patience count */
    if (improved || tr->improved_in_epoch)
        st->bad_epochs = 0;
    else
        st->bad_epochs++;
    tr->improved_in_epoch = 0;
    double train_loss = loss_sum / (double)(seen ? seen : 1);
    train_log(p, 0, "epoch %d/%d: train loss %.6f, val loss %.6f%s, %.1fs, %.0f samples/s",
              epoch + 1, p->epochs, train_loss, val, improved ? " (best, saved)" : "", seconds,
              (double)seen / seconds);
    st->epoch = epoch;
    if ((s = train_checkpoint_save(tr->last_dir, tr->m, tr->am, tr->av, st, err)) != PTM_OK)
        return s;
    if (p->on_epoch) p->on_epoch(p->user, epoch + 1, train_loss, val);
    *stop = 0;
    if (p->stop_after_epochs > 0 && epoch + 1 >= p->stop_after_epochs) {
        train_log(p, 0, "stopping after epoch %d as asked", epoch + 1);
        *stop = 1;
    } else if (p->patience > 0 && st->bad_epochs >= p->patience) {
        train_log(p, 0, "early stop: no improvement for %d epochs", st->bad_epochs);
        *stop = 1;
    }
    return PTM_OK;
}

/* ------------------------------------------------------------------ test */

/* the saved best model on the test windows or cases, and the baselines, into *res; a
 * forecaster also on the validation windows (val_mse, val_mae: its selection loss may be
 * another, mae or huber) */
static ptm_status test_best(trainer *tr, ptm_train_summary *res, ptm_error *err) {
    train_task *t = &tr->t;
    ptm_model *best = NULL;
    ptm_ctx *bctx = NULL;
    size_t *idx = NULL;
    ptm_status s = ptm_model_load(tr->out_dir, &best, err);
    if (s != PTM_OK) return s;
    ptm_ctx_params bp = ptm_ctx_default_params();
    bp.max_batch = tr->eb.cap;
    bp.keep_hidden_states = 0;
    train_metrics a;
    memset(&a, 0, sizeof a);
    if ((s = ptm_ctx_create(best, &bp, &bctx, err)) != PTM_OK) goto done;
    if (is_series(t->task)) {
        s = train_eval_windows(bctx, &t->cfg, &t->d.test, &tr->eb, t->task, &a, err);
    } else if (t->d.ts_test.ncases > 0) {
        idx = malloc(sizeof(size_t) * t->d.ts_test.ncases);
        if (!idx) {
            s = ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < t->d.ts_test.ncases; i++) idx[i] = i;
        s = train_eval_cases(bctx, &t->cfg, &t->d.ts_test, idx, t->d.ts_test.ncases, &tr->eb,
                             t->task, 0.0, 0.0, &a, err);
    }
    if (s != PTM_OK) goto done;
    if (a.n_el > 0) {
        res->test_mse = a.se / a.n_el;
        res->test_mae = a.ae / a.n_el;
    }
    if (t->task == PTM_TRAIN_FORECAST && t->d.val.w.count > 0) {
        train_metrics v;
        memset(&v, 0, sizeof v);
        s = train_eval_windows(bctx, &t->cfg, &t->d.val, &tr->eb, t->task, &v, err);
        if (s != PTM_OK) goto done;
        if (v.n_el > 0) {
            res->val_mse = v.se / v.n_el;
            res->val_mae = v.ae / v.n_el;
        }
    }
    if (t->task == PTM_TRAIN_CLASSIFY && a.n_samples > 0)
        res->test_accuracy = a.correct / a.n_samples;
    train_baselines(t, &tr->eb, res);
    if (t->task == PTM_TRAIN_PRETRAIN && a.n_samples > 0) res->test_mse = a.loss_sum / a.n_samples;
done:
    free(idx);
    ptm_ctx_free(bctx);
    ptm_model_free(best);
    return s;
}

/* ------------------------------------------------------------------ the run */

static const char *task_name(ptm_train_task t) {
    static const char *names[] = {"forecast", "classify", "regress", "pretrain"};
    return names[t];
}

/* out_dir/last into the model and optimiser when resuming; then the run's first log line */
static ptm_status start_run(trainer *tr, int *start_epoch, ptm_error *err) {
    const ptm_train_params *p = tr->p;
    train_state *st = &tr->st;
    *start_epoch = 0;
    st->best_epoch = -1;
    st->best_val = INFINITY;
    snprintf(tr->last_dir, sizeof tr->last_dir, "%s/last", tr->out_dir);
    if (p->resume) {
        int ep = 0;
        ptm_status s = ptmi_train_load_state(tr->last_dir, tr->m, tr->am, tr->av, &ep, &st->step,
                                             &st->best_val, &st->best_epoch, &st->bad_epochs, err);
        if (s != PTM_OK) return s;
        *start_epoch = ep + 1;
        train_log(p, 0, "resume: after epoch %d (step %lld, best val %.6g at epoch %d)", ep + 1,
                  (long long)st->step, st->best_val, st->best_epoch + 1);
    }
    train_log(p, 0,
              "train: %s, %d epochs x %lld steps, batch %d, lr %g (%s), weight decay %g, clip %g, "
              "seed %llu, %d thread%s, kernels %s",
              task_name(tr->t.task), p->epochs, (long long)tr->steps_per_epoch, p->batch_size,
              (double)p->lr,
              p->schedule == PTM_LR_ONECYCLE ? "one-cycle"
              : p->schedule == PTM_LR_COSINE ? "warm-up + cosine"
                                             : "constant",
              (double)p->weight_decay, (double)p->clip_norm, (unsigned long long)p->seed,
              p->num_threads, p->num_threads == 1 ? "" : "s", ptmi_kernels_name());
    return PTM_OK;
}

/* setup, the epochs, the test; res is filled as far as the run got */
static ptm_status train_run(trainer *tr, const char *data_path, ptm_config *cfg,
                            ptm_train_summary *res, ptm_error *err) {
    const ptm_train_params *p = tr->p;
    ptm_status s;
    int epoch = 0;
    if ((s = train_task_setup(&tr->t, cfg, data_path, p, err)) != PTM_OK ||
        (s = setup_model(tr, err)) != PTM_OK || (s = setup_optimizer(tr, err)) != PTM_OK ||
        (s = start_run(tr, &epoch, err)) != PTM_OK)
        return s;
    double t_start = now_sec();
    for (; epoch < p->epochs && (p->max_steps <= 0 || tr->st.step < p->max_steps); epoch++) {
        double loss_sum = 0.0, seconds = 0.0, val = 0.0;
        size_t seen = 0;
        int stop = 0;
        if ((s = train_epoch(tr, epoch, &loss_sum, &seen, &seconds, err)) != PTM_OK ||
            (s = validate(tr, loss_sum, seen, &val, err)) != PTM_OK)
            return s;
        tr->train_time += seconds;
        tr->samples_done += (double)seen;
        if ((s = end_epoch(tr, epoch, loss_sum, seen, seconds, val, &stop, err)) != PTM_OK)
            return s;
        if (stop) {
            epoch++;
            break;
        }
    }
    res->series = tr->t.d.nseries;
    res->series_skipped = tr->t.d.nskipped;
    res->epochs_run = epoch;
    res->best_epoch = tr->st.best_epoch + 1;
    res->best_val = tr->st.best_val;
    res->steps = tr->st.step;
    res->seconds = now_sec() - t_start;
    res->samples_per_sec = tr->train_time > 0 ? tr->samples_done / tr->train_time : 0.0;
    if ((s = test_best(tr, res, err)) != PTM_OK) return s;
    return train_write_model_card(&tr->t, tr->out_dir, data_path, p, res,
                                  ptm_model_num_params(tr->m), err);
}

ptm_status ptm_train_csv(const char *data_path, const char *out_dir, const ptm_train_params *params,
                         ptm_train_summary *summary, ptm_error *err) {
    if (summary) memset(summary, 0, sizeof *summary);
    if (!data_path || !out_dir || !params)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "data_path, out_dir and params are required");
    if ((int)params->task < 0 || (int)params->task > 3)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "task", "unknown task %d", (int)params->task);
    if ((int)params->schedule < 0 || (int)params->schedule > 2)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "schedule", "unknown schedule %d",
                        (int)params->schedule);
    ptm_config cfg;
    ptm_status s = train_config_resolve(params, &cfg, err);
    if (s != PTM_OK) return s;
    if (params->val_every < 0) {
        ptm_config_free(&cfg);
        return ptmi_err(err, PTM_ERR_ARG, NULL, "val_every", "val_every %d must be >= 0",
                        params->val_every);
    }
    if (params->batch_size < 1 || params->epochs < 1) {
        ptm_config_free(&cfg);
        return ptmi_err(err, PTM_ERR_ARG, NULL, "batch_size", "batch size and epochs must be >= 1");
    }
    trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.p = params;
    tr.out_dir = out_dir;
    tr.data_path = data_path;
    ptm_train_summary res;
    memset(&res, 0, sizeof res);
    res.val_mse = res.val_mae = NAN;
    s = train_run(&tr, data_path, &cfg, &res, err);
    if (s == PTM_OK && summary) *summary = res;
    trainer_free(&tr);
    ptm_config_free(&cfg);
    return s;
}
