/* predict.h - what predict.c shares with predict_long.c (long-format input, many series):
 * the options of a predict command line and the long-format entry points. */
#ifndef PTM_CLI_PREDICT_H
#define PTM_CLI_PREDICT_H
#include "cli.h"

/* the options of a predict command line */
typedef struct {
    const char *dir, *input, *output, *columns, *plot, *plot_columns;
    int holdout;
    size_t max_model; /* --max-model-memory, 0 = no limit */
    long plot_history, samples, seed, threads;
    char delim;
    float quant[64];
    int nq, quant_given;
    /* long format (predict_long.c) */
    int long_mode, strict;                              /* --long (or a column option), --strict */
    const char *id_col, *time_col, *target_col, *alias; /* NULL = unique_id, ds, y, PatchTSMixer */
    float levels[32];                                   /* --levels, in the order given */
    int nlev;
    long batch_size; /* --batch-size: series per forward */
    ttm_opts ttm;    /* TinyTimeMixer's inputs (ttm_input.c) */
} predict_opts;

/* a long-format file on its way through the model (predict_long.c; eval_long.c) */
typedef struct {
    const char *cmd; /* "predict" or "eval", for the messages */
    size_t hold;     /* rows held out at the end of each series (eval: prediction_length) */
    ptm_long lt;
    int *colidx;   /* [C] the value column of each channel */
    int target_fc; /* the forecast channel of the target column */
    size_t *ok;    /* [nok] the series forecast, in file order */
    int64_t *step; /* [nseries] their time steps */
    int64_t *tok;  /* [nok] TinyTimeMixer's frequency token of each series forecast (from its
                      time step; models with a frequency prefix), else NULL */
    size_t nok, nskip;
    size_t bs;    /* series per forward */
    float *qlist; /* [nq] the quantiles sampled: --quantiles written, then lo, hi per level */
    int nq, nqw;  /* all of them, those written as NAME_qQ */
    ptm_ctx *ctx;
} long_job;

/* what is done with each batch's forecasts, in data units: y [nb, H, C'] of the series
 * j->ok[b0 .. b0 + nb), qout [nb, nq, H, C'] with --samples (else NULL); 0, or -1 with *err */
typedef int (*long_sink)(void *arg, const long_job *j, size_t b0, size_t nb, const float *y,
                         const float *qout, ptm_error *err);
/* read o->input, pick the channels and the series that have context_length + j->hold usable
 * rows (each other one gets a line on stderr; none, or any with o->strict, is an error), make
 * the context: 0, or -1 with *err (free j with long_job_free either way) */
int long_prepare(const predict_opts *o, const ptm_model *m, const ptm_preprocessor *pp, long_job *j,
                 ptm_error *err);
/* every series through the model, --batch-size at a time, each batch to sink */
int long_run(const predict_opts *o, const ptm_config *c, const ptm_preprocessor *pp,
             const long_job *j, long_sink sink, void *arg, ptm_error *err);
void long_job_free(long_job *j);

/* the long-format part of `predict --help` */
extern const char *const PREDICT_LONG_USAGE;

/* The long-format options at argv[*i]: -1 when argv[*i] is none of them, 0 when it was read
 * (*i moved past its value), else the exit code of a usage error. */
int predict_long_arg(int argc, char **argv, int *i, predict_opts *o);
/* predict on a long-format file (o->long_mode, or ptm_long_sniff says so): every series of
 * o->input forecast, the long-format CSV written; the exit code (docs/cli.md). */
int predict_long(const predict_opts *o, const ptm_model *m, const ptm_preprocessor *pp);
/* 1 when the model was trained on long-format data (pp->id_column) and input's header has its
 * id and time columns: input is read as long format without --long */
int long_model_sniff(const ptm_preprocessor *pp, const char *input, char delim);
/* eval on a long-format file (eval_long.c): the exit code */
int eval_long(int argc, char **argv);
#endif
