/* quantiles.c - `patchtsmixer predict --samples N`: N sampled paths of the last forward and
 * their quantiles, with a progress line on stderr when stderr is a terminal.
 *
 * The samples come from one ptm_ctx_sample call (its random stream runs through all of them, so
 * it is not split); the quantiles are taken one forecast value at a time with ptm_quantiles,
 * which gathers, sorts and interpolates exactly as one call over all values would (the same
 * numbers, bit for bit), so that the line can show how far it is and about how long is left.
 * Cost: N x values x 4 bytes for the samples (values = H x C' for a forecaster, T for a
 * regressor); see docs/cli.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* "predict: quantiles of N samples: P% (about S s left)" over the previous line */
static void show_progress(int n, size_t done, size_t per, double t0) {
    double el = now_s() - t0;
    int pct = (int)(100.0 * (double)done / (double)per);
    fprintf(stderr, "\r\033[Kpredict: quantiles of %d samples: %3d%%", n, pct);
    if (done > 0 && el > 1.0)
        fprintf(stderr, " (about %.0f s left)", el / (double)done * (double)(per - done));
    fflush(stderr);
}

int sample_quantiles(ptm_ctx *ctx, int n, uint64_t seed, size_t per, const float *q, int nq,
                     float **qout, ptm_error *err) {
    const int tty = isatty(2);
    float *samp = malloc(sizeof(float) * per * (size_t)n);
    float *col = malloc(sizeof(float) * (size_t)n);
    float *qcol = malloc(sizeof(float) * (size_t)nq);
    *qout = malloc(sizeof(float) * per * (size_t)nq);
    int rc = -1;
    if (!samp || !col || !qcol || !*qout) {
        cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory for %d samples of %zu values", n,
                  per);
        goto done;
    }
    if (tty) {
        fprintf(stderr, "\r\033[Kpredict: sampling %d paths of %zu values (%.0f MB)...", n, per,
                (double)n * (double)per * 4e-6);
        fflush(stderr);
    }
    if (ptm_ctx_sample(ctx, n, seed, samp, per * (size_t)n, err) != PTM_OK) goto done;
    double t0 = now_s(), shown = t0;
    for (size_t e = 0; e < per; e++) {
        if (tty && (e == 0 || now_s() - shown >= 0.2)) {
            show_progress(n, e, per, t0);
            shown = now_s();
        }
        for (int s = 0; s < n; s++) col[s] = samp[(size_t)s * per + e];
        if (ptm_quantiles(col, 1, n, 1, q, nq, qcol, err) != PTM_OK) goto done;
        for (int k = 0; k < nq; k++) (*qout)[(size_t)k * per + e] = qcol[k];
    }
    rc = 0;
done:
    if (tty) fprintf(stderr, "\r\033[K");
    free(samp);
    free(col);
    free(qcol);
    return rc;
}
