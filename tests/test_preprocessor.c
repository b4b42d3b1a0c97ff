/* test_preprocessor.c - preprocessor_config.json (src/io/preproc.c): a saved preprocessor
 * reads back field for field (names with quotes and non-ASCII letters, the scaler to the
 * float's last bit); a folder without one loads as "not present"; hostile files are refused
 * with the exact status, field and message; columns are picked from a CSV by name, and a
 * missing one is named with the columns the model was trained on; bad arguments to the writer;
 * long_format (a model trained on many series) reads back, and its hostile forms are refused.
 *
 *     build/test_preprocessor      prints "test_preprocessor: N passed, M failed"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

static char *names3[] = {"OT", "x \"quoted\" \\ name", "temp\xc3\xa9rature"};
static int roles3[] = {1, 0, 1};
static float mean3[] = {26.8720226f, -1e-7f, 3.4e38f};
static float std3[] = {11.5847187f, 1e-30f, 0.5f};

static ptm_preprocessor sample(void) {
    ptm_preprocessor p;
    memset(&p, 0, sizeof p);
    p.present = 1;
    p.ncols = 3;
    p.columns = names3;
    p.is_target = roles3;
    p.scaler.ncols = 3;
    p.scaler.mean = mean3;
    p.scaler.std = std3;
    p.timestamp_column = "date";
    p.timestamp_format = "%Y-%m-%d %H:%M:%S";
    p.time_step = 3600;
    p.training_data = "data/ETTh2.csv";
    p.training_command = "patchtsmixer train --data 'a b.csv'\n";
    return p;
}

TEST(round_trip) {
    ptm_error err;
    ptm_preprocessor p = sample(), q;
    const char *dir = tmp_path("rt");
    mkdir(dir, 0700);
    CHECK_STATUS(ptm_preprocessor_save(&p, dir, &err), PTM_OK);
    CHECK_STATUS(ptm_preprocessor_load(dir, &q, &err), PTM_OK);
    CHECK(q.present == 1 && q.ncols == 3);
    if (q.ncols != 3) return;
    for (int i = 0; i < 3; i++) {
        CHECK(strcmp(q.columns[i], names3[i]) == 0);
        CHECK_EQ_INT(q.is_target[i], roles3[i]);
        CHECK(q.scaler.mean[i] == mean3[i] && q.scaler.std[i] == std3[i]);
    }
    CHECK_EQ_INT(q.scaler.ncols, 3);
    CHECK(strcmp(q.timestamp_column, "date") == 0);
    CHECK(strcmp(q.timestamp_format, "%Y-%m-%d %H:%M:%S") == 0);
    CHECK(q.time_step == 3600);
    CHECK(strcmp(q.training_data, "data/ETTh2.csv") == 0);
    CHECK(strcmp(q.training_command, p.training_command) == 0);
    ptm_preprocessor_free(&q);
    CHECK(q.columns == NULL && q.present == 0);
    ptm_preprocessor_free(&q); /* twice: a no-op */
    ptm_preprocessor_free(NULL);
    /* no scaler, no timestamps: nulls, read back as zeroed fields */
    p.scaler.ncols = 0;
    p.scaler.mean = p.scaler.std = NULL;
    p.timestamp_column = p.timestamp_format = NULL;
    p.time_step = 0;
    p.is_target = NULL; /* every column a target */
    CHECK_STATUS(ptm_preprocessor_save(&p, dir, &err), PTM_OK);
    CHECK_STATUS(ptm_preprocessor_load(dir, &q, &err), PTM_OK);
    CHECK(q.scaler.ncols == 0 && q.scaler.mean == NULL && q.timestamp_column == NULL);
    CHECK(q.time_step == 0 && q.ncols == 3 && q.is_target && q.is_target[1] == 1);
    CHECK(q.id_column == NULL && q.target_column == NULL);
    ptm_preprocessor_free(&q);
    /* long format: the id and target columns (the time column is timestamp_column) */
    p = sample();
    p.id_column = "item \"id\"";
    p.target_column = names3[2];
    CHECK_STATUS(ptm_preprocessor_save(&p, dir, &err), PTM_OK);
    CHECK_STATUS(ptm_preprocessor_load(dir, &q, &err), PTM_OK);
    CHECK(q.id_column && strcmp(q.id_column, p.id_column) == 0);
    CHECK(q.target_column && strcmp(q.target_column, names3[2]) == 0);
    CHECK(q.timestamp_column && strcmp(q.timestamp_column, "date") == 0);
    ptm_preprocessor_free(&q);
    p.target_column = "not a column"; /* the writer checks what the reader would refuse */
    CHECK_STATUS(ptm_preprocessor_save(&p, dir, &err), PTM_ERR_ARG);
    CHECK(strcmp(err.field, "long_format") == 0);
}

