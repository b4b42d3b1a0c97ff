/* ttm_layout.c - TinyTimeMixer's parameter table: the tensors of granite-tsfm's
 * TinyTimeMixerForPrediction / TinyTimeMixerModel state_dict, in its order, walked with the
 * helpers of model.c (layout.h), and the shapes of its mixer stacks (ptmi_stack): the encoder's
 * adaptive-patching levels, the decoder's, the forecast channel mixer's.
 *
 * Names (golden README): the encoder under "backbone." (ForPrediction) or at the top
 * (TinyTimeMixerModel); "decoder." and "head." at the top.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "io/config.h"
#include "model/layout.h"

/* the shape of a stack of TTM mixer layers (TinyTimeMixerLayer of a copied config) */
static ptmi_mixer_shape stack_shape(const ptm_config *c, int channels, int patches, int width,
                                    ptm_mode mode, int gated, float dropout) {
    ptmi_mixer_shape sh = ptmi_mixer_shape_of(c);
    sh.num_input_channels = channels;
    sh.num_patches = patches;
    sh.d_model = width;
    sh.mode = mode;
    sh.gated_attn = gated;
    sh.dropout = dropout;
    sh.patch_mixer = patches > 1;
    return sh;
}

/* the stacks of a TinyTimeMixerBlock of width D over N patches: `levels` adaptive-patching
 * levels of `layers` layers (finest split first), or one plain stack; returns their number */
static int block_stacks(ptmi_stack *st, const ptm_config *c, int levels, int layers, int channels,
                        int N, int D, ptm_mode mode, float dropout) {
    if (levels <= 0) {
        st[0].sh = stack_shape(c, channels, N, D, mode, c->gated_attn, dropout);
        st[0].factor = 1;
        st[0].level = 0;
        st[0].n_layers = layers;
        return 1;
    }
    for (int j = 0; j < levels; j++) {
        int f = ptmi_ttm_level_factor(D, levels - 1 - j);
        st[j].sh = stack_shape(c, channels, N * f, D / f, mode, c->gated_attn, dropout);
        st[j].factor = f;
        st[j].level = 1;
        st[j].n_layers = layers;
    }
    return levels;
}

/* the shapes of every stack of c (layers not yet assigned) into tp */
static void ttm_stacks(const ptm_config *c, ptmi_ttm_params *tp) {
    const ptm_ttm_config *t = &c->ttm;
    int N = c->num_patches;
    tp->n_enc = block_stacks(tp->enc, c, t->adaptive_patching_levels, c->num_layers,
                             c->num_input_channels, N, c->d_model, c->mode, c->dropout);
    tp->has_decoder = c->model_class == PTM_CLASS_PREDICTION && t->use_decoder;
    tp->n_dec = tp->has_decoder ? block_stacks(tp->dec, c, t->decoder_adaptive_patching_levels,
                                               t->decoder_num_layers,
                                               c->num_input_channels + t->num_categorical, N,
                                               t->decoder_d_model, t->decoder_mode, c->head_dropout)
                                : 0;
    tp->has_fcm = c->model_class == PTM_CLASS_PREDICTION && t->enable_forecast_channel_mixing;
    memset(&tp->fcm, 0, sizeof tp->fcm);
    if (tp->has_fcm && t->fcm_use_mixer) {
        int hf = t->prediction_filter_length ? t->prediction_filter_length : c->prediction_length;
        int T = c->num_prediction_channels + t->num_exogenous_channels;
        tp->fcm.sh = stack_shape(c, hf, T, 2 * (2 * t->fcm_context_length + 1),
                                 PTM_MODE_COMMON_CHANNEL, t->fcm_gated_attn, c->head_dropout);
        tp->fcm.factor = 1;
        tp->fcm.n_layers = t->fcm_mix_layers;
    }
}

int ptmi_ttm_num_layers(const ptm_config *c) {
    ptmi_ttm_params tp;
    ttm_stacks(c, &tp);
    int n = tp.fcm.n_layers;
    for (int j = 0; j < tp.n_enc; j++) n += tp.enc[j].n_layers;
    for (int j = 0; j < tp.n_dec; j++) n += tp.dec[j].n_layers;
    return n;
}

/* the layers of the stacks st[0..n) named base.mixers.{l} (plain) or
 * base.mixers.{j}.mixer_layers.{l} (levels), from *next in the model's layer array */
static void walk_stacks(ptmi_walker *w, const char *base, ptmi_stack *st, int n, int *next) {
    for (int j = 0; j < n; j++) {
        st[j].layers = w->assign ? &w->m->p.layers[*next] : NULL;
        for (int l = 0; l < st[j].n_layers; l++) {
            char name[160];
            if (st[j].level)
                snprintf(name, sizeof name, "%s.mixers.%d.mixer_layers.%d", base, j, l);
            else
                snprintf(name, sizeof name, "%s.mixers.%d", base, l);
            ptmi_walk_layer(w, name, &st[j].sh,
                            w->assign ? &w->m->p.layers[*next] : &(ptmi_layer){0});
            (*next)++;
        }
    }
}

