/* heads.c - the model heads on top of the backbone: forecasting (point and distribution
 * parameter projections), classification/regression (aggregation + linear + output range),
 * InjectScalerStatistics4D, and the pretraining head (a plain linear D -> P). */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layers.h"

/* out[b, t, j] = W[t] . hidden[b, sel[j]] + bias[t]: per forecast channel j one GEMM over the
 * batch (rows b of stride C N D) into rows [B, H], then scattered into [B, H, C'] */
void prediction_head_forward(float *out, float *rows, const float *hidden, const ptm_linear *lin,
                             const int *sel, int cs, int b, int c, int nd, int h) {
    for (int j = 0; j < cs; j++) {
        int ch = sel ? sel[j] : j;
        for (int bi = 0; bi < b; bi++)
            memcpy(rows + (size_t)bi * h, lin->b, (size_t)h * sizeof(float));
        if (lin->wt)
            ptm_gemm_acc((size_t)b, (size_t)h, (size_t)nd, hidden + (size_t)ch * nd, (size_t)c * nd,
                         1, lin->wt, (size_t)h, rows, (size_t)h);
        else
            for (int bi = 0; bi < b; bi++)
                linear_forward(rows + (size_t)bi * h, hidden + ((size_t)bi * c + ch) * nd, lin->w,
                               lin->b, 1, nd, h);
        for (int bi = 0; bi < b; bi++)
            for (int t = 0; t < h; t++)
                out[((size_t)bi * h + t) * cs + j] = rows[(size_t)bi * h + t];
    }
}

void linear_head_features(float *feat, const float *hidden, int agg, int b, int c, int n, int d) {
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

void inject_scale_forward(float *out, float *tmp, float *e4s, float *s2s, const float *hidden,
                          const float *loc, const float *scale, const ptm_params *p, int b, int c,
                          int n, int d) {
    float cat[2], e4l[4], s2l[2];
    for (int bi = 0; bi < b; bi++)
        for (int ch = 0; ch < c; ch++) {
            size_t bc = (size_t)bi * c + ch;
            float *e4 = e4s ? e4s + bc * 4 : e4l;
            float *s2 = s2s ? s2s + bc * 2 : s2l;
            cat[0] = loc[bc];
            cat[1] = scale[bc];
            linear_forward(e4, cat, p->inj_scale_exp.w, p->inj_scale_exp.b, 1, 2, 4);
            linear_forward(s2, e4, p->inj_scale_comp.w, p->inj_scale_comp.b, 1, 4, 2);
            for (int ni = 0; ni < n; ni++) {
                size_t row = ((size_t)bi * c + ch) * n + ni;
                const float *x = hidden + row * d;
                float *e = tmp + row * 2 * (size_t)d;
                const ptm_linear *ex = &p->inj_exp;
                for (int o = 0; o < 2 * d; o++) {
                    const float *w = ex->w + (size_t)o * (d + 2);
                    float acc = ex->b[o];
                    for (int i = 0; i < d; i++) acc += x[i] * w[i];
                    acc += s2[0] * w[d] + s2[1] * w[d + 1];
                    e[o] = acc;
                }
            }
        }
    linear_fwd(out, tmp, &p->inj_comp, (size_t)b * c * n);
}

void output_range_forward(float *x, size_t count, float lo, float hi) {
    for (size_t i = 0; i < count; i++) x[i] = 1.0f / (1.0f + expf(-x[i])) * (hi - lo) + lo;
}
