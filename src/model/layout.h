/* layout.h - the parameter-table walker of model.c, shared by the layouts of every model
 * family (model.c: PatchTSMixer, ttm_layout.c: TinyTimeMixer).
 *
 * A layout walks the model's tensors in the state_dict order of its reference implementation
 * and, for each, records its name, shape and place in the flat arena. It runs twice: once to
 * count (assign 0: no pointers), once to assign pointers into the model's arena.
 */
#ifndef PTMI_LAYOUT_H
#define PTMI_LAYOUT_H

#include "model/model.h"

typedef struct {
    ptm_model *m;
    ptmi_store store; /* where weights go (model.h) */
    int assign;
    size_t foff, ioff;
    size_t koff; /* floats of karena (PTMI_STORE_LOADED: the weights kept in both layouts) */
    int n;
    const char *prefix; /* prepended to every name: "model." / "backbone." / "" */
    int overflow;
} ptmi_walker;

/* an F32 tensor of ndim (0..2) dimensions d0, d1 named `name` as is (no prefix) */
float *ptmi_walk_f32(ptmi_walker *w, const char *name, int trainable, int ndim, int64_t d0,
                     int64_t d1);
/* an I64 scalar buffer (num_batches_tracked) named `name` as is */
int64_t *ptmi_walk_i64(ptmi_walker *w, const char *name);
/* Which layout the inference path of a weight reads: wt (the linear kernels), w (the channel
 * mixer's and the patch mixer's direct paths, InjectScalerStatistics4D's small layers, code
 * that indexes the weights itself), or either (what the kernel level decides at run time). A
 * loaded model keeps only that layout (PTMI_STORE_LOADED); a wrong tag changes results or
 * crashes, which tests/test_load_memory.c catches on every golden case. */
typedef enum { PTMI_READ_T, PTMI_READ_W, PTMI_READ_BOTH, PTMI_READ_PACKED } ptmi_read;
/* PTMI_READ_PACKED: read as wt by linear_act_forward only (the mixer blocks' MLP and gate), so a
 * loaded model keeps a large one packed (wp; kernels.h, ptmi_packed_weight), a small one as
 * PTMI_READ_T. */

/* name.weight [out, in] and name.bias [out], after the prefix, read as rd */
void ptmi_walk_linear(ptmi_walker *w, const char *name, int out, int in, ptmi_read rd,
                      ptmi_linear *lin);
/* name.norm.{weight,bias} (LayerNorm) or name.norm.batchnorm.{...} of width d */
void ptmi_walk_norm(ptmi_walker *w, const char *name, int d, ptm_norm norm, ptmi_normp *np);
/* one mixer layer named base (patch mixer unless !sh->patch_mixer, self-attention, feature
 * mixer, channel mixer for mix_channel) of the stack shape sh */
void ptmi_walk_layer(ptmi_walker *w, const char *base, const ptmi_mixer_shape *sh, ptmi_layer *L);

/* multiply-adds of one mixer layer of shape sh for one sample */
int64_t ptmi_layer_macs(const ptmi_mixer_shape *sh);

/* ttm_layout.c: TinyTimeMixer's multiply-adds per sample (ptm_model_macs_per_sample) */
int64_t ptmi_ttm_macs(const ptm_model *m);
/* ttm_layout.c: TinyTimeMixer's tensors; the number of mixer layers of all its stacks; the
 * checks of its sizes before anything is counted (PTM_ERR_LIMIT beyond an int) */
void ptmi_ttm_layout(ptmi_walker *w);
int ptmi_ttm_num_layers(const ptm_config *c);
PTM_MUST_USE ptm_status ptmi_ttm_check_dims(const ptm_config *c, const char *file, ptm_error *err);

#endif
