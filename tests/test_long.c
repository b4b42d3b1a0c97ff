/* test_long.c - tests of the long-format reader (src/io/long.c: ptm_long_parse / load / sniff /
 * series_check): grouping by id in the order of first appearance, the stable sort by time,
 * integer times, covariates and custom column names, and the exact messages of hostile and
 * wrong input, file-level (load errors) and per series (series_check). Build: make; run:
 * build/test_long.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "patchtsmixer.h"
#include "testutil.h"

static ptm_status parse(const char *s, const ptm_long_params *p, ptm_long *t, ptm_error *err) {
    memset(err, 0, sizeof *err);
    return ptm_long_parse(s, strlen(s), "mem.csv", p, t, err);
}

/* the whole message "file: field: text" of a failed parse must be `want` */
static void expect_msg(int line, const char *s, const ptm_long_params *p, ptm_status code,
                       const char *want) {
    ptm_long t;
    ptm_error err;
    char msg[2048];
    ptm_status st = parse(s, p, &t, &err);
    ptm_error_message(&err, msg, sizeof msg);
    expect_at(st == code, line, "status", &err);
    if (strcmp(msg, want) != 0) fprintf(stderr, "  got:  %s\n  want: %s\n", msg, want);
    expect_at(strcmp(msg, want) == 0, line, "message", &err);
    expect_at(t.nseries == 0 && t.ids == NULL && t.table.values == NULL, line, "zeroed", &err);
    ptm_long_free(&t);
}

