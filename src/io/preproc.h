/* preproc.h - the internal side of preprocessor_config.json (preproc.c; the public API is in
 * patchtsmixer.h): the text the writer produces, for the fuzzer's write-read-write check. */
#ifndef PTMI_IO_PREPROC_H
#define PTMI_IO_PREPROC_H

#include "base/common.h"

/* The text of p as ptm_preprocessor_save writes it (malloc'd into *text, *len bytes); the
 * same argument checks (PTM_ERR_ARG naming file). */
PTM_MUST_USE ptm_status ptmi_preprocessor_write_json(const ptm_preprocessor *p, const char *file,
                                                     char **text, size_t *len, ptm_error *err);

#endif
