/* backbone_ttm.c - TinyTimeMixer's backbone ops (backbone.h): the patch embedding with the
 * frequency-token prefix patch and the positional encoding, the encoder's stacks (adaptive-
 * patching levels: each sees a series' [N, D] patches as [N f, D / f], a pure reshape, with
 * mixer.c's layers of that shape), then for TinyTimeMixerForPrediction the decoder
 * (ttm_decoder.c); its activations (model/ttm_ctx.h) and output views; in a training context
 * a cache per mixer layer and the backward passes beside the forwards. The batch runs as one
 * range of rows (whole_batch), since the decoder and the forecast channel mixer see whole
 * samples in other channel modes than the encoder's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "backbone.h"
#include "io/config.h"
#include "layers/layers.h"
#include "ttm.h"

static size_t stack_cnd(const ptmi_stack *st) {
    return ptmi_ttm_count((size_t)st->sh.num_input_channels, (size_t)st->sh.num_patches,
                          (size_t)st->sh.d_model, 1);
}

/* every stack of the model, in the order of tc->out: encoder, decoder, forecast channel mixer */
static int all_stacks(const ptmi_ttm_params *tp, const ptmi_stack **st) {
    int n = 0;
    for (int j = 0; j < tp->n_enc; j++) st[n++] = &tp->enc[j];
    for (int j = 0; j < tp->n_dec; j++) st[n++] = &tp->dec[j];
    if (tp->fcm.n_layers) st[n++] = &tp->fcm;
    return n;
}

/* hidden states of a block: per level input, reshaped input, layers, output; else layers */
static int count_hidden(const ptmi_stack *st, int n) {
    int h = 0;
    for (int j = 0; j < n; j++) h += st[j].n_layers + (st[j].level ? 3 : 0);
    return h;
}

static void ttm_plan(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    const ptm_config *c = &ctx->model->cfg;
    const ptm_ttm_config *t = &c->ttm;
    const ptmi_ttm_params *tp = &ctx->model->p.ttm;
    ptmi_ttm_ctx *tc = ctx->ttm = calloc(1, sizeof *ctx->ttm);
    const ptmi_stack *st[2 * PTMI_TTM_MAX_STACKS + 1];
    int ns = all_stacks(tp, st), nl = 0;
    for (int j = 0; j < ns; j++) nl += st[j]->n_layers;
    if (tc) {
        tc->cap_hs = count_hidden(tp->enc, tp->n_enc) + count_hidden(tp->dec, tp->n_dec) + 4;
        tc->hs = calloc((size_t)tc->cap_hs, sizeof *tc->hs);
        tc->out = calloc((size_t)nl + 1, sizeof *tc->out);
    }
    if (!tc || !tc->hs || !tc->out) {
        pl->bad = 1;
        return;
    }
    tc->n_out = nl;
    size_t C = (size_t)c->num_input_channels, N = (size_t)c->num_patches, D = (size_t)c->d_model,
           Dd = (size_t)t->decoder_d_model, P = (size_t)c->patch_length, maxcnd = 0, maxn = 1;
    for (int j = 0, k = 0; j < ns; j++) {
        for (int l = 0; l < st[j]->n_layers; l++)
            ptmi_plan_add(pl, &tc->out[k++], ptmi_ttm_count(B, stack_cnd(st[j]), 1, 1));
        if (stack_cnd(st[j]) > maxcnd) maxcnd = stack_cnd(st[j]);
        if ((size_t)st[j]->sh.num_patches > maxn) maxn = (size_t)st[j]->sh.num_patches;
    }
    if (t->resolution_prefix_tuning)
        ptmi_plan_add(pl, &tc->freq, ptmi_ttm_count(B, (P + D) / 2 + D, 1, 1));
    if (tp->has_decoder) {
        size_t bcnd = ptmi_ttm_count(B, C, N, Dd);
        if (tp->adapter.out) ptmi_plan_add(pl, &tc->adapt, bcnd);
        if (tp->raw_emb.out) ptmi_plan_add(pl, &tc->resid, bcnd);
        if (tp->raw_emb.out && t->resolution_prefix_tuning)
            ptmi_plan_add(pl, &tc->raw_in, ptmi_ttm_count(B, C, N, P));
        if (t->num_categorical) {
            ptmi_plan_add(pl, &tc->dec_in,
                          ptmi_ttm_count(B, C + (size_t)t->num_categorical, N, Dd));
            ptmi_plan_add(pl, &tc->dec_out, bcnd);
        }
    }
    if (!ctx->training)
        ptmi_plan_eval_cache(pl, &tc->lc, ptmi_ttm_count(B, maxcnd, 1, 1),
                             (size_t)c->expansion_factor, maxn, c->self_attn);
}

/* training: a cache per layer, the gradient scratch of the largest stack, d(backbone output),
 * the decoder's and the prefix MLP's gradients */
