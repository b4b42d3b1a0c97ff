/* fuzz_model.c - fuzz target of the whole "load a model directory, run one forward" path.
 *
 * The input is a checkpoint directory in one piece: config.json and model.safetensors joined
 * by FUZZ_SEP (see fuzz_common.h), written to a temporary folder. A model that loads is run
 * on a fixed input series (batch 1, a few values marked missing): an eval-mode forward with
 * every output read back, samples and quantiles for distribution heads, then a train-mode
 * forward and backward with targets. Contexts over a few million floats are skipped (the
 * library's own limits are in the GiB range; the fuzzer must stay within ~2 GB of memory).
 *
 *     make fuzz && build/fuzz/fuzz_model tests/fuzz/corpus/model
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void model_read_outputs(const ptm_ctx *ctx) {
    volatile double sum = 0.0;
    int n = ptm_ctx_num_outputs(ctx);
    for (int i = 0; i < n; i++) {
        ptm_tensor_view v;
        if (ptm_ctx_output_at(ctx, i, &v, NULL) != PTM_OK) abort();
        size_t numel = 1;
        for (int d = 0; d < v.ndim; d++) numel *= (size_t)v.shape[d];
        for (size_t k = 0; k < numel; k++) sum += (double)v.data[k];
    }
    (void)sum;
}

static void model_run(ptm_model *m) {
    const ptm_config *c = ptm_model_config(m);
    size_t L = (size_t)c->context_length, C = (size_t)c->num_input_channels;
    size_t N = (size_t)c->num_patches, D = (size_t)c->d_model, K = (size_t)c->num_layers;
    size_t ef = (size_t)c->expansion_factor, H = (size_t)c->prediction_length;
    size_t T = (size_t)c->num_targets;
    double est = (double)C * N * D * (double)(40 + 4 * ef + 12 * K) + (double)L * C * 4 +
                 (double)H * C * 8 + (double)C * N * N * (double)c->self_attn_heads * 4 * K +
                 (double)C * N * (double)c->patch_length * 8 + (double)D * C * N * 4 +
                 (double)T * 8;
    if (c->family == PTM_FAMILY_TTM) { /* the decoder and the forecast channel mixer */
        const ptm_ttm_config *t = &c->ttm;
        double w2 = 2.0 * (2.0 * t->fcm_context_length + 1.0);
        est += (double)(C + (size_t)t->num_categorical) * N * (double)t->decoder_d_model *
                   (40.0 + 4.0 * (double)ef + 12.0 * t->decoder_num_layers) +
               (double)H * (double)(c->num_prediction_channels + t->num_exogenous_channels) * w2 *
                   (40.0 + 4.0 * (double)ef + 12.0 * t->fcm_mix_layers);
    }
    if (est > (double)(1 << 22)) return;
    float *past = malloc(L * C * sizeof(float)), *obs = malloc(L * C * sizeof(float));
    float *fut = malloc((H * C + 1) * sizeof(float)), *tgt = malloc((T + 1) * sizeof(float));
    if (!past || !obs || !fut || !tgt) goto done;
    for (size_t i = 0; i < L * C; i++) {
        past[i] = (float)(sin(0.37 * (double)i) * 3.0 + (double)(i % 7));
        obs[i] = i % 11 == 5 ? 0.0f : 1.0f;
        if (obs[i] == 0.0f) past[i] = 0.0f;
    }
    for (size_t i = 0; i < H * C; i++) fut[i] = (float)(i % 5);
    for (size_t i = 0; i < T; i++) tgt[i] = (float)(i % 3);
    int64_t label = 0, zeros[64] = {0}; /* TTM: frequency token, categories */
    ptm_error err;
    for (int train = 0; train <= 1; train++) {
        ptm_ctx_params cp = ptm_ctx_default_params();
        cp.max_batch = 1;
        ptm_ctx *ctx = NULL;
        ptm_status s =
            train ? ptm_ctx_create_train(m, &cp, &ctx, &err) : ptm_ctx_create(m, &cp, &ctx, &err);
        if (s != PTM_OK) {
            /* training a TinyTimeMixer is refused (not implemented yet) */
            int ttm_train = train && s == PTM_ERR_UNSUPPORTED && c->family == PTM_FAMILY_TTM;
            if (s != PTM_ERR_LIMIT && s != PTM_ERR_NOMEM && !ttm_train) abort();
            continue;
        }
        ptm_inputs in;
        memset(&in, 0, sizeof in);
        in.batch = 1;
        in.past_values = past;
        in.observed_mask = obs;
        in.mask_seed = 7;
        in.dropout_seed = 11;
        if (c->family == PTM_FAMILY_TTM) { /* its inputs: all valid */
            in.freq_token = zeros;
            in.static_categorical_values = zeros;
            if (c->model_class == PTM_CLASS_PREDICTION) in.future_values = fut;
        }
        if (train) {
            if (c->model_class == PTM_CLASS_PREDICTION) in.future_values = fut;
            if (c->model_class == PTM_CLASS_REGRESSION) in.target_values = tgt;
            if (c->model_class == PTM_CLASS_CLASSIFICATION) in.target_labels = &label;
        }
        s = ptm_forward(ctx, &in, &err);
        fuzz_note(train ? "model train forward" : "model forward", s, NULL, NULL,
                  s ? err.text : NULL);
        if (s == PTM_OK) {
            model_read_outputs(ctx);
            if (!train && c->loss == PTM_LOSS_NLL &&
                (c->model_class == PTM_CLASS_PREDICTION ||
                 c->model_class == PTM_CLASS_REGRESSION)) {
                size_t per = c->model_class == PTM_CLASS_PREDICTION
                                 ? H * (size_t)c->num_prediction_channels
                                 : T;
                float *smp = malloc(3 * per * sizeof(float)), *q = malloc(2 * per * sizeof(float));
                float qs[2] = {0.1f, 0.9f};
                if (smp && q && ptm_ctx_sample(ctx, 3, 5, smp, 3 * per, &err) == PTM_OK &&
                    ptm_quantiles(smp, 1, 3, (int64_t)per, qs, 2, q, &err) != PTM_OK)
                    abort();
                free(smp);
                free(q);
            }
            if (train && c->model_class != PTM_CLASS_MODEL) {
                if (ptm_backward(ctx, &err) == PTM_OK) {
                    ptm_tensor_view g;
                    if (ptm_ctx_grad(ctx, m->table[0].name, &g, &err) == PTM_OK) {
                        volatile float x = g.data[0];
                        (void)x;
                    }
                }
            }
        } else if (s != PTM_ERR_INPUT) {
            abort(); /* the fixed input is valid: only the model can be wrong */
        }
        ptm_ctx_free(ctx);
    }
done:
    free(past);
    free(obs);
    free(fut);
    free(tgt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *base = fuzz_tmpdir();
    if (!base) return 0;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/model", base);
    mkdir(dir, 0755);
    fuzz_part parts[2];
    int k = fuzz_split(data, size, parts, 2);
    if (fuzz_write(dir, "config.json", parts[0].p, parts[0].n) != 0) return 0;
    if (k < 1)
        fuzz_unlink(dir, "model.safetensors");
    else if (fuzz_write(dir, "model.safetensors", parts[1].p, parts[1].n) != 0)
        return 0;
    ptm_model *m = NULL;
    ptm_error err;
    ptm_status s = ptm_model_load(dir, &m, &err);
    fuzz_note("model load", s, s ? err.file : NULL, s ? err.field : NULL, s ? err.text : NULL);
    if (s != PTM_OK) {
        if (err.code != s || m) abort();
        return 0;
    }
    model_run(m);
    ptm_model_free(m);
    return 0;
}
