/* exec.c - how the rows of a batch are split over threads; each piece calls the one forward
 * sequence (ptmi_forward_rows) on its range.
 *
 * Eval mode: every series (b, c) goes through the model on its own (common_channel; with
 * mix_channel every sample, and chunks hold whole samples), so the whole forward of a chunk of
 * series - scaling + patching (unless done before), patch embedding, the layers,
 * InjectScalerStatistics4D and a head that works per series - runs on one thread with no serial
 * step in between, about MICRO_BATCH_FLOATS of activations per chunk (ctx.c) so that a layer's
 * working set stays in cache. A series' result does not depend on the chunk it is in (every
 * kernel computes each output element in the same order).
 *
 * Train mode: the whole batch at once (BatchNorm needs batch statistics), or for LayerNorm
 * models its data-parallel shards, a function of the batch only (never of the thread count),
 * each in its own slices of the caches.
 *
 * Thread ith takes pieces ith, ith + n, ... (a fixed assignment: results do not depend on
 * timing); inside a piece the kernels run serially.
 */
#include "exec.h"
#include "kernels/threads.h"
#include "layers/layers.h"

/* first sample of training shard s of a batch of B (the shards of a batch never depend on the
 * thread count) */
int ptmi_shard_start(int B, int nshards, int s) {
    return (int)((long long)B * s / nshards);
}

/* a training layer cache viewed from sample s0 on (LayerNorm statistics are per row; sharded
 * training is not used with BatchNorm); scores is the shard's own [N] scratch */
void ptmi_shift_layer_cache(ptmi_layer_cache *dst, const ptmi_layer_cache *src,
                            const ptmi_mixer_shape *c, size_t s0, float *scores) {
    size_t cn = (size_t)c->num_input_channels * c->num_patches, cnd = cn * c->d_model,
           ef = (size_t)c->expansion_factor;
    size_t np = cn * c->self_attn_heads * c->num_patches;
#define SHIFT(f, per) dst->f = src->f ? src->f + s0 * (per) : NULL
    const ptmi_block_cache *sb[3] = {&src->ch, &src->pa, &src->fe};
    ptmi_block_cache *db[3] = {&dst->ch, &dst->pa, &dst->fe};
    for (int i = 0; i < 3; i++) {
        const ptmi_block_cache *a = sb[i];
        ptmi_block_cache *b = db[i];
        b->norm = a->norm ? a->norm + s0 * cnd : NULL;
        b->mean = a->mean ? a->mean + s0 * cn : NULL;
        b->rstd = a->rstd ? a->rstd + s0 * cn : NULL;
        b->xt = a->xt ? a->xt + s0 * cnd : NULL;
        b->gin = a->gin ? a->gin + s0 * cnd : NULL;
        b->pre = a->pre ? a->pre + s0 * cnd * ef : NULL;
        b->act = a->act ? a->act + s0 * cnd * ef : NULL;
        b->y = a->y ? a->y + s0 * cnd : NULL;
        b->gp = a->gp ? a->gp + s0 * cnd : NULL;
        b->gout = a->gout ? a->gout + s0 * cnd : NULL;
        b->drop1 = a->drop1;
        b->drop1.base += s0 * cnd * ef;
        b->drop2 = a->drop2;
        b->drop2.base += s0 * cnd;
    }
    SHIFT(h1, cnd);
    SHIFT(h2, cnd);
    SHIFT(q, cnd);
    SHIFT(k, cnd);
    SHIFT(v, cnd);
    SHIFT(att_ctx, cnd);
    SHIFT(att_out, cnd);
    SHIFT(probs, np);
    SHIFT(att_mask, np);
    SHIFT(na_in, cnd);
    SHIFT(na_out, cnd);
    SHIFT(na_mean, cn);
    SHIFT(na_rstd, cn);
#undef SHIFT
    dst->scores = scores;
}

ptmi_layer_cache *ptmi_exec_layer_cache(ptm_ctx *ctx, const ptmi_rows *rr, int k,
                                        ptmi_layer_cache *view) {
    const ptm_config *c = &ctx->model->cfg;
    if (rr->scratch) {
        size_t off = rr->r0 * (size_t)c->num_patches * c->d_model;
        rr->scratch->h1 = rr->scratch->h2 = ctx->hidden[k] + off;
        return rr->scratch;
    }
    if (rr->shard < 0) return &ctx->lc[k];
    ptmi_shift_layer_cache(view, &ctx->lc[k], &ctx->model->mixer,
                           rr->r0 / (size_t)c->num_input_channels,
                           ctx->shard_scores + (size_t)rr->shard * c->num_patches);
    return view;
}

