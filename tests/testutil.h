/* testutil.h - a minimal test harness shared by the tests/test_*.c programs.
 *
 *   TEST(name) { CHECK(cond); CHECK_EQ_INT(a, b); CHECK_STATUS(call, PTM_ERR_FORMAT); }
 *   int main(void) { RUN(name); ...; return test_summary("test_io_json"); }
 *
 * Every CHECK counts one assertion; test_summary prints "<prog>: N passed, M failed" and
 * returns the exit code (non-zero when anything failed), which tests/run_tests.sh sums up.
 */
#ifndef PTMI_TESTUTIL_H
#define PTMI_TESTUTIL_H

#include <stdio.h>
#include <string.h>

#include "patchtsmixer.h"

static int tu_pass, tu_fail;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            tu_pass++;                                                                             \
        } else {                                                                                   \
            tu_fail++;                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long tu_a = (long long)(a), tu_b = (long long)(b);                                    \
        if (tu_a == tu_b) {                                                                        \
            tu_pass++;                                                                             \
        } else {                                                                                   \
            tu_fail++;                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b,   \
                    tu_a, tu_b);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double tu_a = (double)(a), tu_b = (double)(b);                                             \
        if (tu_a - tu_b <= (tol) && tu_b - tu_a <= (tol)) {                                        \
            tu_pass++;                                                                             \
        } else {                                                                                   \
            tu_fail++;                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s ~ %s (%.9g vs %.9g)\n", __FILE__, __LINE__, #a, #b,    \
                    tu_a, tu_b);                                                                   \
        }                                                                                          \
    } while (0)

/* One assertion made by a helper on behalf of the test at `line` of file (expect_at: this
 * file): ok, or a failure printing what and the error's file, field and text. */
static inline void expect_at_file(int ok, const char *file, int line, const char *what,
                                  const ptm_error *err) {
    if (ok) {
        tu_pass++;
        return;
    }
    tu_fail++;
    fprintf(stderr, "FAIL %s:%d: %s (%s | %s | %s)\n", file, line, what, err->file, err->field,
            err->text);
}
#define expect_at(ok, line, what, err) expect_at_file(ok, __FILE__, line, what, err)

/* The call must return `expected`; on mismatch the error text is printed. Uses a local
 * ptm_error named `err` that the test declares. */
#define CHECK_STATUS(call, expected)                                                               \
    do {                                                                                           \
        ptm_status tu_s = (call);                                                                  \
        if (tu_s == (expected)) {                                                                  \
            tu_pass++;                                                                             \
        } else {                                                                                   \
            tu_fail++;                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s returned %d, expected %d (%s | %s | %s)\n", __FILE__,  \
                    __LINE__, #call, (int)tu_s, (int)(expected), err.file, err.field, err.text);   \
        }                                                                                          \
    } while (0)

#define TEST(name) static void name(void)
#define RUN(name)                                                                                  \
    do {                                                                                           \
        int tu_f0 = tu_fail;                                                                       \
        name();                                                                                    \
        if (tu_fail != tu_f0) fprintf(stderr, "  in %s\n", #name);                                 \
    } while (0)

static inline int test_summary(const char *prog) {
    printf("%s: %d passed, %d failed\n", prog, tu_pass, tu_fail);
    return tu_fail ? 1 : 0;
}

/* UNDER_SANITIZER: 1 in ASan / TSan builds, where address-space limits (RLIMIT_AS) cannot be
 * used, so the tests that need one skip it */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#endif
