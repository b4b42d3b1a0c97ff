/* heads.h - what is specific to a model class, as a small table of operations.
 *
 * The backbone (scaling, patching, masking, patch embedding, the mixer layers and
 * InjectScalerStatistics4D) is the same for every class; the head on top of it, its loss, its
 * backward pass, its buffers and its outputs are not. Each class fills one ptmi_head_ops
 * (forecast.c, linear.c, pretrain.c; heads.c holds the table and the backbone-only
 * class), so that ctx.c, forward.c, exec.c and backward.c call the head without knowing which
 * it is. Adding a model class = a file with its ops + an entry in ptmi_head_ops_for.
 *
 * Also here: the arena planner the ops add their buffers with (ctx.c), and the output views
 * (outputs.c).
 */
#ifndef PTMI_HEAD_H
#define PTMI_HEAD_H

#include "model/model.h"

/* ---------------------------------------------------------------- arena plan (ctx.c) */

/* A list of buffers to carve out of one float arena: each slot is a float* to set and its
 * size. Nothing is allocated until every slot is known. */
typedef struct {
    float **ptr;
    size_t count;
} ptmi_slot;

typedef struct {
    ptmi_slot *v;
    int n, cap;
    int bad; /* out of memory while growing the list */
} ptmi_plan;

/* *ptr will point at count floats (at least 1) of the context's arena */
void ptmi_plan_add(ptmi_plan *pl, float **ptr, size_t count);

/* ---------------------------------------------------------------- head operations */

typedef struct {
    /* the head's buffers for a batch of B: its outputs and scratch, and in a training context
     * what its backward reads (raw outputs, gradients, the dropout mask) */
    void (*plan)(ptmi_plan *pl, ptm_ctx *ctx, size_t B);
    /* refuse targets that cannot be used (before anything runs); NULL: none */
    ptm_status (*check)(const ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err);
    /* eval mode, inside a chunk of series: the head on series [r0, r0 + n) of the backbone
     * output h (rows of N D), rows_total = B C. NULL: the head needs whole samples and runs in
     * forward. */
    void (*forward_rows)(ptm_ctx *ctx, const float *h, size_t r0, size_t n, size_t rows_total);
    /* the batch: the head (unless forward_rows ran: rows_done), the distribution maps and the
     * loss when the inputs give targets. last is the backbone output [B, C, N, D]. */
    ptm_status (*forward)(ptm_ctx *ctx, const ptm_inputs *in, const float *last, int rows_done,
                          ptm_error *err);
    /* d loss / d(head input) written (not accumulated) into dlast [B, C, N, D], parameter
     * gradients into g; NULL: the class has no loss */
    void (*backward)(ptm_ctx *ctx, ptmi_params *g, float *dlast);
    /* the "loc" and "scale" views (and their variants); NULL: the scaler's [B, 1, C] */
    void (*scale_outputs)(ptm_ctx *ctx, int B);
    /* the head's output views, after the backbone's */
    void (*outputs)(ptm_ctx *ctx, int B);
} ptmi_head_ops;

/* the operations of a config's model class within its family (heads.c) */
const ptmi_head_ops *ptmi_head_ops_for(const ptm_config *c);

extern const ptmi_head_ops ptmi_head_forecast; /* forecast.c: PatchTSMixerForPrediction */
extern const ptmi_head_ops ptmi_head_linear;   /* linear.c: ...Classification, ...Regression */
extern const ptmi_head_ops ptmi_head_pretrain; /* pretrain.c: PatchTSMixerForPretraining */
extern const ptmi_head_ops ptmi_head_ttm;      /* ttm.c: TinyTimeMixerForPrediction */

/* ttm_fcm.c: TinyTimeMixer's forecast channel mixer: its buffers for a batch of B, and the
 * mixer on the scaled base forecast base [B, Hf, P] into out [B, Hf, P] */
void ptmi_ttm_fcm_plan(ptmi_plan *pl, ptm_ctx *ctx, size_t B);
void ptmi_ttm_fcm_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *base, float *out);
/* its backward (train mode): d [B, Hf, P] holds d(out) and becomes d(base) */
void ptmi_ttm_fcm_backward(ptm_ctx *ctx, ptmi_params *g, float *d);

/* shared by the heads (heads.c): train-mode head dropout, head_in = x * mask over n values
 * (drawn from the context's rng); returns what the head reads (x itself when off) */
const float *ptmi_head_dropout(ptm_ctx *ctx, const float *x, size_t n);
/* 1 when the training forward applied head dropout (head_in holds the head's input) */
int ptmi_head_dropout_on(const ptm_ctx *ctx);
/* size of a head's main output for a batch of B */
size_t ptmi_head_main_count(const ptm_config *c, size_t B);

/* ---------------------------------------------------------------- output views (outputs.c) */

/* append a view named name of data with ndim dimensions d0.. (ignored beyond ndim) */
void ptmi_add_output(ptm_ctx *ctx, const char *name, const float *data, int ndim, int64_t d0,
                     int64_t d1, int64_t d2, int64_t d3);
/* every view of the last forward of B samples, the head's included */
void ptmi_publish_outputs(ptm_ctx *ctx, const ptmi_head_ops *ops, int B, const float *last);
/* the "loc" and "scale" views: the head's (ops->scale_outputs) or the scaler's [B, 1, C] */
void ptmi_publish_scale(ptm_ctx *ctx, const ptmi_head_ops *ops, int B);

#endif
