/* linear.c - the head of PatchTSMixerForTimeSeriesClassification and ...ForRegression:
 * the backbone output (after InjectScalerStatistics4D when the model has it) aggregated over
 * the patches into features [B, F], a linear F -> T (or the projections of a distribution
 * head), the output range for regression, cross-entropy, MSE or NLL, its backward pass and its
 * output views. It needs whole samples, so it always runs on the batch. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "heads/heads.h"
#include "layers/layers.h"

#define P3(a) ((const float *const *)(a))

static size_t features(const ptm_config *c) {
    return (size_t)c->d_model * c->num_input_channels *
           (c->head_aggregation == PTM_AGG_NONE ? (size_t)c->num_patches : 1);
}

static void linear_plan(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    ptmi_plan_add(pl, &ctx->s_feat, B * features(&ctx->model->cfg));
    if (ctx->training) ptmi_plan_add(pl, &ctx->d_feat, B * features(&ctx->model->cfg));
}

static ptm_status linear_check(const ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    if (!in->target_values || c->model_class != PTM_CLASS_REGRESSION) return PTM_OK;
    size_t nt = (size_t)in->batch * c->num_targets;
    for (size_t i = 0; i < nt; i++)
        if (!isfinite(in->target_values[i]))
            return ptmi_err(err, PTM_ERR_INPUT, NULL, "target_values", "value %zu is not finite",
                            i);
    return PTM_OK;
}

/* the point head: logits or values, the output range, cross-entropy or MSE */
static ptm_status point_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *feat,
                                ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    int B = in->batch, T = c->num_targets;
    size_t cnt = (size_t)B * T;
    linear_forward(ctx->out_main, feat, &ctx->model->p.head, (size_t)B);
    if (ctx->training) memcpy(ctx->raw[0], ctx->out_main, cnt * sizeof(float));
    if (c->has_output_range)
        output_range_forward(ctx->out_main, cnt, c->output_range[0], c->output_range[1]);
    if (c->model_class == PTM_CLASS_CLASSIFICATION && in->target_labels) {
        int bad = -1;
        ctx->loss[0] = cross_entropy_loss_forward(ctx->out_main, in->target_labels, B, T, &bad);
        if (bad >= 0)
            return ptmi_err(err, PTM_ERR_INPUT, NULL, "target_labels",
                            "class %lld of sample %d is outside [0, %d)",
                            (long long)in->target_labels[bad], bad, T);
        ctx->has_loss = 1;
    } else if (c->model_class == PTM_CLASS_REGRESSION && in->target_values) {
        ctx->loss[0] = mse_loss_forward(ctx->out_main, in->target_values, cnt);
        ctx->has_loss = 1;
    }
    return PTM_OK;
}

/* the distribution head (regression with loss "nll") */
static ptm_status dist_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *feat,
                               ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    int B = in->batch, T = c->num_targets;
    size_t cnt = (size_t)B * T;
    for (int j = 0; j < p->n_proj; j++)
        linear_forward(ctx->out_param[j], feat, &p->proj[j], (size_t)B);
    if (ctx->training)
        for (int j = 0; j < p->n_proj; j++)
            memcpy(ctx->raw[j], ctx->out_param[j], cnt * sizeof(float));
    dist_head_forward(ctx->out_param, ctx->out_mean, c->distribution_output, cnt, 1, T, NULL, NULL);
    if (!in->target_values) return PTM_OK;
    if (c->distribution_output == PTM_DIST_NEGATIVE_BINOMIAL)
        for (size_t i = 0; i < cnt; i++)
            if (in->target_values[i] < 0)
                return ptmi_err(err, PTM_ERR_INPUT, NULL, "target_values",
                                "negative value %g for a negative binomial head",
                                (double)in->target_values[i]);
    if (T == 1) {
        /* Hugging Face with num_targets 1: DistributionOutput(dim=1) squeezes each projection
         * [B, 1] to [B] (domain_map), so the distribution has batch shape [B] and no event
         * axis, while target_values stay [B, 1]; nll's log_prob(target) then broadcasts to
         * [B, B] (every target under every sample's distribution) and weighted_average takes
         * the mean of those B^2 terms. Reproduced as it is: the loss HF trains on. */
        double cross = nll_log_prob_cross_sum(P3(ctx->out_param), c->distribution_output, cnt,
                                              in->target_values);
        ctx->loss[0] = (float)(-cross / ((double)B * (double)B));
        ctx->has_loss = 1;
        return PTM_OK;
    }
    double lp = nll_log_prob_sum(P3(ctx->out_param), c->distribution_output, cnt, 1, T,
                                 in->target_values, NULL, NULL);
    ctx->loss[0] = (float)(-lp / B);
    ctx->has_loss = 1;
    return PTM_OK;
}