/* an F32 tensor named prefix + name */
static float *walk_named(ptmi_walker *w, const char *name, int trainable, int64_t d0, int64_t d1) {
    char buf[192];
    snprintf(buf, sizeof buf, "%s%s", w->prefix, name);
    return ptmi_walk_f32(w, buf, trainable, 2, d0, d1);
}

static void walk_encoder(ptmi_walker *w, ptmi_ttm_params *tp, int *next) {
    const ptm_config *c = &w->m->cfg;
    ptmi_params *p = &w->m->p;
    int D = c->d_model, P = c->patch_length;
    char base[64];
    ptmi_walk_linear(w, "encoder.patcher", D, P, PTMI_READ_T, &p->patcher);
    p->position_enc = NULL;
    if (c->use_positional_encoding)
        p->position_enc =
            walk_named(w, "encoder.positional_encoder.position_enc",
                       c->positional_encoding_type == PTM_PE_RANDOM, c->num_patches, D);
    snprintf(base, sizeof base, "%sencoder.mlp_mixer_encoder", w->prefix);
    const char *pre = w->prefix;
    w->prefix = "";
    walk_stacks(w, base, tp->enc, tp->n_enc, next);
    w->prefix = pre;
    tp->freq_emb = NULL;
    if (c->ttm.resolution_prefix_tuning) {
        int m = (P + D) / 2;
        tp->freq_emb =
            walk_named(w, "encoder.freq_mod.0.weight", 1, c->ttm.frequency_token_vocab_size, P);
        ptmi_walk_linear(w, "encoder.freq_mod.1", m, P, PTMI_READ_T, &tp->freq_l1);
        ptmi_walk_linear(w, "encoder.freq_mod.3", D, m, PTMI_READ_T, &tp->freq_l3);
    }
}

static void walk_decoder(ptmi_walker *w, ptmi_ttm_params *tp, int *next) {
    const ptm_config *c = &w->m->cfg;
    const ptm_ttm_config *t = &c->ttm;
    int Dd = t->decoder_d_model;
    memset(&tp->adapter, 0, sizeof tp->adapter);
    memset(&tp->raw_emb, 0, sizeof tp->raw_emb);
    if (c->d_model != Dd)
        ptmi_walk_linear(w, "decoder.adapter", Dd, c->d_model, PTMI_READ_T, &tp->adapter);
    if (t->decoder_raw_residual)
        ptmi_walk_linear(w, "decoder.decoder_raw_embedding", Dd, c->patch_length, PTMI_READ_T,
                         &tp->raw_emb);
    for (int k = 0; k < t->num_categorical; k++) {
        char name[128];
        snprintf(name, sizeof name,
                 "decoder.decoder_cat_embedding_layer.embedding_layers.%d.weight", k);
        tp->cat_emb[k] = ptmi_walk_f32(w, name, 1, 2, t->categorical_vocab_size_list[k], Dd);
    }
    walk_stacks(w, "decoder.decoder_block", tp->dec, tp->n_dec, next);
}

static void walk_fcm(ptmi_walker *w, ptmi_ttm_params *tp, int *next) {
    const ptm_config *c = &w->m->cfg;
    const ptm_ttm_config *t = &c->ttm;
    int s = 2 * t->fcm_context_length + 1, sf = t->fcm_use_mixer ? 2 * s : s;
    int T = c->num_prediction_channels + t->num_exogenous_channels;
    memset(&tp->fcm_embedding, 0, sizeof tp->fcm_embedding);
    memset(&tp->fcm_gate, 0, sizeof tp->fcm_gate);
    if (t->fcm_use_mixer) {
        walk_stacks(w, "head.fcm_block.exog_mixer", &tp->fcm, 1, next);
        ptmi_walk_linear(w, "head.fcm_block.fcm_embedding", 2 * s, s, PTMI_READ_T,
                         &tp->fcm_embedding);
    }
    ptmi_walk_linear(w, "head.fcm_block.mlp", c->num_prediction_channels, T * sf, PTMI_READ_T,
                     &tp->fcm_mlp);
    if (t->fcm_gated_attn)
        ptmi_walk_linear(w, "head.fcm_block.fcm_gating_block.attn_layer", T * sf, T * sf,
                         PTMI_READ_T, &tp->fcm_gate);
}

void ptmi_ttm_layout(ptmi_walker *w) {
    ptm_model *m = w->m;
    const ptm_config *c = &m->cfg;
    ptmi_params *p = &m->p;
    ptmi_ttm_params *tp = &p->ttm;
    int next = 0;
    ttm_stacks(c, tp);
    p->n_proj = 0;
    p->has_inject = 0;
    w->prefix = c->model_class == PTM_CLASS_MODEL ? "" : "backbone.";
    walk_encoder(w, tp, &next);
    w->prefix = "";
    if (c->model_class != PTM_CLASS_PREDICTION) return;
    if (tp->has_decoder) walk_decoder(w, tp, &next);
    int Dh = tp->has_decoder ? c->ttm.decoder_d_model : c->d_model;
    ptmi_walk_linear(w, "head.base_forecast_block", c->prediction_length, c->num_patches * Dh,
                     PTMI_READ_T, &p->head);
    if (tp->has_fcm) walk_fcm(w, tp, &next);
}

