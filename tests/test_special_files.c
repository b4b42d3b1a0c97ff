/* test_special_files.c - files that are not regular files, and files longer than they say:
 * every kind of file the library reads (config.json, model.safetensors, optimizer.safetensors,
 * trainer_state.json, a CSV, a .ts file) given as a FIFO nobody writes, a directory or
 * /dev/null is refused at once with PTM_ERR_IO naming what it is; a sparse 3 GB
 * model.safetensors whose first 8 bytes announce a 2^63-byte header, or a valid model followed
 * by a 3 GB tail, is refused after a small read (checked in a child process by its peak RSS);
 * ptm_model_load_ex's max_bytes refuses a model with PTM_ERR_LIMIT before allocating it.
 *
 *     build/test_special_files      prints "test_special_files: N passed, M failed"
 *
 * An alarm kills the program if an open blocks, so a regression fails instead of hanging.
 * The command line's side is in test_special_files.sh.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile.h"
#include "io/csv.h"
#include "io/safetensors.h"
#include "io/ts.h"
#include "train/trainer.h"

/* a new model directory (the base model saved) named after name; returns its path */
static const char *make_model_dir(const char *name) {
    static int k;
    char unique[128];
    snprintf(unique, sizeof unique, "%s_%d", name, k++); /* a fresh folder each time */
    const char *d = tmp_path(unique);
    ptm_error err;
    if (ptm_model_save(g_model, d, &err) != PTM_OK) {
        fprintf(stderr, "save: %s\n", err.text);
        exit(1);
    }
    return d;
}

/* replace dir/name by a FIFO, a directory or a symbolic link to /dev/null */
enum { AS_FIFO, AS_DIR, AS_DEVNULL };
static void replace_with(const char *dir, const char *name, int kind) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
    rmdir(p);
    int rc = kind == AS_FIFO  ? mkfifo(p, 0600)
             : kind == AS_DIR ? mkdir(p, 0700)
                              : symlink("/dev/null", p);
    if (rc != 0) {
        perror(p);
        exit(1);
    }
}

static const char *kind_word(int kind) {
    return kind == AS_FIFO ? "FIFO" : kind == AS_DIR ? "directory" : "character device";
}

/* the status is PTM_ERR_IO, the text says what the file is, and it took well under the alarm */
#define CHECK_SPECIAL(call, kind)                                                                  \
    do {                                                                                           \
        double t0 = now_s();                                                                       \
        CHECK_STATUS(call, PTM_ERR_IO);                                                            \
        CHECK(now_s() - t0 < 2.0);                                                                 \
        CHECK(strstr(err.text, kind_word(kind)) != NULL);                                          \
        CHECK(strstr(err.text, "expected a regular file") != NULL);                                \
    } while (0)

TEST(model_files_special) {
    ptm_error err;
    ptm_model *m = NULL;
    const char *names[] = {"config.json", "model.safetensors"};
    for (int kind = AS_FIFO; kind <= AS_DEVNULL; kind++) {
        for (int i = 0; i < 2; i++) {
            const char *d = make_model_dir("special_model");
            replace_with(d, names[i], kind);
            CHECK_SPECIAL(ptm_model_load(d, &m, &err), kind);
            CHECK(m == NULL);
            CHECK(strstr(err.file, names[i]) != NULL);
        }
    }
    /* the regular model still loads */
    CHECK_STATUS(ptm_model_load(make_model_dir("special_ok"), &m, &err), PTM_OK);
    ptm_model_free(m);
}

TEST(data_files_special) {
    ptm_error err;
    for (int kind = AS_FIFO; kind <= AS_DEVNULL; kind++) {
        const char *d = tmp_path("special_data");
        mkdir(d, 0700);
        replace_with(d, "x.csv", kind);
        replace_with(d, "x.ts", kind);
        replace_with(d, "config.json", kind);
        char p[600];
        snprintf(p, sizeof p, "%s/x.csv", d);
        ptm_csv t;
        CHECK_SPECIAL(ptm_csv_load(p, 0, &t, &err), kind);
        snprintf(p, sizeof p, "%s/x.ts", d);
        ptmi_ts_dataset ts;
        CHECK_SPECIAL(ptmi_ts_load(p, 0, &ts, &err), kind);
        snprintf(p, sizeof p, "%s/config.json", d);
        ptm_config c;
        CHECK_SPECIAL(ptm_config_load(p, -1, &c, &err), kind);
    }
}

