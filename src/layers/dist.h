/* dist.h - the mathematics of the distribution heads (loss "nll") of PatchTSMixer: the domain
 * maps applied to the raw linear outputs, log-densities of Normal, Student-t and Negative
 * binomial exactly as torch.distributions writes them, their parameter gradients, seeded
 * sampling with the library rng, and type-7 quantiles. No model code lives here.
 *
 * Domain maps (Hugging Face DistributionOutput.domain_map), computed in float like PyTorch:
 *   squareplus(x) = (x + sqrt(x*x + 4)) / 2
 *   student_t: df = 2 + squareplus(raw_df); loc = raw_loc; scale = max(squareplus(raw), eps)
 *   normal:    loc = raw_loc; scale = max(squareplus(raw_scale), eps)
 *   negative_binomial: total_count = squareplus(raw_total_count); logits = raw_logits
 * (eps = FLT_EPSILON, torch.finfo(float32).eps.)
 *
 * Scaling: Normal and Student-t heads wrap the base distribution in an AffineTransformed
 * y = x * a + b (a = scale, b = loc of the scaler): use dist_affine_base_value() and
 * dist_affine_logpdf(). The negative binomial head instead adds log(scale) to the logits.
 *
 * All functions are pure (apart from the rng state they are handed) and thread-safe in the
 * sense that they touch no shared state of their own; they never print or abort. Invalid
 * parameters give NaN rather than an error.
 */
#ifndef PTMI_DIST_H
#define PTMI_DIST_H

#include <stddef.h>

#include "base/rng.h"

/* ---------------------------------------------------------------- domain maps (float) */

/* (x + sqrtf(x*x + 4.0f)) / 2.0f in float, like PyTorch. Very negative x gives 0 (as in
 * PyTorch), which is why the scale maps below clamp at FLT_EPSILON. */
float dist_squareplus(float x);
/* max(squareplus(raw), FLT_EPSILON): the scale of the Normal and Student-t heads. */
float dist_map_scale(float raw);
/* 2.0f + squareplus(raw): the degrees of freedom of the Student-t head. */
float dist_map_df(float raw);

/* ---------------------------------------------------------------- log-densities */

/* Normal(loc, scale): -((v-loc)^2)/(2 scale^2) - log(scale) - log(sqrt(2 pi)). */
double dist_normal_logpdf(double v, double loc, double scale);
/* StudentT(df, loc, scale), torch's formula:
 *   y = (v-loc)/scale
 *   Z = log(scale) + 0.5 log(df) + 0.5 log(pi) + lgamma(df/2) - lgamma((df+1)/2)
 *   return -0.5 (df+1) log1p(y^2/df) - Z */
double dist_student_t_logpdf(double v, double df, double loc, double scale);
/* NegativeBinomial(total_count r, logits l), torch's formula:
 *   r*logsigmoid(-l) + v*logsigmoid(l) - (-lgamma(r+v) + lgamma(1+v) + lgamma(r))
 * with the normalisation term taken as 0 when r + v == 0. */
double dist_negbin_logpmf(double v, double total_count, double logits);
/* Numerically stable log(sigmoid(x)) = min(x,0) - log1p(exp(-|x|)). */
double dist_logsigmoid(double x);

/* AffineTransformed(base, loc b, scale a), y = x*a + b:
 *   log p(y) = base_logpdf((y - b)/a) - log|a|.
 * dist_affine_base_value gives the point (y - b)/a at which to evaluate the base density,
 * dist_affine_logpdf adds the log-Jacobian term to that base log-density. */
double dist_affine_base_value(double y, double a, double b);
double dist_affine_logpdf(double base_logpdf, double a);

/* ---------------------------------------------------------------- gradients */

/* Digamma psi(x): recurrence up to x >= 10, then the asymptotic series; absolute error about
 * 1e-15 for x > 0. x == +0 gives -inf and x == -0 +inf (like torch), negative integers NaN,
 * other negative x use the reflection formula. */
double dist_digamma(double x);

/* Partial derivatives of the log-densities above; any output pointer may be NULL. */
void dist_normal_logpdf_grad(double v, double loc, double scale, double *dloc, double *dscale);
void dist_student_t_logpdf_grad(double v, double df, double loc, double scale, double *ddf,
                                double *dloc, double *dscale);
void dist_negbin_logpmf_grad(double v, double total_count, double logits, double *dtotal,
                             double *dlogits);

/* ---------------------------------------------------------------- sampling */

/* Gamma(shape k, scale 1), Marsaglia-Tsang; k < 1 via Gamma(k+1) * U^(1/k) (the result is
 * clamped to DBL_MIN so it stays positive). k <= 0 or NaN gives NaN; k = inf gives inf. */
double dist_sample_gamma(ptmi_rng *r, double shape);
/* Poisson(lambda): multiplication of uniforms (Knuth) for lambda < 10, Hormann's PTRS
 * transformed rejection for lambda >= 10 (both exact). lambda == 0 gives 0; lambda < 0,
 * NaN or infinite gives NaN. The result is an integer held in a double. */
double dist_sample_poisson(ptmi_rng *r, double lambda);
/* loc + scale * N(0,1). */
double dist_sample_normal(ptmi_rng *r, double loc, double scale);
/* loc + scale * Z / sqrt(G/df), Z ~ N(0,1) then G ~ Chi2(df) = 2 * Gamma(df/2, 1). */
double dist_sample_student_t(ptmi_rng *r, double df, double loc, double scale);
/* torch's sampler: Poisson(Gamma(shape r, scale 1) * exp(l)). total_count == 0 gives 0. */
double dist_sample_negbin(ptmi_rng *r, double total_count, double logits);

/* ---------------------------------------------------------------- quantiles */

/* Quantile q in [0, 1] of n ascending values, type-7 linear interpolation (numpy.quantile
 * and torch.quantile default): h = (n-1) q, lo = floor(h), t = h - lo and
 * x[lo] + t (x[lo+1] - x[lo]) (written as x[lo+1] - (1-t)(x[lo+1] - x[lo]) when t >= 0.5,
 * like numpy's and torch's lerp), in double. n == 0, q NaN or outside [0, 1] give NaN. */
float dist_quantile_sorted(const float *sorted, size_t n, float q);

#endif
