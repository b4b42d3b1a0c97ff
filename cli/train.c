/* train.c - `patchtsmixer train`: flags or a Hugging Face config.json (--config) give the
 * architecture, the data comes from a CSV (forecasting, pretraining) or .ts files
 * (classification, regression); checkpoints are written in Hugging Face format, the loss
 * curves as DIR/loss.csv and DIR/loss.svg (plot.h) after every epoch. The loop itself is
 * the library's ptm_train_csv.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "plot.h"

static const char *TRAIN_USAGE =
    "usage: patchtsmixer train --data FILE --out DIR [options]\n"
    "\n"
    "Trains a PatchTSMixer model and writes Hugging Face checkpoints: DIR/config.json and\n"
    "DIR/model.safetensors hold the best model (lowest validation loss); DIR/last/ holds the\n"
    "latest state with the optimiser, for --resume. Every write is atomic.\n"
    "\n"
    "task and data:\n"
    "  --task T              forecast | classify | regress | pretrain       [forecast]\n"
    "  --data FILE           CSV (forecast, pretrain) or .ts training file (classify, regress)\n"
    "  --test FILE           .ts test file (classify, regress)\n"
    "  --columns A,B,...     CSV columns to use as channels                   [all numeric]\n"
    "                        CSV split: ETTh*/ETTm* files 12/4/4 months, others 70/10/20 %;\n"
    "                        StandardScaler fitted on the training rows\n"
    "long format (many series, statsforecast's unique_id,ds,y[,covariates]; detected from the\n"
    "header): each series split by itself (its last prediction-length rows test, the ones\n"
    "before validate, the rest trains: context + 3 x prediction-length rows needed); a series\n"
    "too short or with a time gap is skipped with one line; one scaler over all training parts\n"
    "  --long                read --data as long format whatever its header\n"
    "  --id-column NAME  [unique_id]  --time-column NAME  [ds]  --target-column NAME  [y]\n"
    "                        (each implies --long; --columns picks among the value columns)\n"
    "model (or --config FILE, a Hugging Face config.json; flags override it):\n"
    "  --context-length N    [512]     --prediction-length N  [96]\n"
    "  --patch-length N      [8]       --patch-stride N       [patch length]\n"
    "  --d-model N           [16]      --num-layers N         [4]\n"
    "  --expansion-factor N  [2]       --mode M               common_channel | mix_channel\n"
    "  --gated-attn 0|1      [1]       --norm N               LayerNorm | BatchNorm\n"
    "  --self-attn-heads N   enable self-attention with N heads\n"
    "  --positional-encoding sincos | random (enables it)\n"
    "  --scaling S           std | mean | none                               [std]\n"
    "  --loss L              mse | nll   --distribution D  student_t | normal | negative_binomial\n"
    "                        TinyTimeMixer: mse | mae | pinball | huber (quantile and\n"
    "                        huber_delta from --config) [mse]\n"
    "  --head-aggregation A  max_pool | avg_pool | use_last | none           [max_pool]\n"
    "  --dropout P [0.2]     --head-dropout P [0.2]\n"
    "  --mask-type T         random | forecast (pretrain)   --mask-ratio R [0.4]\n"
    "  --init-from DIR       start from a (pretrained) checkpoint's backbone\n"
    "  --max-model-memory BYTES  refuse an --init-from model that takes more memory\n"
    "  --freeze-backbone     train the head only (linear probing; TinyTimeMixer: the decoder\n"
    "                        and the head, as granite-tsfm's notebooks)\n"
    "  --few-shot F          train on a fraction F of the training windows, drawn by --seed\n"
    "  --static-categorical A,B  TinyTimeMixer with categorical_vocab_size_list: columns of\n"
    "                        the series' integer codes (one per column; not channels)\n"
    "optimisation:\n"
    "  --epochs N [10]  --batch-size N [64]  --lr X [0.001]  --weight-decay X [0]\n"
    "  --clip X [1.0, 0 = off]  --schedule onecycle|cosine|constant [onecycle]  --warmup F [0.1]\n"
    "  --patience N [5]  --seed N [42]  --max-steps N [0 = no limit]\n"
    "  --val-every N       also validate every N steps within an epoch, saving a better\n"
    "                      model there too (data that overfits in an epoch or two) [0 = off]\n"
    "  --threads N         worker threads [all cores]; results do not depend on it\n"
    "output:\n"
    "  --out DIR           checkpoint folder                                   [required]\n"
    "  --resume            continue from DIR/last\n"
    "  --quiet             no progress or log lines (errors only)\n"
    "  after every epoch DIR/loss.csv (epoch,train_loss,val_loss) and DIR/loss.svg (the\n"
    "  loss curves) are rewritten; with --resume they continue the earlier run's\n"
    "\n"
    "example: patchtsmixer train --data data/ETTh2.csv --out runs/etth2 --epochs 10\n";

