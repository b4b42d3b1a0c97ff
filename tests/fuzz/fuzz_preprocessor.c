/* fuzz_preprocessor.c - fuzz target of the preprocessor_config.json reader
 * (ptm_preprocessor_parse) and writer.
 *
 * A file the reader accepts is written back (ptmi_preprocessor_write_json) and read again: that
 * must succeed and write the same text (else abort: a finding).
 *
 *     make fuzz && build/fuzz/fuzz_preprocessor tests/fuzz/corpus/preprocessor
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/preproc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ptm_preprocessor p, p2;
    ptm_error err;
    if (ptm_preprocessor_parse((const char *)data, size, "fuzz/preprocessor_config.json", &p,
                               &err) != PTM_OK) {
        fuzz_note("preprocessor", err.code, err.file, err.field, err.text);
        if (err.code == PTM_OK || p.present || p.columns) abort();
        return 0;
    }
    char *text = NULL, *text2 = NULL;
    size_t len = 0, len2 = 0;
    if (ptmi_preprocessor_write_json(&p, "w", &text, &len, &err) != PTM_OK) abort();
    if (ptm_preprocessor_parse(text, len, "rewritten", &p2, &err) != PTM_OK) abort();
    if (ptmi_preprocessor_write_json(&p2, "w", &text2, &len2, &err) != PTM_OK) abort();
    if (len != len2 || memcmp(text, text2, len) != 0) abort();
    free(text);
    free(text2);
    ptm_preprocessor_free(&p2);
    ptm_preprocessor_free(&p);
    return 0;
}
