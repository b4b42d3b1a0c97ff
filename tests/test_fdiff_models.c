/* test_fdiff_models.c - finite-difference gradient checks of whole mixer layers and models:
 *   one mixer layer for {common, mix}_channel x {LayerNorm, BatchNorm} x {gated, not} x
 *   {self-attention, not}, plus eval mode and dropout (masks from a generator reseeded on
 *   every forward);
 *   whole models through the public API (ptm_forward, ptm_backward, ptm_ctx_grad) for every
 *   class, loss, distribution and head option, up to 12 elements of every trainable tensor.
 *   In a training context ptm_forward updates the BatchNorm running statistics, which do not
 *   enter the train-mode output, so the loss stays a function of the weights alone.
 * The checker (fd_check, its step and tolerance rules) is in fdiff.h; the single layers are
 * checked in test_fdiff_layers.c. The slowest test program under valgrind (run_valgrind.sh
 * skips it by default).
 *
 *     build/test_fdiff_models       one line per case, then "test_fdiff_models: N passed, ..."
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "fdiff.h"
#include "io/config.h"
#include "layers/layers.h"
#include "model/model.h"
#include "patchtsmixer.h"
#include "testutil.h"
#include "train/trainer.h"

/* ---------------------------------------------------------------- model helpers */

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ptmi_model_init_weights, then norm weights, biases and running statistics moved away from
 * 1 / 0 so that every term of the norms' gradients matters */
static void randomize_model(ptm_model *m, uint64_t seed) {
    ptmi_model_init_weights(m, seed);
    ptmi_rng_seed(&g_rng, seed ^ 0x5a5a);
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->f32 || e->ndim != 1) continue;
        int scale_like = ends_with(e->name, "weight") || ends_with(e->name, "running_var");
        for (size_t k = 0; k < e->numel; k++)
            e->f32[k] = scale_like ? urand(0.6f, 1.4f) : urand(-0.3f, 0.3f);
    }
    ptmi_model_sync(m);
}

typedef struct {
    const char *label;
    ptm_class cls;
    ptm_loss loss;
    ptm_dist dist;
    ptm_agg agg;
    ptm_scaling scaling;
    ptm_mode mode;
    ptm_norm norm;
    int gated, self_attn, layers, stride, channels;
    int pe;        /* 0 none, 1 sincos (fixed), 2 learned */
    int out_range; /* Regression: output_range [-1, 2] */
    int sel;       /* Prediction: prediction_channel_indices {0, 2} */
    int unmasked_loss;
    float dropout, head_dropout;
    int one_target; /* Regression: num_targets 1 (HF's [B, B] broadcast NLL) */
} model_case;

static ptm_status build_model(const model_case *mc, ptm_model **out, ptm_error *err) {
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = mc->cls;
    c.context_length = 16;
    c.patch_length = 4;
    c.patch_stride = mc->stride ? mc->stride : 4;
    c.num_input_channels = mc->channels ? mc->channels : 3;
    c.d_model = 4;
    c.expansion_factor = 2;
    c.num_layers = mc->layers ? mc->layers : 1;
    c.dropout = mc->dropout;
    c.head_dropout = mc->head_dropout;
    c.mode = mc->mode;
    c.gated_attn = mc->gated;
    c.norm_mlp = mc->norm;
    c.self_attn = mc->self_attn;
    c.self_attn_heads = mc->self_attn ? 2 : 1;
    c.use_positional_encoding = mc->pe != 0;
    c.positional_encoding_type = mc->pe == 2 ? PTM_PE_RANDOM : PTM_PE_SINCOS;
    c.scaling = mc->scaling;
    c.loss = mc->loss;
    c.distribution_output = mc->dist;
    c.prediction_length = 4;
    c.num_targets = mc->cls == PTM_CLASS_CLASSIFICATION ? 3 : mc->one_target ? 1 : 2;
    c.head_aggregation = mc->agg;
    c.masked_loss = !mc->unmasked_loss;
    if (mc->out_range) {
        c.has_output_range = 1;
        c.output_range[0] = -1.0f;
        c.output_range[1] = 2.0f;
    }
    if (mc->sel) {
        c.prediction_channel_indices = malloc(2 * sizeof(int));
        if (!c.prediction_channel_indices) abort();
        c.prediction_channel_indices[0] = 0;
        c.prediction_channel_indices[1] = 2;
        c.num_prediction_channels = 2;
    }
    ptm_status s = ptmi_config_finish(&c, NULL, err);
    if (s == PTM_OK) s = ptmi_model_build(&c, PTMI_STORE_TRAIN, out, err);
    ptm_config_free(&c);
    return s;
}

/* ---------------------------------------------------------------- 9. one mixer layer */

