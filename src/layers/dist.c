/* dist.c - distribution heads' mathematics (see dist.h): domain maps, torch-equivalent
 * log-densities of Normal / Student-t / Negative binomial and their gradients, digamma,
 * seeded samplers (normal, gamma, Poisson, Student-t, negative binomial) and type-7
 * quantiles. Float in, double inside.
 *
 * Note: lgamma() writes the sign of Gamma to the global signgam, a data race when contexts
 * run in several threads (ThreadSanitizer reports it); where the C library has the reentrant
 * lgamma_r (glibc, musl, the BSDs, macOS) dist_lgamma uses it. Arguments here are positive,
 * so the sign is always +1 anyway. */
#include "layers/dist.h"

#include <float.h>
#include <math.h>

#if defined(__GLIBC__) || defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) ||     \
    defined(__OpenBSD__) || defined(__linux__)
double lgamma_r(double x, int *sign); /* not declared under strict _POSIX_C_SOURCE */
static double dist_lgamma(double x) {
    int sign;
    return lgamma_r(x, &sign);
}
#else
#define dist_lgamma lgamma
#endif

#define DIST_PI 3.14159265358979323846
#define DIST_LOG_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */
#define DIST_HALF_LOG_PI 0.57236494292470008707  /* 0.5 log(pi) */
#define DIST_NAN ((double)NAN)
#define DIST_INF ((double)INFINITY)

/* ---------------------------------------------------------------- domain maps */

float dist_squareplus(float x) {
    return (x + sqrtf(x * x + 4.0f)) / 2.0f;
}

float dist_map_scale(float raw) {
    float s = dist_squareplus(raw);
    return s < FLT_EPSILON ? FLT_EPSILON : s;
}

float dist_map_df(float raw) {
    return 2.0f + dist_squareplus(raw);
}

/* ---------------------------------------------------------------- log-densities */

double dist_logsigmoid(double x) {
    double m = x < 0.0 ? x : 0.0;
    return m - log1p(exp(-fabs(x)));
}

/* sigmoid(x) without overflow for either sign. */
static double sigmoid(double x) {
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double dist_normal_logpdf(double v, double loc, double scale) {
    double d = v - loc;
    double var = scale * scale;
    return -(d * d) / (2.0 * var) - log(scale) - DIST_LOG_SQRT_2PI;
}

double dist_student_t_logpdf(double v, double df, double loc, double scale) {
    double y = (v - loc) / scale;
    double z = log(scale) + 0.5 * log(df) + DIST_HALF_LOG_PI + dist_lgamma(0.5 * df) -
               dist_lgamma(0.5 * (df + 1.0));
    return -0.5 * (df + 1.0) * log1p(y * y / df) - z;
}

double dist_negbin_logpmf(double v, double total_count, double logits) {
    double r = total_count;
    double unnorm = r * dist_logsigmoid(-logits) + v * dist_logsigmoid(logits);
    double norm = 0.0;
    if (r + v != 0.0) norm = -dist_lgamma(r + v) + dist_lgamma(1.0 + v) + dist_lgamma(r);
    return unnorm - norm;
}

double dist_affine_base_value(double y, double a, double b) {
    return (y - b) / a;
}

double dist_affine_logpdf(double base_logpdf, double a) {
    return -log(fabs(a)) + base_logpdf;
}

/* ---------------------------------------------------------------- digamma and gradients */

double dist_digamma(double x) {
    if (isnan(x)) return x;
    if (x == 0.0) return copysign(DIST_INF, -x);
    if (x < 0.0) {
        if (isinf(x) || x == floor(x)) return DIST_NAN;
        /* Reflection: psi(x) = psi(1 - x) - pi / tan(pi x); tan has period 1, so reduce the
         * argument to [0, 1) first to keep pi*x accurate. */
        double frac = x - floor(x);
        return dist_digamma(1.0 - x) - DIST_PI / tan(DIST_PI * frac);
    }
    if (isinf(x)) return x;
    double acc = 0.0;
    while (x < 10.0) {
        acc -= 1.0 / x;
        x += 1.0;
    }
    /* psi(x) ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k), truncated after k = 7 (error below
     * 1e-17 for x >= 10). */
    double z = 1.0 / (x * x);
    double series =
        z *
        (1.0 / 12.0 -
         z * (1.0 / 120.0 -
              z * (1.0 / 252.0 - z * (1.0 / 240.0 - z * (1.0 / 132.0 - z * (691.0 / 32760.0 -
                                                                            z * (1.0 / 12.0)))))));
    return acc + log(x) - 0.5 / x - series;
}

void dist_normal_logpdf_grad(double v, double loc, double scale, double *dloc, double *dscale) {
    double d = v - loc;
    double inv = 1.0 / scale;
    if (dloc) *dloc = d * inv * inv;
    if (dscale) *dscale = d * d * inv * inv * inv - inv;
}

void dist_student_t_logpdf_grad(double v, double df, double loc, double scale, double *ddf,
                                double *dloc, double *dscale) {
    double y = (v - loc) / scale;
    double y2 = y * y;
    double denom = df + y2; /* df (1 + y^2/df) */
    if (dloc) *dloc = (df + 1.0) * y / (scale * denom);
    if (dscale) *dscale = ((df + 1.0) * y2 / denom - 1.0) / scale;
    if (ddf) {
        *ddf = -0.5 * log1p(y2 / df) + 0.5 * (df + 1.0) * y2 / (df * denom) - 0.5 / df -
               0.5 * dist_digamma(0.5 * df) + 0.5 * dist_digamma(0.5 * (df + 1.0));
    }
}

void dist_negbin_logpmf_grad(double v, double total_count, double logits, double *dtotal,
                             double *dlogits) {
    double r = total_count;
    if (dtotal) {
        double g = dist_logsigmoid(-logits);
        /* d/dr of lgamma(r+v) - lgamma(r): psi(r+v) - psi(r), exactly 0 when v == 0 (which
         * also covers the masked case r + v == 0). */
        if (v != 0.0) g += dist_digamma(r + v) - dist_digamma(r);
        *dtotal = g;
    }
    if (dlogits) *dlogits = v * sigmoid(-logits) - r * sigmoid(logits);
}

/* ---------------------------------------------------------------- sampling */

double dist_sample_normal(ptmi_rng *r, double loc, double scale) {
    return loc + scale * ptmi_rng_normal(r);
}

/* Marsaglia & Tsang (2000) for shape >= 1. */
static double gamma_mt(ptmi_rng *r, double shape) {
    double d = shape - 1.0 / 3.0;
    double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = ptmi_rng_normal(r);
        double t = 1.0 + c * x;
        if (t <= 0.0) continue;
        double v = t * t * t;
        double u = ptmi_rng_uniform_pos(r);
        double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
        if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v))) return d * v;
    }
}

