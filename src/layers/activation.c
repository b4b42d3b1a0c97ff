/* activation.c - GELU, x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))), torch's default (exact, not
 * tanh) form. gelu_scalar uses libm erff (the oracle); the layer runs the kernel table's GELU
 * (a vectorisable erf within 4.2e-7 of it: ptmi_gelu_fast in src/kernels/vec_ref.c), split over
 * the context's threads. */
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "layers/layers.h"

float gelu_scalar(float x) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

typedef struct {
    float *out;
    const float *inp, *dout;
    const ptmi_dropout *drop;
} gelu_job;

static void gelu_fwd_range(void *a, size_t b, size_t e) {
    const gelu_job *j = a;
    ptmi_kernels()->gelu(j->out + b, j->inp + b, e - b);
}

void gelu_forward(float *out, const float *inp, size_t n) {
    gelu_job j = {out, inp, NULL, NULL};
    ptmi_parallel_for(n, 65536, gelu_fwd_range, &j);
}

static void gelu_mask_range(void *a, size_t b, size_t e) {
    const gelu_job *j = a;
    ptmi_kernels()->gelu_mask(j->out + b, j->inp + b, &j->drop->key, j->drop->base + b, e - b);
}

void gelu_mask_forward(float *out, const float *inp, const ptmi_dropout *drop, size_t n) {
    gelu_job j = {out, inp, NULL, drop};
    ptmi_parallel_for(n, 65536, gelu_mask_range, &j);
}

static void dropout_mul_range(void *a, size_t b, size_t e) {
    const gelu_job *j = a;
    ptmi_kernels()->dropout_mul(j->out + b, j->inp + b, &j->drop->key, j->drop->base + b, e - b);
}

void dropout_apply(float *out, const float *inp, const ptmi_dropout *drop, size_t n) {
    gelu_job j = {out, inp, NULL, drop};
    ptmi_parallel_for(n, 65536, dropout_mul_range, &j);
}

static void gelu_bwd_set_range(void *a, size_t b, size_t e) {
    const gelu_job *j = a;
    ptmi_kernels()->gelu_backward_set(j->out + b, j->inp + b, j->dout + b,
                                      j->drop ? &j->drop->key : NULL,
                                      j->drop ? j->drop->base + b : 0, e - b);
}

/* dinp = dout * mask * GELU'(inp), written (drop NULL: no mask) */
void gelu_backward_set(float *dinp, const float *inp, const float *dout, const ptmi_dropout *drop,
                       size_t n) {
    gelu_job j = {dinp, inp, dout, drop};
    ptmi_parallel_for(n, 65536, gelu_bwd_set_range, &j);
}
