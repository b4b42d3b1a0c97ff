/* test_data_windows.c - tests of the data pipeline of patchtsmixer.h: the standard forecasting
 * splits (the numbers of shared/data/README.md), the standard scaler against hand-computed
 * statistics, sliding windows on a series whose values encode their row, and seeded
 * shuffling. The .ts reader is tested in test_data_ts.c.
 *
 * Run from the repository root: build/test_data_windows
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patchtsmixer.h"
#include "testutil.h"

/* ---------------------------------------------------------------- splits */

TEST(split_kind) {
    CHECK(ptm_split_kind_from_name("ETTh1.csv") == PTM_SPLIT_ETT_HOURLY);
    CHECK(ptm_split_kind_from_name("../shared/data/ETT-small/ETTh2.csv") == PTM_SPLIT_ETT_HOURLY);
    CHECK(ptm_split_kind_from_name("data/ETTm1.csv") == PTM_SPLIT_ETT_MINUTE);
    CHECK(ptm_split_kind_from_name("weather.csv") == PTM_SPLIT_CUSTOM);
    CHECK(ptm_split_kind_from_name("ETTh/weather.csv") == PTM_SPLIT_CUSTOM);
    CHECK(ptm_split_kind_from_name("myETTh1.csv") == PTM_SPLIT_CUSTOM);
    CHECK(ptm_split_kind_from_name("") == PTM_SPLIT_CUSTOM);
    CHECK(ptm_split_kind_from_name(NULL) == PTM_SPLIT_CUSTOM);
}

TEST(split_ett) {
    ptm_error err;
    ptm_split sp;
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 17420, 512, 96, &sp, &err), PTM_OK);
    CHECK_EQ_INT(sp.train_begin, 0);
    CHECK_EQ_INT(sp.train_end, 8640);
    CHECK_EQ_INT(sp.val_begin, 8128);
    CHECK_EQ_INT(sp.val_end, 11520);
    CHECK_EQ_INT(sp.test_begin, 11008);
    CHECK_EQ_INT(sp.test_end, 14400);
    /* window counts: m - L - H + 1 */
    CHECK_EQ_INT(sp.train_end - sp.train_begin - 512 - 96 + 1, 8033);
    CHECK_EQ_INT(sp.test_end - sp.test_begin - 512 - 96 + 1, 2785);

    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_MINUTE, 69680, 512, 96, &sp, &err), PTM_OK);
    CHECK_EQ_INT(sp.train_begin, 0);
    CHECK_EQ_INT(sp.train_end, 34560);
    CHECK_EQ_INT(sp.val_begin, 34560 - 512);
    CHECK_EQ_INT(sp.val_end, 46080);
    CHECK_EQ_INT(sp.test_begin, 46080 - 512);
    CHECK_EQ_INT(sp.test_end, 57600);

    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 17420, 336, 720, &sp, &err), PTM_OK);
    CHECK_EQ_INT(sp.val_begin, 8640 - 336);
    CHECK_EQ_INT(sp.test_begin, 11520 - 336);

    /* a truncated file: segment ends are clipped like Python slices */
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 14000, 512, 96, &sp, &err), PTM_OK);
    CHECK_EQ_INT(sp.test_end, 14000);
    /* ... until a segment has no window */
    memset(&err, 0, sizeof err);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 11500, 512, 96, &sp, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "test") == 0);
    CHECK(strstr(err.text, "found") != NULL);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 8700, 512, 96, &sp, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "val") == 0);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 17420, 9000, 96, &sp, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "train") == 0);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 17420, 8600, 96, &sp, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "train") == 0);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 17420, 0, 96, &sp, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 17420, 512, 0, &sp, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 17420, 512, 96, NULL, &err), PTM_ERR_ARG);
    CHECK(ptm_split_make(PTM_SPLIT_ETT_HOURLY, 100, 512, 96, &sp, NULL) == PTM_ERR_INPUT);
}

TEST(split_custom) {
    static const struct {
        size_t n, train, val, test;
    } tab[] = {{52696, 36887, 5270, 10539},
               {7588, 5311, 760, 1517},
               {966, 676, 97, 193},
               {26304, 18412, 2632, 5260},
               {17544, 12280, 1756, 3508}};
    ptm_error err;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        ptm_split sp;
        int L = tab[i].n == 966 ? 104 : 336, H = tab[i].n == 966 ? 24 : 96;
        CHECK_STATUS(ptm_split_make(PTM_SPLIT_CUSTOM, tab[i].n, L, H, &sp, &err), PTM_OK);
        CHECK_EQ_INT(sp.train_begin, 0);
        CHECK_EQ_INT(sp.train_end, tab[i].train);
        CHECK_EQ_INT(sp.val_begin, tab[i].train - (size_t)L);
        CHECK_EQ_INT(sp.val_end, tab[i].train + tab[i].val);
        CHECK_EQ_INT(sp.test_begin, tab[i].n - tab[i].test - (size_t)L);
        CHECK_EQ_INT(sp.test_end, tab[i].n);
    }
    /* ILI with L = 336: val has 97 + 336 = 433 rows, enough for H = 96 but not for H = 192 */
    ptm_split sp;
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_CUSTOM, 966, 336, 96, &sp, &err), PTM_OK);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_CUSTOM, 966, 336, 192, &sp, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "val") == 0);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_CUSTOM, 966, 700, 24, &sp, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "train") == 0);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_CUSTOM, 0, 4, 2, &sp, &err), PTM_ERR_INPUT);
    CHECK_STATUS(ptm_split_make((ptm_split_kind)7, 1000, 4, 2, &sp, &err), PTM_ERR_ARG);
}

