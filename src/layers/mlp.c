/* mlp.c - PatchTSMixerMLP: fc1 -> GELU -> dropout -> fc2 -> dropout.
 * Forward keeps pre (fc1 output) and act (GELU output after dropout) for backward; in eval
 * mode act may alias pre and the dropout masks are NULL. A mask holds 0 or 1/(1-p); it is not
 * stored: the kernels that apply it compute it from its key (ptmi_dropout). */
#include "layers/layers.h"

void mlp_forward(float *out, float *pre, float *act, const float *inp, const ptmi_linear *fc1,
                 const ptmi_linear *fc2, size_t rows, const ptmi_dropout *drop1,
                 const ptmi_dropout *drop2) {
    size_t nh = rows * (size_t)fc1->out;
    if (act == pre) { /* eval: fc1 and GELU fused, pre not kept */
        linear_act_forward(act, inp, fc1, rows, 1);
        if (drop1) dropout_apply(act, act, drop1, nh);
    } else {
        linear_forward(pre, inp, fc1, rows);
        if (drop1)
            gelu_mask_forward(act, pre, drop1, nh);
        else
            gelu_forward(act, pre, nh);
    }
    linear_forward(out, act, fc2, rows);
    if (drop2) dropout_apply(out, out, drop2, rows * (size_t)fc2->out);
}

void mlp_backward(float *dinp, ptmi_linear *dfc1, ptmi_linear *dfc2, float *dhid, float *dpre,
                  float *dy, const float *dout, const float *inp, const float *pre,
                  const float *act, const ptmi_linear *fc1, const ptmi_linear *fc2, size_t rows,
                  const ptmi_dropout *drop1, const ptmi_dropout *drop2) {
    size_t no = rows * (size_t)fc2->out;
    const float *g = dout;
    if (drop2) {
        dropout_apply(dy, dout, drop2, no);
        g = dy;
    }
    /* dhid = dy W2 (written); then through dropout and GELU in one pass */
    linear_backward_set(dhid, dfc2->w, dfc2->b, g, act, fc2->w, rows, fc2->in, fc2->out);
    gelu_backward_set(dpre, pre, dhid, drop1, rows * (size_t)fc1->out);
    linear_backward(dinp, dfc1->w, dfc1->b, dpre, inp, fc1->w, rows, fc1->in, fc1->out);
}
