/* forecast.c - the smallest program that embeds the PatchTSMixer library: load a checkpoint,
 * read a CSV, forecast from its last context_length rows, print the forecast, free.
 *
 * Build against an installed library (make install PREFIX=...):
 *     cc forecast.c $(pkg-config --cflags --libs patchtsmixer) -o forecast
 * or with CMake (examples/CMakeLists.txt, find_package(patchtsmixer)).
 * Run:
 *     ./forecast models/etth1 data/ETTh1.csv
 * Prints one line per forecast step: the step, then one value per forecast channel.
 */
#include <stdio.h>
#include <stdlib.h>

#include <patchtsmixer.h>

static int fail(const ptm_error *err) {
    char msg[2048];
    fprintf(stderr, "forecast: %s\n", ptm_error_message(err, msg, sizeof msg));
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL_DIR PAST.csv\n", argv[0]);
        return 2;
    }
    printf("# patchtsmixer %s (built against %s)\n", ptm_version(), PTM_VERSION_STRING);
    ptm_error err;
    ptm_model *model = NULL;
    if (ptm_model_load(argv[1], &model, &err) != PTM_OK) return fail(&err);
    const ptm_config *cfg = ptm_model_config(model);
    int L = cfg->context_length, C = cfg->num_input_channels;
    if (cfg->model_class != PTM_CLASS_PREDICTION) {
        fprintf(stderr, "forecast: %s is a %s, not a forecaster\n", argv[1],
                ptm_class_name(cfg->model_class));
        ptm_model_free(model);
        return 1;
    }

    /* the window: the last L rows of the first C value columns */
    ptm_csv csv;
    if (ptm_csv_load(argv[2], 0, &csv, &err) != PTM_OK) {
        ptm_model_free(model);
        return fail(&err);
    }
    if (csv.nrows < (size_t)L || csv.ncols < (size_t)C) {
        fprintf(stderr, "forecast: %s: %zu rows x %zu columns, the model needs %d x %d\n", argv[2],
                csv.nrows, csv.ncols, L, C);
        ptm_csv_free(&csv);
        ptm_model_free(model);
        return 1;
    }
    ptm_ctx *ctx = NULL;
    int rc = 1;
    float *past = malloc(sizeof(float) * (size_t)L * (size_t)C);
    float *mask = malloc(sizeof(float) * (size_t)L * (size_t)C);
    if (!past || !mask) {
        fprintf(stderr, "forecast: out of memory\n");
        goto done;
    }
    size_t first = csv.nrows - (size_t)L;
    for (int t = 0; t < L; t++)
        for (int c = 0; c < C; c++) {
            past[(size_t)t * C + c] = csv.values[(first + (size_t)t) * csv.ncols + (size_t)c];
            mask[(size_t)t * C + c] = csv.observed[(first + (size_t)t) * csv.ncols + (size_t)c];
        }

    /* one context per thread; all of its memory is allocated here */
    ptm_ctx_params params = ptm_ctx_default_params();
    params.max_batch = 1;
    if (ptm_ctx_create(model, &params, &ctx, &err) != PTM_OK) {
        fail(&err);
        goto done;
    }
    ptm_inputs in = {0};
    in.batch = 1;
    in.past_values = past; /* [1, L, C] */
    in.observed_mask = mask;
    ptm_tensor_view y; /* [1, H, C'] */
    const char *name = cfg->loss == PTM_LOSS_NLL ? "distribution_mean" : "prediction_outputs";
    if (ptm_forward(ctx, &in, &err) != PTM_OK || ptm_ctx_output(ctx, name, &y, &err) != PTM_OK) {
        fail(&err);
        goto done;
    }
    for (int64_t t = 0; t < y.shape[1]; t++) {
        printf("%lld", (long long)(t + 1));
        for (int64_t c = 0; c < y.shape[2]; c++)
            printf(",%.6g", (double)y.data[t * y.shape[2] + c]);
        printf("\n");
    }
    rc = 0;
done:
    ptm_ctx_free(ctx);
    free(past);
    free(mask);
    ptm_csv_free(&csv);
    ptm_model_free(model);
    return rc;
}
