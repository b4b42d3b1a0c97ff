/* adamw.c - AdamW, gradient-norm clipping and learning-rate schedules (see adamw.h).
 *
 * The update follows torch.optim.AdamW's single-tensor CPU path operation by operation:
 * scalars (1 - lr*wd, 1 - beta, bias corrections, step size) are computed in double, as
 * Python does, then each tensor operation rounds to float32 in the order PyTorch evaluates it
 * (mul_, add_(alpha), addcmul_(value), sqrt, div, add_, addcdiv_(value)). Every statement
 * below is one rounding step; where PyTorch's CPU kernels use a fused multiply-add (add_ with
 * alpha, addcmul_) the code calls fmaf, elsewhere no statement holds a multiply and an add that
 * a compiler could fuse. Checked bit for bit against torch 1.13 on CPU (tests/test_optim.c).
 */
#include "kernels/kernels.h"
#include "train/adamw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* The shortest decimal that rounds to f, as a double: 0.001f -> 0.001 (not 0.0010000000475). */
static double dec(float f) {
    if (!isfinite(f) || f == 0.0f) return (double)f;
    char buf[48];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        double d = strtod(buf, NULL);
        if ((float)d == f) return d;
    }
    return (double)f;
}

ptmi_adamw_params ptmi_adamw_defaults(void) {
    ptmi_adamw_params p;
    p.lr = 1e-3f;
    p.beta1 = 0.9f;
    p.beta2 = 0.999f;
    p.eps = 1e-8f;
    p.weight_decay = 1e-2f;
    return p;
}

void ptmi_adamw_step(float *param, const float *grad, float *m, float *v, size_t n,
                     const unsigned char *decay_mask, const ptmi_adamw_params *p, int64_t t) {
    if (!param || !grad || !m || !v || !p || n == 0) return;
    if (t < 1) t = 1;
    double lr = dec(p->lr), b1 = dec(p->beta1), b2 = dec(p->beta2), eps = dec(p->eps);
    double wd = dec(p->weight_decay);
    float decay = (float)(1.0 - lr * wd);
    float b1f = (float)b1, one_b1 = (float)(1.0 - b1);
    float b2f = (float)b2, one_b2 = (float)(1.0 - b2);
    double bc1 = 1.0 - pow(b1, (double)t);
    double bc2 = 1.0 - pow(b2, (double)t);
    double step_size = lr / bc1;
    float neg_step = (float)(-step_size);
    float bc2_sqrt = (float)sqrt(bc2);
    float epsf = (float)eps;
    /* the loop is the kernel table's (src/kernels/adamw_ref.c; the AVX2 kernel does the same
     * operations with FMA instructions, bit-identical) */
    ptmi_kernels()->adamw(param, grad, m, v, n, decay_mask, decay, b1f, one_b1, b2f, one_b2,
                          neg_step, bc2_sqrt, epsf);
}

double ptmi_clip_grad_norm(float *grad, size_t n, double max_norm) {
    if (!grad) return 0.0;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (double)grad[i] * (double)grad[i];
    double total = sqrt(ss);
    if (!(max_norm > 0.0)) return total;
    /* PyTorch: clip_coef = max_norm / (total_norm + 1e-6) on a float32 tensor, where a Python
     * number divided by a tensor is tensor.reciprocal() * number. */
    float tf = (float)total;
    float denom = tf + 1e-6f;
    float coef = 1.0f / denom;
    coef = coef * (float)max_norm;
    if (coef < 1.0f) {
        for (size_t i = 0; i < n; i++) grad[i] = grad[i] * coef;
    }
    return total;
}

static double anneal_cos(double start, double end, double pct) {
    double cos_out = cos(M_PI * pct) + 1.0;
    return end + (start - end) / 2.0 * cos_out;
}

float ptmi_schedule_lr(const ptmi_schedule *s, int64_t step) {
    if (!s) return 0.0f;
    double base = dec(s->base_lr);
    if (step < 0) step = 0;
    switch (s->kind) {
    case PTM_LR_CONSTANT:
        return s->base_lr;
    case PTM_LR_COSINE: {
        double min_lr = dec(s->min_lr);
        int64_t warm = s->warmup_steps > 0 ? s->warmup_steps : 0;
        if (step < warm) return (float)(base * (double)step / (double)warm);
        int64_t span = s->total_steps - warm;
        double progress = span > 0 ? (double)(step - warm) / (double)span : 1.0;
        if (progress > 1.0) progress = 1.0;
        return (float)(min_lr + (base - min_lr) * 0.5 * (1.0 + cos(M_PI * progress)));
    }
    case PTM_LR_ONECYCLE: {
        int64_t total = s->total_steps > 0 ? s->total_steps : 1;
        if (step > total - 1) step = total - 1;
        double initial_lr = base / dec(s->div_factor);
        double min_lr = initial_lr / dec(s->final_div_factor);
        double end1 = dec(s->pct_start) * (double)total - 1.0;
        double end2 = (double)(total - 1);
        double x = (double)step, start, end, from, to;
        if (x <= end1) {
            start = 0.0;
            end = end1;
            from = initial_lr;
            to = base;
        } else {
            start = end1;
            end = end2;
            from = base;
            to = min_lr;
        }
        double pct = end != start ? (x - start) / (end - start) : 1.0;
        return (float)anneal_cos(from, to, pct);
    }
    }
    return s->base_lr;
}
