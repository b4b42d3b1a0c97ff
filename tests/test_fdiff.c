/* test_fdiff.c - finite-difference gradient checks, layer by layer (in the manner of kann's
 * kad_check_grad and ggml's test-backend-ops grad mode), so that a wrong backward points at
 * one layer rather than at "training does not converge".
 *
 * Every case builds small random inputs and parameters from a fixed seed, takes the scalar
 * L = sum(out * R) for a fixed random R (or, for whole models, the model's own loss), gets the
 * analytic gradient of L from the backward function and compares it, element by element, with
 * a numeric derivative from L at x +- h, x +- 2h, h = 1e-2 max(1, |x|) (five-point central
 * stencil; see fd_numeric and fd_check), computed in float (the only precision the layers
 * support) with L summed in double. An element passes when
 *   |num - ana| / max(floor, |num| + |ana|) < FD_TOL,
 * floor = FD_FLOOR min(1, largest |analytic gradient| of the case) (the usual 1e-2 for the
 * layers, whose gradients are of order one; less for whole-model losses), raised to the
 * resolution float rounding of L allows.
 * Checked: the inputs and every parameter (weights, biases, norm weight and bias) of
 *   linear, GELU, LayerNorm, BatchNorm (train, eval), gated attention, MLP (with and without
 *   dropout masks), 2-head self-attention (with and without a dropout mask);
 *   one mixer layer for {common, mix}_channel x {LayerNorm, BatchNorm} x {gated, not} x
 *   {self-attention, not}, plus eval mode and dropout (masks from a generator reseeded on
 *   every forward);
 *   whole models through the public API (ptm_forward, ptm_backward, ptm_ctx_grad) for every
 *   class, loss, distribution and head option, up to 12 elements of every trainable tensor.
 *   In a training context ptm_forward updates the BatchNorm running statistics, which do not
 *   enter the train-mode output, so the loss stays a function of the weights alone.
 * Prints one line per case with its worst relative error and where it occurred. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "layers/layers.h"
#include "model/model.h"
#include "patchtsmixer.h"
#include "base/rng.h"
#include "testutil.h"
#include "train/trainer.h"

#define FD_TOL 2e-2
#define FD_FLOOR 1e-2
#define FD_FLOOR_MIN 1e-6
#define FD_STEP 1e-2f
#define FD_NOISE_ULPS 8.0

/* ---------------------------------------------------------------- helpers */

static ptmi_rng g_rng;

static float urand(float lo, float hi) {
    return lo + (hi - lo) * (float)ptmi_rng_uniform(&g_rng);
}

static float *rnd(size_t n, float lo, float hi) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (!p) abort();
    for (size_t i = 0; i < n; i++) p[i] = urand(lo, hi);
    return p;
}

static float *zeros(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) abort();
    return p;
}

/* inverted-dropout mask: 0 or 1/(1-p) */
static float *drop_mask(size_t n, float p) {
    float *m = zeros(n);
    dropout_mask_fill(m, n, p, &g_rng);
    return m;
}

/* magnitude of the last loss as float rounding sees it: the outputs' rounding errors are
 * independent, so L = sum out R is uncertain by about FLT_EPSILON sqrt(sum (out R)^2), times
 * what the layers' own roundings add (set by every loss function) */
static double g_lscale;

static double dot(const float *a, const float *b, size_t n) {
    double s = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)a[i] * (double)b[i];
        m += ((double)a[i] * (double)b[i]) * ((double)a[i] * (double)b[i]);
    }
    g_lscale = sqrt(m);
    return s;
}

/* a shorter display name for model tensors */
static const char *short_name(const char *name) {
    const char *pre[] = {"model.encoder.mlp_mixer_encoder.mixers.", "model.encoder.", "model."};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        size_t n = strlen(pre[i]);
        if (strncmp(name, pre[i], n) == 0) return name + n;
    }
    return name;
}

/* ---------------------------------------------------------------- the checker */

typedef double (*fd_loss)(void *ud);

typedef struct {
    const char *name;
    float *x;       /* values perturbed in place */
    const float *g; /* analytic gradient */
    size_t n;
} fd_param;

typedef struct {
    fd_param *v;
    int n, cap;
} fd_list;

static void fd_add(fd_list *l, const char *name, float *x, const float *g, size_t n) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        fd_param *v = realloc(l->v, (size_t)l->cap * sizeof *v);
        if (!v) abort();
        l->v = v;
    }
    l->v[l->n++] = (fd_param){name, x, g, n};
}

/* Numeric derivatives from L at x +- h and x +- 2h, h = step max(1, |x|) (with the first step
 * the outer points are x +- 1e-2 max(1, |x|), the usual finite-difference step):
 *   central: the five-point stencil (8 (L(x+h) - L(x-h)) - (L(x+2h) - L(x-2h))) / 12h, exact
 *     up to h^4: the plain central difference at 1e-2 is off by several percent where a
 *     LayerNorm over a few features is strongly curved;
 *   right, left (when L(x) is given): the one-sided second-order differences
 *     (-3 L(x) + 4 L(x+h) - L(x+2h)) / 2h and (3 L(x) - 4 L(x-h) + L(x-2h)) / 2h, which stay
 *     right on their side when a max-pool argmax switches within the step on the other.
 * The perturbed values are rounded to float, so the actual distances are used. */
typedef struct {
    double central, right, left;
    float h;
} fd_est;

