/* mlp.c - PatchTSMixerMLP: fc1 -> GELU -> dropout -> fc2 -> dropout (eval: no dropout). */
#include "layers/layers.h"

void mlp_forward(float *out, float *hid, const float *inp, const ptm_linear *fc1,
                 const ptm_linear *fc2, size_t rows) {
    linear_forward(hid, inp, fc1->w, fc1->b, rows, fc1->in, fc1->out);
    gelu_forward(hid, hid, rows * (size_t)fc1->out);
    linear_forward(out, hid, fc2->w, fc2->b, rows, fc2->in, fc2->out);
}