static void ttm_plan_train(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    const ptm_config *c = &ctx->model->cfg;
    const ptm_ttm_config *t = &c->ttm;
    ptmi_ttm_ctx *tc = ctx->ttm;
    if (!tc) return; /* ttm_plan failed (pl->bad) */
    const ptmi_stack *st[2 * PTMI_TTM_MAX_STACKS + 1];
    int ns = all_stacks(&ctx->model->p.ttm, st);
    tc->lcs = calloc((size_t)tc->n_out + 1, sizeof *tc->lcs);
    if (!tc->lcs) {
        pl->bad = 1;
        return;
    }
    size_t maxcnd = 1, maxn = 1;
    for (int j = 0, k = 0; j < ns; j++) {
        for (int l = 0; l < st[j]->n_layers; l++)
            ptmi_plan_layer_cache(pl, &tc->lcs[k++], &st[j]->sh, B);
        if (stack_cnd(st[j]) > maxcnd) maxcnd = stack_cnd(st[j]);
        if ((size_t)st[j]->sh.num_patches > maxn) maxn = (size_t)st[j]->sh.num_patches;
    }
    ptmi_plan_grad_scratch(pl, &ctx->gs, ptmi_ttm_count(B, maxcnd, 1, 1),
                           (size_t)c->expansion_factor, maxn);
    ptmi_plan_add(pl, &tc->scores, maxn);
    size_t C = (size_t)c->num_input_channels, N = (size_t)c->num_patches, D = (size_t)c->d_model,
           Dd = (size_t)t->decoder_d_model, W = D > Dd ? D : Dd, P = (size_t)c->patch_length,
           m = (P + D) / 2;
    ptmi_plan_add(pl, &ctx->d_h, ptmi_ttm_count(B, C, N, W));
    ptmi_plan_add(pl, &tc->d_tmp, ptmi_ttm_count(B, C + (size_t)t->num_categorical, N, W));
    if (t->resolution_prefix_tuning) {
        ptmi_plan_add(pl, &tc->freq_pre, ptmi_ttm_count(B, m, 1, 1));
        ptmi_plan_add(pl, &tc->d_freq, ptmi_ttm_count(B, 2 * m + D, 1, 1));
    }
}

/* the prefix patch, the frequency-token index of every sample in range */
static ptm_status ttm_check(const ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    const ptm_ttm_config *t = &c->ttm;
    if (t->resolution_prefix_tuning) {
        if (!in->freq_token)
            return ptmi_err(err, PTM_ERR_ARG, NULL, "freq_token",
                            "freq_token is NULL; this model (resolution_prefix_tuning) needs a "
                            "frequency token per sample");
        for (int b = 0; b < in->batch; b++)
            if (in->freq_token[b] < 0 || in->freq_token[b] >= t->frequency_token_vocab_size)
                return ptmi_err(err, PTM_ERR_INPUT, NULL, "freq_token",
                                "sample %d: token %lld out of range [0, %d)", b,
                                (long long)in->freq_token[b], t->frequency_token_vocab_size);
    }
    if (c->model_class != PTM_CLASS_PREDICTION || !t->use_decoder || !t->num_categorical)
        return PTM_OK;
    if (!in->static_categorical_values)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "static_categorical_values",
                        "static_categorical_values is NULL; this model needs %d category "
                        "indices per sample",
                        t->num_categorical);
    for (int b = 0; b < in->batch; b++)
        for (int k = 0; k < t->num_categorical; k++) {
            int64_t v = in->static_categorical_values[(size_t)b * t->num_categorical + k];
            if (v < 0 || v >= t->categorical_vocab_size_list[k])
                return ptmi_err(err, PTM_ERR_INPUT, NULL, "static_categorical_values",
                                "sample %d, variable %d: index %lld out of range [0, %d)", b, k,
                                (long long)v, t->categorical_vocab_size_list[k]);
        }
    return PTM_OK;
}

void ptmi_ttm_hidden(ptmi_ttm_ctx *tc, const float *data, int c, int n, int d) {
    if (tc->n_hs < tc->cap_hs) tc->hs[tc->n_hs++] = (ptmi_ttm_view){data, c, n, d};
}

const float *ptmi_ttm_stacks(ptm_ctx *ctx, const ptmi_stack *st, int n, const float *h, int b,
                             int c, int *k, const ptmi_run_mode *run) {
    ptmi_ttm_ctx *tc = ctx->ttm;
    for (int j = 0; j < n; j++) {
        int f = st[j].factor, ns = st[j].sh.num_patches, ds = st[j].sh.d_model;
        if (st[j].level) {
            ptmi_ttm_hidden(tc, h, c, ns / f, ds * f);
            ptmi_ttm_hidden(tc, h, c, ns, ds);
        }
        float *const *outs = tc->out + *k;
        if (ctx->training)
            h = mixer_stack_train_forward(outs, h, tc->lcs + *k, &st[j], b, c, run);
        else
            h = mixer_stack_forward(outs, ctx->keep_hidden, h, &tc->lc, &st[j], b, c, run);
        for (int l = 0; l < st[j].n_layers; l++) ptmi_ttm_hidden(tc, outs[l], c, ns, ds);
        if (st[j].level) ptmi_ttm_hidden(tc, h, c, ns / f, ds * f);
        *k += st[j].n_layers;
    }
    return h;
}

