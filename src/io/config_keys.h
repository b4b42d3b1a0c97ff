/* config_keys.h - the key-table reader shared by the config.json parsers of every model
 * family (config_parse.c: PatchTSMixer, config_ttm.c: TinyTimeMixer): typed getters that name
 * the key, what was found and what is accepted, and one walker over a table of key specs. */
#ifndef PTMI_CONFIG_KEYS_H
#define PTMI_CONFIG_KEYS_H
#include <stddef.h>

#include "base/common.h"
#include "io/json.h"

/* Sanity bounds: beyond them a config is refused before any allocation is sized from it. */
#define MAX_DIM (1 << 20)
#define MAX_LAYERS 1024

typedef struct {
    const json_value *root;
    const char *file;
    int default_class; /* for a config without architectures: -1 or a ptm_class */
    ptm_error *err;
} reader;

const char *cfg_type_of(const json_value *v);
ptm_status cfg_bad_type(reader *r, const char *key, const json_value *v, const char *expected);
/* Integer key in [lo, hi]; absent keeps *out. */
ptm_status cfg_get_int(reader *r, const char *key, int lo, int hi, int *out);
ptm_status cfg_get_float(reader *r, const char *key, double lo, double hi, float *out);
ptm_status cfg_get_bool(reader *r, const char *key, int *out);
/* String key among `names` (NULL-terminated); sets *out to the index. null_index >= 0 accepts
 * JSON null as that index. */
ptm_status cfg_get_enum(reader *r, const char *key, const char *const *names, int null_index,
                        int *out);
/* List of ints in [lo, hi]; null -> *count = 0, *list = NULL. A bare int is accepted when
 * allow_scalar (then *is_list = 0). */
ptm_status cfg_get_int_list(reader *r, const char *key, int lo, int hi, int allow_scalar,
                            int **list, int *count, int *is_list);
/* Sort (the models sort these lists) and refuse duplicates. */
ptm_status cfg_sort_unique(reader *r, const char *key, int *list, int count);
/* A list of distinct channels, kept sorted; null or [] -> NULL. */
ptm_status cfg_read_channels(reader *r, const char *key, int **list, int *count);
/* norm_mlp: any value containing "batch" is BatchNorm, "LayerNorm" LayerNorm */
ptm_status cfg_read_norm_mlp(reader *r, ptm_config *c);
/* scaling: "mean" -> mean scaler; "std" or true -> std scaler; "none", false, null -> none */
ptm_status cfg_read_scaling(reader *r, ptm_config *c);

/* ---------------------------------------------------------------- the key table
 *
 * A parser walks its table (config_parse.c: KEYS) in order and stops at the first bad key, so the
 * order is part of the behaviour (which error a config with two bad keys reports) and some keys
 * depend on the ones before them (a key whose `when` is false is not read at all, as Hugging Face
 * ignores it: positional_encoding_type without positional encoding, loss outside
 * prediction/regression, distribution_output without loss "nll", head_aggregation outside
 * classification/regression, mask_type outside pretraining). Plain keys name their field by offset;
 * the others have a handler. */

typedef enum { K_INT, K_FLOAT, K_BOOL, K_ENUM, K_CUSTOM } key_kind;

typedef struct key_spec key_spec;
struct key_spec {
    const char *name;
    key_kind kind;
    size_t field;                                    /* offsetof(ptm_config, ...): plain kinds */
    double lo, hi;                                   /* K_INT / K_FLOAT: accepted range */
    const char *const *names;                        /* K_ENUM: NULL-terminated, index = value */
    int (*when)(const ptm_config *c);                /* read only when this holds; NULL: always */
    ptm_status (*handler)(reader *r, ptm_config *c); /* K_CUSTOM */
};

/* K_ENUM fields are ptm_* enums stored as int through their offset */
_Static_assert(sizeof(ptm_mode) == sizeof(int) && sizeof(ptm_pe) == sizeof(int) &&
                   sizeof(ptm_loss) == sizeof(int) && sizeof(ptm_dist) == sizeof(int) &&
                   sizeof(ptm_mask_type) == sizeof(int),
               "config enums must be int-sized");

/* A key that is in no table but within two edits of one (a transposition counts one) is a
 * typo ("d_modle"): PTM_ERR_CONFIG naming it and the key meant. Keys far from every known one
 * are Hugging Face's generic PretrainedConfig keys and others a model does not use: ignored,
 * as transformers ignores them. */
PTM_MUST_USE ptm_status cfg_check_typos(reader *r, const key_spec *keys, size_t n);

/* the enum names both families' tables share (index = value, NULL-terminated), and the
 * condition of positional_encoding_type (read only with positional encoding) */
extern const char *const cfg_modes[], *const cfg_pes[], *const cfg_dists[];
int cfg_uses_pe(const ptm_config *c);

/* one key of the table into c */
ptm_status cfg_read_key(reader *r, const key_spec *k, ptm_config *c);
/* every key of keys[0..n) in order (skipping those whose `when` is false); stops at the first
 * error */
ptm_status cfg_read_table(reader *r, const key_spec *keys, size_t n, ptm_config *c);

/* config_ttm.c: a TinyTimeMixer config.json (model_type "tinytimemixer") into c */
ptm_status ptmi_config_read_ttm(reader *r, ptm_config *c);

#define F(f) offsetof(ptm_config, f)
#define INT(f, lo, hi)                                                                             \
    { #f, K_INT, F(f), lo, hi, NULL, NULL, NULL }
#define FLOAT(f, lo, hi)                                                                           \
    { #f, K_FLOAT, F(f), lo, hi, NULL, NULL, NULL }
#define BOOL(f)                                                                                    \
    { #f, K_BOOL, F(f), 0, 0, NULL, NULL, NULL }
#define ENUM(f, names, when)                                                                       \
    { #f, K_ENUM, F(f), 0, 0, names, when, NULL }
#define CUSTOM(key, handler, when)                                                                 \
    { key, K_CUSTOM, 0, 0, 0, NULL, when, handler }
#endif
