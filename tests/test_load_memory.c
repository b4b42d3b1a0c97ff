/* test_load_memory.c - a loaded model keeps each weight once (model.h, PTMI_STORE_LOADED):
 *
 *  - for every golden case, the model from ptm_model_load gives bit for bit the outputs of the
 *    same checkpoint loaded with both layouts (what training uses), at the default kernel level
 *    (so every add_linear in model.c is tagged with the layout its inference path reads), and
 *    ptm_model_save writes the same bytes from either (weights stored transposed are written
 *    back as [out, in]);
 *  - ptm_ctx_create_train on a loaded model converts it, after which it saves the same bytes;
 *  - a model of about 80 MB loads in a child process whose peak resident memory grows by at
 *    most 1.2x the file's size, and ptm_model_memory_bytes says at most 1.05x the file.
 *
 *     build/test_load_memory      prints "test_load_memory: N passed, M failed"
 *
 * Under a sanitizer or valgrind (PTM_UNDER_VALGRIND=1) the large model is smaller and its
 * resident memory is not checked (those tools map memory of their own).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile.h"
#include "kernels/kernels.h"

/* outputs of one forward of m on a deterministic batch, concatenated; *n gets the count */
static float *forward_outputs(const ptm_model *m, size_t *n) {
    const ptm_config *c = ptm_model_config(m);
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 2;
    cp.keep_hidden_states = 1;
    ptm_ctx *ctx = NULL;
    ptm_error err;
    *n = 0;
    if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_OK) return NULL;
    size_t np = (size_t)2 * c->context_length * c->num_input_channels;
    float *past = malloc(np * sizeof(float));
    for (size_t i = 0; i < np; i++) past[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 2;
    in.past_values = past;
    in.mask_seed = 7;
    float *all = NULL;
    if (ptm_forward(ctx, &in, &err) == PTM_OK) {
        for (int k = 0; k < ptm_ctx_num_outputs(ctx); k++) {
            ptm_tensor_view v;
            if (ptm_ctx_output_at(ctx, k, &v, &err) != PTM_OK) continue;
            size_t cnt = 1;
            for (int d = 0; d < v.ndim; d++) cnt *= (size_t)v.shape[d];
            float *grown = realloc(all, (*n + cnt + 1) * sizeof(float));
            if (!grown) break;
            all = grown;
            memcpy(all + *n, v.data, cnt * sizeof(float));
            *n += cnt;
        }
    }
    free(past);
    ptm_ctx_free(ctx);
    return all;
}

/* the bytes of dir/model.safetensors (*n its size), or NULL */
static unsigned char *file_bytes(const char *dir, size_t *n) {
    char p[700];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    *n = b && len >= 0 && fread(b, 1, (size_t)len, f) == (size_t)len ? (size_t)len : 0;
    fclose(f);
    return b;
}

