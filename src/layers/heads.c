/* heads.c - the model heads on top of the backbone: forecasting (point and distribution
 * parameter projections), classification/regression (aggregation + linear + output range),
 * InjectScalerStatistics4D, and the pretraining head (a plain linear D -> P). */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layers.h"

/* out[b, t, j] = W[t] . hidden[b, sel[j]] + bias[t]: per forecast channel j one GEMM over the
 * batch (rows b of stride C N D) into rows [B, H], then scattered into [B, H, C'] */
void prediction_head_forward(float *out, float *rows, const float *hidden, const ptmi_linear *lin,
                             const int *sel, int cs, int b, int c, int nd, int h) {
    for (int j = 0; j < cs; j++) {
        int ch = sel ? sel[j] : j;
        for (int bi = 0; bi < b; bi++)
            memcpy(rows + (size_t)bi * h, lin->b, (size_t)h * sizeof(float));
        if (lin->wt)
            ptmi_gemm_acc((size_t)b, (size_t)h, (size_t)nd, hidden + (size_t)ch * nd,
                          (size_t)c * nd, 1, lin->wt, (size_t)h, rows, (size_t)h);
        else
            for (int bi = 0; bi < b; bi++)
                linear_forward_wb(rows + (size_t)bi * h, hidden + ((size_t)bi * c + ch) * nd,
                                  lin->w, lin->b, 1, nd, h);
        for (int bi = 0; bi < b; bi++)
            for (int t = 0; t < h; t++)
                out[((size_t)bi * h + t) * cs + j] = rows[(size_t)bi * h + t];
    }
}

/* prediction head backward: out[b, t, j] = W[t] . hin[b, sel[j]] + bias[t]. Per forecast
 * channel j two GEMMs over the batch, reading dout [B, H, C'] in place (strides H C' and C'):
 *   dhin[b, sel[j]] += dout[b, :, j] W       M = B, N = N D, K = H
 *   dW              += dout[:, :, j]^T hin    M = H, N = N D, K = B */
void prediction_head_backward(float *dhin, ptmi_linear *dlin, const float *dout, const float *hin,
                              const ptmi_linear *lin, const int *sel, int cs, int b, int c, int nd,
                              int h) {
    size_t hcs = (size_t)h * cs, cnd = (size_t)c * nd;
    for (int j = 0; j < cs; j++) {
        int ch = sel ? sel[j] : j;
        const float *g = dout + j;
        ptmi_gemm_acc((size_t)b, (size_t)nd, (size_t)h, g, hcs, (size_t)cs, lin->w, (size_t)nd,
                      dhin + (size_t)ch * nd, cnd);
        ptmi_gemm_acc((size_t)h, (size_t)nd, (size_t)b, g, (size_t)cs, hcs, hin + (size_t)ch * nd,
                      cnd, dlin->w, (size_t)nd);
        for (int bi = 0; bi < b; bi++)
            for (int t = 0; t < h; t++) dlin->b[t] += g[(size_t)bi * hcs + (size_t)t * cs];
    }
}

void linear_head_features_forward(float *feat, const float *hidden, int agg, int b, int c, int n,
                                  int d) {
    size_t f = (size_t)c * d * (agg == PTM_AGG_NONE ? (size_t)n : 1);
    for (int bi = 0; bi < b; bi++)
        for (int ch = 0; ch < c; ch++) {
            const float *hb = hidden + ((size_t)bi * c + ch) * n * d;
            float *o = feat + (size_t)bi * f;
            for (int di = 0; di < d; di++) {
                if (agg == PTM_AGG_NONE) {
                    for (int ni = 0; ni < n; ni++)
                        o[(size_t)ch * d * n + (size_t)di * n + ni] = hb[(size_t)ni * d + di];
                    continue;
                }
                float v;
                if (agg == PTM_AGG_USE_LAST) {
                    v = hb[(size_t)(n - 1) * d + di];
                } else if (agg == PTM_AGG_MAX_POOL) {
                    v = hb[di];
                    for (int ni = 1; ni < n; ni++) {
                        float x = hb[(size_t)ni * d + di];
                        v = x > v ? x : v;
                    }
                } else {
                    float s = 0.0f;
                    for (int ni = 0; ni < n; ni++) s += hb[(size_t)ni * d + di];
                    v = s / (float)n;
                }
                o[(size_t)ch * d + di] = v;
            }
        }
}

/* classification/regression aggregation backward: dfeat [B, F] -> dhidden [B, C, N, D] */
void linear_head_features_backward(float *dhidden, const float *dfeat, const float *hidden, int agg,
                                   int b, int c, int n, int d) {
    size_t f = (size_t)c * d * (agg == PTM_AGG_NONE ? (size_t)n : 1);
    for (int bi = 0; bi < b; bi++)
        for (int ch = 0; ch < c; ch++) {
            const float *hb = hidden + ((size_t)bi * c + ch) * n * d;
            float *dh = dhidden + ((size_t)bi * c + ch) * n * d;
            const float *g = dfeat + (size_t)bi * f;
            for (int di = 0; di < d; di++) {
                if (agg == PTM_AGG_NONE) {
                    for (int ni = 0; ni < n; ni++)
                        dh[(size_t)ni * d + di] += g[(size_t)ch * d * n + (size_t)di * n + ni];
                    continue;
                }
                float gv = g[(size_t)ch * d + di];
                if (agg == PTM_AGG_USE_LAST) {
                    dh[(size_t)(n - 1) * d + di] += gv;
                } else if (agg == PTM_AGG_MAX_POOL) {
                    int arg = 0; /* first maximum, as torch.max */
                    for (int ni = 1; ni < n; ni++)
                        if (hb[(size_t)ni * d + di] > hb[(size_t)arg * d + di]) arg = ni;
                    dh[(size_t)arg * d + di] += gv;
                } else {
                    for (int ni = 0; ni < n; ni++) dh[(size_t)ni * d + di] += gv / (float)n;
                }
            }
        }
}

