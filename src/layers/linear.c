/* linear.c - fully connected layer y = x W^T + b (torch.nn.Linear).
 * linear_forward_wb is the scalar reference (the oracle); linear_forward uses the transposed
 * weights kept by the model so that the inner loop runs over outputs (vectorisable, and summed in
 * the same order as the reference, so results are identical). */
#include "kernels/kernels.h"
#include "layers/layers.h"

void linear_forward(float *out, const float *inp, const ptmi_linear *lin, size_t rows) {
    linear_act_forward(out, inp, lin, rows, 0);
}

/* out = act(x W^T + b): the kernel table's linear layer (one fused pass with AVX2 or AVX-512;
 * otherwise the bias rows, the GEMM, then GELU - the same sums either way). Models keep wt for
 * every layer whose forward comes here (model.c: READ_T, READ_BOTH); the reference path without
 * it serves layers built by hand in the tests. */
void linear_act_forward(float *out, const float *inp, const ptmi_linear *lin, size_t rows,
                        int gelu) {
    if (lin->wp) { /* a large layer of a loaded model, packed at load (model.c) */
        ptmi_linear_packed(rows, (size_t)lin->out, (size_t)lin->in, inp, (size_t)lin->in, lin->wp,
                           lin->b, out, (size_t)lin->out, gelu);
        return;
    }
    if (!lin->wt) {
        linear_forward_wb(out, inp, lin->w, lin->b, rows, lin->in, lin->out);
        if (gelu) gelu_forward(out, out, rows * (size_t)lin->out);
        return;
    }
    size_t in = (size_t)lin->in, no = (size_t)lin->out;
    ptmi_linear_fused(rows, no, in, inp, in, lin->wt, no, lin->b, out, no, gelu);
}

void linear_forward_wb(float *out, const float *inp, const float *w, const float *b, size_t rows,
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
    size_t ni = (size_t)in, no = (size_t)out_features;
    if (dinp) ptmi_gemm_acc(rows, ni, no, dout, no, 1, w, ni, dinp, ni);
    if (dweight && inp) ptmi_gemm_acc(no, ni, rows, dout, 1, no, inp, ni, dweight, ni);
    if (dbias) ptmi_kernels()->col_sums(dbias, dout, rows, no);
}

void linear_backward_set(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *w, size_t rows, int in, int out_features) {
    size_t ni = (size_t)in, no = (size_t)out_features;
    ptmi_linear_fused(rows, ni, no, dout, no, w, ni, NULL, dinp, ni, 0); /* dinp = dout W */
    linear_backward(NULL, dweight, dbias, dout, inp, w, rows, in, out_features);
}
