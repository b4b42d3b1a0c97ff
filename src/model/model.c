/* model.c - config -> parameter table -> arena (loading and saving: checkpoint.c).
 *
 * layout() walks a PatchTSMixer model (TinyTimeMixer: ttm_layout.c, by the table FAMILIES) in
 * Hugging Face's state_dict order and, for every tensor, records
 * its HF name, shape and place in the flat arena. It runs twice: once to count, once to assign
 * pointers; the loader (checkpoint.c) then fills the slots from model.safetensors.
 */
#include "model/model.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "kernels/kernels.h"
#include "model/layout.h"

/* The largest model accepted (parameters + buffers), checked before allocating. */
#define PTMI_MAX_PARAMS ((size_t)1 << 31)

float *ptmi_walk_f32(ptmi_walker *w, const char *name, int trainable, int ndim, int64_t d0,
                     int64_t d1) {
    size_t numel = 1;
    int64_t dims[2] = {d0, d1};
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0 || ptmi_mul_size(numel, (size_t)dims[i], &numel) != 0) w->overflow = 1;
    }
    float *ptr = NULL;
    if (w->assign) {
        ptmi_param_entry *e = &w->m->table[w->n];
        snprintf(e->name, sizeof e->name, "%s", name);
        e->ndim = ndim;
        for (int i = 0; i < ndim; i++) e->shape[i] = dims[i];
        e->numel = numel;
        e->trainable = trainable;
        e->f32 = ptr = w->m->arena + w->foff;
        e->i64 = NULL;
        e->t = NULL;
        e->form = PTMI_FORM_PLAIN;
    }
    if (ptmi_add_size(w->foff, numel, &w->foff) != 0) w->overflow = 1;
    w->n++;
    return ptr;
}

int64_t *ptmi_walk_i64(ptmi_walker *w, const char *name) {
    int64_t *ptr = NULL;
    if (w->assign) {
        ptmi_param_entry *e = &w->m->table[w->n];
        snprintf(e->name, sizeof e->name, "%s", name);
        e->ndim = 0;
        e->numel = 1;
        e->trainable = 0;
        e->f32 = NULL;
        e->i64 = ptr = w->m->iarena + w->ioff;
    }
    w->ioff++;
    w->n++;
    return ptr;
}

/* Place the weight the walker just added (slot) in the store's layout(s) (model.h). */
static void place_weight(ptmi_walker *w, float *slot, size_t numel, ptmi_read rd,
                         ptmi_linear *lin) {
    ptm_model *m = w->m;
    ptmi_param_entry *e = w->assign ? &m->table[w->n - 1] : NULL;
    lin->wp = NULL;
    switch (w->store) {
    case PTMI_STORE_TRAIN:
        lin->w = slot;
        lin->wt = w->assign ? m->karena + (slot - m->arena) : NULL;
        if (e) e->t = lin->wt;
        break;
    case PTMI_STORE_PLAIN:
        lin->w = slot;
        lin->wt = NULL;
        break;
    case PTMI_STORE_LOADED:
        if (rd == PTMI_READ_PACKED) { /* packed when large, else read as wt */
            if (ptmi_packed_weight((size_t)lin->in, (size_t)lin->out)) {
                lin->w = lin->wt = NULL;
                lin->wp = slot;
                if (e) e->form = PTMI_FORM_PACKED;
                break;
            }
            rd = PTMI_READ_T;
        }
        lin->w = rd == PTMI_READ_T ? NULL : slot;
        lin->wt = rd == PTMI_READ_T ? slot : NULL;
        if (e) e->form = rd == PTMI_READ_T ? PTMI_FORM_T : PTMI_FORM_PLAIN;
        if (rd == PTMI_READ_BOTH) {
            lin->wt = w->assign ? m->karena + w->koff : NULL;
            if (e) e->t = lin->wt;
            if (ptmi_add_size(w->koff, numel, &w->koff) != 0) w->overflow = 1;
        }
        break;
    }
}