typedef struct {
    ptm_model *m;
    ptm_ctx *ctx;
    float *inp, *out, *r;
    int b;
    ptmi_run_mode run;
    ptmi_rng rng;
} mix_ud;

static double mix_loss(void *u) {
    mix_ud *d = u;
    ptmi_model_sync(d->m);      /* the forward reads the transposed weights */
    ptmi_rng_seed(&d->rng, 99); /* the same dropout masks on every call */
    mixer_layer_forward(d->out, d->inp, &d->ctx->lc[0], &d->m->p.layers[0], &d->m->mixer, d->b,
                        d->m->cfg.num_input_channels, &d->run);
    const ptm_config *c = &d->m->cfg;
    size_t n = (size_t)d->b * c->num_input_channels * c->num_patches * c->d_model;
    return dot(d->out, d->r, n);
}

static void mixer_case(const model_case *mc, int training, uint64_t seed) {
    ptm_error err;
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    CHECK_STATUS(build_model(mc, &m, &err), PTM_OK);
    if (!m) return;
    randomize_model(m, seed);
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 2;
    /* a training context allocates the layer caches and the gradient scratch */
    CHECK_STATUS(ptm_ctx_create_train(m, &cp, &ctx, &err), PTM_OK);
    if (!ctx) {
        ptm_model_free(m);
        return;
    }
    const ptm_config *c = &m->cfg;
    mix_ud d;
    memset(&d, 0, sizeof d);
    d.m = m;
    d.ctx = ctx;
    d.b = 2;
    size_t n = (size_t)d.b * c->num_input_channels * c->num_patches * c->d_model;
    ptmi_rng_seed(&g_rng, seed + 1);
    d.inp = rnd(n, -1.5f, 1.5f);
    d.r = rnd(n, -1, 1);
    d.out = zeros(n);
    d.run.training = training;
    d.run.dropout = c->dropout;
    d.run.rng = &d.rng;
    d.run.masks_drawn = 0;
    d.run.inference = 0; /* backward reads the caches */
    float *dinp = zeros(n), *dout = zeros(n);
    mix_loss(&d);
    ptm_model *gm = ctx->grads;
    memset(gm->arena, 0, gm->arena_floats * sizeof(float));
    memcpy(dout, d.r, n * sizeof(float));
    mixer_layer_backward(dinp, &gm->p.layers[0], dout, d.inp, &ctx->lc[0], &m->p.layers[0],
                         &m->mixer, d.b, training, &ctx->gs);
    fd_list l = {0};
    fd_add(&l, "layer input", d.inp, dinp, n);
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->trainable || !e->f32 || !strstr(e->name, "mixers.0.")) continue;
        fd_add(&l, e->name, e->f32, gm->arena + (e->f32 - m->arena), e->numel);
    }
    char label[96];
    snprintf(label, sizeof label, "mixer layer %s", mc->label);
    fd_check(label, mix_loss, &d, &l, 1000);
    free(l.v);
    free(d.inp), free(d.r), free(d.out), free(dinp), free(dout);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
}

TEST(fd_mixer_layer) {
    uint64_t seed = 100;
    for (int mode = 0; mode < 2; mode++)
        for (int norm = 0; norm < 2; norm++)
            for (int gated = 0; gated < 2; gated++)
                for (int attn = 0; attn < 2; attn++) {
                    char label[80];
                    snprintf(label, sizeof label, "%s %s%s%s", mode ? "mix" : "common",
                             norm ? "BN" : "LN", gated ? " gated" : "", attn ? " attn" : "");
                    model_case mc = {0};
                    mc.label = label;
                    mc.cls = PTM_CLASS_PREDICTION;
                    mc.mode = mode ? PTM_MODE_MIX_CHANNEL : PTM_MODE_COMMON_CHANNEL;
                    mc.norm = norm ? PTM_NORM_BATCH : PTM_NORM_LAYER;
                    mc.gated = gated;
                    mc.self_attn = attn;
                    mixer_case(&mc, 1, seed++);
                }
    /* eval mode: BatchNorm with running statistics, no dropout */
    model_case mc = {0};
    mc.cls = PTM_CLASS_PREDICTION;
    mc.mode = PTM_MODE_MIX_CHANNEL;
    mc.norm = PTM_NORM_BATCH;
    mc.gated = 1;
    mc.self_attn = 1;
    mc.label = "mix BN gated attn, eval mode";
    mixer_case(&mc, 0, seed++);
    mc.norm = PTM_NORM_LAYER;
    mc.label = "mix LN gated attn, eval mode";
    mixer_case(&mc, 0, seed++);
    /* train mode with dropout: the masks are drawn from a generator reseeded on every call */
    mc.dropout = 0.3f;
    mc.label = "mix LN gated attn, dropout 0.3";
    mixer_case(&mc, 1, seed++);
    mc.norm = PTM_NORM_BATCH;
    mc.mode = PTM_MODE_COMMON_CHANNEL;
    mc.label = "common BN gated attn, dropout 0.3";
    mixer_case(&mc, 1, seed++);
}

