/* test_csv_growth.c - the CSV reader's memory follows the data (src/io/csv.c).
 *
 * A file of 10^6 columns and one row (about 9 MB) must load in a child process that may not
 * map more than 512 MiB: a reader that reserves a fixed guess of rows times the columns (256 x
 * 10^6 x 8 bytes = 2 GB) fails there with "out of memory after 0 rows". Also checks that the
 * bound on the rows (each record of n cells needs n - 1 delimiter bytes) is never too small, on
 * texts where it is exact. Skipped under ASan (RLIMIT_AS cannot work with its shadow memory) and
 * with PTM_UNDER_VALGRIND=1.
 *
 *     build/test_csv_growth     prints "test_csv_growth: N passed, M failed"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/csv.h"
#include "testutil.h"

enum { WIDE = 1000000 };

/* Write "c0,c1,...\n" and one row "0,1,2,...,9,0,1..." of WIDE columns to a temporary file;
 * returns 0 with the path in path. */
static int write_wide(char *path, size_t n) {
    snprintf(path, n, "%s/ptm-csv-growth-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) return -1;
    for (int j = 0; j < WIDE; j++) fprintf(f, "%sc%d", j ? "," : "", j);
    fputc('\n', f);
    for (int j = 0; j < WIDE; j++) fprintf(f, "%s%d", j ? "," : "", j % 10);
    fputc('\n', f);
    return fclose(f) == 0 ? 0 : -1;
}

/* In the child: load path and check the table; exit status 0 when all is right, 2 on a
 * refusal (message on stderr), 1 on wrong content. */
static int load_wide(const char *path) {
    csv_table t;
    ptm_error err;
    if (csv_load(path, NULL, &t, &err) != PTM_OK) {
        fprintf(stderr, "test_csv_growth: %s\n", err.text);
        return 2;
    }
    int ok = t.nrows == 1 && t.ncols == WIDE && !t.has_time && strcmp(t.colnames[0], "c0") == 0 &&
             strcmp(t.colnames[WIDE - 1], "c999999") == 0 && t.values[7] == 7.0f &&
             t.values[WIDE - 1] == 9.0f && t.observed[WIDE - 1] == 1.0f;
    csv_free(&t);
    return ok ? 0 : 1;
}

TEST(wide_single_row_under_512mb) {
    char path[512];
    CHECK(write_wide(path, sizeof path) == 0);
    /* without the limit too, so that the content check runs under every build */
    CHECK_EQ_INT(load_wide(path), 0);
    if (!UNDER_SANITIZER && !getenv("PTM_UNDER_VALGRIND")) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            struct rlimit rl = {(rlim_t)512 << 20, (rlim_t)512 << 20};
            if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
            _exit(load_wide(path));
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK_EQ_INT(WEXITSTATUS(status), 0);
    }
    unlink(path);
}

/* R records of n empty cells (n - 1 delimiters each), the last without a line end: exactly the
 * most records such a text can hold, so a bound one too small would refuse the last row. */
static void exact_bound(size_t R, size_t n, const char *end) {
    size_t rec = n - 1 + strlen(end);
    char *s = malloc(R * rec + 1);
    size_t k = 0;
    for (size_t r = 0; r < R; r++) {
        for (size_t j = 0; j + 1 < n; j++) s[k++] = ',';
        if (r + 1 < R) {
            memcpy(s + k, end, strlen(end));
            k += strlen(end);
        }
    }
    csv_table t;
    ptm_error err;
    CHECK_STATUS(csv_parse(s, k, "tight.csv", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, R);
    CHECK_EQ_INT(t.ncols, n);
    CHECK(t.nrows == R && t.observed[R * n - 1] == 0.0f);
    csv_free(&t);
    free(s);
}

TEST(row_bound_is_never_too_small) {
    exact_bound(1, 2, "\n");
    exact_bound(1000, 2, "\n");
    exact_bound(1000, 4, "\n");
    exact_bound(300, 7, "\r\n");
    exact_bound(5000, 2, "\r");
}

/* Many narrow rows still load (growth past the first reservation, then the trim). */
TEST(many_narrow_rows) {
    size_t R = 100000;
    char *s = malloc(R * 4 + 16);
    size_t k = (size_t)sprintf(s, "a,b\n");
    for (size_t r = 0; r < R; r++) k += (size_t)sprintf(s + k, "%zu,%zu\n", r % 10, (r + 3) % 10);
    csv_table t;
    ptm_error err;
    CHECK_STATUS(csv_parse(s, k, "narrow.csv", NULL, &t, &err), PTM_OK);
    CHECK_EQ_INT(t.nrows, R);
    CHECK(t.nrows == R && t.values[2 * (R - 1) + 1] == (float)((R - 1 + 3) % 10));
    csv_free(&t);
    free(s);
}

int main(void) {
    RUN(wide_single_row_under_512mb);
    RUN(row_bound_is_never_too_small);
    RUN(many_narrow_rows);
    return test_summary("test_csv_growth");
}