typedef struct {
    int quiet, tty, progress_shown;
    loss_history *losses; /* loss curves written to out_dir after every epoch */
    const char *out_dir;
} log_state;

/* after every epoch: DIR/loss.csv and DIR/loss.svg (a failure to draw is reported once and
 * does not stop training) */
static void on_epoch(void *user, int epoch, double train_loss, double val_loss) {
    log_state *ls = user;
    if (!ls->losses) return;
    ptm_error err;
    if (loss_history_add(ls->losses, ls->out_dir, epoch, train_loss, val_loss, &err) != 0) {
        if (ls->progress_shown) fprintf(stderr, "\r\033[K");
        ls->progress_shown = 0;
        char msg[2048];
        fprintf(stderr, "patchtsmixer train: %s (training goes on)\n",
                ptm_error_message(&err, msg, sizeof msg));
        ls->losses = NULL;
    }
}

static void log_line(void *user, int progress, const char *line) {
    log_state *ls = user;
    if (ls->quiet) return;
    if (progress) {
        if (!ls->tty) return;
        fprintf(stderr, "\r\033[K%s", line);
        ls->progress_shown = 1;
        return;
    }
    if (ls->progress_shown) fprintf(stderr, "\r\033[K");
    ls->progress_shown = 0;
    fprintf(stderr, "%s\n", line);
}

/* long format: a skipped series; the log says it too, so only --quiet needs this line */
static void on_skipped(void *user, const char *series_id, const char *reason) {
    const log_state *ls = user;
    if (ls->quiet)
        fprintf(stderr, "patchtsmixer train: skipped series '%s': %s\n", series_id, reason);
}

/* the architecture flags, applied after --config in command-line order */
typedef struct {
    const char *flag, *value;
} model_flag;

typedef struct {
    const char *config_path;
    model_flag flags[64];
    int nflags;
} model_flags;

/* the task, data and optimisation flags into *job, the model flags into *mf; -1 to go on,
 * else the exit code */
/* what ptm_train_csv takes */
typedef struct {
    ptm_train_params p;
    const char *data_path, *out_dir;
    size_t max_model;   /* --max-model-memory for --init-from, 0 = no limit */
    int long_mode;      /* --long or a column option given */
    ptm_long_params lp; /* the long format's columns (NULL names: statsforecast's) */
} train_job;

/* --id-column, --time-column, --target-column: 0 when a is one (it implies --long), -1 when it
 * is none, else the exit code of a usage error */
static int long_column(const char *a, const char *v, train_job *job) {
    if (strcmp(a, "--id-column") && strcmp(a, "--time-column") && strcmp(a, "--target-column"))
        return -1;
    if (!v[0]) return fail_usage("train", "option '%s' needs a non-empty name", a);
    *(a[2] == 'i'   ? &job->lp.id_column
      : a[3] == 'i' ? &job->lp.time_column
                    : &job->lp.target_column) = v;
    job->long_mode = 1;
    return 0;
}

/* long format: asked for, or --data's header has the id and time columns (forecast and
 * pretrain); -1 to go on, else the exit code */
static int long_mode(train_job *job) {
    int series = job->p.task == PTM_TRAIN_FORECAST || job->p.task == PTM_TRAIN_PRETRAIN;
    if (!job->long_mode && series) job->long_mode = ptm_long_sniff(job->data_path, &job->lp);
    if (job->long_mode && !series)
        return fail_usage("train", "long-format data is for --task forecast or pretrain%s", "");
    if (job->long_mode) job->p.long_format = &job->lp;
    return -1;
}