/* last/optimizer.safetensors and last/trainer_state.json as special files */
TEST(resume_files_special) {
    ptm_error err;
    size_t n = g_model->arena_floats;
    float *am = calloc(n, sizeof *am), *av = calloc(n, sizeof *av);
    int epoch, best_epoch, bad;
    int64_t step;
    double best;
    const char *names[] = {"optimizer.safetensors", "trainer_state.json"};
    for (int i = 0; i < 2; i++) {
        const char *d = make_model_dir("special_last");
        /* a valid optimizer state and trainer state first, so only the special file fails */
        char p[600];
        int64_t steps = 10; /* more steps than epochs, as a real run has */
        st_write_entry e[3] = {
            {"adamw.exp_avg", ST_F32, 1, {(int64_t)n}, am, 0},
            {"adamw.exp_avg_sq", ST_F32, 1, {(int64_t)n}, av, 0},
            {"step", ST_I64, 0, {0}, &steps, 0},
        };
        snprintf(p, sizeof p, "%s/optimizer.safetensors", d);
        CHECK_STATUS(st_write(p, e, 3, &err), PTM_OK);
        snprintf(p, sizeof p, "%s/trainer_state.json", d);
        FILE *f = fopen(p, "w");
        fputs("{\"epoch\": 1, \"best_val\": 1.0, \"best_epoch\": 1, \"bad_epochs\": 0}", f);
        fclose(f);
        CHECK_STATUS(ptmi_train_load_state(d, g_model, am, av, &epoch, &step, &best, &best_epoch,
                                           &bad, &err),
                     PTM_OK);
        replace_with(d, names[i], AS_FIFO);
        CHECK_SPECIAL(ptmi_train_load_state(d, g_model, am, av, &epoch, &step, &best, &best_epoch,
                                            &bad, &err),
                      AS_FIFO);
        CHECK(strstr(err.file, names[i]) != NULL);
    }
    free(am);
    free(av);
}

/* Run ptm_model_load(dir) in a child process; its status comes back as the exit code and its
 * peak resident memory (KiB, getrusage in the child) through a pipe into *maxrss_kb. */