static fd_est fd_numeric(fd_loss f, void *ud, float *x, float step, double lmid) {
    float x0 = *x;
    float h = step * (fabsf(x0) > 1.0f ? fabsf(x0) : 1.0f);
    float p1 = x0 + h, m1 = x0 - h, p2 = x0 + 2.0f * h, m2 = x0 - 2.0f * h;
    *x = p1;
    double lp1 = f(ud);
    *x = m1;
    double lm1 = f(ud);
    *x = p2;
    double lp2 = f(ud);
    *x = m2;
    double lm2 = f(ud);
    *x = x0;
    double d1 = (lp1 - lm1) / ((double)p1 - (double)m1);
    double d2 = (lp2 - lm2) / ((double)p2 - (double)m2);
    fd_est e;
    e.central = (4.0 * d1 - d2) / 3.0;
    e.right = (-3.0 * lmid + 4.0 * lp1 - lp2) / (((double)p2 - (double)x0));
    e.left = (3.0 * lmid - 4.0 * lm1 + lm2) / (((double)x0 - (double)m2));
    e.h = h;
    return e;
}

/* |num - ana| / max(floor, |num| + |ana|) */
static double fd_rel(double num, double ana, double floor) {
    double den = fabs(num) + fabs(ana);
    return fabs(num - ana) / (den > floor ? den : floor);
}

/* Compares analytic and numeric gradients of f for the elements of every tensor of l (all of
 * them, or max_per drawn at random when a tensor is larger) and prints one line.
 * The floor of the relative error is FD_FLOOR min(1, largest |analytic gradient|), raised to
 * what float rounding allows: L is resolved to about FLT_EPSILON g_lscale, so a numeric
 * derivative is only good to about FD_NOISE_ULPS FLT_EPSILON g_lscale / h (three times that
 * for the one-sided differences).
 * An element whose central difference disagrees at the first step is retried at a 4x smaller
 * step (strong curvature), a 4x larger one (rounding noise) and a 16x smaller one (a kink close
 * to x), where the one-sided differences
 * may also agree (a max-pool argmax switching within the step: the analytic gradient is that
 * of the branch at x, the derivative on one side). A wrong backward disagrees at every step
 * and on both sides. */
static double fd_check(const char *label, fd_loss f, void *ud, const fd_list *l, size_t max_per) {
    static const float steps[4] = {FD_STEP, FD_STEP / 4.0f, FD_STEP * 4.0f, FD_STEP / 16.0f};
    double gmax = 0.0;
    for (int t = 0; t < l->n; t++)
        for (size_t i = 0; i < l->v[t].n; i++) {
            double a = fabs((double)l->v[t].g[i]);
            gmax = a > gmax ? a : gmax;
        }
    double floor = FD_FLOOR * (gmax < 1.0 ? gmax : 1.0);
    if (floor < FD_FLOOR_MIN) floor = FD_FLOOR_MIN;
    double lmid = f(ud), l0 = fabs(lmid);
    if (g_lscale > l0) l0 = g_lscale;
    ptmi_rng pick;
    ptmi_rng_seed(&pick, 12345);
    double worst = 0.0, w_num = 0.0, w_ana = 0.0;
    const char *w_name = "-";
    size_t w_idx = 0;
    int checked = 0, bad = 0, retried = 0, one_sided = 0;
    for (int t = 0; t < l->n; t++) {
        const fd_param *p = &l->v[t];
        size_t cnt = p->n <= max_per ? p->n : max_per;
        for (size_t k = 0; k < cnt; k++) {
            size_t i = p->n <= max_per ? k : (size_t)ptmi_rng_below(&pick, p->n);
            double ana = (double)p->g[i], rel = INFINITY, num = NAN, num0 = NAN;
            int side = 0;
            for (int s = 0; s < 4 && !(rel < FD_TOL); s++) {
                fd_est e = fd_numeric(f, ud, &p->x[i], steps[s], lmid);
                double noise = FD_NOISE_ULPS * (double)FLT_EPSILON * l0 / (double)e.h;
                double fl = floor > noise / FD_TOL ? floor : noise / FD_TOL;
                double cand[3] = {e.central, e.right, e.left};
                for (int c = 0; c < (s == 0 ? 1 : 3); c++) {
                    double r = fd_rel(cand[c], ana, c ? 3.0 * fl : fl);
                    if (!(r >= rel)) {
                        rel = r;
                        num = cand[c];
                        side = c;
                    }
                }
                if (s == 0) num0 = e.central;
            }
            checked++;
            if (rel < FD_TOL && num != num0) side ? one_sided++ : retried++;
            if (!(rel < FD_TOL)) {
                if (bad < 6)
                    fprintf(stderr, "  %s: %s[%zu]: numeric %.6g, analytic %.6g (rel %.3g)\n",
                            label, short_name(p->name), i, num0, ana, rel);
                bad++;
            }
            if (!(rel <= worst)) {
                worst = rel;
                w_name = p->name;
                w_idx = i;
                w_num = num;
                w_ana = ana;
            }
        }
    }
    f(ud); /* leave the state as it was */
    printf("fdiff %-44s worst %.2e over %4d values (%s[%zu]: %.4g vs %.4g)", label, worst, checked,
           short_name(w_name), w_idx, w_num, w_ana);
    if (retried) printf(", %d at another step", retried);
    if (one_sided) printf(", %d one-sided", one_sided);
    printf("\n");
    CHECK(checked > 0);
    CHECK(bad == 0);
    return worst;
}

/* ---------------------------------------------------------------- 1. linear */

typedef struct {
    float *out, *inp, *w, *b, *r;
    size_t rows;
    int in, out_f;
} lin_ud;

