/* config.h - Hugging Face PatchTSMixer config.json <-> ptm_config. */
#ifndef PTM_CONFIG_H
#define PTM_CONFIG_H
#include <stddef.h>

#include "common.h"

/* Hugging Face's PatchTSMixerConfig defaults (class PTM_CLASS_MODEL). */
void ptm_config_defaults(ptm_config *c);
/* Parse config.json text; on success *c owns its lists (free with ptm_config_free). */
PTM_MUST_USE ptm_status ptm_config_parse(const char *text, size_t len, const char *file,
                                         ptm_config *c, ptm_error *err);
/* the same; when config.json has no "architectures", default_class (>= 0) is used */
PTM_MUST_USE ptm_status ptm_config_parse_ex(const char *text, size_t len, const char *file,
                                            int default_class, ptm_config *c, ptm_error *err);
PTM_MUST_USE ptm_status ptm_config_load(const char *path, ptm_config *c, ptm_error *err);
/* Derive num_patches and check cross-field constraints (called by parse). */
PTM_MUST_USE ptm_status ptm_config_finish(ptm_config *c, const char *file, ptm_error *err);
PTM_MUST_USE ptm_status ptm_config_copy(ptm_config *dst, const ptm_config *src, ptm_error *err);
void ptm_config_free(ptm_config *c);
#endif
