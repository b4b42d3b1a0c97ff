/* attention.c - multi-head self-attention of the patch mixer (HF PatchTSMixerAttention, i.e.
 * BART attention with no mask and no cache), over the patches of each (batch, channel). */
#include <math.h>

#include "layers/layers.h"

void self_attention_forward(float *out, float *q, float *k, float *v, float *ctxbuf, float *scores,
                            const float *inp, const ptm_layer *layer, size_t seqs, int n, int d,
                            int heads) {
    size_t rows = seqs * (size_t)n;
    linear_forward(q, inp, layer->q.w, layer->q.b, rows, d, d);
    linear_forward(k, inp, layer->k.w, layer->k.b, rows, d, d);
    linear_forward(v, inp, layer->v.w, layer->v.b, rows, d, d);
    int dh = d / heads;
    float scaling = 1.0f / sqrtf((float)dh);
    for (size_t i = 0; i < rows * (size_t)d; i++) q[i] *= scaling;
    for (size_t s = 0; s < seqs; s++) {
        const float *qs = q + s * (size_t)n * d;
        const float *ks = k + s * (size_t)n * d;
        const float *vs = v + s * (size_t)n * d;
        float *cs = ctxbuf + s * (size_t)n * d;
        for (int h = 0; h < heads; h++) {
            int off = h * dh;
            for (int i = 0; i < n; i++) {
                const float *qi = qs + (size_t)i * d + off;
                float mx = -INFINITY;
                for (int j = 0; j < n; j++) {
                    const float *kj = ks + (size_t)j * d + off;
                    float acc = 0.0f;
                    for (int t = 0; t < dh; t++) acc += qi[t] * kj[t];
                    scores[j] = acc;
                    mx = acc > mx ? acc : mx;
                }
                float sum = 0.0f;
                for (int j = 0; j < n; j++) {
                    scores[j] = expf(scores[j] - mx);
                    sum += scores[j];
                }
                float inv = 1.0f / sum;
                float *ci = cs + (size_t)i * d + off;
                for (int t = 0; t < dh; t++) ci[t] = 0.0f;
                for (int j = 0; j < n; j++) {
                    float pj = scores[j] * inv;
                    const float *vj = vs + (size_t)j * d + off;
                    for (int t = 0; t < dh; t++) ci[t] += pj * vj[t];
                }
            }
        }
    }
    linear_forward(out, ctxbuf, layer->o.w, layer->o.b, rows, d, d);
}
