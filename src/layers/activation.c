/* activation.c - exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))), as torch's default. */
#include <math.h>

#include "layers/layers.h"

float gelu_scalar(float x) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

void gelu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = gelu_scalar(inp[i]);
}

/* d/dx [x Phi(x)] = Phi(x) + x phi(x) */
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
        dinp[i] += dout[i] * (cdf + x * pdf);
    }
}