void ptmi_walk_linear(ptmi_walker *w, const char *name, int out, int in, ptmi_read rd,
                      ptmi_linear *lin) {
    char buf[192];
    snprintf(buf, sizeof buf, "%s%s.weight", w->prefix, name);
    float *slot = ptmi_walk_f32(w, buf, 1, 2, out, in);
    lin->out = out;
    lin->in = in;
    place_weight(w, slot, (size_t)out * (size_t)in, rd, lin);
    snprintf(buf, sizeof buf, "%s%s.bias", w->prefix, name);
    lin->b = ptmi_walk_f32(w, buf, 1, 1, out, 0);
}

void ptmi_walk_norm(ptmi_walker *w, const char *name, int d, ptm_norm norm, ptmi_normp *np) {
    char buf[192];
    memset(np, 0, sizeof *np);
    if (norm == PTM_NORM_BATCH) {
        snprintf(buf, sizeof buf, "%s%s.norm.batchnorm.weight", w->prefix, name);
        np->weight = ptmi_walk_f32(w, buf, 1, 1, d, 0);
        snprintf(buf, sizeof buf, "%s%s.norm.batchnorm.bias", w->prefix, name);
        np->bias = ptmi_walk_f32(w, buf, 1, 1, d, 0);
        snprintf(buf, sizeof buf, "%s%s.norm.batchnorm.running_mean", w->prefix, name);
        np->running_mean = ptmi_walk_f32(w, buf, 0, 1, d, 0);
        snprintf(buf, sizeof buf, "%s%s.norm.batchnorm.running_var", w->prefix, name);
        np->running_var = ptmi_walk_f32(w, buf, 0, 1, d, 0);
        snprintf(buf, sizeof buf, "%s%s.norm.batchnorm.num_batches_tracked", w->prefix, name);
        np->num_batches_tracked = ptmi_walk_i64(w, buf);
    } else {
        snprintf(buf, sizeof buf, "%s%s.norm.weight", w->prefix, name);
        np->weight = ptmi_walk_f32(w, buf, 1, 1, d, 0);
        snprintf(buf, sizeof buf, "%s%s.norm.bias", w->prefix, name);
        np->bias = ptmi_walk_f32(w, buf, 1, 1, d, 0);
    }
}

/* norm (of the stack's width) -> mlp -> gate along one axis of width `width` */
static void walk_block(ptmi_walker *w, const char *name, int width, const ptmi_mixer_shape *sh,
                       ptmi_read rd, ptmi_mixer_block *blk) {
    char buf[160];
    int ef = sh->expansion_factor;
    if (rd == PTMI_READ_T) rd = PTMI_READ_PACKED; /* the MLP and gate read wt as linear layers */
    snprintf(buf, sizeof buf, "%s.norm", name);
    ptmi_walk_norm(w, buf, sh->d_model, sh->norm_mlp, &blk->norm);
    snprintf(buf, sizeof buf, "%s.mlp.fc1", name);
    ptmi_walk_linear(w, buf, width * ef, width, rd, &blk->fc1);
    snprintf(buf, sizeof buf, "%s.mlp.fc2", name);
    ptmi_walk_linear(w, buf, width, width * ef, rd, &blk->fc2);
    memset(&blk->gate, 0, sizeof blk->gate);
    if (sh->gated_attn) {
        snprintf(buf, sizeof buf, "%s.gating_block.attn_layer", name);
        ptmi_walk_linear(w, buf, width, width, rd, &blk->gate);
    }
}

