/* model.h - internal structure of a loaded model and of an inference context.
 *
 * Parameters live in one flat float arena (llm.c style). `ptmi_params` holds typed pointers into
 * it; `table` maps every Hugging Face tensor name to its pointer and shape, and is the only
 * place names are spelled: the loader, a future saver and the tests all walk it.
 *
 * Shapes use the golden README's letters: B batch, L context_length, C channels, N patches,
 * P patch_length, D d_model, H prediction_length, T num_targets, C' forecast channels.
 */
#ifndef PTMI_MODEL_H
#define PTMI_MODEL_H

#include "base/common.h"
#include "base/rng.h"
#include "kernels/kernels.h"

/* A linear layer's weight is kept in the layout(s) its readers need (ptmi_store, below): w in
 * Hugging Face's [out, in], wt transposed [in, out] for the forward kernels, wp the same
 * packed (large layers of loaded models). Any may be NULL in a loaded (inference-only) model;
 * b is never NULL for a layer that exists, so presence is tested with b. */
typedef struct {
    float *w;  /* [out, in], or NULL */
    float *b;  /* [out], NULL when the layer is absent */
    float *wt; /* [in, out], or NULL */
    float *wp; /* [in, out] packed (kernels.h; a loaded model's large mixer layers), or NULL */
    int out, in;
} ptmi_linear;

typedef struct {
    float *weight, *bias;              /* [D] */
    float *running_mean, *running_var; /* [D], BatchNorm only */
    int64_t *num_batches_tracked;      /* BatchNorm only */
} ptmi_normp;

/* norm -> (gate) -> mlp along one axis (the channel, patch or feature axis) */
typedef struct {
    ptmi_normp norm;
    ptmi_linear fc1, fc2; /* [W*ef, W], [W, W*ef] */
    ptmi_linear gate;     /* [W, W]; gate.b == NULL without gated_attn */
} ptmi_mixer_block;

typedef struct {
    ptmi_mixer_block channel; /* mix_channel only, W = C */
    ptmi_mixer_block patch;   /* W = N */
    ptmi_linear q, k, v, o;   /* self_attn only, [D, D] */
    ptmi_normp norm_attn;     /* self_attn only */
    ptmi_mixer_block feature; /* W = D */
} ptmi_layer;

typedef struct {
    char name[192];
    float *f32;   /* F32 tensors */
    int64_t *i64; /* I64 tensors (num_batches_tracked) */
    float *t;     /* 2-D weights: a transposed copy that ptmi_model_sync refreshes, or NULL */
    int form;     /* how f32 holds a 2-D weight (PTMI_STORE_LOADED): PTMI_FORM_* below */
    int ndim;
    int64_t shape[4];
    size_t numel;
    int trainable; /* 0 for buffers and the fixed sincos table */
} ptmi_param_entry;

/* the forms of ptmi_param_entry.form: as in the file ([out, in]), transposed ([in, out]), or
 * transposed and packed for the linear kernels (kernels.h, ptmi_packed_index) */
enum { PTMI_FORM_PLAIN = 0, PTMI_FORM_T = 1, PTMI_FORM_PACKED = 2 };
/* where element (r, c) of an entry's [R, C] tensor lies in its f32 in form PACKED (form T:
 * st_index_transposed; checkpoint.c hands either to the safetensors reader and writer) */
size_t ptmi_form_index_packed(size_t r, size_t c, size_t R, size_t C);

/* The shape of a stack of mixer layers: everything mixer.c needs besides the weights. A
 * PatchTSMixer model has one stack, of the config's shape (ptm_model.mixer); TinyTimeMixer's
 * adaptive-patching levels and its decoder each run a stack of another shape (N f patches of
 * width D / f, the decoder's width and channel mode), with the same layer code. */
typedef struct {
    int num_input_channels; /* C, the channels a mix_channel stack mixes */
    int num_patches;        /* N */
    int d_model;            /* D */
    int expansion_factor;
    ptm_mode mode;
    int gated_attn;
    ptm_norm norm_mlp;
    float norm_eps;
    int self_attn, self_attn_heads;
    float dropout;
    int patch_mixer; /* the layers have a patch mixer (TinyTimeMixer's have none where they
                        see one patch) */
} ptmi_mixer_shape;

/* A stack of mixer layers of one shape: PatchTSMixer's one, TinyTimeMixer's adaptive-patching
 * levels (each sees the [N, D] patches of a series as [N f, D / f]), its decoder's, its forecast
 * channel mixer's. */
