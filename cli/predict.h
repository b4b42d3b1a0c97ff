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
} predict_opts;

/* The long-format options at argv[*i]: -1 when argv[*i] is none of them, 0 when it was read
 * (*i moved past its value), else the exit code of a usage error. */
int predict_long_arg(int argc, char **argv, int *i, predict_opts *o);
/* predict on a long-format file (o->long_mode, or ptm_long_sniff says so): every series of
 * o->input forecast, the long-format CSV written; the exit code (docs/cli.md). */
int predict_long(const predict_opts *o, const ptm_model *m, const ptm_preprocessor *pp);
#endif
