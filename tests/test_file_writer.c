/* test_file_writer.c - the atomic writer of patchtsmixer.h (ptm_file_writer_open / _stream /
 * _commit / _abort, ptm_write_file) through the public API:
 * - the target keeps its old contents until commit, and after abort;
 * - the temporary file is ".NAME.ptm-tmp-XXXXXX" beside the target, gone after commit / abort;
 * - targets that are not regular files (symbolic link, dangling link, directory, FIFO) are
 *   refused at open with PTM_ERR_IO naming them, without blocking or writing through the link;
 *   a target turned into a link between open and commit is refused at commit;
 * - stale temporaries (older, unlocked) of the same target are removed; a live writer's
 *   temporary and another target's are kept;
 * - st_write and ptm_model_save go through it (a link at the target is refused).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "io/safetensors.h"
#include "patchtsmixer.h"
#include "testutil.h"

static char g_dir[256];

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = calloc(1, 4096);
    *n = b ? fread(b, 1, 4095, f) : 0;
    fclose(f);
    return b;
}

static int has(const char *path, const char *text) {
    size_t n = 0;
    char *b = slurp(path, &n);
    int ok = b && n == strlen(text) && memcmp(b, text, n) == 0;
    free(b);
    return ok;
}

/* entries of dir whose name contains part */
static int count_named(const char *dir, const char *part) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strstr(e->d_name, part)) n++;
    if (d) closedir(d);
    return n;
}

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* set a file's times an hour back */
static void age(const char *path) {
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 3600;
    tv[1] = tv[0];
    utimes(path, tv);
}

TEST(commit_and_abort) {
    char path[512];
    snprintf(path, sizeof path, "%s/a.txt", g_dir);
    ptm_error err;
    CHECK_STATUS(ptm_write_file(path, "old", 3, &err), PTM_OK);
    ptm_file_writer *w = NULL;
    CHECK_STATUS(ptm_file_writer_open(path, &w, &err), PTM_OK);
    CHECK(w && ptm_file_writer_stream(w));
    if (!w) return;
    fputs("new contents", ptm_file_writer_stream(w));
    CHECK(has(path, "old")); /* not yet */
    CHECK_EQ_INT(count_named(g_dir, ".a.txt.ptm-tmp-"), 1);
    CHECK_STATUS(ptm_file_writer_commit(w, &err), PTM_OK);
    CHECK(has(path, "new contents"));
    CHECK_EQ_INT(count_named(g_dir, "ptm-tmp"), 0);

    CHECK_STATUS(ptm_file_writer_open(path, &w, &err), PTM_OK);
    fputs("dropped", ptm_file_writer_stream(w));
    ptm_file_writer_abort(w);
    CHECK(has(path, "new contents"));
    CHECK_EQ_INT(count_named(g_dir, "ptm-tmp"), 0);
    ptm_file_writer_abort(NULL);

    /* arguments */
    CHECK_STATUS(ptm_file_writer_open(NULL, &w, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_file_writer_open(path, NULL, &err), PTM_ERR_ARG);
    CHECK_STATUS(ptm_file_writer_commit(NULL, &err), PTM_ERR_ARG);
    CHECK(ptm_file_writer_stream(NULL) == NULL);
    unlink(path);
}

TEST(special_targets) {
    char victim[512], path[512];
    snprintf(victim, sizeof victim, "%s/victim", g_dir);
    put(victim, "victim");
    ptm_error err;
    ptm_file_writer *w = NULL;
    const char *names[] = {"link", "dangling", "dir", "fifo"};
    snprintf(path, sizeof path, "%s/link", g_dir);
    CHECK(symlink(victim, path) == 0);
    snprintf(path, sizeof path, "%s/dangling", g_dir);
    CHECK(symlink("nowhere", path) == 0);
    snprintf(path, sizeof path, "%s/dir", g_dir);
    CHECK(mkdir(path, 0755) == 0);
    snprintf(path, sizeof path, "%s/fifo", g_dir);
    CHECK(mkfifo(path, 0644) == 0);
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", g_dir, names[i]);
        memset(&err, 0, sizeof err);
        CHECK_STATUS(ptm_write_file(path, "x", 1, &err), PTM_ERR_IO);
        CHECK(strcmp(err.file, path) == 0 && strstr(err.text, "not a regular file"));
        CHECK_STATUS(ptm_file_writer_open(path, &w, &err), PTM_ERR_IO);
        CHECK(w == NULL);
    }
    struct stat st;
    snprintf(path, sizeof path, "%s/fifo", g_dir);
    CHECK(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    snprintf(path, sizeof path, "%s/link", g_dir);
    CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(has(victim, "victim"));
    snprintf(path, sizeof path, "%s/nowhere", g_dir);
    CHECK(lstat(path, &st) != 0);
    CHECK_EQ_INT(count_named(g_dir, "ptm-tmp"), 0);

    /* the target becomes a link while the writer writes: refused at commit */
    snprintf(path, sizeof path, "%s/late", g_dir);
    CHECK_STATUS(ptm_file_writer_open(path, &w, &err), PTM_OK);
    CHECK(symlink(victim, path) == 0);
    if (w) {
        fputs("late", ptm_file_writer_stream(w));
        CHECK_STATUS(ptm_file_writer_commit(w, &err), PTM_ERR_IO);
        CHECK(strstr(err.text, "symbolic link") != NULL);
    }
    CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(has(victim, "victim"));
    CHECK_EQ_INT(count_named(g_dir, "ptm-tmp"), 0);

    /* the library's own writers: st_write and ptm_model_save refuse a link at the target */
    float v = 1.0f;
    st_write_entry e = {"t", ST_F32, 1, {1}, &v, 0};
    snprintf(path, sizeof path, "%s/link", g_dir);
    CHECK_STATUS(st_write(path, &e, 1, &err), PTM_ERR_IO);
    CHECK(has(victim, "victim"));
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load("tests/golden/fc_common_gated_ln_std", &m, &err), PTM_OK);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/model", g_dir);
    CHECK(mkdir(sub, 0755) == 0);
    snprintf(path, sizeof path, "%s/model/model.safetensors", g_dir);
    CHECK(symlink(victim, path) == 0);
    if (m) CHECK_STATUS(ptm_model_save(m, sub, &err), PTM_ERR_IO);
    CHECK(has(victim, "victim"));
    ptm_model_free(m);
}