typedef struct {
    ptmi_mixer_shape sh;
    int factor;         /* f: sub-patches per patch (1 = none) */
    int level;          /* a TinyTimeMixer adaptive-patching level block (hidden states:
                           input, reshaped input, layers, output) */
    ptmi_layer *layers; /* [n_layers], in the model's layer array */
    int n_layers;
} ptmi_stack;

/* TinyTimeMixer stacks per block: at most this many adaptive-patching levels (more are
 * refused by the config parser) */
#define PTMI_TTM_MAX_STACKS 32
#define PTMI_TTM_MAX_CATEGORICAL 64

/* TinyTimeMixer's parameters beyond the patcher and positional encoding of ptmi_params */
typedef struct {
    float *freq_emb;                     /* [vocab, P] frequency-token embedding, or NULL */
    ptmi_linear freq_l1, freq_l3;        /* [m, P], [D, m] */
    ptmi_stack enc[PTMI_TTM_MAX_STACKS]; /* encoder: levels from the finest split, or one */
    int n_enc;
    int has_decoder;
    ptmi_linear adapter;                      /* [Dd, D]; w NULL when D == Dd */
    ptmi_linear raw_emb;                      /* [Dd, P] decoder_raw_residual, or w NULL */
    float *cat_emb[PTMI_TTM_MAX_CATEGORICAL]; /* [vocab_k, Dd] */
    ptmi_stack dec[PTMI_TTM_MAX_STACKS];
    int n_dec;
    int has_fcm;
    ptmi_linear fcm_embedding; /* [2s, s] with fcm_use_mixer */
    ptmi_stack fcm;            /* the FCM mixer (n_layers 0 without fcm_use_mixer) */
    ptmi_linear fcm_gate;      /* [T s', T s'] with fcm_gated_attn */
    ptmi_linear fcm_mlp;       /* [P, T s'] */
} ptmi_ttm_params;

typedef struct {
    ptmi_linear patcher; /* [D, P] */
    float *position_enc; /* [N, D] or NULL */
    ptmi_layer *layers;  /* [K] */
    ptmi_linear head;    /* mse heads: Prediction [H, N*D], Cls/Reg [T, F], Pretraining [P, D] */
    ptmi_linear proj[3]; /* nll heads: distribution parameter projections */
    int n_proj;
    int has_inject; /* Cls/Reg with std/mean scaling: InjectScalerStatistics4D */
    ptmi_linear inj_scale_exp, inj_scale_comp; /* [4, 2], [2, 4] */
    ptmi_linear inj_exp, inj_comp;             /* [2D, D+2], [D, 2D] */
    ptmi_ttm_params ttm;                       /* family PTM_FAMILY_TTM */
} ptmi_params;

/* the shape of PatchTSMixer's one stack */
ptmi_mixer_shape ptmi_mixer_shape_of(const ptm_config *c);

/* The patch mixer's inference path without transposes (mixer.c, patch_mixer_direct) reads the
 * patch weights as [out, in]; it is taken only when they are at most this many bytes (fc1) and
 * there is no self-attention, and then only on kernel levels with a series kernel. */
#define PTMI_PATCH_DIRECT_MAX_BYTES ((size_t)1 << 18)
static inline int ptmi_patch_direct_possible(const ptmi_mixer_shape *sh) {
    size_t n = (size_t)sh->num_patches, e = n * (size_t)sh->expansion_factor;
    return !sh->self_attn && e * n * sizeof(float) <= PTMI_PATCH_DIRECT_MAX_BYTES;
}

/* The feature mixer's inference path in column form (mixer.c, feature_mixer_cols: d_model 16,
 * LayerNorm, rows in whole blocks of 16) reads the feature weights as [out, in]; on kernel levels
 * without it they are read as [in, out], so a loaded model keeps both (2.5 KB a layer). */
static inline int ptmi_feature_cols_possible(const ptmi_mixer_shape *sh) {
    return sh->d_model == 16 && sh->num_patches % 16 == 0 && sh->norm_mlp == PTM_NORM_LAYER;
}

/* Where a model keeps its 2-D weights:
 *  PTMI_STORE_TRAIN  both layouts, w in the arena (what gradients and AdamW address) and wt in
 *                    karena at the same offsets: models that are trained or built in code;
 *  PTMI_STORE_LOADED each weight once, in the layout its inference path reads (wt for most,
 *                    w for the channel mixer and InjectScalerStatistics4D; both only for patch
 *                    weights small enough for the direct path): a loaded model takes the size
 *                    of its file, and so does loading it. ptmi_model_make_trainable converts;
 *  PTMI_STORE_PLAIN  w only: gradient arenas. */
typedef enum { PTMI_STORE_TRAIN = 0, PTMI_STORE_LOADED = 1, PTMI_STORE_PLAIN = 2 } ptmi_store;

