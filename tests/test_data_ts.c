/* test_data_ts.c - tests of the .ts reader (io/ts.h): tests/data/tiny_uea.ts,
 * tests/data/tiny_tser.ts, other valid variants, hostile inputs written into a mkdtemp
 * directory under /tmp (removed at the end), a small mutation fuzz, the real BasicMotions and
 * Covid3Month files bundled in data/, and, when the shared data set sits next to the
 * repository (../shared/data), the other UEA/TSER files (skipped otherwise). Splits, scaler and
 * windows are tested in test_data_windows.c.
 *
 * Run from the repository root: build/test_data_ts
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "io/ts.h"

static char g_dir[64];

static void tmp_path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", g_dir, name);
}

/* write len bytes to g_dir/name and return the path in a static buffer */
static const char *write_tmp(const char *name, const void *data, size_t len) {
    static char path[256];
    tmp_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    if (!f) return path;
    if (len) fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

static const char *write_str(const char *name, const char *text) {
    return write_tmp(name, text, strlen(text));
}

/* ---------------------------------------------------------------- .ts files */

#define AT(d, c, t, ch)                                                                            \
    ((c) * (size_t)(d).length * (size_t)(d).nchannels + (size_t)(t) * (size_t)(d).nchannels +      \
     (size_t)(ch))

static void check_tiny_uea(const ptmi_ts_dataset *d) {
    CHECK_EQ_INT(d->ncases, 3);
    CHECK_EQ_INT(d->nchannels, 2);
    CHECK_EQ_INT(d->length, 4);
    CHECK(d->targets == NULL);
    CHECK_EQ_INT(d->nclasses, 3);
    if (d->nclasses != 3 || !d->labels || d->ncases != 3 || d->length != 4) return;
    CHECK(strcmp(d->class_names[0], "up") == 0);
    CHECK(strcmp(d->class_names[1], "down") == 0);
    CHECK(strcmp(d->class_names[2], "flat") == 0);
    CHECK_EQ_INT(d->labels[0], 1);
    CHECK_EQ_INT(d->labels[1], 0);
    CHECK_EQ_INT(d->labels[2], 1);
    /* case 0: 1,2,3,4 : 5,6,7,8 */
    CHECK_NEAR(d->values[AT(*d, 0, 0, 0)], 1, 0);
    CHECK_NEAR(d->values[AT(*d, 0, 3, 0)], 4, 0);
    CHECK_NEAR(d->values[AT(*d, 0, 0, 1)], 5, 0);
    CHECK_NEAR(d->values[AT(*d, 0, 3, 1)], 8, 0);
    /* case 1: 1.5,?,2.5,3.5 : -1,-2,-3,-4 */
    CHECK_NEAR(d->values[AT(*d, 1, 0, 0)], 1.5, 0);
    CHECK_NEAR(d->values[AT(*d, 1, 1, 0)], 0, 0);
    CHECK_NEAR(d->observed[AT(*d, 1, 1, 0)], 0, 0);
    CHECK_NEAR(d->observed[AT(*d, 1, 1, 1)], 1, 0);
    CHECK_NEAR(d->values[AT(*d, 1, 1, 1)], -2, 0);
    CHECK_NEAR(d->values[AT(*d, 1, 3, 0)], 3.5, 0);
    /* case 2: 9,10 : 11,12, left-padded */
    for (int t = 0; t < 2; t++)
        for (int c = 0; c < 2; c++) {
            CHECK_NEAR(d->values[AT(*d, 2, t, c)], 0, 0);
            CHECK_NEAR(d->observed[AT(*d, 2, t, c)], 0, 0);
        }
    CHECK_NEAR(d->values[AT(*d, 2, 2, 0)], 9, 0);
    CHECK_NEAR(d->values[AT(*d, 2, 2, 1)], 11, 0);
    CHECK_NEAR(d->values[AT(*d, 2, 3, 0)], 10, 0);
    CHECK_NEAR(d->values[AT(*d, 2, 3, 1)], 12, 0);
    CHECK_NEAR(d->observed[AT(*d, 2, 3, 1)], 1, 0);
    size_t nobs = 0;
    for (size_t i = 0; i < 3 * 4 * 2; i++) nobs += d->observed[i] != 0.0f;
    CHECK_EQ_INT(nobs, 8 + 7 + 4);
}

TEST(ts_tiny_uea) {
    ptm_error err;
    ptmi_ts_dataset d, e;
    CHECK_STATUS(ptmi_ts_load("tests/data/tiny_uea.ts", 0, &d, &err), PTM_OK);
    check_tiny_uea(&d);

    /* cut to the last 2 points */
    CHECK_STATUS(ptmi_ts_load("tests/data/tiny_uea.ts", 2, &e, &err), PTM_OK);
    CHECK_EQ_INT(e.length, 2);
    if (e.length == 2) {
        CHECK_NEAR(e.values[AT(e, 0, 0, 0)], 3, 0);
        CHECK_NEAR(e.values[AT(e, 0, 1, 1)], 8, 0);
        CHECK_NEAR(e.values[AT(e, 1, 0, 0)], 2.5, 0);
        CHECK_NEAR(e.values[AT(e, 1, 0, 1)], -3, 0);
        CHECK_NEAR(e.values[AT(e, 2, 0, 0)], 9, 0);
        CHECK_NEAR(e.observed[AT(e, 2, 0, 0)], 1, 0);
    }
    ptmi_ts_free(&e);
    /* padded to 6 */
    CHECK_STATUS(ptmi_ts_load("tests/data/tiny_uea.ts", 6, &e, &err), PTM_OK);
    CHECK_EQ_INT(e.length, 6);
    if (e.length == 6) {
        CHECK_NEAR(e.observed[AT(e, 0, 1, 0)], 0, 0);
        CHECK_NEAR(e.values[AT(e, 0, 2, 0)], 1, 0);
        CHECK_NEAR(e.observed[AT(e, 2, 3, 1)], 0, 0);
        CHECK_NEAR(e.values[AT(e, 2, 4, 1)], 11, 0);
    }
    ptmi_ts_free(&e);

    /* the same file with the class list of itself */
    CHECK_STATUS(ptmi_ts_load_with_classes("tests/data/tiny_uea.ts", 0, &d, &e, &err), PTM_OK);
    check_tiny_uea(&e);
    CHECK(e.class_names != d.class_names);
    ptmi_ts_free(&e);

    /* a training set with another class order: indices follow it */
    char n0[] = "flat", n1[] = "down", n2[] = "up", n3[] = "sideways";
    char *names[4] = {n0, n1, n2, n3};
    ptmi_ts_dataset tr;
    memset(&tr, 0, sizeof tr);
    tr.nchannels = 2;
    tr.nclasses = 4;
    tr.class_names = names;
    CHECK_STATUS(ptmi_ts_load_with_classes("tests/data/tiny_uea.ts", 0, &tr, &e, &err), PTM_OK);
    CHECK_EQ_INT(e.nclasses, 4);
    if (e.labels && e.nclasses == 4) {
        CHECK_EQ_INT(e.labels[0], 1);
        CHECK_EQ_INT(e.labels[1], 2);
        CHECK_EQ_INT(e.labels[2], 1);
        CHECK(strcmp(e.class_names[3], "sideways") == 0);
    }
    ptmi_ts_free(&e);
    /* a label the training set does not know */
    tr.nclasses = 2;
    CHECK_STATUS(ptmi_ts_load_with_classes("tests/data/tiny_uea.ts", 0, &tr, &e, &err),
                 PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "line 13") == 0);
    CHECK(strstr(err.text, "'up'") != NULL);
    CHECK(e.values == NULL && e.class_names == NULL);
    /* other channel count */
    tr.nclasses = 4;
    tr.nchannels = 3;
    CHECK_STATUS(ptmi_ts_load_with_classes("tests/data/tiny_uea.ts", 0, &tr, &e, &err),
                 PTM_ERR_INPUT);
    /* a regression training set */
    tr.nchannels = 2;
    tr.nclasses = 0;
    tr.class_names = NULL;
    CHECK_STATUS(ptmi_ts_load_with_classes("tests/data/tiny_uea.ts", 0, &tr, &e, &err),
                 PTM_ERR_INPUT);
    CHECK_STATUS(ptmi_ts_load_with_classes("tests/data/tiny_uea.ts", 0, NULL, &e, &err),
                 PTM_ERR_ARG);
    CHECK_STATUS(ptmi_ts_load_with_classes("tests/data/tiny_tser.ts", 0, &d, &e, &err),
                 PTM_ERR_INPUT);
    ptmi_ts_free(&d);
    CHECK(d.values == NULL);
    ptmi_ts_free(&d);
    ptmi_ts_free(NULL);
}