static double lin_loss(void *u) {
    lin_ud *d = u;
    linear_forward_wb(d->out, d->inp, d->w, d->b, d->rows, d->in, d->out_f);
    return dot(d->out, d->r, d->rows * (size_t)d->out_f);
}

TEST(fd_linear) {
    ptmi_rng_seed(&g_rng, 1);
    lin_ud d = {0};
    d.rows = 5;
    d.in = 6;
    d.out_f = 3;
    size_t ni = d.rows * (size_t)d.in, no = d.rows * (size_t)d.out_f;
    d.inp = rnd(ni, -1, 1);
    d.w = rnd((size_t)d.in * d.out_f, -1, 1);
    d.b = rnd((size_t)d.out_f, -1, 1);
    d.r = rnd(no, -1, 1);
    d.out = zeros(no);
    float *dinp = zeros(ni), *dw = zeros((size_t)d.in * d.out_f), *db = zeros((size_t)d.out_f);
    lin_loss(&d);
    linear_backward(dinp, dw, db, d.r, d.inp, d.w, d.rows, d.in, d.out_f);
    fd_list l = {0};
    fd_add(&l, "inp", d.inp, dinp, ni);
    fd_add(&l, "weight", d.w, dw, (size_t)d.in * d.out_f);
    fd_add(&l, "bias", d.b, db, (size_t)d.out_f);
    fd_check("linear", lin_loss, &d, &l, 1000);
    free(l.v);
    free(d.inp), free(d.w), free(d.b), free(d.r), free(d.out), free(dinp), free(dw), free(db);
}

/* ---------------------------------------------------------------- 2. GELU */

typedef struct {
    float *out, *inp, *r;
    size_t n;
} gelu_ud;

static double gelu_loss(void *u) {
    gelu_ud *d = u;
    gelu_forward(d->out, d->inp, d->n);
    return dot(d->out, d->r, d->n);
}

TEST(fd_gelu) {
    ptmi_rng_seed(&g_rng, 2);
    gelu_ud d = {0};
    d.n = 40;
    d.inp = rnd(d.n, -4, 4);
    d.r = rnd(d.n, -1, 1);
    d.out = zeros(d.n);
    float *dinp = zeros(d.n);
    gelu_loss(&d);
    gelu_backward_set(dinp, d.inp, d.r, NULL, d.n);
    fd_list l = {0};
    fd_add(&l, "inp", d.inp, dinp, d.n);
    fd_check("gelu", gelu_loss, &d, &l, 1000);
    free(l.v);
    free(d.inp), free(d.r), free(d.out), free(dinp);
}

/* ---------------------------------------------------------------- 3.-5. norms */

enum { NORM_LAYER, NORM_BATCH_TRAIN, NORM_BATCH_EVAL };

typedef struct {
    int kind;
    float *out, *inp, *w, *b, *r, *mean, *rstd, *rmean, *rvar;
    size_t rows;
    int d;
} norm_ud;

static double norm_loss(void *u) {
    norm_ud *d = u;
    float eps = 1e-5f;
    if (d->kind == NORM_LAYER)
        layernorm_forward(d->out, d->mean, d->rstd, d->inp, d->w, d->b, d->rows, d->d, eps);
    else if (d->kind == NORM_BATCH_TRAIN) /* no running statistics: nothing drifts */
        batchnorm_train_forward(d->out, d->mean, d->rstd, d->inp, d->w, d->b, NULL, NULL, NULL,
                                d->rows, d->d, eps, 0.1f);
    else
        batchnorm_eval_forward(d->out, d->inp, d->w, d->b, d->rmean, d->rvar, d->rows, d->d, eps);
    return dot(d->out, d->r, d->rows * (size_t)d->d);
}

static void norm_case(int kind, const char *label, uint64_t seed) {
    ptmi_rng_seed(&g_rng, seed);
    norm_ud d = {0};
    d.kind = kind;
    d.rows = kind == NORM_LAYER ? 5 : 6;
    d.d = kind == NORM_LAYER ? 6 : 4;
    size_t n = d.rows * (size_t)d.d;
    d.inp = rnd(n, -2, 2);
    d.w = rnd((size_t)d.d, 0.5f, 1.5f);
    d.b = rnd((size_t)d.d, -0.5f, 0.5f);
    d.rmean = rnd((size_t)d.d, -0.5f, 0.5f);
    d.rvar = rnd((size_t)d.d, 0.5f, 2.0f);
    d.r = rnd(n, -1, 1);
    d.out = zeros(n);
    d.mean = zeros(d.rows > (size_t)d.d ? d.rows : (size_t)d.d);
    d.rstd = zeros(d.rows > (size_t)d.d ? d.rows : (size_t)d.d);
    float *dinp = zeros(n), *dw = zeros((size_t)d.d), *db = zeros((size_t)d.d);
    norm_loss(&d);
    if (kind == NORM_LAYER)
        layernorm_backward(dinp, dw, db, d.r, d.inp, d.w, d.mean, d.rstd, d.rows, d.d);
    else if (kind == NORM_BATCH_TRAIN)
        batchnorm_train_backward(dinp, dw, db, d.r, d.inp, d.w, d.mean, d.rstd, d.rows, d.d);
    else
        batchnorm_eval_backward(dinp, dw, db, d.r, d.inp, d.w, d.rmean, d.rvar, d.rows, d.d, 1e-5f);
    fd_list l = {0};
    fd_add(&l, "inp", d.inp, dinp, n);
    fd_add(&l, "weight", d.w, dw, (size_t)d.d);
    fd_add(&l, "bias", d.b, db, (size_t)d.d);
    fd_check(label, norm_loss, &d, &l, 1000);
    free(l.v);
    free(d.inp), free(d.w), free(d.b), free(d.rmean), free(d.rvar), free(d.r), free(d.out);
    free(d.mean), free(d.rstd), free(dinp), free(dw), free(db);
}

