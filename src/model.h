/* model.h - internal structure of a loaded model and of an inference context.
 *
 * Parameters live in one flat float arena (llm.c style). `ptm_params` holds typed pointers into
 * it; `table` maps every Hugging Face tensor name to its pointer and shape, and is the only
 * place names are spelled: the loader, a future saver and the tests all walk it.
 *
 * Shapes use the golden README's letters: B batch, L context_length, C channels, N patches,
 * P patch_length, D d_model, H prediction_length, T num_targets, C' forecast channels.
 */
#ifndef PTM_MODEL_H
#define PTM_MODEL_H

#include "common.h"

typedef struct {
    float *w; /* [out, in] */
    float *b; /* [out] */
    int out, in;
} ptm_linear;

typedef struct {
    float *weight, *bias;              /* [D] */
    float *running_mean, *running_var; /* [D], BatchNorm only */
    int64_t *num_batches_tracked;      /* BatchNorm only */
} ptm_normp;

/* norm -> (gate) -> mlp along one axis (the channel, patch or feature axis) */
typedef struct {
    ptm_normp norm;
    ptm_linear fc1, fc2; /* [W*ef, W], [W, W*ef] */
    ptm_linear gate;     /* [W, W]; gate.w == NULL without gated_attn */
} ptm_mixer_block;

typedef struct {
    ptm_mixer_block channel; /* mix_channel only, W = C */
    ptm_mixer_block patch;   /* W = N */
    ptm_linear q, k, v, o;   /* self_attn only, [D, D] */
    ptm_normp norm_attn;     /* self_attn only */
    ptm_mixer_block feature; /* W = D */
} ptm_layer;

typedef struct {
    ptm_linear patcher;  /* [D, P] */
    float *position_enc; /* [N, D] or NULL */
    ptm_layer *layers;   /* [K] */
    ptm_linear head;     /* mse heads: Prediction [H, N*D], Cls/Reg [T, F], Pretraining [P, D] */
    ptm_linear proj[3];  /* nll heads: distribution parameter projections */
    int n_proj;
    int has_inject; /* Cls/Reg with std/mean scaling: InjectScalerStatistics4D */
    ptm_linear inj_scale_exp, inj_scale_comp; /* [4, 2], [2, 4] */
    ptm_linear inj_exp, inj_comp;             /* [2D, D+2], [D, 2D] */
} ptm_params;

typedef struct {
    char name[192];
    float *f32;   /* F32 tensors */
    int64_t *i64; /* I64 tensors (num_batches_tracked) */
    int ndim;
    int64_t shape[4];
    size_t numel;
    int trainable; /* 0 for buffers and the fixed sincos table */
} ptm_param_entry;

struct ptm_model {
    ptm_config cfg;
    float *arena; /* all F32 parameters and buffers */
    size_t arena_floats;
    int64_t *iarena; /* num_batches_tracked values */
    size_t iarena_count;
    ptm_params p;
    ptm_param_entry *table;
    int n_table;
};

/* Build the parameter table and the typed pointers for cfg into a freshly allocated model
 * (weights zeroed). Used by the loader and by training to create a new model. */
PTM_MUST_USE ptm_status ptm_model_build(const ptm_config *cfg, ptm_model **out, ptm_error *err);

#define PTM_MAX_OUTPUTS (16 + 1024)

struct ptm_ctx {
    const ptm_model *model;
    int max_batch;
    int keep_hidden;
    float *arena;
    size_t arena_floats;
    /* activations, sized for max_batch */
    float *scaled;              /* [B, L, C] scaled past values */
    float *loc, *scale;         /* [B, C] */
    float *loc_sel, *scale_sel; /* [B, C'] */
    float *patch_input;         /* [B, C, N, P] */
    float *masked_input;        /* [B, C, N, P] pretraining */
    float *mask;                /* [B, C, N] pretraining */
    float *embed;               /* [B, C, N, D] patch embedding (+ positional encoding) */
    float **hidden; /* K pointers to [B, C, N, D] (two alternating buffers without keep_hidden) */
    float *last;    /* [B, C, N, D] last_hidden_state (after injection for Cls/Reg) */
    /* scratch for the mixer layers */
    float *s_norm, *s_xt, *s_hid, *s_y, *s_gate; /* [BCND], [BCND], [BCND*ef], [BCND], [BCND] */
    float *s_q, *s_k, *s_v, *s_att;              /* [BCND] each (self_attn) */
    float *s_scores;                             /* [N] one row of scores */
    float *s_feat;                               /* [B, F] head features */
    float *s_inj;                                /* [B, C, N, 2D] injection hidden */
    float *s_target;                             /* [B, H, C'] forecast targets */
    int *s_int;                                  /* [max(B, N)] integer scratch */
    /* head outputs */
    float *out_main;     /* prediction_outputs / regression_outputs, sized for the class */
    float *out_param[3]; /* distribution parameters */
    float *out_mean;     /* distribution mean */
    float *loss;         /* [1] */
    int has_loss;
    int batch; /* batch of the last forward */
    /* output views */
    int n_outputs;
    ptm_tensor_view outputs[PTM_MAX_OUTPUTS];
    char out_names[PTM_MAX_OUTPUTS][32];
};

#endif
