/* ttm_reference.c - what the C API returns for a TinyTimeMixer model's inputs, for the Python
 * binding's bit-exactness test (test_binding.py). Public API only.
 *
 *   ttm_reference MODEL_DIR BATCH PAST_LENGTH CHANNELS PAST.f32 MASK.f32|- FREQ.i64|-
 *                 FUTURE.f32|- CATEGORIES.i64|- OUTDIR
 *
 * PAST.f32 / MASK.f32 hold BATCH * PAST_LENGTH * CHANNELS float32 values, FREQ.i64 BATCH int64
 * frequency tokens, FUTURE.f32 BATCH * prediction_length * CHANNELS values, CATEGORIES.i64
 * BATCH * n_cat category indices ("-" = not given). The context takes CHANNELS channels
 * (ptm_ctx_params.num_input_channels). Writes every output of one forward pass as
 * OUTDIR/<name>.f32 with a line "<name> <d0> <d1> ..." in OUTDIR/index.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patchtsmixer.h"

static int die(const char *what, const ptm_error *err) {
    char msg[2048];
    fprintf(stderr, "ttm_reference: %s: %s\n", what,
            err ? ptm_error_message(err, msg, sizeof msg) : "failed");
    return 1;
}

/* n items of size bytes from path, or NULL ("-" gives NULL and *ok stays 1) */
static void *read_raw(const char *path, size_t n, size_t size, int *ok) {
    if (strcmp(path, "-") == 0) return NULL;
    FILE *f = fopen(path, "rb");
    void *p = f ? malloc(n * size + 1) : NULL;
    if (!p || fread(p, size, n, f) != n) {
        free(p);
        p = NULL;
        *ok = 0;
    }
    if (f) fclose(f);
    return p;
}

int main(int argc, char **argv) {
    if (argc != 11) {
        fprintf(stderr, "usage: ttm_reference MODEL_DIR BATCH PAST_LENGTH CHANNELS PAST.f32 "
                        "MASK.f32|- FREQ.i64|- FUTURE.f32|- CATEGORIES.i64|- OUTDIR\n");
        return 2;
    }
    int B = atoi(argv[2]), Lp = atoi(argv[3]), C = atoi(argv[4]), ok = 1;
    const char *out = argv[10];
    ptm_error err;
    ptm_model *m = NULL;
    if (ptm_model_load(argv[1], &m, &err) != PTM_OK) return die("load", &err);
    const ptm_config *c = ptm_model_config(m);
    size_t n = (size_t)B * (size_t)Lp * (size_t)C;
    float *past = read_raw(argv[5], n, sizeof(float), &ok);
    float *mask = read_raw(argv[6], n, sizeof(float), &ok);
    int64_t *tok = read_raw(argv[7], (size_t)B, sizeof(int64_t), &ok);
    float *fut = read_raw(argv[8], (size_t)B * (size_t)c->prediction_length * (size_t)C,
                          sizeof(float), &ok);
    int64_t *cat = read_raw(argv[9], (size_t)B * (size_t)c->ttm.num_categorical,
                            sizeof(int64_t), &ok);
    if (!past || !ok) return die("reading the inputs", NULL);
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.keep_hidden_states = 1;
    cp.max_batch = B;
    cp.num_input_channels = C;
    ptm_ctx *ctx = NULL;
    if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_OK) return die("context", &err);
    ptm_inputs in = {0};
    in.batch = B;
    in.past_values = past;
    in.observed_mask = mask;
    in.past_length = Lp;
    in.freq_token = tok;
    in.future_values = fut;
    in.static_categorical_values = cat;
    if (ptm_forward(ctx, &in, &err) != PTM_OK) return die("forward", &err);
    char path[4096];
    snprintf(path, sizeof path, "%s/index.txt", out);
    FILE *idx = fopen(path, "w");
    if (!idx) return die("index.txt", NULL);
    for (int i = 0; i < ptm_ctx_num_outputs(ctx); i++) {
        ptm_tensor_view v;
        if (ptm_ctx_output_at(ctx, i, &v, &err) != PTM_OK) return die("output", NULL);
        size_t numel = 1;
        fprintf(idx, "%s", v.name);
        for (int d = 0; d < v.ndim; d++) {
            fprintf(idx, " %lld", (long long)v.shape[d]);
            numel *= (size_t)v.shape[d];
        }
        fprintf(idx, "\n");
        snprintf(path, sizeof path, "%s/%s.f32", out, v.name);
        FILE *f = fopen(path, "wb");
        size_t w = f && numel ? fwrite(v.data, sizeof(float), numel, f) : 0;
        if (!f || fclose(f) != 0 || w != numel) return die(v.name, NULL);
    }
    fclose(idx);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    free(past);
    free(mask);
    free(tok);
    free(fut);
    free(cat);
    return 0;
}