TEST(fd_layernorm) {
    norm_case(NORM_LAYER, "layernorm", 3);
}
TEST(fd_batchnorm_train) {
    norm_case(NORM_BATCH_TRAIN, "batchnorm train", 4);
}
TEST(fd_batchnorm_eval) {
    norm_case(NORM_BATCH_EVAL, "batchnorm eval", 5);
}

/* ---------------------------------------------------------------- 6. gated attention */

typedef struct {
    float *out, *probs, *inp, *r;
    ptmi_linear gate;
    size_t rows;
} gate_ud;

static double gate_loss(void *u) {
    gate_ud *d = u;
    gated_attention_forward(d->out, d->probs, d->inp, &d->gate, d->rows);
    return dot(d->out, d->r, d->rows * (size_t)d->gate.in);
}

TEST(fd_gated_attention) {
    ptmi_rng_seed(&g_rng, 6);
    gate_ud d = {0};
    int w = 5;
    d.rows = 5;
    size_t n = d.rows * (size_t)w;
    d.gate = (ptmi_linear){rnd((size_t)w * w, -1, 1), rnd((size_t)w, -1, 1), NULL, w, w};
    d.inp = rnd(n, -2, 2);
    d.r = rnd(n, -1, 1);
    d.out = zeros(n);
    d.probs = zeros(n);
    float *dinp = zeros(n), *dz = zeros(n);
    ptmi_linear dg = {zeros((size_t)w * w), zeros((size_t)w), NULL, w, w};
    gate_loss(&d);
    gated_attention_backward(dinp, dz, &d.gate, &dg, d.r, d.inp, d.probs, d.rows);
    fd_list l = {0};
    fd_add(&l, "inp", d.inp, dinp, n);
    fd_add(&l, "gate.weight", d.gate.w, dg.w, (size_t)w * w);
    fd_add(&l, "gate.bias", d.gate.b, dg.b, (size_t)w);
    fd_check("gated attention", gate_loss, &d, &l, 1000);
    free(l.v);
    free(d.gate.w), free(d.gate.b), free(d.inp), free(d.r), free(d.out), free(d.probs);
    free(dinp), free(dz), free(dg.w), free(dg.b);
}

/* ---------------------------------------------------------------- 7. MLP */

typedef struct {
    float *out, *pre, *act, *inp, *r, *m1, *m2;
    ptmi_linear fc1, fc2;
    size_t rows;
} mlp_ud;

static double mlp_loss(void *u) {
    mlp_ud *d = u;
    mlp_forward(d->out, d->pre, d->act, d->inp, &d->fc1, &d->fc2, d->rows, d->m1, d->m2);
    return dot(d->out, d->r, d->rows * (size_t)d->fc2.out);
}

static void mlp_case(int masks, const char *label, uint64_t seed) {
    ptmi_rng_seed(&g_rng, seed);
    mlp_ud d = {0};
    int w = 4, hid = 8;
    d.rows = 5;
    size_t n = d.rows * (size_t)w, nh = d.rows * (size_t)hid;
    d.fc1 = (ptmi_linear){rnd((size_t)hid * w, -1, 1), rnd((size_t)hid, -1, 1), NULL, hid, w};
    d.fc2 = (ptmi_linear){rnd((size_t)w * hid, -1, 1), rnd((size_t)w, -1, 1), NULL, w, hid};
    d.inp = rnd(n, -1.5f, 1.5f);
    d.r = rnd(n, -1, 1);
    d.out = zeros(n);
    d.pre = zeros(nh);
    d.act = zeros(nh);
    if (masks) {
        d.m1 = drop_mask(nh, 0.3f);
        d.m2 = drop_mask(n, 0.3f);
    }
    float *dinp = zeros(n), *dhid = zeros(nh), *dpre = zeros(nh), *dy = zeros(n);
    ptmi_linear d1 = {zeros((size_t)hid * w), zeros((size_t)hid), NULL, hid, w};
    ptmi_linear d2 = {zeros((size_t)w * hid), zeros((size_t)w), NULL, w, hid};
    mlp_loss(&d);
    mlp_backward(dinp, &d1, &d2, dhid, dpre, dy, d.r, d.inp, d.pre, d.act, &d.fc1, &d.fc2, d.rows,
                 d.m1, d.m2);
    fd_list l = {0};
    fd_add(&l, "inp", d.inp, dinp, n);
    fd_add(&l, "fc1.weight", d.fc1.w, d1.w, (size_t)hid * w);
    fd_add(&l, "fc1.bias", d.fc1.b, d1.b, (size_t)hid);
    fd_add(&l, "fc2.weight", d.fc2.w, d2.w, (size_t)w * hid);
    fd_add(&l, "fc2.bias", d.fc2.b, d2.b, (size_t)w);
    fd_check(label, mlp_loss, &d, &l, 1000);
    free(l.v);
    free(d.fc1.w), free(d.fc1.b), free(d.fc2.w), free(d.fc2.b), free(d.inp), free(d.r);
    free(d.out), free(d.pre), free(d.act), free(d.m1), free(d.m2);
    free(dinp), free(dhid), free(dpre), free(dy), free(d1.w), free(d1.b), free(d2.w), free(d2.b);
}

TEST(fd_mlp) {
    mlp_case(0, "mlp", 7);
    mlp_case(1, "mlp with dropout masks", 8);
}