static int train_args(int argc, char **argv, train_job *job, log_state *ls, model_flags *mf) {
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(TRAIN_USAGE, stdout);
            return 0;
        }
        if (strcmp(a, "--resume") == 0) {
            job->p.resume = 1;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            ls->quiet = 1;
            continue;
        }
        if (strcmp(a, "--freeze-backbone") == 0) {
            job->p.freeze_backbone = 1;
            continue;
        }
        if (strcmp(a, "--long") == 0) {
            job->long_mode = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) return fail_usage("train", "unexpected argument '%s'", a);
        if (i + 1 >= argc) return fail_usage("train", "option '%s' needs a value", a);
        const char *v = argv[++i];
        long iv;
        double fv;
        static const char *const tasks[] = {"forecast", "classify", "regress", "pretrain", NULL};
        static const char *const scheds[] = {"constant", "cosine", "onecycle", NULL};
        int e;
        if (strcmp(a, "--task") == 0) {
            if (pick_name(v, tasks, &e))
                return fail_usage(
                    "train", "--task '%s': expected forecast, classify, regress or pretrain", v);
            job->p.task = (ptm_train_task)e;
        } else if (strcmp(a, "--data") == 0)
            job->data_path = v;
        else if (strcmp(a, "--test") == 0)
            job->p.test_path = v;
        else if ((e = long_column(a, v, job)) >= 0) {
            if (e > 0) return e;
        } else if (strcmp(a, "--columns") == 0)
            job->p.columns = v;
        else if (strcmp(a, "--config") == 0)
            mf->config_path = v;
        else if (strcmp(a, "--init-from") == 0)
            job->p.init_from = v;
        else if (strcmp(a, "--static-categorical") == 0)
            job->p.static_categorical_columns = v;
        else if (strcmp(a, "--few-shot") == 0) {
            if (parse_double(v, 1e-9, 0.999999, &fv))
                return fail_usage("train", "--few-shot '%s': expected a fraction in (0, 1)", v);
            job->p.few_shot = (float)fv;
        } else if (strcmp(a, "--max-model-memory") == 0) {
            if (parse_bytes(v, &job->max_model) != 0)
                return fail_usage("train", "--max-model-memory '%s': expected a byte count", v);
        } else if (strcmp(a, "--out") == 0)
            job->out_dir = v;
        else if (strcmp(a, "--epochs") == 0) {
            if (parse_int(v, 1, 100000, &iv))
                return fail_usage("train", "--epochs '%s': expected an integer >= 1", v);
            job->p.epochs = (int)iv;
        } else if (strcmp(a, "--batch-size") == 0) {
            if (parse_int(v, 1, 65536, &iv))
                return fail_usage("train", "--batch-size '%s': expected an integer in [1, 65536]",
                                  v);
            job->p.batch_size = (int)iv;
        } else if (strcmp(a, "--lr") == 0) {
            if (parse_double(v, 1e-12, 10.0, &fv))
                return fail_usage("train", "--lr '%s': expected a number in (0, 10]", v);
            job->p.lr = (float)fv;
        } else if (strcmp(a, "--weight-decay") == 0) {
            if (parse_double(v, 0.0, 10.0, &fv))
                return fail_usage("train", "--weight-decay '%s': expected a number in [0, 10]", v);
            job->p.weight_decay = (float)fv;
        } else if (strcmp(a, "--clip") == 0) {
            if (parse_double(v, 0.0, 1e9, &fv))
                return fail_usage("train", "--clip '%s': expected a number >= 0", v);
            job->p.clip_norm = (float)fv;
        } else if (strcmp(a, "--schedule") == 0) {
            if (pick_name(v, scheds, &e))
                return fail_usage("train", "--schedule '%s': expected onecycle, cosine or constant",
                                  v);
            job->p.schedule = (ptm_lr_schedule)e;
        } else if (strcmp(a, "--warmup") == 0) {
            if (parse_double(v, 0.0, 1.0, &fv))
                return fail_usage("train", "--warmup '%s': expected a fraction in [0, 1]", v);
            job->p.warmup_frac = (float)fv;
        } else if (strcmp(a, "--patience") == 0) {
            if (parse_int(v, 0, 100000, &iv))
                return fail_usage("train", "--patience '%s': expected an integer >= 0", v);
            job->p.patience = (int)iv;
        } else if (strcmp(a, "--val-every") == 0) {
            if (parse_int(v, 0, 2147483647L, &iv))
                return fail_usage("train", "--val-every '%s': expected an integer >= 0", v);
            job->p.val_every = (int)iv;
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_int(v, 0, 2147483647L, &iv))
                return fail_usage("train", "--seed '%s': expected a non-negative integer", v);
            job->p.seed = (uint64_t)iv;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_int(v, 1, 256, &iv))
                return fail_usage("train", "--threads '%s': expected an integer in [1, 256]", v);
            job->p.num_threads = (int)iv;
        } else if (strcmp(a, "--max-steps") == 0) {
            if (parse_int(v, 0, 2147483647L, &iv))
                return fail_usage("train", "--max-steps '%s': expected a non-negative integer", v);
            job->p.max_steps = iv;
        } else {
            if (mf->nflags >= 64) return fail_usage("train", "too many options at '%s'", a);
            mf->flags[mf->nflags].flag = a;
            mf->flags[mf->nflags].value = v;
            mf->nflags++;
        }
    }
    if (!job->data_path) return fail_usage("train", "%smissing --data FILE", "");
    if (!job->out_dir) return fail_usage("train", "%smissing --out DIR", "");
    return long_mode(job);
}

