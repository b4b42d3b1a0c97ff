/* test_hostile_data.c - hostile and wrong data files: CSV (empty, ragged, unterminated quotes,
 * NUL bytes, values beyond float, hex) and .ts (no cases, unlisted labels, non-finite
 * targets, absurd @dimensions / @seriesLength, time stamps), and the odd but valid files
 * (BOM, CRLF, quoted fields, missing values). Each case asserts the exact ptm_status and that
 * a failed parse leaves its output zeroed; `make asan` checks every error path for leaks.
 *
 *     build/test_hostile_data       prints "test_hostile_data: N passed, M failed"
 *
 * More CSV and .ts cases live in test_csv.c and test_data_ts.c; the fixture is in hostile.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"
#include "io/csv.h"
#include "io/ts.h"
#include "testutil.h"

static ptm_status csv_case(const char *text, size_t len, csv_table *t, ptm_error *err) {
    memset(err, 0, sizeof *err);
    ptm_status s = csv_parse(text, len, "hostile.csv", NULL, t, err);
    if (s != PTM_OK && (t->values || t->nrows || t->colnames)) tu_fail++; /* zeroed on error */
    return s;
}
#define CSV(text, expected)                                                                        \
    do {                                                                                           \
        csv_table t_;                                                                              \
        ptm_error e_;                                                                              \
        expect_status(csv_case(text, sizeof(text) - 1, &t_, &e_), expected, &e_, #text, __LINE__); \
        csv_free(&t_);                                                                             \
    } while (0)

TEST(csv_hostile) {
    CSV("", PTM_ERR_INPUT);                                             /* empty file */
    CSV("\xef\xbb\xbf", PTM_ERR_INPUT);                                 /* only a BOM */
    CSV("date,a,b\n", PTM_ERR_INPUT);                                   /* header only */
    CSV("date,a,b\n2020-01-01,1,2\n2020-01-02,3\n", PTM_ERR_INPUT);     /* ragged: short */
    CSV("date,a,b\n2020-01-01,1,2\n2020-01-02,3,4,5\n", PTM_ERR_INPUT); /* ragged: long */
    CSV("a,b\n1,\"2\n", PTM_ERR_FORMAT);                                /* unterminated quote */
    CSV("a,b\n1,\"2\"x\n", PTM_ERR_FORMAT);                             /* text after a quote */
    CSV("a,b\n1,2\0\n", PTM_ERR_FORMAT);                                /* NUL byte */
    CSV("a,b\n1,1e39\n", PTM_ERR_INPUT);                                /* beyond float */
    CSV("a,b\n1,abc\n", PTM_ERR_INPUT);                                 /* not a number */
    CSV("a,b\n1,0x10\n", PTM_ERR_INPUT);                                /* hex is not data */
    CSV("date\n2020-01-01\n", PTM_ERR_INPUT);                           /* no value column */

    /* BOM, CRLF, quoted fields (with delimiters, quotes and a line break inside) are fine */
    csv_table t;
    ptm_error err;
    static const char ok[] = "\xef\xbb\xbf\"date\",\"x, y\",\"say\r\n\"\"z\"\"\"\r\n"
                             "2020-01-01 00:00:00,\"1.5\",2\r\n"
                             "\"2020-01-01 01:00:00\",-3e2,\" 4 \"\r\n";
    CHECK_STATUS(csv_case(ok, sizeof ok - 1, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK_EQ_INT(t.ncols, 2);
    CHECK(t.ncols == 2 && strcmp(t.colnames[0], "x, y") == 0);
    CHECK(t.ncols == 2 && strcmp(t.colnames[1], "say\r\n\"z\"") == 0);
    CHECK(t.nrows == 2 && t.values[0] == 1.5f && t.values[2] == -300.0f && t.values[3] == 4.0f);
    CHECK(t.time_parsed == 1);
    csv_free(&t);

    /* NaN / Inf / NA cells are missing values: value 0, observed 0, never NaN in the table */
    static const char miss[] = "a,b,c\nNaN,inf,NA\n-Infinity,,null\n1,2,3\n";
    CHECK_STATUS(csv_case(miss, sizeof miss - 1, &t, &err), PTM_OK);
    int all_missing = 1;
    for (int i = 0; i < 6; i++)
        if (t.observed[i] != 0.0f || t.values[i] != 0.0f) all_missing = 0;
    CHECK(all_missing);
    CHECK(t.observed[6] == 1.0f && t.values[8] == 3.0f);
    csv_free(&t);
}

/* ---------------------------------------------------------------- .ts */

static ptm_status ts_case(const char *text, size_t len, int length, ptm_error *err) {
    write_file("hostile.ts", text, len);
    ptmi_ts_dataset d;
    ptm_status s = ptmi_ts_load(tmp_path("hostile.ts"), length, &d, err);
    if (s != PTM_OK && (d.values || d.ncases)) tu_fail++;
    ptmi_ts_free(&d);
    return s;
}
#define TS(text, expected)                                                                         \
    do {                                                                                           \
        ptm_error e_;                                                                              \
        memset(&e_, 0, sizeof e_);                                                                 \
        expect_status(ts_case(text, sizeof(text) - 1, 0, &e_), expected, &e_, #text, __LINE__);    \
    } while (0)

TEST(ts_hostile) {
    TS("", PTM_ERR_FORMAT);
    TS("\xef\xbb\xbf\r\n", PTM_ERR_FORMAT);
    TS("@data\n", PTM_ERR_FORMAT);                                  /* no cases */
    TS("@classLabel true a b\n@data\n1,2:c\n", PTM_ERR_FORMAT);     /* label not listed */
    TS("@targetLabel true\n@data\n1,2:nan\n", PTM_ERR_FORMAT);      /* NaN target */
    TS("@targetLabel true\n@data\n1,2:1e39\n", PTM_ERR_FORMAT);     /* target beyond float */
    TS("@dimensions 2\n@data\n1,2\n", PTM_ERR_FORMAT);              /* too few dimensions */
    TS("@dimensions 2097152\n@data\n1\n", PTM_ERR_LIMIT);           /* absurd @dimensions */
    TS("@seriesLength 300000000\n@data\n1\n", PTM_ERR_LIMIT);       /* absurd @seriesLength */
    TS("@timeStamps true\n@data\n(2020,1)\n", PTM_ERR_UNSUPPORTED); /* time stamps */
    /* BOM, CRLF, '?' and non-finite values as missing are fine */
    TS("\xef\xbb\xbf@classLabel true a b\r\n@data\r\n1,?,inf:2,3,-nan:b\r\n", PTM_OK);
}

/* ---------------------------------------------------------------- --resume state */

int main(void) {
    hostile_setup("test_hostile_data");
    RUN(csv_hostile);
    RUN(ts_hostile);
    return hostile_finish();
}