static void check_tiny_tser(const ptmi_ts_dataset *d) {
    CHECK_EQ_INT(d->ncases, 3);
    CHECK_EQ_INT(d->nchannels, 1);
    CHECK_EQ_INT(d->length, 5);
    CHECK(d->labels == NULL);
    CHECK_EQ_INT(d->nclasses, 0);
    CHECK(d->targets != NULL);
    if (!d->targets || d->ncases != 3 || d->length != 5 || d->nchannels != 1) return;
    CHECK_NEAR(d->targets[0], 0.5, 0);
    CHECK_NEAR(d->targets[1], -1.25, 0);
    CHECK_NEAR(d->targets[2], 300, 0);
    float v0[5] = {0, 0, 1, 2, 3}, o0[5] = {0, 0, 1, 1, 1};
    float v1[5] = {4, 0, 6, 7, 8}, o1[5] = {1, 0, 1, 1, 1};
    float v2[5] = {0, 0, 0, 0, 9}, o2[5] = {0, 0, 0, 0, 1};
    int ok = 1;
    for (int t = 0; t < 5; t++) {
        ok &= d->values[t] == v0[t] && d->observed[t] == o0[t];
        ok &= d->values[5 + t] == v1[t] && d->observed[5 + t] == o1[t];
        ok &= d->values[10 + t] == v2[t] && d->observed[10 + t] == o2[t];
    }
    CHECK(ok);
}