TEST(absent_and_special) {
    ptm_error err;
    ptm_preprocessor q;
    const char *dir = tmp_path("none");
    mkdir(dir, 0700);
    memset(&q, 0xff, sizeof q);
    CHECK_STATUS(ptm_preprocessor_load(dir, &q, &err), PTM_OK);
    CHECK(q.present == 0 && q.columns == NULL);
    /* a FIFO or a directory in its place is refused at once */
    char p[600];
    snprintf(p, sizeof p, "%s/preprocessor_config.json", dir);
    CHECK(mkfifo(p, 0600) == 0);
    CHECK_STATUS(ptm_preprocessor_load(dir, &q, &err), PTM_ERR_IO);
    CHECK(strstr(err.text, "FIFO") != NULL);
    unlink(p);
    CHECK(mkdir(p, 0700) == 0);
    CHECK_STATUS(ptm_preprocessor_load(dir, &q, &err), PTM_ERR_IO);
    rmdir(p);
    CHECK_STATUS(ptm_preprocessor_load(NULL, &q, &err), PTM_ERR_ARG);
}

/* the body of a valid file with one part replaced: HEAD + cols + roles + scaler + TAIL */
#define HEAD "{\"preprocessor_type\": \"PatchTSMixerPreprocessor\", \"format_version\": 1, "
#define COLS "\"columns\": [\"a\", \"b\"], "
#define ROLES "\"target_columns\": [\"a\"], \"covariate_columns\": [\"b\"], "
#define SCALER "\"scaler\": {\"type\": \"standard\", \"mean\": [0, 1], \"scale\": [1, 2]}"

#define LONG(id, t, y)                                                                             \
    "\"long_format\": {\"id_column\": \"" id "\", \"time_column\": \"" t                           \
    "\", \"target_column\": \"" y "\"}"

typedef struct {
    const char *text;
    ptm_status code;
    const char *field, *msg;
} hostile_case;

