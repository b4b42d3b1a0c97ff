/* mixer.c - one PatchTSMixerLayer on h [B, C, N, D], forward and backward:
 *   mix_channel: channel mixer  h1 = h + swap(mlp_C(gate_C(swap(norm(h)))))  (gate BEFORE mlp)
 *   patch mixer:                h2 = h1 + T(gate_N(mlp_N(T(norm(h1)))))
 *                 with self_attn: h2 = h1 + norm_attn(T(gate_N(mlp_N(T(x)))) + attn(x)),
 *                                 x = norm(h1)
 *   feature mixer:              out = h2 + gate_D(mlp_D(norm(h2)))
 * (a TinyTimeMixer layer that sees one patch has no patch mixer: h2 = h1, !sh->patch_mixer)
 * T swaps N and D, swap exchanges C and D, so that the mixed axis is contiguous and the MLP and
 * the gate are plain row-wise layers. What backward needs is kept in a ptmi_layer_cache; in
 * eval mode the cache pointers alias shared scratch (see forward.c) and only the output is
 * meaningful. */
#include <string.h>

#include "layers/layers.h"
#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "base/rng.h"

#define BN_MOMENTUM 0.1f

/* inverted dropout. One key is drawn from the context's generator per mask; element i then
 * uses a counter-based hash of (key, i) (the kernel table's dropout_mask, oracle in
 * src/kernels/vec_ref.c), so masks can be filled in parallel, vectorise, and do not depend on
 * the thread count. */
typedef struct {
    float *mask;
    size_t n;
    uint32_t key_lo, key_hi;
    uint32_t thr;
    float keep;
} dropout_job;

static void dropout_part(void *arg, int ith, int nth) {
    const dropout_job *j = arg;
    size_t b, e;
    ptmi_share(j->n, 256, ith, nth, &b, &e);
    ptmi_kernels()->dropout_mask(j->mask, b, e, j->key_lo, j->key_hi, j->thr, j->keep);
}

/* the next key of rng for a mask of probability p */
static ptmi_drop_key draw_key(float p, void *rng) {
    ptmi_drop_key k;
    uint64_t key = ptmi_rng_next((ptmi_rng *)rng);
    k.lo = (uint32_t)key;
    k.hi = (uint32_t)(key >> 32);
    k.keep = 1.0f / (1.0f - p);
    double t = (double)p * 4294967296.0;
    k.thr = (uint32_t)(t > 4294967295.0 ? 4294967295.0 : t);
    return k;
}

void dropout_mask_fill(float *mask, size_t n, float p, void *rng) {
    ptmi_drop_key k = draw_key(p, rng);
    dropout_job j = {mask, n, k.lo, k.hi, k.thr, k.keep};
    ptmi_pool *pool = n >= 65536 ? ptmi_pool_current() : NULL;
    ptmi_pool_run(pool, dropout_part, &j);
}

void dropout_key_draw(ptmi_dropout *drop, float p, void *rng) {
    drop->key = draw_key(p, rng);
    drop->base = 0;
}

static void norm_fwd(float *out, float *mean, float *rstd, const float *inp, const ptmi_normp *np,
                     const ptmi_mixer_shape *sh, size_t rows, const ptmi_run_mode *run) {
    if (sh->norm_mlp == PTM_NORM_BATCH) {
        if (run->training)
            batchnorm_train_forward(out, mean, rstd, inp, np->weight, np->bias, np->running_mean,
                                    np->running_var, np->num_batches_tracked, rows, sh->d_model,
                                    sh->norm_eps, BN_MOMENTUM);
        else
            batchnorm_eval_forward(out, inp, np->weight, np->bias, np->running_mean,
                                   np->running_var, rows, sh->d_model, sh->norm_eps);
    } else {
        layernorm_forward(out, mean, rstd, inp, np->weight, np->bias, rows, sh->d_model,
                          sh->norm_eps);
    }
}