static int same_saved(const ptm_model *a, const ptm_model *b, const char *name) {
    char da[300], db[300];
    snprintf(da, sizeof da, "%s", tmp_path(name));
    snprintf(db, sizeof db, "%s_ref", da);
    ptm_error err;
    if (ptm_model_save(a, da, &err) != PTM_OK || ptm_model_save(b, db, &err) != PTM_OK) return 0;
    size_t na = 0, nb = 0;
    unsigned char *x = file_bytes(da, &na), *y = file_bytes(db, &nb);
    int same = x && y && na == nb && na > 0 && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* every case folder of root (those with a config.json); returns how many were checked, and
 * in *forwards how many of them ran a forward on past values alone (TinyTimeMixer cases with a
 * frequency token, categoricals or exogenous channels need more inputs) */
static int check_cases(const char *root, int *forwards) {
    DIR *d = opendir(root);
    CHECK(d != NULL);
    if (!d) return 0;
    struct dirent *de;
    int cases = 0;
    while ((de = readdir(d))) {
        char dir[600], cfg[700];
        snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
        snprintf(cfg, sizeof cfg, "%s/config.json", dir);
        if (de->d_name[0] == '.' || access(cfg, F_OK) != 0) continue;
        ptm_model *lean = NULL, *full = NULL;
        ptm_error err;
        CHECK_STATUS(ptm_model_load(dir, &lean, &err), PTM_OK);
        CHECK_STATUS(ptmi_model_load(dir, NULL, PTMI_STORE_TRAIN, &full, &err), PTM_OK);
        if (!lean || !full) continue;
        CHECK(lean->store == PTMI_STORE_LOADED && full->store == PTMI_STORE_TRAIN);
        CHECK(lean->karena_floats < full->karena_floats);
        size_t n1 = 0, n2 = 0;
        float *o1 = forward_outputs(lean, &n1), *o2 = forward_outputs(full, &n2);
        int same = n1 == n2 && (n1 == 0 || memcmp(o1, o2, n1 * sizeof(float)) == 0);
        if (!same) fprintf(stderr, "  %s: outputs differ between the stores\n", de->d_name);
        CHECK(same);
        *forwards += n1 > 0;
        free(o1);
        free(o2);
        CHECK(same_saved(lean, full, de->d_name));
        /* a training context converts the loaded model; it then saves the same bytes */
        ptm_ctx *tc = NULL;
        CHECK_STATUS(ptm_ctx_create_train(lean, NULL, &tc, &err), PTM_OK);
        CHECK(lean->store == PTMI_STORE_TRAIN);
        ptm_ctx_free(tc);
        char conv[300];
        snprintf(conv, sizeof conv, "%s_conv", de->d_name);
        CHECK(same_saved(lean, full, conv));
        ptm_model_free(lean);
        ptm_model_free(full);
        cases++;
    }
    closedir(d);
    return cases;
}

TEST(golden_cases_both_stores) {
    int fw = 0, fw_ttm = 0;
    CHECK(check_cases("tests/golden", &fw) >= 30 && fw >= 30);
    CHECK(check_cases("tests/golden/ttm", &fw_ttm) == 15 && fw_ttm >= 8);
}

/* Large mixer layers are kept packed by a loaded model (kernels.h, ptmi_packed_weight): a model
 * with 512 patches (patch mixer weights of 1-2 MiB) loads them packed, gives the outputs of the
 * unpacked model bit for bit on every kernel level (AVX-512's packed kernel, the others' GEMM
 * per sliver), saves the same bytes before and after conversion to training, and a NaN in a
 * packed weight is reported at its index in the file. */
TEST(packed_weights) {
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = PTM_CLASS_PREDICTION;
    c.context_length = 1024;
    c.patch_length = c.patch_stride = 2;
    c.num_input_channels = 2;
    c.d_model = 16;
    c.num_layers = 1;
    c.prediction_length = 24;
    ptm_model *m = NULL;
    ptm_error err;
    CHECK_STATUS(ptmi_config_finish(&c, "test", &err), PTM_OK);
    CHECK_STATUS(ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err), PTM_OK);
    ptm_config_free(&c);
    if (!m) return;
    for (size_t i = 0; i < m->arena_floats; i++)
        m->arena[i] = 0.002f * (float)((i * 7919) % 1001) - 1.0f;
    ptmi_model_sync(m);
    const char *dir = tmp_path("packed");
    CHECK_STATUS(ptm_model_save(m, dir, &err), PTM_OK);
    ptm_model *lean = NULL, *full = NULL;
    CHECK_STATUS(ptm_model_load(dir, &lean, &err), PTM_OK);
    CHECK_STATUS(ptmi_model_load(dir, NULL, PTMI_STORE_TRAIN, &full, &err), PTM_OK);
    if (!lean || !full) return;
    int packed = 0;
    for (int i = 0; i < lean->n_table; i++) packed += lean->table[i].form == PTMI_FORM_PACKED;
    CHECK_EQ_INT(packed, 3); /* the patch mixer's fc1, fc2 and gate */
    CHECK(lean->p.layers[0].patch.fc1.wp && !lean->p.layers[0].patch.fc1.wt);
    int levels[3] = {PTMI_KERNELS_SCALAR, PTMI_KERNELS_AVX2, PTMI_KERNELS_AVX512};
    for (int li = 0; li < 3; li++) {
        int prev = ptmi_kernels_set_max_level(levels[li]);
        if (ptmi_kernels_level() == levels[li]) {
            size_t n1 = 0, n2 = 0;
            float *o1 = forward_outputs(lean, &n1), *o2 = forward_outputs(full, &n2);
            CHECK(n1 == n2 && n1 > 0 && memcmp(o1, o2, n1 * sizeof(float)) == 0);
            free(o1);
            free(o2);
        }
        ptmi_kernels_set_max_level(prev);
    }
    CHECK(same_saved(lean, full, "packed_lean"));
    ptm_ctx *tc = NULL;
    CHECK_STATUS(ptm_ctx_create_train(lean, NULL, &tc, &err), PTM_OK);
    ptm_ctx_free(tc);
    CHECK(lean->store == PTMI_STORE_TRAIN && !lean->p.layers[0].patch.fc1.wp);
    CHECK(same_saved(lean, full, "packed_conv"));
    /* a NaN at [5, 7] of the patch mixer's fc1 ([1024, 512]): value 5 * 512 + 7 */
    m->p.layers[0].patch.fc1.w[5 * 512 + 7] = NAN;
    CHECK_STATUS(ptm_model_save(m, dir, &err), PTM_OK);
    ptm_model *bad = NULL;
    CHECK_STATUS(ptm_model_load(dir, &bad, &err), PTM_ERR_TENSOR);
    CHECK(strstr(err.text, "value 2567 is NaN") != NULL);
    CHECK(strstr(err.field, "patch_mixer.mlp.fc1.weight") != NULL);
    ptm_model_free(bad);
    ptm_model_free(lean);
    ptm_model_free(full);
    ptm_model_free(m);
}

