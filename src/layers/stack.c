/* stack.c - a stack of mixer layers of one shape (ptmi_stack): TinyTimeMixer's adaptive-patching
 * levels, decoder block and forecast channel mixer each run one (PatchTSMixer's single stack runs
 * layer by layer in backbone.c, inside chunks of series), in eval mode on shared scratch, in train
 * mode on a cache per layer, whose backward is here too.
 *
 * Eval mode cuts the stack's series (whole samples when it mixes channels) into chunks of about
 * STACK_CHUNK_FLOATS activations, and each chunk runs every layer of the stack on one thread of
 * the current pool (chunks ith, ith + nth, ...) in the thread's own slice of the scratch, reused
 * by each of its chunks, so that a layer's working set stays in cache and both cores work on one
 * forward. A series' result does
 * not depend on its chunk (every kernel computes each output element in the same order).
 */
#include "kernels/threads.h"
#include "layers/layers.h"

#ifndef STACK_CHUNK_FLOATS
#define STACK_CHUNK_FLOATS 16384
#endif

void ptmi_eval_cache_view(ptmi_layer_cache *v, const ptmi_layer_cache *lc, size_t o, size_t ef) {
    *v = *lc;
#define OFF(f, k) f = f ? f + (k) : NULL
    ptmi_block_cache *b[3] = {&v->ch, &v->pa, &v->fe};
    for (int i = 0; i < 3; i++) {
        OFF(b[i]->norm, o);
        OFF(b[i]->xt, o);
        OFF(b[i]->gin, o);
        OFF(b[i]->pre, o * ef);
        OFF(b[i]->act, o * ef);
        OFF(b[i]->y, o);
        OFF(b[i]->gp, o);
        OFF(b[i]->gout, o);
    }
    OFF(v->q, o);
    OFF(v->k, o);
    OFF(v->v, o);
    OFF(v->att_ctx, o);
    OFF(v->att_out, o);
    OFF(v->na_in, o);
    OFF(v->na_out, o);
#undef OFF
}

typedef struct {
    float *const *outs;
    const float *h;
    const ptmi_layer_cache *lc;
    const ptmi_stack *st;
    const ptmi_run_mode *run;
    size_t units, per_chunk, unit_floats; /* series (or samples), per chunk, floats of one */
    int cu, nchunks, nthreads;            /* channels per unit (1, or c when mixing channels) */
    int keep_all;                         /* every layer's output whole, or only the last */
} stack_job;

/* chunk ch on the scratch slice of the thread's first chunk, `slot`: every chunk of a thread
 * reuses the same slice, which stays in cache (the thread's later chunks start past its slice,
 * so the slice lies inside the scratch); only the layers' outputs go to the chunk's own place
 * (without keep_all only the last layer's: the others to the slot's slice of their buffer) */
static void stack_chunk(const stack_job *j, int ch, int slot) {
    size_t u0 = (size_t)ch * j->per_chunk, nu = j->units - u0;
    if (nu > j->per_chunk) nu = j->per_chunk;
    size_t o = u0 * j->unit_floats, so = (size_t)slot * j->per_chunk * j->unit_floats;
    ptmi_layer_cache v;
    ptmi_eval_cache_view(&v, j->lc, so, (size_t)j->st->sh.expansion_factor);
    const float *h = j->h + o;
    for (int l = 0; l < j->st->n_layers; l++) {
        float *out = j->outs[l] + (j->keep_all || l == j->st->n_layers - 1 ? o : so);
        /* the layer's intermediates go to its output buffer, as in exec.c's chunks */
        v.h1 = v.h2 = out;
        mixer_layer_forward(out, h, &v, &j->st->layers[l], &j->st->sh, (int)nu, j->cu, j->run);
        h = out;
    }
}

static void stack_part(void *arg, int ith, int nth) {
    const stack_job *j = arg;
    (void)nth;
    if (ith >= j->nthreads) return;
    ptmi_pool *prev = ptmi_pool_enter(NULL); /* the kernels of a chunk run serially */
    for (int ch = ith; ch < j->nchunks; ch += j->nthreads) stack_chunk(j, ch, ith);
    ptmi_pool_leave(prev);
}

const float *mixer_stack_forward(float *const *outs, int keep_all, const float *h,
                                 ptmi_layer_cache *lc, const ptmi_stack *st, int b, int c,
                                 const ptmi_run_mode *run) {
    if (!st->n_layers) return h;
    int mix = st->sh.mode == PTM_MODE_MIX_CHANNEL;
    stack_job j = {outs, h, lc, st, run, 0, 0, 0, mix ? c : 1, 0, 1, keep_all};
    j.units = mix ? (size_t)b : (size_t)b * c;
    j.unit_floats = (size_t)j.cu * st->sh.num_patches * st->sh.d_model;
    j.per_chunk = STACK_CHUNK_FLOATS / j.unit_floats;
    ptmi_pool *pool = ptmi_pool_current();
    /* self-attention shares one row of scores (lc->scores): one thread */
    int nth = st->sh.self_attn ? 1 : ptmi_pool_size(pool);
    size_t even = (j.units + (size_t)nth - 1) / (size_t)nth; /* no thread idle */
    if (j.per_chunk > even) j.per_chunk = even;
    if (j.per_chunk < 1) j.per_chunk = 1;
    j.nchunks = (int)((j.units + j.per_chunk - 1) / j.per_chunk);
    j.nthreads = nth < j.nchunks ? nth : j.nchunks;
    if (j.nthreads > 1)
        ptmi_pool_run(pool, stack_part, &j);
    else
        for (int ch = 0; ch < j.nchunks; ch++) stack_chunk(&j, ch, 0);
    return outs[st->n_layers - 1];
}
const float *mixer_stack_train_forward(float *const *outs, const float *h, ptmi_layer_cache *lcs,
                                       const ptmi_stack *st, int b, int c,
                                       const ptmi_run_mode *run) {
    ptmi_run_mode r = *run;
    r.dropout = st->sh.dropout;
    r.masks_drawn = 0;
    for (int l = 0; l < st->n_layers; l++) {
        mixer_layer_forward(outs[l], h, &lcs[l], &st->layers[l], &st->sh, b, c, &r);
        h = outs[l];
    }
    return h;
}

void mixer_stack_backward(float *dh, ptmi_layer *dlayers, const float *h_in, float *const *outs,
                          const ptmi_layer_cache *lcs, const ptmi_stack *st, int b,
                          const ptmi_grad_scratch *gs) {
    for (int l = st->n_layers - 1; l >= 0; l--)
        mixer_layer_backward(dh, &dlayers[l], dh, l > 0 ? outs[l - 1] : h_in, &lcs[l],
                             &st->layers[l], &st->sh, b, 1, gs);
}