TEST(ts_tiny_tser) {
    ptm_error err;
    ptmi_ts_dataset d, e;
    CHECK_STATUS(ptmi_ts_load("tests/data/tiny_tser.ts", 0, &d, &err), PTM_OK);
    check_tiny_tser(&d);
    CHECK_STATUS(ptmi_ts_load_with_classes("tests/data/tiny_tser.ts", 0, &d, &e, &err), PTM_OK);
    check_tiny_tser(&e);
    ptmi_ts_free(&e);
    ptmi_ts_free(&d);

    /* BOM, CRLF, CR-only line endings, spaces, upper-case tags, a comment after @data */
    const char *crlf = "\xEF\xBB\xBF# comment\r\n@PROBLEMNAME x\r\n@UniVariate TRUE\r\n"
                       "@targetlabel true\r\n@DATA\r\n 1, 2 ,3 : 0.5 \r\n# note\r\n"
                       "4,?,6,7,8:-1.25\r\n9:3e2";
    CHECK_STATUS(ptmi_ts_load(write_str("crlf.ts", crlf), 0, &d, &err), PTM_OK);
    check_tiny_tser(&d);
    ptmi_ts_free(&d);
    const char *cr = "@targetLabel true\r@data\r1,2,3:0.5\r4,NaN,6,7,8:-1.25\r\r9:300\r";
    CHECK_STATUS(ptmi_ts_load(write_str("cr.ts", cr), 0, &d, &err), PTM_OK);
    check_tiny_tser(&d);
    ptmi_ts_free(&d);
}

