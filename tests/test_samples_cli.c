/* test_samples_cli.c - `patchtsmixer predict --samples` (cli/quantiles.c) computes the
 * quantiles one forecast value at a time, to show progress; this checks that the result is
 * bit-identical to one ptm_ctx_sample + ptm_quantiles call over all values, for a forecaster
 * and a regressor with distribution heads (tests/golden, so run from the repository root).
 * The terminal progress line itself is checked by tests/test_samples.sh.
 *
 *     build/test_samples_cli     prints "test_samples_cli: N passed, M failed"
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/cli.c"
#include "../cli/quantiles.c"
#include "testutil.h"

/* Forward one window of the golden model in dir, then compare sample_quantiles with the single
 * library calls for n samples. */
static void compare(const char *dir, int n, uint64_t seed) {
    ptm_error err;
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load(dir, &m, &err), PTM_OK);
    if (!m) return;
    const ptm_config *c = ptm_model_config(m);
    ptm_ctx_params cp = ptm_ctx_default_params();
    ptm_ctx *ctx = NULL;
    CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx, &err), PTM_OK);
    size_t cells = (size_t)c->context_length * (size_t)c->num_input_channels;
    float *past = malloc(sizeof(float) * cells);
    for (size_t i = 0; i < cells; i++) past[i] = sinf(0.37f * (float)i) * 3.0f + 1.0f;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = past;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    size_t per = c->model_class == PTM_CLASS_PREDICTION
                     ? (size_t)c->prediction_length * (size_t)c->num_prediction_channels
                     : (size_t)c->num_targets;
    const float q[4] = {0.1f, 0.5f, 0.9f, 0.0f};
    float *samp = malloc(sizeof(float) * per * (size_t)n);
    float *want = malloc(sizeof(float) * per * 4);
    CHECK_STATUS(ptm_ctx_sample(ctx, n, seed, samp, per * (size_t)n, &err), PTM_OK);
    CHECK_STATUS(ptm_quantiles(samp, 1, n, (int64_t)per, q, 4, want, &err), PTM_OK);
    float *got = NULL;
    CHECK_EQ_INT(sample_quantiles(ctx, n, seed, per, q, 4, &got, &err), 0);
    CHECK(got && memcmp(got, want, sizeof(float) * per * 4) == 0);
    /* and a different seed gives different quantiles (the comparison can fail) */
    free(got);
    got = NULL;
    CHECK_EQ_INT(sample_quantiles(ctx, n, seed + 1, per, q, 4, &got, &err), 0);
    CHECK(got && memcmp(got, want, sizeof(float) * per * 4) != 0);
    free(got);
    free(want);
    free(samp);
    free(past);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
}

TEST(forecaster_quantiles_bit_identical) {
    compare("tests/golden/fc_nll_normal_std", 501, 7);
    compare("tests/golden/fc_nll_student_t_mix_predidx_bn", 64, 0);
}

TEST(regressor_quantiles_bit_identical) {
    compare("tests/golden/reg_dist_normal_maxpool", 1000, 3);
}

int main(void) {
    RUN(forecaster_quantiles_bit_identical);
    RUN(regressor_quantiles_bit_identical);
    return test_summary("test_samples_cli");
}
