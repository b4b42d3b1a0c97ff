/* attention.c - multi-head self-attention of the patch mixer (HF PatchTSMixerAttention, i.e.
 * BART attention with no mask and no cache), over the patches of each (batch, channel):
 *   q = (x Wq^T + bq) / sqrt(dh); k, v likewise unscaled; P = softmax(q k^T) per head;
 *   ctx = dropout(P) v; out = ctx Wo^T + bo.
 * With probs != NULL the softmax P [S, heads, N, N] (before dropout) is kept for backward,
 * otherwise one row of scores is computed at a time in `scores` [N]. */
#include <math.h>

#include "layers/layers.h"

void self_attention_forward(float *out, float *q, float *k, float *v, float *ctxbuf, float *scores,
                            float *probs, const float *drop_mask, const float *inp,
                            const ptmi_layer *layer, size_t seqs, int n, int d, int heads) {
    size_t rows = seqs * (size_t)n;
    linear_forward(q, inp, &layer->q, rows);
    linear_forward(k, inp, &layer->k, rows);
    linear_forward(v, inp, &layer->v, rows);
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
                size_t prow = ((s * (size_t)heads + (size_t)h) * (size_t)n + (size_t)i) * (size_t)n;
                float *sc = probs ? probs + prow : scores;
                const float *qi = qs + (size_t)i * d + off;
                float mx = -INFINITY;
                for (int j = 0; j < n; j++) {
                    const float *kj = ks + (size_t)j * d + off;
                    float acc = 0.0f;
                    for (int t = 0; t < dh; t++) acc += qi[t] * kj[t];
                    sc[j] = acc;
                    mx = acc > mx ? acc : mx;
                }
                float sum = 0.0f;
                for (int j = 0; j < n; j++) {
                    sc[j] = expf(sc[j] - mx);
                    sum += sc[j];
                }
                float inv = 1.0f / sum;
                for (int j = 0; j < n; j++) sc[j] *= inv;
                float *ci = cs + (size_t)i * d + off;
                for (int t = 0; t < dh; t++) ci[t] = 0.0f;
                for (int j = 0; j < n; j++) {
                    float pj = drop_mask ? sc[j] * drop_mask[prow + (size_t)j] : sc[j];
                    const float *vj = vs + (size_t)j * d + off;
                    for (int t = 0; t < dh; t++) ci[t] += pj * vj[t];
                }
            }
        }
    }
    linear_forward(out, ctxbuf, &layer->o, rows);
}

void self_attention_backward(float *dinp, ptmi_layer *dlayer, float *dq, float *dk, float *dv,
                             float *dctx, float *dp_row, const float *dout, const float *inp,
                             const float *q, const float *k, const float *v, const float *ctxbuf,
                             const float *probs, const float *drop_mask, const ptmi_layer *layer,
                             size_t seqs, int n, int d, int heads) {
    size_t rows = seqs * (size_t)n, total = rows * (size_t)d;
    for (size_t i = 0; i < total; i++) dctx[i] = dq[i] = dk[i] = dv[i] = 0.0f;
    linear_backward(dctx, dlayer->o.w, dlayer->o.b, dout, ctxbuf, layer->o.w, rows, d, d);
    int dh = d / heads;
    float scaling = 1.0f / sqrtf((float)dh);
    for (size_t s = 0; s < seqs; s++) {
        size_t base = s * (size_t)n * d;
        for (int h = 0; h < heads; h++) {
            int off = h * dh;
            for (int i = 0; i < n; i++) {
                size_t prow = ((s * (size_t)heads + (size_t)h) * (size_t)n + (size_t)i) * (size_t)n;
                const float *p = probs + prow;
                const float *gci = dctx + base + (size_t)i * d + off;
                /* dP (after dropout) = dctx v^T ; dv += P_drop^T dctx */
                float dot = 0.0f;
                for (int j = 0; j < n; j++) {
                    const float *vj = v + base + (size_t)j * d + off;
                    float *gvj = dv + base + (size_t)j * d + off;
                    float m = drop_mask ? drop_mask[prow + (size_t)j] : 1.0f;
                    float acc = 0.0f;
                    for (int t = 0; t < dh; t++) {
                        acc += gci[t] * vj[t];
                        gvj[t] += p[j] * m * gci[t];
                    }
                    dp_row[j] = acc * m;
                    dot += dp_row[j] * p[j];
                }
                /* dS = P (dP - <dP, P>); dq_i += dS k ; dk_j += dS_j q_i */
                const float *qi = q + base + (size_t)i * d + off;
                float *gqi = dq + base + (size_t)i * d + off;
                for (int j = 0; j < n; j++) {
                    float ds = p[j] * (dp_row[j] - dot);
                    const float *kj = k + base + (size_t)j * d + off;
                    float *gkj = dk + base + (size_t)j * d + off;
                    for (int t = 0; t < dh; t++) {
                        gqi[t] += ds * kj[t];
                        gkj[t] += ds * qi[t];
                    }
                }
            }
        }
    }
    for (size_t i = 0; i < total; i++) dq[i] *= scaling;
    linear_backward(dinp, dlayer->q.w, dlayer->q.b, dq, inp, layer->q.w, rows, d, d);
    linear_backward(dinp, dlayer->k.w, dlayer->k.b, dk, inp, layer->k.w, rows, d, d);
    linear_backward(dinp, dlayer->v.w, dlayer->v.b, dv, inp, layer->v.w, rows, d, d);
}