static void norm_bwd(float *dinp, ptmi_normp *dnp, const float *dout, const float *inp,
                     const float *mean, const float *rstd, const ptmi_normp *np,
                     const ptmi_mixer_shape *sh, size_t rows, int training) {
    if (sh->norm_mlp == PTM_NORM_BATCH) {
        if (training)
            batchnorm_train_backward(dinp, dnp->weight, dnp->bias, dout, inp, np->weight, mean,
                                     rstd, rows, sh->d_model);
        else
            batchnorm_eval_backward(dinp, dnp->weight, dnp->bias, dout, inp, np->weight,
                                    np->running_mean, np->running_var, rows, sh->d_model,
                                    sh->norm_eps);
    } else {
        layernorm_backward(dinp, dnp->weight, dnp->bias, dout, inp, np->weight, mean, rstd, rows,
                           sh->d_model);
    }
}

/* [A, X, Y] -> [A, Y, X]; with add != NULL: out = transpose + add */
typedef struct {
    float *out;
    const float *inp, *add;
    int x, y, b, c, n, d, to_dnc;
} tr_job;

static void transpose_range(void *a, size_t i0, size_t i1) {
    const tr_job *j = a;
    int x = j->x, y = j->y;
    const ptmi_kernel_table *kt = ptmi_kernels();
    for (size_t i = i0; i < i1; i++) {
        size_t o = i * (size_t)x * y;
        kt->transpose(j->out + o, j->inp + o, j->add ? j->add + o : NULL, x, y);
    }
}

static void transpose_last2(float *out, const float *inp, const float *add, size_t a, int x,
                            int y) {
    tr_job j = {out, inp, add, x, y, 0, 0, 0, 0, 0};
    ptmi_parallel_for(a, 64, transpose_range, &j);
}

/* [B, C, N, D] <-> [B, D, N, C] (swap axes 1 and 3); with add: out = swapped + add */
static void swap_range(void *a, size_t b0, size_t b1) {
    const tr_job *j = a;
    int c = j->c, n = j->n, d = j->d;
    for (size_t bi = b0; bi < b1; bi++)
        for (int ci = 0; ci < c; ci++)
            for (int ni = 0; ni < n; ni++)
                for (int di = 0; di < d; di++) {
                    size_t bcnd = ((bi * (size_t)c + (size_t)ci) * n + ni) * d + di;
                    size_t bdnc = ((bi * (size_t)d + (size_t)di) * n + ni) * c + ci;
                    size_t o = j->to_dnc ? bdnc : bcnd, s = j->to_dnc ? bcnd : bdnc;
                    j->out[o] = j->inp[s] + (j->add ? j->add[o] : 0.0f);
                }
}

static void swap_c_d(float *out, const float *inp, const float *add, int b, int c, int n, int d,
                     int to_dnc) {
    tr_job j = {out, inp, add, 0, 0, b, c, n, d, to_dnc};
    ptmi_parallel_for((size_t)b, 1, swap_range, &j);
}

/* the block's two MLP masks (their keys: the masks are computed where they are applied) */
static void masks(ptmi_block_cache *bc, const ptmi_run_mode *run) {
    if (run->training && run->dropout > 0.0f) {
        dropout_key_draw(&bc->drop1, run->dropout, run->rng);
        dropout_key_draw(&bc->drop2, run->dropout, run->rng);
    }
}

static const ptmi_dropout *mask_or_null(const ptmi_dropout *m, const ptmi_run_mode *run) {
    return run->training && run->dropout > 0.0f ? m : NULL;
}

/* the layer's dropout masks for b samples of c channels, in a fixed order (channel MLP, self-
 * attention, patch MLP, feature MLP), each from the next key of run->rng */
void mixer_layer_draw_masks(ptmi_layer_cache *lc, const ptmi_mixer_shape *sh, int b, int c,
                            const ptmi_run_mode *run) {
    if (!run->training || run->dropout <= 0.0f) return;
    int n = sh->num_patches;
    if (sh->mode == PTM_MODE_MIX_CHANNEL) masks(&lc->ch, run);
    if (sh->self_attn && lc->att_mask)
        dropout_mask_fill(lc->att_mask, (size_t)b * c * sh->self_attn_heads * n * n, run->dropout,
                          run->rng);
    masks(&lc->pa, run);
    masks(&lc->fe, run);
}

