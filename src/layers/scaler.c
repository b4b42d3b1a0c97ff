/* scaler.c - instance scaling of the context window (RevIN-style), per batch and channel:
 *   std:  loc = mean of observed values, scale = sqrt(observed variance + 1e-5)
 *   mean: loc = 0, scale = mean |x| over observed values; a fully unobserved series gets the
 *         batch default (sum over the batch / observed count over the batch), then >= 1e-10
 *   none: loc = 0, scale = 1
 * exactly as HF's PatchTSMixerStdScaler / MeanScaler / NOPScaler. */
#include <math.h>

#include "layers/layers.h"

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
        for (int bi = 0; bi < b; bi++) {
            for (int ch = 0; ch < c; ch++) {
                double sum = 0.0, nobs = 0.0;
                for (int t = 0; t < l; t++) {
                    size_t i = ((size_t)bi * l + t) * c + ch;
                    float m = observed ? observed[i] : 1.0f;
                    sum += (double)x[i] * (double)m;
                    nobs += (double)m;
                }
                double den = nobs < 1.0 ? 1.0 : nobs;
                double mu = sum / den;
                double var = 0.0;
                for (int t = 0; t < l; t++) {
                    size_t i = ((size_t)bi * l + t) * c + ch;
                    float m = observed ? observed[i] : 1.0f;
                    double dv = ((double)x[i] - mu) * (double)m;
                    var += dv * dv;
                }
                var /= den;
                loc[(size_t)bi * c + ch] = (float)mu;
                scale[(size_t)bi * c + ch] = (float)sqrt(var + 1e-5);
            }
        }
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
