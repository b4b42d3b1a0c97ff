/* test_dist.c - tests of src/layers/dist.c: domain maps, log-densities against constants
 * derived by hand (checked with Python's math.lgamma / mpmath), gradients against central
 * finite differences, digamma, sampling moments from a fixed seed, seed determinism and
 * type-7 quantiles against numpy's values. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "testutil.h"
#include "layers/dist.h"
#include "base/rng.h"

#define NDRAW 200000
static double draws[NDRAW];

/* ---------------------------------------------------------------- domain maps */

TEST(test_squareplus) {
    CHECK(dist_squareplus(0.0f) == 1.0f);
    float s = dist_squareplus(-100.0f); /* exact 0.0099990001... */
    CHECK(s > 0.0f);
    CHECK_NEAR(s, 0.01, 1e-5);
    CHECK_NEAR(dist_squareplus(3.0f), (3.0 + sqrt(13.0)) / 2.0, 1e-6);
    CHECK_NEAR(dist_squareplus(1e4f), 1e4, 1e-2);
    CHECK(dist_squareplus(-1e6f) >= 0.0f);
    CHECK(dist_map_scale(-1e6f) == FLT_EPSILON);
    CHECK(dist_map_scale(0.0f) == 1.0f);
    CHECK(dist_map_df(0.0f) == 3.0f);
    CHECK_NEAR(dist_map_df(-100.0f), 2.01, 1e-5);
}

/* ---------------------------------------------------------------- log-densities */

TEST(test_logpdf_values) {
    /* Normal: -log(sqrt(2 pi)) and a shifted/scaled point:
     * -0.5 ((1.3+0.4)/0.7)^2 - log 0.7 - log sqrt(2 pi) */
    CHECK_NEAR(dist_normal_logpdf(0.0, 0.0, 1.0), -0.9189385332046727, 1e-14);
    CHECK_NEAR(dist_normal_logpdf(1.3, -0.4, 0.7), -3.5112431811026754, 1e-13);

    /* Student-t(0; 3, 0, 1) = log(Gamma(2) / (sqrt(3 pi) Gamma(1.5))) = log(2 / (pi sqrt 3)) */
    CHECK_NEAR(dist_student_t_logpdf(0.0, 3.0, 0.0, 1.0), -1.0008888496235095, 1e-13);
    CHECK_NEAR(dist_student_t_logpdf(0.0, 3.0, 0.0, 1.0),
               log(2.0 / (3.14159265358979323846 * sqrt(3.0))), 1e-13);
    /* v = 2.5, df = 4.5, loc = 1, scale = 2 */
    CHECK_NEAR(dist_student_t_logpdf(2.5, 4.5, 1.0, 2.0), -1.991111217905296, 1e-13);
    /* Large df approaches the normal. */
    CHECK_NEAR(dist_student_t_logpdf(0.7, 1e8, 0.2, 1.3), dist_normal_logpdf(0.7, 0.2, 1.3), 1e-7);

    /* NegBin(3; r = 2, logits = 0) = log(C(4,3) 0.5^2 0.5^3) = log(1/8) */
    CHECK_NEAR(dist_negbin_logpmf(3.0, 2.0, 0.0), -2.0794415416798357, 1e-13);
    CHECK_NEAR(dist_negbin_logpmf(0.0, 2.0, 0.0), log(0.25), 1e-14);
    /* v = 5, r = 1.5, logits = -0.7 */
    CHECK_NEAR(dist_negbin_logpmf(5.0, 1.5, -0.7), -5.124856763045139, 1e-13);
    /* r + v == 0: the normalisation is masked to 0. */
    CHECK(dist_negbin_logpmf(0.0, 0.0, 0.3) == 0.0);
    /* Stable logsigmoid: huge logits stay finite. */
    double big = dist_negbin_logpmf(2.0, 1.5, 800.0);
    CHECK(isfinite(big));
    CHECK_NEAR(big, -1.5 * 800.0 + lgamma(3.5) - lgamma(3.0) - lgamma(1.5), 1e-9);
    CHECK(isfinite(dist_negbin_logpmf(2.0, 1.5, -800.0)));
    CHECK_NEAR(dist_logsigmoid(0.0), -log(2.0), 1e-15);
    CHECK_NEAR(dist_logsigmoid(-745.0), -745.0, 1e-12);
    CHECK(dist_logsigmoid(40.0) < 0.0 && dist_logsigmoid(40.0) > -1e-17);

    /* The pmf sums to one. */
    double sum = 0.0;
    for (int k = 0; k < 400; k++) sum += exp(dist_negbin_logpmf(k, 2.7, 0.4));
    CHECK_NEAR(sum, 1.0, 1e-12);

    /* Affine transform y = 2x + 3 of a standard normal is Normal(3, 2). */
    double x = dist_affine_base_value(4.1, 2.0, 3.0);
    CHECK_NEAR(x, 0.55, 1e-15);
    CHECK_NEAR(dist_affine_logpdf(dist_normal_logpdf(x, 0.0, 1.0), 2.0),
               dist_normal_logpdf(4.1, 3.0, 2.0), 1e-14);
    CHECK_NEAR(dist_affine_logpdf(-1.0, -0.5), -1.0 + log(2.0), 1e-15);
    /* Student-t: affine of a unit-scale t equals the loc/scale t. */
    double xs = dist_affine_base_value(-1.2, 1.7, 0.4);
    CHECK_NEAR(dist_affine_logpdf(dist_student_t_logpdf(xs, 3.3, 0.0, 1.0), 1.7),
               dist_student_t_logpdf(-1.2, 3.3, 0.4, 1.7), 1e-13);
}

