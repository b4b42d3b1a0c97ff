/* cli.h - what the subcommand files of the `patchtsmixer` tool share (cli.c): the exit codes,
 * error and usage messages, option-value parsing and the output file of a CSV. Each
 * subcommand lives in its own file (info.c, predict.c, train.c, eval.c, backtest.c); main.c
 * dispatches. */
#ifndef PTM_CLI_H
#define PTM_CLI_H
#include <stdio.h>

#include "patchtsmixer.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

int cmd_info(int argc, char **argv);
/* info_ttm.c: the structure of a TinyTimeMixer model in words, or (--json) as one JSON object
 * with its config keys named as in config.json */
void info_ttm(const char *dir, const ptm_model *m);
void info_ttm_json(const char *dir, const ptm_model *m);
/* cli.c: a JSON string literal (null for NULL); a list of ints or null (v NULL) */
void json_str(FILE *f, const char *s);
void json_ints(FILE *f, const int *v, int n);
/* cli.c: a CSV field, quoted (RFC 4180) when a reader could take it otherwise */
void csv_field(FILE *f, const char *s);
/* info.c: parameters Hugging Face counts that are not trained: the frozen sincos table */
int64_t frozen_params(const ptm_config *c);
int cmd_predict(int argc, char **argv);

/* ttm_input.c: predict's TinyTimeMixer options (docs/ttm.md) */
typedef struct {
    const char *target, *exogenous; /* --target A,B / --exogenous C,D, or NULL */
    const char *future;             /* --future FILE.csv, or NULL */
    const char *freq;               /* --freq 1h, or NULL */
    long freq_token;                /* --freq-token N when has_freq_token */
    int has_freq_token;
    int pad; /* --pad: a short input gets zero rows before it (granite-tsfm's ts_padding) */
    const char *static_cat; /* --static-categorical A,B: columns of the static categorical codes */
} ttm_opts;
/* argv[*i] is one of the options above: -2 (consumed, *i past its value), -1 when it is not,
 * else the exit code of a usage error */
int ttm_option(const char *cmd, int argc, char **argv, int *i, ttm_opts *o);
/* usage errors that need the model: -1 to go on, else the exit code */
int ttm_check_options(const char *cmd, const ttm_opts *o, const ptm_config *c, const char *columns);
/* the steps a forecaster writes: prediction_length, or a TinyTimeMixer model's
 * prediction_filter_length when set */
static inline int cli_forecast_steps(const ptm_config *c) {
    return c->family == PTM_FAMILY_TTM && c->ttm.prediction_filter_length > 0
               ? c->ttm.prediction_filter_length
               : c->prediction_length;
}
/* the model mixes in known future values of exogenous channels (forecast channel mixer) */
int ttm_reads_future(const ptm_config *c);
/* the input columns of the channels of a TinyTimeMixer model into colidx (room for the CSV's
 * columns + the model's channels), their number in *count: --columns or every column, or
 * --target and --exogenous placed at the model's exogenous_channel_indices */
ptm_status ttm_channels(const ttm_opts *o, const ptm_config *c, const ptm_csv *t, const char *file,
                        const char *columns, int *colidx, int *count, ptm_error *err);
/* the model reads static categorical values (categorical_vocab_size_list, in its decoder) */
int ttm_reads_categoricals(const ptm_config *c);
/* the channels idx[0 .. *n) without the --static-categorical columns: dropped when the channels
 * were every column (all_cols), else naming one is an error */
ptm_status ttm_drop_static(const ttm_opts *o, const ptm_csv *t, const char *file, int all_cols,
                           int *idx, int *n, ptm_error *err);
/* eval's checks of --static-categorical against MODEL_DIR/config.json: -1 to go on (also when
 * the config does not load: the evaluation reports it), else the exit code */
int ttm_eval_check(const char *dir, const ttm_opts *o);
/* models with static categorical variables: codes [n_cat] from the --static-categorical
 * columns of rows [row0, row0 + nrows) of t, checked against the vocabularies; nothing for
 * other models */
