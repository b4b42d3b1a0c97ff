/* checkpoint.c - the checkpoints of a training run (see trainer.h): the best model in
 * out_dir/ (config.json + model.safetensors, with standardised regression targets folded back
 * into the head) and the resume state in out_dir/last/ (the model, optimizer.safetensors with
 * the AdamW moments and the step, trainer_state.json with the epoch counters), written
 * atomically: each file through a temporary file and a rename, the folder through a staging
 * folder swapped in by renames. ptmi_train_load_state reads the resume state back, checking
 * every value a hostile file could bend.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/json.h"
#include "io/safetensors.h"
#include "io/save.h"
#include "train/trainer.h"

static ptm_status write_state_files(const char *dir, const ptm_model *m, const float *am,
                                    const float *av, const train_state *st, ptm_error *err) {
    int64_t step = st->step;
    ptm_status s = ptm_model_save(m, dir, err);
    if (s != PTM_OK) return s;
    char path[4096];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    st_write_entry e[3];
    memset(e, 0, sizeof e);
    e[0].name = "adamw.exp_avg";
    e[0].dtype = ST_F32;
    e[0].ndim = 1;
    e[0].shape[0] = (int64_t)m->arena_floats;
    e[0].data = am;
    e[1] = e[0];
    e[1].name = "adamw.exp_avg_sq";
    e[1].data = av;
    e[2].name = "step";
    e[2].dtype = ST_I64;
    e[2].ndim = 0;
    e[2].data = &step;
    if ((s = st_write(path, e, 3, err)) != PTM_OK) return s;
    char json[512], bv[32] = "null"; /* JSON has no inf or nan */
    if (isfinite(st->best_val)) snprintf(bv, sizeof bv, "%.17g", st->best_val);
    int len = snprintf(json, sizeof json,
                       "{\n  \"best_epoch\": %d,\n  \"best_val\": %s,\n  \"bad_epochs\": %d,\n"
                       "  \"epoch\": %d,\n  \"step\": %lld\n}\n",
                       st->best_epoch, bv, st->bad_epochs, st->epoch, (long long)step);
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    return ptm_write_file(path, json, (size_t)len, err);
}

/* Remove a staging folder of train_checkpoint_save (DIR.tmp or DIR.old): the regular files in it
 * (the state files and temporary files of an interrupted write) and the folder; a missing folder is
 * fine. 0, or -1 with errno set. */
static int remove_state_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    char path[4200];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) unlink(path);
    }
    closedir(d);
    return rmdir(dir) != 0 && errno != ENOENT ? -1 : 0;
}

static int dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The resume state is four files, and a crash between two of them would leave weights of one
 * epoch with the optimiser of another. So they are written into DIR.tmp and swapped in by
 * renames: DIR -> DIR.old, DIR.tmp -> DIR, then DIR.old is removed. At every moment DIR or,
 * when DIR is missing, DIR.old holds one complete state (ptmi_train_load_state falls back to
 * DIR.old). */
