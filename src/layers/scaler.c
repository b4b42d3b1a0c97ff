/* scaler.c - instance scaling of the context window (RevIN-style), per batch and channel:
 *   std:  loc = mean of observed values, scale = sqrt(observed variance + 1e-5)
 *   mean: loc = 0, scale = mean |x| over observed values; a fully unobserved series gets the
 *         batch default (sum over the batch / observed count over the batch), then >= 1e-10
 *   none: loc = 0, scale = 1
 * exactly as HF's PatchTSMixerStdScaler / MeanScaler / NOPScaler. The std statistics are the
 * kernel table's std_stats (src/kernels/norm_ref.c). */
#include <math.h>

#include "kernels/kernels.h"
#include "layers/layers.h"

void scaler_patchify_forward(float *patches, float *loc, float *scale, const float *x,
                             const float *observed, int scaling, int l, int c, int n, int p,
                             int stride, size_t r0, size_t r1) {
    int start = l - (p + stride * (n - 1));
    const ptmi_kernel_table *kt = ptmi_kernels();
    size_t done = r0; /* statistics computed for rows below this (up to 8 channels at a time) */
    for (size_t r = r0; r < r1; r++) {
        size_t bi = r / (size_t)c, ch = r % (size_t)c;
        const float *xs = x + bi * l * c + ch;
        if (scaling == PTM_SCALING_STD) {
            if (r >= done) { /* up to 8 channels of this sample, in this range, at once */
                size_t nc = (size_t)c - ch;
                if (nc > 8) nc = 8;
                if (nc > r1 - r) nc = r1 - r;
                kt->std_stats(&loc[r], &scale[r], xs, observed ? observed + bi * l * c + ch : NULL,
                              l, c, (int)nc);
                done = r + nc;
            }
        } else {
            loc[r] = 0.0f;
            scale[r] = 1.0f;
        }
        float lo = loc[r], sc = scale[r];
        float *o = patches + r * n * p;
        for (int ni = 0; ni < n; ni++)
            for (int t = 0; t < p; t++)
                o[(size_t)ni * p + t] = (xs[(size_t)(start + ni * stride + t) * c] - lo) / sc;
    }
}

void scaler_forward(float *scaled, float *loc, float *scale, const float *x, const float *observed,
                    int scaling, int b, int l, int c) {
    if (scaling == PTM_SCALING_MEAN) {
        for (int ch = 0; ch < c; ch++) {
            double batch_sum = 0.0, batch_obs = 0.0;
            for (int bi = 0; bi < b; bi++) {
                double ts_sum = 0.0, nobs = 0.0;
                for (int t = 0; t < l; t++) {
                    size_t i = ((size_t)bi * l + t) * c + ch;
                    float m = observed ? observed[i] : 1.0f;
                    ts_sum += fabs((double)x[i] * (double)m);
                    nobs += (double)m;
                }
                loc[(size_t)bi * c + ch] = (float)ts_sum; /* temporarily: the sum */
                scale[(size_t)bi * c + ch] = (float)nobs; /* temporarily: the count */
                batch_sum += ts_sum;
                batch_obs += nobs;
            }
            double def = batch_sum / (batch_obs < 1.0 ? 1.0 : batch_obs);
            for (int bi = 0; bi < b; bi++) {
                size_t j = (size_t)bi * c + ch;
                double nobs = (double)scale[j];
                double s = nobs > 0 ? (double)loc[j] / (nobs < 1.0 ? 1.0 : nobs) : def;
                if (s < 1e-10) s = 1e-10;
                loc[j] = 0.0f;
                scale[j] = (float)s;
            }
        }
    } else if (scaling == PTM_SCALING_STD) {
        const ptmi_kernel_table *kt = ptmi_kernels();
        for (int bi = 0; bi < b; bi++)
            for (int ch = 0; ch < c; ch += 8) /* 8 channels at a time */
                kt->std_stats(&loc[(size_t)bi * c + ch], &scale[(size_t)bi * c + ch],
                              x + (size_t)bi * l * c + ch,
                              observed ? observed + (size_t)bi * l * c + ch : NULL, l, c,
                              c - ch < 8 ? c - ch : 8);
    } else {
        for (size_t j = 0; j < (size_t)b * c; j++) {
            loc[j] = 0.0f;
            scale[j] = 1.0f;
        }
    }
    for (int bi = 0; bi < b; bi++)
        for (int t = 0; t < l; t++)
            for (int ch = 0; ch < c; ch++) {
                size_t i = ((size_t)bi * l + t) * c + ch;
                size_t j = (size_t)bi * c + ch;
                scaled[i] = (x[i] - loc[j]) / scale[j];
            }
}