/* Eval-mode channel mixer in the layout the tensor already has: each sample's [C, N D] block
 * is mixed down its columns, with the channel weights as the left operand, so no transposes:
 *   gin = x * softmax_C(Wg x + bg)  (gate, optional)
 *   y   = W2 GELU(W1 gin + b1) + b2;  out = h + y
 * Contexts that can run backward keep the transposed path below (its caches are what
 * backward reads). */
/* C_s [M, W] = act(rowbias + A [M, K] B_s [K, W]) for s < S (B_s = B + s bss, C_s = C + s css,
 * rows W apart): the series kernel where this CPU has one for W, else bias rows, the GEMM and
 * GELU - the same sums */
static void series_products(size_t M, size_t W, size_t K, const float *A, const float *B,
                            size_t bss, const float *rowbias, float *C, size_t css, size_t S,
                            int gelu) {
    ptmi_gemm_series(M, W, K, A, K, B, bss, W, rowbias, C, css, W, S, gelu);
}

static void channel_mixer_eval(float *out, const float *h, ptmi_block_cache *bc,
                               const ptmi_mixer_block *blk, const ptmi_mixer_shape *sh, int b,
                               int c) {
    size_t nd = (size_t)sh->num_patches * sh->d_model, cnd = (size_t)c * nd;
    int e = sh->expansion_factor * c; /* fc1 width */
    ptmi_run_mode eval = {0, 0.0f, NULL, 1, 1};
    norm_fwd(bc->norm, NULL, NULL, h, &blk->norm, sh, (size_t)b * c * sh->num_patches, &eval);
    for (int s = 0; s < b; s++) {
        const float *x = bc->norm + (size_t)s * cnd;
        if (blk->gate.b) {
            gated_attention_cols_forward(bc->xt, bc->gp, x, &blk->gate, c, nd);
            x = bc->xt;
        }
        series_products((size_t)e, nd, (size_t)c, blk->fc1.w, x, 0, blk->fc1.b, bc->pre, 0, 1, 1);
        series_products((size_t)c, nd, (size_t)e, blk->fc2.w, bc->pre, 0, blk->fc2.b, bc->y, 0, 1,
                        0);
        const float *hs = h + (size_t)s * cnd;
        float *o = out + (size_t)s * cnd;
        for (size_t i = 0; i < cnd; i++) o[i] = bc->y[i] + hs[i];
    }
}

/* Inference-mode patch mixer without transposes (AVX-512 or AVX2, d_model a multiple of the
 * vector width, no self-attention): each series' [N, D] block is mixed down its columns with the
 * patch weights as the left operand, the products of all series sharing each weight band
 * (ptmi_gemm_series):
 *   hid = GELU(W1 x + b1)  [ef N, D];  y = W2 hid + b2  [N, D]
 *   out = h + y * softmax_N(Wg y + bg)   (softmax down each column; or h + y without a gate)
 * The transposed path below stays for the other cases and for train mode. */
static int patch_mixer_direct(const ptmi_mixer_shape *sh, const ptmi_run_mode *run) {
    size_t width = ptmi_kernels()->series_width; /* 16 (AVX-512), 8 (AVX2) or 0 (none) */
    /* with long contexts the weights no longer fit in cache, and the transposed layout, where
     * many rows share each streamed weight panel, is faster (ptmi_patch_direct_possible: also
     * what decides that a loaded model keeps the patch weights in both layouts) */
    return run->inference && width && (size_t)sh->d_model % width == 0 &&
           ptmi_patch_direct_possible(sh);
}

static void patch_mixer_eval(float *out, const float *h, ptmi_block_cache *bc,
                             const ptmi_mixer_block *blk, const ptmi_mixer_shape *sh, size_t nser) {
    size_t n = (size_t)sh->num_patches, d = (size_t)sh->d_model, nd = n * d;
    size_t e = n * (size_t)sh->expansion_factor;
    ptmi_run_mode eval = {0, 0.0f, NULL, 1, 1};
    norm_fwd(bc->norm, NULL, NULL, h, &blk->norm, sh, nser * n, &eval);
    series_products(e, d, n, blk->fc1.w, bc->norm, nd, blk->fc1.b, bc->pre, e * d, nser, 1);
    series_products(n, d, e, blk->fc2.w, bc->pre, e * d, blk->fc2.b, bc->y, nd, nser, 0);
    const ptmi_kernel_table *kt = ptmi_kernels();
    if (blk->gate.b && kt->series_gate && n <= kt->series_gate_rows) { /* one pass, same bits */
        kt->series_gate(n, d, blk->gate.w, blk->gate.b, bc->y, h, out, nd, nser);
    } else if (blk->gate.b) {
        series_products(n, d, n, blk->gate.w, bc->y, nd, blk->gate.b, bc->gp, nd, nser, 0);
        for (size_t s = 0; s < nser; s++)
            softmax_cols_gate(out + s * nd, bc->gp + s * nd, bc->y + s * nd, (int)n, d, h + s * nd);
    } else {
        for (size_t i = 0; i < nser * nd; i++) out[i] = bc->y[i] + h[i];
    }
}

