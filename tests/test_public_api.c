/* test_public_api.c - the configuration and data functions the command line uses, called as a
 * user of the installed library would: this file includes only patchtsmixer.h (and the test
 * harness). ptm_config_parse / load with and without a default class, their argument errors
 * and *_free(NULL); the forecasting pipeline of `eval` on data/ETTh1.csv (ETT hourly split,
 * scaler fitted on the training rows, windows of the test split, inverse transform back to the
 * file's values).
 *
 * Run from the repository root: build/test_public_api
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patchtsmixer.h"
#include "testutil.h"

TEST(config_api) {
    ptm_error err;
    ptm_config c;
    const char *no_class = "{\"context_length\": 64, \"patch_length\": 8, \"d_model\": 12}";
    /* without "architectures": refused with -1, the default class otherwise */
    CHECK_STATUS(ptm_config_parse(no_class, strlen(no_class), "x.json", -1, &c, &err),
                 PTM_ERR_CONFIG);
    CHECK(strcmp(err.field, "architectures") == 0);
    CHECK_STATUS(
        ptm_config_parse(no_class, strlen(no_class), "x.json", PTM_CLASS_REGRESSION, &c, &err),
        PTM_OK);
    CHECK_EQ_INT(c.model_class, PTM_CLASS_REGRESSION);
    CHECK_EQ_INT(c.context_length, 64);
    CHECK_EQ_INT(c.d_model, 12);
    CHECK_EQ_INT(c.num_patches, 8); /* derived */
    CHECK_EQ_INT(c.num_layers, 3);  /* PatchTSMixerConfig's default */
    ptm_config_free(&c);
    ptm_config_free(&c); /* lists are NULL after the first call */
    ptm_config_free(NULL);
    /* "architectures" wins over the default class */
    const char *pred = "{\"architectures\": [\"PatchTSMixerForPrediction\"]}";
    CHECK_STATUS(ptm_config_parse(pred, strlen(pred), "p.json", PTM_CLASS_CLASSIFICATION, &c, &err),
                 PTM_OK);
    CHECK_EQ_INT(c.model_class, PTM_CLASS_PREDICTION);
    ptm_config_free(&c);
    /* argument errors */
    CHECK_STATUS(ptm_config_parse(pred, strlen(pred), "p.json", 5, &c, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_config_parse(NULL, 0, "p.json", -1, &c, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_config_parse(pred, strlen(pred), "p.json", -1, NULL, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_config_load(NULL, -1, &c, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_config_load("tests/no/such/config.json", -1, &c, &err), PTM_ERR_IO);
    /* a checkpoint's config.json, and the defaults */
    CHECK_STATUS(ptm_config_load("models/etth1/config.json", -1, &c, &err), PTM_OK);
    CHECK_EQ_INT(c.model_class, PTM_CLASS_PREDICTION);
    CHECK_EQ_INT(c.num_input_channels, 7);
    ptm_config_free(&c);
    ptm_config_defaults(&c);
    CHECK_EQ_INT(c.model_class, PTM_CLASS_MODEL);
    CHECK(c.prediction_channel_indices == NULL && c.num_forecast_mask_patches == NULL);
    ptm_config_free(&c);
}

TEST(eval_pipeline) {
    ptm_error err;
    ptm_csv t;
    if (ptm_csv_load("data/ETTh1.csv", 0, &t, &err) != PTM_OK) {
        CHECK(0 && "data/ETTh1.csv");
        return;
    }
    const int L = 512, H = 96, C = (int)t.ncols;
    CHECK_EQ_INT(C, 7);
    ptm_split sp;
    CHECK_EQ_INT(ptm_split_kind_from_name("data/ETTh1.csv"), PTM_SPLIT_ETT_HOURLY);
    CHECK_STATUS(ptm_split_make(PTM_SPLIT_ETT_HOURLY, t.nrows, L, H, &sp, &err), PTM_OK);
    CHECK_EQ_INT(sp.train_end, 8640);
    CHECK_EQ_INT(sp.test_begin, 11520 - L);
    CHECK_EQ_INT(sp.test_end, 14400);
    float *orig = malloc(sizeof(float) * t.nrows * (size_t)C);
    if (!orig) {
        CHECK(0 && "out of memory");
        ptm_csv_free(&t);
        return;
    }
    memcpy(orig, t.values, sizeof(float) * t.nrows * (size_t)C);
    ptm_std_scaler sc;
    CHECK_STATUS(
        ptm_scaler_fit(&sc, t.values, t.observed, t.nrows, C, sp.train_begin, sp.train_end, &err),
        PTM_OK);
    ptm_scaler_transform(&sc, t.values, t.observed, t.nrows);
    /* the training rows are standardised: mean 0 per column */
    double mean0 = 0.0;
    for (size_t r = sp.train_begin; r < sp.train_end; r++) mean0 += (double)t.values[r * C];
    CHECK_NEAR(mean0 / (double)(sp.train_end - sp.train_begin), 0.0, 1e-4);
    ptm_windows w;
    CHECK_STATUS(ptm_windows_init(&w, t.values, t.observed, t.nrows, C, L, H, sp.test_begin,
                                  sp.test_end, &err),
                 PTM_OK);
    CHECK_EQ_INT(w.count, sp.test_end - sp.test_begin - (size_t)(L + H) + 1);
    float *past = malloc(sizeof(float) * (size_t)L * C), *fut = malloc(sizeof(float) * H * C);
    if (past && fut) {
        /* the last window, back in the file's units: the rows it was cut from */
        size_t k = w.count - 1;
        CHECK_EQ_INT(ptm_windows_batch(&w, k, 1, past, NULL, fut, NULL), 1);
        ptm_scaler_inverse(&sc, fut, (size_t)H, C, NULL);
        double worst = 0.0;
        for (int i = 0; i < H * C; i++) {
            double d = fabs((double)fut[i] - (double)orig[(w.begin + k + L) * C + (size_t)i]);
            if (d > worst) worst = d;
        }
        CHECK_NEAR(worst, 0.0, 1e-4);
    }
    free(past);
    free(fut);
    ptm_windows_free(&w);
    ptm_windows_free(&w);
    ptm_windows_shuffle(NULL, 1, 0);
    ptm_scaler_free(&sc);
    ptm_scaler_free(NULL);
    free(orig);
    ptm_csv_free(&t);
}

int main(void) {
    RUN(config_api);
    RUN(eval_pipeline);
    return test_summary("test_public_api");
}