ptm_status train_checkpoint_save(const char *dir, const ptm_model *m, const float *am,
                                 const float *av, const train_state *st, ptm_error *err) {
    char tmp[4200], old[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", dir);
    snprintf(old, sizeof old, "%s.old", dir);
    /* a crash between the two renames of an earlier save: DIR.old is the complete state */
    if (!dir_exists(dir) && dir_exists(old) && rename(old, dir) != 0)
        return ptmi_err(err, PTM_ERR_IO, dir, NULL, "cannot restore %s: %s", old, strerror(errno));
    if (remove_state_dir(tmp) != 0 || remove_state_dir(old) != 0)
        return ptmi_err(err, PTM_ERR_IO, dir, NULL, "cannot remove an old %s or %s: %s", tmp, old,
                        strerror(errno));
    ptm_status s = write_state_files(tmp, m, am, av, st, err);
    if (s != PTM_OK) {
        remove_state_dir(tmp);
        return s;
    }
    if (dir_exists(dir) && rename(dir, old) != 0)
        return ptmi_err(err, PTM_ERR_IO, dir, NULL, "cannot rename it to %s: %s", old,
                        strerror(errno));
    if (rename(tmp, dir) != 0) {
        int e = errno;
        (void)rename(old, dir); /* if this fails too, the loader finds DIR.old */
        return ptmi_err(err, PTM_ERR_IO, dir, NULL, "cannot rename %s to it: %s", tmp, strerror(e));
    }
    /* make the renames durable before the old state goes */
    char parent[4200];
    snprintf(parent, sizeof parent, "%s/..", dir);
    int fd = open(parent, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    remove_state_dir(old);
    return PTM_OK;
}

/* The moments of Adam started at zero satisfy m_t^2 <= C v_t for any gradients: with
 * m_t = (1 - b1) sum_k b1^k g_(t-k) and v_t = (1 - b2) sum_k b2^k g_(t-k)^2, Cauchy-Schwarz
 * gives C = (1 - b1)^2 / ((1 - b2) (1 - b1^2 / b2)) = 52.86 for the trainer's betas (0.9,
 * 0.999), so |m| <= 7.27 sqrt(v). The check allows 8 sqrt(v) (float rounding) plus 1e-8 (AdamW's
 * eps: where g^2 underflows, v may be 0 while m is not). Within it an AdamW step moves a weight
 * by at most about 80 lr, so a resumed run cannot be thrown off by its moments; and v itself
 * is bounded by PTMI_TRAIN_MAX_EXP_AVG_SQ (trainer.h). */
ptm_status train_moments_check(const float *am, const float *av, size_t n, ptm_status code,
                               const char *file, ptm_error *err) {
    for (size_t i = 0; i < n; i++) {
        double m = (double)am[i], v = (double)av[i];
        if (!isfinite(m))
            return ptmi_err(err, code, file, "adamw.exp_avg",
                            "value %zu is %g; expected a finite number", i, m);
        if (!(v >= 0.0 && v <= PTMI_TRAIN_MAX_EXP_AVG_SQ)) /* NaN fails too */
            return ptmi_err(err, code, file, "adamw.exp_avg_sq",
                            "value %zu is %g; expected 0 <= exp_avg_sq <= %g", i, v,
                            PTMI_TRAIN_MAX_EXP_AVG_SQ);
        if (!(fabs(m) <= 8.0 * sqrt(v) + 1e-8))
            return ptmi_err(err, code, file, "adamw.exp_avg",
                            "value %zu is %g with exp_avg_sq %g; AdamW keeps |exp_avg| <= 8 "
                            "sqrt(exp_avg_sq) + 1e-8",
                            i, m, v);
    }
    return PTM_OK;
}

/* optimizer.safetensors of a resume state: exactly adamw.exp_avg and adamw.exp_avg_sq (F32
 * [n]) and step (I64 scalar), the moments within what training produces, the step in
 * [0, PTMI_TRAIN_MAX_STEP] */
static ptm_status load_optimizer(const char *path, size_t n, float *am, float *av, int64_t *step,
                                 ptm_error *err) {
    st_file st = {0};
    ptm_status s = st_load(path, &st, err);
    if (s != PTM_OK) return s;
    const st_tensor *tm = st_find(&st, "adamw.exp_avg"), *tv = st_find(&st, "adamw.exp_avg_sq"),
                    *ts = st_find(&st, "step");
    if (st.count != 3 || !tm || !tv || !ts || tm->dtype != ST_F32 || tv->dtype != ST_F32 ||
        tm->ndim != 1 || tv->ndim != 1 || tm->numel != n || tv->numel != n || ts->dtype != ST_I64 ||
        ts->ndim != 0) {
        size_t count = st.count;
        st_free(&st);
        return ptmi_err(err, PTM_ERR_TENSOR, path, NULL,
                        "expected exactly adamw.exp_avg and adamw.exp_avg_sq (F32 [%zu]) and step "
                        "(I64 scalar), found %zu tensors",
                        n, count);
    }
    memcpy(am, tm->data, n * sizeof(float));
    memcpy(av, tv->data, n * sizeof(float));
    memcpy(step, ts->data, sizeof(int64_t));
    st_free(&st);
    if (*step < 0 || *step > PTMI_TRAIN_MAX_STEP)
        return ptmi_err(err, PTM_ERR_TENSOR, path, "step", "step %lld, expected 0 <= step <= 2^53",
                        (long long)*step);
    /* hostile or corrupt moments must not reach AdamW */
    return train_moments_check(am, av, n, PTM_ERR_TENSOR, path, err);
}

/* trainer_state.json of a resume state: integer counters in range, consistent with each other
 * and with the optimizer's step (every epoch takes at least one step, so epoch < step; a
 * "step" key, when present, equals it); best_val a number or null */
static ptm_status load_counters(const char *path, int64_t step, int *epoch, double *best_val,
                                int *best_epoch, int *bad_epochs, ptm_error *err) {
    unsigned char *buf = NULL;
    size_t n = 0;
    ptm_status s = ptmi_read_file(path, 1 << 20, &buf, &n, err);
    if (s != PTM_OK) return s;
    json_value *root = NULL;
    s = json_parse((const char *)buf, n, path, &root, err);
    free(buf);
    if (s != PTM_OK) return s;
    const json_value *ve = json_get(root, "epoch"), *vb = json_get(root, "best_val"),
                     *vbe = json_get(root, "best_epoch"), *vbad = json_get(root, "bad_epochs"),
                     *vs = json_get(root, "step");
    /* integers in range (a cast of an out-of-range double is undefined behaviour);
     * best_val is null when no epoch has had a finite validation loss */
    if (!ve || !vb || !vbe || !vbad || ve->type != JSON_NUMBER || !ve->is_integer ||
        (vb->type != JSON_NUMBER && vb->type != JSON_NULL) || vbe->type != JSON_NUMBER ||
        !vbe->is_integer || vbad->type != JSON_NUMBER || !vbad->is_integer ||
        !(ve->number >= 0 && ve->number < INT_MAX && ve->number < (double)step) ||
        !(vbe->number >= -1) || !(vbe->number <= ve->number) ||
        !(vbad->number >= 0 && vbad->number <= ve->number + 1) ||
        (vs && (vs->type != JSON_NUMBER || !vs->is_integer || vs->number != (double)step))) {
        json_free(root);
        return ptmi_err(err, PTM_ERR_FORMAT, path, NULL,
                        "expected integers 0 <= epoch < step (%lld, the optimizer's), -1 <= "
                        "best_epoch <= epoch, 0 <= bad_epochs <= epoch + 1, a number (or null) "
                        "best_val and no other step",
                        (long long)step);
    }
    *epoch = (int)ve->number;
    *best_val = vb->type == JSON_NULL ? (double)INFINITY : vb->number;
    *best_epoch = (int)vbe->number;
    *bad_epochs = (int)vbad->number;
    json_free(root);
    return PTM_OK;
}

ptm_status ptmi_train_load_state(const char *dir, ptm_model *m, float *am, float *av, int *epoch,
                                 int64_t *step, double *best_val, int *best_epoch, int *bad_epochs,
                                 ptm_error *err) {
    /* a crash between the two renames of train_checkpoint_save leaves only DIR.old: use it */
    char old_dir[4200];
    snprintf(old_dir, sizeof old_dir, "%s.old", dir);
    if (!dir_exists(dir) && dir_exists(old_dir)) dir = old_dir;
    ptm_model *last = NULL;
    ptm_status s = ptmi_model_load(dir, NULL, PTMI_STORE_TRAIN, &last, err);
    if (s != PTM_OK) return s;
    if (last->arena_floats != m->arena_floats || last->n_table != m->n_table) {
        ptm_model_free(last);
        return ptmi_err(err, PTM_ERR_INPUT, dir, NULL,
                        "the checkpoint to resume has another architecture than this job");
    }
    memcpy(m->arena, last->arena, m->arena_floats * sizeof(float));
    memcpy(m->iarena, last->iarena, m->iarena_count * sizeof(int64_t));
    ptm_model_free(last);
    ptmi_model_sync(m);
    char path[4200];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    if ((s = load_optimizer(path, m->arena_floats, am, av, step, err)) != PTM_OK) return s;
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    return load_counters(path, *step, epoch, best_val, best_epoch, bad_epochs, err);
}

ptm_status train_checkpoint_save_best(ptm_model *m, const char *dir, double mean, double sd,
                                      float **backup, ptm_error *err) {
    if (!(sd > 0.0)) return ptm_model_save(m, dir, err);
    ptmi_linear *h = &m->p.head;
    size_t nw = (size_t)h->out * (size_t)h->in, nb = (size_t)h->out;
    if (!*backup) *backup = malloc(sizeof(float) * (nw + nb));
    if (!*backup) return ptmi_err(err, PTM_ERR_NOMEM, dir, NULL, "out of memory");
    memcpy(*backup, h->w, nw * sizeof(float));
    memcpy(*backup + nw, h->b, nb * sizeof(float));
    for (size_t i = 0; i < nw; i++) h->w[i] = (float)((double)h->w[i] * sd);
    for (size_t i = 0; i < nb; i++) h->b[i] = (float)((double)h->b[i] * sd + mean);
    ptm_status s = ptm_model_save(m, dir, err);
    memcpy(h->w, *backup, nw * sizeof(float));
    memcpy(h->b, *backup + nw, nb * sizeof(float));
    return s;
}
