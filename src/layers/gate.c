/* gate.c - PatchTSMixerGatedAttention: x * softmax(Linear(x)) along the mixed axis.
 * The row loops run on the context's threads (ptmi_parallel_for), one row per call site. */
#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "layers/layers.h"

typedef struct {
    float *out, *probs, *dz;
    const float *inp, *dout, *cprobs, *res;
    int w;
} gate_job;

static void gate_fwd_range(void *a, size_t r0, size_t r1) {
    const gate_job *j = a;
    size_t o = r0 * (size_t)j->w;
    ptmi_kernels()->softmax_gate(j->out + o, j->probs + o, j->inp + o, r1 - r0, j->w,
                                 j->res ? j->res + o : NULL);
}

void gated_attention_forward(float *out, float *probs, const float *inp, const ptmi_linear *gate,
                             size_t rows) {
    gated_attention_forward_res(out, probs, inp, gate, rows, NULL);
}

/* out = inp * softmax(gate(inp)) + res: the gate with the block's residual added in the same
 * pass (the same sums as adding it afterwards) */
typedef struct {
    const ptmi_kernel_table *kt;
    float *out;
    const float *inp, *res;
    const ptmi_linear *gate;
} linear_gate_job;

static void linear_gate_range(void *a, size_t r0, size_t r1) {
    const linear_gate_job *j = a;
    size_t w = (size_t)j->gate->in, o = r0 * w;
    j->kt->linear_gate(r1 - r0, w, j->inp + o, w, j->gate->wt, w, j->gate->b,
                       j->res ? j->res + o : NULL, w, j->out + o, w);
}

void gated_attention_forward_res(float *out, float *probs, const float *inp,
                                 const ptmi_linear *gate, size_t rows, const float *res) {
    linear_forward(probs, inp, gate, rows);
    gate_job j = {out, probs, NULL, inp, NULL, NULL, res, gate->in};
    ptmi_parallel_for(rows, 4096, gate_fwd_range, &j);
}

/* the same for inference, where nothing reads the probabilities afterwards: one fused pass where
 * the kernel table has it (the same bits; probs is then left alone), else the two steps above */
void gated_attention_infer_res(float *out, float *probs, const float *inp, const ptmi_linear *gate,
                               size_t rows, const float *res) {
    const ptmi_kernel_table *kt = ptmi_kernels();
    size_t w = (size_t)gate->in;
    if (kt->linear_gate && gate->wt && w % kt->gate_width == 0 && w <= PTMI_GATE_MAX_D) {
        linear_gate_job j = {kt, out, inp, res, gate};
        /* rows split like the linear layer: below ~1M multiply-adds on one thread */
        size_t grain = (double)rows * (double)w * (double)w < 1048576.0 ? rows : 16;
        ptmi_parallel_for(rows, grain, linear_gate_range, &j);
        return;
    }
    gated_attention_forward_res(out, probs, inp, gate, rows, res);
}

/* y = x * p, p = softmax(z), z = x W^T + b:
 *   dx = dy * p + W^T dz,  dz = p * (dp - sum(dp * p)),  dp = dy * x
 * (the kernel: dz and dx += dy * p; then the gate's linear layer adds W^T dz) */
static void gate_bwd_range(void *a, size_t r0, size_t r1) {
    const gate_job *j = a;
    size_t o = r0 * (size_t)j->w;
    ptmi_kernels()->gate_backward(j->out + o, j->dz + o, j->dout + o, j->inp + o, j->cprobs + o,
                                  r1 - r0, j->w);
}

void gated_attention_backward(float *dinp, float *dz_scratch, const ptmi_linear *gate,
                              ptmi_linear *dgate, const float *dout, const float *inp,
                              const float *probs, size_t rows) {
    int w = gate->in;
    gate_job j = {dinp, NULL, dz_scratch, inp, dout, probs, NULL, w};
    ptmi_parallel_for(rows, 4096, gate_bwd_range, &j);
    linear_backward(dinp, dgate->w, dgate->b, dz_scratch, inp, gate->w, rows, w, w);
}

/* softmax down each column j of an [r, w] block: probs[., j] = softmax(probs[., j]) in place,
 * out = inp * probs (+ res when not NULL) */
void softmax_cols_gate(float *out, float *probs, const float *inp, int r, size_t w,
                       const float *res) {
    ptmi_kernels()->softmax_cols_gate(out, probs, inp, r, w, res);
}

/* The gate along the rows of a [r, w] block x (the mixed axis down the columns, as the channel
 * mixer sees [C, N D] in eval mode): probs = softmax over i of (Wg x + bg)[i, j] for each column
 * j, out = x * probs. probs doubles as the logits buffer. */
void gated_attention_cols_forward(float *out, float *probs, const float *inp,
                                  const ptmi_linear *gate, int r, size_t w) {
    for (int i = 0; i < r; i++) {
        float *p = probs + (size_t)i * w;
        for (size_t j = 0; j < w; j++) p[j] = gate->b[i];
    }
    /* logits: [r, r] weights (row-major: A(i, k) = w[i r + k]) times x [r, w] */
    ptmi_gemm_acc((size_t)r, w, (size_t)r, gate->w, (size_t)r, 1, inp, w, probs, w);
    softmax_cols_gate(out, probs, inp, r, w, NULL);
}
