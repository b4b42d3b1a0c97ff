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

ptm_status ptmi_train_load_state(const char *dir, ptm_model *m, float *am, float *av, int *epoch,
                                 int64_t *step, double *best_val, int *best_epoch, int *bad_epochs,
                                 ptm_error *err) {
    /* a crash between the two renames of train_checkpoint_save leaves only DIR.old: use it */
    char old_dir[4200];
    snprintf(old_dir, sizeof old_dir, "%s.old", dir);
    if (!dir_exists(dir) && dir_exists(old_dir)) dir = old_dir;
    ptm_model *last = NULL;
    ptm_status s = ptm_model_load(dir, &last, err);
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
    char path[4096];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    st_file st = {0};
    if ((s = st_load(path, &st, err)) != PTM_OK) return s;
    const st_tensor *tm = st_find(&st, "adamw.exp_avg"), *tv = st_find(&st, "adamw.exp_avg_sq"),
                    *ts = st_find(&st, "step");
    if (!tm || !tv || !ts || tm->numel != m->arena_floats || tv->numel != m->arena_floats ||
        ts->dtype != ST_I64 || ts->numel != 1 || tm->dtype != ST_F32 || tv->dtype != ST_F32) {
        st_free(&st);
        return ptmi_err(err, PTM_ERR_TENSOR, path, NULL,
                        "expected adamw.exp_avg and adamw.exp_avg_sq (F32 [%zu]) and step (I64)",
                        m->arena_floats);
    }
    memcpy(am, tm->data, m->arena_floats * sizeof(float));
    memcpy(av, tv->data, m->arena_floats * sizeof(float));
    memcpy(step, ts->data, sizeof(int64_t));
    st_free(&st);
    /* hostile or corrupt state must not reach AdamW: moments finite, second moments >= 0 */
    for (size_t i = 0; i < m->arena_floats; i++) {
        if (!isfinite(am[i]) || !isfinite(av[i]) || av[i] < 0.0f)
            return ptmi_err(err, PTM_ERR_TENSOR, path,
                            isfinite(am[i]) ? "adamw.exp_avg_sq" : "adamw.exp_avg",
                            "value %zu is %g; expected finite moments (exp_avg_sq >= 0)", i,
                            (double)(isfinite(am[i]) ? av[i] : am[i]));
    }
    if (*step < 0)
        return ptmi_err(err, PTM_ERR_TENSOR, path, "step", "step %lld, expected >= 0",
                        (long long)*step);
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    unsigned char *buf = NULL;
    size_t n = 0;
    if ((s = ptmi_read_file(path, 1 << 20, &buf, &n, err)) != PTM_OK) return s;
    json_value *root = NULL;
    s = json_parse((const char *)buf, n, path, &root, err);
    free(buf);
    if (s != PTM_OK) return s;
    const json_value *ve = json_get(root, "epoch"), *vb = json_get(root, "best_val"),
                     *vbe = json_get(root, "best_epoch"), *vbad = json_get(root, "bad_epochs");
    /* integers in range (a cast of an out-of-range double is undefined behaviour);
     * best_val is null when no epoch has had a finite validation loss */
    if (!ve || !vb || !vbe || !vbad || ve->type != JSON_NUMBER || !ve->is_integer ||
        (vb->type != JSON_NUMBER && vb->type != JSON_NULL) || vbe->type != JSON_NUMBER ||
        !vbe->is_integer || vbad->type != JSON_NUMBER || !vbad->is_integer ||
        !(ve->number >= 0 && ve->number < INT_MAX) || !(vbe->number >= -1) ||
        !(vbe->number <= ve->number) || !(vbad->number >= 0 && vbad->number <= ve->number + 1)) {
        json_free(root);
        return ptmi_err(err, PTM_ERR_FORMAT, path, NULL,
                        "expected integers 0 <= epoch, -1 <= best_epoch <= epoch, 0 <= "
                        "bad_epochs <= epoch + 1 and a number (or null) best_val");
    }
    *epoch = (int)ve->number;
    *best_val = vb->type == JSON_NULL ? (double)INFINITY : vb->number;
    *best_epoch = (int)vbe->number;
    *bad_epochs = (int)vbad->number;
    json_free(root);
    return PTM_OK;
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
