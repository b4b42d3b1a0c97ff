/* test_golden.c - the golden-case runner.
 *
 *   build/test_golden CASE_DIR... | FOLDER_OF_CASES...
 *
 * A case folder holds config.json, model.safetensors, inputs.safetensors,
 * expected.safetensors and case.json (format: tests/golden/README.md). For each case the model
 * is loaded through the library's own loader, run in eval mode on the inputs, and every tensor
 * of expected.safetensors is compared with the rule
 *     max |got - expected| <= rel_tol * (1 + max |expected|)
 * (rel_tol from case.json "tolerance.rel_tol", 1e-4 when absent). The worst tensor of each case
 * is printed; any miss, missing output or shape mismatch fails the case. Exit status is
 * non-zero when a case fails. The last line reads "N passed, M failed".
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/common.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "patchtsmixer.h"

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static double read_rel_tol(const char *dir, const char *section) {
    char path[4096];
    snprintf(path, sizeof path, "%s/case.json", dir);
    double tol = 1e-4;
    unsigned char *buf = NULL;
    size_t n = 0;
    if (ptmi_read_file(path, 1 << 24, &buf, &n, NULL) != PTM_OK) return tol;
    json_value *root = NULL;
    if (json_parse((const char *)buf, n, path, &root, NULL) == PTM_OK) {
        const json_value *t = json_get(root, section);
        const json_value *r = t ? json_get(t, "rel_tol") : NULL;
        if (r && r->type == JSON_NUMBER && r->number > 0) tol = r->number;
    }
    json_free(root);
    free(buf);
    return tol;
}

/* Copy a named tensor to a fresh float array (NULL if absent). */
static float *get_f32(const st_file *f, const char *name, const st_tensor **t_out) {
    const st_tensor *t = st_find(f, name);
    if (t_out) *t_out = t;
    if (!t) return NULL;
    float *d = malloc(sizeof(float) * (t->numel ? t->numel : 1));
    if (!d) return NULL;
    if (st_to_f32(t, d, NULL) != PTM_OK) {
        free(d);
        return NULL;
    }
    return d;
}

/* Copy a named I64 tensor to a fresh array (NULL if absent or not I64). */
static int64_t *get_i64(const st_file *f, const char *name) {
    const st_tensor *t = st_find(f, name);
    if (!t || t->dtype != ST_I64) return NULL;
    int64_t *d = malloc(sizeof(int64_t) * (t->numel ? t->numel : 1));
    if (d) memcpy(d, t->data, sizeof(int64_t) * t->numel);
    return d;
}

typedef struct {
    double ratio;
    char name[256];
} worst_t;

/* the value of a tensor the engine produced: an output of ctx, a gradient (grad.<name>) or a
 * parameter/buffer after the train-mode forward (buffer_after.<name>); i64 for integers */
static int lookup(const ptm_ctx *ctx, const ptm_model *m, const char *name, ptm_tensor_view *v,
                  const int64_t **i64) {
    *i64 = NULL;
    if (strncmp(name, "grad.", 5) == 0) return ptm_ctx_grad(ctx, name + 5, v, NULL) == PTM_OK;
    if (strncmp(name, "buffer_after.", 13) == 0 && m) {
        for (int i = 0; i < m->n_table; i++) {
            const ptmi_param_entry *e = &m->table[i];
            if (strcmp(e->name, name + 13) != 0) continue;
            v->name = e->name;
            v->data = e->f32;
            v->ndim = e->ndim;
            for (int k = 0; k < 4; k++) v->shape[k] = k < e->ndim ? e->shape[k] : 0;
            *i64 = e->i64;
            return 1;
        }
        return 0;
    }
    return ptm_ctx_output(ctx, name, v, NULL) == PTM_OK;
}

/* compares every tensor of file f (or only those starting with prefix when prefix != NULL)
 * with what the engine has; returns 1 when all are within tolerance */