/* Inference-mode feature mixer at d_model 16 in column form (kernel levels with norm_cols16):
 * each block of up to FEATURE_COLS_BLOCK rows is normalised into columns, xt [16, nb] (a row per
 * feature), so that the MLP is the series product with the weights on the left and the gate's
 * softmax runs down the columns, and gate_cols16 brings the result back to rows with the
 * residual: the row path's per-row reductions over 16 features and its 16-wide products become
 * vector sums and long products. Blocks in the eval scratch at their rows' offsets (each in
 * L1), split over the pool; a row's result does not depend on its block. */
#define FEATURE_COLS_BLOCK 64
typedef struct {
    float *out, *xt, *ht, *yt;
    const float *h;
    const ptmi_mixer_block *blk;
    const ptmi_mixer_shape *sh;
    size_t rows;
} feature_cols_job;

static void feature_cols_range(void *arg, size_t b0, size_t b1) {
    const feature_cols_job *j = arg;
    const ptmi_kernel_table *kt = ptmi_kernels();
    const ptmi_mixer_block *blk = j->blk;
    size_t e = (size_t)blk->fc1.out;
    for (size_t b = b0; b < b1; b++) {
        size_t r0 = b * FEATURE_COLS_BLOCK, nb = j->rows - r0;
        if (nb > FEATURE_COLS_BLOCK) nb = FEATURE_COLS_BLOCK;
        float *xt = j->xt + r0 * 16, *ht = j->ht + r0 * e, *yt = j->yt + r0 * 16;
        kt->norm_cols16(xt, nb, j->h + r0 * 16, nb, blk->norm.weight, blk->norm.bias,
                        j->sh->norm_eps);
        kt->gemm_series(e, nb, 16, blk->fc1.w, 16, xt, 0, nb, blk->fc1.b, ht, 0, nb, 1, 1);
        kt->gemm_series(16, nb, e, blk->fc2.w, e, ht, 0, nb, blk->fc2.b, yt, 0, nb, 1, 0);
        kt->gate_cols16(j->out + r0 * 16, j->h + r0 * 16, nb, blk->gate.b ? blk->gate.w : NULL,
                        blk->gate.b, yt, nb);
    }
}

static int feature_cols(const ptmi_mixer_block *blk, const ptmi_mixer_shape *sh,
                        const ptmi_run_mode *run) {
    return run->inference && ptmi_kernels()->norm_cols16 && ptmi_feature_cols_possible(sh) &&
           blk->fc1.w && blk->fc2.w && (!blk->gate.b || blk->gate.w);
}

/* the feature mixer on rows of width D: out = h + gate_D(mlp_D(norm(h))) */
static void feature_mixer_forward(float *out, const float *h, ptmi_block_cache *bc,
                                  const ptmi_mixer_block *blk, const ptmi_mixer_shape *sh,
                                  size_t rows, const ptmi_run_mode *run) {
    if (feature_cols(blk, sh, run)) {
        feature_cols_job j = {out, bc->norm, bc->pre, bc->y, h, blk, sh, rows};
        ptmi_parallel_for((rows + FEATURE_COLS_BLOCK - 1) / FEATURE_COLS_BLOCK, 1,
                          feature_cols_range, &j);
        return;
    }
    norm_fwd(bc->norm, bc->mean, bc->rstd, h, &blk->norm, sh, rows, run);
    mlp_forward(bc->y, bc->pre, bc->act, bc->norm, &blk->fc1, &blk->fc2, rows,
                mask_or_null(&bc->drop1, run), mask_or_null(&bc->drop2, run));
    const float *g = bc->y;
    if (blk->gate.b && run->inference) { /* residual added by the gate kernel */
        gated_attention_infer_res(out, bc->gp, bc->y, &blk->gate, rows, h);
        return;
    }
    if (blk->gate.b) {
        gated_attention_forward(bc->gout, bc->gp, bc->y, &blk->gate, rows);
        g = bc->gout;
    }
    size_t total = rows * (size_t)sh->d_model;
    for (size_t i = 0; i < total; i++) out[i] = g[i] + h[i];
}

