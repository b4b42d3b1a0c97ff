/* fuzz_long.c - fuzz target of the long-format reader (ptm_long_parse, src/io/long.c).
 *
 * The input is a long-format CSV (unique_id, ds, y, covariates), parsed with delimiter
 * detection; an input starting with byte 0x01 is instead parsed from its third byte with its
 * second byte as the given delimiter, and one starting with 0x02 with the column names
 * "id", "t" and "v". A parsed file is walked completely: the grouping (every row in one
 * series, the starts increasing), the time order within each series, every value and observed
 * flag, and ptm_long_series_check of each series over its last 1, 2 and all rows.
 *
 *     make fuzz && build/fuzz/fuzz_long tests/fuzz/corpus/long
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "patchtsmixer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ptm_long_params p = {NULL, NULL, NULL, 0};
    if (size >= 2 && data[0] == 1) {
        p.delimiter = (char)data[1];
        data += 2;
        size -= 2;
    } else if (size >= 1 && data[0] == 2) {
        p.id_column = "id";
        p.time_column = "t";
        p.target_column = "v";
        data += 1;
        size -= 1;
    }
    ptm_long t;
    ptm_error err;
    if (ptm_long_parse((const char *)data, size, "fuzz.csv", &p, &t, &err) != PTM_OK) {
        fuzz_note("long", err.code, err.file, err.field, err.text);
        if (err.code == PTM_OK || t.nseries != 0 || t.table.values != NULL) abort();
        ptm_long_free(&t); /* must be a no-op on the zeroed struct */
        return 0;
    }
    const ptm_csv *tab = &t.table;
    volatile double sum = 0.0;
    if (t.nseries == 0 || t.start[0] != 0 || t.start[t.nseries] != tab->nrows) abort();
    if (t.target < 0 || (size_t)t.target >= tab->ncols || !tab->has_time || !tab->time_parsed)
        abort();
    int *cols = malloc(sizeof(int) * tab->ncols);
    if (!cols) abort();
    for (size_t j = 0; j < tab->ncols; j++) {
        cols[j] = (int)j;
        if (ptm_csv_find_column(tab, tab->colnames[j]) != (int)j) abort();
    }
    for (size_t i = 0; i < t.nseries; i++) {
        if (t.start[i + 1] <= t.start[i] || !t.ids[i][0]) abort();
        for (size_t r = t.start[i] + 1; r < t.start[i + 1]; r++)
            if (tab->time_sec[r] < tab->time_sec[r - 1]) abort();
        size_t len = t.start[i + 1] - t.start[i];
        size_t ns[3] = {1, 2, len};
        for (int k = 0; k < 3; k++) {
            int64_t step = -1;
            ptm_status s = ptm_long_series_check(&t, i, ns[k], cols, (int)tab->ncols, &step, &err);
            if (s != PTM_OK && s != PTM_ERR_INPUT) abort();
            if (s == PTM_OK && (step < 0 || (ns[k] >= 2) != (step > 0))) abort();
            if (s == PTM_ERR_INPUT && ns[k] > len && strstr(err.text, "at least") == NULL) abort();
        }
        sum += (double)strlen(t.ids[i]);
    }
    for (size_t r = 0; r < tab->nrows; r++) {
        sum += (double)strlen(tab->time_text[r]);
        for (size_t j = 0; j < tab->ncols; j++) {
            float v = tab->values[r * tab->ncols + j], o = tab->observed[r * tab->ncols + j];
            if ((o != 0.0f && o != 1.0f) || (o == 0.0f && v != 0.0f) || !isfinite(v)) abort();
            sum += (double)v;
        }
    }
    (void)sum;
    free(cols);
    ptm_long_free(&t);
    return 0;
}