void inject_scale_forward(float *out, float *tmp, float *e4s, float *s2s, const float *hidden,
                          const float *loc, const float *scale, const ptmi_params *p, int b, int c,
                          int n, int d) {
    float cat[2], e4l[4], s2l[2];
    for (int bi = 0; bi < b; bi++)
        for (int ch = 0; ch < c; ch++) {
            size_t bc = (size_t)bi * c + ch;
            float *e4 = e4s ? e4s + bc * 4 : e4l;
            float *s2 = s2s ? s2s + bc * 2 : s2l;
            cat[0] = loc[bc];
            cat[1] = scale[bc];
            linear_forward_wb(e4, cat, p->inj_scale_exp.w, p->inj_scale_exp.b, 1, 2, 4);
            linear_forward_wb(s2, e4, p->inj_scale_comp.w, p->inj_scale_comp.b, 1, 4, 2);
            for (int ni = 0; ni < n; ni++) {
                size_t row = ((size_t)bi * c + ch) * n + ni;
                const float *x = hidden + row * d;
                float *e = tmp + row * 2 * (size_t)d;
                const ptmi_linear *ex = &p->inj_exp;
                for (int o = 0; o < 2 * d; o++) {
                    const float *w = ex->w + (size_t)o * (d + 2);
                    float acc = ex->b[o];
                    for (int i = 0; i < d; i++) acc += x[i] * w[i];
                    acc += s2[0] * w[d] + s2[1] * w[d + 1];
                    e[o] = acc;
                }
            }
        }
    linear_forward(out, tmp, &p->inj_comp, (size_t)b * c * n);
}

/* InjectScalerStatistics4D backward: dout [BCN, D] -> dh [BCN, D] (accumulated) and the four
 * linears' gradients into g, from the forward's tmp [BCN, 2D], e4s [BC, 4], s2s [BC, 2] and
 * its input hidden. dtmp is [BCN, 2D] scratch. */
void inject_scale_backward(float *dh, ptmi_params *g, float *dtmp, const float *dout,
                           const float *tmp, const float *e4s, const float *s2s,
                           const float *hidden, const float *loc, const float *scale,
                           const ptmi_params *p, int b, int c, int n, int d) {
    size_t rows = (size_t)b * c * n;
    memset(dtmp, 0, rows * 2 * (size_t)d * sizeof(float));
    linear_backward(dtmp, g->inj_comp.w, g->inj_comp.b, dout, tmp, p->inj_comp.w, rows, 2 * d, d);
    const ptmi_linear *ex = &p->inj_exp;
    for (int bi = 0; bi < b; bi++)
        for (int ch = 0; ch < c; ch++) {
            size_t bc = (size_t)bi * c + ch;
            const float *s2 = s2s + bc * 2;
            const float *e4 = e4s + bc * 4;
            float ds2[2] = {0.0f, 0.0f};
            for (int ni = 0; ni < n; ni++) {
                size_t row = bc * n + ni;
                const float *x = hidden + row * d;
                const float *gt = dtmp + row * 2 * (size_t)d;
                float *gx = dh + row * d;
                for (int o = 0; o < 2 * d; o++) {
                    float gv = gt[o];
                    const float *w = ex->w + (size_t)o * (d + 2);
                    float *gw = g->inj_exp.w + (size_t)o * (d + 2);
                    g->inj_exp.b[o] += gv;
                    for (int i = 0; i < d; i++) {
                        gw[i] += gv * x[i];
                        gx[i] += gv * w[i];
                    }
                    gw[d] += gv * s2[0];
                    gw[d + 1] += gv * s2[1];
                    ds2[0] += gv * w[d];
                    ds2[1] += gv * w[d + 1];
                }
            }
            /* s2 = comp_s(e4); e4 = exp_s([loc, scale]) */
            float de4[4] = {0, 0, 0, 0};
            linear_backward(de4, g->inj_scale_comp.w, g->inj_scale_comp.b, ds2, e4,
                            p->inj_scale_comp.w, 1, 4, 2);
            float cat[2] = {loc[bc], scale[bc]};
            linear_backward(NULL, g->inj_scale_exp.w, g->inj_scale_exp.b, de4, cat,
                            p->inj_scale_exp.w, 1, 2, 4);
        }
}

void output_range_forward(float *x, size_t count, float lo, float hi) {
    for (size_t i = 0; i < count; i++) x[i] = 1.0f / (1.0f + expf(-x[i])) * (hi - lo) + lo;
}

/* d(raw) from d(out) of output_range_forward, in place: dy *= (hi - lo) s (1 - s), s =
 * sigmoid(raw) */
void output_range_backward(float *dy, const float *raw, size_t count, float lo, float hi) {
    float span = hi - lo;
    for (size_t i = 0; i < count; i++) {
        float sg = 1.0f / (1.0f + expf(-raw[i]));
        dy[i] *= span * sg * (1.0f - sg);
    }
}