/* ------------------------------------------------------------------ eval: chunks of series */

typedef struct {
    ptm_ctx *ctx;
    const ptm_inputs *in;
    const float *enc_in;
    size_t rows, cr;
    int nchunks, nthreads, prep;
    const ptmi_run_mode *run;
} rows_job;

static void rows_chunk(const rows_job *j, ptmi_layer_cache *lc, int chunk) {
    const ptm_config *c = &j->ctx->model->cfg;
    size_t r0 = (size_t)chunk * j->cr, r1 = r0 + j->cr < j->rows ? r0 + j->cr : j->rows;
    int nr = (int)(r1 - r0);
    int cg = c->mode == PTM_MODE_MIX_CHANNEL ? c->num_input_channels : 1; /* whole samples */
    ptmi_rows rr = {r0, nr / cg, cg, lc, -1, j->prep, 1};
    ptmi_forward_rows(j->ctx, j->in, j->enc_in, &rr, j->run);
}

static void rows_part(void *arg, int ith, int nth) {
    const rows_job *j = arg;
    (void)nth;
    if (ith >= j->nthreads) return;
    ptmi_pool *prev = ptmi_pool_enter(NULL);
    for (int ch = ith; ch < j->nchunks; ch += j->nthreads) rows_chunk(j, &j->ctx->lc[ith], ch);
    ptmi_pool_leave(prev);
}

/* ------------------------------------------------------------------ train: shards of samples */

typedef struct {
    ptm_ctx *ctx;
    const ptm_inputs *in;
    const float *enc_in;
    int B, nshards, nthreads;
    const ptmi_run_mode *run;
} shard_job;

static void shard_forward(const shard_job *j, int s) {
    int C = j->ctx->model->cfg.num_input_channels;
    int b0 = ptmi_shard_start(j->B, j->nshards, s);
    int nb = ptmi_shard_start(j->B, j->nshards, s + 1) - b0;
    ptmi_rows rr = {(size_t)b0 * C, nb, C, NULL, j->nshards > 1 ? s : -1, 0, 0};
    ptmi_forward_rows(j->ctx, j->in, j->enc_in, &rr, j->run);
}

static void shards_part(void *arg, int ith, int nth) {
    const shard_job *j = arg;
    (void)nth;
    if (ith >= j->nthreads) return;
    ptmi_pool *prev = ptmi_pool_enter(NULL);
    for (int s = ith; s < j->nshards; s += j->nthreads) shard_forward(j, s);
    ptmi_pool_leave(prev);
}

void ptmi_exec_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *enc_in, ptmi_run_mode *run,
                       int prep) {
    const ptm_config *c = &ctx->model->cfg;
    int B = in->batch;
    if (!ctx->training) {
        size_t rows = (size_t)B * c->num_input_channels, cr = (size_t)ctx->chunk_rows;
        rows_job rj = {ctx, in, enc_in, rows, cr, (int)((rows + cr - 1) / cr), 1, prep, run};
        if (ctx->pool && rj.nchunks > 1 && ctx->n_scratch > 1) {
            rj.nthreads = ctx->n_scratch;
            ptmi_pool_run(ctx->pool, rows_part, &rj);
        } else {
            for (int ch = 0; ch < rj.nchunks; ch++) rows_chunk(&rj, &ctx->lc[0], ch);
        }
        return;
    }
    int nshards = 1;
    if (ctx->n_shards > 1) {
        /* every mask for the whole batch first (the same keys in the same order as one pass),
         * then the shards */
        for (int k = 0; k < c->num_layers; k++)
            mixer_layer_draw_masks(&ctx->lc[k], &ctx->model->mixer, B, c->num_input_channels, run);
        run->masks_drawn = 1;
        nshards = B < ctx->n_shards ? B : ctx->n_shards;
    }
    shard_job sj = {ctx, in, enc_in, B, nshards, 1, run};
    if (ctx->pool && nshards > 1) {
        sj.nthreads = ptmi_pool_size(ctx->pool);
        ptmi_pool_run(ctx->pool, shards_part, &sj);
    } else {
        for (int s = 0; s < nshards; s++) shard_forward(&sj, s);
    }
}