/* ---------------------------------------------------------------- digamma */

TEST(test_digamma) {
    CHECK_NEAR(dist_digamma(1.0), -0.5772156649015329, 1e-14);
    CHECK_NEAR(dist_digamma(0.5), -1.9635100260214235, 1e-14);
    CHECK_NEAR(dist_digamma(10.0), 2.251752589066721, 1e-14);
    /* mpmath references */
    CHECK_NEAR(dist_digamma(0.001), -1000.5755719318103005, 1e-11);
    CHECK_NEAR(dist_digamma(3.3), 1.0348224890596217491, 1e-14);
    CHECK_NEAR(dist_digamma(7.25), 1.9104535268837360284, 1e-14);
    CHECK_NEAR(dist_digamma(12.5), 2.4851956512749120482, 1e-14);
    CHECK_NEAR(dist_digamma(1e6), 13.815510057964190771, 1e-13);
    CHECK_NEAR(dist_digamma(-0.3), 2.1133097796353987186, 1e-12);
    CHECK_NEAR(dist_digamma(-2.5), 1.1031566406452431872, 1e-12);
    CHECK(isinf(dist_digamma(0.0)) && dist_digamma(0.0) < 0.0);
    CHECK(isnan(dist_digamma(-3.0)));
    CHECK(isnan(dist_digamma((double)NAN)));
    /* Recurrence psi(x+1) = psi(x) + 1/x across the series switch-over. */
    for (double xv = 0.3; xv < 15.0; xv += 0.7)
        CHECK_NEAR(dist_digamma(xv + 1.0), dist_digamma(xv) + 1.0 / xv, 1e-13);
    /* Derivative of lgamma by finite differences. */
    for (double xv = 0.2; xv < 30.0; xv *= 1.9) {
        double h = 1e-5 * xv;
        double fd = (lgamma(xv + h) - lgamma(xv - h)) / (2.0 * h);
        CHECK_NEAR(dist_digamma(xv), fd, 1e-7 * (1.0 + fabs(fd)));
    }
}

/* ---------------------------------------------------------------- gradients */

static int grad_ok(double g, double fd) {
    double err = fabs(g - fd);
    int ok = err <= 1e-6 * fabs(g) + 1e-10;
    if (!ok) fprintf(stderr, "  gradient %.15g vs finite difference %.15g\n", g, fd);
    return ok;
}