/* ---------------------------------------------------------------- scaler */

TEST(scaler) {
    ptm_error err;
    /* 5 rows x 4 columns; the fit uses rows [0, 4) */
    float v[5 * 4] = {
        1,   2,   5, 7,  /* */
        2,   999, 5, 7,  /* col 1 missing here */
        3,   4,   5, 7,  /* */
        4,   6,   5, 7,  /* */
        100, 8,   5, -3, /* outside the fit rows */
    };
    float ob[5 * 4] = {
        1, 1, 1, 0, /* */
        1, 0, 1, 0, /* */
        1, 1, 1, 0, /* */
        1, 1, 1, 0, /* */
        1, 1, 1, 1, /* */
    };
    float orig[20];
    memcpy(orig, v, sizeof v);
    ptm_std_scaler s;
    CHECK_STATUS(ptm_scaler_fit(&s, v, ob, 5, 4, 0, 4, &err), PTM_OK);
    CHECK_EQ_INT(s.ncols, 4);
    CHECK_NEAR(s.mean[0], 2.5, 1e-6);
    CHECK_NEAR(s.std[0], sqrt(1.25), 1e-6);
    CHECK_NEAR(s.mean[1], 4.0, 1e-6);
    CHECK_NEAR(s.std[1], sqrt(8.0 / 3.0), 1e-6);
    CHECK_NEAR(s.mean[2], 5.0, 0);
    CHECK_NEAR(s.std[2], 1.0, 0); /* zero std -> 1 */
    CHECK_NEAR(s.mean[3], 0.0, 0);
    CHECK_NEAR(s.std[3], 1.0, 0); /* nothing observed */

    ptm_scaler_transform(&s, v, ob, 5);
    CHECK_NEAR(v[0], (1.0 - 2.5) / sqrt(1.25), 1e-6);
    CHECK_NEAR(v[16], (100.0 - 2.5) / sqrt(1.25), 1e-5);
    CHECK_NEAR(v[1 * 4 + 1], 0.0, 0); /* missing stays 0 */
    CHECK_NEAR(v[0 * 4 + 3], 0.0, 0);
    CHECK_NEAR(v[2 * 4 + 1], 0.0, 1e-7);
    CHECK_NEAR(v[3 * 4 + 1], 2.0 / sqrt(8.0 / 3.0), 1e-6);
    CHECK_NEAR(v[2], 0.0, 0);
    CHECK_NEAR(v[4 * 4 + 3], -3.0, 0);

    /* identity inverse brings observed cells back */
    ptm_scaler_inverse(&s, v, 5, 4, NULL);
    for (int i = 0; i < 20; i++)
        if (ob[i] != 0.0f) CHECK_NEAR(v[i], orig[i], 1e-4);

    /* column map: output column 0 is scaler column 1, output column 1 is scaler column 0,
     * output column 2 maps outside and stays */
    float y[2 * 3] = {1, 1, 1, -1, 0, 5};
    int cols[3] = {1, 0, 9};
    ptm_scaler_inverse(&s, y, 2, 3, cols);
    CHECK_NEAR(y[0], 4.0 + sqrt(8.0 / 3.0), 1e-5);
    CHECK_NEAR(y[1], 2.5 + sqrt(1.25), 1e-5);
    CHECK_NEAR(y[2], 1.0, 0);
    CHECK_NEAR(y[3], 4.0 - sqrt(8.0 / 3.0), 1e-5);
    CHECK_NEAR(y[4], 2.5, 1e-6);
    CHECK_NEAR(y[5], 5.0, 0);
    ptm_scaler_free(&s);
    CHECK(s.mean == NULL && s.ncols == 0);
    ptm_scaler_free(&s); /* twice is fine */

    /* observed NULL = all observed; population std */
    float a[4] = {1, 2, 3, 4};
    CHECK_STATUS(ptm_scaler_fit(&s, a, NULL, 4, 1, 0, 4, &err), PTM_OK);
    CHECK_NEAR(s.mean[0], 2.5, 0);
    CHECK_NEAR(s.std[0], sqrt(1.25), 1e-6);
    ptm_scaler_transform(&s, a, NULL, 4);
    CHECK_NEAR(a[3], 1.5 / sqrt(1.25), 1e-6);
    ptm_scaler_free(&s);

    /* constant but inexact column (0.1 is not representable): still std 1 */
    float c[3] = {0.1f, 0.1f, 0.1f};
    CHECK_STATUS(ptm_scaler_fit(&s, c, NULL, 3, 1, 0, 3, &err), PTM_OK);
    CHECK_NEAR(s.std[0], 1.0, 0);
    ptm_scaler_free(&s);

    CHECK_STATUS(ptm_scaler_fit(&s, v, ob, 5, 4, 3, 2, &err), PTM_ERR_ARG);
    CHECK(s.mean == NULL);
    CHECK_STATUS(ptm_scaler_fit(&s, v, ob, 5, 4, 0, 6, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_scaler_fit(&s, v, ob, 5, 0, 0, 5, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_scaler_fit(NULL, v, ob, 5, 4, 0, 5, &err), PTM_ERR_ARG);
    /* an empty range fits mean 0, std 1 */
    CHECK_STATUS(ptm_scaler_fit(&s, v, ob, 5, 4, 2, 2, &err), PTM_OK);
    CHECK_NEAR(s.mean[0], 0.0, 0);
    CHECK_NEAR(s.std[0], 1.0, 0);
    ptm_scaler_free(&s);
}

/* ---------------------------------------------------------------- windows */

TEST(windows_content) {
    ptm_error err;
    enum { NR = 50, NC = 2 };
    float v[NR * NC], ob[NR * NC];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++) {
            v[r * NC + c] = (float)(r * 10 + c);
            ob[r * NC + c] = 1.0f;
        }
    ob[12 * NC + 1] = 0.0f; /* row 12, column 1 missing */
    ptm_windows w;
    CHECK_STATUS(ptm_windows_init(&w, v, ob, NR, NC, 5, 3, 10, 30, &err), PTM_OK);
    CHECK_EQ_INT(w.count, 30 - 10 - 5 - 3 + 1);
    for (size_t i = 0; i < w.count; i++) CHECK_EQ_INT(w.order[i], i);

    float past[4 * 5 * NC], po[4 * 5 * NC], fut[4 * 3 * NC], fo[4 * 3 * NC];
    CHECK_EQ_INT(ptm_windows_batch(&w, 0, 4, past, po, fut, fo), 4);
    int ok = 1;
    for (int k = 0; k < 4; k++)
        for (int c = 0; c < NC; c++) {
            for (int t = 0; t < 5; t++) {
                int row = 10 + k + t;
                ok &= past[(k * 5 + t) * NC + c] == (float)(row * 10 + c);
                ok &= po[(k * 5 + t) * NC + c] == ((row == 12 && c == 1) ? 0.0f : 1.0f);
            }
            for (int t = 0; t < 3; t++) {
                int row = 10 + k + 5 + t;
                ok &= fut[(k * 3 + t) * NC + c] == (float)(row * 10 + c);
                ok &= fo[(k * 3 + t) * NC + c] == 1.0f;
            }
        }
    CHECK(ok);
    CHECK_NEAR(po[(0 * 5 + 2) * NC + 1], 0.0, 0); /* window 0, step 2 = row 12 */

    /* the tail: 13 windows, positions 11 and 12 remain */
    CHECK_EQ_INT(ptm_windows_batch(&w, 11, 4, past, NULL, fut, NULL), 2);
    CHECK_NEAR(past[0], 21 * 10, 0);
    CHECK_NEAR(past[5 * NC], 22 * 10, 0);
    CHECK_NEAR(fut[3 * NC + 2 * NC + 1], (22 + 5 + 2) * 10 + 1, 0); /* last future row = 29 */
    CHECK_EQ_INT(ptm_windows_batch(&w, 13, 4, past, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(ptm_windows_batch(&w, 100, 4, past, NULL, NULL, NULL), 0);
    ptm_windows_free(&w);
    CHECK(w.order == NULL);

    /* no mask: observed arrays are all 1 */
    CHECK_STATUS(ptm_windows_init(&w, v, NULL, NR, NC, 5, 3, 10, 18, &err), PTM_OK);
    CHECK_EQ_INT(w.count, 1);
    for (size_t i = 0; i < sizeof po / sizeof po[0]; i++) po[i] = -1.0f;
    CHECK_EQ_INT(ptm_windows_batch(&w, 0, 4, past, po, NULL, NULL), 1);
    ok = 1;
    for (int i = 0; i < 5 * NC; i++) ok &= po[i] == 1.0f;
    CHECK(ok);
    CHECK_NEAR(po[5 * NC], -1.0, 0); /* second slot untouched */
    ptm_windows_free(&w);

    CHECK_STATUS(ptm_windows_init(&w, v, NULL, NR, NC, 5, 3, 10, 17, &err), PTM_ERR_INPUT);
    CHECK(w.order == NULL);
    CHECK_STATUS(ptm_windows_init(&w, v, NULL, NR, NC, 5, 3, 10, 51, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_windows_init(&w, v, NULL, NR, NC, 5, 3, 20, 10, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_windows_init(&w, v, NULL, NR, NC, 0, 3, 0, 50, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_windows_init(&w, v, NULL, NR, NC, 5, -1, 0, 50, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_windows_init(&w, v, NULL, NR, 0, 5, 3, 0, 50, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_windows_init(&w, NULL, NULL, NR, NC, 5, 3, 0, 50, &err), PTM_ERR_ARG);
    ptm_windows_free(&w);
    ptm_windows_free(NULL);
}

static int is_perm(const size_t *o, size_t n) {
    unsigned char *seen = calloc(n, 1);
    int ok = seen != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        if (o[i] >= n || seen[o[i]])
            ok = 0;
        else
            seen[o[i]] = 1;
    }
    free(seen);
    return ok;
}

TEST(windows_shuffle) {
    ptm_error err;
    enum { NR = 1010 };
    float *v = malloc(NR * sizeof *v);
    if (!v) return;
    for (int r = 0; r < NR; r++) v[r] = (float)r;
    ptm_windows w;
    CHECK_STATUS(ptm_windows_init(&w, v, NULL, NR, 1, 5, 6, 0, NR, &err), PTM_OK);
    CHECK_EQ_INT(w.count, 1000);
    size_t *a = malloc(1000 * sizeof *a), *b = malloc(1000 * sizeof *b);
    if (!a || !b) goto done;

    ptm_windows_shuffle(&w, 42, 0);
    CHECK(is_perm(w.order, w.count));
    memcpy(a, w.order, 1000 * sizeof *a);
    size_t fixed = 0;
    for (size_t i = 0; i < 1000; i++) fixed += a[i] == i;
    CHECK(fixed < 50); /* really shuffled */

    ptm_windows_shuffle(&w, 42, 1);
    CHECK(is_perm(w.order, w.count));
    memcpy(b, w.order, 1000 * sizeof *b);
    CHECK(memcmp(a, b, 1000 * sizeof *a) != 0); /* epochs differ */

    ptm_windows_shuffle(&w, 42, 0); /* same (seed, epoch) after another epoch: same order */
    CHECK(memcmp(a, w.order, 1000 * sizeof *a) == 0);
    ptm_windows_shuffle(&w, 43, 0);
    CHECK(memcmp(a, w.order, 1000 * sizeof *a) != 0); /* seeds differ */
    ptm_windows_shuffle(&w, 42, -1);
    CHECK(is_perm(w.order, w.count));

    /* batches follow the order: window k's past starts at row order[k] */
    ptm_windows_shuffle(&w, 7, 3);
    float past[3 * 5], fut[3 * 6];
    CHECK_EQ_INT(ptm_windows_batch(&w, 10, 3, past, NULL, fut, NULL), 3);
    int ok = 1;
    for (int k = 0; k < 3; k++) {
        size_t r0 = w.order[10 + (size_t)k];
        for (int t = 0; t < 5; t++) ok &= past[k * 5 + t] == (float)(r0 + (size_t)t);
        for (int t = 0; t < 6; t++) ok &= fut[k * 6 + t] == (float)(r0 + 5 + (size_t)t);
    }
    CHECK(ok);

    /* a second windows object over the same count shuffles identically */
    ptm_windows w2;
    CHECK_STATUS(ptm_windows_init(&w2, v, NULL, NR, 1, 5, 6, 0, NR, &err), PTM_OK);
    ptm_windows_shuffle(&w2, 7, 3);
    CHECK(memcmp(w.order, w2.order, 1000 * sizeof *a) == 0);
    ptm_windows_free(&w2);

    /* one window: shuffle is a no-op */
    CHECK_STATUS(ptm_windows_init(&w2, v, NULL, NR, 1, 5, 6, 0, 11, &err), PTM_OK);
    ptm_windows_shuffle(&w2, 1, 1);
    CHECK_EQ_INT(w2.order[0], 0);
    ptm_windows_free(&w2);
done:
    free(a);
    free(b);
    ptm_windows_free(&w);
    free(v);
}

int main(void) {
    RUN(split_kind);
    RUN(split_ett);
    RUN(split_custom);
    RUN(scaler);
    RUN(windows_content);
    RUN(windows_shuffle);
    return test_summary("test_data_windows");
}
