/* trainutil.h - what the training tests share (test_train.c, test_ttm_train.c): a synthetic
 * hourly CSV (per channel a level, a sine and noise from a seeded LCG) and a byte comparison of
 * two files. Header-only (static functions), so that the Makefile's one-file-per-program rule
 * holds. */
#ifndef PTMI_TESTS_TRAINUTIL_H
#define PTMI_TESTS_TRAINUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"

/* rows hourly rows from month ("2020-01") day 1, channels ch0.. at level * c + 3 sin(...) +
 * noise(seed) */
static inline void tu_write_series(const char *file, int rows, int channels, unsigned seed,
                                   double level, const char *month) {
    FILE *f = fopen(file, "w");
    if (!f) return;
    fprintf(f, "date");
    for (int c = 0; c < channels; c++) fprintf(f, ",ch%d", c);
    fprintf(f, "\n");
    unsigned s = seed;
    for (int r = 0; r < rows; r++) {
        fprintf(f, "%s-%02d %02d:00:00", month, 1 + r / 24 % 28, r % 24);
        for (int c = 0; c < channels; c++) {
            s = s * 1103515245u + 12345u;
            double noise = ((double)((s >> 8) & 0xffff) / 65536.0 - 0.5) * 0.2;
            fprintf(f, ",%.6f", level * c + 3.0 * sin(2 * 3.14159265 * r / (12.0 + 4 * c)) + noise);
        }
        fprintf(f, "\n");
    }
    fclose(f);
}

/* the bytes of a file (*n of them, NUL-terminated), or NULL */
static inline unsigned char *tu_slurp(const char *p, size_t *n) {
    unsigned char *b = NULL;
    return ptmi_read_file(p, 0, &b, n, NULL) == PTM_OK ? b : NULL;
}

/* the two files exist and hold the same bytes */
static inline int tu_same_file(const char *a, const char *b) {
    unsigned char *x = NULL, *y = NULL;
    size_t na = 0, nb = 0;
    int same = ptmi_read_file(a, 0, &x, &na, NULL) == PTM_OK &&
               ptmi_read_file(b, 0, &y, &nb, NULL) == PTM_OK && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

#endif
