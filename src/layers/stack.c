/* stack.c - a stack of mixer layers of one shape (ptmi_stack) run in eval mode: TinyTimeMixer's
 * adaptive-patching levels, decoder block and forecast channel mixer each run one (PatchTSMixer's
 * single stack runs layer by layer in backbone.c, inside chunks of series). */
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
