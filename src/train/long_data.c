/* long_data.c - training data from a long-format file (many series: unique_id, ds, y,
 * covariates; ptm_long_load), and the windows batches come from (train_windows, trainer.h).
 *
 * The split is per series, the rule of statsforecast's and GluonTS' evaluations (and of
 * `patchtsmixer eval` on long data): the last H rows of a series are its test horizon, the H
 * rows before them its validation horizon, the rows before those its training part; so a
 * series needs L + 3H rows (at least one training window of L + H rows). Its training windows
 * slide with stride 1 over its training part, its one validation window forecasts the
 * validation horizon from the L rows before it, its one test window the test horizon. A series
 * that is too short, has a repeated time or uneven steps, or a selected column without any
 * value is skipped (p->on_skipped, the log) and the others train. One StandardScaler is fitted
 * per column on the training parts of every series used, as on the training rows of a wide
 * CSV. The rows of the series used are copied once, concatenated, into d->vals / d->obs; a
 * window is its first row there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/trainer.h"

size_t train_windows_batch(const train_windows *tw, size_t start, size_t n, float *past,
                           float *past_observed, float *future, float *future_observed) {
    if (!tw->first_row)
        return ptm_windows_batch(&tw->w, start, n, past, past_observed, future, future_observed);
    const ptm_windows *w = &tw->w;
    if (start >= w->count) return 0;
    if (n > w->count - start) n = w->count - start;
    size_t nc = (size_t)w->ncols, pl = (size_t)w->L * nc, fl = (size_t)w->H * nc;
    for (size_t k = 0; k < n; k++) {
        size_t r0 = tw->first_row[w->order[start + k]] * nc;
        if (past) memcpy(past + k * pl, w->values + r0, pl * sizeof(float));
        if (past_observed) memcpy(past_observed + k * pl, w->observed + r0, pl * sizeof(float));
        if (future) memcpy(future + k * fl, w->values + r0 + pl, fl * sizeof(float));
        if (future_observed)
            memcpy(future_observed + k * fl, w->observed + r0 + pl, fl * sizeof(float));
    }
    return n;
}

void train_windows_free(train_windows *tw) {
    ptm_windows_free(&tw->w);
    free(tw->first_row);
    tw->first_row = NULL;
}

/* the value columns: p->columns (names among the value columns) or all; the target among them */
static ptm_status long_columns(train_data *d, const ptm_long *lt, const char *path,
                               const char *columns, ptm_error *err) {
    int n = 0;
    if (!(d->cols = malloc(sizeof(int) * (lt->table.ncols + 1))))
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    ptm_status s = ptm_csv_select_columns(&lt->table, columns, path, d->cols, &n, err);
    if (s != PTM_OK) return s;
    d->C = n;
    for (int j = 0; j < n; j++)
        if (d->cols[j] == lt->target) return PTM_OK;
    return ptmi_err(err, PTM_ERR_INPUT, path, "columns",
                    "the target column '%.200s' is not among the columns selected",
                    lt->table.colnames[lt->target]);
}

/* one series: PTM_OK and its step, or PTM_ERR_INPUT with the reason it is skipped in e */
static ptm_status check_series(const train_data *d, const ptm_long *lt, size_t i, int L, int H,
                               int64_t *step, ptm_error *e) {
    size_t n = lt->start[i + 1] - lt->start[i], need = (size_t)L + 3 * (size_t)H;
    if (n < need)
        return ptmi_err(e, PTM_ERR_INPUT, NULL, NULL,
                        "%zu rows, at least %zu needed (context_length %d + 3 x "
                        "prediction_length %d: training windows, a validation and a test "
                        "horizon)",
                        n, need, L, H);
    return ptm_long_series_check(lt, i, n, d->cols, d->C, step, e);
}