/* Inference with mix_channel on a pool (a batch too small for chunks of samples, as batch 1):
 * after the channel mixer every series (b, c) is independent, so the patch and feature mixers
 * of a range of series run on one thread, on the eval scratch seen from the range's first
 * series - one pool run per layer for both blocks. Each series gets the same kernel calls as
 * in one pass over all of them, so the results do not depend on the thread count. */
typedef struct {
    float *out;
    const float *h;
    const ptmi_layer_cache *lc;
    const ptmi_layer *layer;
    const ptmi_mixer_shape *sh;
    const ptmi_run_mode *run;
} series_job;

static void series_range(void *arg, size_t s0, size_t s1) {
    const series_job *j = arg;
    const ptmi_mixer_shape *sh = j->sh;
    size_t n = (size_t)sh->num_patches, o = s0 * n * (size_t)sh->d_model;
    ptmi_pool *prev = ptmi_pool_enter(NULL); /* the kernels of a range run serially */
    ptmi_layer_cache v;
    ptmi_eval_cache_view(&v, j->lc, o, (size_t)sh->expansion_factor);
    const float *h = j->h + o;
    float *out = j->out + o;
    if (sh->patch_mixer) {
        patch_mixer_eval(out, h, &v.pa, &j->layer->patch, sh, s1 - s0);
        h = out; /* in place from here: every step is element-wise or per series */
    }
    feature_mixer_forward(out, h, &v.fe, &j->layer->feature, sh, (s1 - s0) * n, j->run);
    ptmi_pool_leave(prev);
}

