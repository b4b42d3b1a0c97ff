/* test_fdiff_ttm.c - finite-difference gradient checks of whole TinyTimeMixerForPrediction
 * models through the public API (ptm_forward, ptm_backward, ptm_ctx_grad), for the pieces whose
 * backward the golden gradient cases (tests/golden/ttm/grad_*) do not reach: the pinball and
 * huber losses, future_observed_mask, prediction_filter_length with prediction_channel_indices,
 * the frequency-token prefix with a learned positional encoding, categorical channels, the
 * adapter, adaptive-patching levels in the decoder, self-attention, head and mixer dropout, the
 * forecast channel mixer without its mixer (w = 0 and w = 2) and with it. Up to 12 elements of
 * every trainable tensor; the checker and its tolerance are fdiff.h's.
 *
 *     build/test_fdiff_ttm       one line per case, then "test_fdiff_ttm: N passed, ..."
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "fdiff.h"
#include "model/model.h"
#include "patchtsmixer.h"
#include "testutil.h"

typedef struct {
    const char *label;
    const char *json; /* the keys beyond the common ones below */
    int fut_mask;     /* future_observed_mask with some zeros */
} ttm_case;

/* every trainable tensor random (norm weights near 1), so that every gradient term matters */
static void randomize(ptm_model *m, uint64_t seed) {
    ptmi_rng_seed(&g_rng, seed);
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->trainable || !e->f32) continue;
        size_t len = strlen(e->name);
        int norm_w = e->ndim == 1 && len > 6 && strcmp(e->name + len - 6, "weight") == 0;
        float a = e->ndim == 2 ? 1.0f / sqrtf((float)e->shape[1]) : 0.3f;
        for (size_t k = 0; k < e->numel; k++) e->f32[k] = norm_w ? urand(0.6f, 1.4f) : urand(-a, a);
    }
    ptmi_model_sync(m);
}

typedef struct {
    ptm_model *m;
    ptm_ctx *ctx;
    ptm_inputs in;
} ud_t;

static double loss_of(void *u) {
    ud_t *d = u;
    ptm_error err;
    ptm_tensor_view v;
    ptmi_model_sync(d->m);
    if (ptm_forward(d->ctx, &d->in, &err) != PTM_OK) return NAN;
    if (ptm_ctx_output(d->ctx, "loss", &v, &err) != PTM_OK) return NAN;
    g_lscale = fabs((double)v.data[0]);
    return (double)v.data[0];
}

static void run_case(const ttm_case *tc, uint64_t seed) {
    char json[2048];
    snprintf(json, sizeof json,
             "{\"model_type\": \"tinytimemixer\", \"architectures\": "
             "[\"TinyTimeMixerForPrediction\"], \"context_length\": 16, \"patch_length\": 4, "
             "\"patch_stride\": 4, \"decoder_num_layers\": 1, \"expansion_factor\": 2, "
             "\"prediction_length\": 4, \"scaling\": \"std\", %s}",
             tc->json);
    ptm_error err;
    ptm_config c;
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    ptm_status st = ptm_config_parse(json, strlen(json), "case.json", -1, &c, &err);
    CHECK_STATUS(st, PTM_OK);
    if (st != PTM_OK) {
        printf("config: %s: %s\n", err.field, err.text);
        return;
    }
    CHECK_STATUS(ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err), PTM_OK);
    ptm_config_free(&c);
    if (!m) return;
    randomize(m, seed);
    const ptm_config *mc = &m->cfg;
    int B = 3, L = mc->context_length, C = mc->num_input_channels, H = mc->prediction_length;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = B;
    CHECK_STATUS(ptm_ctx_create_train(m, &cp, &ctx, &err), PTM_OK);
    if (!ctx) {
        ptm_model_free(m);
        return;
    }
    float *past = zeros((size_t)B * L * C), *fut = zeros((size_t)B * H * C),
          *fmask = zeros((size_t)B * H * C);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < L + H; t++)
            for (int ch = 0; ch < C; ch++) {
                float v =
                    (float)ch * 0.5f + (float)(0.8 * sin(0.5 * t + b + ch)) + urand(-0.4f, 0.4f);
                if (t < L)
                    past[((size_t)b * L + t) * C + ch] = v;
                else
                    fut[((size_t)b * H + (t - L)) * C + ch] = v;
            }
    for (int i = 0; i < B * H * C; i++) fmask[i] = i % 4 == 2 ? 0.0f : 1.0f;
    int64_t freq[3] = {1, 0, 2}, cats[6] = {0, 1, 2, 0, 1, 1};
    ud_t d;
    memset(&d, 0, sizeof d);
    d.m = m;
    d.ctx = ctx;
    d.in.batch = B;
    d.in.past_values = past;
    d.in.future_values = fut;
    d.in.future_observed_mask = tc->fut_mask ? fmask : NULL;
    d.in.freq_token = freq;
    d.in.static_categorical_values = cats;
    d.in.dropout_seed = 7; /* the same dropout masks on every forward */
    double l0 = loss_of(&d);
    CHECK(isfinite(l0));
    CHECK_STATUS(ptm_backward(ctx, &err), PTM_OK);
    fd_list l = {0};
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->trainable || !e->f32) continue;
        ptm_tensor_view g;
        ptm_status gs = ptm_ctx_grad(ctx, e->name, &g, &err);
        CHECK_STATUS(gs, PTM_OK);
        if (gs == PTM_OK) fd_add(&l, e->name, e->f32, g.data, e->numel);
    }
    CHECK(l.n > 0);
    char label[96];
    snprintf(label, sizeof label, "ttm %s", tc->label);
    fd_check(label, loss_of, &d, &l, 12);
    free(l.v);
    free(past), free(fut), free(fmask);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
}

