/* common.c - error formatting (with control characters from untrusted input escaped),
 * non-blocking opening and whole-file reading of regular files, and path helpers used across
 * the library. */
#include "base/common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void copy_str(char *dst, size_t n, const char *src) {
    if (!src) src = "";
    size_t len = strlen(src);
    if (len >= n) len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

size_t ptmi_utf8_seq_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return c ? 1 : 0;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* no overlong forms */
        if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* no overlong forms */
        if (c == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

char *ptmi_escape(char *dst, size_t n, const char *src, size_t src_len) {
    if (!dst || n == 0) return dst;
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    size_t o = 0;
    for (size_t i = 0; i < src_len && s[i];) {
        char esc[8];
        const char *piece = esc;
        size_t pl, used = 1;
        unsigned char c = s[i];
        size_t u = c >= 0x80 ? ptmi_utf8_seq_len(s + i, src_len - i) : 0; /* stops at a NUL */
        if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            pl = 2;
        } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && u == 0)) {
            pl = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
        } else if (u == 2 && c == 0xC2 && s[i + 1] <= 0x9F) { /* C1 controls U+0080..U+009F */
            pl = (size_t)snprintf(esc, sizeof esc, "\\u%04x", (unsigned)s[i + 1]);
            used = 2;
        } else {
            piece = (const char *)s + i;
            pl = used = u ? u : 1;
        }
        if (o + pl >= n) break; /* never cut an escape or a character in two */
        memcpy(dst + o, piece, pl);
        o += pl;
        i += used;
    }
    dst[o] = '\0';
    return dst;
}

ptm_status ptmi_err(ptm_error *err, ptm_status code, const char *file, const char *field,
                    const char *fmt, ...) {
    if (!err) return code;
    /* escaped into locals first: file, field or an argument may point into *err itself */
    char f[sizeof err->file], fl[sizeof err->field], text[sizeof err->text];
    ptmi_escape(f, sizeof f, file, SIZE_MAX);
    ptmi_escape(fl, sizeof fl, field, SIZE_MAX);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    err->code = code;
    memcpy(err->file, f, strlen(f) + 1);
    memcpy(err->field, fl, strlen(fl) + 1);
    ptmi_escape(err->text, sizeof err->text, text, sizeof text);
    return code;
}

const char *ptm_status_str(ptm_status code) {
    switch (code) {
    case PTM_OK:
        return "ok";
    case PTM_ERR_IO:
        return "io error";
    case PTM_ERR_FORMAT:
        return "format error";
    case PTM_ERR_CONFIG:
        return "config error";
    case PTM_ERR_UNSUPPORTED:
        return "unsupported";
    case PTM_ERR_TENSOR:
        return "tensor error";
    case PTM_ERR_INPUT:
        return "input error";
    case PTM_ERR_NOMEM:
        return "out of memory";
    case PTM_ERR_LIMIT:
        return "limit exceeded";
    case PTM_ERR_ARG:
        return "invalid argument";
    case PTM_ERR_DIVERGED:
        return "training diverged";
    }
    return "unknown error";
}

const char *ptm_error_message(const ptm_error *err, char *buf, size_t buf_size) {
    if (!buf || buf_size == 0) return buf;
    if (!err) {
        copy_str(buf, buf_size, "");
        return buf;
    }
    /* escaped again here: a caller (or the binding) may have filled the fields directly */
    char line[sizeof err->file + sizeof err->field + sizeof err->text + 8];
    const char *sep1 = err->file[0] ? ": " : "";
    const char *sep2 = err->field[0] ? ": " : "";
    snprintf(line, sizeof line, "%.*s%s%.*s%s%.*s", (int)sizeof err->file, err->file, sep1,
             (int)sizeof err->field, err->field, sep2, (int)sizeof err->text, err->text);
    return ptmi_escape(buf, buf_size, line, sizeof line);
}

const char *ptm_version(void) {
    return PTM_VERSION_STRING;
}

/* What a file that is not a regular file is, for messages. */
static const char *file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

ptm_status ptmi_open_read(const char *path, int *fd, struct stat *st, ptm_error *err) {
    *fd = -1;
    if (!path) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "file path is NULL");
    /* O_NONBLOCK: opening a FIFO nobody writes (or a device that waits) returns at once */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (f < 0) return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot open: %s", strerror(errno));
    if (fstat(f, st) != 0) {
        int e = errno;
        close(f);
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st->st_mode)) {
        close(f);
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "is %s, expected a regular file",
                        file_kind(st->st_mode));
    }
    int fl = fcntl(f, F_GETFL);
    if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(f);
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot clear O_NONBLOCK: %s", strerror(e));
    }
    *fd = f;
    return PTM_OK;
}

int ptmi_pread_full(int fd, void *dst, size_t n, uint64_t off) {
    unsigned char *p = dst;
    while (n > 0) {
        if (off > (uint64_t)INT64_MAX) {
            errno = EOVERFLOW;
            return -1;
        }
        size_t chunk = n < ((size_t)1 << 30) ? n : ((size_t)1 << 30);
        ssize_t got = pread(fd, p, chunk, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) {
            errno = 0; /* the file ended early (it shrank since fstat) */
            return -1;
        }
        p += got;
        n -= (size_t)got;
        off += (uint64_t)got;
    }
    return 0;
}

ptm_status ptmi_read_file(const char *path, size_t max_size, unsigned char **buf, size_t *size,
                          ptm_error *err) {
    *buf = NULL;
    *size = 0;
    int fd;
    struct stat st;
    ptm_status s = ptmi_open_read(path, &fd, &st, err);
    if (s != PTM_OK) return s;
    if (st.st_size < 0 || (uint64_t)st.st_size >= (uint64_t)SIZE_MAX ||
        (max_size && (uint64_t)st.st_size > (uint64_t)max_size)) {
        close(fd);
        return ptmi_err(err, PTM_ERR_LIMIT, path, NULL,
                        "file is %lld bytes, more than the limit of %zu bytes",
                        (long long)st.st_size, max_size);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *b = malloc(n + 1);
    if (!b) {
        close(fd);
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "cannot allocate %zu bytes", n + 1);
    }
    int rc = ptmi_pread_full(fd, b, n, 0);
    int e = errno;
    close(fd);
    if (rc != 0) {
        free(b);
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot read its %zu bytes: %s", n,
                        e ? strerror(e) : "the file shrank while it was read");
    }
    b[n] = 0;
    *buf = b;
    *size = n;
    return PTM_OK;
}

ptm_status ptmi_path_join(char *out, size_t out_size, const char *dir, const char *name,
                          ptm_error *err) {
    size_t dl = strlen(dir);
    const char *sep = (dl > 0 && dir[dl - 1] != '/') ? "/" : "";
    int n = snprintf(out, out_size, "%s%s%s", dir, sep, name);
    if (n < 0 || (size_t)n >= out_size)
        return ptmi_err(err, PTM_ERR_ARG, dir, NULL, "path too long");
    return PTM_OK;
}
