/* rng.h - the library's own seeded random generator (xoshiro256**, seeded by splitmix64).
 * Same seed, same sequence on every platform; used for pretraining masks, dropout and
 * distribution sampling. Not cryptographic. */
#ifndef PTMI_RNG_H
#define PTMI_RNG_H
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} ptmi_rng;

void ptmi_rng_seed(ptmi_rng *r, uint64_t seed);
uint64_t ptmi_rng_next(ptmi_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double ptmi_rng_uniform(ptmi_rng *r);
/* Uniform in (0, 1): never 0, safe for log(). */
double ptmi_rng_uniform_pos(ptmi_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t ptmi_rng_below(ptmi_rng *r, uint64_t n);
/* Standard normal N(0, 1) (Box-Muller, no cached second value so the stream is simple). */
double ptmi_rng_normal(ptmi_rng *r);
#endif