TEST(ts_misc_valid) {
    ptm_error err;
    ptmi_ts_dataset d;
    /* no @dimensions: counted from the first line (like CardanoSentiment); no label at all */
    CHECK_STATUS(
        ptmi_ts_load(write_str("nolab.ts", "@data\n1,2:3,4:5,6\n7,8:9,10:11,12\n"), 0, &d, &err),
        PTM_OK);
    CHECK_EQ_INT(d.nchannels, 3);
    CHECK_EQ_INT(d.length, 2);
    CHECK(d.labels == NULL && d.targets == NULL);
    if (d.values && d.length == 2 && d.nchannels == 3) CHECK_NEAR(d.values[AT(d, 1, 1, 2)], 12, 0);
    ptmi_ts_free(&d);
    /* @classLabel true with no names: order of first appearance */
    CHECK_STATUS(ptmi_ts_load(write_str("first.ts", "@classLabel true\n@data\n1:b\n2:a\n3:b\n"), 0,
                              &d, &err),
                 PTM_OK);
    CHECK_EQ_INT(d.nclasses, 2);
    if (d.nclasses == 2 && d.labels) {
        CHECK(strcmp(d.class_names[0], "b") == 0);
        CHECK_EQ_INT(d.labels[1], 1);
        CHECK_EQ_INT(d.labels[2], 0);
    }
    ptmi_ts_free(&d);
    /* many classes (hash growth) */
    {
        size_t cap = 64 + 300 * 16, n = 0;
        char *txt = malloc(cap);
        if (txt) {
            n += (size_t)snprintf(txt + n, cap - n, "@classLabel true\n@data\n");
            for (int i = 0; i < 300; i++)
                n += (size_t)snprintf(txt + n, cap - n, "%d:c%d\n", i, i % 150);
            CHECK_STATUS(ptmi_ts_load(write_tmp("many.ts", txt, n), 0, &d, &err), PTM_OK);
            CHECK_EQ_INT(d.nclasses, 150);
            if (d.labels && d.ncases == 300) CHECK_EQ_INT(d.labels[299], 149);
            ptmi_ts_free(&d);
            free(txt);
        }
    }
    /* @equalLength true with @seriesLength that matches */
    CHECK_STATUS(ptmi_ts_load(write_str("eq.ts", "@equalLength true\n@seriesLength 2\n"
                                                 "@targetLabel true\n@data\n1,2:1\n3,4:2\n"),
                              0, &d, &err),
                 PTM_OK);
    ptmi_ts_free(&d);
}

