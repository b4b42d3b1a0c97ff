/* backtest.c - `patchtsmixer backtest MODEL_DIR --data FILE`: rolling-origin evaluation of a
 * forecaster (ptm_backtest_file): origins every --stride rows over a split or a row range,
 * metrics per series and over all of them (MSE, MAE, RMSE, MASE, sMAPE; CRPS and interval
 * coverage for distribution heads) as a table, --json, a CSV of one row per origin and series
 * (--output) and an SVG of a metric per origin (--plot, svg.h).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "svg.h"

static const char *BACKTEST_USAGE =
    "usage: patchtsmixer backtest MODEL_DIR --data FILE.csv [--columns A,B]\n"
    "                             [--split test|val|train | --start ROW [--end ROW]]\n"
    "                             [--stride N] [--season P] [--samples N] [--quantiles 0.1,0.9]\n"
    "                             [--seed S] [--json] [--output FILE.csv]\n"
    "                             [--plot FILE.svg [--plot-metric NAME]]\n"
    "       patchtsmixer backtest MODEL_DIR --data LONG.csv [--windows N] [--stride N] ...\n"
    "\n"
    "Rolling-origin evaluation of a forecaster: an origin every N rows (--stride, default the\n"
    "horizon) over the rows of a split (the standard split of train and eval, default test) or\n"
    "the rows [--start, --end) (0-based data rows; --end defaults to the end of the file), each\n"
    "forecasting prediction_length rows from the context_length rows before it; the data are\n"
    "read as eval reads them (the model's preprocessor: columns by name, its scaler).\n"
    "Metrics per series and 'all' (the mean over series), in the data's units: MSE, MAE, RMSE,\n"
    "MASE (the MAE over the in-sample MAE of the seasonal naive forecast of period P on the\n"
    "training split, --season, default 1), sMAPE in % (M4: 200/H sum |y-f| / (|y|+|f|)), and\n"
    "MSE / MAE in the model's scaled space. Distribution heads (loss nll) add the CRPS of N\n"
    "sampled paths (--samples, default 100; --seed) and the coverage of the intervals of\n"
    "--quantiles (pairs from the outside in: 0.05,0.1,0.9,0.95 -> 90 % and 80 %; default\n"
    "0.1,0.9).\n"
    "--json prints one object (per-series and all); --output FILE.csv writes one row per origin\n"
    "and series (unique_id, cutoff, the metrics), '-' for standard output; --plot FILE.svg draws\n"
    "a metric per origin, one panel per series (--plot-metric, default mae).\n"
    "--max-model-memory BYTES refuses a model that takes more memory (K, M, G suffixes).\n"
    "\n"
    "Long format (many series: a header with unique_id and ds, as predict reads it): each\n"
    "series gets --windows N origins (default 1), the last forecasting its last\n"
    "prediction_length rows, each earlier one --stride rows before (statsforecast's\n"
    "cross_validation); metrics of the target column per series id; MASE's scale from each\n"
    "series' rows before its first forecast; a series without context_length +\n"
    "prediction_length + (N - 1) * stride usable rows is skipped with one line on stderr.\n"
    "  --long, --id-column NAME, --time-column NAME, --target-column NAME: as for predict\n"
    "\n"
    "example: patchtsmixer backtest models/etth1 --data data/ETTh1.csv --season 24 --json\n";

/* the metrics of a row, by index: the 7 of every forecaster, then CRPS and the coverages of a
 * distribution head */
enum { N_POINT = 7 };
static const char *const POINT_NAMES[N_POINT] = {"mse",   "mae",        "rmse",      "mase",
                                                 "smape", "mse_scaled", "mae_scaled"};
static const size_t POINT_OFF[N_POINT] = {
    offsetof(ptm_metrics, mse),       offsetof(ptm_metrics, mae),
    offsetof(ptm_metrics, rmse),      offsetof(ptm_metrics, mase),
    offsetof(ptm_metrics, smape),     offsetof(ptm_metrics, mse_scaled),
    offsetof(ptm_metrics, mae_scaled)};

static int n_metrics(const ptm_backtest_result *r) {
    return N_POINT + (r->distribution ? 1 + r->nintervals : 0);
}