void ptmi_walk_layer(ptmi_walker *w, const char *base, const ptmi_mixer_shape *sh, ptmi_layer *L) {
    char buf[256];
    int C = sh->num_input_channels, N = sh->num_patches, D = sh->d_model;
    if (sh->patch_mixer) {
        snprintf(buf, sizeof buf, "%s.patch_mixer", base);
        walk_block(w, buf, N, sh, ptmi_patch_direct_possible(sh) ? PTMI_READ_BOTH : PTMI_READ_T,
                   &L->patch);
    }
    if (sh->patch_mixer && sh->self_attn) {
        snprintf(buf, sizeof buf, "%s.patch_mixer.self_attn_layer.k_proj", base);
        ptmi_walk_linear(w, buf, D, D, PTMI_READ_T, &L->k);
        snprintf(buf, sizeof buf, "%s.patch_mixer.self_attn_layer.v_proj", base);
        ptmi_walk_linear(w, buf, D, D, PTMI_READ_T, &L->v);
        snprintf(buf, sizeof buf, "%s.patch_mixer.self_attn_layer.q_proj", base);
        ptmi_walk_linear(w, buf, D, D, PTMI_READ_T, &L->q);
        snprintf(buf, sizeof buf, "%s.patch_mixer.self_attn_layer.out_proj", base);
        ptmi_walk_linear(w, buf, D, D, PTMI_READ_T, &L->o);
        snprintf(buf, sizeof buf, "%s.patch_mixer.norm_attn", base);
        ptmi_walk_norm(w, buf, D, sh->norm_mlp, &L->norm_attn);
    }
    snprintf(buf, sizeof buf, "%s.feature_mixer", base);
    walk_block(w, buf, D, sh, ptmi_feature_cols_possible(sh) ? PTMI_READ_BOTH : PTMI_READ_T,
               &L->feature);
    if (sh->mode == PTM_MODE_MIX_CHANNEL) {
        snprintf(buf, sizeof buf, "%s.channel_feature_mixer", base);
        walk_block(w, buf, C, sh, PTMI_READ_W, &L->channel);
    }
}

static void add_inject(ptmi_walker *w, ptmi_params *p) {
    int d = w->m->cfg.d_model;
    const char *pre = w->prefix;
    w->prefix = "";
    ptmi_walk_linear(w, "inject_scale.inverse_trans_expansion", 2 * d, d + 2, PTMI_READ_W,
                     &p->inj_exp);
    ptmi_walk_linear(w, "inject_scale.inverse_trans_compression", d, 2 * d, PTMI_READ_T,
                     &p->inj_comp);
    ptmi_walk_linear(w, "inject_scale.map_scale_expansion", 4, 2, PTMI_READ_W, &p->inj_scale_exp);
    ptmi_walk_linear(w, "inject_scale.map_scale_compression", 2, 4, PTMI_READ_W,
                     &p->inj_scale_comp);
    w->prefix = pre;
}

static int dist_num_params(ptm_dist d) {
    return d == PTM_DIST_STUDENT_T ? 3 : 2;
}

