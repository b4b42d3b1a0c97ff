/* test_threads.c - one loaded model used from many threads at once.
 *
 * The API's rule (include/patchtsmixer.h): a ptm_model is read-only after loading and may be
 * shared by any number of threads; each thread uses its own ptm_ctx. Here NTHREADS threads
 * start together on the same loaded models (a point forecaster, a Student-t forecaster with
 * BatchNorm and a loss, so lgamma runs concurrently; a classifier with self-attention), each
 * with its own contexts (half of them with a 2-thread pool of their own), run every model
 * ITERS times, draw seeded samples from the distribution head, and keep every output. Then
 * the main thread computes the same single-threaded and everything must be bit-identical.
 *
 *     build/test_threads              prints "test_threads: N passed, M failed"
 *     make tsan                       the same under ThreadSanitizer (build/tsan/test_threads)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"
#include "patchtsmixer.h"
#include "testutil.h"

#define NTHREADS 4
#define ITERS 3
#define NSAMPLES 8

static const char *const cases[] = {
    "tests/golden/fc_common_gated_ln_std",
    "tests/golden/fc_nll_student_t_mix_predidx_bn",
    "tests/golden/cls_noagg_std_selfattn2",
};
#define NCASES (int)(sizeof cases / sizeof cases[0])

typedef struct {
    ptm_model *model;
    st_file inputs;
    float *past, *obs, *fut; /* from inputs.safetensors (obs, fut may be NULL) */
    int batch;
    int nll;
} case_data;

static case_data g_cases[NCASES];

/* everything one run produced: all outputs back to back, then the samples */
typedef struct {
    float *data;
    size_t n;
} result;

static float *tensor_copy(const st_file *f, const char *name, int *batch) {
    const st_tensor *t = st_find(f, name);
    if (!t || t->dtype != ST_F32) return NULL;
    float *d = malloc(t->numel * sizeof(float));
    ptm_error err;
    if (d && st_to_f32(t, d, &err) != PTM_OK) {
        free(d);
        return NULL;
    }
    if (batch) *batch = (int)t->shape[0];
    return d;
}

/* Run case k once in ctx; the outputs (and samples) go to *r. 0 on success. */
static int run_case(ptm_ctx *ctx, int k, result *r) {
    const case_data *cd = &g_cases[k];
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = cd->batch;
    in.past_values = cd->past;
    in.observed_mask = cd->obs;
    in.future_values = cd->fut; /* the Student-t loss: lgamma in every thread */
    ptm_error err;
    if (ptm_forward(ctx, &in, &err) != PTM_OK) return -1;
    size_t total = 0;
    int n = ptm_ctx_num_outputs(ctx);
    for (int i = 0; i < n; i++) {
        ptm_tensor_view v;
        if (ptm_ctx_output_at(ctx, i, &v, NULL) != PTM_OK) return -1;
        size_t numel = 1;
        for (int d = 0; d < v.ndim; d++) numel *= (size_t)v.shape[d];
        total += numel;
    }
    const ptm_config *c = ptm_model_config(cd->model);
    size_t per = (size_t)c->prediction_length * (size_t)c->num_prediction_channels;
    size_t ns = cd->nll ? (size_t)cd->batch * NSAMPLES * per : 0;
    r->data = malloc((total + ns + 1) * sizeof(float));
    if (!r->data) return -1;
    r->n = 0;
    for (int i = 0; i < n; i++) {
        ptm_tensor_view v;
        if (ptm_ctx_output_at(ctx, i, &v, NULL) != PTM_OK) return -1;
        size_t numel = 1;
        for (int d = 0; d < v.ndim; d++) numel *= (size_t)v.shape[d];
        memcpy(r->data + r->n, v.data, numel * sizeof(float));
        r->n += numel;
    }
    if (ns) {
        if (ptm_ctx_sample(ctx, NSAMPLES, 1234, r->data + r->n, ns, &err) != PTM_OK) return -1;
        r->n += ns;
    }
    return 0;
}

typedef struct {
    int id;
    result res[ITERS][NCASES];
    int failed;
} worker;