/* ---------------------------------------------------------------- 10. whole models */

typedef struct {
    ptm_model *m;
    ptm_ctx *ctx;
    ptm_inputs in;
} model_ud;

static double model_loss(void *u) {
    model_ud *d = u;
    ptm_error err;
    ptm_tensor_view v;
    ptmi_model_sync(d->m);
    if (ptm_forward(d->ctx, &d->in, &err) != PTM_OK) return NAN;
    if (ptm_ctx_output(d->ctx, "loss", &v, &err) != PTM_OK) return NAN;
    g_lscale = fabs((double)v.data[0]);
    return (double)v.data[0];
}

static void model_case_run(const model_case *mc, uint64_t seed) {
    ptm_error err;
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    CHECK_STATUS(build_model(mc, &m, &err), PTM_OK);
    if (!m) return;
    randomize_model(m, seed);
    const ptm_config *c = &m->cfg;
    int B = 3, L = c->context_length, C = c->num_input_channels, H = c->prediction_length,
        T = c->num_targets, N = c->num_patches;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = B;
    CHECK_STATUS(ptm_ctx_create_train(m, &cp, &ctx, &err), PTM_OK);
    if (!ctx) {
        ptm_model_free(m);
        return;
    }
    int negbin = c->loss == PTM_LOSS_NLL && c->distribution_output == PTM_DIST_NEGATIVE_BINOMIAL;
    ptmi_rng_seed(&g_rng, seed + 1);
    float *past = zeros((size_t)B * L * C), *fut = zeros((size_t)B * H * C);
    float *tgt = zeros((size_t)B * T), *pmask = zeros((size_t)B * C * N);
    int64_t labels[3];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < L + H; t++)
            for (int ch = 0; ch < C; ch++) {
                float v =
                    2.0f + (float)ch + (float)(0.8 * sin(0.5 * t + b + ch)) + urand(-0.4f, 0.4f);
                if (t < L)
                    past[((size_t)b * L + t) * C + ch] = v;
                else
                    fut[((size_t)b * H + (t - L)) * C + ch] = negbin ? floorf(urand(0, 7)) : v;
            }
    for (int i = 0; i < B * T; i++)
        tgt[i] = negbin                ? floorf(urand(0, 7))
                 : c->has_output_range ? urand(-0.5f, 1.5f)
                                       : urand(-1, 1);
    for (int b = 0; b < B; b++) labels[b] = (b + 1) % T;
    for (int i = 0; i < B * C * N; i++) pmask[i] = i % 3 == 1 ? 1.0f : 0.0f;
    model_ud d;
    memset(&d, 0, sizeof d);
    d.m = m;
    d.ctx = ctx;
    d.in.batch = B;
    d.in.past_values = past;
    d.in.dropout_seed = 42; /* the same dropout masks on every forward */
    switch (c->model_class) {
    case PTM_CLASS_PREDICTION:
        d.in.future_values = fut;
        break;
    case PTM_CLASS_CLASSIFICATION:
        d.in.target_labels = labels;
        break;
    case PTM_CLASS_REGRESSION:
        d.in.target_values = tgt;
        break;
    case PTM_CLASS_PRETRAINING:
        d.in.patch_mask = pmask;
        break;
    default:
        break;
    }
    double l0 = model_loss(&d);
    CHECK(isfinite(l0));
    CHECK_STATUS(ptm_backward(ctx, &err), PTM_OK);
    fd_list l = {0};
    int entries = 0;
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->trainable || !e->f32) continue;
        ptm_tensor_view g;
        ptm_status s = ptm_ctx_grad(ctx, e->name, &g, &err);
        CHECK_STATUS(s, PTM_OK);
        if (s != PTM_OK) continue;
        CHECK(g.data && (size_t)g.shape[0] * (g.ndim == 2 ? (size_t)g.shape[1] : 1) == e->numel);
        fd_add(&l, e->name, e->f32, g.data, e->numel);
        entries++;
    }
    CHECK(entries > 0);
    char label[96];
    snprintf(label, sizeof label, "model %s", mc->label);
    fd_check(label, model_loss, &d, &l, 12);
    free(l.v);
    free(past), free(fut), free(tgt), free(pmask);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
}