/* Walks every tensor in HF state_dict order. */
static void layout(ptmi_walker *w) {
    ptm_model *m = w->m;
    const ptm_config *c = &m->cfg;
    ptmi_params *p = &m->p;
    int C = c->num_input_channels, N = c->num_patches, D = c->d_model, P = c->patch_length;
    char buf[256];
    w->prefix = c->model_class == PTM_CLASS_MODEL ? "" : "model.";

    ptmi_walk_linear(w, "encoder.patcher", D, P, PTMI_READ_T, &p->patcher);
    p->position_enc = NULL;
    if (c->use_positional_encoding) {
        snprintf(buf, sizeof buf, "%sencoder.positional_encoder.position_enc", w->prefix);
        p->position_enc =
            ptmi_walk_f32(w, buf, c->positional_encoding_type == PTM_PE_RANDOM, 2, N, D);
    }
    ptmi_mixer_shape sh = ptmi_mixer_shape_of(c);
    for (int k = 0; k < c->num_layers; k++) {
        char base[64];
        snprintf(base, sizeof base, "encoder.mlp_mixer_encoder.mixers.%d", k);
        ptmi_walk_layer(w, base, &sh, w->assign ? &p->layers[k] : &(ptmi_layer){0});
    }

    /* heads: names without the "model." prefix */
    w->prefix = "";
    int nll = c->loss == PTM_LOSS_NLL;
    p->n_proj = 0;
    p->has_inject = 0;
    int F = D * C * (c->head_aggregation == PTM_AGG_NONE ? N : 1);
    switch (c->model_class) {
    case PTM_CLASS_MODEL:
        break;
    case PTM_CLASS_PREDICTION:
        if (nll) {
            p->n_proj = dist_num_params(c->distribution_output);
            for (int j = 0; j < p->n_proj; j++) {
                snprintf(buf, sizeof buf, "head.base_forecast_block.proj.%d", j);
                ptmi_walk_linear(w, buf, c->prediction_length, N * D, PTMI_READ_T, &p->proj[j]);
            }
        } else {
            ptmi_walk_linear(w, "head.base_forecast_block", c->prediction_length, N * D,
                             PTMI_READ_T, &p->head);
        }
        break;
    case PTM_CLASS_CLASSIFICATION:
        ptmi_walk_linear(w, "head.projection", c->num_targets, F, PTMI_READ_T, &p->head);
        if (c->scaling != PTM_SCALING_NONE) {
            p->has_inject = 1;
            add_inject(w, p);
        }
        break;
    case PTM_CLASS_REGRESSION:
        if (c->scaling != PTM_SCALING_NONE) {
            p->has_inject = 1;
            add_inject(w, p);
        }
        if (nll) {
            p->n_proj = dist_num_params(c->distribution_output);
            for (int j = 0; j < p->n_proj; j++) {
                snprintf(buf, sizeof buf, "head.projection.proj.%d", j);
                ptmi_walk_linear(w, buf, c->num_targets, F, PTMI_READ_T, &p->proj[j]);
            }
        } else {
            ptmi_walk_linear(w, "head.projection", c->num_targets, F, PTMI_READ_T, &p->head);
        }
        break;
    case PTM_CLASS_PRETRAINING:
        ptmi_walk_linear(w, "head.base_pt_block", P, D, PTMI_READ_T, &p->head);
        break;
    }
}

static ptm_status check_supported(const ptm_config *c, const char *file, ptm_error *err) {
    if (c->family != PTM_FAMILY_TTM && c->loss != PTM_LOSS_MSE && c->loss != PTM_LOSS_NLL)
        return ptmi_err(err, PTM_ERR_UNSUPPORTED, file, "loss",
                        "\"%s\" is a TinyTimeMixer loss; PatchTSMixer trains with \"mse\" or "
                        "\"nll\"",
                        (unsigned)c->loss <= PTM_LOSS_HUBER ? ptmi_loss_names[c->loss] : "?");
    if (c->loss == PTM_LOSS_NLL && c->model_class == PTM_CLASS_PREDICTION &&
        c->prediction_length == 1)
        return ptmi_err(err, PTM_ERR_UNSUPPORTED, file, "prediction_length",
                        "loss \"nll\" with prediction_length 1 is not supported (Hugging Face "
                        "squeezes the horizon axis away and mis-shapes the distribution)");
    return PTM_OK;
}

/* layout() forms int products of the config's sizes (fc widths W*ef, head inputs N*D and
 * D*C*N, 2*D): each must fit in an int before layout() runs. A product beyond INT_MAX is one
 * dimension of a weight, so such a model is over PTMI_MAX_PARAMS anyway: PTM_ERR_LIMIT. */
static ptm_status check_dims(const ptm_config *c, const char *file, ptm_error *err) {
    if (c->num_input_channels < 1 || c->d_model < 1 || c->expansion_factor < 1 ||
        c->num_layers < 0 || c->num_patches < 1 || c->patch_length < 1 ||
        c->prediction_length < 1 || c->num_targets < 1)
        return ptmi_err(err, PTM_ERR_CONFIG, file, NULL,
                        "sizes must be positive (num_input_channels %d, d_model %d, "
                        "expansion_factor %d, num_layers %d, prediction_length %d, num_targets %d)",
                        c->num_input_channels, c->d_model, c->expansion_factor, c->num_layers,
                        c->prediction_length, c->num_targets);
    int64_t C = c->num_input_channels, N = c->num_patches, D = c->d_model;
    int64_t ef = c->expansion_factor;
    /* every factor is in [1, INT_MAX], so each product of two fits in int64_t */
    int64_t cn = C * N;
    int64_t prods[] = {N * ef, D * ef, C * ef, N * D, 2 * D + 2, cn > INT_MAX ? cn : cn * D};
    for (size_t i = 0; i < sizeof prods / sizeof prods[0]; i++)
        if (prods[i] > INT_MAX)
            return ptmi_err(err, PTM_ERR_LIMIT, file, NULL,
                            "the model would have more than %zu parameters (d_model %d, "
                            "num_patches %d, num_input_channels %d, expansion_factor %d)",
                            PTMI_MAX_PARAMS, c->d_model, c->num_patches, c->num_input_channels,
                            c->expansion_factor);
    return PTM_OK;
}