static int compare_outputs(const char *case_name, const st_file *f, const ptm_ctx *ctx,
                           const ptm_model *m, const char *only_prefix, double tol, worst_t *w) {
    int ok = 1;
    for (size_t i = 0; i < f->count; i++) {
        const st_tensor *e = &f->tensors[i];
        (void)only_prefix;
        ptm_tensor_view v;
        const int64_t *iv = NULL;
        if (!lookup(ctx, m, e->name, &v, &iv)) {
            printf("FAIL %s: tensor '%s' was not produced\n", case_name, e->name);
            ok = 0;
            continue;
        }
        int same = v.ndim == e->ndim;
        for (int k = 0; same && k < e->ndim; k++) same = v.shape[k] == e->shape[k];
        if (!same) {
            printf("FAIL %s: tensor '%s' has shape of %d dims [%lld, %lld, %lld, %lld], "
                   "expected %d dims\n",
                   case_name, e->name, v.ndim, (long long)v.shape[0], (long long)v.shape[1],
                   (long long)v.shape[2], (long long)v.shape[3], e->ndim);
            ok = 0;
            continue;
        }
        if (iv) {
            int64_t want;
            if (e->dtype != ST_I64 || e->numel != 1) {
                printf("FAIL %s: tensor '%s' should be an I64 scalar\n", case_name, e->name);
                ok = 0;
                continue;
            }
            memcpy(&want, e->data, sizeof want);
            if (*iv != want) {
                printf("FAIL %s: tensor '%s' = %lld, expected %lld\n", case_name, e->name,
                       (long long)*iv, (long long)want);
                ok = 0;
            }
            continue;
        }
        float *ev = get_f32(f, e->name, NULL);
        if (!ev) {
            printf("FAIL %s: cannot read expected '%s'\n", case_name, e->name);
            ok = 0;
            continue;
        }
        double maxabs = 0.0, maxdiff = 0.0;
        size_t at = 0;
        for (size_t k = 0; k < e->numel; k++) {
            double a = fabs((double)ev[k]);
            if (a > maxabs) maxabs = a;
            double dlt = fabs((double)v.data[k] - (double)ev[k]);
            if (!(dlt <= maxdiff)) { /* also catches NaN */
                maxdiff = isnan(dlt) ? (double)INFINITY : dlt;
                at = k;
            }
        }
        if (getenv("PTM_GOLDEN_HASH")) {
            /* refactors promise bit-identical outputs: FNV-1a of the bytes, compared between
             * builds by dev/identity.sh */
            uint64_t hsh = 1469598103934665603ULL;
            const unsigned char *by = (const unsigned char *)v.data;
            for (size_t k = 0; k < e->numel * sizeof(float); k++)
                hsh = (hsh ^ by[k]) * 1099511628211ULL;
            printf("HASH %s %s %016llx\n", case_name, e->name, (unsigned long long)hsh);
        }
        double allowed = tol * (1.0 + maxabs);
        double ratio = maxdiff / allowed;
        if (ratio > w->ratio) {
            w->ratio = ratio;
            snprintf(w->name, sizeof w->name, "%s (max diff %.3g at %zu, allowed %.3g)", e->name,
                     maxdiff, at, allowed);
        }
        if (!(maxdiff <= allowed)) {
            printf("FAIL %s: tensor '%s': max |got-expected| = %.6g at index %zu (got %.9g, "
                   "expected %.9g) > allowed %.6g\n",
                   case_name, e->name, maxdiff, at, (double)v.data[at], (double)ev[at], allowed);
            ok = 0;
        }
        free(ev);
    }
    return ok;
}

/* train-mode forward + backward on a fresh copy of the model; compares
 * expected_grads.safetensors. Returns the number of tensors checked, -1 on failure. */
static int run_grads(const char *dir, const char *name, const char *path, const ptm_inputs *in0,
                     int batch, worst_t *w) {
    double tol = read_rel_tol(dir, "gradients");
    ptm_error err;
    char msg[2048];
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    st_file eg = {0};
    int result = -1;
    if (ptm_model_load(dir, &m, &err) != PTM_OK || st_load(path, &eg, &err) != PTM_OK) {
        printf("FAIL %s: %s\n", name, ptm_error_message(&err, msg, sizeof msg));
        goto done;
    }
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = batch;
    if (ptm_ctx_create_train(m, &cp, &ctx, &err) != PTM_OK) {
        printf("FAIL %s: training ctx: %s\n", name, ptm_error_message(&err, msg, sizeof msg));
        goto done;
    }
    ptm_inputs in = *in0;
    if (ptm_forward(ctx, &in, &err) != PTM_OK || ptm_backward(ctx, &err) != PTM_OK) {
        printf("FAIL %s: train forward/backward: %s\n", name,
               ptm_error_message(&err, msg, sizeof msg));
        goto done;
    }
    result = compare_outputs(name, &eg, ctx, m, NULL, tol, w) ? (int)eg.count : -1;
done:
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    st_free(&eg);
    return result;
}

