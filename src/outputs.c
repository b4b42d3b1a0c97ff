/* outputs.c - the output views of a context: after each forward, every tensor a user (or the
 * golden files) can read, by its Hugging Face name, pointing into the context's arena: the
 * backbone's by the family's ops (backbone.h), the head's by the class's (heads/heads.h). */
#include <stdio.h>
#include <string.h>

#include "backbone.h"
#include "heads/heads.h"

void ptmi_add_output(ptm_ctx *ctx, const char *name, const float *data, int ndim, int64_t d0,
                     int64_t d1, int64_t d2, int64_t d3) {
    if (ctx->n_outputs >= PTMI_MAX_OUTPUTS) return;
    int i = ctx->n_outputs++;
    snprintf(ctx->out_names[i], sizeof ctx->out_names[i], "%s", name);
    ptm_tensor_view *v = &ctx->outputs[i];
    v->name = ctx->out_names[i];
    v->data = data;
    v->ndim = ndim;
    int64_t dims[4] = {d0, d1, d2, d3};
    for (int k = 0; k < 4; k++) v->shape[k] = k < ndim ? dims[k] : 0;
}

void ptmi_publish_scale(ptm_ctx *ctx, const ptmi_head_ops *ops, int B) {
    const ptm_config *c = &ctx->model->cfg;
    if (ops->scale_outputs) {
        ops->scale_outputs(ctx, B);
    } else {
        ptmi_add_output(ctx, "loc", ctx->loc, 3, B, 1, c->num_input_channels, 0);
        ptmi_add_output(ctx, "scale", ctx->scale, 3, B, 1, c->num_input_channels, 0);
    }
}

void ptmi_publish_outputs(ptm_ctx *ctx, const ptmi_head_ops *ops, int B, const float *last) {
    ctx->n_outputs = 0;
    ptmi_backbone_ops_for(ctx->model)->outputs(ctx, ops, B, last);
    if (ctx->has_loss) ptmi_add_output(ctx, "loss", ctx->loss, 0, 0, 0, 0, 0);
    if (ops->outputs) ops->outputs(ctx, B);
}

int ptm_ctx_num_outputs(const ptm_ctx *ctx) {
    return ctx ? ctx->n_outputs : 0;
}

ptm_status ptm_ctx_output_at(const ptm_ctx *ctx, int index, ptm_tensor_view *out, ptm_error *err) {
    if (!ctx || !out) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "NULL argument");
    if (index < 0 || index >= ctx->n_outputs)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "index", "output %d out of range [0, %d)", index,
                        ctx->n_outputs);
    *out = ctx->outputs[index];
    return PTM_OK;
}

ptm_status ptm_ctx_output(const ptm_ctx *ctx, const char *name, ptm_tensor_view *out,
                          ptm_error *err) {
    if (!ctx || !name || !out) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "NULL argument");
    for (int i = 0; i < ctx->n_outputs; i++) {
        if (strcmp(ctx->outputs[i].name, name) == 0) {
            *out = ctx->outputs[i];
            return PTM_OK;
        }
    }
    return ptmi_err(err, PTM_ERR_ARG, NULL, name,
                    "no output of this name after the last forward of a %s",
                    ptm_config_class_name(&ctx->model->cfg));
}