#define FD(expr_plus, expr_minus, h) (((expr_plus) - (expr_minus)) / (2.0 * (h)))

TEST(test_normal_grad) {
    const double pts[][3] = {{1.3, -0.4, 0.7}, {-2.0, 0.5, 1.9}, {0.1, 0.0, 0.3}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double v = pts[i][0], m = pts[i][1], s = pts[i][2];
        double dm, ds;
        dist_normal_logpdf_grad(v, m, s, &dm, &ds);
        double h = 1e-5;
        CHECK(grad_ok(dm, FD(dist_normal_logpdf(v, m + h, s), dist_normal_logpdf(v, m - h, s), h)));
        double hs = 1e-5 * s;
        CHECK(grad_ok(ds,
                      FD(dist_normal_logpdf(v, m, s + hs), dist_normal_logpdf(v, m, s - hs), hs)));
    }
    dist_normal_logpdf_grad(0.0, 0.0, 1.0, NULL, NULL); /* NULL outputs are allowed */
}

TEST(test_student_t_grad) {
    const double pts[][4] = {
        {2.5, 4.5, 1.0, 2.0}, {-1.2, 2.3, 0.4, 0.6}, {7.0, 30.0, -1.0, 1.5}, {0.3, 3.0, 0.0, 1.0}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double v = pts[i][0], df = pts[i][1], m = pts[i][2], s = pts[i][3];
        double gdf, gm, gs;
        dist_student_t_logpdf_grad(v, df, m, s, &gdf, &gm, &gs);
        double hd = 1e-5 * df, hm = 1e-5, hs = 1e-5 * s;
        CHECK(grad_ok(gdf, FD(dist_student_t_logpdf(v, df + hd, m, s),
                              dist_student_t_logpdf(v, df - hd, m, s), hd)));
        CHECK(grad_ok(gm, FD(dist_student_t_logpdf(v, df, m + hm, s),
                             dist_student_t_logpdf(v, df, m - hm, s), hm)));
        CHECK(grad_ok(gs, FD(dist_student_t_logpdf(v, df, m, s + hs),
                             dist_student_t_logpdf(v, df, m, s - hs), hs)));
    }
}

TEST(test_negbin_grad) {
    const double pts[][3] = {
        {3.0, 2.0, 0.3}, {5.0, 1.5, -0.7}, {0.0, 2.7, 0.4}, {17.0, 0.8, 2.1}, {1.0, 12.0, -3.0}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double v = pts[i][0], r = pts[i][1], l = pts[i][2];
        double gr, gl;
        dist_negbin_logpmf_grad(v, r, l, &gr, &gl);
        double hr = 1e-5 * r, hl = 1e-5;
        CHECK(grad_ok(gr,
                      FD(dist_negbin_logpmf(v, r + hr, l), dist_negbin_logpmf(v, r - hr, l), hr)));
        CHECK(grad_ok(gl,
                      FD(dist_negbin_logpmf(v, r, l + hl), dist_negbin_logpmf(v, r, l - hl), hl)));
    }
    /* Extreme logits: gradients stay finite. */
    double gr, gl;
    dist_negbin_logpmf_grad(4.0, 2.0, 800.0, &gr, &gl);
    CHECK(isfinite(gr) && isfinite(gl));
    CHECK_NEAR(gl, -2.0, 1e-12);
    dist_negbin_logpmf_grad(4.0, 2.0, -800.0, &gr, &gl);
    CHECK(isfinite(gr) && isfinite(gl));
    CHECK_NEAR(gl, 4.0, 1e-12);
}

/* ---------------------------------------------------------------- sampling */

/* Sample mean and variance within nse standard errors of the expected values; the standard
 * error of the variance comes from the sample's fourth central moment. */
