/* test_fuzz_replay.c - runs every committed fuzz corpus file through its fuzz target, without
 * libFuzzer (stb's fuzz_main.c idea), so that `make test` and `make asan` replay every seed
 * and every crash ever found (tests/fuzz/corpus/<target>/).
 *
 *     build/test_fuzz_replay                       all targets, all corpus files
 *     build/test_fuzz_replay model FILE_OR_DIR...  one target on the given files
 *
 * A file passes when its target returns without crashing or aborting (under `make asan` also
 * without a sanitizer report or a leak). Prints "test_fuzz_replay: N passed, M failed".
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LLVMFuzzerTestOneInput fuzz_one_safetensors
#include "fuzz/fuzz_safetensors.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_config
#include "fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_csv
#include "fuzz/fuzz_csv.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_ts
#include "fuzz/fuzz_ts.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_checkpoint
#include "fuzz/fuzz_checkpoint.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_model
#include "fuzz/fuzz_model.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_preprocessor
#include "fuzz/fuzz_preprocessor.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_long
#include "fuzz/fuzz_long.c"
#undef LLVMFuzzerTestOneInput

typedef struct {
    const char *name;
    int (*one)(const uint8_t *, size_t);
} target;

static const target targets[] = {
    {"safetensors", fuzz_one_safetensors},
    {"config", fuzz_one_config},
    {"csv", fuzz_one_csv},
    {"ts", fuzz_one_ts},
    {"checkpoint", fuzz_one_checkpoint},
    {"model", fuzz_one_model},
    {"preprocessor", fuzz_one_preprocessor},
    {"long", fuzz_one_long},
};

static int n_pass, n_fail;

static void run_file(const target *t, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "FAIL test_fuzz_replay: cannot open %s\n", path);
        n_fail++;
        return;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        unsigned char *b2 = realloc(buf, cap * 2);
        if (!b2) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b2;
        cap *= 2;
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "FAIL test_fuzz_replay: out of memory reading %s\n", path);
        n_fail++;
        return;
    }
    /* an exact-size copy, so that ASan sees any read past the input */
    unsigned char *exact = malloc(n ? n : 1);
    if (exact && n) memcpy(exact, buf, n);
    free(buf);
    if (!exact) {
        n_fail++;
        return;
    }
    t->one(exact, n);
    free(exact);
    n_pass++;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file of dir (sorted, so runs are reproducible), or dir itself if a file. */
static void run_path(const target *t, const char *dir) {
    struct stat st;
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "FAIL test_fuzz_replay: %s does not exist\n", dir);
        n_fail++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(t, dir);
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        n_fail++;
        return;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[count] = malloc(len);
        if (!names[count]) break;
        snprintf(names[count], len, "%s/%s", dir, e->d_name);
        count++;
    }
    closedir(d);
    if (count) qsort(names, count, sizeof *names, cmp_str);
    for (size_t i = 0; i < count; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) run_file(t, names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    size_t nt = sizeof targets / sizeof targets[0];
    if (argc >= 3) {
        for (size_t i = 0; i < nt; i++) {
            if (strcmp(argv[1], targets[i].name) != 0) continue;
            for (int a = 2; a < argc; a++) run_path(&targets[i], argv[a]);
            printf("test_fuzz_replay: %d passed, %d failed\n", n_pass, n_fail);
            return n_fail ? 1 : 0;
        }
        fprintf(stderr, "test_fuzz_replay: unknown target %s\n", argv[1]);
        return 2;
    }
    const char *root = argc == 2 ? argv[1] : "tests/fuzz/corpus";
    for (size_t i = 0; i < nt; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", root, targets[i].name);
        int before = n_pass + n_fail;
        run_path(&targets[i], dir);
        if (n_pass + n_fail - before < 1) {
            fprintf(stderr, "FAIL test_fuzz_replay: no corpus files in %s\n", dir);
            n_fail++;
        }
    }
    printf("test_fuzz_replay: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
