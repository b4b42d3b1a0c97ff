/* gate.c - PatchTSMixerGatedAttention: x * softmax(Linear(x)) along the mixed axis. */
#include <math.h>

#include "layers/layers.h"

void gated_attention_forward(float *out, float *probs, const float *inp, const ptm_linear *gate,
                             size_t rows) {
    int w = gate->in;
    linear_forward(probs, inp, gate->w, gate->b, rows, w, w);
    for (size_t r = 0; r < rows; r++) {
        float *p = probs + r * (size_t)w;
        const float *x = inp + r * (size_t)w;
        float *y = out + r * (size_t)w;
        float mx = p[0];
        for (int i = 1; i < w; i++) mx = p[i] > mx ? p[i] : mx;
        float sum = 0.0f;
        for (int i = 0; i < w; i++) {
            p[i] = expf(p[i] - mx);
            sum += p[i];
        }
        float inv = 1.0f / sum;
        for (int i = 0; i < w; i++) {
            p[i] *= inv;
            y[i] = x[i] * p[i];
        }
    }
}
