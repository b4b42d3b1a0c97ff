/* loss.c - the training objectives of each head: MSE (forecast, regression), cross-entropy
 * (classification), the masked-reconstruction loss of pretraining, each with its backward
 * (d loss / d prediction), and TinyTimeMixer's point losses (mse, mae, pinball, huber) over the
 * observed values. The distribution NLLs live in nll.c. */
#include <math.h>

#include "layers/layers.h"

float mse_loss_forward(const float *pred, const float *target, size_t count) {
    double s = 0.0;
    for (size_t i = 0; i < count; i++) {
        double e = (double)pred[i] - (double)target[i];
        s += e * e;
    }
    return (float)(s / (double)count);
}

/* d loss / d pred = 2 (pred - target) / count */
void mse_loss_backward(float *dpred, const float *pred, const float *target, size_t count) {
    for (size_t i = 0; i < count; i++) dpred[i] = 2.0f * (pred[i] - target[i]) / (float)count;
}

float point_loss_forward(ptm_loss loss, const float *pred, const float *target, const float *mask,
                         size_t count, float quantile, float delta, size_t *selected) {
    double s = 0.0, q = (double)quantile, dl = (double)delta;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (mask && mask[i] == 0.0f) continue;
        double e = (double)target[i] - (double)pred[i], a = fabs(e);
        switch (loss) {
        case PTM_LOSS_MAE:
            s += a;
            break;
        case PTM_LOSS_PINBALL:
            s += q * e > (q - 1.0) * e ? q * e : (q - 1.0) * e;
            break;
        case PTM_LOSS_HUBER:
            s += a < dl ? 0.5 * e * e : dl * (a - 0.5 * dl);
            break;
        default:
            s += e * e;
            break;
        }
        n++;
    }
    *selected = n;
    return (float)(s / (double)n);
}

void point_loss_backward(float *dpred, ptm_loss loss, const float *pred, const float *target,
                         const float *mask, size_t count, float quantile, float delta) {
    size_t n = 0;
    for (size_t i = 0; i < count; i++) n += !(mask && mask[i] == 0.0f);
    float inv = 1.0f / (float)(n ? n : 1), q = quantile;
    for (size_t i = 0; i < count; i++) {
        float z = pred[i] - target[i], g; /* d(elementwise loss) / d pred */
        if (mask && mask[i] == 0.0f) {
            dpred[i] = 0.0f;
            continue;
        }
        switch (loss) {
        case PTM_LOSS_MAE:
            g = z > 0.0f ? 1.0f : z < 0.0f ? -1.0f : 0.0f;
            break;
        case PTM_LOSS_PINBALL: /* e = -z; a tie splits the gradient as torch.max does */
            g = z < 0.0f ? -q : z > 0.0f ? 1.0f - q : 0.5f - q;
            break;
        case PTM_LOSS_HUBER:
            g = z < -delta ? -delta : z > delta ? delta : z;
            break;
        default:
            g = 2.0f * z;
            break;
        }
        dpred[i] = g * inv;
    }
}

float cross_entropy_loss_forward(const float *logits, const int64_t *labels, int b, int t,
                                 int *bad_label) {
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

/* d loss / d logits = (softmax(z) - onehot(label)) / b */
void cross_entropy_loss_backward(float *dlogits, const float *logits, const int64_t *labels, int b,
                                 int t) {
    for (int i = 0; i < b; i++) {
        const float *z = logits + (size_t)i * t;
        float mx = z[0];
        for (int j = 1; j < t; j++) mx = z[j] > mx ? z[j] : mx;
        double se = 0.0;
        for (int j = 0; j < t; j++) se += exp((double)(z[j] - mx));
        for (int j = 0; j < t; j++)
            dlogits[(size_t)i * t + j] =
                (float)(exp((double)(z[j] - mx)) / se - (j == labels[i])) / (float)b;
    }
}

float pretrain_loss_forward(const float *pred, const float *target, const float *mask,
                            size_t groups, int p, int masked) {
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

void pretrain_loss_backward(float *dpred, const float *pred, const float *target, const float *mask,
                            size_t groups, int p, int masked) {
    double den = 0.0;
    if (masked)
        for (size_t g = 0; g < groups; g++) den += (double)mask[g];
    for (size_t g = 0; g < groups; g++)
        for (int t = 0; t < p; t++) {
            size_t i = g * p + t;
            float e = pred[i] - target[i];
            dpred[i] = masked ? (float)(2.0 * (double)e * (double)mask[g] / p / (den + 1e-10))
                              : (float)(2.0 * (double)e / ((double)groups * p));
        }
}