static const hostile_case cases[] = {
    {HEAD COLS ROLES SCALER "}", PTM_OK, "", ""},
    {HEAD COLS ROLES SCALER ", \"scalar\": null}", PTM_ERR_CONFIG, "scalar", "unknown key"},
    {"[1]", PTM_ERR_CONFIG, "", "expected a JSON object"},
    {"{\"columns\": [\"a\"]", PTM_ERR_FORMAT, "", "invalid JSON"},
    {"{\"preprocessor_type\": \"X\", \"format_version\": 1}", PTM_ERR_CONFIG, "preprocessor_type",
     "expected \"PatchTSMixerPreprocessor\""},
    {"{\"preprocessor_type\": \"PatchTSMixerPreprocessor\", \"format_version\": 2}", PTM_ERR_CONFIG,
     "format_version", "expected 1"},
    {HEAD ROLES SCALER "}", PTM_ERR_CONFIG, "columns", "missing"},
    {HEAD "\"columns\": [], " ROLES SCALER "}", PTM_ERR_CONFIG, "columns", "1 to 65536"},
    {HEAD "\"columns\": [\"a\", 3], " ROLES SCALER "}", PTM_ERR_CONFIG, "columns",
     "item 1: expected a non-empty string"},
    {HEAD "\"columns\": [\"a\", \"\"], " ROLES SCALER "}", PTM_ERR_CONFIG, "columns",
     "item 1: expected a non-empty string"},
    {HEAD "\"columns\": [\"a\", \"a\"], " ROLES SCALER "}", PTM_ERR_CONFIG, "columns",
     "column \"a\" is listed twice"},
    {HEAD COLS "\"target_columns\": [], \"covariate_columns\": [\"a\", \"b\"], " SCALER "}",
     PTM_ERR_CONFIG, "target_columns", "at least one target column"},
    {HEAD COLS "\"target_columns\": [\"c\"], \"covariate_columns\": [\"b\"], " SCALER "}",
     PTM_ERR_CONFIG, "target_columns", "item 0: expected one of the names in \"columns\""},
    {HEAD COLS "\"target_columns\": [\"a\"], \"covariate_columns\": [\"a\", \"b\"], " SCALER "}",
     PTM_ERR_CONFIG, "covariate_columns", "column \"a\" has two roles"},
    {HEAD COLS "\"target_columns\": [\"a\"], \"covariate_columns\": [], " SCALER "}",
     PTM_ERR_CONFIG, "target_columns", "column \"b\" is neither a target nor a covariate"},
    {HEAD COLS "\"target_columns\": [\"a\"], " SCALER "}", PTM_ERR_CONFIG, "covariate_columns",
     "expected an array"},
    {HEAD COLS ROLES "\"scaler\": [1]}", PTM_ERR_CONFIG, "scaler", "expected an object or null"},
    {HEAD COLS ROLES "\"scaler\": {\"type\": \"minmax\", \"mean\": [0, 1], \"scale\": [1, 2]}}",
     PTM_ERR_CONFIG, "scaler.type", "expected \"standard\""},
    {HEAD COLS ROLES "\"scaler\": {\"type\": \"standard\", \"mean\": [0], \"scale\": [1, 2]}}",
     PTM_ERR_CONFIG, "scaler.mean", "expected an array of 2 numbers"},
    {HEAD COLS ROLES "\"scaler\": {\"type\": \"standard\", \"mean\": [0, 1], \"scale\": [1, 0]}}",
     PTM_ERR_CONFIG, "scaler.scale", "item 1: expected a finite positive number"},
    {HEAD COLS ROLES "\"scaler\": {\"type\": \"standard\", \"mean\": [0, 1], \"scale\": [-1, 1]}}",
     PTM_ERR_CONFIG, "scaler.scale", "item 0: expected a finite positive number"},
    {HEAD COLS ROLES
     "\"scaler\": {\"type\": \"standard\", \"mean\": [1e39, 1], \"scale\": [1, 1]}}",
     PTM_ERR_CONFIG, "scaler.mean", "item 0: expected a finite number"},
    {HEAD COLS ROLES
     "\"scaler\": {\"type\": \"standard\", \"mean\": [0, 1], \"scale\": [1, 1], \"x\": 1}}",
     PTM_ERR_CONFIG, "scaler", "unknown key \"x\""},
    {HEAD COLS ROLES SCALER ", \"time_step_seconds\": -5}", PTM_ERR_CONFIG, "time_step_seconds",
     "expected an integer number of seconds"},
    {HEAD COLS ROLES SCALER ", \"time_step_seconds\": 1.5}", PTM_ERR_CONFIG, "time_step_seconds",
     "expected an integer number of seconds"},
    {HEAD COLS ROLES SCALER ", \"timestamp_column\": 7}", PTM_ERR_CONFIG, "timestamp_column",
     "expected a string or null"},
    {HEAD COLS ROLES SCALER ", \"library_version\": []}", PTM_ERR_CONFIG, "library_version",
     "expected a string or null"},
    /* long_format: the id, time and target columns of long-format training data */
    {HEAD COLS ROLES SCALER ", \"timestamp_column\": \"ds\", " LONG("id", "ds", "a") "}", PTM_OK,
     "", ""},
    {HEAD COLS ROLES SCALER ", \"long_format\": null}", PTM_OK, "", ""},
    {HEAD COLS ROLES SCALER ", \"long_format\": [1]}", PTM_ERR_CONFIG, "long_format",
     "expected an object or null"},
    {HEAD COLS ROLES SCALER ", \"timestamp_column\": \"ds\", \"long_format\": {\"id_column\": "
                            "\"id\", \"time_column\": \"ds\", \"target\": \"a\"}}",
     PTM_ERR_CONFIG, "long_format",
     "unknown key \"target\" (expected id_column, time_column, target_column)"},
    {HEAD COLS ROLES SCALER ", \"timestamp_column\": \"ds\", " LONG("", "ds", "a") "}",
     PTM_ERR_CONFIG, "long_format.id_column", "expected a non-empty column name"},
    {HEAD COLS ROLES SCALER ", " LONG("id", "ds", "a") "}", PTM_ERR_CONFIG,
     "long_format.time_column", "expected the name in \"timestamp_column\""},
    {HEAD COLS ROLES SCALER ", \"timestamp_column\": \"t\", " LONG("id", "ds", "a") "}",
     PTM_ERR_CONFIG, "long_format.time_column", "expected the name in \"timestamp_column\""},
    {HEAD COLS ROLES SCALER ", \"timestamp_column\": \"ds\", " LONG("id", "ds", "y") "}",
     PTM_ERR_CONFIG, "long_format.target_column", "expected one of the names in \"columns\""},
    {HEAD COLS ROLES SCALER ", \"timestamp_column\": \"ds\", " LONG("b", "ds", "a") "}",
     PTM_ERR_CONFIG, "long_format.id_column",
     "expected a column that is neither in \"columns\" nor the time column"},
};