static void check_moments(const char *name, const double *x, size_t n, double mu, double var,
                          double nse) {
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    double m2 = 0.0, m4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean;
        double d2 = d * d;
        m2 += d2;
        m4 += d2 * d2;
    }
    double svar = m2 / (double)(n - 1);
    m4 /= (double)n;
    double se_mean = sqrt(var / (double)n);
    double se_var = sqrt(fmax(m4 - svar * svar, 0.0) / (double)n);
    int ok_mean = fabs(mean - mu) <= nse * se_mean;
    int ok_var = fabs(svar - var) <= nse * se_var;
    CHECK(ok_mean);
    CHECK(ok_var);
    if (!ok_mean || !ok_var)
        fprintf(stderr, "  %s: mean %.6g (want %.6g, se %.3g) var %.6g (want %.6g, se %.3g)\n",
                name, mean, mu, se_mean, svar, var, se_var);
}

TEST(test_sample_normal) {
    ptmi_rng r;
    ptmi_rng_seed(&r, 12345);
    for (size_t i = 0; i < NDRAW; i++) draws[i] = dist_sample_normal(&r, 1.5, 2.0);
    check_moments("normal(1.5, 2)", draws, NDRAW, 1.5, 4.0, 4.0);
}

TEST(test_sample_gamma) {
    const double shapes[] = {0.5, 1.0, 3.7, 0.05};
    for (size_t j = 0; j < sizeof shapes / sizeof shapes[0]; j++) {
        double k = shapes[j];
        ptmi_rng r;
        ptmi_rng_seed(&r, 777 + j);
        int all_pos = 1;
        for (size_t i = 0; i < NDRAW; i++) {
            draws[i] = dist_sample_gamma(&r, k);
            if (!(draws[i] > 0.0) || !isfinite(draws[i])) all_pos = 0;
        }
        CHECK(all_pos);
        char name[64];
        snprintf(name, sizeof name, "gamma(%g)", k);
        /* shape 0.05 is very skewed: its moments converge slowly, allow 5 SE */
        check_moments(name, draws, NDRAW, k, k, k < 0.1 ? 5.0 : 4.0);
    }
    ptmi_rng r;
    ptmi_rng_seed(&r, 1);
    CHECK(isnan(dist_sample_gamma(&r, 0.0)));
    CHECK(isnan(dist_sample_gamma(&r, -1.0)));
    CHECK(isnan(dist_sample_gamma(&r, (double)NAN)));
    CHECK(isinf(dist_sample_gamma(&r, (double)INFINITY)));
}

static double poisson_pmf(double k, double lambda) {
    return exp(-lambda + k * log(lambda) - lgamma(k + 1.0));
}

/* Pearson chi-square goodness of fit of integer draws against pmf(k, a, b) (unimodal). With
 * kmin / kmax the first / last k whose expected count is >= 5, the cells are k <= kmin,
 * each k in (kmin, kmax) and k >= kmax. The statistic must stay below dof + 5 sqrt(2 dof),
 * far beyond the 99.99% point for these dof. */
static void check_chi_square(const char *name, const double *x, size_t n,
                             double (*pmf)(double, double, double), double a, double b) {
    enum { MAXK = 4096 };
    static double expect[MAXK], observed[MAXK];
    size_t kmin = MAXK, kmax = 0;
    for (size_t k = 0; k < MAXK; k++) {
        expect[k] = pmf((double)k, a, b) * (double)n;
        observed[k] = 0.0;
        if (expect[k] >= 5.0) {
            if (kmin == MAXK) kmin = k;
            kmax = k;
        }
    }
    CHECK(kmin < kmax && kmax < MAXK - 1);
    if (!(kmin < kmax && kmax < MAXK - 1)) return;
    for (size_t i = 0; i < n; i++) observed[x[i] < (double)kmax ? (size_t)x[i] : kmax] += 1.0;
    double left_e = 0.0, left_o = 0.0, mid_e = 0.0;
    for (size_t k = 0; k <= kmin; k++) {
        left_e += expect[k];
        left_o += observed[k];
    }
    double chi2 = (left_o - left_e) * (left_o - left_e) / left_e;
    for (size_t k = kmin + 1; k < kmax; k++) {
        chi2 += (observed[k] - expect[k]) * (observed[k] - expect[k]) / expect[k];
        mid_e += expect[k];
    }
    double right_e = (double)n - left_e - mid_e;
    chi2 += (observed[kmax] - right_e) * (observed[kmax] - right_e) / right_e;
    double dof = (double)(kmax - kmin); /* cells - 1 */
    int ok = chi2 < dof + 5.0 * sqrt(2.0 * dof);
    CHECK(ok);
    if (!ok) fprintf(stderr, "  %s: chi-square %.4g with %g dof\n", name, chi2, dof);
}

