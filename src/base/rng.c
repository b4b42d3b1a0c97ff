/* rng.c - xoshiro256** seeded with splitmix64 (see rng.h). */
#include "base/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ptmi_rng_seed(ptmi_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t ptmi_rng_next(ptmi_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ptmi_rng_uniform(ptmi_rng *r) {
    return (double)(ptmi_rng_next(r) >> 11) * 0x1.0p-53;
}

double ptmi_rng_uniform_pos(ptmi_rng *r) {
    return ((double)(ptmi_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t ptmi_rng_below(ptmi_rng *r, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = ptmi_rng_next(r);
    while (x >= limit);
    return x % n;
}

double ptmi_rng_normal(ptmi_rng *r) {
    double u1 = ptmi_rng_uniform_pos(r), u2 = ptmi_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
