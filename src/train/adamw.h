/* adamw.h - AdamW optimiser, global gradient-norm clipping and learning-rate schedules, with
 * PyTorch's semantics (torch.optim.AdamW, torch.nn.utils.clip_grad_norm_,
 * torch.optim.lr_scheduler.OneCycleLR).
 *
 * Usage (one flat parameter vector with its gradient and two moment buffers, zeroed at start):
 *
 *     ptmi_adamw_params hp = ptmi_adamw_defaults();
 *     hp.lr = 3e-4f;
 *     ptmi_schedule sch = {PTM_LR_ONECYCLE, 3e-4f, total_steps, 0, 0.0f, 0.3f, 25.0f, 1e4f};
 *     for (int64_t s = 0; s < total_steps; s++) {
 *         ... compute grad ...
 *         ptmi_clip_grad_norm(grad, n, 1.0);
 *         hp.lr = ptmi_schedule_lr(&sch, s);
 *         ptmi_adamw_step(param, grad, m, v, n, NULL, &hp, s + 1);   // t counts from 1
 *     }
 *
 * Hyper-parameters are floats; they are used as the shortest decimal that rounds to that float
 * (1e-3f acts as Python's 1e-3), so a run configured with the same decimals as a PyTorch run
 * computes the same scalars. Element-wise arithmetic is float32 in PyTorch's operation order.
 */
#ifndef PTMI_TRAIN_ADAMW_H
#define PTMI_TRAIN_ADAMW_H

#include <stddef.h>
#include <stdint.h>

#include "patchtsmixer.h" /* ptm_lr_schedule */

typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
} ptmi_adamw_params;

/* PyTorch's AdamW defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2. */
ptmi_adamw_params ptmi_adamw_defaults(void);

/* One AdamW step (amsgrad off, maximize off) over n parameters. t is the step number after
 * this step, counting from 1. decay_mask (may be NULL = decay everything) holds 0/1 per
 * parameter: whether weight decay applies to it. m and v are the first and second moments. */
void ptmi_adamw_step(float *param, const float *grad, float *m, float *v, size_t n,
                     const unsigned char *decay_mask, const ptmi_adamw_params *p, int64_t t);

/* Global L2-norm clipping: total = sqrt(sum g^2) (accumulated in double); if max_norm > 0 and
 * max_norm / (total + 1e-6) < 1, every gradient is scaled by that factor. Returns total. */
double ptmi_clip_grad_norm(float *grad, size_t n, double max_norm);

typedef struct {
    ptm_lr_schedule kind;
    float base_lr; /* constant value, cosine peak, OneCycle max_lr */
    int64_t total_steps;
    int64_t warmup_steps;   /* cosine */
    float min_lr;           /* cosine */
    float pct_start;        /* OneCycle (PyTorch default 0.3) */
    float div_factor;       /* OneCycle (25) */
    float final_div_factor; /* OneCycle (1e4) */
} ptmi_schedule;

/* Learning rate for the 0-based step index `step`:
 *   constant: base_lr;
 *   cosine:   base_lr * step / warmup_steps during warm-up, then
 *             min_lr + (base_lr - min_lr) * (1 + cos(pi * progress)) / 2 with
 *             progress = (step - warmup_steps) / (total_steps - warmup_steps) clamped to [0, 1];
 *   onecycle: OneCycleLR(max_lr=base_lr, total_steps, pct_start, anneal_strategy='cos',
 *             div_factor, final_div_factor, three_phase=False) after `step` scheduler steps;
 *             step is clamped to [0, total_steps - 1]. */
float ptmi_schedule_lr(const ptmi_schedule *s, int64_t step);

#endif