static double poisson_pmf2(double k, double lambda, double unused) {
    (void)unused;
    return poisson_pmf(k, lambda);
}
static double negbin_pmf(double k, double r, double l) {
    return exp(dist_negbin_logpmf(k, r, l));
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Kolmogorov-Smirnov distance of the draws (sorted in place) to a continuous cdf; must stay
 * below 1.95/sqrt(n) (the 0.1% critical value). */
static void check_ks(const char *name, double *x, size_t n, double (*cdf)(double)) {
    qsort(x, n, sizeof x[0], cmp_double);
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f = cdf(x[i]);
        double lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
        if (lo > d) d = lo;
        if (hi > d) d = hi;
    }
    int ok = d < 1.95 / sqrt((double)n);
    CHECK(ok);
    if (!ok) fprintf(stderr, "  %s: KS distance %.4g\n", name, d);
}

static double cdf_gamma_half(double x) {
    return erf(sqrt(x));
} /* Gamma(0.5) = Z^2/2 */
static double cdf_gamma_one(double x) {
    return -expm1(-x);
}
static double cdf_t2(double t) {
    return 0.5 + t / (2.0 * sqrt(2.0 + t * t));
}

TEST(test_sample_ks) {
    ptmi_rng r;
    ptmi_rng_seed(&r, 5150);
    for (size_t i = 0; i < NDRAW; i++) draws[i] = dist_sample_gamma(&r, 0.5);
    check_ks("gamma(0.5)", draws, NDRAW, cdf_gamma_half);
    for (size_t i = 0; i < NDRAW; i++) draws[i] = dist_sample_gamma(&r, 1.0);
    check_ks("gamma(1)", draws, NDRAW, cdf_gamma_one);
    for (size_t i = 0; i < NDRAW; i++)
        draws[i] = (dist_sample_student_t(&r, 2.0, 3.0, 0.5) - 3.0) / 0.5;
    check_ks("student_t(2)", draws, NDRAW, cdf_t2);
}

TEST(test_sample_poisson) {
    const double lambdas[] = {3.5, 120.0, 12.0, 9.99, 0.2};
    for (size_t j = 0; j < sizeof lambdas / sizeof lambdas[0]; j++) {
        double lam = lambdas[j];
        ptmi_rng r;
        ptmi_rng_seed(&r, 4242 + j);
        int integral = 1;
        for (size_t i = 0; i < NDRAW; i++) {
            draws[i] = dist_sample_poisson(&r, lam);
            if (!(draws[i] >= 0.0) || draws[i] != floor(draws[i])) integral = 0;
        }
        CHECK(integral);
        char name[64];
        snprintf(name, sizeof name, "poisson(%g)", lam);
        check_moments(name, draws, NDRAW, lam, lam, 4.0);
        check_chi_square(name, draws, NDRAW, poisson_pmf2, lam, 0.0);
        /* Frequencies of a few values near the mode against the pmf. */
        for (int dk = -3; dk <= 3; dk += 3) {
            double k = floor(lam) + dk;
            if (k < 0.0) continue;
            size_t cnt = 0;
            for (size_t i = 0; i < NDRAW; i++) cnt += draws[i] == k;
            double p = poisson_pmf(k, lam);
            double se = sqrt(p * (1.0 - p) / NDRAW);
            double freq = (double)cnt / NDRAW;
            CHECK(fabs(freq - p) <= 4.5 * se);
            if (fabs(freq - p) > 4.5 * se)
                fprintf(stderr, "  poisson(%g) P(%g): %.6g vs %.6g\n", lam, k, freq, p);
        }
    }
    ptmi_rng r;
    ptmi_rng_seed(&r, 2);
    CHECK(dist_sample_poisson(&r, 0.0) == 0.0);
    CHECK(isnan(dist_sample_poisson(&r, (double)NAN)));
    CHECK(isnan(dist_sample_poisson(&r, (double)INFINITY)));
    CHECK(isnan(dist_sample_poisson(&r, -1.0)));
    /* A huge rate stays sensible. */
    double big = dist_sample_poisson(&r, 1e12);
    CHECK(fabs(big - 1e12) < 1e7);
}

