/* csv_api.c - the public ptm_csv_* entry points over the CSV reader in csv.c. */
#include "io/csv.h"

#include <string.h>

#include "base/common.h"

ptm_status ptm_csv_load(const char *path, char delimiter, ptm_csv *out, ptm_error *err) {
    csv_options opt = {0};
    opt.delimiter = delimiter;
    return csv_load(path, &opt, out, err);
}

void ptm_csv_free(ptm_csv *t) {
    csv_free(t);
}

int ptm_csv_find_column(const ptm_csv *t, const char *name) {
    return csv_find_column(t, name);
}

ptm_status ptm_csv_select_columns(const ptm_csv *t, const char *list, const char *file, int *idx,
                                  int *count, ptm_error *err) {
    int n = 0;
    if (!list) {
        for (size_t j = 0; j < t->ncols; j++) idx[n++] = (int)j;
        *count = n;
        return PTM_OK;
    }
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[256];
        if (len >= sizeof name) len = sizeof name - 1;
        memcpy(name, p, len);
        name[len] = 0;
        int j = csv_find_column(t, name);
        if (j < 0)
            return ptmi_err(err, PTM_ERR_INPUT, file, "columns",
                            "no column named '%s' in the header", name);
        if (n >= (int)t->ncols)
            return ptmi_err(err, PTM_ERR_INPUT, file, "columns",
                            "more columns listed than the file has (%zu)", t->ncols);
        idx[n++] = j;
        p = e ? e + 1 : p + len;
    }
    *count = n;
    return PTM_OK;
}

int ptm_csv_time_step(const ptm_csv *t, size_t last_n, int64_t *step) {
    return csv_time_step(t, last_n, step);
}

void ptm_csv_format_time(int64_t sec, const char *like, char *buf, size_t n) {
    csv_format_time(sec, like, buf, n);
}

ptm_status ptm_csv_static_codes(const ptm_csv *t, const char *list, size_t row0, size_t nrows,
                                const char *file, int *idx, int64_t *codes, int *count,
                                ptm_error *err) {
    int n = 0;
    *count = 0;
    if (!list) return ptmi_err(err, PTM_ERR_ARG, file, "columns", "no column list");
    ptm_status s = ptm_csv_select_columns(t, list, file, idx, &n, err);
    if (s != PTM_OK) return s;
    if (nrows < 1 || row0 + nrows > t->nrows)
        return ptmi_err(err, PTM_ERR_ARG, file, NULL, "rows [%zu, %zu) outside the %zu data rows",
                        row0, row0 + nrows, t->nrows);
    for (int k = 0; k < n; k++) {
        const char *name = t->colnames[idx[k]];
        float first = 0.0f;
        for (size_t r = row0; r < row0 + nrows; r++) {
            size_t cell = r * t->ncols + (size_t)idx[k];
            float v = t->values[cell];
            if (t->observed[cell] <= 0.0f)
                return ptmi_err(err, PTM_ERR_INPUT, file, name,
                                "data row %zu: the static categorical code is missing", r + 1);
            if (!(v >= 0.0f && v < 16777216.0f) || v != (float)(int64_t)v)
                return ptmi_err(err, PTM_ERR_INPUT, file, name,
                                "data row %zu: %.9g is not a category code (an integer >= 0)",
                                r + 1, (double)v);
            if (r == row0) first = v;
            if (v != first)
                return ptmi_err(err, PTM_ERR_INPUT, file, name,
                                "data row %zu: code %lld differs from %lld in data row %zu (a "
                                "static categorical column holds one code per series)",
                                r + 1, (long long)v, (long long)first, row0 + 1);
        }
        codes[k] = (int64_t)first;
    }
    *count = n;
    return PTM_OK;
}