TEST(hostile_files) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const hostile_case *hc = &cases[i];
        ptm_preprocessor q;
        ptm_error err;
        memset(&err, 0, sizeof err);
        ptm_status s = ptm_preprocessor_parse(hc->text, strlen(hc->text), "pp.json", &q, &err);
        int good = s == hc->code;
        if (s != PTM_OK)
            good = good && strcmp(err.field, hc->field) == 0 && strstr(err.text, hc->msg) &&
                   strcmp(err.file, "pp.json") == 0 && q.columns == NULL && q.present == 0;
        if (!good)
            fprintf(stderr, "  case %zu: status %d field '%s' text '%s'\n", i, (int)s, err.field,
                    err.text);
        CHECK(good);
        ptm_preprocessor_free(&q);
    }
}

TEST(columns_by_name) {
    ptm_error err;
    const char *csv = tmp_path("cols.csv");
    FILE *f = fopen(csv, "w");
    fputs("date,HUFL,OT,MULL\n2020-01-01 00:00:00,1,2,3\n", f);
    fclose(f);
    ptm_csv t;
    CHECK_STATUS(ptm_csv_load(csv, 0, &t, &err), PTM_OK);
    static char *want[] = {"OT", "HUFL"};
    ptm_preprocessor p;
    memset(&p, 0, sizeof p);
    p.present = 1;
    p.ncols = 2;
    p.columns = want;
    int idx[4] = {-9, -9, -9, -9};
    CHECK_STATUS(ptm_preprocessor_columns(&p, &t, csv, idx, &err), PTM_OK);
    CHECK(idx[0] == 1 && idx[1] == 0);
    static char *other[] = {"OT", "HULL"};
    p.columns = other;
    CHECK_STATUS(ptm_preprocessor_columns(&p, &t, "in.csv", idx, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "HULL") == 0 && strcmp(err.file, "in.csv") == 0);
    CHECK(strcmp(err.text, "no column \"HULL\": the model was trained on the columns OT,HULL") ==
          0);
    ptm_csv_free(&t);
}

TEST(writer_arguments) {
    ptm_error err;
    ptm_preprocessor p = sample();
    const char *dir = tmp_path("args");
    mkdir(dir, 0700);
    CHECK_STATUS(ptm_preprocessor_save(NULL, dir, &err), PTM_ERR_ARG);
    p.ncols = 0;
    CHECK_STATUS(ptm_preprocessor_save(&p, dir, &err), PTM_ERR_ARG);
    CHECK(strcmp(err.field, "columns") == 0);
    p = sample();
    static char *bad[] = {"ok", "bad\xff", "x"};
    p.columns = bad;
    CHECK_STATUS(ptm_preprocessor_save(&p, dir, &err), PTM_ERR_ARG);
    CHECK(strstr(err.text, "column 1") != NULL);
    p = sample();
    static int none[] = {0, 0, 0};
    p.is_target = none;
    CHECK_STATUS(ptm_preprocessor_save(&p, dir, &err), PTM_ERR_ARG);
    CHECK(strcmp(err.field, "target_columns") == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/preprocessor_config.json", dir);
    CHECK(access(path, F_OK) != 0); /* nothing written */
}

int main(void) {
    hostile_setup("test_preprocessor");
    RUN(round_trip);
    RUN(absent_and_special);
    RUN(hostile_files);
    RUN(columns_by_name);
    RUN(writer_arguments);
    return hostile_finish();
}