TEST(test_sample_student_t) {
    ptmi_rng r;
    ptmi_rng_seed(&r, 99);
    double df = 5.0, loc = 0.5, scale = 1.5;
    for (size_t i = 0; i < NDRAW; i++) draws[i] = dist_sample_student_t(&r, df, loc, scale);
    /* variance scale^2 df/(df-2); the t(5) sample variance has a heavy tail: 5 SE */
    check_moments("student_t(5)", draws, NDRAW, loc, scale * scale * df / (df - 2.0), 5.0);
    /* Symmetry: the median is close to loc (SE of the median fraction 0.5/sqrt(n)). */
    size_t below = 0;
    for (size_t i = 0; i < NDRAW; i++) below += draws[i] < loc;
    CHECK(fabs((double)below / NDRAW - 0.5) < 4.0 * 0.5 / sqrt((double)NDRAW));
    CHECK(isnan(dist_sample_student_t(&r, 0.0, 0.0, 1.0)));
}

TEST(test_sample_negbin) {
    const double params[][2] = {{3.0, 0.5}, {20.0, 1.0}, {0.7, -1.0}};
    for (size_t j = 0; j < sizeof params / sizeof params[0]; j++) {
        double tc = params[j][0], l = params[j][1];
        ptmi_rng r;
        ptmi_rng_seed(&r, 31337 + j);
        int integral = 1;
        for (size_t i = 0; i < NDRAW; i++) {
            draws[i] = dist_sample_negbin(&r, tc, l);
            if (!(draws[i] >= 0.0) || draws[i] != floor(draws[i])) integral = 0;
        }
        CHECK(integral);
        double mean = tc * exp(l);
        char name[64];
        snprintf(name, sizeof name, "negbin(%g, %g)", tc, l);
        check_moments(name, draws, NDRAW, mean, mean * (1.0 + exp(l)), 4.0);
        check_chi_square(name, draws, NDRAW, negbin_pmf, tc, l);
        /* P(X = 0) against the pmf */
        size_t zeros = 0;
        for (size_t i = 0; i < NDRAW; i++) zeros += draws[i] == 0.0;
        double p0 = exp(dist_negbin_logpmf(0.0, tc, l));
        CHECK(fabs((double)zeros / NDRAW - p0) <= 4.5 * sqrt(p0 * (1.0 - p0) / NDRAW) + 1e-12);
    }
    ptmi_rng r;
    ptmi_rng_seed(&r, 3);
    CHECK(dist_sample_negbin(&r, 0.0, 0.3) == 0.0);
    CHECK(isnan(dist_sample_negbin(&r, -1.0, 0.3)));
}