/* the integer architecture flags; 1 when a is one (applied, *stride_set updated), 0 when it
 * is not, or the exit code of a usage error (2) */
static int int_flag(ptm_config *c, const char *a, const char *v, int *stride_set) {
    struct {
        const char *flag;
        int *dst;
        long lo, hi;
    } ints[] = {{"--context-length", &c->context_length, 2, 1 << 22},
                {"--prediction-length", &c->prediction_length, 1, 1 << 20},
                {"--patch-length", &c->patch_length, 1, 1 << 20},
                {"--patch-stride", &c->patch_stride, 1, 1 << 20},
                {"--d-model", &c->d_model, 1, 1 << 14},
                {"--num-layers", &c->num_layers, 1, 256},
                {"--expansion-factor", &c->expansion_factor, 1, 64},
                {"--gated-attn", &c->gated_attn, 0, 1}};
    for (size_t q = 0; q < sizeof ints / sizeof ints[0]; q++) {
        if (strcmp(a, ints[q].flag) != 0) continue;
        long iv;
        if (parse_int(v, ints[q].lo, ints[q].hi, &iv)) {
            char msg[128];
            snprintf(msg, sizeof msg, "%s '%%s': expected an integer in [%ld, %ld]", a, ints[q].lo,
                     ints[q].hi);
            return fail_usage("train", msg, v);
        }
        *ints[q].dst = (int)iv;
        if (strcmp(a, "--patch-stride") == 0) *stride_set = 1;
        return 1;
    }
    return 0;
}