static ptm_status linear_head_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *last,
                                      int rows_done, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    int B = in->batch;
    linear_head_features_forward(ctx->s_feat, last, c->head_aggregation, B, c->num_input_channels,
                                 c->num_patches, c->d_model);
    const float *feat = ptmi_head_dropout(ctx, ctx->s_feat, (size_t)B * features(c));
    (void)rows_done;
    return c->loss == PTM_LOSS_NLL ? dist_forward(ctx, in, feat, err)
                                   : point_forward(ctx, in, feat, err);
}

static void linear_head_backward(ptm_ctx *ctx, ptmi_params *g, float *dlast) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    int B = ctx->batch, C = c->num_input_channels, N = c->num_patches, D = c->d_model,
        T = c->num_targets, F = (int)features(c);
    size_t cnt = (size_t)B * T;
    int head_drop = ptmi_head_dropout_on(ctx);
    const float *feat = head_drop ? ctx->head_in : ctx->s_feat;
    float **draw = ctx->d_raw;
    if (c->loss != PTM_LOSS_NLL) {
        float *dy = draw[0];
        if (c->model_class == PTM_CLASS_CLASSIFICATION)
            cross_entropy_loss_backward(dy, ctx->out_main, ctx->labels, B, T);
        else
            mse_loss_backward(dy, ctx->out_main, ctx->reg_targets, cnt);
        if (c->has_output_range)
            output_range_backward(dy, ctx->raw[0], cnt, c->output_range[0], c->output_range[1]);
        memset(ctx->d_feat, 0, (size_t)B * F * sizeof(float));
        linear_backward(ctx->d_feat, g->head.w, g->head.b, dy, feat, p->head.w, (size_t)B, F, T);
    } else {
        if (T == 1) /* the [B, B] broadcast of Hugging Face's loss (dist_forward) */
            nll_loss_backward_cross(draw, P3(ctx->out_param), P3(ctx->raw), c->distribution_output,
                                    cnt, ctx->reg_targets, -1.0 / ((double)B * (double)B));
        else
            nll_loss_backward(draw, P3(ctx->out_param), P3(ctx->raw), c->distribution_output, cnt,
                              1, T, ctx->reg_targets, NULL, NULL, -1.0 / B);
        memset(ctx->d_feat, 0, (size_t)B * F * sizeof(float));
        for (int j = 0; j < p->n_proj; j++)
            linear_backward(ctx->d_feat, g->proj[j].w, g->proj[j].b, draw[j], feat, p->proj[j].w,
                            (size_t)B, F, T);
    }
    if (head_drop)
        for (size_t i = 0; i < (size_t)B * F; i++) ctx->d_feat[i] *= ctx->head_mask[i];
    const float *agg_in = p->has_inject ? ctx->last : ctx->last_hidden;
    memset(dlast, 0, (size_t)B * C * N * D * sizeof(float));
    linear_head_features_backward(dlast, ctx->d_feat, agg_in, c->head_aggregation, B, C, N, D);
}

static void linear_head_outputs(ptm_ctx *ctx, int B) {
    const ptm_config *c = &ctx->model->cfg;
    int T = c->num_targets;
    const char *main_name =
        c->model_class == PTM_CLASS_REGRESSION ? "regression_outputs" : "prediction_outputs";
    if (c->loss != PTM_LOSS_NLL || c->model_class == PTM_CLASS_CLASSIFICATION) {
        ptmi_add_output(ctx, main_name, ctx->out_main, 2, B, T, 0, 0);
        return;
    }
    for (int j = 0; j < ctx->model->p.n_proj; j++) {
        char name[40];
        snprintf(name, sizeof name, "%s.%d", main_name, j);
        ptmi_add_output(ctx, name, ctx->out_param[j], 2, B, T, 0, 0);
    }
    ptmi_add_output(ctx, "distribution_mean", ctx->out_mean, 2, B, T, 0, 0);
}

const ptmi_head_ops ptmi_head_linear = {
    linear_plan, linear_check,        NULL, linear_head_forward, linear_head_backward,
    NULL,        linear_head_outputs,
};