ptm_status ptmi_ttm_check_dims(const ptm_config *c, const char *file, ptm_error *err) {
    const ptm_ttm_config *t = &c->ttm;
    if (c->num_input_channels < 1 || c->d_model < 1 || c->expansion_factor < 1 ||
        c->num_layers < 0 || c->num_patches < 1 || c->patch_length < 1 ||
        c->prediction_length < 1 || t->decoder_d_model < 1 || t->decoder_num_layers < 0 ||
        t->fcm_context_length < 0 || t->fcm_mix_layers < 0 || t->frequency_token_vocab_size < 1 ||
        c->num_prediction_channels < 1 || t->num_exogenous_channels < 0 || t->num_categorical < 0 ||
        t->num_categorical > PTMI_TTM_MAX_CATEGORICAL ||
        (t->num_categorical > 0 && !t->categorical_vocab_size_list) ||
        t->adaptive_patching_levels >= PTMI_TTM_MAX_STACKS ||
        t->decoder_adaptive_patching_levels >= PTMI_TTM_MAX_STACKS)
        return ptmi_err(err, PTM_ERR_CONFIG, file, NULL,
                        "sizes out of range (num_input_channels %d, d_model %d, "
                        "decoder_d_model %d, num_layers %d, decoder_num_layers %d, "
                        "adaptive_patching_levels %d, decoder_adaptive_patching_levels %d, "
                        "categorical variables %d)",
                        c->num_input_channels, c->d_model, t->decoder_d_model, c->num_layers,
                        t->decoder_num_layers, t->adaptive_patching_levels,
                        t->decoder_adaptive_patching_levels, t->num_categorical);
    int64_t N = c->num_patches, D = c->d_model, Dd = t->decoder_d_model, ef = c->expansion_factor,
            C = c->num_input_channels + t->num_categorical;
    int64_t T = (int64_t)c->num_prediction_channels + t->num_exogenous_channels;
    int64_t s2 = 2 * (2 * (int64_t)t->fcm_context_length + 1);
    /* every factor is at most 2^24, so each product of two or three fits in int64_t; N f <= N D */
    int64_t prods[] = {N * D * ef, C * ef, D * ef, Dd * ef, N * Dd, N * D, T * s2, T * ef};
    for (size_t i = 0; i < sizeof prods / sizeof prods[0]; i++)
        if (prods[i] > INT_MAX)
            return ptmi_err(err, PTM_ERR_LIMIT, file, NULL,
                            "the model would have more than %d values in one weight dimension "
                            "(d_model %d, decoder_d_model %d, num_patches %d, expansion_factor "
                            "%d)",
                            INT_MAX, c->d_model, t->decoder_d_model, c->num_patches,
                            c->expansion_factor);
    return PTM_OK;
}

static int64_t stacks_macs(const ptmi_stack *st, int n) {
    int64_t macs = 0;
    for (int j = 0; j < n; j++) macs += ptmi_layer_macs(&st[j].sh) * st[j].n_layers;
    return macs;
}

int64_t ptmi_ttm_macs(const ptm_model *m) {
    const ptm_config *c = &m->cfg;
    const ptm_ttm_config *t = &c->ttm;
    const ptmi_ttm_params *tp = &m->p.ttm;
    int64_t C = c->num_input_channels, N = c->num_patches, D = c->d_model, P = c->patch_length;
    int64_t Nr = N - (t->resolution_prefix_tuning ? 1 : 0), Dd = t->decoder_d_model;
    int64_t macs = C * Nr * P * D + stacks_macs(tp->enc, tp->n_enc);
    if (t->resolution_prefix_tuning) macs += (P + D) / 2 * (P + D);
    if (c->model_class != PTM_CLASS_PREDICTION) return macs;
    if (tp->has_decoder) {
        if (tp->adapter.out) macs += C * N * D * Dd;
        if (tp->raw_emb.out) macs += C * N * P * Dd;
        macs += stacks_macs(tp->dec, tp->n_dec);
    }
    int64_t Dh = tp->has_decoder ? Dd : D;
    macs += C * N * Dh * c->prediction_length;
    if (tp->has_fcm) {
        int64_t hf =
            t->prediction_filter_length ? t->prediction_filter_length : c->prediction_length;
        int64_t T = (int64_t)c->num_prediction_channels + t->num_exogenous_channels;
        int64_t s = 2 * (int64_t)t->fcm_context_length + 1, in = tp->fcm_mlp.in; /* T s' */
        if (tp->fcm_embedding.out) macs += hf * T * s * 2 * s + stacks_macs(&tp->fcm, 1);
        if (tp->fcm_gate.out) macs += hf * in * in;
        macs += hf * in * c->num_prediction_channels;
    }
    return macs;
}
