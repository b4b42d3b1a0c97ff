/* loss.c - the training objectives of each head: MSE (forecast, regression), cross-entropy
 * (classification) and the masked-reconstruction loss of pretraining. The distribution NLLs
 * live in model.c next to the parameter maps (they need the input scaling). */
#include <math.h>

#include "layers/layers.h"

float mse_loss(const float *pred, const float *target, size_t count) {
    double s = 0.0;
    for (size_t i = 0; i < count; i++) {
        double e = (double)pred[i] - (double)target[i];
        s += e * e;
    }
    return (float)(s / (double)count);
}

float cross_entropy_loss(const float *logits, const int64_t *labels, int b, int t, int *bad_label) {
    double s = 0.0;
    *bad_label = -1;
    for (int i = 0; i < b; i++) {
        const float *z = logits + (size_t)i * t;
        if (labels[i] < 0 || labels[i] >= t) {
            *bad_label = i;
            return NAN;
        }
        double mx = (double)z[0];
        for (int j = 1; j < t; j++) mx = (double)z[j] > mx ? (double)z[j] : mx;
        double se = 0.0;
        for (int j = 0; j < t; j++) se += exp((double)z[j] - mx);
        s += mx + log(se) - (double)z[labels[i]];
    }
    return (float)(s / b);
}

float pretrain_loss(const float *pred, const float *target, const float *mask, size_t groups, int p,
                    int masked) {
    double num = 0.0, den = 0.0;
    for (size_t g = 0; g < groups; g++) {
        double se = 0.0;
        for (int t = 0; t < p; t++) {
            double e = (double)pred[g * p + t] - (double)target[g * p + t];
            se += e * e;
        }
        if (masked) {
            num += se / p * (double)mask[g];
            den += (double)mask[g];
        } else {
            num += se;
        }
    }
    if (masked) return (float)(num / (den + 1e-10));
    return (float)(num / ((double)groups * p));
}
