/* adamw_ref.c - the scalar AdamW step (kernels.h; the coefficients and why each statement is
 * one rounding step are in src/train/adamw.c): the oracle of ptmi_adamw_avx2, which is
 * bit-identical to it, and the scalar table's field. */
#include <math.h>

#include "kernels/kernels.h"

void ptmi_adamw_ref(float *param, const float *grad, float *m, float *v, size_t n,
                    const unsigned char *decay_mask, float decay, float b1f, float one_b1,
                    float b2f, float one_b2, float neg_step, float bc2_sqrt, float epsf) {
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        float x = param[i];
        if (!decay_mask || decay_mask[i]) x = x * decay;
        /* exp_avg.mul_(beta1).add_(grad, alpha=1-beta1): PyTorch's add_ with alpha is a fused
         * multiply-add on CPU (both its vector and its scalar loop) */
        float mi = m[i] * b1f;
        mi = fmaf(one_b1, g, mi);
        /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2): fma(value*g, g, v) */
        float vi = v[i] * b2f;
        float vg = one_b2 * g;
        vi = fmaf(vg, g, vi);
        float denom = sqrtf(vi);
        denom = denom / bc2_sqrt;
        denom = denom + epsf;
        float upd = neg_step * mi;
        upd = upd / denom;
        x = x + upd;
        m[i] = mi;
        v[i] = vi;
        param[i] = x;
    }
}
