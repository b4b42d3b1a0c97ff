/* file_writer.c - the one atomic file writer of the library and the command line
 * (ptm_file_writer_open / _commit / _abort and ptm_write_file, declared in patchtsmixer.h).
 *
 * A write goes to a new temporary file beside the target, named ".NAME.ptm-tmp-XXXXXX" (six
 * random letters or digits) and created with O_CREAT | O_EXCL | O_NOFOLLOW, so that nothing
 * planted at a guessable name - a symbolic link to a victim file, a FIFO - is ever opened. The
 * writer holds an flock on it while it writes. Commit: flush, fsync, rename over the target
 * (while still locked), fsync of the folder. A target that exists and is not a regular file (a
 * symbolic link, a directory, a FIFO, a device, a socket) is refused, when the writer opens and
 * again before the rename. Opening also removes the stale temporaries of the same target: the
 * files of that name pattern (and the "NAME.tmp.PID.N" names of earlier versions) that are
 * regular, older than the new temporary file and not locked (their writer died).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/common.h"

#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif
#ifndef O_DIRECTORY
#define O_DIRECTORY 0
#endif

#define TMP_TAG ".ptm-tmp-"
#define TMP_RAND 6
#define NAME_KEEP 200 /* bytes of the target's name kept in the temporary name (NAME_MAX 255) */

struct ptm_file_writer {
    FILE *fp;
    int dirfd;
    char *path; /* the target, as given */
    char *base; /* its last component */
    char tmp[NAME_KEEP + sizeof TMP_TAG + TMP_RAND + 2];
};

/* What the file at st is, for the message that refuses it. */
static const char *kind_of(const struct stat *st) {
    if (S_ISLNK(st->st_mode)) return "a symbolic link";
    if (S_ISDIR(st->st_mode)) return "a directory";
    if (S_ISFIFO(st->st_mode)) return "a FIFO";
    if (S_ISCHR(st->st_mode)) return "a character device";
    if (S_ISBLK(st->st_mode)) return "a block device";
    if (S_ISSOCK(st->st_mode)) return "a socket";
    return "not a regular file";
}

/* PTM_OK when the target is absent or a regular file; never follows a link. */
static ptm_status check_target(const ptm_file_writer *w, ptm_error *err) {
    struct stat st;
    if (fstatat(w->dirfd, w->base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return PTM_OK;
        return ptmi_err(err, PTM_ERR_IO, w->path, NULL, "cannot write: %s", strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return ptmi_err(err, PTM_ERR_IO, w->path, NULL,
                        "exists and is %s, not a regular file: refusing to replace it",
                        kind_of(&st));
    return PTM_OK;
}

static uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* A fresh random suffix: time, pid, a counter and an address mixed (unpredictable enough to
 * avoid collisions; O_EXCL, not secrecy, is what keeps planted names harmless). */
static void random_suffix(char *out) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static atomic_ulong counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30));
    x = mix64(x ^ (uint64_t)getpid() ^ ((uint64_t)atomic_fetch_add(&counter, 1UL) << 32));
    x = mix64(x ^ (uint64_t)(uintptr_t)&ts);
    for (int i = 0; i < TMP_RAND; i++, x /= 62) out[i] = abc[x % 62];
    out[TMP_RAND] = '\0';
}

/* name is a temporary file of the target base: ".BASE.ptm-tmp-XXXXXX" (BASE cut to NAME_KEEP
 * bytes) or, from earlier versions, "BASE.tmp.PID.N". */
static int is_temp_of(const char *name, const char *base) {
    size_t bl = strlen(base), kl = bl > NAME_KEEP ? NAME_KEEP : bl;
    if (name[0] == '.' && strncmp(name + 1, base, kl) == 0 &&
        strncmp(name + 1 + kl, TMP_TAG, sizeof TMP_TAG - 1) == 0)
        return strlen(name + 1 + kl + sizeof TMP_TAG - 1) == TMP_RAND;
    if (strncmp(name, base, bl) != 0 || strncmp(name + bl, ".tmp.", 5) != 0) return 0;
    const char *p = name + bl + 5;
    int dots = 0, digits = 0;
    for (; *p; p++) {
        if (*p == '.' && digits) {
            dots++;
            digits = 0;
        } else if (*p >= '0' && *p <= '9') {
            digits++;
        } else {
            return 0;
        }
    }
    return dots == 1 && digits > 0;
}

static int older(const struct stat *a, const struct stat *b) {
    if (a->st_mtim.tv_sec != b->st_mtim.tv_sec) return a->st_mtim.tv_sec < b->st_mtim.tv_sec;
    return a->st_mtim.tv_nsec < b->st_mtim.tv_nsec;
}

/* Remove the stale temporaries of w's target (best effort: what cannot be removed stays). */
static void remove_stale(const ptm_file_writer *w, const struct stat *mine) {
    int fd = openat(w->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, w->tmp) == 0 || !is_temp_of(e->d_name, w->base)) continue;
        int cfd = openat(w->dirfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (cfd < 0) continue;
        struct stat st;
        /* regular, older than this write, and its writer gone (no lock held) */
        if (fstat(cfd, &st) == 0 && S_ISREG(st.st_mode) && older(&st, mine) &&
            flock(cfd, LOCK_EX | LOCK_NB) == 0)
            (void)unlinkat(w->dirfd, e->d_name, 0);
        close(cfd);
    }
    closedir(d);
}

