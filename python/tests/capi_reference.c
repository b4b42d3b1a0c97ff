/* capi_reference.c - what the C API returns for given inputs, for the Python binding's
 * bit-exactness test (test_binding.py). Public API only.
 *
 *   capi_reference MODEL_DIR BATCH PAST.f32 MASK.f32|- OUTDIR [NUM_SAMPLES SEED]
 *
 * PAST.f32 / MASK.f32 hold BATCH * context_length * channels raw float32 values. Runs one
 * forward pass and writes every output as OUTDIR/<name>.f32 (raw float32) with a line
 * "<name> <d0> <d1> ..." in OUTDIR/index.txt; with NUM_SAMPLES > 0 (distribution heads) also
 * OUTDIR/samples.f32 (ptm_ctx_sample) and OUTDIR/quantiles.f32 (ptm_quantiles at 0.1, 0.5, 0.9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patchtsmixer.h"

static int die(const char *what, const ptm_error *err) {
    char msg[2048];
    fprintf(stderr, "capi_reference: %s: %s\n", what,
            err ? ptm_error_message(err, msg, sizeof msg) : "failed");
    return 1;
}

static float *read_f32(const char *path, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    float *p = malloc(n * sizeof *p);
    if (p && fread(p, sizeof *p, n, f) != n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

static int write_f32(const char *dir, const char *name, const float *p, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.f32", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(p, sizeof *p, n, f) : 0;
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 6 && argc != 8) {
        fprintf(stderr, "usage: capi_reference MODEL_DIR BATCH PAST.f32 MASK.f32|- OUTDIR "
                        "[NUM_SAMPLES SEED]\n");
        return 2;
    }
    int B = atoi(argv[2]), S = argc == 8 ? atoi(argv[6]) : 0;
    uint64_t seed = argc == 8 ? strtoull(argv[7], NULL, 10) : 0;
    const char *out = argv[5];
    ptm_error err;
    ptm_model *m = NULL;
    if (ptm_model_load(argv[1], &m, &err) != PTM_OK) return die("load", &err);
    const ptm_config *c = ptm_model_config(m);
    size_t n = (size_t)B * (size_t)c->context_length * (size_t)c->num_input_channels;
    float *past = read_f32(argv[3], n);
    float *mask = strcmp(argv[4], "-") == 0 ? NULL : read_f32(argv[4], n);
    if (!past || (strcmp(argv[4], "-") != 0 && !mask)) return die("reading the inputs", NULL);
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.keep_hidden_states = 1;
    cp.max_batch = B;
    ptm_ctx *ctx = NULL;
    if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_OK) return die("context", &err);
    ptm_inputs in = {0};
    in.batch = B;
    in.past_values = past;
    in.observed_mask = mask;
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
        if (write_f32(out, v.name, v.data, numel) != 0) return die(v.name, NULL);
    }
    fclose(idx);
    if (S > 0) {
        size_t per = c->model_class == PTM_CLASS_PREDICTION
                         ? (size_t)c->prediction_length * (size_t)c->num_prediction_channels
                         : (size_t)c->num_targets;
        size_t total = (size_t)B * (size_t)S * per;
        float *smp = malloc(total * sizeof *smp), *q = malloc((size_t)B * 3 * per * sizeof *q);
        const float qs[3] = {0.1f, 0.5f, 0.9f};
        if (!smp || !q) return die("out of memory", NULL);
        if (ptm_ctx_sample(ctx, S, seed, smp, total, &err) != PTM_OK) return die("sample", &err);
        if (ptm_quantiles(smp, B, S, (int64_t)per, qs, 3, q, &err) != PTM_OK)
            return die("quantiles", &err);
        if (write_f32(out, "samples", smp, total) != 0 ||
            write_f32(out, "quantiles", q, (size_t)B * 3 * per) != 0)
            return die("writing samples", NULL);
        free(smp);
        free(q);
    }
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    free(past);
    free(mask);
    return 0;
}