static int load_in_child(const char *dir, long *maxrss_kb) {
    int pfd[2];
    if (pipe(pfd) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        ptm_error err;
        ptm_model *m = NULL;
        ptm_status s = ptm_model_load(dir, &m, &err);
        ptm_model_free(m);
        if (s != PTM_OK) fprintf(stderr, "  (expected) %s: %s\n", err.file, err.text);
        struct rusage ru;
        long kb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
        if (write(pfd[1], &kb, sizeof kb) != (ssize_t)sizeof kb) _exit(100);
        _exit((int)s);
    }
    close(pfd[1]);
    long kb = -1;
    if (pid < 0 || read(pfd[0], &kb, sizeof kb) != (ssize_t)sizeof kb) kb = -1;
    close(pfd[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    *maxrss_kb = kb;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* the file at path grown (sparsely) to size bytes */
static void grow_to(const char *path, off_t size) {
    if (truncate(path, size) != 0) {
        perror("truncate");
        exit(1);
    }
}

TEST(sparse_and_tail) {
    ptm_error err;
    /* the first 8 bytes announce a 2^63-byte header in a 3 GB sparse file */
    const char *d = make_model_dir("sparse");
    char p[600];
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    unsigned char len8[8] = {0, 0, 0, 0, 0, 0, 0, 0x80};
    int fd = open(p, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && write(fd, len8, 8) == 8);
    close(fd);
    grow_to(p, (off_t)3 << 30);
    long rss = 0;
    double t0 = now_s();
    CHECK_EQ_INT(load_in_child(d, &rss), PTM_ERR_FORMAT);
    CHECK(now_s() - t0 < 5.0);
    CHECK(rss > 0 && rss < 256 * 1024); /* a whole read would be 3 GB */
    /* a header of 200 MB (over the 100 MB limit) inside the file: refused after 8 bytes */
    len8[7] = 0;
    len8[3] = 0x0c; /* 0x0c000000 = 201 MB */
    fd = open(p, O_WRONLY);
    CHECK(fd >= 0 && write(fd, len8, 8) == 8);
    close(fd);
    CHECK_EQ_INT(load_in_child(d, &rss), PTM_ERR_LIMIT);
    CHECK(rss > 0 && rss < 256 * 1024);

    /* a valid model followed by a 3 GB tail, and by 4 bytes */
    d = make_model_dir("tail");
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    struct stat sb;
    CHECK(stat(p, &sb) == 0);
    grow_to(p, (off_t)3 << 30);
    t0 = now_s();
    CHECK_EQ_INT(load_in_child(d, &rss), PTM_ERR_FORMAT);
    CHECK(now_s() - t0 < 5.0);
    CHECK(rss > 0 && rss < 256 * 1024);
    grow_to(p, sb.st_size + 4);
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load(d, &m, &err), PTM_ERR_FORMAT);
    CHECK(strstr(err.text, "4 trailing bytes") != NULL);
    /* the same file cut back to its size loads */
    grow_to(p, sb.st_size);
    CHECK_STATUS(ptm_model_load(d, &m, &err), PTM_OK);
    ptm_model_free(m);
    /* st_open reads the header only; st_read gives each tensor's bytes */
    st_file f;
    CHECK_STATUS(st_open(p, &f, &err), PTM_OK);
    CHECK(f.buf == NULL && f.count == (size_t)g_model->n_table);
    const st_tensor *t = st_find(&f, "head.base_forecast_block.weight");
    CHECK(t != NULL && t->data == NULL);
    if (t) {
        float *w = malloc(t->nbytes);
        CHECK_STATUS(st_read(&f, t, w, p, &err), PTM_OK);
        const ptmi_param_entry *e = NULL;
        for (int i = 0; i < g_model->n_table; i++)
            if (strcmp(g_model->table[i].name, t->name) == 0) e = &g_model->table[i];
        CHECK(e && memcmp(w, e->f32, t->nbytes) == 0);
        free(w);
    }
    st_free(&f);
}

TEST(memory_cap) {
    ptm_error err;
    const char *d = make_model_dir("cap");
    uint64_t need = 0;
    CHECK_STATUS(ptm_model_memory_bytes(&g_model->cfg, &need, &err), PTM_OK);
    /* a trained model holds both layouts of each weight, a loaded one less (model.h) */
    CHECK(need < g_model->arena_floats * 8 + g_model->iarena_count * 8);
    ptm_load_params lp = ptm_load_default_params();
    CHECK_EQ_INT(lp.max_bytes, 0);
    ptm_model *m = NULL;
    lp.max_bytes = (size_t)need - 1;
    CHECK_STATUS(ptm_model_load_ex(d, &lp, &m, &err), PTM_ERR_LIMIT);
    CHECK(m == NULL && strstr(err.text, "max_bytes") != NULL);
    lp.max_bytes = (size_t)need;
    CHECK_STATUS(ptm_model_load_ex(d, &lp, &m, &err), PTM_OK);
    if (m) CHECK_EQ_INT(need, (m->arena_floats + m->karena_floats) * 4 + m->iarena_count * 8);
    ptm_model_free(m);
    CHECK_STATUS(ptm_model_load_ex(d, NULL, &m, &err), PTM_OK);
    ptm_model_free(m);
    /* the cap is checked before model.safetensors is opened: a FIFO there is never reached */
    replace_with(d, "model.safetensors", AS_FIFO);
    lp.max_bytes = 1;
    CHECK_STATUS(ptm_model_load_ex(d, &lp, &m, &err), PTM_ERR_LIMIT);
}

int main(void) {
    alarm(60); /* a blocking open kills the program (SIGALRM) instead of hanging the suite */
    hostile_setup("test_special_files");
    RUN(model_files_special);
    RUN(data_files_special);
    RUN(resume_files_special);
    RUN(sparse_and_tail);
    RUN(memory_cap);
    return hostile_finish();
}