TEST(fd_ttm) {
    static const ttm_case cases[] = {
        {"pinball prefix cat adapter pe filter sel futmask dropout",
         "\"num_input_channels\": 3, \"d_model\": 12, \"decoder_d_model\": 8, \"loss\": "
         "\"pinball\", \"quantile\": 0.7, "
         "\"resolution_prefix_tuning\": true, \"frequency_token_vocab_size\": 3, "
         "\"categorical_vocab_size_list\": [3, 2], \"decoder_mode\": \"mix_channel\", "
         "\"decoder_raw_residual\": true, \"use_positional_encoding\": true, "
         "\"positional_encoding_type\": \"random\", \"prediction_filter_length\": 3, "
         "\"prediction_channel_indices\": [0, 2], \"dropout\": 0.2, \"head_dropout\": 0.2",
         1},
        {"huber apl decoder-apl selfattn mix",
         "\"num_input_channels\": 2, \"d_model\": 16, \"loss\": \"huber\", \"huber_delta\": 0.3, "
         "\"adaptive_patching_levels\": 2, \"decoder_adaptive_patching_levels\": 2, "
         "\"mode\": \"mix_channel\", \"self_attn\": true, "
         "\"self_attn_heads\": 2, \"num_layers\": 2, \"decoder_d_model\": 16",
         0},
        {"mae fcm w0 gated BN",
         "\"num_input_channels\": 3, \"d_model\": 8, \"loss\": \"mae\", \"norm_mlp\": "
         "\"BatchNorm\", "
         "\"exogenous_channel_indices\": [1], \"enable_forecast_channel_mixing\": true, "
         "\"fcm_context_length\": 0, \"fcm_use_mixer\": false, \"fcm_gated_attn\": true",
         0},
        {"mse fcm w2 no mixer offset",
         "\"num_input_channels\": 3, \"d_model\": 8, \"exogenous_channel_indices\": [0, 2], "
         "\"enable_forecast_channel_mixing\": true, \"fcm_context_length\": 2, "
         "\"fcm_use_mixer\": false, \"fcm_gated_attn\": true, \"fcm_prepend_past_offset\": 3, "
         "\"prediction_filter_length\": 3",
         1},
        {"mse fcm w1 mixer ungated",
         "\"num_input_channels\": 3, \"d_model\": 8, \"exogenous_channel_indices\": [2], "
         "\"enable_forecast_channel_mixing\": true, \"fcm_context_length\": 1, "
         "\"fcm_use_mixer\": true, \"fcm_mix_layers\": 2, \"fcm_gated_attn\": false, "
         "\"head_dropout\": 0.1",
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i], 500 + i);
}

int main(void) {
    RUN(fd_ttm);
    return test_summary("test_fdiff_ttm");
}
