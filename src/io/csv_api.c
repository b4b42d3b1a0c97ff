/* csv_api.c - the public ptm_csv_* entry points over the CSV reader in csv.c. */
#include "io/csv.h"

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

int ptm_csv_time_step(const ptm_csv *t, size_t last_n, int64_t *step) {
    return csv_time_step(t, last_n, step);
}

void ptm_csv_format_time(int64_t sec, const char *like, char *buf, size_t n) {
    csv_format_time(sec, like, buf, n);
}
