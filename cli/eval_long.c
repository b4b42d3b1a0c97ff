/* eval_long.c - `patchtsmixer eval MODEL_DIR --data LONG.csv`: a forecaster on many series in
 * long format (predict_long.c reads them): the last prediction_length rows of each series are
 * held out and forecast from the context_length rows before them, and the target column's
 * errors give MSE and MAE per series (--per-series FILE.csv) and over all held-out values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predict.h"

static const char *EVAL_LONG_USAGE =
    "usage: patchtsmixer eval MODEL_DIR --data LONG.csv [options]   (long format)\n"
    "\n"
    "A long-format file (unique_id, ds, y, covariates; see `patchtsmixer predict --help`):\n"
    "the last prediction_length rows of each series are held out and forecast from the\n"
    "context_length rows before them; MSE and MAE of the target column in the data's units,\n"
    "over all held-out values and, with --per-series, for each series. A series without\n"
    "context_length + prediction_length usable rows is skipped with one line on stderr.\n"
    "  --long, --id-column NAME, --time-column NAME, --target-column NAME, --columns A,B,\n"
    "  --batch-size N, --threads N, --strict, --max-model-memory BYTES: as for predict\n"
    "  --per-series FILE   write unique_id,values,mse,mae per series ('-' = standard output)\n"
    "  --json              print the totals as one JSON object\n";

/* the sums of one series and of all */
typedef struct {
    const ptm_config *c;
    double *se, *ae; /* [nok] per series */
    size_t *n;       /* [nok] held-out values observed */
} eval_sums;

/* the sink: errors of the target channel against the held-out rows */
static int add_errors(void *arg, const long_job *j, size_t b0, size_t nb, const float *y,
                      const float *qout, ptm_error *err) {
    eval_sums *es = arg;
    int H = es->c->prediction_length, Cs = es->c->num_prediction_channels;
    const ptm_csv *tab = &j->lt.table;
    size_t col = (size_t)j->lt.target;
    for (size_t b = 0; b < nb; b++) {
        size_t k = b0 + b, r0 = j->lt.start[j->ok[k] + 1] - j->hold;
        for (int t = 0; t < H; t++) {
            size_t cell = (r0 + (size_t)t) * tab->ncols + col;
            if (tab->observed[cell] <= 0.0f) continue;
            double d = (double)y[(b * H + (size_t)t) * Cs + (size_t)j->target_fc] -
                       (double)tab->values[cell];
            es->se[k] += d * d;
            es->ae[k] += fabs(d);
            es->n[k]++;
        }
    }
    return 0;
}

/* the options; -1 to go on, else the exit code */
static int eval_long_args(int argc, char **argv, predict_opts *o, const char **per, int *json) {
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->long_mode = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(EVAL_LONG_USAGE, stdout);
            return 0;
        }
        int lrc = predict_long_arg(argc, argv, &i, o);
        if (lrc > 0) return lrc;
        if (lrc == 0) continue;
        if (strcmp(a, "--json") == 0) {
            *json = 1;
            continue;
        }
        if (strcmp(a, "--data") == 0 || strcmp(a, "--columns") == 0 ||
            strcmp(a, "--per-series") == 0 || strcmp(a, "--threads") == 0 ||
            strcmp(a, "--max-model-memory") == 0) {
            if (i + 1 >= argc) return fail_usage("eval", "option '%s' needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--data") == 0)
                o->input = v;
            else if (strcmp(a, "--columns") == 0)
                o->columns = v;
            else if (strcmp(a, "--per-series") == 0)
                *per = v;
            else if (strcmp(a, "--threads") == 0 ? parse_int(v, 1, 256, &o->threads) != 0
                                                 : parse_bytes(v, &o->max_model) != 0)
                return fail_usage("eval", "'%s' is not a valid value here", v);
            continue;
        }
        if (a[0] == '-' && a[1])
            return fail_usage("eval", "unknown option '%s' (with long-format data)", a);
        if (o->dir) return fail_usage("eval", "unexpected argument '%s'", a);
        o->dir = a;
    }
    if (!o->dir) return fail_usage("eval", "%smissing MODEL_DIR", "");
    if (!o->input) return fail_usage("eval", "%smissing --data FILE", "");
    if (o->nlev || o->alias)
        return fail_usage("eval", "--levels and --alias are options of predict%s", "");
    return -1;
}