void mixer_layer_forward(float *out, const float *inp, ptmi_layer_cache *lc,
                         const ptmi_layer *layer, const ptmi_mixer_shape *sh, int b, int c,
                         const ptmi_run_mode *run) {
    int n = sh->num_patches, d = sh->d_model;
    size_t rows_cnd = (size_t)b * c * n; /* rows of width D */
    size_t total = rows_cnd * d;
    const float *h = inp;
    if (!run->masks_drawn) mixer_layer_draw_masks(lc, sh, b, c, run);

    if (sh->mode == PTM_MODE_MIX_CHANNEL && run->inference) {
        channel_mixer_eval(lc->h1, h, &lc->ch, &layer->channel, sh, b, c);
        h = lc->h1;
        if (ptmi_pool_current() && (!sh->patch_mixer || patch_mixer_direct(sh, run))) {
            series_job j = {out, h, lc, layer, sh, run};
            ptmi_parallel_for((size_t)b * c, 1, series_range, &j);
            return;
        }
    } else if (sh->mode == PTM_MODE_MIX_CHANNEL) {
        const ptmi_mixer_block *blk = &layer->channel;
        ptmi_block_cache *bc = &lc->ch;
        norm_fwd(bc->norm, bc->mean, bc->rstd, h, &blk->norm, sh, rows_cnd, run);
        swap_c_d(bc->xt, bc->norm, NULL, b, c, n, d, 1); /* [B, D, N, C] */
        size_t rows = (size_t)b * d * n;
        const float *gin = bc->xt;
        if (blk->gate.b) {
            gated_attention_forward(bc->gin, bc->gp, bc->xt, &blk->gate, rows);
            gin = bc->gin;
        }
        mlp_forward(bc->y, bc->pre, bc->act, gin, &blk->fc1, &blk->fc2, rows,
                    mask_or_null(&bc->drop1, run), mask_or_null(&bc->drop2, run));
        swap_c_d(lc->h1, bc->y, h, b, c, n, d, 0);
        h = lc->h1;
    }

    if (!sh->patch_mixer) {
        /* TinyTimeMixer: a layer that sees one patch has no patch mixer */
    } else if (patch_mixer_direct(sh, run)) {
        patch_mixer_eval(lc->h2, h, &lc->pa, &layer->patch, sh, (size_t)b * c);
        h = lc->h2;
    } else {
        const ptmi_mixer_block *blk = &layer->patch;
        ptmi_block_cache *bc = &lc->pa;
        norm_fwd(bc->norm, bc->mean, bc->rstd, h, &blk->norm, sh, rows_cnd, run);
        if (sh->self_attn) {
            int drop = run->training && run->dropout > 0.0f && lc->att_mask;
            self_attention_forward(lc->att_out, lc->q, lc->k, lc->v, lc->att_ctx, lc->scores,
                                   lc->probs, drop ? lc->att_mask : NULL, bc->norm, layer,
                                   (size_t)b * c, n, d, sh->self_attn_heads);
        }
        transpose_last2(bc->xt, bc->norm, NULL, (size_t)b * c, n, d); /* [B, C, D, N] */
        size_t rows = (size_t)b * c * d;
        mlp_forward(bc->y, bc->pre, bc->act, bc->xt, &blk->fc1, &blk->fc2, rows,
                    mask_or_null(&bc->drop1, run), mask_or_null(&bc->drop2, run));
        const float *g = bc->y;
        if (blk->gate.b) {
            gated_attention_forward(bc->gout, bc->gp, bc->y, &blk->gate, rows);
            g = bc->gout;
        }
        if (sh->self_attn) {
            transpose_last2(lc->na_in, g, lc->att_out, (size_t)b * c, d, n);
            norm_fwd(lc->na_out, lc->na_mean, lc->na_rstd, lc->na_in, &layer->norm_attn, sh,
                     rows_cnd, run);
            for (size_t i = 0; i < total; i++) lc->h2[i] = lc->na_out[i] + h[i];
        } else {
            transpose_last2(lc->h2, g, h, (size_t)b * c, d, n);
        }
        h = lc->h2;
    }

    feature_mixer_forward(out, h, &lc->fe, &layer->feature, sh, rows_cnd, run);
}

static void zero(float *p, size_t n) {
    memset(p, 0, n * sizeof(float));
}

/* backward of gate (optional) + MLP along rows of width W: dy_in is the gradient at the block's
 * output (before any transpose back); result into dx (zeroed here) */
static void block_path_backward(float *dx, ptmi_mixer_block *dblk, const float *dgout,
                                const ptmi_block_cache *bc, const ptmi_mixer_block *blk,
                                const float *mlp_in, size_t rows, size_t nh, size_t total,
                                int training, float dropout, const ptmi_grad_scratch *gs) {
    const float *dy = dgout;
    if (blk->gate.b) {
        zero(gs->dd, total);
        gated_attention_backward(gs->dd, gs->dz, &blk->gate, &dblk->gate, dgout, bc->y, bc->gp,
                                 rows);
        dy = gs->dd;
    }
    const ptmi_dropout *m1 = training && dropout > 0.0f ? &bc->drop1 : NULL;
    const ptmi_dropout *m2 = training && dropout > 0.0f ? &bc->drop2 : NULL;
    zero(dx, total);
    mlp_backward(dx, &dblk->fc1, &dblk->fc2, gs->dhid, gs->dpre, gs->dz, dy, mlp_in, bc->pre,
                 bc->act, &blk->fc1, &blk->fc2, rows, m1, m2);
    (void)nh;
}