static int patchtsmixer_num_layers(const ptm_config *c) {
    return c->num_layers;
}

/* what is specific to a model family: its tensors (layout), its number of mixer layers, the
 * checks of its sizes before the layout forms their products */
typedef struct {
    void (*layout)(ptmi_walker *w);
    int (*num_layers)(const ptm_config *c);
    ptm_status (*check_dims)(const ptm_config *c, const char *file, ptm_error *err);
} family_layout;

static const family_layout FAMILIES[] = {
    {layout, patchtsmixer_num_layers, check_dims},               /* PTM_FAMILY_PATCHTSMIXER */
    {ptmi_ttm_layout, ptmi_ttm_num_layers, ptmi_ttm_check_dims}, /* PTM_FAMILY_TTM */
};

static const family_layout *family_of(const ptm_config *c) {
    return &FAMILIES[c->family == PTM_FAMILY_TTM ? 1 : 0];
}

/* Bytes of a model stored as store: parameters, transposed copies (koff floats) and buffers.
 * floats, koff <= PTMI_MAX_PARAMS, so no overflow. */
static uint64_t store_bytes(ptmi_store store, size_t floats, size_t koff, size_t ints) {
    size_t k = store == PTMI_STORE_TRAIN ? floats : store == PTMI_STORE_LOADED ? koff : 0;
    return ((uint64_t)floats + k) * sizeof(float) + (uint64_t)ints * sizeof(int64_t);
}

/* Walk the layout of cfg without allocating: the counts end in *w. */
static ptm_status walk_count(const ptm_config *cfg, ptmi_store store, const char *file,
                             ptmi_walker *w, ptm_error *err) {
    ptm_status s = family_of(cfg)->check_dims(cfg, file, err);
    if (s != PTM_OK) return s;
    ptm_model tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.cfg = *cfg; /* a layout only reads the config, never writes its lists */
    tmp.mixer = ptmi_mixer_shape_of(cfg);
    memset(w, 0, sizeof *w);
    w->m = &tmp;
    w->store = store;
    family_of(cfg)->layout(w);
    w->m = NULL;
    if (w->overflow || w->foff > PTMI_MAX_PARAMS)
        return ptmi_err(err, PTM_ERR_LIMIT, file, NULL,
                        "the model would have more than %zu parameters", PTMI_MAX_PARAMS);
    return PTM_OK;
}

ptmi_mixer_shape ptmi_mixer_shape_of(const ptm_config *c) {
    ptmi_mixer_shape sh;
    sh.num_input_channels = c->num_input_channels;
    sh.num_patches = c->num_patches;
    sh.d_model = c->d_model;
    sh.expansion_factor = c->expansion_factor;
    sh.mode = c->mode;
    sh.gated_attn = c->gated_attn;
    sh.norm_mlp = c->norm_mlp;
    sh.norm_eps = c->norm_eps;
    sh.self_attn = c->self_attn;
    sh.self_attn_heads = c->self_attn_heads;
    sh.dropout = c->dropout;
    sh.patch_mixer = 1;
    return sh;
}