/* ---------------------------------------------------------------- 8. self-attention */

typedef struct {
    float *out, *q, *k, *v, *ctx, *scores, *probs, *mask, *inp, *r;
    ptmi_layer layer;
    size_t seqs;
    int n, d, heads;
} att_ud;

static double att_loss(void *u) {
    att_ud *a = u;
    self_attention_forward(a->out, a->q, a->k, a->v, a->ctx, a->scores, a->probs, a->mask, a->inp,
                           &a->layer, a->seqs, a->n, a->d, a->heads);
    return dot(a->out, a->r, a->seqs * (size_t)a->n * (size_t)a->d);
}

static void att_case(int masked, const char *label, uint64_t seed) {
    ptmi_rng_seed(&g_rng, seed);
    att_ud a;
    memset(&a, 0, sizeof a);
    a.seqs = 2;
    a.n = 5;
    a.d = 4;
    a.heads = 2;
    int d = a.d;
    size_t tot = a.seqs * (size_t)a.n * (size_t)d,
           np = a.seqs * (size_t)a.heads * (size_t)a.n * (size_t)a.n;
    ptmi_linear *lins[4] = {&a.layer.q, &a.layer.k, &a.layer.v, &a.layer.o};
    for (int i = 0; i < 4; i++)
        *lins[i] =
            (ptmi_linear){rnd((size_t)d * d, -1, 1), rnd((size_t)d, -0.5f, 0.5f), NULL, d, d};
    a.inp = rnd(tot, -1.5f, 1.5f);
    a.r = rnd(tot, -1, 1);
    a.out = zeros(tot);
    a.q = zeros(tot);
    a.k = zeros(tot);
    a.v = zeros(tot);
    a.ctx = zeros(tot);
    a.scores = zeros((size_t)a.n);
    a.probs = zeros(np);
    if (masked) a.mask = drop_mask(np, 0.3f);
    ptmi_layer g;
    memset(&g, 0, sizeof g);
    ptmi_linear *glins[4] = {&g.q, &g.k, &g.v, &g.o};
    for (int i = 0; i < 4; i++)
        *glins[i] = (ptmi_linear){zeros((size_t)d * d), zeros((size_t)d), NULL, d, d};
    float *dinp = zeros(tot), *dq = zeros(tot), *dk = zeros(tot), *dv = zeros(tot),
          *dctx = zeros(tot), *dp = zeros((size_t)a.n);
    att_loss(&a);
    self_attention_backward(dinp, &g, dq, dk, dv, dctx, dp, a.r, a.inp, a.q, a.k, a.v, a.ctx,
                            a.probs, a.mask, &a.layer, a.seqs, a.n, a.d, a.heads);
    fd_list l = {0};
    static const char *wn[4] = {"q.weight", "k.weight", "v.weight", "o.weight"};
    static const char *bn[4] = {"q.bias", "k.bias", "v.bias", "o.bias"};
    fd_add(&l, "inp", a.inp, dinp, tot);
    for (int i = 0; i < 4; i++) {
        fd_add(&l, wn[i], lins[i]->w, glins[i]->w, (size_t)d * d);
        fd_add(&l, bn[i], lins[i]->b, glins[i]->b, (size_t)d);
    }
    fd_check(label, att_loss, &a, &l, 1000);
    free(l.v);
    for (int i = 0; i < 4; i++) {
        free(lins[i]->w), free(lins[i]->b), free(glins[i]->w), free(glins[i]->b);
    }
    free(a.inp), free(a.r), free(a.out), free(a.q), free(a.k), free(a.v), free(a.ctx);
    free(a.scores), free(a.probs), free(a.mask);
    free(dinp), free(dq), free(dk), free(dv), free(dctx), free(dp);
}

TEST(fd_self_attention) {
    att_case(0, "self-attention (2 heads)", 9);
    att_case(1, "self-attention (2 heads) with dropout mask", 10);
}

/* ---------------------------------------------------------------- model helpers */

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ptmi_model_init_weights, then norm weights, biases and running statistics moved away from
 * 1 / 0 so that every term of the norms' gradients matters */
static void randomize_model(ptm_model *m, uint64_t seed) {
    ptmi_model_init_weights(m, seed);
    ptmi_rng_seed(&g_rng, seed ^ 0x5a5a);
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->f32 || e->ndim != 1) continue;
        int scale_like = ends_with(e->name, "weight") || ends_with(e->name, "running_var");
        for (size_t k = 0; k < e->numel; k++)
            e->f32[k] = scale_like ? urand(0.6f, 1.4f) : urand(-0.3f, 0.3f);
    }
    ptmi_model_sync(m);
}

typedef struct {
    const char *label;
    ptm_class cls;
    ptm_loss loss;
    ptm_dist dist;
    ptm_agg agg;
    ptm_scaling scaling;
    ptm_mode mode;
    ptm_norm norm;
    int gated, self_attn, layers, stride, channels;
    int pe;        /* 0 none, 1 sincos (fixed), 2 learned */
    int out_range; /* Regression: output_range [-1, 2] */
    int sel;       /* Prediction: prediction_channel_indices {0, 2} */
    int unmasked_loss;
    float dropout, head_dropout;
} model_case;