TEST(fd_models) {
    const model_case cases[] = {
        /* label, class, loss, dist, agg, scaling, mode, norm, gated, attn, layers, stride, C,
         * pe, out_range, sel, unmasked_loss, dropout, head_dropout */
        {"prediction mse",
         PTM_CLASS_PREDICTION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         2,
         4,
         3,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"prediction mse mix BN attn sel pe",
         PTM_CLASS_PREDICTION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_MIX_CHANNEL,
         PTM_NORM_BATCH,
         1,
         1,
         1,
         2,
         3,
         2,
         0,
         1,
         0,
         0,
         0,
         0},
        {"prediction nll student_t",
         PTM_CLASS_PREDICTION,
         PTM_LOSS_NLL,
         PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         2,
         4,
         2,
         1,
         0,
         0,
         0,
         0,
         0,
         0},
        {"prediction nll normal",
         PTM_CLASS_PREDICTION,
         PTM_LOSS_NLL,
         PTM_DIST_NORMAL,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_MIX_CHANNEL,
         PTM_NORM_LAYER,
         0,
         0,
         1,
         4,
         3,
         0,
         0,
         1,
         0,
         0,
         0,
         0},
        {"prediction nll negative_binomial",
         PTM_CLASS_PREDICTION,
         PTM_LOSS_NLL,
         PTM_DIST_NEGATIVE_BINOMIAL,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_MEAN,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_BATCH,
         1,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"classification agg none",
         PTM_CLASS_CLASSIFICATION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_NONE,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         1,
         4,
         3,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"classification agg max_pool",
         PTM_CLASS_CLASSIFICATION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_MIX_CHANNEL,
         PTM_NORM_BATCH,
         1,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"classification agg avg_pool",
         PTM_CLASS_CLASSIFICATION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         0,
         1,
         2,
         2,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"classification agg use_last",
         PTM_CLASS_CLASSIFICATION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_USE_LAST,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         1,
         4,
         3,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"classification mean scaling",
         PTM_CLASS_CLASSIFICATION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL,
         PTM_SCALING_MEAN,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"regression mse output_range",
         PTM_CLASS_REGRESSION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         1,
         4,
         3,
         0,
         1,
         0,
         0,
         0,
         0,
         0},
        {"regression nll student_t",
         PTM_CLASS_REGRESSION,
         PTM_LOSS_NLL,
         PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"regression nll normal",
         PTM_CLASS_REGRESSION,
         PTM_LOSS_NLL,
         PTM_DIST_NORMAL,
         PTM_AGG_NONE,
         PTM_SCALING_NONE,
         PTM_MODE_MIX_CHANNEL,
         PTM_NORM_BATCH,
         1,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"regression nll negative_binomial",
         PTM_CLASS_REGRESSION,
         PTM_LOSS_NLL,
         PTM_DIST_NEGATIVE_BINOMIAL,
         PTM_AGG_USE_LAST,
         PTM_SCALING_MEAN,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         0,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         0},
        {"regression nll student_t one target",
         PTM_CLASS_REGRESSION,
         PTM_LOSS_NLL,
         PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         1},
        {"regression nll normal one target",
         PTM_CLASS_REGRESSION,
         PTM_LOSS_NLL,
         PTM_DIST_NORMAL,
         PTM_AGG_NONE,
         PTM_SCALING_NONE,
         PTM_MODE_MIX_CHANNEL,
         PTM_NORM_BATCH,
         1,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         1},
        {"regression nll negative_binomial one target",
         PTM_CLASS_REGRESSION,
         PTM_LOSS_NLL,
         PTM_DIST_NEGATIVE_BINOMIAL,
         PTM_AGG_USE_LAST,
         PTM_SCALING_MEAN,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         0,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0,
         0,
         1},
        {"pretraining masked loss",
         PTM_CLASS_PRETRAINING,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         2,
         2,
         2,
         1,
         0,
         0,
         0,
         0,
         0,
         0},
        {"pretraining unmasked loss mix BN attn",
         PTM_CLASS_PRETRAINING,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_MIX_CHANNEL,
         PTM_NORM_BATCH,
         1,
         1,
         1,
         4,
         3,
         2,
         0,
         0,
         1,
         0,
         0,
         0},
        /* dropout on: fixed dropout_seed gives the same masks on every forward */
        {"prediction mse dropout",
         PTM_CLASS_PREDICTION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_MIX_CHANNEL,
         PTM_NORM_LAYER,
         1,
         1,
         2,
         4,
         3,
         0,
         0,
         0,
         0,
         0.2f,
         0.2f,
         0},
        {"classification dropout",
         PTM_CLASS_CLASSIFICATION,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_BATCH,
         1,
         1,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0.2f,
         0.2f,
         0},
        {"pretraining dropout",
         PTM_CLASS_PRETRAINING,
         PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL,
         PTM_SCALING_STD,
         PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER,
         1,
         0,
         1,
         4,
         2,
         0,
         0,
         0,
         0,
         0.2f,
         0.2f,
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) model_case_run(&cases[i], 1000 + i);
}

int main(void) {
    RUN(fd_mixer_layer);
    RUN(fd_models);
    return test_summary("test_fdiff_models");
}