/* the series to use (*used, *nused); each other one reported; none is an error */
static ptm_status pick_series(train_data *d, const ptm_long *lt, const char *path,
                              const ptm_train_params *p, int L, int H, size_t **used, size_t *nused,
                              ptm_error *err) {
    *used = malloc(sizeof(size_t) * lt->nseries);
    if (!*used) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    ptm_error first;
    memset(&first, 0, sizeof first);
    *nused = 0;
    for (size_t i = 0; i < lt->nseries; i++) {
        ptm_error e;
        memset(&e, 0, sizeof e);
        int64_t step = 0;
        ptm_status s = check_series(d, lt, i, L, H, &step, &e);
        if (s == PTM_OK) {
            d->step = *nused == 0 || step == d->step ? step : 0;
            (*used)[(*nused)++] = i;
            continue;
        }
        if (s != PTM_ERR_INPUT) {
            *err = e;
            return s;
        }
        if (d->nskipped++ == 0) first = e;
        if (p->on_skipped) p->on_skipped(p->user, lt->ids[i], e.text);
        train_log(p, 0, "skipped series '%.200s': %s", lt->ids[i], e.text);
    }
    if (*nused == 0)
        return ptmi_err(err, PTM_ERR_INPUT, path, NULL,
                        "no series can be trained on: all %zu were skipped (the first, '%.200s': "
                        "%s)",
                        lt->nseries, lt->ids[0], first.text);
    return PTM_OK;
}

/* the rows of the used series, concatenated, into d->vals / d->obs; off[k] where series k
 * starts there (off[nused] = d->nrows) */
static ptm_status copy_rows(train_data *d, const ptm_long *lt, const size_t *used, size_t nused,
                            size_t *off, const char *path, ptm_error *err) {
    size_t rows = 0, cells;
    for (size_t k = 0; k < nused; k++) {
        off[k] = rows;
        rows += lt->start[used[k] + 1] - lt->start[used[k]];
    }
    off[nused] = rows;
    if (ptmi_mul_size(rows, (size_t)d->C, &cells) || !(d->vals = malloc(sizeof(float) * cells)) ||
        !(d->obs = malloc(sizeof(float) * cells)))
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    const ptm_csv *tab = &lt->table;
    for (size_t k = 0; k < nused; k++)
        for (size_t r = lt->start[used[k]], o = off[k]; r < lt->start[used[k] + 1]; r++, o++)
            for (int j = 0; j < d->C; j++) {
                d->vals[o * d->C + j] = tab->values[r * tab->ncols + (size_t)d->cols[j]];
                d->obs[o * d->C + j] = tab->observed[r * tab->ncols + (size_t)d->cols[j]];
            }
    d->nrows = rows;
    return PTM_OK;
}

/* one StandardScaler over the training parts [off[k], off[k + 1] - 2H) of every series */
static ptm_status fit_scaler(train_data *d, const size_t *off, size_t nused, int H,
                             const char *path, ptm_error *err) {
    size_t rows = 0, C = (size_t)d->C;
    for (size_t k = 0; k < nused; k++) rows += off[k + 1] - off[k] - 2 * (size_t)H;
    float *v = malloc(sizeof(float) * rows * C), *o = malloc(sizeof(float) * rows * C);
    ptm_status s = PTM_OK;
    if (!v || !o) s = ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    for (size_t k = 0, at = 0; s == PTM_OK && k < nused; k++) {
        size_t n = off[k + 1] - off[k] - 2 * (size_t)H;
        memcpy(v + at * C, d->vals + off[k] * C, n * C * sizeof(float));
        memcpy(o + at * C, d->obs + off[k] * C, n * C * sizeof(float));
        at += n;
    }
    if (s == PTM_OK) s = ptm_scaler_fit(&d->sc, v, o, rows, d->C, 0, rows, err);
    free(v);
    free(o);
    if (s == PTM_OK) ptm_scaler_transform(&d->sc, d->vals, d->obs, d->nrows);
    return s;
}

/* windows over the concatenated rows: per series the training windows (first rows
 * off[k] .. off[k+1] - L - 3H), or its one validation (part 1) or test (part 2) window */