ptm_status ttm_static_codes(const ttm_opts *o, const ptm_config *c, const ptm_csv *t,
                            const char *file, size_t row0, size_t nrows, int64_t *codes,
                            ptm_error *err);
/* the frequency token (0 for models without a prefix): --freq-token, --freq, or the time step
 * of the last rows of t, by granite-tsfm's DEFAULT_FREQUENCY_MAPPING (oov 0, with a warning) */
ptm_status ttm_freq_token(const ttm_opts *o, const ptm_config *c, const ptm_csv *t,
                          const char *file, size_t rows, int64_t *tok, ptm_error *err);
/* models that read known future values: *out [H, C] (malloc'd) with the exogenous channels'
 * next prediction_filter_length (or H) values from --future or, with held rows held out, from
 * the input's rows from held_row; NULL for other models */
ptm_status ttm_future(const ttm_opts *o, const ptm_config *c, int C, const ptm_csv *in,
                      const int *colidx, size_t held_row, size_t held, float **out, ptm_error *err);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_backtest(int argc, char **argv);

/* predict --samples (quantiles.c): n paths sampled (seed) from the last forward of ctx, batch
 * 1, per values each, and their nq quantiles q into *qout (malloc'd, [nq, per]); a progress
 * line on stderr when it is a terminal. 0, or -1 with *err (then *qout may still need free). */
int sample_quantiles(ptm_ctx *ctx, int n, uint64_t seed, size_t per, const float *q, int nq,
                     float **qout, ptm_error *err);

/* print "patchtsmixer: <error>" on stderr, return EXIT_RUNTIME */
int fail_status(const ptm_error *err);
/* print "patchtsmixer CMD: <fmt with arg> (see ...)" on stderr, return EXIT_USAGE */
int fail_usage(const char *cmd, const char *fmt, const char *arg);
/* fill *err (code, file and field may be NULL = "", a printf text) and return code: the
 * command line's own errors, printed like the library's by fail_status */
ptm_status cli_error(ptm_error *err, ptm_status code, const char *file, const char *field,
                     const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* option values: 0 and *out when s is a whole number in [lo, hi], else -1 */
int parse_int(const char *s, long lo, long hi, long *out);
int parse_double(const char *s, double lo, double hi, double *out);
/* a comma-separated list of at most max numbers ("0.1,0.5,0.9"): 0 and *n, else -1 */
int parse_list_f(const char *s, float *out, int max, int *n);
/* a byte count, a whole number with an optional K, M or G suffix (powers of 1024): 0 and
 * *out, else -1 */
int parse_bytes(const char *s, size_t *out);
/* --max-model-memory for the commands whose model the library loads (eval, train --init-from):
 * PTM_ERR_LIMIT when the model in dir would take more than max bytes (0 = no limit), known
 * from dir/config.json alone (ptm_model_memory_bytes) before anything else is read */
ptm_status cli_check_model_memory(const char *dir, size_t max, ptm_error *err);
/* "patchtsmixer CMD ARG..." with the arguments quoted for a POSIX shell where they need it
 * (malloc'd; NULL when out of memory): what a checkpoint records of how it was made */
char *cli_command_line(const char *cmd, int argc, char **argv);
/* index of v in the NULL-terminated names: 0 and *out, else -1 */
int pick_name(const char *v, const char *const *names, int *out);

/* a CSV being written: a file (through ptm_file_writer: it replaces path atomically when
 * closed, and a path that is not a regular file is refused), or standard output for "-" */
typedef struct {
    FILE *f;
    const char *path;
    ptm_file_writer *w; /* NULL for standard output */
} outfile;
/* 0, or -1 with *err filled */
int open_out(outfile *o, const char *path, ptm_error *err);
/* commit the file (or flush standard output) and check that every write succeeded: 0, or -1 */
int close_out(outfile *o, ptm_error *err);
/* give up: the file is not written (the target keeps its old contents) */
void abort_out(outfile *o);
#endif
