/* fuzz_common.h - helpers shared by the fuzz targets in tests/fuzz/.
 *
 * Every target defines LLVMFuzzerTestOneInput(data, size). It is built two ways:
 *   - with clang -fsanitize=fuzzer,address,undefined (`make fuzz`, build/fuzz/fuzz_<target>),
 *   - into tests/test_fuzz_replay.c, which runs every committed corpus file through every
 *     target without libFuzzer (`make test`, `make asan`).
 * Targets that need files (the model directory, the .ts reader) split the input into parts at
 * FUZZ_SEP and write them into a private temporary directory, created once per process.
 */
#ifndef PTMI_FUZZ_COMMON_H
#define PTMI_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

/* With PTM_FUZZ_VERBOSE set, print what the library said about an input (to see what a corpus
 * file exercises: `PTM_FUZZ_VERBOSE=1 build/test_fuzz_replay model FILE`). */
static inline void fuzz_note(const char *target, int status, const char *file, const char *field,
                             const char *text) {
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("PTM_FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "%s: status %d%s%s%s%s%s%s\n", target, status, file ? " " : "",
                file ? file : "", field ? ": " : "", field ? field : "", text ? ": " : "",
                text ? text : "");
}

/* Separator between the files of a multi-file input (an unlikely byte string). */
#define FUZZ_SEP "\n--ptm-fuzz-file--\n"
#define FUZZ_SEP_LEN (sizeof FUZZ_SEP - 1)

typedef struct {
    const uint8_t *p;
    size_t n;
} fuzz_part;

/* Split data at FUZZ_SEP into at most max parts (the last part keeps any further separators);
 * missing parts are empty. Returns the number of separators found (<= max - 1). */
static inline int fuzz_split(const uint8_t *data, size_t size, fuzz_part *parts, int max) {
    int k = 0;
    size_t start = 0;
    for (int i = 0; i < max; i++) {
        parts[i].p = data;
        parts[i].n = 0;
    }
    for (size_t i = 0; k < max - 1 && i + FUZZ_SEP_LEN <= size; i++) {
        if (memcmp(data + i, FUZZ_SEP, FUZZ_SEP_LEN) == 0) {
            parts[k].p = data + start;
            parts[k].n = i - start;
            k++;
            start = i + FUZZ_SEP_LEN;
            i = start - 1;
        }
    }
    parts[k].p = data + start;
    parts[k].n = size - start;
    return k;
}

static char fuzz_dir[256];

/* Remove the files of the temporary directory (one level deep) and the directory itself. */
static inline void fuzz_rmdir(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char path[600];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (unlink(path) != 0) fuzz_rmdir(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static inline void fuzz_cleanup(void) {
    if (fuzz_dir[0]) fuzz_rmdir(fuzz_dir);
}

/* A private temporary directory for this process (created on first use, removed at exit;
 * libFuzzer calls the target millions of times). NULL if it cannot be made. */
static inline const char *fuzz_tmpdir(void) {
    char *dir = fuzz_dir;
    if (dir[0]) return dir;
    const char *base = getenv("TMPDIR");
    if (!base || !base[0]) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof fuzz_dir, "%s/ptm-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        return NULL;
    }
    atexit(fuzz_cleanup);
    return dir;
}

/* Write n bytes to dir/name (replacing it); 0 on success. */
static inline int fuzz_write(const char *dir, const char *name, const void *p, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = n && fwrite(p, 1, n, f) != n;
    if (fclose(f) != 0) bad = 1;
    return bad ? -1 : 0;
}

/* Remove dir/name if present. */
static inline void fuzz_unlink(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

#endif