static void writer_free(ptm_file_writer *w) {
    if (w->dirfd >= 0) close(w->dirfd);
    free(w->path);
    free(w);
}

/* The folder of path (opened) and its last component. */
static ptm_status open_folder(ptm_file_writer *w, const char *path, ptm_error *err) {
    size_t n = strlen(path);
    w->path = malloc(2 * n + 4);
    if (!w->path) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    memcpy(w->path, path, n + 1);
    char *dir = w->path + n + 1;
    const char *slash = strrchr(path, '/');
    if (!slash) {
        memcpy(dir, ".", 2);
        w->base = w->path;
    } else {
        size_t dl = slash == path ? 1 : (size_t)(slash - path);
        memcpy(dir, path, dl);
        dir[dl] = '\0';
        w->base = w->path + (slash - path) + 1;
    }
    if (!w->base[0] || strcmp(w->base, ".") == 0 || strcmp(w->base, "..") == 0)
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot write: not a file name");
    w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0)
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot write into folder %s: %s", dir,
                        strerror(errno));
    return PTM_OK;
}

ptm_status ptm_file_writer_open(const char *path, ptm_file_writer **out, ptm_error *err) {
    if (!out) return ptmi_err(err, PTM_ERR_ARG, path, NULL, "ptm_file_writer_open: out is NULL");
    *out = NULL;
    if (!path || !path[0])
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptm_file_writer_open: no path");
    ptm_file_writer *w = calloc(1, sizeof *w);
    if (!w) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    w->dirfd = -1;
    ptm_status s = open_folder(w, path, err);
    if (s == PTM_OK) s = check_target(w, err);
    if (s != PTM_OK) {
        writer_free(w);
        return s;
    }
    size_t bl = strlen(w->base), kl = bl > NAME_KEEP ? NAME_KEEP : bl;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        w->tmp[0] = '.';
        memcpy(w->tmp + 1, w->base, kl);
        memcpy(w->tmp + 1 + kl, TMP_TAG, sizeof TMP_TAG - 1);
        random_suffix(w->tmp + 1 + kl + sizeof TMP_TAG - 1);
        fd = openat(w->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        s = ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot create a temporary file beside it: %s",
                     strerror(errno));
        writer_free(w);
        return s;
    }
    (void)flock(fd, LOCK_EX | LOCK_NB); /* marks it live for remove_stale of other writers */
    struct stat mine;
    if (fstat(fd, &mine) == 0) remove_stale(w, &mine);
    w->fp = fdopen(fd, "wb");
    if (!w->fp) {
        s = ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot write: %s", strerror(errno));
        close(fd);
        (void)unlinkat(w->dirfd, w->tmp, 0);
        writer_free(w);
        return s;
    }
    *out = w;
    return PTM_OK;
}

FILE *ptm_file_writer_stream(ptm_file_writer *w) {
    return w ? w->fp : NULL;
}

void ptm_file_writer_abort(ptm_file_writer *w) {
    if (!w) return;
    fclose(w->fp);
    (void)unlinkat(w->dirfd, w->tmp, 0);
    writer_free(w);
}

ptm_status ptm_file_writer_commit(ptm_file_writer *w, ptm_error *err) {
    if (!w) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptm_file_writer_commit: no writer");
    errno = 0;
    const char *what = NULL;
    if (ferror(w->fp) || fflush(w->fp) != 0)
        what = "cannot write";
    else if (fsync(fileno(w->fp)) != 0)
        what = "cannot sync";
    if (what) {
        int e = errno ? errno : EIO;
        ptm_status s = ptmi_err(err, PTM_ERR_IO, w->path, NULL, "%s: %s", what, strerror(e));
        ptm_file_writer_abort(w);
        return s;
    }
    ptm_status s = check_target(w, err);
    if (s != PTM_OK) {
        ptm_file_writer_abort(w);
        return s;
    }
    /* renamed while still open and locked, so that no other writer takes it for stale */
    if (renameat(w->dirfd, w->tmp, w->dirfd, w->base) != 0) {
        s = ptmi_err(err, PTM_ERR_IO, w->path, NULL, "cannot replace it: %s", strerror(errno));
        ptm_file_writer_abort(w);
        return s;
    }
    int bad = fclose(w->fp) != 0;
    int e = errno;
    if (!bad && fsync(w->dirfd) != 0 && errno != EINVAL && errno != ENOTSUP && errno != EROFS) {
        bad = 2;
        e = errno;
    }
    if (bad)
        s = ptmi_err(err, PTM_ERR_IO, w->path, NULL, "written, but %s failed: %s",
                     bad == 1 ? "closing it" : "syncing its folder", strerror(e));
    writer_free(w);
    return s;
}

ptm_status ptm_write_file(const char *path, const void *data, size_t len, ptm_error *err) {
    if (!data && len) return ptmi_err(err, PTM_ERR_ARG, path, NULL, "ptm_write_file: data is NULL");
    ptm_file_writer *w = NULL;
    ptm_status s = ptm_file_writer_open(path, &w, err);
    if (s != PTM_OK) return s;
    if (len && fwrite(data, 1, len, w->fp) != len) {
        s = ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot write: %s",
                     strerror(errno ? errno : EIO));
        ptm_file_writer_abort(w);
        return s;
    }
    return ptm_file_writer_commit(w, err);
}