static ptm_status build_model(const model_case *mc, ptm_model **out, ptm_error *err) {
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = mc->cls;
    c.context_length = 16;
    c.patch_length = 4;
    c.patch_stride = mc->stride ? mc->stride : 4;
    c.num_input_channels = mc->channels ? mc->channels : 3;
    c.d_model = 4;
    c.expansion_factor = 2;
    c.num_layers = mc->layers ? mc->layers : 1;
    c.dropout = mc->dropout;
    c.head_dropout = mc->head_dropout;
    c.mode = mc->mode;
    c.gated_attn = mc->gated;
    c.norm_mlp = mc->norm;
    c.self_attn = mc->self_attn;
    c.self_attn_heads = mc->self_attn ? 2 : 1;
    c.use_positional_encoding = mc->pe != 0;
    c.positional_encoding_type = mc->pe == 2 ? PTM_PE_RANDOM : PTM_PE_SINCOS;
    c.scaling = mc->scaling;
    c.loss = mc->loss;
    c.distribution_output = mc->dist;
    c.prediction_length = 4;
    c.num_targets = mc->cls == PTM_CLASS_CLASSIFICATION ? 3 : 2;
    c.head_aggregation = mc->agg;
    c.masked_loss = !mc->unmasked_loss;
    if (mc->out_range) {
        c.has_output_range = 1;
        c.output_range[0] = -1.0f;
        c.output_range[1] = 2.0f;
    }
    if (mc->sel) {
        c.prediction_channel_indices = malloc(2 * sizeof(int));
        if (!c.prediction_channel_indices) abort();
        c.prediction_channel_indices[0] = 0;
        c.prediction_channel_indices[1] = 2;
        c.num_prediction_channels = 2;
    }
    ptm_status s = ptmi_config_finish(&c, NULL, err);
    if (s == PTM_OK) s = ptmi_model_build(&c, out, err);
    ptm_config_free(&c);
    return s;
}

/* ---------------------------------------------------------------- 9. one mixer layer */

typedef struct {
    ptm_model *m;
    ptm_ctx *ctx;
    float *inp, *out, *r;
    int b;
    ptmi_run_mode run;
    ptmi_rng rng;
} mix_ud;

static double mix_loss(void *u) {
    mix_ud *d = u;
    ptmi_model_sync(d->m);      /* the forward reads the transposed weights */
    ptmi_rng_seed(&d->rng, 99); /* the same dropout masks on every call */
    mixer_layer_forward(d->out, d->inp, &d->ctx->lc[0], &d->m->p.layers[0], &d->m->mixer, d->b,
                        d->m->cfg.num_input_channels, &d->run);
    const ptm_config *c = &d->m->cfg;
    size_t n = (size_t)d->b * c->num_input_channels * c->num_patches * c->d_model;
    return dot(d->out, d->r, n);
}

static void mixer_case(const model_case *mc, int training, uint64_t seed) {
    ptm_error err;
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    CHECK_STATUS(build_model(mc, &m, &err), PTM_OK);
    if (!m) return;
    randomize_model(m, seed);
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 2;
    /* a training context allocates the layer caches and the gradient scratch */
    CHECK_STATUS(ptm_ctx_create_train(m, &cp, &ctx, &err), PTM_OK);
    if (!ctx) {
        ptm_model_free(m);
        return;
    }
    const ptm_config *c = &m->cfg;
    mix_ud d;
    memset(&d, 0, sizeof d);
    d.m = m;
    d.ctx = ctx;
    d.b = 2;
    size_t n = (size_t)d.b * c->num_input_channels * c->num_patches * c->d_model;
    ptmi_rng_seed(&g_rng, seed + 1);
    d.inp = rnd(n, -1.5f, 1.5f);
    d.r = rnd(n, -1, 1);
    d.out = zeros(n);
    d.run.training = training;
    d.run.dropout = c->dropout;
    d.run.rng = &d.rng;
    d.run.masks_drawn = 0;
    d.run.inference = 0; /* backward reads the caches */
    float *dinp = zeros(n), *dout = zeros(n);
    mix_loss(&d);
    ptm_model *gm = ctx->grads;
    memset(gm->arena, 0, gm->arena_floats * sizeof(float));
    memcpy(dout, d.r, n * sizeof(float));
    mixer_layer_backward(dinp, &gm->p.layers[0], dout, d.inp, &ctx->lc[0], &m->p.layers[0],
                         &m->mixer, d.b, training, &ctx->gs);
    fd_list l = {0};
    fd_add(&l, "layer input", d.inp, dinp, n);
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->trainable || !e->f32 || !strstr(e->name, "mixers.0.")) continue;
        fd_add(&l, e->name, e->f32, gm->arena + (e->f32 - m->arena), e->numel);
    }
    char label[96];
    snprintf(label, sizeof label, "mixer layer %s", mc->label);
    fd_check(label, mix_loss, &d, &l, 1000);
    free(l.v);
    free(d.inp), free(d.r), free(d.out), free(dinp), free(dout);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
}

