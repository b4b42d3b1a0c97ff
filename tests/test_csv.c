/* test_csv.c - tests of the time-series CSV reader and timestamp helpers (src/io/csv.c).
 *
 * Parses in-memory CSV text through csv_parse (and tests/data/tiny_ett.csv through csv_load,
 * so run from the repository root) and checks shapes, values, missing-value masks, timestamps
 * and the error codes/messages of malformed input. Build: make; run: build/test_csv.
 */
#include <stdint.h>
#include <string.h>

#include "io/csv.h"
#include "testutil.h"

static ptm_status parse_str(const char *s, const csv_options *opt, csv_table *t, ptm_error *err) {
    return csv_parse(s, strlen(s), "mem.csv", opt, t, err);
}

static float val(const csv_table *t, size_t r, size_t c) {
    return t->values[r * t->ncols + c];
}
static float obs(const csv_table *t, size_t r, size_t c) {
    return t->observed[r * t->ncols + c];
}

TEST(test_ett_style) {
    ptm_error err;
    csv_table t;
    const char *s = "date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT\n"
                    "2016-07-01 00:00:00,5.827,2.009,1.599,0.462,4.203,1.340,30.531\n"
                    "2016-07-01 01:00:00,5.693,2.076,1.492,0.426,4.142,1.371,27.787\n"
                    "2016-07-01 02:00:00,5.157,1.741,1.279,0.355,3.777,1.218,27.787\n";
    CHECK_STATUS(parse_str(s, NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 3);
    CHECK_EQ_INT(t.ncols, 7);
    CHECK_EQ_INT(t.has_time, 1);
    CHECK_EQ_INT(t.time_parsed, 1);
    CHECK(t.time_colname && strcmp(t.time_colname, "date") == 0);
    CHECK(strcmp(t.colnames[0], "HUFL") == 0);
    CHECK(strcmp(t.colnames[6], "OT") == 0);
    CHECK_NEAR(val(&t, 0, 0), 5.827, 1e-6);
    CHECK_NEAR(val(&t, 2, 6), 27.787, 1e-5);
    CHECK_EQ_INT(obs(&t, 1, 3), 1);
    CHECK(strcmp(t.time_text[1], "2016-07-01 01:00:00") == 0);
    CHECK_EQ_INT(t.time_sec[0], 1467331200);
    CHECK_EQ_INT(t.time_sec[2] - t.time_sec[0], 7200);
    CHECK_EQ_INT(csv_find_column(&t, "OT"), 6);
    CHECK_EQ_INT(csv_find_column(&t, "HUFL"), 0);
    CHECK_EQ_INT(csv_find_column(&t, "date"), -1);
    CHECK_EQ_INT(csv_find_column(&t, "ot"), -1);
    CHECK_EQ_INT(csv_find_column(NULL, "OT"), -1);
    int64_t step = 0;
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 1);
    CHECK_EQ_INT(step, 3600);
    csv_free(&t);
    CHECK(t.values == NULL && t.nrows == 0 && t.colnames == NULL);
    csv_free(&t); /* second free of a zeroed table is fine */
}

TEST(test_load_file) {
    ptm_error err;
    csv_table t;
    CHECK_STATUS(csv_load("tests/data/tiny_ett.csv", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 3);
    CHECK_EQ_INT(t.ncols, 2);
    CHECK_EQ_INT(obs(&t, 2, 0), 0);
    CHECK_EQ_INT(obs(&t, 2, 1), 1);
    int64_t step = 0;
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 1);
    CHECK_EQ_INT(step, 3600);
    csv_free(&t);

    CHECK_STATUS(csv_load("tests/data/does_not_exist.csv", NULL, &t, &err), PTM_ERR_IO);
    CHECK(err.text[0] != '\0');
    CHECK(strstr(err.file, "does_not_exist") != NULL);

    csv_options opt = {0, 10};
    CHECK_STATUS(csv_load("tests/data/tiny_ett.csv", &opt, &t, &err), PTM_ERR_LIMIT);
    CHECK(err.text[0] != '\0');
    CHECK(t.values == NULL);
}

