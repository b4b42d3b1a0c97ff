/* linear.c - fully connected layer y = x W^T + b (torch.nn.Linear), scalar reference. */
#include "layers/layers.h"

void linear_forward(float *out, const float *inp, const float *w, const float *b, size_t rows,
                    int in, int out_features) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = inp + r * (size_t)in;
        float *y = out + r * (size_t)out_features;
        for (int o = 0; o < out_features; o++) {
            const float *wr = w + (size_t)o * (size_t)in;
            float acc = b ? b[o] : 0.0f;
            for (int i = 0; i < in; i++) acc += x[i] * wr[i];
            y[o] = acc;
        }
    }
}

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *w, size_t rows, int in, int out_features) {
    for (size_t r = 0; r < rows; r++) {
        const float *go = dout + r * (size_t)out_features;
        const float *x = inp ? inp + r * (size_t)in : NULL;
        float *gx = dinp ? dinp + r * (size_t)in : NULL;
        for (int o = 0; o < out_features; o++) {
            float g = go[o];
            if (g == 0.0f) continue;
            const float *wr = w + (size_t)o * (size_t)in;
            float *gw = dweight && x ? dweight + (size_t)o * (size_t)in : NULL;
            if (gx)
                for (int i = 0; i < in; i++) gx[i] += g * wr[i];
            if (gw)
                for (int i = 0; i < in; i++) gw[i] += g * x[i];
            if (dbias) dbias[o] += g;
        }
    }
}
