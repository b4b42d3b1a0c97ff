/* test_fdiff_layers.c - finite-difference gradient checks of every layer's backward pass, one
 * layer at a time: the inputs and every parameter (weights, biases, norm weight and bias) of
 *   linear, GELU, LayerNorm, BatchNorm (train, eval), gated attention, MLP (with and without
 *   dropout masks), 2-head self-attention (with and without a dropout mask).
 * Layer outputs are reduced to L = sum(out * R) for a fixed random R; the checker (fd_check,
 * its step and tolerance rules) is in fdiff.h. Mixer layers and whole models:
 * test_fdiff_models.c.
 *
 *     build/test_fdiff_layers       one line per case, then "test_fdiff_layers: N passed, ..."
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "fdiff.h"
#include "layers/layers.h"
#include "testutil.h"

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
    d.gate = (ptmi_linear){rnd((size_t)w * w, -1, 1), rnd((size_t)w, -1, 1), NULL, NULL, w, w};
    d.inp = rnd(n, -2, 2);
    d.r = rnd(n, -1, 1);
    d.out = zeros(n);
    d.probs = zeros(n);
    float *dinp = zeros(n), *dz = zeros(n);
    ptmi_linear dg = {zeros((size_t)w * w), zeros((size_t)w), NULL, NULL, w, w};
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
    float *out, *pre, *act, *inp, *r;
    ptmi_dropout k1, k2, *m1, *m2; /* the MLP's masks (m1, m2 NULL: none) */
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
    d.fc1 = (ptmi_linear){rnd((size_t)hid * w, -1, 1), rnd((size_t)hid, -1, 1), NULL, NULL, hid, w};
    d.fc2 = (ptmi_linear){rnd((size_t)w * hid, -1, 1), rnd((size_t)w, -1, 1), NULL, NULL, w, hid};
    d.inp = rnd(n, -1.5f, 1.5f);
    d.r = rnd(n, -1, 1);
    d.out = zeros(n);
    d.pre = zeros(nh);
    d.act = zeros(nh);
    if (masks) { /* keys as training draws them; the views start inside the masks, as a shard's */
        dropout_key_draw(&d.k1, 0.3f, &g_rng);
        dropout_key_draw(&d.k2, 0.3f, &g_rng);
        d.k1.base = 7;
        d.k2.base = 3;
        d.m1 = &d.k1;
        d.m2 = &d.k2;
        float *ones = rnd(nh, 1.0f, 1.0f); /* the masks drop some elements and keep others */
        dropout_apply(ones, ones, d.m1, nh);
        int zeros_seen = 0, kept = 0;
        for (size_t i = 0; i < nh; i++) zeros_seen += ones[i] == 0.0f, kept += ones[i] != 0.0f;
        CHECK(zeros_seen > 0 && kept > 0);
        free(ones);
    }
    float *dinp = zeros(n), *dhid = zeros(nh), *dpre = zeros(nh), *dy = zeros(n);
    ptmi_linear d1 = {zeros((size_t)hid * w), zeros((size_t)hid), NULL, NULL, hid, w};
    ptmi_linear d2 = {zeros((size_t)w * hid), zeros((size_t)w), NULL, NULL, w, hid};
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
    free(d.out), free(d.pre), free(d.act);
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
            (ptmi_linear){rnd((size_t)d * d, -1, 1), rnd((size_t)d, -0.5f, 0.5f), NULL, NULL, d, d};
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
        *glins[i] = (ptmi_linear){zeros((size_t)d * d), zeros((size_t)d), NULL, NULL, d, d};
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

int main(void) {
    RUN(fd_linear);
    RUN(fd_gelu);
    RUN(fd_layernorm);
    RUN(fd_batchnorm_train);
    RUN(fd_batchnorm_eval);
    RUN(fd_gated_attention);
    RUN(fd_mlp);
    RUN(fd_self_attention);
    return test_summary("test_fdiff_layers");
}