/* resident memory now, KiB */
static long rss_now_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* ptm_model_load(dir) in a child: how much its peak resident memory grew (KiB) comes back
 * through a pipe; returns the load's status, or -1 */
static int load_growth_in_child(const char *dir, long *grew_kb) {
    int pfd[2];
    if (pipe(pfd) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        long before = rss_now_kb();
        ptm_error err;
        ptm_model *m = NULL;
        ptm_status s = ptm_model_load(dir, &m, &err);
        if (s != PTM_OK) fprintf(stderr, "  load: %s\n", err.text);
        struct rusage ru;
        long kb = getrusage(RUSAGE_SELF, &ru) == 0 && before >= 0 ? ru.ru_maxrss - before : -1;
        ptm_model_free(m);
        if (write(pfd[1], &kb, sizeof kb) != (ssize_t)sizeof kb) _exit(100);
        _exit((int)s);
    }
    close(pfd[1]);
    long kb = -1;
    if (pid < 0 || read(pfd[0], &kb, sizeof kb) != (ssize_t)sizeof kb) kb = -1;
    close(pfd[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    *grew_kb = kb;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(large_model_peak) {
    int small = UNDER_SANITIZER || getenv("PTM_UNDER_VALGRIND");
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = PTM_CLASS_PREDICTION;
    c.context_length = 512;
    c.patch_length = c.patch_stride = 16;
    c.num_patches = 32;
    c.num_input_channels = 1;
    c.num_prediction_channels = 1;
    c.d_model = small ? 64 : 1024;
    c.num_layers = 3;
    c.gated_attn = 1;
    c.prediction_length = 96;
    ptm_model *m = NULL;
    ptm_error err;
    CHECK_STATUS(ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err), PTM_OK);
    if (!m) return;
    for (size_t i = 0; i < m->arena_floats; i++)
        m->arena[i] = 0.001f * (float)((i * 7919) % 2001) - 1.0f;
    ptmi_model_sync(m);
    const char *dir = tmp_path("large");
    CHECK_STATUS(ptm_model_save(m, dir, &err), PTM_OK);
    ptm_model_free(m);
    char p[700];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    struct stat st;
    CHECK(stat(p, &st) == 0);
    double file = (double)st.st_size;
    uint64_t need = 0;
    CHECK_STATUS(ptm_model_memory_bytes(&c, &need, &err), PTM_OK);
    fprintf(stderr, "  model.safetensors %.1f MB; ptm_model_memory_bytes %.1f MB (%.3fx)\n",
            file / 1e6, (double)need / 1e6, (double)need / file);
    CHECK((double)need <= (small ? 1.2 : 1.05) * file); /* small: the patch weights weigh more */
    long grew = -1;
    CHECK_EQ_INT(load_growth_in_child(dir, &grew), PTM_OK);
    if (small) return;
    fprintf(stderr, "  loading grew the peak resident memory by %.1f MB (%.3fx the file)\n",
            (double)grew * 1024 / 1e6, (double)grew * 1024 / file);
    CHECK(grew > 0 && (double)grew * 1024 <= 1.2 * file);
}

int main(void) {
    hostile_setup("test_load_memory");
    RUN(golden_cases_both_stores);
    RUN(packed_weights);
    RUN(large_model_peak);
    return hostile_finish();
}
