/* fuzz_config.c - fuzz target of the config.json reader (ptm_config_parse) and writer.
 *
 * The input is a config.json. A config the reader accepts is written back with
 * ptmi_config_write_json and read again: that must succeed and write the same text (else
 * abort: a finding).
 *
 *     make fuzz && build/fuzz/fuzz_config tests/fuzz/corpus/config
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/config.h"
#include "io/save.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ptm_config c, c2, c3;
    ptm_error err;
    if (ptm_config_parse((const char *)data, size, "fuzz/config.json", -1, &c, &err) != PTM_OK) {
        fuzz_note("config", err.code, err.file, err.field, err.text);
        if (err.code == PTM_OK) abort();
        return 0;
    }
    char *text = NULL, *text2 = NULL;
    size_t len = 0, len2 = 0;
    if (ptmi_config_write_json(&c, &text, &len, &err) != PTM_OK) abort();
    if (ptm_config_parse(text, len, "rewritten", -1, &c2, &err) != PTM_OK) abort();
    if (ptmi_config_write_json(&c2, &text2, &len2, &err) != PTM_OK) abort();
    if (len != len2 || memcmp(text, text2, len) != 0) abort();
    if (ptmi_config_copy(&c3, &c2, &err) != PTM_OK) abort();
    ptm_config_free(&c3);
    free(text);
    free(text2);
    ptm_config_free(&c2);
    ptm_config_free(&c);
    return 0;
}
