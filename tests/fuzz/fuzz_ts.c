/* fuzz_ts.c - fuzz target of the UEA / Monash TSER .ts reader (ptmi_ts_load).
 *
 * The input is a .ts file, written to a temporary file and read with the longest series as
 * the length; then read again as a "test" file against the first one's classes with a fixed
 * length of 7 (cut and padded). Every value of an accepted dataset is walked.
 *
 *     make fuzz && build/fuzz/fuzz_ts tests/fuzz/corpus/ts
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/ts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ts_walk(const ptmi_ts_dataset *d) {
    size_t cells = d->ncases * (size_t)d->length * (size_t)d->nchannels;
    volatile double sum = 0.0;
    for (size_t i = 0; i < cells; i++) {
        if (d->observed[i] != 0.0f && d->observed[i] != 1.0f) abort();
        if (!isfinite(d->values[i])) abort();
        sum += (double)d->values[i];
    }
    for (size_t c = 0; c < d->ncases; c++) {
        if (d->labels && (d->labels[c] < 0 || d->labels[c] >= d->nclasses)) abort();
        if (d->targets && !isfinite(d->targets[c])) abort();
    }
    for (int k = 0; k < d->nclasses; k++) sum += (double)strlen(d->class_names[k]);
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *dir = fuzz_tmpdir();
    if (!dir || fuzz_write(dir, "fuzz.ts", data, size) != 0) return 0;
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz.ts", dir);
    ptmi_ts_dataset tr, te;
    ptm_error err;
    if (ptmi_ts_load(path, 0, &tr, &err) != PTM_OK) {
        fuzz_note("ts", err.code, err.file, err.field, err.text);
        if (err.code == PTM_OK) abort();
        return 0;
    }
    ts_walk(&tr);
    if (ptmi_ts_load_with_classes(path, 7, &tr, &te, &err) != PTM_OK) abort();
    if (te.ncases != tr.ncases || te.length != 7 || te.nclasses != tr.nclasses) abort();
    ts_walk(&te);
    ptmi_ts_free(&te);
    ptmi_ts_free(&tr);
    return 0;
}