TEST(test_no_header) {
    ptm_error err;
    csv_table t;
    CHECK_STATUS(parse_str("1,2,3\n4,5,6\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK_EQ_INT(t.ncols, 3);
    CHECK_EQ_INT(t.has_time, 0);
    CHECK(t.time_text == NULL && t.time_sec == NULL && t.time_colname == NULL);
    CHECK(strcmp(t.colnames[0], "col0") == 0);
    CHECK(strcmp(t.colnames[2], "col2") == 0);
    CHECK_NEAR(val(&t, 1, 2), 6, 0);
    CHECK_EQ_INT(csv_time_step(&t, 0, NULL), 0);
    csv_free(&t);

    /* timestamps but no header */
    CHECK_STATUS(parse_str("2020-01-01,1.5\n2020-01-02,2.5\n2020-01-03,3.5\n", NULL, &t, &err),
                 PTM_OK);
    CHECK_EQ_INT(t.nrows, 3);
    CHECK_EQ_INT(t.ncols, 1);
    CHECK_EQ_INT(t.has_time, 1);
    CHECK(t.time_colname == NULL);
    CHECK(strcmp(t.colnames[0], "col0") == 0);
    int64_t step = 0;
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 1);
    CHECK_EQ_INT(step, 86400);
    csv_free(&t);

    /* single numeric column without header */
    CHECK_STATUS(parse_str("1\n2\n3\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 3);
    CHECK_EQ_INT(t.ncols, 1);
    csv_free(&t);
}

TEST(test_no_time_column) {
    ptm_error err;
    csv_table t;
    CHECK_STATUS(parse_str("a,b\n1,2\n3,4\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.has_time, 0);
    CHECK_EQ_INT(t.ncols, 2);
    CHECK(strcmp(t.colnames[0], "a") == 0);
    CHECK_EQ_INT(csv_find_column(&t, "b"), 1);
    CHECK_NEAR(val(&t, 1, 0), 3, 0);
    csv_free(&t);

    /* a non-date text first column: kept as text, time_parsed 0 */
    CHECK_STATUS(parse_str("id,v\nabc,1\nxyz,2\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.has_time, 1);
    CHECK_EQ_INT(t.time_parsed, 0);
    CHECK(t.time_sec == NULL);
    CHECK(strcmp(t.time_text[1], "xyz") == 0);
    CHECK_EQ_INT(csv_time_step(&t, 0, NULL), 0);
    csv_free(&t);

    /* a header whose value column names are all numbers */
    CHECK_STATUS(
        parse_str("date,0,1,2\n1990/1/1 0:00,0.5,1,2\n1990/1/2 0:00,0.25,3,4\n", NULL, &t, &err),
        PTM_OK);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK_EQ_INT(t.ncols, 3);
    CHECK(t.time_colname && strcmp(t.time_colname, "date") == 0);
    CHECK_EQ_INT(csv_find_column(&t, "1"), 1);
    CHECK_EQ_INT(t.time_parsed, 1);
    CHECK_NEAR(val(&t, 1, 0), 0.25, 0);
    csv_free(&t);

    /* single column with header */
    CHECK_STATUS(parse_str("OT\n1\n2\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.ncols, 1);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK(strcmp(t.colnames[0], "OT") == 0);
    csv_free(&t);
}

TEST(test_delimiters) {
    ptm_error err;
    csv_table t;
    CHECK_STATUS(parse_str("date;a;b\n2020-01-01;1.5;2\n2020-01-02;3;4\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.ncols, 2);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK_NEAR(val(&t, 0, 0), 1.5, 0);
    csv_free(&t);

    CHECK_STATUS(parse_str("date\ta\tb\n2020-01-01\t1\t2\n2020-01-02\t3\t\n", NULL, &t, &err),
                 PTM_OK);
    CHECK_EQ_INT(t.ncols, 2);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK_EQ_INT(obs(&t, 1, 1), 0);
    CHECK_NEAR(val(&t, 1, 0), 3, 0);
    csv_free(&t);

    /* explicit delimiter */
    csv_options opt = {'|', 0};
    CHECK_STATUS(parse_str("a|b\n1|2\n", &opt, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.ncols, 2);
    csv_free(&t);

    /* spaces around cells */
    CHECK_STATUS(parse_str("date, a , b\n2020-01-01 , 1.5 ,  2 \n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(csv_find_column(&t, "a"), 0);
    CHECK_NEAR(val(&t, 0, 1), 2, 0);
    CHECK(strcmp(t.time_text[0], "2020-01-01") == 0);
    CHECK_EQ_INT(t.time_parsed, 1);
    csv_free(&t);
}

TEST(test_quotes_crlf_bom) {
    ptm_error err;
    csv_table t;
    const char *s = "\xEF\xBB\xBF"
                    "\"date\",\"load, kW\",\"say \"\"hi\"\"\"\r\n"
                    "\"2020-01-01 00:00\",\"1.25\",2\r\n"
                    "2020-01-01 00:15,\"\",3\r\n";
    CHECK_STATUS(parse_str(s, NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK_EQ_INT(t.ncols, 2);
    CHECK(t.time_colname && strcmp(t.time_colname, "date") == 0); /* BOM not in the name */
    CHECK(strcmp(t.colnames[0], "load, kW") == 0);
    CHECK(strcmp(t.colnames[1], "say \"hi\"") == 0);
    CHECK_NEAR(val(&t, 0, 0), 1.25, 0);
    CHECK_EQ_INT(obs(&t, 1, 0), 0);
    CHECK_NEAR(val(&t, 1, 1), 3, 0);
    CHECK(strcmp(t.time_text[1], "2020-01-01 00:15") == 0); /* no '\r' left */
    int64_t step = 0;
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 1);
    CHECK_EQ_INT(step, 900);
    csv_free(&t);

    /* unterminated quote */
    CHECK_STATUS(parse_str("a,b\n\"1,2\n", NULL, &t, &err), PTM_ERR_FORMAT);
    CHECK(err.text[0] != '\0');
    /* garbage after a closing quote */
    CHECK_STATUS(parse_str("a,b\n\"1\"x,2\n", NULL, &t, &err), PTM_ERR_FORMAT);
    CHECK(err.text[0] != '\0');
}

TEST(test_blank_lines) {
    ptm_error err;
    csv_table t;
    CHECK_STATUS(parse_str("a,b\n1,2\n\n3,4\n\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 2);
    csv_free(&t);
    /* no final newline */
    CHECK_STATUS(parse_str("a,b\n1,2\n3,4", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 2);
    CHECK_NEAR(val(&t, 1, 1), 4, 0);
    csv_free(&t);
    /* the row number counts file lines, blank ones included */
    CHECK_STATUS(parse_str("a,b\n1,2\n\n3\n", NULL, &t, &err), PTM_ERR_INPUT);
    CHECK(strstr(err.text, "row 4") != NULL);
}

TEST(test_missing_values) {
    ptm_error err;
    csv_table t;
    const char *s = "date,a,b,c\n"
                    "2020-01-01,NA,nan,1\n"
                    "2020-01-02,null,NaN,\n"
                    "2020-01-03,inf,-Infinity,N/A\n"
                    "2020-01-04,NULL,na,2e3\n";
    CHECK_STATUS(parse_str(s, NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, 4);
    CHECK_EQ_INT(t.ncols, 3);
    for (size_t r = 0; r < 4; r++)
        for (size_t c = 0; c < 2; c++) {
            CHECK_EQ_INT(obs(&t, r, c), 0);
            CHECK_EQ_INT(val(&t, r, c), 0);
        }
    CHECK_EQ_INT(obs(&t, 0, 2), 1);
    CHECK_EQ_INT(obs(&t, 1, 2), 0);
    CHECK_EQ_INT(obs(&t, 2, 2), 0);
    CHECK_NEAR(val(&t, 3, 2), 2000, 0);
    csv_free(&t);
}

TEST(test_ragged_rows) {
    ptm_error err;
    csv_table t;
    const char *few = "date,a,b\n2020-01-01,1,2\n2020-01-02,1\n";
    CHECK_STATUS(parse_str(few, NULL, &t, &err), PTM_ERR_INPUT);
    CHECK(strstr(err.text, "row 3 has 2 cells, expected 3") != NULL);
    CHECK(strcmp(err.file, "mem.csv") == 0);
    CHECK(t.values == NULL && t.nrows == 0);

    const char *many = "date,a,b\n2020-01-01,1,2\n2020-01-02,1,2\n2020-01-03,1,2,3\n";
    CHECK_STATUS(parse_str(many, NULL, &t, &err), PTM_ERR_INPUT);
    CHECK(strstr(err.text, "row 4 has 4 cells, expected 3") != NULL);
    CHECK(strstr(err.field, "row 4") != NULL);

    /* trailing delimiter on data rows only */
    CHECK_STATUS(parse_str("a,b\n1,2,\n", NULL, &t, &err), PTM_ERR_INPUT);
    CHECK(err.text[0] != '\0');
    /* trailing delimiter on every line: an extra, all-missing column */
    CHECK_STATUS(parse_str("a,b,\n1,2,\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.ncols, 3);
    CHECK_EQ_INT(obs(&t, 0, 2), 0);
    CHECK(strcmp(t.colnames[2], "col2") == 0);
    csv_free(&t);
}

TEST(test_non_numeric) {
    ptm_error err;
    csv_table t;
    const char *bad[] = {"abc", "1.2.3", "5x", "--1", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char s[128];
        snprintf(s, sizeof s, "date,HUFL,OT\n2020-01-01,1,2\n2020-01-02,3,%s\n", bad[i]);
        CHECK_STATUS(parse_str(s, NULL, &t, &err), PTM_ERR_INPUT);
        CHECK(strstr(err.field, "row 3") != NULL);
        CHECK(strstr(err.field, "'OT'") != NULL);
        CHECK(strstr(err.text, bad[i]) != NULL);
        CHECK(t.values == NULL);
    }
    /* 1e-50 underflows to float zero: accepted */
    CHECK_STATUS(parse_str("a\n1e-50\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(obs(&t, 0, 0), 1);
    csv_free(&t);
    /* embedded NUL */
    CHECK_STATUS(csv_parse("a,b\n1,2\0\n", 9, "nul.csv", NULL, &t, &err), PTM_ERR_FORMAT);
    CHECK(err.text[0] != '\0');
}

TEST(test_empty_inputs) {
    ptm_error err;
    csv_table t;
    CHECK_STATUS(parse_str("", NULL, &t, &err), PTM_ERR_INPUT);
    CHECK(strstr(err.text, "no data rows") != NULL);
    CHECK_STATUS(csv_parse(NULL, 0, NULL, NULL, &t, &err), PTM_ERR_INPUT);
    CHECK_STATUS(parse_str("\n\n\r\n", NULL, &t, &err), PTM_ERR_INPUT);
    CHECK_STATUS(parse_str("date,a,b\n", NULL, &t, &err), PTM_ERR_INPUT);
    CHECK(strstr(err.text, "no data rows") != NULL);
    CHECK_STATUS(parse_str("\xEF\xBB\xBF"
                           "date,a,b\r\n\r\n",
                           NULL, &t, &err),
                 PTM_ERR_INPUT);
    CHECK(strstr(err.text, "no data rows") != NULL);
    /* only a timestamp column */
    CHECK_STATUS(parse_str("date\n2020-01-01\n2020-01-02\n", NULL, &t, &err), PTM_ERR_INPUT);
    CHECK(strstr(err.text, "no value columns") != NULL);
    CHECK(t.colnames == NULL);
    /* invalid arguments */
    CHECK_STATUS(csv_parse("a\n1\n", 4, "x", NULL, NULL, &err), PTM_ERR_ARG);
    csv_options opt = {'"', 0};
    CHECK_STATUS(parse_str("a\n1\n", &opt, &t, &err), PTM_ERR_ARG);
    opt.delimiter = 0;
    opt.max_bytes = 3;
    CHECK_STATUS(parse_str("a\n1\n", &opt, &t, &err), PTM_ERR_LIMIT);
    CHECK(err.text[0] != '\0');
}

TEST(test_parse_time) {
    int64_t s = 0;
    CHECK_EQ_INT(csv_parse_time("1970-01-01", &s), 0);
    CHECK_EQ_INT(s, 0);
    CHECK_EQ_INT(csv_parse_time("2016-07-01", &s), 0);
    CHECK_EQ_INT(s, 1467331200);
    CHECK_EQ_INT(csv_parse_time("2016-07-01 00:00:00", &s), 0);
    CHECK_EQ_INT(s, 1467331200);
    CHECK_EQ_INT(csv_parse_time("2016-07-01 01:30", &s), 0);
    CHECK_EQ_INT(s, 1467331200 + 5400);
    CHECK_EQ_INT(csv_parse_time("2016-07-01T01:30:15", &s), 0);
    CHECK_EQ_INT(s, 1467331200 + 5415);
    CHECK_EQ_INT(csv_parse_time("2016-07-01T01:30:15Z", &s), 0);
    CHECK_EQ_INT(s, 1467331200 + 5415);
    CHECK_EQ_INT(csv_parse_time("2016-07-01T01:30:15.750Z", &s), 0);
    CHECK_EQ_INT(s, 1467331200 + 5415);
    CHECK_EQ_INT(csv_parse_time("2016-07-01T03:30:15+02:00", &s), 0);
    CHECK_EQ_INT(s, 1467331200 + 5415);
    CHECK_EQ_INT(csv_parse_time("2016-06-30T23:30:15-0200", &s), 0);
    CHECK_EQ_INT(s, 1467331200 + 5415);
    CHECK_EQ_INT(csv_parse_time("2016/07/01 01:30:15", &s), 0);
    CHECK_EQ_INT(s, 1467331200 + 5415);
    CHECK_EQ_INT(csv_parse_time("2016/7/1 1:30", &s), 0);
    CHECK_EQ_INT(s, 1467331200 + 5400);
    CHECK_EQ_INT(csv_parse_time("  2016-07-01  ", &s), 0);
    CHECK_EQ_INT(s, 1467331200);
    /* leap years */
    CHECK_EQ_INT(csv_parse_time("2016-02-29", &s), 0);
    CHECK_EQ_INT(s, 1456704000);
    CHECK_EQ_INT(csv_parse_time("2000-02-29 12:00:00", &s), 0);
    CHECK_EQ_INT(s, 951825600);
    CHECK(csv_parse_time("2015-02-29", &s) != 0);
    CHECK(csv_parse_time("1900-02-29", &s) != 0);
    /* before 1970 */
    CHECK_EQ_INT(csv_parse_time("1969-12-31 23:59:59", &s), 0);
    CHECK_EQ_INT(s, -1);
    CHECK_EQ_INT(csv_parse_time("1900-01-01", &s), 0);
    CHECK_EQ_INT(s, -2208988800LL);
    /* rejected */
    const char *bad[] = {"",
                         "2016",
                         "2016-13-01",
                         "2016-07-32",
                         "2016-07-01x",
                         "2016-07-01T",
                         "2016-07-01 25:00",
                         "2016-07-01 10:60",
                         "16-07-01",
                         "2016-07/01",
                         "2016-07-01 10:00:00.",
                         "abc",
                         "2016-07-01 10",
                         "2016-07-01 10:00+2",
                         "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = csv_parse_time(bad[i], &s);
        if (rc == 0) fprintf(stderr, "  accepted bad time '%s'\n", bad[i]);
        CHECK(rc != 0);
    }
    CHECK(csv_parse_time(NULL, &s) != 0);
}

TEST(test_time_step) {
    ptm_error err;
    csv_table t;
    const char *irregular = "date,v\n"
                            "2020-01-01 00:00,1\n"
                            "2020-01-01 01:00,2\n"
                            "2020-01-01 03:00,3\n"
                            "2020-01-01 04:00,4\n"
                            "2020-01-01 05:00,5\n";
    CHECK_STATUS(parse_str(irregular, NULL, &t, &err), PTM_OK);
    int64_t step = -7;
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 0);
    CHECK_EQ_INT(step, -7);
    CHECK_EQ_INT(csv_time_step(&t, 3, &step), 1); /* last three rows are regular */
    CHECK_EQ_INT(step, 3600);
    CHECK_EQ_INT(csv_time_step(&t, 4, &step), 0);
    CHECK_EQ_INT(csv_time_step(&t, 1, &step), 0); /* one row is not enough */
    CHECK_EQ_INT(csv_time_step(&t, 100, &step), 0);
    csv_free(&t);

    /* decreasing and duplicate times */
    CHECK_STATUS(parse_str("d,v\n2020-01-02,1\n2020-01-01,2\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 0);
    csv_free(&t);
    CHECK_STATUS(parse_str("d,v\n2020-01-01,1\n2020-01-01,2\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 0);
    csv_free(&t);
    /* one row */
    CHECK_STATUS(parse_str("d,v\n2020-01-01,1\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 0);
    csv_free(&t);
    /* one unparsable timestamp switches time_sec off */
    CHECK_STATUS(parse_str("d,v\n2020-01-01,1\nlater,2\n", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.has_time, 1);
    CHECK_EQ_INT(t.time_parsed, 0);
    CHECK(t.time_sec == NULL);
    CHECK_EQ_INT(csv_time_step(&t, 0, &step), 0);
    csv_free(&t);
}

static int fmt_is(int64_t sec, const char *like, const char *expect) {
    char buf[64];
    csv_format_time(sec, like, buf, sizeof buf);
    if (strcmp(buf, expect) != 0) {
        fprintf(stderr, "  format(%lld, '%s') = '%s', expected '%s'\n", (long long)sec,
                like ? like : "(null)", buf, expect);
        return 0;
    }
    return 1;
}

/* Parse like, add delta seconds, format in like's style. */
static int next_is(const char *like, int64_t delta, const char *expect) {
    int64_t s;
    if (csv_parse_time(like, &s) != 0) return 0;
    return fmt_is(s + delta, like, expect);
}

TEST(test_format_time) {
    CHECK(next_is("2016-07-01 00:00:00", 3600, "2016-07-01 01:00:00"));
    CHECK(next_is("2016-07-01 23:00:00", 3600, "2016-07-02 00:00:00"));
    CHECK(next_is("2016-07-01", 86400, "2016-07-02"));
    CHECK(next_is("2016-02-28", 86400, "2016-02-29"));
    CHECK(next_is("2015-02-28", 86400, "2015-03-01"));
    CHECK(next_is("2016-12-31", 86400, "2017-01-01"));
    CHECK(next_is("2016-07-01T00:00:00Z", 900, "2016-07-01T00:15:00Z"));
    CHECK(next_is("2016-07-01T00:00:00", 60, "2016-07-01T00:01:00"));
    CHECK(next_is("2016-07-01 00:45", 900, "2016-07-01 01:00"));
    CHECK(next_is("2016/07/01 00:00:00", 3600, "2016/07/01 01:00:00"));
    CHECK(next_is("2016/7/1 0:00", 86400 + 3600, "2016/7/2 1:00"));
    CHECK(next_is("2016-07-01T00:00:00.000Z", 1, "2016-07-01T00:00:01.000Z"));
    CHECK(next_is("2016-07-01T23:00:00+02:00", 3600, "2016-07-02T00:00:00+02:00"));
    CHECK(next_is("1969-12-31 23:00:00", 3600, "1970-01-01 00:00:00"));
    CHECK(next_is("1900-01-01", 0, "1900-01-01"));
    CHECK(fmt_is(0, NULL, "1970-01-01 00:00:00"));
    CHECK(fmt_is(-1, "not a time", "1969-12-31 23:59:59"));
    CHECK(fmt_is(1456704000 + 3661, "2000-01-01 00:00:00", "2016-02-29 01:01:01"));
    /* round trip of the parsed value of every row of a file */
    ptm_error err;
    csv_table t;
    CHECK_STATUS(csv_load("tests/data/tiny_ett.csv", NULL, &t, &err), PTM_OK);
    for (size_t r = 0; r < t.nrows; r++) {
        char buf[64];
        csv_format_time(t.time_sec[r], t.time_text[0], buf, sizeof buf);
        CHECK(strcmp(buf, t.time_text[r]) == 0);
    }
    csv_free(&t);
    /* truncation keeps the buffer terminated */
    char small[8];
    csv_format_time(0, "2016-07-01 00:00:00", small, sizeof small);
    CHECK(strcmp(small, "1970-01") == 0);
    csv_format_time(0, NULL, small, 0); /* no-op */
}

int main(void) {
    RUN(test_ett_style);
    RUN(test_load_file);
    RUN(test_no_header);
    RUN(test_no_time_column);
    RUN(test_delimiters);
    RUN(test_quotes_crlf_bom);
    RUN(test_blank_lines);
    RUN(test_missing_values);
    RUN(test_ragged_rows);
    RUN(test_non_numeric);
    RUN(test_empty_inputs);
    RUN(test_parse_time);
    RUN(test_time_step);
    RUN(test_format_time);
    return test_summary("test_csv");
}
