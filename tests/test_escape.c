/* test_escape.c - error messages never carry a raw control character from untrusted input
 * (ptmi_escape in src/base/common.c, used by ptmi_err and ptm_error_message).
 *
 * Hostile names and values (CSV column names and cells, config.json keys and values, .ts class
 * labels, file names) with newlines, ESC sequences, DEL and C1 controls: every byte of the
 * stored file / field / text and of ptm_error_message must be printable, with exact escaped
 * text for some cases. The CLI side is tests/test_escape.sh.
 *
 *     build/test_escape     prints "test_escape: N passed, M failed"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/common.h"
#include "io/csv.h"
#include "io/ts.h"
#include "testutil.h"

static char g_tmp[256];

/* 1 when s holds no control byte (below 0x20, 0x7f) and no C1 control (U+0080..U+009F). */
static int clean(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; u[i]; i++) {
        if (u[i] < 0x20 || u[i] == 0x7f) return 0;
        if (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f) return 0;
    }
    return 1;
}

/* Every string of err and its one-line message are clean; the message is returned. */
static const char *check_clean(const ptm_error *err) {
    static char msg[2048];
    ptm_error_message(err, msg, sizeof msg);
    if (getenv("PTM_TEST_VERBOSE")) fprintf(stderr, "  %s\n", msg);
    CHECK(clean(err->file));
    CHECK(clean(err->field));
    CHECK(clean(err->text));
    CHECK(clean(msg));
    return msg;
}

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_tmp, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, strlen(text), f) != strlen(text) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

