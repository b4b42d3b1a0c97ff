/* save.h - writes a model as a Hugging Face checkpoint directory, the way `save_pretrained`
 * does: config.json (sorted keys, indent 2, every PatchTSMixerConfig key) and
 * model.safetensors (the state_dict under its Hugging Face names). The directory loads back
 * with ptm_model_load and with transformers' PatchTSMixer*.from_pretrained.
 *
 *     ptm_error err;
 *     if (ptm_model_save(model, "out/my_model", &err) != PTM_OK) { report(&err); }
 *
 *     char *json = NULL; size_t len = 0;                      // config.json text alone
 *     if (ptmi_config_write_json(ptm_model_config(model), &json, &len, &err) == PTM_OK) {
 *         ...; free(json);
 *     }
 *
 * Every file is replaced atomically through ptm_file_writer (file_writer.c): written to a new
 * temporary file in the same directory, fsync'ed, renamed over the target, then the directory
 * is fsync'ed. A crash leaves either the old or the new file, never a mix.
 */
#ifndef PTMI_IO_SAVE_H
#define PTMI_IO_SAVE_H

#include <stddef.h>

#include "base/common.h"

/* config.json text for c as HF's save_pretrained writes it (without "transformers_version"):
 * a JSON object with sorted keys, indent 2, ending in a newline. Floats are written as Python
 * prints them, with the shortest decimal that reads back to the same float (0.2, 1e-05, 2.0).
 * *out_text is malloc'd and NUL-terminated; *out_len excludes the NUL. A non-finite float or an
 * out-of-range enum -> PTM_ERR_CONFIG naming the key. */
PTM_MUST_USE ptm_status ptmi_config_write_json(const ptm_config *c, char **out_text,
                                               size_t *out_len, ptm_error *err);

#endif
