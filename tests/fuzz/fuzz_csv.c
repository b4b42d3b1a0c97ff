/* fuzz_csv.c - fuzz target of the time-series CSV reader (csv_parse).
 *
 * The input is a CSV file, parsed with delimiter detection; an input starting with byte 0x01
 * is instead parsed from its third byte with its second byte as the given delimiter. A parsed table
 * is walked completely: every value, observed flag, name and timestamp, the time step and the next
 * timestamp's text.
 *
 *     make fuzz && build/fuzz/fuzz_csv tests/fuzz/corpus/csv
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    csv_options opt = {0};
    opt.max_bytes = 1 << 20;
    if (size >= 2 && data[0] == 1) {
        opt.delimiter = (char)data[1];
        data += 2;
        size -= 2;
    }
    csv_table t;
    ptm_error err;
    if (csv_parse((const char *)data, size, "fuzz.csv", &opt, &t, &err) != PTM_OK) {
        fuzz_note("csv", err.code, err.file, err.field, err.text);
        if (err.code == PTM_OK) abort();
        csv_free(&t); /* must be a no-op on the zeroed table */
        return 0;
    }
    volatile double sum = 0.0;
    for (size_t i = 0; i < t.nrows * t.ncols; i++) {
        if (t.observed[i] != 0.0f && t.observed[i] != 1.0f) abort();
        if (t.observed[i] == 0.0f && t.values[i] != 0.0f) abort();
        if (!isfinite(t.values[i])) abort(); /* NaN/Inf cells are missing values */
        sum += (double)t.values[i];
    }
    for (size_t j = 0; j < t.ncols; j++) {
        if (csv_find_column(&t, t.colnames[j]) < 0) abort();
        sum += (double)strlen(t.colnames[j]);
    }
    if (t.has_time) {
        for (size_t r = 0; r < t.nrows; r++) sum += (double)strlen(t.time_text[r]);
        int64_t step;
        if (csv_time_step(&t, 0, &step) && t.nrows > 0) {
            char buf[64];
            csv_format_time(t.time_sec[t.nrows - 1] + step, t.time_text[t.nrows - 1], buf,
                            sizeof buf);
            if (strlen(buf) >= sizeof buf) abort();
        }
        if (t.nrows > 0) {
            int64_t sec;
            if (csv_parse_time(t.time_text[0], &sec) == 0) {
                char buf[64];
                csv_format_time(sec, t.time_text[0], buf, sizeof buf);
            }
        }
    }
    (void)sum;
    csv_free(&t);
    return 0;
}