ptm_status ptmi_model_count(const ptm_config *cfg, ptmi_store store, const char *file,
                            uint64_t *bytes, size_t *floats, size_t *ints, ptm_error *err) {
    ptm_status s = check_supported(cfg, file, err);
    ptmi_walker w;
    if (s == PTM_OK) s = walk_count(cfg, store, file, &w, err);
    if (s != PTM_OK) return s;
    if (bytes) *bytes = store_bytes(store, w.foff, w.koff, w.ioff);
    if (floats) *floats = w.foff;
    if (ints) *ints = w.ioff;
    return PTM_OK;
}

/* Walk the layout with pointers into m's arenas (a second walk, after the count). */
static void assign(ptm_model *m) {
    ptmi_walker w = {0};
    w.m = m;
    w.store = m->store;
    w.assign = 1;
    family_of(&m->cfg)->layout(&w);
}

/* Allocate the arenas of m for the counts of w and point the table and the typed pointers at
 * them. */
static ptm_status allocate(ptm_model *m, const ptmi_walker *w, ptm_error *err) {
    m->arena_floats = w->foff;
    m->iarena_count = w->ioff;
    m->n_table = w->n;
    m->karena_floats = m->store == PTMI_STORE_TRAIN ? w->foff : w->koff;
    m->arena = calloc(w->foff ? w->foff : 1, sizeof(float));
    m->karena = m->karena_floats ? calloc(m->karena_floats, sizeof(float)) : NULL;
    m->iarena = calloc(w->ioff ? w->ioff : 1, sizeof(int64_t));
    m->table = calloc((size_t)w->n + 1, sizeof(ptmi_param_entry));
    m->p.layers = calloc((size_t)family_of(&m->cfg)->num_layers(&m->cfg) + 1, sizeof(ptmi_layer));
    if (!m->arena || (m->karena_floats && !m->karena) || !m->iarena || !m->table || !m->p.layers)
        return ptmi_err(err, PTM_ERR_NOMEM, "config.json", NULL, "cannot allocate %zu parameters",
                        w->foff);
    assign(m);
    return PTM_OK;
}

ptm_status ptmi_model_build(const ptm_config *cfg, ptmi_store store, ptm_model **out,
                            ptm_error *err) {
    *out = NULL;
    ptm_status s = check_supported(cfg, "config.json", err);
    ptmi_walker w;
    if (s == PTM_OK) s = walk_count(cfg, store, "config.json", &w, err);
    if (s != PTM_OK) return s;
    ptm_model *m = calloc(1, sizeof *m);
    if (!m) return ptmi_err(err, PTM_ERR_NOMEM, "config.json", NULL, "out of memory");
    s = ptmi_config_copy(&m->cfg, cfg, err);
    if (s != PTM_OK) {
        free(m);
        return s;
    }
    m->mixer = ptmi_mixer_shape_of(cfg);
    m->store = store;
    if ((s = allocate(m, &w, err)) != PTM_OK) {
        ptm_model_free(m);
        return s;
    }
    *out = m;
    return PTM_OK;
}

void ptm_model_free(ptm_model *m) {
    if (!m) return;
    ptm_config_free(&m->cfg);
    free(m->arena);
    free(m->karena);
    free(m->iarena);
    free(m->table);
    free(m->p.layers);
    free(m);
}