static pthread_barrier_t g_start;

static void *worker_main(void *arg) {
    worker *w = arg;
    ptm_ctx *ctx[NCASES] = {NULL};
    pthread_barrier_wait(&g_start); /* all threads start on the shared models together */
    for (int k = 0; k < NCASES; k++) {
        ptm_ctx_params cp = ptm_ctx_default_params();
        cp.keep_hidden_states = 1; /* compare every layer's output too */
        cp.max_batch = g_cases[k].batch;
        cp.num_threads = 1 + w->id % 2; /* results must not depend on it */
        ptm_error err;
        if (ptm_ctx_create(g_cases[k].model, &cp, &ctx[k], &err) != PTM_OK) w->failed = 1;
    }
    for (int it = 0; it < ITERS && !w->failed; it++)
        for (int k = 0; k < NCASES; k++)
            if (run_case(ctx[k], k, &w->res[it][k]) != 0) w->failed = 1;
    for (int k = 0; k < NCASES; k++) ptm_ctx_free(ctx[k]);
    return NULL;
}

int main(void) {
    ptm_error err;
    for (int k = 0; k < NCASES; k++) {
        case_data *cd = &g_cases[k];
        char path[512];
        CHECK_STATUS(ptm_model_load(cases[k], &cd->model, &err), PTM_OK);
        snprintf(path, sizeof path, "%s/inputs.safetensors", cases[k]);
        CHECK_STATUS(st_load(path, &cd->inputs, &err), PTM_OK);
        cd->past = tensor_copy(&cd->inputs, "past_values", &cd->batch);
        cd->obs = tensor_copy(&cd->inputs, "observed_mask", NULL);
        cd->fut = tensor_copy(&cd->inputs, "future_values", NULL);
        CHECK(cd->model != NULL && cd->past != NULL);
        if (!cd->model || !cd->past) return test_summary("test_threads");
        cd->nll = ptm_model_config(cd->model)->loss == PTM_LOSS_NLL;
    }

    /* the threads first, so that they are the first users of everything lazily set up */
    static worker w[NTHREADS];
    pthread_t th[NTHREADS];
    pthread_barrier_init(&g_start, NULL, NTHREADS);
    for (int t = 0; t < NTHREADS; t++) {
        w[t].id = t;
        CHECK(pthread_create(&th[t], NULL, worker_main, &w[t]) == 0);
    }
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    pthread_barrier_destroy(&g_start);

    /* the single-threaded reference */
    for (int k = 0; k < NCASES; k++) {
        ptm_ctx_params cp = ptm_ctx_default_params();
        cp.keep_hidden_states = 1; /* compare every layer's output too */
        cp.max_batch = g_cases[k].batch;
        ptm_ctx *ctx = NULL;
        CHECK_STATUS(ptm_ctx_create(g_cases[k].model, &cp, &ctx, &err), PTM_OK);
        result ref = {NULL, 0};
        CHECK(ctx && run_case(ctx, k, &ref) == 0);
        for (int t = 0; t < NTHREADS; t++) {
            CHECK(!w[t].failed);
            for (int it = 0; it < ITERS; it++) {
                const result *r = &w[t].res[it][k];
                int same = r->n == ref.n && ref.data && r->data &&
                           memcmp(r->data, ref.data, ref.n * sizeof(float)) == 0;
                if (!same)
                    fprintf(stderr, "FAIL thread %d, iteration %d, %s: differs from one thread\n",
                            t, it, cases[k]);
                CHECK(same);
            }
        }
        free(ref.data);
        ptm_ctx_free(ctx);
    }
    for (int t = 0; t < NTHREADS; t++)
        for (int it = 0; it < ITERS; it++)
            for (int k = 0; k < NCASES; k++) free(w[t].res[it][k].data);
    for (int k = 0; k < NCASES; k++) {
        ptm_model_free(g_cases[k].model);
        st_free(&g_cases[k].inputs);
        free(g_cases[k].past);
        free(g_cases[k].obs);
        free(g_cases[k].fut);
    }
    return test_summary("test_threads");
}