/* Every file here must fail with the given status; field names the line when line > 0. */
TEST(ts_hostile) {
    static const struct {
        const char *text;
        ptm_status st;
        int line;
    } cases[] = {
        /* truncated line: the label field is missing */
        {"@dimensions 2\n@classLabel true a b\n@data\n1,2:3,4:a\n1,2:3,4\n", PTM_ERR_FORMAT, 5},
        /* truncated inside the values */
        {"@dimensions 2\n@classLabel true a b\n@data\n1,2:3,:a\n", PTM_ERR_FORMAT, 4},
        {"@dimensions 2\n@classLabel true a b\n@data\n1,2:3,4:\n", PTM_ERR_FORMAT, 4},
        {"@classLabel true a\n@data\n1,2,3\n", PTM_ERR_FORMAT, 3},
        /* wrong dimension count */
        {"@dimensions 2\n@classLabel true a b\n@data\n1,2:3,4:5,6:a\n", PTM_ERR_FORMAT, 4},
        {"@classLabel true a b\n@data\n1,2:3,4:a\n1,2:b\n", PTM_ERR_FORMAT, 4},
        {"@univariate true\n@dimensions 2\n@data\n1\n", PTM_ERR_FORMAT, 2},
        /* bad numbers */
        {"@targetLabel true\n@data\n1,abc,3:0.5\n", PTM_ERR_FORMAT, 3},
        {"@targetLabel true\n@data\n1,2 3:0.5\n", PTM_ERR_FORMAT, 3},
        {"@targetLabel true\n@data\n1,1e999:0.5\n", PTM_ERR_FORMAT, 3},
        {"@targetLabel true\n@data\n1,0x:0.5\n", PTM_ERR_FORMAT, 3},
        {"@targetLabel true\n@data\n(0,1),(1,2):0.5\n", PTM_ERR_FORMAT, 3},
        {"@targetLabel true\n@data\n1,2:?\n", PTM_ERR_FORMAT, 3},
        {"@targetLabel true\n@data\n1,2:x\n", PTM_ERR_FORMAT, 3},
        {"@targetLabel true\n@data\n1,2:\n", PTM_ERR_FORMAT, 3},
        {"@classLabel true a\n@data\n1,2:b\n", PTM_ERR_FORMAT, 3},
        /* huge / bad header counts */
        {"@seriesLength 99999999999999999999999\n@data\n1\n", PTM_ERR_LIMIT, 1},
        {"@seriesLength 1000000000\n@data\n1\n", PTM_ERR_LIMIT, 1},
        {"@equalLength true\n@seriesLength 100000\n@data\n1,2\n", PTM_ERR_FORMAT, 4},
        {"@equalLength true\n@data\n1,2\n1,2,3\n", PTM_ERR_FORMAT, 4},
        {"@dimensions 99999999999\n@data\n1\n", PTM_ERR_LIMIT, 1},
        {"@dimensions 0\n@data\n1\n", PTM_ERR_FORMAT, 1},
        {"@dimensions -3\n@data\n1\n", PTM_ERR_FORMAT, 1},
        {"@dimensions 2x\n@data\n1\n", PTM_ERR_FORMAT, 1},
        {"@dimensions\n@data\n1\n", PTM_ERR_FORMAT, 1},
        {"@classLabel maybe\n@data\n1\n", PTM_ERR_FORMAT, 1},
        {"@classLabel true a\n@targetLabel true\n@data\n1:a\n", PTM_ERR_FORMAT, 2},
        {"@classLabel true a\n@classLabel true b\n@data\n1:a\n", PTM_ERR_FORMAT, 2},
        {"@timeStamps true\n@data\n(1,2)\n", PTM_ERR_UNSUPPORTED, 1},
        /* structure */
        {"1,2,3\n@data\n", PTM_ERR_FORMAT, 1},
        {"@data\n1,2\n@dimensions 1\n", PTM_ERR_FORMAT, 3},
        {"@problemName x\n", PTM_ERR_FORMAT, 0},
        {"@data\n\n# nothing\n", PTM_ERR_FORMAT, 0},
        {"", PTM_ERR_FORMAT, 0},
    };
    ptm_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ptmi_ts_dataset d;
        memset(&err, 0, sizeof err);
        ptm_status st = ptmi_ts_load(write_str("bad.ts", cases[i].text), 0, &d, &err);
        if (st != cases[i].st) fprintf(stderr, "  hostile case %zu\n", i);
        CHECK_STATUS(st, cases[i].st);
        CHECK(d.values == NULL && d.labels == NULL && d.targets == NULL && d.ncases == 0);
        CHECK(strstr(err.file, "bad.ts") != NULL);
        if (cases[i].line > 0) {
            char want[32];
            snprintf(want, sizeof want, "line %d", cases[i].line);
            if (strcmp(err.field, want) != 0)
                fprintf(stderr, "  hostile case %zu: field '%s', expected '%s' (%s)\n", i,
                        err.field, want, err.text);
            CHECK(strcmp(err.field, want) == 0);
        }
        ptmi_ts_free(&d);
    }
    ptmi_ts_dataset d;
    /* NUL byte inside a line */
    static const char nul[] = "@data\n1,2\0,3\n";
    CHECK_STATUS(ptmi_ts_load(write_tmp("nul.ts", nul, sizeof nul - 1), 0, &d, &err),
                 PTM_ERR_FORMAT);
    /* arguments and limits */
    CHECK_STATUS(ptmi_ts_load("tests/data/tiny_uea.ts", -1, &d, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptmi_ts_load("tests/data/tiny_uea.ts", (1 << 28) + 1, &d, &err), PTM_ERR_LIMIT);
    CHECK_STATUS(ptmi_ts_load("tests/data/tiny_uea.ts", 1 << 27, &d, &err), PTM_ERR_LIMIT);
    CHECK(d.values == NULL);
    CHECK_STATUS(ptmi_ts_load("tests/data/no_such_file.ts", 0, &d, &err), PTM_ERR_IO);
    CHECK_STATUS(ptmi_ts_load(NULL, 0, &d, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptmi_ts_load("tests/data/tiny_uea.ts", 0, NULL, &err), PTM_ERR_ARG);
    CHECK(ptmi_ts_load("tests/data/no_such_file.ts", 0, &d, NULL) == PTM_ERR_IO);
}

/* Every prefix of the tiny files, and byte mutations of them, must load or fail cleanly. */
TEST(ts_fuzz) {
    static const char *files[2] = {"tests/data/tiny_uea.ts", "tests/data/tiny_tser.ts"};
    static const char repl[] = ":,?@#\n\r 0-e.x\0";
    int clean = 1;
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "rb");
        if (!fp) {
            CHECK(fp != NULL);
            continue;
        }
        char buf[2048];
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        ptm_error err;
        for (size_t cut = 0; cut <= n; cut++) {
            ptmi_ts_dataset d;
            ptm_status st = ptmi_ts_load(write_tmp("fuzz.ts", buf, cut), 0, &d, &err);
            if (st != PTM_OK && st != PTM_ERR_FORMAT) clean = 0;
            if (st != PTM_OK && d.values) clean = 0;
            ptmi_ts_free(&d);
        }
        uint64_t x = 12345u + (uint64_t)f;
        for (int it = 0; it < 600; it++) {
            char m[2048];
            memcpy(m, buf, n);
            for (int k = 0; k < 3; k++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                size_t pos = (size_t)(x >> 33) % n;
                m[pos] = repl[(x >> 20) % (sizeof repl - 1)];
            }
            ptmi_ts_dataset d;
            ptm_status st = ptmi_ts_load(write_tmp("fuzz.ts", m, n), 0, &d, &err);
            if (st == PTM_OK) {
                if (!d.values || !d.observed || d.ncases == 0 || d.length < 1) clean = 0;
            } else if (d.values || d.ncases) {
                clean = 0;
            }
            ptmi_ts_free(&d);
        }
    }
    CHECK(clean);
}