/* the per-series CSV and the totals */
static int eval_long_report(const long_job *j, const eval_sums *es, const char *per, int json,
                            ptm_error *err) {
    double se = 0.0, ae = 0.0;
    size_t n = 0;
    for (size_t k = 0; k < j->nok; k++) {
        se += es->se[k];
        ae += es->ae[k];
        n += es->n[k];
    }
    if (per) {
        outfile out;
        if (open_out(&out, per, err) != 0) return -1;
        fprintf(out.f, "%s,values,mse,mae\n", j->lt.id_colname);
        for (size_t k = 0; k < j->nok; k++) {
            double d = es->n[k] ? (double)es->n[k] : (double)NAN;
            fprintf(out.f, "%s,%zu,%.9g,%.9g\n", j->lt.ids[j->ok[k]], es->n[k], es->se[k] / d,
                    es->ae[k] / d);
        }
        if (close_out(&out, err) != 0) return -1;
    }
    double d = n ? (double)n : (double)NAN;
    const char *y = j->lt.table.colnames[j->lt.target];
    if (json)
        printf("{\"series\": %zu, \"skipped\": %zu, \"values\": %zu, \"mse\": %.9g, \"mae\": "
               "%.9g}\n",
               j->nok, j->nskip, n, se / d, ae / d);
    else
        printf("%zu series (last %zu rows of each held out), %zu skipped\nMSE %.6g  MAE %.6g  "
               "(column %s, original units, %zu values)\n",
               j->nok, j->hold, j->nskip, se / d, ae / d, y, n);
    return 0;
}

int eval_long(int argc, char **argv) {
    predict_opts o;
    const char *per = NULL;
    int json = 0, rc = eval_long_args(argc, argv, &o, &per, &json);
    if (rc >= 0) return rc;
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_model *m = NULL;
    ptm_preprocessor pp;
    memset(&pp, 0, sizeof pp);
    long_job j;
    memset(&j, 0, sizeof j);
    eval_sums es;
    memset(&es, 0, sizeof es);
    ptm_load_params lp = ptm_load_default_params();
    lp.max_bytes = o.max_model;
    if (ptm_model_load_ex(o.dir, &lp, &m, &err) != PTM_OK) goto fail;
    const ptm_config *c = ptm_model_config(m);
    if (c->model_class != PTM_CLASS_PREDICTION) {
        rc = fail_usage("eval",
                        "long-format data is for forecasters "
                        "(PatchTSMixerForPrediction)%s",
                        "");
        goto done;
    }
    if (ptm_preprocessor_load(o.dir, &pp, &err) != PTM_OK) goto fail;
    j.cmd = "eval";
    j.hold = (size_t)c->prediction_length;
    if (long_prepare(&o, m, &pp, &j, &err) != 0) goto fail;
    es.c = c;
    es.se = calloc(j.nok, sizeof(double));
    es.ae = calloc(j.nok, sizeof(double));
    es.n = calloc(j.nok, sizeof(size_t));
    if (!es.se || !es.ae || !es.n) {
        cli_error(&err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
        goto fail;
    }
    if (long_run(&o, c, &pp, &j, add_errors, &es, &err) != 0 ||
        eval_long_report(&j, &es, per, json, &err) != 0)
        goto fail;
    rc = 0;
    goto done;
fail:
    rc = fail_status(&err);
done:
    free(es.se);
    free(es.ae);
    free(es.n);
    long_job_free(&j);
    ptm_preprocessor_free(&pp);
    ptm_model_free(m);
    return rc;
}
