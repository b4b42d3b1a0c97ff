/* rng.h - the library's own seeded random generator (xoshiro256**, seeded by splitmix64).
 * Same seed, same sequence on every platform; used for pretraining masks, dropout and
 * distribution sampling. Not cryptographic. */
#ifndef PTM_RNG_H
#define PTM_RNG_H
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} ptm_rng;

void ptm_rng_seed(ptm_rng *r, uint64_t seed);
uint64_t ptm_rng_next(ptm_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double ptm_rng_uniform(ptm_rng *r);
/* Uniform in (0, 1): never 0, safe for log(). */
double ptm_rng_uniform_pos(ptm_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t ptm_rng_below(ptm_rng *r, uint64_t n);
/* Standard normal N(0, 1) (Box-Muller, no cached second value so the stream is simple). */
double ptm_rng_normal(ptm_rng *r);
#endif
