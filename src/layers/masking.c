/* masking.c - the patch masks of masked pretraining (HF random_masking / forecast_masking),
 * drawn with the library's own seeded generator:
 *   random:   per (batch, channel) - or per batch when channel_consistent - keep the
 *             int(N (1 - ratio)) patches with the smallest uniform noise, mask the others;
 *   forecast: the batch is split into equal groups, one per entry k of
 *             num_forecast_mask_patches (remainder to the first group after sorting by size),
 *             each group masks its last k patches; then the batch order is permuted.
 * Channels in unmasked_channel_indices are never masked. */
#include <string.h>

#include "layers/layers.h"
#include "base/rng.h"

static void clear_unmasked(float *mask, int b, int c, int n, const int *unmasked, int n_unmasked) {
    for (int bi = 0; bi < b; bi++)
        for (int u = 0; u < n_unmasked; u++) {
            int ch = unmasked[u];
            if (ch < 0 || ch >= c) continue;
            memset(mask + ((size_t)bi * c + ch) * n, 0, (size_t)n * sizeof(float));
        }
}

void random_mask_draw(float *mask, float *noise, int b, int c, int n, double ratio,
                      int channel_consistent, const int *unmasked, int n_unmasked, uint64_t seed) {
    ptmi_rng r;
    ptmi_rng_seed(&r, seed);
    int len_keep = (int)((double)n * (1.0 - ratio));
    for (int bi = 0; bi < b; bi++) {
        for (int ch = 0; ch < c; ch++) {
            if (ch == 0 || !channel_consistent)
                for (int i = 0; i < n; i++) noise[i] = (float)ptmi_rng_uniform(&r);
            float *m = mask + ((size_t)bi * c + ch) * n;
            /* rank of each patch's noise (ties broken by position), O(n^2): n is small */
            for (int i = 0; i < n; i++) {
                int rank = 0;
                for (int j = 0; j < n; j++)
                    if (noise[j] < noise[i] || (noise[j] == noise[i] && j < i)) rank++;
                m[i] = rank < len_keep ? 0.0f : 1.0f;
            }
        }
    }
    clear_unmasked(mask, b, c, n, unmasked, n_unmasked);
}

void forecast_mask_draw(float *mask, int *rowk, int b, int c, int n, const int *patches,
                        int n_patches, const int *unmasked, int n_unmasked, uint64_t seed) {
    memset(mask, 0, sizeof(float) * (size_t)b * c * n);
    if (n_patches <= 0) return;
    /* HF: groups of int(b / n_patches) rows, one per k; the remainder joins the first group */
    int per = b / n_patches;
    int row = 0;
    for (int g = 0; g < n_patches; g++) {
        int size = per + (g == 0 ? b - per * n_patches : 0);
        for (int i = 0; i < size && row < b; i++) rowk[row++] = patches[g];
    }
    /* then the batch order is permuted (Fisher-Yates with our generator) */
    ptmi_rng r;
    ptmi_rng_seed(&r, seed);
    for (int i = b - 1; i > 0; i--) {
        int j = (int)ptmi_rng_below(&r, (uint64_t)i + 1);
        int t = rowk[i];
        rowk[i] = rowk[j];
        rowk[j] = t;
    }
    for (int bi = 0; bi < b; bi++)
        for (int ch = 0; ch < c; ch++)
            for (int t = n - rowk[bi]; t < n; t++)
                if (t >= 0) mask[((size_t)bi * c + ch) * n + t] = 1.0f;
    clear_unmasked(mask, b, c, n, unmasked, n_unmasked);
}

void patch_mask_forward(float *out, const float *patches, const float *mask, float value,
                        size_t groups, int p) {
    for (size_t g = 0; g < groups; g++)
        for (int t = 0; t < p; t++) out[g * p + t] = mask[g] != 0.0f ? value : patches[g * p + t];
}