TEST(test_sample_determinism) {
    ptmi_rng a, b, c;
    ptmi_rng_seed(&a, 2024);
    ptmi_rng_seed(&b, 2024);
    ptmi_rng_seed(&c, 2025);
    int same = 1, differs = 0;
    for (int i = 0; i < 2000; i++) {
        double xa[5], xb[5], xc[5];
        xa[0] = dist_sample_normal(&a, 0.0, 1.0);
        xa[1] = dist_sample_gamma(&a, 0.7);
        xa[2] = dist_sample_poisson(&a, i % 2 ? 4.0 : 50.0);
        xa[3] = dist_sample_student_t(&a, 3.5, 0.0, 1.0);
        xa[4] = dist_sample_negbin(&a, 2.0, 0.1);
        xb[0] = dist_sample_normal(&b, 0.0, 1.0);
        xb[1] = dist_sample_gamma(&b, 0.7);
        xb[2] = dist_sample_poisson(&b, i % 2 ? 4.0 : 50.0);
        xb[3] = dist_sample_student_t(&b, 3.5, 0.0, 1.0);
        xb[4] = dist_sample_negbin(&b, 2.0, 0.1);
        xc[0] = dist_sample_normal(&c, 0.0, 1.0);
        xc[1] = dist_sample_gamma(&c, 0.7);
        xc[2] = dist_sample_poisson(&c, i % 2 ? 4.0 : 50.0);
        xc[3] = dist_sample_student_t(&c, 3.5, 0.0, 1.0);
        xc[4] = dist_sample_negbin(&c, 2.0, 0.1);
        for (int k = 0; k < 5; k++) {
            if (memcmp(&xa[k], &xb[k], sizeof(double)) != 0) same = 0;
            if (xa[k] != xc[k]) differs = 1;
        }
    }
    CHECK(same);
    CHECK(differs);
}

/* ---------------------------------------------------------------- quantiles */

TEST(test_quantile) {
    const float x[] = {1.0f, 2.0f, 3.0f, 4.0f};
    CHECK_NEAR(dist_quantile_sorted(x, 4, 0.1f), 1.3, 1e-6);
    CHECK_NEAR(dist_quantile_sorted(x, 4, 0.5f), 2.5, 1e-7);
    CHECK(dist_quantile_sorted(x, 4, 1.0f) == 4.0f);
    CHECK(dist_quantile_sorted(x, 4, 0.0f) == 1.0f);
    CHECK_NEAR(dist_quantile_sorted(x, 4, 0.9f), 3.7, 1e-6);
    /* numpy.quantile([-2, 0.5, 3, 10, 11], [0.33, 0.75, 0.9]) = [1.3, 10, 10.6] */
    const float y[] = {-2.0f, 0.5f, 3.0f, 10.0f, 11.0f};
    CHECK_NEAR(dist_quantile_sorted(y, 5, 0.33f), 1.3, 1e-5);
    CHECK(dist_quantile_sorted(y, 5, 0.75f) == 10.0f);
    CHECK_NEAR(dist_quantile_sorted(y, 5, 0.9f), 10.6, 1e-5);
    const float one[] = {7.5f};
    CHECK(dist_quantile_sorted(one, 1, 0.3f) == 7.5f);
    CHECK(isnan(dist_quantile_sorted(x, 0, 0.5f)));
    CHECK(isnan(dist_quantile_sorted(x, 4, 1.5f)));
    CHECK(isnan(dist_quantile_sorted(x, 4, -0.1f)));
    CHECK(isnan(dist_quantile_sorted(x, 4, NAN)));
    /* Equal neighbours give exactly that value for any q. */
    const float flat[] = {2.0f, 2.0f, 2.0f};
    CHECK(dist_quantile_sorted(flat, 3, 0.37f) == 2.0f);
}

int main(void) {
    RUN(test_squareplus);
    RUN(test_logpdf_values);
    RUN(test_digamma);
    RUN(test_normal_grad);
    RUN(test_student_t_grad);
    RUN(test_negbin_grad);
    RUN(test_sample_normal);
    RUN(test_sample_gamma);
    RUN(test_sample_ks);
    RUN(test_sample_poisson);
    RUN(test_sample_student_t);
    RUN(test_sample_negbin);
    RUN(test_sample_determinism);
    RUN(test_quantile);
    return test_summary("test_dist");
}