void mixer_layer_backward(float *dinp, ptmi_layer *dlayer, float *dout, const float *inp,
                          const ptmi_layer_cache *lc, const ptmi_layer *layer,
                          const ptmi_mixer_shape *sh, int b, int training,
                          const ptmi_grad_scratch *gs) {
    int c = sh->num_input_channels, n = sh->num_patches, d = sh->d_model;
    size_t rows_cnd = (size_t)b * c * n;
    size_t total = rows_cnd * d, nh = total * (size_t)sh->expansion_factor;
    float dropout = sh->dropout;
    int mix = sh->mode == PTM_MODE_MIX_CHANNEL;
    const float *h_in_patch = mix ? lc->h1 : inp;
    const float *h_in_feat = sh->patch_mixer ? lc->h2 : h_in_patch;

    /* feature mixer: dout is d(out); dh2 = dout + norm_bwd(path) -> kept in dout (in place) */
    {
        const ptmi_block_cache *bc = &lc->fe;
        block_path_backward(gs->da, &dlayer->feature, dout, bc, &layer->feature, bc->norm, rows_cnd,
                            nh, total, training, dropout, gs);
        norm_bwd(dout, &dlayer->feature.norm, gs->da, h_in_feat, bc->mean, bc->rstd,
                 &layer->feature.norm, sh, rows_cnd, training);
    }
    /* patch mixer: dout now holds d(h2) */
    if (sh->patch_mixer) {
        const ptmi_block_cache *bc = &lc->pa;
        const float *dpath; /* gradient at the transposed-back path output [B, C, N, D] */
        if (sh->self_attn) {
            zero(gs->db, total); /* d(na_in) */
            norm_bwd(gs->db, &dlayer->norm_attn, dout, lc->na_in, lc->na_mean, lc->na_rstd,
                     &layer->norm_attn, sh, rows_cnd, training);
            dpath = gs->db;
        } else {
            dpath = dout;
        }
        transpose_last2(gs->dc, dpath, NULL, (size_t)b * c, n, d); /* [B, C, D, N] */
        block_path_backward(gs->da, &dlayer->patch, gs->dc, bc, &layer->patch, bc->xt,
                            (size_t)b * c * d, nh, total, training, dropout, gs);
        transpose_last2(gs->dc, gs->da, NULL, (size_t)b * c, d, n); /* d(norm) [B, C, N, D] */
        if (sh->self_attn) {
            const float *am = training && dropout > 0.0f ? lc->att_mask : NULL;
            self_attention_backward(gs->dc, dlayer, gs->dq, gs->dk, gs->dv, gs->dctx, gs->dp_row,
                                    gs->db, bc->norm, lc->q, lc->k, lc->v, lc->att_ctx, lc->probs,
                                    am, layer, (size_t)b * c, n, d, sh->self_attn_heads);
        }
        norm_bwd(dout, &dlayer->patch.norm, gs->dc, h_in_patch, bc->mean, bc->rstd,
                 &layer->patch.norm, sh, rows_cnd, training);
    }
    /* channel mixer: dout holds d(h1) */
    if (mix) {
        const ptmi_block_cache *bc = &lc->ch;
        size_t rows = (size_t)b * d * n;
        swap_c_d(gs->dc, dout, NULL, b, c, n, d, 1); /* [B, D, N, C] */
        const float *dy = gs->dc;
        /* MLP backward into d(gin) */
        const ptmi_dropout *m1 = training && dropout > 0.0f ? &bc->drop1 : NULL;
        const ptmi_dropout *m2 = training && dropout > 0.0f ? &bc->drop2 : NULL;
        const float *gin = layer->channel.gate.b ? bc->gin : bc->xt;
        zero(gs->da, total);
        mlp_backward(gs->da, &dlayer->channel.fc1, &dlayer->channel.fc2, gs->dhid, gs->dpre, gs->dz,
                     dy, gin, bc->pre, bc->act, &layer->channel.fc1, &layer->channel.fc2, rows, m1,
                     m2);
        const float *dxt = gs->da;
        if (layer->channel.gate.b) {
            zero(gs->dd, total);
            gated_attention_backward(gs->dd, gs->dz, &layer->channel.gate, &dlayer->channel.gate,
                                     gs->da, bc->xt, bc->gp, rows);
            dxt = gs->dd;
        }
        swap_c_d(gs->db, dxt, NULL, b, c, n, d, 0); /* d(norm) [B, C, N, D] */
        norm_bwd(dout, &dlayer->channel.norm, gs->db, inp, bc->mean, bc->rstd, &layer->channel.norm,
                 sh, rows_cnd, training);
    }
    /* dout now holds d(layer input) */
    if (dinp != dout)
        for (size_t i = 0; i < total; i++) dinp[i] += dout[i];
}
