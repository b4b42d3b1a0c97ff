/* fdiff.h - the finite-difference gradient checker shared by tests/test_fdiff_layers.c and
 * tests/test_fdiff_models.c (in the manner of kann's kad_check_grad and ggml's test-backend-ops
 * grad mode), so that a wrong backward points at one layer rather than at "training does not
 * converge".
 *
 * Every case builds small random inputs and parameters from a fixed seed (g_rng), takes the
 * scalar L = sum(out * R) for a fixed random R (or, for whole models, the model's own loss),
 * gets the analytic gradient of L from the backward function and compares it, element by
 * element, with a numeric derivative from L at x +- h, x +- 2h, h = 1e-2 max(1, |x|)
 * (five-point central stencil; see fd_numeric and fd_check), computed in float (the only
 * precision the layers support) with L summed in double. An element passes when
 *   |num - ana| / max(floor, |num| + |ana|) < FD_TOL,
 * floor = FD_FLOOR min(1, largest |analytic gradient| of the case) (the usual 1e-2 for the
 * layers, whose gradients are of order one; less for whole-model losses), raised to the
 * resolution float rounding of L allows. fd_check prints one line per case with its worst
 * relative error and where it occurred, and counts two checks (something checked, no element
 * bad). Header-only (static functions), so that the Makefile's one-file-per-program rule holds.
 */
#ifndef PTMI_TESTS_FDIFF_H
#define PTMI_TESTS_FDIFF_H

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "layers/layers.h"
#include "testutil.h"

#define FD_TOL 2e-2
#define FD_FLOOR 1e-2
#define FD_FLOOR_MIN 1e-6
#define FD_STEP 1e-2f
#define FD_NOISE_ULPS 8.0

/* ---------------------------------------------------------------- helpers */

static ptmi_rng g_rng;

static inline float urand(float lo, float hi) {
    return lo + (hi - lo) * (float)ptmi_rng_uniform(&g_rng);
}

static inline float *rnd(size_t n, float lo, float hi) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (!p) abort();
    for (size_t i = 0; i < n; i++) p[i] = urand(lo, hi);
    return p;
}

static inline float *zeros(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) abort();
    return p;
}

/* inverted-dropout mask: 0 or 1/(1-p) */
static inline float *drop_mask(size_t n, float p) {
    float *m = zeros(n);
    dropout_mask_fill(m, n, p, &g_rng);
    return m;
}

/* magnitude of the last loss as float rounding sees it: the outputs' rounding errors are
 * independent, so L = sum out R is uncertain by about FLT_EPSILON sqrt(sum (out R)^2), times
 * what the layers' own roundings add (set by every loss function) */
static double g_lscale;

static inline double dot(const float *a, const float *b, size_t n) {
    double s = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)a[i] * (double)b[i];
        m += ((double)a[i] * (double)b[i]) * ((double)a[i] * (double)b[i]);
    }
    g_lscale = sqrt(m);
    return s;
}

/* a shorter display name for model tensors */
static inline const char *short_name(const char *name) {
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

static inline void fd_add(fd_list *l, const char *name, float *x, const float *g, size_t n) {
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

static inline fd_est fd_numeric(fd_loss f, void *ud, float *x, float step, double lmid) {
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
static inline double fd_rel(double num, double ana, double floor) {
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
static inline double fd_check(const char *label, fd_loss f, void *ud, const fd_list *l,
                              size_t max_per) {
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
            double ana = (double)p->g[i], rel = HUGE_VAL, num = (double)NAN, num0 = (double)NAN;
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

#endif