double dist_sample_gamma(ptmi_rng *r, double shape) {
    if (!(shape > 0.0)) return DIST_NAN;
    if (isinf(shape)) return shape;
    if (shape >= 1.0) return gamma_mt(r, shape);
    /* Boost: Gamma(k) = Gamma(k+1) * U^(1/k), done in logs. */
    double g = gamma_mt(r, shape + 1.0);
    double u = ptmi_rng_uniform_pos(r);
    double x = exp(log(g) + log(u) / shape);
    return x < DBL_MIN ? DBL_MIN : x;
}

/* Hormann (1993), "The transformed rejection method for generating Poisson random
 * variables", algorithm PTRS; valid for lambda >= 10. Everything stays in double so that an
 * extreme candidate cannot overflow an integer type. */
static double poisson_ptrs(ptmi_rng *r, double lambda) {
    double slam = sqrt(lambda);
    double loglam = log(lambda);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double v_r = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        double u = ptmi_rng_uniform_pos(r) - 0.5; /* (-0.5, 0.5): us > 0 below */
        double v = ptmi_rng_uniform(r);
        double us = 0.5 - fabs(u);
        double k = floor((2.0 * a / us + b) * u + lambda + 0.43);
        if (us >= 0.07 && v <= v_r) return k;
        if (k < 0.0 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <=
            -lambda + k * loglam - dist_lgamma(k + 1.0))
            return k;
    }
}

double dist_sample_poisson(ptmi_rng *r, double lambda) {
    if (!(lambda >= 0.0) || isinf(lambda)) return DIST_NAN;
    if (lambda == 0.0) return 0.0;
    if (lambda >= 10.0) return poisson_ptrs(r, lambda);
    /* Knuth: count uniforms until their product drops to exp(-lambda) or below. */
    double limit = exp(-lambda);
    double p = 1.0;
    double k = -1.0;
    do {
        k += 1.0;
        p *= ptmi_rng_uniform(r);
    } while (p > limit);
    return k;
}

double dist_sample_student_t(ptmi_rng *r, double df, double loc, double scale) {
    if (!(df > 0.0)) return DIST_NAN;
    double z = ptmi_rng_normal(r);
    if (isinf(df)) return loc + scale * z;
    double g = 2.0 * dist_sample_gamma(r, 0.5 * df);
    return loc + scale * z / sqrt(g / df);
}

double dist_sample_negbin(ptmi_rng *r, double total_count, double logits) {
    if (!(total_count >= 0.0) || isnan(logits)) return DIST_NAN;
    if (total_count == 0.0) return 0.0;
    double rate = dist_sample_gamma(r, total_count) * exp(logits);
    return dist_sample_poisson(r, rate);
}

/* ---------------------------------------------------------------- quantiles */

float dist_quantile_sorted(const float *sorted, size_t n, float q) {
    if (n == 0 || !(q >= 0.0f && q <= 1.0f)) return NAN;
    double h = (double)(n - 1) * (double)q;
    double lo_d = floor(h);
    size_t lo = (size_t)lo_d;
    if (lo >= n - 1) return sorted[n - 1];
    double t = h - lo_d;
    double a = (double)sorted[lo], b = (double)sorted[lo + 1];
    double diff = b - a;
    double res = t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
    return (float)res;
}