/* Runs one case; returns 1 when it passes. */
static int run_case(const char *dir) {
    const char *name = strrchr(dir, '/');
    name = name && name[1] ? name + 1 : dir;
    char path[4096], msg[2048];
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_model *model = NULL;
    ptm_ctx *ctx = NULL;
    st_file inputs = {0}, expected = {0};
    float *past = NULL, *obs = NULL, *fut = NULL, *tgt = NULL, *mask = NULL, *fut_mask = NULL;
    int64_t *labels = NULL, *freq = NULL, *cats = NULL;
    int ok = 0;
    double tol = read_rel_tol(dir, "tolerance");

    if (ptm_model_load(dir, &model, &err) != PTM_OK) {
        printf("FAIL %s: load: %s\n", name, ptm_error_message(&err, msg, sizeof msg));
        goto done;
    }
    const ptm_config *cfg = ptm_model_config(model);
    snprintf(path, sizeof path, "%s/inputs.safetensors", dir);
    if (st_load(path, &inputs, &err) != PTM_OK) {
        printf("FAIL %s: %s\n", name, ptm_error_message(&err, msg, sizeof msg));
        goto done;
    }
    snprintf(path, sizeof path, "%s/expected.safetensors", dir);
    if (st_load(path, &expected, &err) != PTM_OK) {
        printf("FAIL %s: %s\n", name, ptm_error_message(&err, msg, sizeof msg));
        goto done;
    }
    const st_tensor *tp = NULL;
    past = get_f32(&inputs, "past_values", &tp);
    if (!past || tp->ndim != 3 || tp->shape[1] < cfg->context_length ||
        tp->shape[2] != cfg->num_input_channels) {
        printf("FAIL %s: inputs.safetensors: past_values missing or not [B, >= %d, %d]\n", name,
               cfg->context_length, cfg->num_input_channels);
        goto done;
    }
    int batch = (int)tp->shape[0], past_length = (int)tp->shape[1];
    obs = get_f32(&inputs, "observed_mask", NULL);
    if (!obs) obs = get_f32(&inputs, "past_observed_mask", NULL); /* TinyTimeMixer's name */
    fut_mask = get_f32(&inputs, "future_observed_mask", NULL);
    freq = get_i64(&inputs, "freq_token");
    cats = get_i64(&inputs, "static_categorical_values");
    fut = get_f32(&inputs, "future_values", NULL);
    const st_tensor *tt = st_find(&inputs, "target_values");
    if (tt && tt->dtype == ST_I64) {
        labels = malloc(sizeof(int64_t) * tt->numel);
        if (labels) memcpy(labels, tt->data, sizeof(int64_t) * tt->numel);
    } else if (tt) {
        tgt = get_f32(&inputs, "target_values", NULL);
    }
    if (cfg->model_class == PTM_CLASS_PRETRAINING) {
        mask = get_f32(&inputs, "mask", NULL);
        if (!mask) mask = get_f32(&expected, "mask", NULL);
    }

    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = batch;
    cp.keep_hidden_states = 1;
    if (ptm_ctx_create(model, &cp, &ctx, &err) != PTM_OK) {
        printf("FAIL %s: ctx: %s\n", name, ptm_error_message(&err, msg, sizeof msg));
        goto done;
    }
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = batch;
    in.past_values = past;
    in.observed_mask = obs;
    in.future_values = fut;
    in.target_values = tgt;
    in.target_labels = labels;
    in.patch_mask = mask;
    in.past_length = past_length;
    in.future_observed_mask = fut_mask;
    in.freq_token = freq;
    in.static_categorical_values = cats;
    if (ptm_forward(ctx, &in, &err) != PTM_OK) {
        printf("FAIL %s: forward: %s\n", name, ptm_error_message(&err, msg, sizeof msg));
        goto done;
    }

    ok = 1;
    worst_t w = {-1.0, ""};
    if (!compare_outputs(name, &expected, ctx, NULL, NULL, tol, &w)) ok = 0;
    snprintf(path, sizeof path, "%s/expected_grads.safetensors", dir);
    int ngrads = -1;
    if (file_exists(path)) {
        ngrads = run_grads(dir, name, path, &in, batch, &w);
        if (ngrads < 0) ok = 0;
    }
    char gtxt[64] = "";
    if (ngrads >= 0) snprintf(gtxt, sizeof gtxt, " + %d train-mode tensors and gradients", ngrads);
    printf("%s %s: %zu tensors%s, worst %s\n", ok ? "PASS" : "FAIL", name, expected.count, gtxt,
           w.name);
done:
    ptm_ctx_free(ctx);
    ptm_model_free(model);
    st_free(&inputs);
    st_free(&expected);
    free(past);
    free(obs);
    free(fut);
    free(tgt);
    free(mask);
    free(fut_mask);
    free(labels);
    free(freq);
    free(cats);
    return ok;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv) {
    int first = 1;
    if (argc <= first) {
        fprintf(stderr, "usage: %s CASE_DIR... | FOLDER_OF_CASES...\n", argv[0]);
        return 2;
    }
    int pass = 0, fail = 0;
    for (int a = first; a < argc; a++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/config.json", argv[a]);
        if (file_exists(path)) {
            if (run_case(argv[a]))
                pass++;
            else
                fail++;
            continue;
        }
        if (!is_dir(argv[a])) {
            printf("FAIL %s: not a case folder nor a folder of cases\n", argv[a]);
            fail++;
            continue;
        }
        DIR *d = opendir(argv[a]);
        if (!d) {
            printf("FAIL %s: cannot open\n", argv[a]);
            fail++;
            continue;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.') continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s/config.json", argv[a], de->d_name);
            if (!file_exists(sub)) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nn = realloc(names, cap * sizeof *names);
                if (!nn) break;
                names = nn;
            }
            names[n] = malloc(strlen(argv[a]) + strlen(de->d_name) + 2);
            if (!names[n]) break;
            sprintf(names[n], "%s/%s", argv[a], de->d_name);
            n++;
        }
        closedir(d);
        if (n == 0) {
            printf("FAIL %s: no case folders inside\n", argv[a]);
            fail++;
        }
        qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++) {
            if (run_case(names[i]))
                pass++;
            else
                fail++;
            free(names[i]);
        }
        free(names);
    }
    printf("golden (kernels %s): %d passed, %d failed\n", ptmi_kernels_name(), pass, fail);
    return fail ? 1 : 0;
}
