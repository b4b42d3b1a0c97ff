/* stack.c - a stack of mixer layers of one shape (ptmi_stack): TinyTimeMixer's adaptive-patching
 * levels, decoder block and forecast channel mixer each run one (PatchTSMixer's single stack runs
 * layer by layer in backbone.c, inside chunks of series), in eval mode on shared scratch, in train
 * mode on a cache per layer, whose backward is here too. */
#include "layers/layers.h"

const float *mixer_stack_forward(float *const *outs, const float *h, ptmi_layer_cache *lc,
                                 const ptmi_stack *st, int b, int c, const ptmi_run_mode *run) {
    for (int l = 0; l < st->n_layers; l++) {
        /* the layer's intermediates go to its output buffer, as in exec.c's chunks */
        lc->h1 = lc->h2 = outs[l];
        mixer_layer_forward(outs[l], h, lc, &st->layers[l], &st->sh, b, c, run);
        h = outs[l];
    }
    return h;
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