struct ptm_model {
    ptm_config cfg;
    ptmi_mixer_shape mixer; /* the shape of the mixer layers p.layers */
    float *arena;           /* all F32 parameters and buffers */
    size_t arena_floats;
    ptmi_store store;
    float *karena; /* transposed copies of 2-D weights (ptmi_model_sync): at the arena's offsets
                      (PTMI_STORE_TRAIN), packed (PTMI_STORE_LOADED), or NULL */
    size_t karena_floats;
    int64_t *iarena; /* num_batches_tracked values */
    size_t iarena_count;
    ptmi_params p;
    ptmi_param_entry *table;
    int n_table;
};

/* Build the parameter table and the typed pointers for cfg into a freshly allocated model
 * (weights zeroed) that stores its weights as store says. Used by the loader, by training to
 * create a new model and by contexts for gradient arenas. */
PTM_MUST_USE ptm_status ptmi_model_build(const ptm_config *cfg, ptmi_store store, ptm_model **out,
                                         ptm_error *err);
/* The bytes a model of cfg stored as store would take (parameters, transposed copies, buffers)
 * and its F32 and I64 element counts, after checking that it is supported and not over the
 * size limit (errors name file); nothing is allocated. */
PTM_MUST_USE ptm_status ptmi_model_count(const ptm_config *cfg, ptmi_store store, const char *file,
                                         uint64_t *bytes, size_t *floats, size_t *ints,
                                         ptm_error *err);
/* Refresh what is derived from the weights (the transposed copies used by the forward
 * kernels); call after changing weights. */
void ptmi_model_sync(ptm_model *m);
/* Convert a PTMI_STORE_LOADED model to PTMI_STORE_TRAIN (both layouts), for training or for
 * reading its weights in Hugging Face's layout; other stores are left alone. PTM_ERR_NOMEM
 * leaves the model as it was. Not while another thread uses the model. */
PTM_MUST_USE ptm_status ptmi_model_make_trainable(ptm_model *m, ptm_error *err);
/* ptm_model_load_ex with the store chosen (training code loads PTMI_STORE_TRAIN models) */
PTM_MUST_USE ptm_status ptmi_model_load(const char *dir, const ptm_load_params *params,
                                        ptmi_store store, ptm_model **out, ptm_error *err);
/* A view of m with `channels` input channels (channels.c, ptm_ctx_params.num_input_channels):
 * *out gets a copy of m's struct sharing its weights (free the struct only), or NULL when
 * channels is 0 or m's own count. Only a channel-independent TinyTimeMixer model can change its
 * count; others get PTM_ERR_UNSUPPORTED saying why. */
PTM_MUST_USE ptm_status ptmi_model_channel_view(const ptm_model *m, int channels, ptm_model **out,
                                                ptm_error *err);

/* an MLP dropout mask of a block cache, never stored (ptmi_drop_key): `base` is the index in
 * the whole mask of this view's first element (a shard's view starts inside it) */
typedef struct {
    ptmi_drop_key key;
    size_t base;
} ptmi_dropout;

typedef struct {
    float *norm;               /* [BCND] norm output */
    float *mean, *rstd;        /* LayerNorm: [B C N]; BatchNorm in training: [D] batch statistics */
    float *xt;                 /* [BCND] norm output with the mixed axis last (patch, channel) */
    float *gin;                /* channel mixer: gate output = MLP input */
    float *pre, *act;          /* [BCND ef] fc1 output, GELU output (after dropout) */
    float *y;                  /* [BCND] MLP output */
    float *gp;                 /* [BCND] gate softmax */
    float *gout;               /* [BCND] patch/feature gate output */
    ptmi_dropout drop1, drop2; /* MLP dropout masks (train mode, dropout > 0) */
} ptmi_block_cache;

typedef struct {
    ptmi_block_cache ch, pa, fe;
    float *h1, *h2; /* [BCND] after the channel mixer, after the patch mixer */
    float *q, *k, *v, *att_ctx, *att_out;      /* [BCND] self-attention */
    float *probs, *att_mask;                   /* [B C heads N N] or NULL */
    float *scores;                             /* [N] one row of attention scores (eval mode) */
    float *na_in, *na_out, *na_mean, *na_rstd; /* norm_attn input/output/statistics */
} ptmi_layer_cache;

typedef struct {
    int training;    /* dropout active; BatchNorm with batch statistics */
    float dropout;   /* probability */
    void *rng;       /* ptmi_rng * drawing the dropout masks */
    int masks_drawn; /* the layers' dropout masks are already drawn (mixer_layer_draw_masks) */
    int inference;   /* no backward follows: layers may skip what only backward reads */
} ptmi_run_mode;