/* ---------------------------------------------------------------- real files */

/* the shared data set, relative to the repository root (tests run from there) */
#define SHARED_DATA "../shared/data"

static int have_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fclose(f);
    return 1;
}

TEST(ts_real) {
    /* bundled in data/ (byte-identical to the shared copies), so these checks always run */
    const char *bm_tr = "data/uea/BasicMotions_TRAIN.ts";
    const char *bm_te = "data/uea/BasicMotions_TEST.ts";
    if (!have_file(bm_tr)) {
        printf("test_data_ts: note: %s absent (run from the repository root), real .ts checks "
               "skipped\n",
               bm_tr);
        return;
    }
    ptm_error err;
    ptmi_ts_dataset tr, te;
    CHECK_STATUS(ptmi_ts_load(bm_tr, 0, &tr, &err), PTM_OK);
    CHECK_EQ_INT(tr.ncases, 40);
    CHECK_EQ_INT(tr.nchannels, 6);
    CHECK_EQ_INT(tr.length, 100);
    CHECK_EQ_INT(tr.nclasses, 4);
    if (tr.nclasses == 4 && tr.labels && tr.length == 100 && tr.nchannels == 6) {
        CHECK(strcmp(tr.class_names[0], "Standing") == 0);
        CHECK(strcmp(tr.class_names[3], "Badminton") == 0);
        CHECK_EQ_INT(tr.labels[0], 0);
        CHECK_NEAR(tr.values[AT(tr, 0, 0, 0)], 0.079106, 1e-7);
        CHECK_NEAR(tr.values[AT(tr, 0, 99, 0)], -0.20515, 1e-7);
        int counts[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < tr.ncases; i++)
            if (tr.labels[i] >= 0 && tr.labels[i] < 4) counts[tr.labels[i]]++;
        CHECK(counts[0] == 10 && counts[1] == 10 && counts[2] == 10 && counts[3] == 10);
        size_t nobs = 0;
        for (size_t i = 0; i < 40 * 100 * 6; i++) nobs += tr.observed[i] == 1.0f;
        CHECK_EQ_INT(nobs, 40 * 100 * 6);
    }
    if (have_file(bm_te)) {
        CHECK_STATUS(ptmi_ts_load_with_classes(bm_te, tr.length, &tr, &te, &err), PTM_OK);
        CHECK_EQ_INT(te.ncases, 40);
        CHECK_EQ_INT(te.nclasses, 4);
        ptmi_ts_free(&te);
    }
    ptmi_ts_free(&tr);

    const char *jv = SHARED_DATA "/uea/JapaneseVowels/JapaneseVowels_TRAIN.ts";
    if (have_file(jv)) {
        CHECK_STATUS(ptmi_ts_load(jv, 0, &tr, &err), PTM_OK);
        CHECK_EQ_INT(tr.ncases, 270);
        CHECK_EQ_INT(tr.nchannels, 12);
        CHECK_EQ_INT(tr.length, 26);
        CHECK_EQ_INT(tr.nclasses, 9);
        ptmi_ts_free(&tr);
    }
    const char *uw = SHARED_DATA "/uea/UWaveGestureLibrary/UWaveGestureLibrary_TRAIN.ts";
    if (have_file(uw)) { /* CRLF */
        CHECK_STATUS(ptmi_ts_load(uw, 0, &tr, &err), PTM_OK);
        CHECK_EQ_INT(tr.ncases, 120);
        CHECK_EQ_INT(tr.nchannels, 3);
        CHECK_EQ_INT(tr.length, 315);
        CHECK_EQ_INT(tr.nclasses, 8);
        ptmi_ts_free(&tr);
    }
    const char *cv = "data/tser/Covid3Month_TRAIN.ts";
    if (have_file(cv)) {
        CHECK_STATUS(ptmi_ts_load(cv, 0, &tr, &err), PTM_OK);
        CHECK_EQ_INT(tr.ncases, 140);
        CHECK_EQ_INT(tr.nchannels, 1);
        CHECK_EQ_INT(tr.length, 84);
        CHECK(tr.targets != NULL && tr.labels == NULL);
        if (tr.targets && tr.ncases == 140) CHECK_NEAR(tr.targets[1], 0.07758620689655173, 1e-8);
        ptmi_ts_free(&tr);
    }
    const char *cs = SHARED_DATA "/tser/CardanoSentiment/CardanoSentiment_TRAIN.ts";
    if (have_file(cs)) { /* no @dimensions */
        CHECK_STATUS(ptmi_ts_load(cs, 0, &tr, &err), PTM_OK);
        CHECK_EQ_INT(tr.ncases, 74);
        CHECK_EQ_INT(tr.nchannels, 2);
        CHECK_EQ_INT(tr.length, 24);
        ptmi_ts_free(&tr);
    }
    /* every shipped .ts file loads, the TEST file with the TRAIN file's classes */
    static const char *sets[] = {"uea/AtrialFibrillation/AtrialFibrillation",
                                 "uea/Epilepsy/Epilepsy",
                                 "uea/Handwriting/Handwriting",
                                 "uea/RacketSports/RacketSports",
                                 "uea/JapaneseVowels/JapaneseVowels",
                                 "tser/Tecator/Tecator"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        char a[256], b[256];
        snprintf(a, sizeof a, SHARED_DATA "/%s_TRAIN.ts", sets[i]);
        snprintf(b, sizeof b, SHARED_DATA "/%s_TEST.ts", sets[i]);
        if (!have_file(a) || !have_file(b)) continue;
        CHECK_STATUS(ptmi_ts_load(a, 0, &tr, &err), PTM_OK);
        CHECK_STATUS(ptmi_ts_load_with_classes(b, tr.length, &tr, &te, &err), PTM_OK);
        CHECK_EQ_INT(te.length, tr.length);
        ptmi_ts_free(&te);
        ptmi_ts_free(&tr);
    }
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/ptm_test_data_ts_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(ts_tiny_uea);
    RUN(ts_tiny_tser);
    RUN(ts_misc_valid);
    RUN(ts_hostile);
    RUN(ts_fuzz);
    RUN(ts_real);
    static const char *tmp_files[] = {"crlf.ts", "cr.ts",  "nolab.ts", "first.ts", "many.ts",
                                      "eq.ts",   "bad.ts", "nul.ts",   "fuzz.ts"};
    for (size_t i = 0; i < sizeof tmp_files / sizeof tmp_files[0]; i++) {
        char path[256];
        tmp_path(path, sizeof path, tmp_files[i]);
        remove(path);
    }
    rmdir(g_dir);
    return test_summary("test_data_ts");
}