TEST(escape_rules) {
    char out[64];
    ptmi_escape(out, sizeof out, "a\nb\tc\rd\x1b[31me\x7f", SIZE_MAX);
    CHECK(strcmp(out, "a\\nb\\tc\\rd\\x1b[31me\\x7f") == 0);
    /* valid UTF-8 is kept; a C1 control (U+009B, CSI) and stray or overlong bytes are not */
    ptmi_escape(out, sizeof out, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac", SIZE_MAX);
    CHECK(strcmp(out, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac") == 0);
    ptmi_escape(out, sizeof out,
                "x\xc2\x9b"
                "2J",
                SIZE_MAX);
    CHECK(strcmp(out, "x\\u009b2J") == 0);
    ptmi_escape(out, sizeof out, "\x9b\xc0\x9b\xe0\x82\x9b\xff", SIZE_MAX);
    CHECK(strcmp(out, "\\x9b\\xc0\\x9b\\xe0\\x82\\x9b\\xff") == 0);
    /* src_len bounds what is read; an escape or a character is never cut in two */
    ptmi_escape(out, sizeof out, "ab\ncd", 3);
    CHECK(strcmp(out, "ab\\n") == 0);
    ptmi_escape(out, 6, "ab\x1b", SIZE_MAX);
    CHECK(strcmp(out, "ab") == 0);
    ptmi_escape(out, 4, "ab\xc3\xa9", SIZE_MAX);
    CHECK(strcmp(out, "ab") == 0);
    ptmi_escape(out, sizeof out, NULL, SIZE_MAX);
    CHECK(out[0] == '\0');
    /* ptmi_err may be given strings of the very error it fills (re-raising one) */
    ptm_error err;
    ptmi_err(&err, PTM_ERR_IO, "a\nb", "f\x1b", "t\t%d", 1);
    ptmi_err(&err, PTM_ERR_INPUT, err.file, err.field, "%s; again", err.text);
    CHECK(err.code == PTM_ERR_INPUT && strcmp(err.file, "a\\nb") == 0);
    CHECK(strcmp(err.field, "f\\x1b") == 0 && strcmp(err.text, "t\\t1; again") == 0);
}

TEST(csv_column_name_and_cell) {
    ptm_error err;
    csv_table t;
    /* a quoted header cell with ESC [31m and a newline; then a bad value in that column */
    const char *s = "date,\"bad\x1b[31m\nname\",b\n2020-01-01,1,2\n2020-01-02,x,2\n";
    CHECK_STATUS(csv_parse(s, strlen(s), "mem.csv", NULL, &t, &err), PTM_ERR_INPUT);
    const char *msg = check_clean(&err);
    CHECK(strcmp(msg, "mem.csv: row 4, column 'bad\\x1b[31m\\nname': cannot read 'x' as a number; "
                      "expected a decimal number, an empty cell or NA/NaN") == 0);
    /* the cell quoted in the text */
    const char *s2 = "a,b\n1,\"\x1b]0;owned\x07\r\"\n";
    CHECK_STATUS(csv_parse(s2, strlen(s2), "mem\x1b[2J.csv", NULL, &t, &err), PTM_ERR_INPUT);
    msg = check_clean(&err);
    CHECK(strstr(msg, "mem\\x1b[2J.csv: ") == msg);
    CHECK(strstr(msg, "'\\x1b]0;owned\\x07\\r'") != NULL);
}

TEST(config_json_keys_and_values) {
    ptm_error err;
    ptm_model *m = NULL;
    /* a duplicate key: the key itself becomes err.field */
    write_file("config.json", "{\"architectures\": [\"PatchTSMixerForPrediction\"], "
                              "\"k\\u001b[31m\\n\": 1, \"k\\u001b[31m\\n\": 2}");
    CHECK(ptm_model_load(g_tmp, &m, &err) != PTM_OK);
    check_clean(&err);
    CHECK(strcmp(err.field, "k\\x1b[31m\\n") == 0);
    /* a string value quoted back in the message */
    write_file("config.json", "{\"architectures\": [\"PatchTSMixerForPrediction\"], "
                              "\"scaling\": \"\\u001b[2J\\r\\u0085\"}");
    CHECK(ptm_model_load(g_tmp, &m, &err) != PTM_OK);
    check_clean(&err);
    /* a raw control byte in the text itself */
    write_file("config.json", "{\"architectures\": [\"Patch\x1b[31m\"]}");
    CHECK(ptm_model_load(g_tmp, &m, &err) != PTM_OK);
    check_clean(&err);
    /* a model folder whose name holds a newline and ESC */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/no\n\x1b[2Jsuch", g_tmp);
    CHECK(ptm_model_load(dir, &m, &err) != PTM_OK);
    check_clean(&err);
    CHECK(strstr(err.file, "/no\\n\\x1b[2Jsuch") != NULL);
}

TEST(ts_class_label) {
    ptm_error err;
    ptmi_ts_dataset d;
    write_file("evil.ts", "@problemName X\n@classLabel true up down\n@data\n1,2,3:up\n"
                          "1,2,3:\x1b[31mevil\x1b[0m\n");
    char path[512];
    snprintf(path, sizeof path, "%s/evil.ts", g_tmp);
    CHECK(ptmi_ts_load(path, 0, &d, &err) != PTM_OK);
    const char *msg = check_clean(&err);
    CHECK(strstr(msg, "\\x1b[31mevil\\x1b[0m") != NULL);
}

/* A caller (or the Python binding) that fills the fields itself: the message is still clean. */
TEST(message_of_a_caller_filled_error) {
    ptm_error err;
    memset(&err, 0, sizeof err);
    memcpy(err.file, "f\x1b", 3);
    memcpy(err.field, "g\n", 3);
    memcpy(err.text, "t\x9b", 3);
    char msg[256];
    ptm_error_message(&err, msg, sizeof msg);
    CHECK(clean(msg));
    CHECK(strcmp(msg, "f\\x1b: g\\n: t\\x9b") == 0);
}

int main(void) {
    snprintf(g_tmp, sizeof g_tmp, "%s/ptm-escape-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(escape_rules);
    RUN(csv_column_name_and_cell);
    RUN(config_json_keys_and_values);
    RUN(ts_class_label);
    RUN(message_of_a_caller_filled_error);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0) fprintf(stderr, "test_escape: could not remove %s\n", g_tmp);
    return test_summary("test_escape");
}
