/* checkpoint.c - a model directory as Hugging Face writes it: config.json + model.safetensors.
 *
 * ptm_model_load_ex parses the config (io/config.c), checks the memory the model will take
 * against the caller's cap, opens model.safetensors and validates its header against the
 * file's size (st_open), builds the parameter table (model.c) and reads each tensor straight
 * into its slot after checking that it is present, F32 (I64 for num_batches_tracked) and
 * exactly of the expected shape, and that the file holds nothing the config does not imply:
 * the file is never held in memory whole. A loaded model keeps each 2-D weight once, in the
 * layout its inference path reads (model.h, PTMI_STORE_LOADED; transposed while it is read), so
 * a load peaks at about the file's size. ptm_model_save writes both files atomically (io/save.c),
 * transposing such weights back to Hugging Face's [out, in] as it writes them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/config.h"
#include "io/safetensors.h"
#include "io/save.h"
#include "model/model.h"

/* where an entry's f32 holds element (r, c) of its file tensor (NULL: in the file's order) */
static st_index_fn form_map(int form) {
    return form == PTMI_FORM_T        ? st_index_transposed
           : form == PTMI_FORM_PACKED ? ptmi_form_index_packed
                                      : NULL;
}

static int cmp_entry_ptr(const void *a, const void *b) {
    const ptmi_param_entry *x = *(const ptmi_param_entry *const *)a;
    const ptmi_param_entry *y = *(const ptmi_param_entry *const *)b;
    return strcmp(x->name, y->name);
}

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t used = 0;
    used += (size_t)snprintf(buf + used, n - used, "[");
    for (int i = 0; i < ndim && used < n; i++)
        used +=
            (size_t)snprintf(buf + used, n - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (used < n) snprintf(buf + used, n - used, "]");
}

/* Read the tensors of st into m, checking names, dtypes and shapes. */
static ptm_status load_tensors(ptm_model *m, const st_file *st, const char *path, ptm_error *err) {
    ptmi_param_entry **sorted = malloc(sizeof(*sorted) * ((size_t)m->n_table + 1));
    unsigned char *seen = calloc((size_t)m->n_table + 1, 1);
    ptm_status s = PTM_OK;
    if (!sorted || !seen) {
        s = ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
        goto done;
    }
    for (int i = 0; i < m->n_table; i++) sorted[i] = &m->table[i];
    qsort(sorted, (size_t)m->n_table, sizeof *sorted, cmp_entry_ptr);
    for (size_t t = 0; t < st->count; t++) {
        const st_tensor *ten = &st->tensors[t];
        ptmi_param_entry key;
        snprintf(key.name, sizeof key.name, "%s", ten->name);
        ptmi_param_entry *kp = &key;
        ptmi_param_entry **hit =
            strlen(ten->name) < sizeof key.name
                ? bsearch(&kp, sorted, (size_t)m->n_table, sizeof *sorted, cmp_entry_ptr)
                : NULL;
        if (!hit) {
            s = ptmi_err(err, PTM_ERR_TENSOR, path, ten->name,
                         "unexpected tensor: the config (%s) implies no tensor of this name",
                         ptm_config_class_name(&m->cfg));
            goto done;
        }
        ptmi_param_entry *e = *hit;
        seen[e - m->table] = 1;
        char got[96], want[96];
        shape_str(got, sizeof got, ten->ndim, ten->shape);
        shape_str(want, sizeof want, e->ndim, e->shape);
        int same = ten->ndim == e->ndim;
        for (int i = 0; same && i < e->ndim; i++) same = ten->shape[i] == e->shape[i];
        if (!same) {
            s = ptmi_err(err, PTM_ERR_TENSOR, path, ten->name, "shape %s, expected %s", got, want);
            goto done;
        }
        if (e->f32) {
            if (ten->dtype != ST_F32) {
                s = ptmi_err(err, PTM_ERR_TENSOR, path, ten->name,
                             "dtype %s, expected F32 (only float32 weights are supported)",
                             ten->dtype_name);
                goto done;
            }
            st_index_fn map = form_map(e->form);
            s = map ? st_read_mapped(st, ten, e->f32, map, path, err)
                    : st_read(st, ten, e->f32, path, err);
            if (s != PTM_OK) goto done;
            for (size_t i = 0; i < e->numel; i++) {
                if (!isfinite(e->f32[i])) {
                    /* the index in the file's [out, in] order */
                    size_t at = i;
                    if (map) /* the file's index of the element at i */
                        for (size_t r = 0; r < (size_t)e->shape[0]; r++)
                            for (size_t c = 0; c < (size_t)e->shape[1]; c++)
                                if (map(r, c, (size_t)e->shape[0], (size_t)e->shape[1]) == i)
                                    at = r * (size_t)e->shape[1] + c;
                    s = ptmi_err(err, PTM_ERR_TENSOR, path, ten->name,
                                 "value %zu is %s; weights and buffers must be finite", at,
                                 isnan(e->f32[i]) ? "NaN" : "infinite");
                    goto done;
                }
            }
        } else {
            if (ten->dtype != ST_I64) {
                s = ptmi_err(err, PTM_ERR_TENSOR, path, ten->name, "dtype %s, expected I64",
                             ten->dtype_name);
                goto done;
            }
            if ((s = st_read(st, ten, e->i64, path, err)) != PTM_OK) goto done;
        }
    }
    for (int i = 0; i < m->n_table; i++) {
        if (!seen[i]) {
            char want[96];
            shape_str(want, sizeof want, m->table[i].ndim, m->table[i].shape);
            s = ptmi_err(err, PTM_ERR_TENSOR, path, m->table[i].name,
                         "missing tensor: expected %s %s, implied by the config (%s)",
                         m->table[i].f32 ? "F32" : "I64", want, ptm_config_class_name(&m->cfg));
            goto done;
        }
    }
done:
    free(sorted);
    free(seen);
    return s;
}