static void transpose(float *dst, const float *src, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

void ptmi_model_sync(ptm_model *m) {
    for (int i = 0; i < m->n_table; i++) {
        const ptmi_param_entry *e = &m->table[i];
        if (e->t) transpose(e->t, e->f32, (size_t)e->shape[0], (size_t)e->shape[1]);
    }
}

/* Every 2-D weight of a PTMI_STORE_LOADED model moves to PTMI_STORE_TRAIN's places: [out, in]
 * in the arena, transposed in a new karena at the same offsets. */
ptm_status ptmi_model_make_trainable(ptm_model *m, ptm_error *err) {
    if (!m || m->store != PTMI_STORE_LOADED) return PTM_OK;
    float *k = calloc(m->arena_floats ? m->arena_floats : 1, sizeof(float));
    if (!k)
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL,
                        "out of memory for the transposed weights of a model in training (%zu "
                        "floats)",
                        m->arena_floats);
    for (int i = 0; i < m->n_table; i++) {
        const ptmi_param_entry *e = &m->table[i];
        if (e->form == PTMI_FORM_PLAIN) continue;
        size_t off = (size_t)(e->f32 - m->arena), rows = (size_t)e->shape[0];
        size_t cols = (size_t)e->shape[1];
        if (e->form == PTMI_FORM_PACKED) /* [cols, rows] into k, from the packed form */
            for (size_t c = 0; c < cols; c++)
                for (size_t r = 0; r < rows; r++)
                    k[off + c * rows + r] = e->f32[ptmi_form_index_packed(r, c, rows, cols)];
        else
            memcpy(k + off, e->f32, rows * cols * sizeof(float)); /* holds [cols, rows] */
        transpose(e->f32, k + off, cols, rows);
    }
    free(m->karena);
    m->karena = k;
    m->karena_floats = m->arena_floats;
    m->store = PTMI_STORE_TRAIN;
    assign(m);
    ptmi_model_sync(m);
    return PTM_OK;
}

const ptm_config *ptm_model_config(const ptm_model *m) {
    return m ? &m->cfg : NULL;
}

int64_t ptm_model_num_params(const ptm_model *m) {
    if (!m) return 0;
    int64_t n = 0;
    for (int i = 0; i < m->n_table; i++)
        if (m->table[i].trainable) n += (int64_t)m->table[i].numel;
    return n;
}

int64_t ptmi_layer_macs(const ptmi_mixer_shape *sh) {
    int64_t C = sh->num_input_channels, N = sh->num_patches, D = sh->d_model;
    int64_t ef = sh->expansion_factor, g = sh->gated_attn ? 1 : 0;
    int64_t per_layer = C * N * (2 * D * D * ef + g * D * D);
    if (sh->patch_mixer) per_layer += C * D * (2 * N * N * ef + g * N * N);
    if (sh->mode == PTM_MODE_MIX_CHANNEL) per_layer += N * D * (2 * C * C * ef + g * C * C);
    if (sh->patch_mixer && sh->self_attn) per_layer += C * (4 * N * D * D + 2 * N * N * D);
    return per_layer;
}

int64_t ptm_model_macs_per_sample(const ptm_model *m) {
    if (!m) return 0;
    if (m->cfg.family == PTM_FAMILY_TTM) return ptmi_ttm_macs(m);
    const ptm_config *c = &m->cfg;
    int64_t C = c->num_input_channels, N = c->num_patches, D = c->d_model, P = c->patch_length;
    int64_t macs = C * N * P * D;
    ptmi_mixer_shape sh = ptmi_mixer_shape_of(c);
    macs += ptmi_layer_macs(&sh) * c->num_layers;
    int64_t F = D * C * (c->head_aggregation == PTM_AGG_NONE ? N : 1);
    int64_t nproj = c->loss == PTM_LOSS_NLL ? dist_num_params(c->distribution_output) : 1;
    switch (c->model_class) {
    case PTM_CLASS_MODEL:
        break;
    case PTM_CLASS_PREDICTION:
        macs += nproj * c->num_prediction_channels * N * D * c->prediction_length;
        break;
    case PTM_CLASS_CLASSIFICATION:
    case PTM_CLASS_REGRESSION:
        if (c->model_class == PTM_CLASS_CLASSIFICATION) nproj = 1;
        macs += nproj * F * c->num_targets;
        if (c->scaling != PTM_SCALING_NONE) macs += C * N * ((D + 2) * 2 * D + 2 * D * D);
        break;
    case PTM_CLASS_PRETRAINING:
        macs += C * N * D * P;
        break;
    }
    return macs;
}

/* element (r, c) of the file's [out = R, in = C] is element (k = c, n = r) of the packed [C, R] */
size_t ptmi_form_index_packed(size_t r, size_t c, size_t R, size_t C) {
    return ptmi_packed_index(c, r, C, R);
}
