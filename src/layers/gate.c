/* gate.c - PatchTSMixerGatedAttention: x * softmax(Linear(x)) along the mixed axis. */
#include <math.h>

#include "layers/layers.h"

void gated_attention_forward(float *out, float *probs, const float *inp, const ptm_linear *gate,
                             size_t rows) {
    int w = gate->in;
    linear_fwd(probs, inp, gate, rows);
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

/* y = x * p, p = softmax(z), z = x W^T + b:
 *   dx = dy * p + W^T dz,  dz = p * (dp - sum(dp * p)),  dp = dy * x */
void gated_attention_backward(float *dinp, float *dz_scratch, const ptm_linear *gate,
                              ptm_linear *dgate, const float *dout, const float *inp,
                              const float *probs, size_t rows) {
    int w = gate->in;
    for (size_t r = 0; r < rows; r++) {
        const float *dy = dout + r * (size_t)w;
        const float *x = inp + r * (size_t)w;
        const float *p = probs + r * (size_t)w;
        float *dz = dz_scratch + r * (size_t)w;
        float *dx = dinp + r * (size_t)w;
        float dot = 0.0f;
        for (int i = 0; i < w; i++) dot += dy[i] * x[i] * p[i];
        for (int i = 0; i < w; i++) {
            dz[i] = p[i] * (dy[i] * x[i] - dot);
            dx[i] += dy[i] * p[i];
        }
    }
    linear_backward(dinp, dgate->w, dgate->b, dz_scratch, inp, gate->w, rows, w, w);
}
