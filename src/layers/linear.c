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