static ptm_status make_windows(train_data *d, train_windows *tw, int part, const size_t *off,
                               size_t nused, int L, int H, const char *path, ptm_error *err) {
    size_t count = 0, LH = (size_t)L + (size_t)H;
    for (size_t k = 0; k < nused; k++)
        count += part ? 1 : off[k + 1] - off[k] - LH - 2 * (size_t)H + 1;
    tw->first_row = malloc(sizeof(size_t) * count);
    tw->w.order = malloc(sizeof(size_t) * count);
    if (!tw->first_row || !tw->w.order)
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory for %zu windows", count);
    size_t at = 0;
    for (size_t k = 0; k < nused; k++) {
        size_t end = off[k + 1] - (size_t)(2 - part) * (size_t)H; /* the part's last row + 1 */
        size_t first = part ? end - LH : off[k];
        for (size_t r = first; r + LH <= end; r++) tw->first_row[at++] = r;
    }
    for (size_t i = 0; i < count; i++) tw->w.order[i] = i;
    tw->w.values = d->vals;
    tw->w.observed = d->obs;
    tw->w.nrows = d->nrows;
    tw->w.ncols = d->C;
    tw->w.L = L;
    tw->w.H = H;
    tw->w.count = count;
    return PTM_OK;
}

/* take what training keeps of the file: the table (for names and times), the id column */
static void keep_file(train_data *d, ptm_long *lt) {
    d->tab = lt->table;
    memset(&lt->table, 0, sizeof lt->table);
    d->id_col = lt->id_colname;
    lt->id_colname = NULL;
    d->target_col = lt->target;
    d->time_integer = lt->time_integer;
}

ptm_status train_refuse_long(const char *path, const ptm_preprocessor *pp, ptm_status code,
                             const char *instead, ptm_error *err) {
    int named = pp && pp->id_column;
    ptm_long_params lp = {named ? pp->id_column : NULL, named ? pp->timestamp_column : NULL, NULL,
                          0};
    if (!ptm_long_sniff(path, &lp)) return PTM_OK;
    return ptmi_err(err, code, path, NULL,
                    "a long-format file (columns '%.100s' and '%.100s': many series, one row "
                    "per series and time step) where one wide series is read; %s",
                    named ? pp->id_column : "unique_id", named ? pp->timestamp_column : "ds",
                    instead);
}

ptm_status train_data_load_long(train_data *d, const char *path, const ptm_train_params *p, int L,
                                int H, ptm_error *err) {
    ptm_long lt;
    size_t *used = NULL, *off = NULL, nused = 0;
    ptm_status s = ptm_long_load(path, p->long_format, &lt, err);
    if (s != PTM_OK) return s;
    d->is_long = 1;
    if ((s = long_columns(d, &lt, path, p->columns, err)) == PTM_OK)
        s = pick_series(d, &lt, path, p, L, H, &used, &nused, err);
    if (s == PTM_OK && !(off = malloc(sizeof(size_t) * (nused + 1))))
        s = ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    if (s == PTM_OK) s = copy_rows(d, &lt, used, nused, off, path, err);
    if (s == PTM_OK) s = fit_scaler(d, off, nused, H, path, err);
    if (s == PTM_OK) s = make_windows(d, &d->train, 0, off, nused, L, H, path, err);
    if (s == PTM_OK) s = make_windows(d, &d->val, 1, off, nused, L, H, path, err);
    if (s == PTM_OK) s = make_windows(d, &d->test, 2, off, nused, L, H, path, err);
    if (s == PTM_OK) {
        d->nseries = nused;
        train_log(p, 0,
                  "data: %s (long format), %zu series used, %zu skipped, %zu rows x %d channels; "
                  "windows train %zu, val %zu, test %zu",
                  path, nused, d->nskipped, d->nrows, d->C, d->train.w.count, d->val.w.count,
                  d->test.w.count);
    }
    keep_file(d, &lt);
    ptm_long_free(&lt);
    free(used);
    free(off);
    return s;
}