ptm_status ptm_model_memory_bytes(const ptm_config *cfg, uint64_t *bytes, ptm_error *err) {
    if (!cfg || !bytes)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptm_model_memory_bytes: NULL argument");
    *bytes = 0;
    return ptmi_model_count(cfg, PTMI_STORE_LOADED, "config.json", bytes, NULL, NULL, err);
}

ptm_load_params ptm_load_default_params(void) {
    ptm_load_params p;
    memset(&p, 0, sizeof p);
    return p;
}

ptm_status ptm_model_load(const char *dir, ptm_model **out, ptm_error *err) {
    return ptmi_model_load(dir, NULL, PTMI_STORE_LOADED, out, err);
}

ptm_status ptm_model_load_ex(const char *dir, const ptm_load_params *params, ptm_model **out,
                             ptm_error *err) {
    return ptmi_model_load(dir, params, PTMI_STORE_LOADED, out, err);
}

ptm_status ptmi_model_load(const char *dir, const ptm_load_params *params, ptmi_store store,
                           ptm_model **out, ptm_error *err) {
    if (!out) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "out is NULL");
    *out = NULL;
    if (!dir) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "model directory is NULL");
    ptm_load_params lp = params ? *params : ptm_load_default_params();
    char path[4096];
    ptm_status s = ptmi_path_join(path, sizeof path, dir, "config.json", err);
    if (s != PTM_OK) return s;
    ptm_config cfg;
    s = ptm_config_load(path, -1, &cfg, err);
    if (s != PTM_OK) return s;
    /* size the model from the config, check it against the cap, then validate the file's
     * header against its size, and allocate only when the file is large enough to hold every
     * tensor the config implies: a small hostile checkpoint cannot make the loader allocate
     * gigabytes */
    size_t floats = 0, ints = 0;
    uint64_t need = 0;
    s = ptmi_model_count(&cfg, store, path, &need, &floats, &ints, err);
    if (s == PTM_OK && lp.max_bytes && need > (uint64_t)lp.max_bytes)
        s = ptmi_err(err, PTM_ERR_LIMIT, path, NULL,
                     "the model takes %llu bytes of memory (%zu parameters), more than the "
                     "limit of %zu bytes (max_bytes)",
                     (unsigned long long)need, floats + ints, lp.max_bytes);
    st_file st = {0};
    if (s == PTM_OK) s = ptmi_path_join(path, sizeof path, dir, "model.safetensors", err);
    if (s == PTM_OK) s = st_open(path, &st, err);
    /* a half-precision checkpoint is too small for float32 weights: say what it holds */
    for (size_t t = 0; s == PTM_OK && t < st.count; t++)
        if (st.tensors[t].dtype == ST_OTHER)
            s = ptmi_err(err, PTM_ERR_TENSOR, path, st.tensors[t].name,
                         "dtype %s, expected F32 (only float32 weights are supported; convert "
                         "the checkpoint, e.g. model.float().save_pretrained(...))",
                         st.tensors[t].dtype_name);
    /* st_open succeeded, so st.size >= 8; floats <= the size limit of model.c, so no overflow */
    if (s == PTM_OK && st.size - 8 < floats * sizeof(float) + ints * sizeof(int64_t))
        s = ptmi_err(err, PTM_ERR_TENSOR, path, NULL,
                     "file is %zu bytes, too small for the %zu parameters its config.json "
                     "implies (%zu bytes of float32 data): config and weights do not match",
                     st.size, floats + ints, floats * sizeof(float));
    ptm_model *m = NULL;
    if (s == PTM_OK) s = ptmi_model_build(&cfg, store, &m, err);
    ptm_config_free(&cfg);
    if (s == PTM_OK) s = load_tensors(m, &st, path, err);
    if (s == PTM_OK) ptmi_model_sync(m);
    st_free(&st);
    if (s != PTM_OK) {
        ptm_model_free(m);
        return s;
    }
    *out = m;
    return PTM_OK;
}

