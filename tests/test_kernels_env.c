/* test_kernels_env.c - PTM_KERNELS in the environment: a level this CPU architecture knows (or
 * unset, or empty) lets contexts be created; anything else is refused by ptm_ctx_create,
 * ptm_ctx_create_train and ptm_stream_create with PTM_ERR_ARG naming the variable, the value
 * and the accepted levels, instead of being ignored (issue #12). Run from the repository root. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MODEL "tests/golden/fc_common_gated_ln_std"

static ptm_model *model;

/* ctx and stream creation under PTM_KERNELS=value (NULL = unset) must return want */
static void expect_env(const char *value, ptm_status want, int line) {
    if (value)
        setenv("PTM_KERNELS", value, 1);
    else
        unsetenv("PTM_KERNELS");
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_ctx *ctx = NULL;
    ptm_status s = ptm_ctx_create(model, NULL, &ctx, &err);
    expect_at(s == want, line, "ptm_ctx_create status", &err);
    expect_at((ctx != NULL) == (want == PTM_OK), line, "ptm_ctx_create context", &err);
    ptm_ctx_free(ctx);
    ctx = NULL;
    s = ptm_ctx_create_train(model, NULL, &ctx, &err);
    expect_at(s == want, line, "ptm_ctx_create_train status", &err);
    ptm_ctx_free(ctx);
    ptm_stream *st = NULL;
    s = ptm_stream_create(model, NULL, &st, &err);
    expect_at(s == want, line, "ptm_stream_create status", &err);
    ptm_stream_free(st);
    if (want != PTM_OK) {
        expect_at(strcmp(err.field, "PTM_KERNELS") == 0, line, "field names the variable", &err);
        char want_text[128];
        snprintf(want_text, sizeof want_text, "'%s'", value);
        expect_at(strstr(err.text, want_text) != NULL, line, "text quotes the value", &err);
        expect_at(strstr(err.text, "expected scalar") != NULL, line, "text lists the levels", &err);
    }
}

TEST(known_levels_are_accepted) {
    expect_env(NULL, PTM_OK, __LINE__);
    expect_env("", PTM_OK, __LINE__);
    expect_env("scalar", PTM_OK, __LINE__);
#if defined(__x86_64__) || defined(__i386__)
    expect_env("avx2", PTM_OK, __LINE__);
    expect_env("avx512", PTM_OK, __LINE__);
#elif defined(__aarch64__)
    expect_env("neon", PTM_OK, __LINE__);
#endif
}

TEST(unknown_values_are_refused) {
    expect_env("bogus", PTM_ERR_ARG, __LINE__);
    expect_env("AVX2", PTM_ERR_ARG, __LINE__); /* case matters, as for the other names */
    expect_env("scalar ", PTM_ERR_ARG, __LINE__);
    expect_env(NULL, PTM_OK, __LINE__); /* and unsetting it again works */
}

int main(void) {
    ptm_error err;
    memset(&err, 0, sizeof err);
    unsetenv("PTM_KERNELS");
    CHECK_STATUS(ptm_model_load(MODEL, &model, &err), PTM_OK);
    if (model) {
        RUN(known_levels_are_accepted);
        RUN(unknown_values_are_refused);
    }
    ptm_model_free(model);
    return test_summary("test_kernels_env");
}