static double metric_at(const ptm_metrics *m, int i) {
    if (i < N_POINT) {
        double v;
        memcpy(&v, (const char *)m + POINT_OFF[i], sizeof v);
        return v;
    }
    return i == N_POINT ? m->crps : m->coverage[i - N_POINT - 1];
}

/* "coverage_80" for a central interval (hi = 1 - lo), else "coverage_0.05_0.9" */
static void metric_name(const ptm_backtest_result *r, int i, char *buf, size_t n) {
    if (i < N_POINT) {
        snprintf(buf, n, "%s", POINT_NAMES[i]);
        return;
    }
    if (i == N_POINT) {
        snprintf(buf, n, "crps");
        return;
    }
    float lo = r->lo_q[i - N_POINT - 1], hi = r->hi_q[i - N_POINT - 1];
    if (fabsf(lo + hi - 1.0f) < 1e-6f)
        snprintf(buf, n, "coverage_%g", (double)roundf((hi - lo) * 1e4f) / 100.0);
    else
        snprintf(buf, n, "coverage_%g_%g", (double)lo, (double)hi);
}

/* a JSON number, null when not finite */
static void json_num(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

static void json_metrics(FILE *f, const ptm_backtest_result *r, const ptm_metrics *m) {
    fprintf(f, "\"points\": %zu", m->points);
    for (int i = 0; i < n_metrics(r); i++) {
        char name[64];
        metric_name(r, i, name, sizeof name);
        fprintf(f, ", \"%s\": ", name);
        json_num(f, metric_at(m, i));
    }
}

static void print_json(const char *dir, const char *data, const char *split,
                       const ptm_backtest_result *r, int samples) {
    fputs("{\"model\": ", stdout);
    json_str(stdout, dir);
    fputs(", \"data\": ", stdout);
    json_str(stdout, data);
    if (r->long_format) {
        printf(", \"format\": \"long\", \"windows\": %zu, \"skipped\": [", r->norigins);
        for (size_t k = 0; k < r->nskipped; k++) {
            fputs(k ? ", {\"unique_id\": " : "{\"unique_id\": ", stdout);
            json_str(stdout, r->skipped[k]);
            fputs(", \"reason\": ", stdout);
            json_str(stdout, r->skip_reason[k]);
            fputs("}", stdout);
        }
        fputs("]", stdout);
    } else {
        fputs(", \"format\": \"wide\"", stdout);
    }
    fputs(", \"split\": ", stdout);
    if (split)
        json_str(stdout, split);
    else
        fputs("null", stdout);
    printf(", \"first_row\": %zu, \"end_row\": %zu, \"prediction_length\": %d, \"stride\": %d, "
           "\"season\": %d, \"origins\": %zu, \"distribution\": %s, \"samples\": ",
           r->first_row, r->end_row, r->prediction_length, r->stride, r->season, r->norigins,
           r->distribution ? "true" : "false");
    if (r->distribution)
        printf("%d, \"intervals\": [", samples);
    else
        fputs("null, \"intervals\": [", stdout);
    for (int k = 0; r->distribution && k < r->nintervals; k++) {
        char name[64];
        metric_name(r, N_POINT + 1 + k, name, sizeof name);
        printf("%s{\"name\": \"%s\", \"lo\": %.6g, \"hi\": %.6g}", k ? ", " : "", name,
               (double)r->lo_q[k], (double)r->hi_q[k]);
    }
    fputs("], \"series\": [", stdout);
    for (int j = 0; j < r->nseries; j++) {
        fputs(j ? ", {\"unique_id\": " : "{\"unique_id\": ", stdout);
        json_str(stdout, r->series[j]);
        fputs(", \"mase_scale\": ", stdout);
        json_num(stdout, r->mase_scale[j]);
        fputs(", ", stdout);
        json_metrics(stdout, r, &r->per_series[j]);
        fputs("}", stdout);
    }
    fputs("], \"all\": {", stdout);
    json_metrics(stdout, r, &r->all);
    fputs("}}\n", stdout);
}

/* the table: one row per series and "all" */
static void print_table(const char *dir, const char *data, const char *split,
                        const ptm_backtest_result *r) {
    char where[64];
    if (split)
        snprintf(where, sizeof where, "%s split", split);
    else
        snprintf(where, sizeof where, "rows");
    if (r->long_format)
        printf("backtest of %s on %s: %d series (%zu skipped), the last %zu window(s) of each, "
               "every %d rows, horizon %d\n",
               dir, data, r->nseries, r->nskipped, r->norigins, r->stride, r->prediction_length);
    else
        printf("backtest of %s on %s: %s %zu to %zu, %zu origins every %d rows, horizon %d\n", dir,
               data, where, r->first_row, r->end_row, r->norigins, r->stride, r->prediction_length);
    int w = 6;
    for (int j = 0; j < r->nseries; j++)
        if ((int)strlen(r->series[j]) > w) w = (int)strlen(r->series[j]);
    if (w > 24) w = 24;
    printf("%-*s", w, "series");
    for (int i = 0; i < n_metrics(r); i++) {
        char name[64];
        metric_name(r, i, name, sizeof name);
        printf(" %12s", name);
    }
    putchar('\n');
    for (int j = 0; j <= r->nseries; j++) {
        const ptm_metrics *m = j < r->nseries ? &r->per_series[j] : &r->all;
        printf("%-*.*s", w, w, j < r->nseries ? r->series[j] : "all");
        for (int i = 0; i < n_metrics(r); i++) {
            double v = metric_at(m, i);
            if (isfinite(v))
                printf(" %12.6g", v);
            else
                printf(" %12s", "-");
        }
        putchar('\n');
    }
    printf("MASE: seasonal naive of period %d on %s; sMAPE in %%; *_scaled: the "
           "model's scaled space; all: the mean over series\n",
           r->season,
           r->long_format ? "each series' rows before its first forecast" : "the training split");
}

/* --output: unique_id, cutoff (the last context row's timestamp, else its row), cutoff_row,
 * points, then the metrics; empty where a metric is not defined */
static int write_csv(const char *path, const ptm_backtest_result *r, ptm_error *err) {
    outfile o;
    if (open_out(&o, path, err) != 0) return -1;
    fputs(r->long_format ? "unique_id,cutoff,window,points" : "unique_id,cutoff,cutoff_row,points",
          o.f);
    for (int i = 0; i < n_metrics(r); i++) {
        char name[64];
        metric_name(r, i, name, sizeof name);
        fprintf(o.f, ",%s", name);
    }
    fputc('\n', o.f);
    for (size_t k = 0; k < r->norigins; k++)
        for (int j = 0; j < r->nseries; j++) {
            const ptm_metrics *m = &r->per_origin[k * (size_t)r->nseries + (size_t)j];
            csv_field(o.f, r->series[j]);
            fputc(',', o.f);
            if (r->long_format)
                csv_field(o.f, r->cutoff_at[k * (size_t)r->nseries + (size_t)j]);
            else if (r->cutoff_time)
                csv_field(o.f, r->cutoff_time[k]);
            else
                fprintf(o.f, "%zu", r->cutoff_row[k]);
            fprintf(o.f, ",%zu,%zu", r->long_format ? k + 1 : r->cutoff_row[k], m->points);
            for (int i = 0; i < n_metrics(r); i++) {
                double v = metric_at(m, i);
                if (isfinite(v))
                    fprintf(o.f, ",%.9g", v);
                else
                    fputc(',', o.f);
            }
            fputc('\n', o.f);
        }
    return close_out(&o, err);
}

/* x tick labels: the cutoff's timestamp when x is an origin's cutoff row, else the row */
static void cutoff_label(double x, char *buf, size_t n, void *user) {
    const ptm_backtest_result *r = user;
    if (r->long_format) { /* x: the window */
        snprintf(buf, n, "window %.0f", x);
        return;
    }
    double k = (x - (double)r->cutoff_row[0]) / r->stride;
    if (r->cutoff_time && k >= 0 && k < (double)r->norigins && k == floor(k))
        snprintf(buf, n, "%s", r->cutoff_time[(size_t)k]);
    else
        snprintf(buf, n, "%.0f", x);
}

/* --plot: metric `mi` per origin (x: the cutoff row), one panel per series (at most 16) */
static int write_plot(const char *path, const char *dir, const char *data,
                      const ptm_backtest_result *r, int mi, ptm_error *err) {
    enum { MAX_PANELS = 16 };
    int np = r->nseries < MAX_PANELS ? r->nseries : MAX_PANELS;
    char name[64], title[512];
    metric_name(r, mi, name, sizeof name);
    snprintf(title, sizeof title, "%s on %s: %s per %s (%zu every %d rows)%s", dir, data, name,
             r->long_format ? "window" : "origin", r->norigins, r->stride,
             np < r->nseries ? ", the first 16 series" : "");
    svg_chart *c = svg_chart_new(title, np);
    double *x = malloc(sizeof(double) * r->norigins), *y = malloc(sizeof(double) * r->norigins);
    int rc = -1;
    if (!c || !x || !y) {
        cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < r->norigins; k++)
        x[k] = r->long_format ? (double)(k + 1) : (double)r->cutoff_row[k];
    size_t every = (r->norigins + 5) / 6;
    svg_set_xticks(c, (double)every * (r->long_format ? 1 : r->stride), x[0]);
    svg_set_xformat(c, cutoff_label, (void *)r);
    for (int j = 0; j < np; j++) {
        for (size_t k = 0; k < r->norigins; k++)
            y[k] = metric_at(&r->per_origin[k * (size_t)r->nseries + (size_t)j], mi);
        svg_panel_labels(c, j, r->series[j],
                         r->long_format   ? "window"
                         : r->cutoff_time ? "cutoff"
                                          : "cutoff row",
                         name);
        if (svg_add_line(c, j, name, SVG_FORECAST, r->norigins < 2 ? 2 : 0, x, y, r->norigins) !=
            0) {
            cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
            goto done;
        }
    }
    rc = svg_write(c, path, err);
done:
    free(x);
    free(y);
    svg_chart_free(c);
    return rc;
}

typedef struct {
    const char *dir, *data, *split, *output, *plot, *plot_metric;
    int json;
    size_t max_model;
    float q[2 * PTM_METRIC_MAX_INTERVALS];
    ptm_backtest_params p;
    ptm_long_params lp; /* --long and the column options */
} bt_options;

/* an option with a whole-number value in [lo, hi] */
static int int_option(const char *a, const char *v, long lo, long hi, long *out) {
    if (parse_int(v, lo, hi, out) == 0) return 0;
    char msg[128];
    snprintf(msg, sizeof msg, "%s '%%s': expected a whole number from %ld to %ld", a, lo, hi);
    return fail_usage("backtest", msg, v);
}

/* the command line into *o: 0, or the exit code of a usage error (-1: --help printed) */
static int parse_options(int argc, char **argv, bt_options *o) {
    memset(o, 0, sizeof *o);
    o->p = ptm_backtest_default_params();
    o->plot_metric = "mae";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(BACKTEST_USAGE, stdout);
            return -1;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        }
        if (strcmp(a, "--long") == 0) {
            o->p.long_format = &o->lp;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            if (i + 1 >= argc) return fail_usage("backtest", "option '%s' needs a value", a);
            const char *v = argv[++i];
            long n = 0;
            int rc = 0;
            if (strcmp(a, "--data") == 0)
                o->data = v;
            else if (strcmp(a, "--columns") == 0)
                o->p.columns = v;
            else if (strcmp(a, "--split") == 0)
                o->split = v;
            else if (strcmp(a, "--output") == 0)
                o->output = v;
            else if (strcmp(a, "--plot") == 0)
                o->plot = v;
            else if (strcmp(a, "--plot-metric") == 0)
                o->plot_metric = v;
            else if (strcmp(a, "--id-column") == 0 || strcmp(a, "--time-column") == 0 ||
                     strcmp(a, "--target-column") == 0) {
                if (!v[0]) return fail_usage("backtest", "option '%s' needs a non-empty name", a);
                *(a[2] == 'i'   ? &o->lp.id_column
                  : a[3] == 'i' ? &o->lp.time_column
                                : &o->lp.target_column) = v;
                o->p.long_format = &o->lp;
            } else if (strcmp(a, "--windows") == 0) {
                if ((rc = int_option(a, v, 1, 1000000L, &n)) == 0) o->p.windows = (int)n;
            } else if (strcmp(a, "--start") == 0 || strcmp(a, "--end") == 0) {
                if ((rc = int_option(a, v, 0, 2147483647L, &n)) == 0) {
                    if (a[2] == 's')
                        o->p.start = n;
                    else
                        o->p.end = n;
                }
            } else if (strcmp(a, "--stride") == 0) {
                if ((rc = int_option(a, v, 1, 1000000000L, &n)) == 0) o->p.stride = (int)n;
            } else if (strcmp(a, "--season") == 0) {
                if ((rc = int_option(a, v, 1, 1000000000L, &n)) == 0) o->p.season = (int)n;
            } else if (strcmp(a, "--samples") == 0) {
                if ((rc = int_option(a, v, 1, 100000L, &n)) == 0) o->p.num_samples = (int)n;
            } else if (strcmp(a, "--seed") == 0) {
                if ((rc = int_option(a, v, 0, 2147483647L, &n)) == 0) o->p.seed = (uint64_t)n;
            } else if (strcmp(a, "--quantiles") == 0) {
                if (parse_list_f(v, o->q, 2 * PTM_METRIC_MAX_INTERVALS, &o->p.num_quantiles))
                    return fail_usage("backtest",
                                      "--quantiles '%s': expected at most 16 numbers, e.g. 0.1,0.9",
                                      v);
                o->p.quantiles = o->q;
            } else if (strcmp(a, "--max-model-memory") == 0) {
                if (parse_bytes(v, &o->max_model) != 0)
                    return fail_usage("backtest", "--max-model-memory '%s': expected a byte count",
                                      v);
            } else
                return fail_usage("backtest", "unknown option '%s'", a);
            if (rc) return rc;
            continue;
        }
        if (o->dir) return fail_usage("backtest", "unexpected argument '%s'", a);
        o->dir = a;
    }
    if (!o->dir) return fail_usage("backtest", "%smissing MODEL_DIR", "");
    if (!o->data) return fail_usage("backtest", "%smissing --data FILE.csv", "");
    if (o->split && (o->p.start >= 0 || o->p.end >= 0))
        return fail_usage("backtest", "%s--split and --start / --end exclude each other", "");
    if (o->json && o->output && strcmp(o->output, "-") == 0)
        return fail_usage("backtest", "%s--json and --output - both write standard output", "");
    o->p.split = o->split; /* unset: the test split of a wide CSV */
    return 0;
}