/* mkdir -p dir with mode 0755; an existing directory is fine, an existing file is not. */
static ptm_status make_dirs(const char *dir, ptm_error *err) {
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p) return ptmi_err(err, PTM_ERR_NOMEM, dir, NULL, "out of memory");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        if (p[i - 1] == '/') continue; /* "a//b" or a trailing slash */
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0) {
            int e = errno;
            struct stat st;
            if (e != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                ptm_status s =
                    ptmi_err(err, PTM_ERR_IO, dir, NULL, "cannot create directory %s: %s", p,
                             e == EEXIST ? "exists and is not a directory" : strerror(e));
                free(p);
                return s;
            }
        }
        p[i] = saved;
    }
    free(p);
    return PTM_OK;
}

ptm_status ptm_model_save(const ptm_model *m, const char *dir, ptm_error *err) {
    if (!m) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptm_model_save: model is NULL");
    if (!dir || !dir[0])
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptm_model_save: no directory");
    char path[4096];
    /* check that the longer of the two file names fits before creating anything */
    ptm_status s = ptmi_path_join(path, sizeof path, dir, "model.safetensors", err);
    if (s != PTM_OK) return s;
    s = make_dirs(dir, err);
    if (s != PTM_OK) return s;

    st_write_entry *ents = calloc(m->n_table > 0 ? (size_t)m->n_table : 1, sizeof *ents);
    if (!ents) return ptmi_err(err, PTM_ERR_NOMEM, dir, NULL, "out of memory");
    for (int i = 0; i < m->n_table; i++) {
        const ptmi_param_entry *t = &m->table[i];
        ents[i].name = t->name;
        ents[i].dtype = t->f32 ? ST_F32 : ST_I64;
        ents[i].ndim = t->ndim;
        for (int d = 0; d < t->ndim && d < 4; d++) ents[i].shape[d] = t->shape[d];
        ents[i].data = t->f32 ? (const void *)t->f32 : (const void *)t->i64;
        ents[i].map = form_map(t->form);
    }
    s = ptmi_path_join(path, sizeof path, dir, "model.safetensors", err);
    if (s == PTM_OK) s = st_write(path, ents, (size_t)m->n_table, err);
    free(ents);
    if (s != PTM_OK) return s;

    char *json = NULL;
    size_t len = 0;
    s = ptmi_config_write_json(&m->cfg, &json, &len, err);
    if (s == PTM_OK) s = ptmi_path_join(path, sizeof path, dir, "config.json", err);
    if (s == PTM_OK) s = ptm_write_file(path, json, len, err);
    free(json);
    return s;
}
