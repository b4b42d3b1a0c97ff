/* patchify.c - PatchTSMixerPatchify: cut [B, L, C] into [B, C, N, P] patches with a stride;
 * the first s = L - (P + stride (N - 1)) steps are dropped, patch n starts at s + n stride. */
#include "layers/layers.h"

void patchify_forward(float *out, const float *x, int b, int l, int c, int n, int p, int stride) {
    int start = l - (p + stride * (n - 1));
    for (int bi = 0; bi < b; bi++)
        for (int ch = 0; ch < c; ch++)
            for (int ni = 0; ni < n; ni++) {
                float *o = out + (((size_t)bi * c + ch) * n + ni) * p;
                for (int t = 0; t < p; t++) {
                    int time = start + ni * stride + t;
                    o[t] = x[((size_t)bi * l + time) * c + ch];
                }
            }
}