/* one named or real-valued architecture flag; -1 when applied, else the exit code */
static int named_flag(ptm_config *c, const char *a, const char *v) {
    static const char *const modes[] = {"common_channel", "mix_channel", NULL};
    static const char *const norms[] = {"LayerNorm", "BatchNorm", NULL};
    static const char *const scal[] = {"none", "std", "mean", NULL};
    static const char *const loss_names[] = {"mse", "nll", "mae", "pinball", "huber", NULL};
    static const char *const dists[] = {"student_t", "normal", "negative_binomial", NULL};
    static const char *const aggs[] = {"none", "max_pool", "avg_pool", "use_last", NULL};
    static const char *const pes[] = {"sincos", "random", NULL};
    static const char *const masks[] = {"random", "forecast", NULL};
    long iv;
    double fv;
    int e;
    if (strcmp(a, "--mode") == 0) {
        if (pick_name(v, modes, &e))
            return fail_usage("train", "--mode '%s': expected common_channel or mix_channel", v);
        c->mode = (ptm_mode)e;
    } else if (strcmp(a, "--norm") == 0) {
        if (pick_name(v, norms, &e))
            return fail_usage("train", "--norm '%s': expected LayerNorm or BatchNorm", v);
        c->norm_mlp = (ptm_norm)e;
    } else if (strcmp(a, "--scaling") == 0) {
        if (pick_name(v, scal, &e))
            return fail_usage("train", "--scaling '%s': expected std, mean or none", v);
        c->scaling = (ptm_scaling)e;
    } else if (strcmp(a, "--loss") == 0) {
        if (pick_name(v, loss_names, &e))
            return fail_usage("train", "--loss '%s': expected mse, nll, mae, pinball or huber", v);
        c->loss = (ptm_loss)e;
    } else if (strcmp(a, "--distribution") == 0) {
        if (pick_name(v, dists, &e))
            return fail_usage(
                "train", "--distribution '%s': expected student_t, normal or negative_binomial", v);
        c->distribution_output = (ptm_dist)e;
    } else if (strcmp(a, "--head-aggregation") == 0) {
        if (pick_name(v, aggs, &e))
            return fail_usage(
                "train", "--head-aggregation '%s': expected max_pool, avg_pool, use_last or none",
                v);
        c->head_aggregation = (ptm_agg)e;
    } else if (strcmp(a, "--positional-encoding") == 0) {
        if (pick_name(v, pes, &e))
            return fail_usage("train", "--positional-encoding '%s': expected sincos or random", v);
        c->use_positional_encoding = 1;
        c->positional_encoding_type = (ptm_pe)e;
    } else if (strcmp(a, "--self-attn-heads") == 0) {
        if (parse_int(v, 1, 1024, &iv))
            return fail_usage("train", "--self-attn-heads '%s': expected an integer >= 1", v);
        c->self_attn = 1;
        c->self_attn_heads = (int)iv;
    } else if (strcmp(a, "--dropout") == 0 || strcmp(a, "--head-dropout") == 0) {
        if (parse_double(v, 0.0, 0.95, &fv))
            return fail_usage("train", "dropout '%s': expected a probability in [0, 0.95]", v);
        if (a[2] == 'h')
            c->head_dropout = (float)fv;
        else
            c->dropout = (float)fv;
    } else if (strcmp(a, "--mask-type") == 0) {
        if (pick_name(v, masks, &e))
            return fail_usage("train", "--mask-type '%s': expected random or forecast", v);
        c->mask_type = (ptm_mask_type)e;
    } else if (strcmp(a, "--mask-ratio") == 0) {
        if (parse_double(v, 0.0, 0.99, &fv))
            return fail_usage("train", "--mask-ratio '%s': expected a number in [0, 1)", v);
        c->random_mask_ratio = fv;
    } else {
        return fail_usage("train", "unknown option '%s'", a);
    }
    return -1;
}

/* the architecture: our defaults, or --config read with the task's class, then the model
 * flags; -1 to go on, else the exit code */
static int train_config(ptm_config *c, ptm_class cls, const model_flags *mf) {
    int stride_set = 0;
    if (mf->config_path) {
        ptm_error err;
        ptm_config fc;
        if (ptm_config_load(mf->config_path, (int)cls, &fc, &err) != PTM_OK)
            return fail_status(&err);
        ptm_config_free(c);
        *c = fc;
        stride_set = 1;
    }
    for (int k = 0; k < mf->nflags; k++) {
        const char *a = mf->flags[k].flag, *v = mf->flags[k].value;
        int r = int_flag(c, a, v, &stride_set);
        if (r == 1) continue;
        if (r != 0) return r;
        if ((r = named_flag(c, a, v)) >= 0) return r;
    }
    if (!stride_set) c->patch_stride = c->patch_length;
    return -1;
}