TEST(stale_temporaries) {
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/stale", g_dir);
    CHECK(mkdir(dir, 0755) == 0);
    const char *stale[] = {".f.bin.ptm-tmp-AbC123", ".f.bin.ptm-tmp-zzzzzz", "f.bin.tmp.77.3"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, stale[i]);
        put(p, "partial");
        age(p);
    }
    snprintf(p, sizeof p, "%s/.g.bin.ptm-tmp-AbC123", dir); /* another target's */
    put(p, "other");
    age(p);
    snprintf(p, sizeof p, "%s/f.bin.tmp.x.1", dir); /* not of the pattern */
    put(p, "keep");
    age(p);
    /* a live writer of the same target: its (older) temporary is locked, so kept */
    snprintf(p, sizeof p, "%s/f.bin", dir);
    ptm_error err;
    ptm_file_writer *live = NULL;
    CHECK_STATUS(ptm_file_writer_open(p, &live, &err), PTM_OK);
    struct timespec pause = {0, 20000000};
    nanosleep(&pause, NULL); /* the live temporary is strictly older */
    CHECK_STATUS(ptm_write_file(p, "new", 3, &err), PTM_OK);
    CHECK_EQ_INT(count_named(dir, ".f.bin.ptm-tmp-"), 1); /* only the live writer's */
    CHECK_EQ_INT(count_named(dir, "f.bin.tmp.77"), 0);
    CHECK_EQ_INT(count_named(dir, ".g.bin.ptm-tmp-"), 1);
    CHECK_EQ_INT(count_named(dir, "f.bin.tmp.x.1"), 1);
    if (live) {
        fputs("live", ptm_file_writer_stream(live));
        CHECK_STATUS(ptm_file_writer_commit(live, &err), PTM_OK);
    }
    CHECK(has(p, "live"));
    CHECK_EQ_INT(count_named(dir, ".f.bin.ptm-tmp-"), 0);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/ptm_test_file_writer_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(commit_and_abort);
    RUN(special_targets);
    RUN(stale_temporaries);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return test_summary("test_file_writer");
}