/* scratch for backward, all [BCND] except hid/pre [BCND ef], dp_row [N] */
typedef struct {
    float *da, *db, *dc, *dd, *dhid, *dpre, *dz, *dq, *dk, *dv, *dctx, *dp_row;
} ptmi_grad_scratch;

#define PTMI_MAX_OUTPUTS (16 + 1024)

struct ptm_ctx {
    const ptm_model *model;
    struct ptm_model *view; /* the model with the channels of ptm_ctx_params (model points to
                               it), or NULL */
    int max_batch;
    int keep_hidden;
    float *arena;
    size_t arena_floats;
    /* activations, sized for max_batch */
    float *past_in, *mask_in;   /* [B, L, C] the last L steps of longer inputs (past_length) */
    float *scaled;              /* [B, L, C] scaled past values */
    float *loc, *scale;         /* [B, C] */
    float *loc_sel, *scale_sel; /* [B, C'] */
    float *patch_input;         /* [B, C, N, P] */
    float *masked_input;        /* [B, C, N, P] pretraining */
    float *mask;                /* [B, C, N] pretraining */
    float *embed;               /* [B, C, N, D] patch embedding (+ positional encoding) */
    float **hidden; /* K pointers to [B, C, N, D] (two alternating buffers without keep_hidden) */
    float *last;    /* [B, C, N, D] last_hidden_state (after injection for Cls/Reg) */
    /* mixer layer caches: K distinct ones in a training context, else one whose buffers are
     * shared scratch */
    ptmi_layer_cache *lc;
    float *s_noise;  /* [N] pretraining mask noise */
    float *s_feat;   /* [B, F] head features */
    float *s_inj;    /* [B, C, N, 2D] injection hidden */
    float *s_target; /* [B, H, C'] forecast targets */
    float *s_row;    /* [B, H] forecast rows of one channel (prediction_head_forward) */
    float *s_hrows;  /* eval, common_channel forecasting: [n_proj or 1][B C, H] head rows */
    int *s_int;      /* [max(B, N)] integer scratch */
    /* head outputs */
    float *out_main;     /* prediction_outputs / regression_outputs, sized for the class */
    float *out_param[3]; /* distribution parameters */
    float *out_mean;     /* distribution mean */
    float *loss;         /* [1] */
    int has_loss;
    int batch;              /* batch of the last forward */
    struct ptmi_pool *pool; /* worker threads, or NULL */
    float *pack;            /* the GEMM kernels' packing scratch, pack_floats per thread */
    size_t pack_floats;     /* per thread (the kernel table's pack_floats; 0: none) */
    int chunk_rows;         /* eval, common_channel: series (b, c) per pass through the model */
    int n_scratch;          /* eval mode: scratch sets (lc[0..n_scratch)), one per thread */
    /* training contexts (ptm_ctx_create_train): what ptm_backward needs */
    int training;
    ptmi_rng rng;            /* dropout masks */
    struct ptm_model *grads; /* d loss / d parameters, laid out like the model */
    /* data-parallel training (LayerNorm models): the batch is cut into n_shards fixed parts
     * (a function of the batch only, never of the thread count), each run through the
     * backbone forward and backward on one thread, its parameter gradients into
     * shard_grads[s] (shard_grads[0] = grads), then summed in shard order */
    int n_shards;
    struct ptm_model **shard_grads;
    float *shard_scores, *shard_dp_row; /* [n_shards, N] per-shard attention scratch */
    ptmi_grad_scratch gs;
    float *d_h, *d_h2;          /* [BCND] gradients of hidden states */
    float *head_mask, *head_in; /* head dropout mask and the head's (dropped) input */
    float *raw[3];              /* raw head outputs before the domain map / output range */
    float *d_raw[3];            /* d loss / d raw head outputs */
    float *d_feat;              /* [B, F] */
    float *d_inj;               /* [B, C, N, 2D] */
    float *inj_e4, *inj_s2;     /* [B C 4], [B C 2] InjectScalerStatistics4D statistics */
    const float *enc_in;        /* patcher input of the last forward */
    const float *last_hidden;   /* backbone output of the last forward (before injection) */
    const int64_t *labels;      /* classification targets of the last forward */
    const float *reg_targets;   /* regression targets of the last forward */
    struct ptmi_ttm_ctx *ttm;   /* TinyTimeMixer's activations (model/ttm_ctx.h), or NULL */
    /* output views */
    int n_outputs;
    ptm_tensor_view outputs[PTMI_MAX_OUTPUTS];
    char out_names[PTMI_MAX_OUTPUTS][48];
};

#endif