void ptmi_ttm_stacks_backward(ptm_ctx *ctx, ptmi_params *g, const ptmi_stack *st, int n, float *d,
                              const float *h_in, int k0, int b) {
    const ptmi_ttm_ctx *tc = ctx->ttm;
    const float *in[PTMI_TTM_MAX_STACKS + 1];
    int k[PTMI_TTM_MAX_STACKS + 1];
    in[0] = h_in;
    k[0] = k0;
    for (int j = 0; j < n; j++) {
        k[j + 1] = k[j] + st[j].n_layers;
        in[j + 1] = st[j].n_layers ? tc->out[k[j + 1] - 1] : in[j];
    }
    for (int j = n - 1; j >= 0; j--)
        mixer_stack_backward(d, g->layers + (st[j].layers - ctx->model->p.layers), in[j],
                             tc->out + k[j], tc->lcs + k[j], &st[j], b, &ctx->gs);
}

/* patcher on the patches (after the prefix patch: e = Linear3(GELU(Linear1(Emb[token])))),
 * then the positional encoding, into ctx->embed [B, C, N, D] */
static void ttm_embed(ptm_ctx *ctx, const ptm_inputs *in, const float *enc_in, int B) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    const ptmi_ttm_params *tp = &p->ttm;
    int C = c->num_input_channels, N = c->num_patches, D = c->d_model, P = c->patch_length;
    int pre = c->ttm.resolution_prefix_tuning, Nr = N - pre;
    size_t nd = (size_t)N * D;
    if (!pre) /* the patches of every series are adjacent rows: one product for the batch */
        linear_forward(ctx->embed, enc_in, &p->patcher, (size_t)B * C * Nr);
    for (size_t r = 0; pre && r < (size_t)B * C; r++)
        linear_forward(ctx->embed + r * nd + (size_t)pre * D, enc_in + r * Nr * P, &p->patcher,
                       (size_t)Nr);
    if (pre) {
        int m = (P + D) / 2;
        float *hid = ctx->ttm->freq, *e = hid + (size_t)B * m;
        float *h1 = ctx->training ? ctx->ttm->freq_pre : hid; /* train: kept for backward */
        for (int b = 0; b < B; b++) {
            const float *emb = tp->freq_emb + (size_t)in->freq_token[b] * P;
            linear_forward(h1 + (size_t)b * m, emb, &tp->freq_l1, 1);
        }
        gelu_forward(hid, h1, (size_t)B * m);
        linear_forward(e, hid, &tp->freq_l3, (size_t)B);
        for (int b = 0; b < B; b++)
            for (int ch = 0; ch < C; ch++)
                for (int d = 0; d < D; d++)
                    ctx->embed[((size_t)b * C + ch) * nd + d] = e[(size_t)b * D + d];
    }
    if (p->position_enc)
        for (size_t r = 0; r < (size_t)B * C; r++)
            for (size_t i = 0; i < nd; i++) ctx->embed[r * nd + i] += p->position_enc[i];
}

/* backward of ttm_embed from d [B, C, N, D]: the positional encoding (learned), the patcher,
 * the prefix MLP and the frequency-token embedding */
static void ttm_embed_backward(ptm_ctx *ctx, ptmi_params *g, const float *d, int B) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    const ptmi_ttm_params *tp = &p->ttm;
    ptmi_ttm_ctx *tc = ctx->ttm;
    int C = c->num_input_channels, N = c->num_patches, D = c->d_model, P = c->patch_length;
    int pre = c->ttm.resolution_prefix_tuning, Nr = N - pre;
    size_t nd = (size_t)N * D, rows = (size_t)B * C;
    if (p->position_enc && c->positional_encoding_type == PTM_PE_RANDOM)
        for (size_t r = 0; r < rows; r++)
            for (size_t i = 0; i < nd; i++) g->position_enc[i] += d[r * nd + i];
    if (!pre) {
        linear_backward(NULL, g->patcher.w, g->patcher.b, d, ctx->enc_in, p->patcher.w,
                        rows * (size_t)N, P, D);
        return;
    }
    for (size_t r = 0; r < rows; r++)
        linear_backward(NULL, g->patcher.w, g->patcher.b, d + r * nd + D,
                        ctx->enc_in + r * (size_t)Nr * P, p->patcher.w, (size_t)Nr, P, D);
    int m = (P + D) / 2;
    float *de = tc->d_freq, *dhid = de + (size_t)B * D, *dpre = dhid + (size_t)B * m;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < D; i++) {
            float s = 0.0f;
            for (int ch = 0; ch < C; ch++) s += d[((size_t)b * C + ch) * nd + i];
            de[(size_t)b * D + i] = s;
        }
    linear_backward_set(dhid, g->ttm.freq_l3.w, g->ttm.freq_l3.b, de, tc->freq, tp->freq_l3.w,
                        (size_t)B, m, D);
    gelu_backward_set(dpre, tc->freq_pre, dhid, NULL, (size_t)B * m);
    for (int b = 0; b < B; b++) {
        size_t tok = (size_t)tc->freq_token[b] * P;
        linear_backward(g->ttm.freq_emb + tok, g->ttm.freq_l1.w, g->ttm.freq_l1.b,
                        dpre + (size_t)b * m, tp->freq_emb + tok, tp->freq_l1.w, 1, P, m);
    }
}