int cmd_backtest(int argc, char **argv) {
    bt_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    ptm_error err;
    if (cli_check_model_memory(o.dir, o.max_model, &err) != PTM_OK) return fail_status(&err);
    ptm_backtest_result r;
    if (ptm_backtest_file(o.dir, o.data, &o.p, &r, &err) != PTM_OK) return fail_status(&err);
    for (size_t k = 0; k < r.nskipped; k++)
        fprintf(stderr, "patchtsmixer backtest: skipped series '%s': %s\n", r.skipped[k],
                r.skip_reason[k]);
    if (!r.long_format && !o.split && o.p.start < 0 && o.p.end < 0) o.split = "test";
    int mi = -1;
    for (int i = 0; o.plot && i < n_metrics(&r); i++) {
        char name[64];
        metric_name(&r, i, name, sizeof name);
        if (strcmp(name, o.plot_metric) == 0) mi = i;
    }
    if (o.plot && mi < 0) {
        ptm_backtest_free(&r);
        return fail_usage("backtest",
                          "--plot-metric '%s': expected a metric of the table (mse, mae, rmse, "
                          "mase, smape, mse_scaled, mae_scaled; crps, coverage_* for distribution "
                          "heads)",
                          o.plot_metric);
    }
    rc = 0;
    if ((o.output && write_csv(o.output, &r, &err) != 0) ||
        (o.plot && write_plot(o.plot, o.dir, o.data, &r, mi, &err) != 0))
        rc = fail_status(&err);
    else if (o.json)
        print_json(o.dir, o.data, o.split, &r, o.p.num_samples);
    else if (!o.output || strcmp(o.output, "-") != 0)
        print_table(o.dir, o.data, o.split, &r);
    ptm_backtest_free(&r);
    return rc;
}