TEST(test_grouping_and_sorting) {
    ptm_error err;
    ptm_long t;
    /* B first, A interleaved and out of time order; two rows of A share a time */
    const char *s = "unique_id,ds,y,price\n"
                    "B,2024-01-02,20,2\n"
                    "A,2024-01-03,3,\n"
                    "B,2024-01-01,10,1\n"
                    "A,2024-01-01,1,0.1\n"
                    "A,2024-01-02,2,NA\n"
                    "A,2024-01-01,1.5,0.15\n";
    CHECK_STATUS(parse(s, NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nseries, 2);
    CHECK(strcmp(t.ids[0], "B") == 0 && strcmp(t.ids[1], "A") == 0);
    CHECK_EQ_INT(t.start[0], 0);
    CHECK_EQ_INT(t.start[1], 2);
    CHECK_EQ_INT(t.start[2], 6);
    CHECK_EQ_INT(t.table.nrows, 6);
    CHECK_EQ_INT(t.table.ncols, 2);
    CHECK(strcmp(t.table.colnames[0], "y") == 0 && strcmp(t.table.colnames[1], "price") == 0);
    CHECK_EQ_INT(t.target, 0);
    CHECK(strcmp(t.id_colname, "unique_id") == 0 && strcmp(t.table.time_colname, "ds") == 0);
    CHECK_EQ_INT(t.time_integer, 0);
    float ys[6] = {10, 20, 1, 1.5f, 2, 3};
    for (int r = 0; r < 6; r++) CHECK_NEAR(t.table.values[r * 2], ys[r], 0);
    CHECK(strcmp(t.table.time_text[3], "2024-01-01") == 0); /* stable: 1 before 1.5 */
    CHECK_EQ_INT(t.table.observed[4 * 2 + 1], 0);           /* NA is missing */
    CHECK_EQ_INT(t.table.time_sec[1] - t.table.time_sec[0], 86400);
    int cols[2] = {0, 1};
    int64_t step = 0;
    CHECK_STATUS(ptm_long_series_check(&t, 0, 2, cols, 2, &step, &err), PTM_OK);
    CHECK_EQ_INT(step, 86400);
    char msg[1024];
    CHECK_STATUS(ptm_long_series_check(&t, 1, 4, cols, 2, &step, &err), PTM_ERR_INPUT);
    CHECK(strcmp(ptm_error_message(&err, msg, sizeof msg),
                 "series 'A': time '2024-01-01' appears twice") == 0);
    CHECK_STATUS(ptm_long_series_check(&t, 1, 2, cols, 2, &step, &err), PTM_ERR_INPUT);
    CHECK(strcmp(ptm_error_message(&err, msg, sizeof msg),
                 "series 'A': no value in column 'price' in its last 2 rows") == 0);
    CHECK_STATUS(ptm_long_series_check(&t, 1, 2, cols, 1, &step, &err), PTM_OK);
    CHECK_STATUS(ptm_long_series_check(&t, 0, 3, cols, 1, &step, &err), PTM_ERR_INPUT);
    CHECK(strcmp(ptm_error_message(&err, msg, sizeof msg),
                 "series 'B': 2 rows, at least 3 needed") == 0);
    CHECK_STATUS(ptm_long_series_check(&t, 2, 1, cols, 1, &step, &err), PTM_ERR_ARG);
    int bad = 2;
    CHECK_STATUS(ptm_long_series_check(&t, 0, 1, &bad, 1, &step, &err), PTM_ERR_ARG);
    ptm_long_free(&t);
    CHECK(t.ids == NULL && t.nseries == 0);
    ptm_long_free(&t);
    ptm_long_free(NULL);
}

TEST(test_integer_times_and_names) {
    ptm_error err;
    ptm_long t;
    ptm_long_params p = {"item", "t", "sales", ';'};
    const char *s = "\xEF\xBB\xBFsales;t;item\r\n"
                    "5;3;\"a;b\"\r\n"
                    "4;1;\"a;b\"\r\n"
                    "\r\n"
                    "7;-2;x\r\n"
                    "6;2;\"a;b\"\r\n";
    CHECK_STATUS(parse(s, &p, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.time_integer, 1);
    CHECK_EQ_INT(t.nseries, 2);
    CHECK(strcmp(t.ids[0], "a;b") == 0 && strcmp(t.ids[1], "x") == 0);
    CHECK_EQ_INT(t.table.ncols, 1);
    CHECK_EQ_INT(t.table.time_sec[0], 1);
    CHECK_EQ_INT(t.table.time_sec[2], 3);
    CHECK_EQ_INT(t.table.time_sec[3], -2);
    CHECK_NEAR(t.table.values[1], 6, 0);
    int col = 0;
    int64_t step = 0;
    CHECK_STATUS(ptm_long_series_check(&t, 0, 3, &col, 1, &step, &err), PTM_OK);
    CHECK_EQ_INT(step, 1);
    CHECK_STATUS(ptm_long_series_check(&t, 1, 1, &col, 1, &step, &err), PTM_OK);
    CHECK_EQ_INT(step, 0);
    ptm_long_free(&t);

    /* uneven steps; huge integer times do not overflow the step arithmetic */
    char msg[1024];
    CHECK_STATUS(parse("unique_id,ds,y\nA,1,1\nA,2,2\nA,4,3\n", NULL, &t, &err), PTM_OK);
    CHECK_STATUS(ptm_long_series_check(&t, 0, 3, &col, 1, &step, &err), PTM_ERR_INPUT);
    CHECK(strcmp(ptm_error_message(&err, msg, sizeof msg),
                 "series 'A': irregular time steps in its last 3 rows: '2' to '4' is not the "
                 "step of '1' to '2'") == 0);
    CHECK_STATUS(ptm_long_series_check(&t, 0, 2, &col, 1, &step, &err), PTM_OK);
    CHECK_EQ_INT(step, 2);
    ptm_long_free(&t);
    CHECK_STATUS(parse("unique_id,ds,y\nA,-9223372036854775807,1\nA,9223372036854775807,2\n", NULL,
                       &t, &err),
                 PTM_OK);
    CHECK_STATUS(ptm_long_series_check(&t, 0, 2, &col, 1, &step, &err), PTM_ERR_INPUT);
    CHECK(strcmp(ptm_error_message(&err, msg, sizeof msg),
                 "series 'A': the time step from '-9223372036854775807' to "
                 "'9223372036854775807' is too large") == 0);
    ptm_long_free(&t);
}

TEST(test_hostile) {
    expect_msg(__LINE__, "", NULL, PTM_ERR_INPUT,
               "mem.csv: no data rows: the file is empty; expected a header line and data rows");
    expect_msg(__LINE__, "unique_id,ds,y\n", NULL, PTM_ERR_INPUT,
               "mem.csv: no data rows: only a header line (line 1) was found");
    expect_msg(__LINE__, "id,ds,y\nA,2024-01-01,1\n", NULL, PTM_ERR_INPUT,
               "mem.csv: line 1: no column 'unique_id' in the header; a long-format file has one "
               "row per series and time step with an id, a time and a target column "
               "('unique_id', 'ds', 'y')");
    expect_msg(__LINE__, "unique_id,ds,value\nA,2024-01-01,1\n", NULL, PTM_ERR_INPUT,
               "mem.csv: line 1: no column 'y' in the header; a long-format file has one row per "
               "series and time step with an id, a time and a target column ('unique_id', 'ds', "
               "'y')");
    expect_msg(__LINE__, "unique_id,ds,y,y\nA,2024-01-01,1,2\n", NULL, PTM_ERR_INPUT,
               "mem.csv: line 1: the header names column 'y' twice (columns 3 and 4)");
    {
        /* a header of 20004 cells: the repeated name is found without comparing every pair */
        size_t cap = 20004 * 8 + 64, n = 0;
        char *h = malloc(cap);
        n += (size_t)snprintf(h + n, cap - n, "unique_id,ds,y");
        for (int k = 0; k < 20000; k++) n += (size_t)snprintf(h + n, cap - n, ",c%d", k);
        snprintf(h + n, cap - n, ",c5\n");
        expect_msg(__LINE__, h, NULL, PTM_ERR_INPUT,
                   "mem.csv: line 1: the header names column 'c5' twice (columns 9 and 20004)");
        free(h);
    }
    ptm_long_params same = {"ds", NULL, NULL, 0};
    expect_msg(__LINE__, "unique_id,ds,y\nA,2024-01-01,1\n", &same, PTM_ERR_ARG,
               "mem.csv: the id, time and target columns must be three different columns");
    expect_msg(__LINE__, "unique_id,ds,y\nA,2024-01-01,1\nB,2024-01-01\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 3: row 3 has 2 cells, expected 3 (as the header)");
    expect_msg(__LINE__, "unique_id,ds,y\n,2024-01-01,1\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 2, column 'unique_id': empty series id");
    expect_msg(__LINE__, "unique_id,ds,y\nA,yesterday,1\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 2, column 'ds': cannot read 'yesterday' as a time; expected a "
               "timestamp like 2024-01-31 or 2024-01-31 13:00:00, or an integer");
    expect_msg(__LINE__, "unique_id,ds,y\nA,2024-01-01,1\nA,7,2\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 3, column 'ds': '7' is an integer, the first row's time is a "
               "timestamp");
    expect_msg(__LINE__, "unique_id,ds,y\nA,7,1\nA,2024-02-30,2\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 3, column 'ds': cannot read '2024-02-30' as a time; expected a "
               "timestamp like 2024-01-31 or 2024-01-31 13:00:00, or an integer");
    expect_msg(__LINE__, "unique_id,ds,y\nA,99999999999999999999,1\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 2, column 'ds': cannot read '99999999999999999999' as a time; "
               "expected a timestamp like 2024-01-31 or 2024-01-31 13:00:00, or an integer");
    expect_msg(__LINE__, "unique_id,ds,y\nA,1,0x10\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 2, column 'y': cannot read '0x10' as a number; expected a decimal "
               "number, an empty cell or NA/NaN");
    expect_msg(__LINE__, "unique_id,ds,y\nA,1,1e999\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 2, column 'y': value '1e999' is outside the float range (|x| <= "
               "3.40282e+38)");
    expect_msg(__LINE__, "unique_id,ds,y\nA,1,\"1\n", NULL, PTM_ERR_FORMAT,
               "mem.csv: row 2: quoted field opened on line 2 is never closed; expected a closing "
               "'\"'");
    expect_msg(__LINE__, "unique_id,ds,y\nA\x1b[2J,1,1\nA,1,\x01\n", NULL, PTM_ERR_INPUT,
               "mem.csv: row 3, column 'y': cannot read '\\x01' as a number; expected a decimal "
               "number, an empty cell or NA/NaN");
    ptm_long_params quote = {NULL, NULL, NULL, '"'};
    expect_msg(__LINE__, "unique_id,ds,y\nA,1,1\n", &quote, PTM_ERR_ARG,
               "mem.csv: delimiter 0x22 is not usable; expected e.g. ',', ';' or '\\t'");
    ptm_long t;
    ptm_error err;
    CHECK_STATUS(ptm_long_parse(NULL, 3, "mem.csv", NULL, &t, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_long_parse("", 0, "mem.csv", NULL, NULL, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_long_load("tests/data/does_not_exist.csv", NULL, &t, &err), PTM_ERR_IO);
    CHECK(t.nseries == 0);
}

TEST(test_many_series_and_sniff) {
    /* 3000 series of 3 rows, written in reverse time order: the hash table and the sorts grow */
    size_t cap = 3000 * 3 * 40 + 64, n = 0;
    char *s = malloc(cap);
    n += (size_t)snprintf(s + n, cap - n, "unique_id,ds,y\n");
    for (int r = 2; r >= 0; r--)
        for (int i = 0; i < 3000; i++)
            n += (size_t)snprintf(s + n, cap - n, "id%d,%d,%d\n", i, r, i * 10 + r);
    ptm_error err;
    ptm_long t;
    CHECK_STATUS(ptm_long_parse(s, n, "many.csv", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nseries, 3000);
    CHECK(strcmp(t.ids[2999], "id2999") == 0);
    int ok = 1;
    for (size_t i = 0; i < 3000 && ok; i++)
        for (size_t k = 0; k < 3 && ok; k++)
            ok = t.table.values[t.start[i] + k] == (float)(i * 10 + k) && t.start[i] == 3 * i;
    CHECK(ok);
    ptm_long_free(&t);
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_long_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(s, 1, n, f);
        fclose(f);
        CHECK_EQ_INT(ptm_long_sniff(path, NULL), 1);
        ptm_long_params p = {"item", NULL, NULL, 0};
        CHECK_EQ_INT(ptm_long_sniff(path, &p), 0);
        CHECK_STATUS(ptm_long_load(path, NULL, &t, &err), PTM_OK);
        CHECK_EQ_INT(t.nseries, 3000);
        ptm_long_free(&t);
        remove(path);
    }
    CHECK_EQ_INT(ptm_long_sniff("tests/data/fc_past.csv", NULL), 0);
    CHECK_EQ_INT(ptm_long_sniff("-", NULL), 0);
    CHECK_EQ_INT(ptm_long_sniff("tests", NULL), 0);
    CHECK_EQ_INT(ptm_long_sniff(NULL, NULL), 0);
    free(s);
}

int main(void) {
    RUN(test_grouping_and_sorting);
    RUN(test_integer_times_and_names);
    RUN(test_hostile);
    RUN(test_many_series_and_sniff);
    return test_summary("test_long");
}