/* the whole batch (whole_batch): embedding, encoder, decoder */
static const float *ttm_forward_rows(ptm_ctx *ctx, const ptm_inputs *in, const float *enc_in,
                                     const ptmi_rows *rr, const ptmi_run_mode *run) {
    (void)rr;
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_ttm_params *tp = &ctx->model->p.ttm;
    ptmi_ttm_ctx *tc = ctx->ttm;
    int B = in->batch, C = c->num_input_channels, k = 0;
    ptmi_alias_eval_cache(&tc->lc);
    for (int l = 0; ctx->training && l < tc->n_out; l++) tc->lcs[l].scores = tc->scores;
    tc->freq_token = in->freq_token;
    tc->categorical = in->static_categorical_values;
    tc->n_hs = 0;
    ttm_embed(ctx, in, enc_in, B);
    const float *h = ptmi_ttm_stacks(ctx, tp->enc, tp->n_enc, ctx->embed, B, C, &k, run);
    tc->enc_last = h;
    if (tp->has_decoder) h = ptmi_ttm_decoder_forward(ctx, in, h, &k, run);
    tc->dec_last = h;
    return h;
}

/* the whole batch backwards from d(what the head read) in ctx->d_h: decoder, encoder stacks
 * (last to first), embedding */
static void ttm_backward_rows(ptm_ctx *ctx, ptmi_params *g, int b0, int nb,
                              const ptmi_grad_scratch *gs, float *scores, int sharded) {
    (void)b0, (void)gs, (void)scores, (void)sharded;
    const ptmi_ttm_params *tp = &ctx->model->p.ttm;
    int nenc = 0;
    for (int j = 0; j < tp->n_enc; j++) nenc += tp->enc[j].n_layers;
    float *d = ctx->d_h;
    if (tp->has_decoder) d = ptmi_ttm_decoder_backward(ctx, g, d, nenc, nb);
    ptmi_ttm_stacks_backward(ctx, g, tp->enc, tp->n_enc, d, ctx->embed, 0, nb);
    ttm_embed_backward(ctx, g, d, nb);
}

static const float *ttm_output(const ptm_ctx *ctx) {
    return ctx->ttm->dec_last;
}

static void ttm_outputs(ptm_ctx *ctx, const ptmi_head_ops *head, int B, const float *last) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_ttm_ctx *tc = ctx->ttm;
    int C = c->num_input_channels, N = c->num_patches, D = c->d_model;
    ptmi_add_output(ctx, "patch_input", ctx->patch_input, 4, B, C, ptmi_config_patches(c),
                    c->patch_length);
    ptmi_publish_scale(ctx, head, B);
    if (ctx->keep_hidden)
        for (int k = 0; k < tc->n_hs; k++) {
            char name[32];
            snprintf(name, sizeof name, "hidden_states.%d", k);
            ptmi_add_output(ctx, name, tc->hs[k].data, 4, B, tc->hs[k].c, tc->hs[k].n, tc->hs[k].d);
        }
    if (c->model_class != PTM_CLASS_PREDICTION) {
        ptmi_add_output(ctx, "last_hidden_state", tc->enc_last, 4, B, C, N, D);
        return;
    }
    int Dh = ctx->model->p.ttm.has_decoder ? c->ttm.decoder_d_model : D;
    ptmi_add_output(ctx, "backbone_hidden_state", tc->enc_last, 4, B, C, N, D);
    ptmi_add_output(ctx, "decoder_hidden_state", last, 4, B, C, N, Dh);
}

const ptmi_backbone_ops ptmi_backbone_ttm = {
    ttm_plan,          ttm_plan_train, ttm_check,   ttm_forward_rows,
    ttm_backward_rows, ttm_output,     ttm_outputs, 1};