TEST(fd_mixer_layer) {
    uint64_t seed = 100;
    for (int mode = 0; mode < 2; mode++)
        for (int norm = 0; norm < 2; norm++)
            for (int gated = 0; gated < 2; gated++)
                for (int attn = 0; attn < 2; attn++) {
                    char label[80];
                    snprintf(label, sizeof label, "%s %s%s%s", mode ? "mix" : "common",
                             norm ? "BN" : "LN", gated ? " gated" : "", attn ? " attn" : "");
                    model_case mc = {0};
                    mc.label = label;
                    mc.cls = PTM_CLASS_PREDICTION;
                    mc.mode = mode ? PTM_MODE_MIX_CHANNEL : PTM_MODE_COMMON_CHANNEL;
                    mc.norm = norm ? PTM_NORM_BATCH : PTM_NORM_LAYER;
                    mc.gated = gated;
                    mc.self_attn = attn;
                    mixer_case(&mc, 1, seed++);
                }
    /* eval mode: BatchNorm with running statistics, no dropout */
    model_case mc = {0};
    mc.cls = PTM_CLASS_PREDICTION;
    mc.mode = PTM_MODE_MIX_CHANNEL;
    mc.norm = PTM_NORM_BATCH;
    mc.gated = 1;
    mc.self_attn = 1;
    mc.label = "mix BN gated attn, eval mode";
    mixer_case(&mc, 0, seed++);
    mc.norm = PTM_NORM_LAYER;
    mc.label = "mix LN gated attn, eval mode";
    mixer_case(&mc, 0, seed++);
    /* train mode with dropout: the masks are drawn from a generator reseeded on every call */
    mc.dropout = 0.3f;
    mc.label = "mix LN gated attn, dropout 0.3";
    mixer_case(&mc, 1, seed++);
    mc.norm = PTM_NORM_BATCH;
    mc.mode = PTM_MODE_COMMON_CHANNEL;
    mc.label = "common BN gated attn, dropout 0.3";
    mixer_case(&mc, 1, seed++);
}

/* ---------------------------------------------------------------- 10. whole models */

typedef struct {
    ptm_model *m;
    ptm_ctx *ctx;
    ptm_inputs in;
} model_ud;

static double model_loss(void *u) {
    model_ud *d = u;
    ptm_error err;
    ptm_tensor_view v;
    ptmi_model_sync(d->m);
    if (ptm_forward(d->ctx, &d->in, &err) != PTM_OK) return NAN;
    if (ptm_ctx_output(d->ctx, "loss", &v, &err) != PTM_OK) return NAN;
    g_lscale = fabs((double)v.data[0]);
    return (double)v.data[0];
}

static void model_case_run(const model_case *mc, uint64_t seed) {
    ptm_error err;
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    CHECK_STATUS(build_model(mc, &m, &err), PTM_OK);
    if (!m) return;
    randomize_model(m, seed);
    const ptm_config *c = &m->cfg;
    int B = 3, L = c->context_length, C = c->num_input_channels, H = c->prediction_length,
        T = c->num_targets, N = c->num_patches;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = B;
    CHECK_STATUS(ptm_ctx_create_train(m, &cp, &ctx, &err), PTM_OK);
    if (!ctx) {
        ptm_model_free(m);
        return;
    }
    int negbin = c->loss == PTM_LOSS_NLL && c->distribution_output == PTM_DIST_NEGATIVE_BINOMIAL;
    ptmi_rng_seed(&g_rng, seed + 1);
    float *past = zeros((size_t)B * L * C), *fut = zeros((size_t)B * H * C);
    float *tgt = zeros((size_t)B * T), *pmask = zeros((size_t)B * C * N);
    int64_t labels[3];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < L + H; t++)
            for (int ch = 0; ch < C; ch++) {
                float v =
                    2.0f + (float)ch + (float)(0.8 * sin(0.5 * t + b + ch)) + urand(-0.4f, 0.4f);
                if (t < L)
                    past[((size_t)b * L + t) * C + ch] = v;
                else
                    fut[((size_t)b * H + (t - L)) * C + ch] = negbin ? floorf(urand(0, 7)) : v;
            }
    for (int i = 0; i < B * T; i++)
        tgt[i] = negbin                ? floorf(urand(0, 7))
                 : c->has_output_range ? urand(-0.5f, 1.5f)
                                       : urand(-1, 1);
    for (int b = 0; b < B; b++) labels[b] = (b + 1) % T;
    for (int i = 0; i < B * C * N; i++) pmask[i] = i % 3 == 1 ? 1.0f : 0.0f;
    model_ud d;
    memset(&d, 0, sizeof d);
    d.m = m;
    d.ctx = ctx;
    d.in.batch = B;
    d.in.past_values = past;
    d.in.dropout_seed = 42; /* the same dropout masks on every forward */
    switch (c->model_class) {
    case PTM_CLASS_PREDICTION:
        d.in.future_values = fut;
        break;
    case PTM_CLASS_CLASSIFICATION:
        d.in.target_labels = labels;
        break;
    case PTM_CLASS_REGRESSION:
        d.in.target_values = tgt;
        break;
    case PTM_CLASS_PRETRAINING:
        d.in.patch_mask = pmask;
        break;
    default:
        break;
    }
    double l0 = model_loss(&d);
    CHECK(isfinite(l0));
    CHECK_STATUS(ptm_backward(ctx, &err), PTM_OK);
    fd_list l = {0};
    int entries = 0;
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (!e->trainable || !e->f32) continue;
        ptm_tensor_view g;
        ptm_status s = ptm_ctx_grad(ctx, e->name, &g, &err);
        CHECK_STATUS(s, PTM_OK);
        if (s != PTM_OK) continue;
        CHECK(g.data && (size_t)g.shape[0] * (g.ndim == 2 ? (size_t)g.shape[1] : 1) == e->numel);
        fd_add(&l, e->name, e->f32, g.data, e->numel);
        entries++;
    }
    CHECK(entries > 0);
    char label[96];
    snprintf(label, sizeof label, "model %s", mc->label);
    fd_check(label, model_loss, &d, &l, 12);
    free(l.v);
    free(past), free(fut), free(tgt), free(pmask);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
}

