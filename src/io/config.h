/* config.h - Hugging Face PatchTSMixer config.json <-> ptm_config: what the library needs
 * beyond the public ptm_config_defaults / parse / load / free (patchtsmixer.h). */
#ifndef PTMI_CONFIG_H
#define PTMI_CONFIG_H
#include <stddef.h>

#include "base/common.h"

/* Derive num_patches and check cross-field constraints (called by parse). */
PTM_MUST_USE ptm_status ptmi_config_finish(ptm_config *c, const char *file, ptm_error *err);
PTM_MUST_USE ptm_status ptmi_config_copy(ptm_config *dst, const ptm_config *src, ptm_error *err);
/* c's class names: a copy of names[0..n) (n 0: none), replacing any it had. A name with a
 * control character or invalid UTF-8 is PTM_ERR_CONFIG (field id2label); on failure c has none
 * (or PTM_ERR_NOMEM). */
PTM_MUST_USE ptm_status ptmi_config_set_labels(ptm_config *c, const char *const *names, int n,
                                               ptm_error *err);
/* the patches cut from the context: num_patches without TinyTimeMixer's prefix patch */
int ptmi_config_patches(const ptm_config *c);
/* config_ttm.c: the config.json names of ptm_loss, indexed by it, NULL-terminated ("mse",
 * "nll", "mae", "pinball", "huber") */
extern const char *const ptmi_loss_names[];
/* config_ttm.c: "TinyTimeMixerModel" / "TinyTimeMixerForPrediction", else "?" */
const char *ptmi_ttm_class_name(ptm_class c);
/* the factor 2^level of a TinyTimeMixer adaptive-patching level of a stack of the given width,
 * or 1 where width / 2^level would be 4 or less (granite-tsfm's fallback) */
int ptmi_ttm_level_factor(int width, int level);
#endif