/* the closing summary on stderr (unless --quiet) */
static void train_report(const train_job *job, const ptm_train_summary *res) {
    fprintf(stderr,
            "done: %d epochs, %lld steps, best epoch %d (val loss %.6f), %.1f s, %.0f samples/s\n",
            res->epochs_run, (long long)res->steps, res->best_epoch, res->best_val, res->seconds,
            res->samples_per_sec);
    if (isfinite(res->val_mse))
        fprintf(stderr, "val: MSE %.6f  MAE %.6f (scaled space, the saved model)\n", res->val_mse,
                res->val_mae);
    int by_case = job->p.task == PTM_TRAIN_CLASSIFY || job->p.task == PTM_TRAIN_REGRESS;
    if (by_case && !job->p.test_path)
        fprintf(stderr,
                "test: none (no --test FILE.ts given; score the checkpoint on held-out "
                "cases with `patchtsmixer eval %s --data FILE.ts`)\n",
                job->out_dir);
    else if (job->p.task == PTM_TRAIN_CLASSIFY)
        fprintf(stderr, "test: accuracy %.4f (majority-class baseline %.4f)\n", res->test_accuracy,
                res->baseline_accuracy);
    else if (job->p.task == PTM_TRAIN_REGRESS)
        fprintf(stderr,
                "test: MSE %.6g  MAE %.6g  RMSE %.6g (baseline: training mean, "
                "MSE %.6g  MAE %.6g  RMSE %.6g)\n",
                res->test_mse, res->test_mae, sqrt(res->test_mse), res->baseline_mse,
                res->baseline_mae, sqrt(res->baseline_mse));
    else if (job->p.task == PTM_TRAIN_PRETRAIN)
        fprintf(stderr, "test: reconstruction loss %.6f\n", res->test_mse);
    else
        fprintf(stderr,
                "test: MSE %.6f  MAE %.6f (scaled space; repeat-last-value baseline "
                "MSE %.6f  MAE %.6f)\n",
                res->test_mse, res->test_mae, res->baseline_mse, res->baseline_mae);
    if (job->long_mode)
        fprintf(stderr, "series: %zu trained on, %zu skipped%s\n", res->series, res->series_skipped,
                res->series_skipped ? " (reasons above)" : "");
    fprintf(stderr, "checkpoint: %s\n", job->out_dir);
}

int cmd_train(int argc, char **argv) {
    train_job job;
    job.p = ptm_train_default_params();
    job.data_path = job.out_dir = NULL;
    job.max_model = 0;
    job.long_mode = 0;
    memset(&job.lp, 0, sizeof job.lp);
    ptm_config cfg;
    ptm_config_defaults(&cfg);
    ptm_config *c = &cfg;
    /* our defaults: the paper's seed configuration for ETT */
    c->context_length = 512;
    c->prediction_length = 96;
    c->patch_length = 8;
    c->patch_stride = 8;
    c->d_model = 16;
    c->num_layers = 4;
    c->random_mask_ratio = 0.4;
    log_state ls = {0, isatty(2), 0, NULL, NULL};
    loss_history losses = {0, 0, NULL, NULL, NULL, NULL};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    job.p.num_threads = ncpu > 1 ? (int)(ncpu > 64 ? 64 : ncpu) : 1;
    model_flags mf;
    memset(&mf, 0, sizeof mf);
    int rc = train_args(argc, argv, &job, &ls, &mf);
    static const ptm_class cls[] = {PTM_CLASS_PREDICTION, PTM_CLASS_CLASSIFICATION,
                                    PTM_CLASS_REGRESSION, PTM_CLASS_PRETRAINING};
    if (rc < 0) rc = train_config(c, cls[job.p.task], &mf);
    if (rc >= 0) {
        ptm_config_free(c);
        return rc;
    }
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_train_summary res;
    job.p.log = log_line;
    job.p.user = &ls;
    job.p.on_epoch = on_epoch;
    job.p.on_skipped = on_skipped;
    ls.losses = &losses;
    ls.out_dir = job.out_dir;
    if (job.p.resume) loss_history_read(&losses, job.out_dir);
    job.p.config = c;
    char *command = cli_command_line("train", argc, argv);
    job.p.command = command;
    ptm_status s =
        job.p.init_from ? cli_check_model_memory(job.p.init_from, job.max_model, &err) : PTM_OK;
    if (s == PTM_OK && (!command || loss_history_set_command(&losses, command) != 0))
        s = cli_error(&err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    if (s == PTM_OK) s = ptm_train_csv(job.data_path, job.out_dir, &job.p, &res, &err);
    if (ls.progress_shown) fprintf(stderr, "\r\033[K");
    if (s != PTM_OK) {
        rc = fail_status(&err);
    } else {
        if (!ls.quiet) train_report(&job, &res);
        rc = 0;
    }
    loss_history_free(&losses);
    ptm_config_free(c);
    free(command);
    return rc;
}