TEST(fd_models) {
    const model_case cases[] = {
        /* label, class, loss, dist, agg, scaling, mode, norm, gated, attn, layers, stride, C,
         * pe, out_range, sel, unmasked_loss, dropout, head_dropout */
        {"prediction mse", PTM_CLASS_PREDICTION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T, PTM_AGG_MAX_POOL,
         PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 2, 4, 3, 0, 0, 0, 0, 0, 0},
        {"prediction mse mix BN attn sel pe", PTM_CLASS_PREDICTION, PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T, PTM_AGG_MAX_POOL, PTM_SCALING_STD, PTM_MODE_MIX_CHANNEL,
         PTM_NORM_BATCH, 1, 1, 1, 2, 3, 2, 0, 1, 0, 0, 0},
        {"prediction nll student_t", PTM_CLASS_PREDICTION, PTM_LOSS_NLL, PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 2, 4, 2,
         1, 0, 0, 0, 0, 0},
        {"prediction nll normal", PTM_CLASS_PREDICTION, PTM_LOSS_NLL, PTM_DIST_NORMAL,
         PTM_AGG_MAX_POOL, PTM_SCALING_STD, PTM_MODE_MIX_CHANNEL, PTM_NORM_LAYER, 0, 0, 1, 4, 3, 0,
         0, 1, 0, 0, 0},
        {"prediction nll negative_binomial", PTM_CLASS_PREDICTION, PTM_LOSS_NLL,
         PTM_DIST_NEGATIVE_BINOMIAL, PTM_AGG_MAX_POOL, PTM_SCALING_MEAN, PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_BATCH, 1, 0, 1, 4, 2, 0, 0, 0, 0, 0, 0},
        {"classification agg none", PTM_CLASS_CLASSIFICATION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_NONE, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 1, 4, 3, 0,
         0, 0, 0, 0, 0},
        {"classification agg max_pool", PTM_CLASS_CLASSIFICATION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL, PTM_SCALING_STD, PTM_MODE_MIX_CHANNEL, PTM_NORM_BATCH, 1, 0, 1, 4, 2, 0,
         0, 0, 0, 0, 0},
        {"classification agg avg_pool", PTM_CLASS_CLASSIFICATION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 0, 1, 2, 2, 2,
         0, 0, 0, 0, 0, 0},
        {"classification agg use_last", PTM_CLASS_CLASSIFICATION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_USE_LAST, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 1, 4, 3,
         0, 0, 0, 0, 0, 0},
        {"classification mean scaling", PTM_CLASS_CLASSIFICATION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL, PTM_SCALING_MEAN, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 1, 4, 2,
         0, 0, 0, 0, 0, 0},
        {"regression mse output_range", PTM_CLASS_REGRESSION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 1, 4, 3,
         0, 1, 0, 0, 0, 0},
        {"regression nll student_t", PTM_CLASS_REGRESSION, PTM_LOSS_NLL, PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 1, 4, 2,
         0, 0, 0, 0, 0, 0},
        {"regression nll normal", PTM_CLASS_REGRESSION, PTM_LOSS_NLL, PTM_DIST_NORMAL, PTM_AGG_NONE,
         PTM_SCALING_NONE, PTM_MODE_MIX_CHANNEL, PTM_NORM_BATCH, 1, 0, 1, 4, 2, 0, 0, 0, 0, 0, 0},
        {"regression nll negative_binomial", PTM_CLASS_REGRESSION, PTM_LOSS_NLL,
         PTM_DIST_NEGATIVE_BINOMIAL, PTM_AGG_USE_LAST, PTM_SCALING_MEAN, PTM_MODE_COMMON_CHANNEL,
         PTM_NORM_LAYER, 0, 0, 1, 4, 2, 0, 0, 0, 0, 0, 0},
        {"pretraining masked loss", PTM_CLASS_PRETRAINING, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 2, 2, 2,
         1, 0, 0, 0, 0, 0},
        {"pretraining unmasked loss mix BN attn", PTM_CLASS_PRETRAINING, PTM_LOSS_MSE,
         PTM_DIST_STUDENT_T, PTM_AGG_MAX_POOL, PTM_SCALING_STD, PTM_MODE_MIX_CHANNEL,
         PTM_NORM_BATCH, 1, 1, 1, 4, 3, 2, 0, 0, 1, 0, 0},
        /* dropout on: fixed dropout_seed gives the same masks on every forward */
        {"prediction mse dropout", PTM_CLASS_PREDICTION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL, PTM_SCALING_STD, PTM_MODE_MIX_CHANNEL, PTM_NORM_LAYER, 1, 1, 2, 4, 3, 0,
         0, 0, 0, 0.2f, 0.2f},
        {"classification dropout", PTM_CLASS_CLASSIFICATION, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_AVG_POOL, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_BATCH, 1, 1, 1, 4, 2,
         0, 0, 0, 0, 0.2f, 0.2f},
        {"pretraining dropout", PTM_CLASS_PRETRAINING, PTM_LOSS_MSE, PTM_DIST_STUDENT_T,
         PTM_AGG_MAX_POOL, PTM_SCALING_STD, PTM_MODE_COMMON_CHANNEL, PTM_NORM_LAYER, 1, 0, 1, 4, 2,
         0, 0, 0, 0, 0.2f, 0.2f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) model_case_run(&cases[i], 1000 + i);
}

int main(void) {
    RUN(fd_linear);
    RUN(fd_gelu);
    RUN(fd_layernorm);
    RUN(fd_batchnorm_train);
    RUN(fd_batchnorm_eval);
    RUN(fd_gated_attention);
    RUN(fd_mlp);
    RUN(fd_self_attention);
    RUN(fd_mixer_layer);
    RUN(fd_models);
    return test_summary("test_fdiff");
}
