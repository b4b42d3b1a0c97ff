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
