/* common.c - error formatting, whole-file reading and path helpers used across the library. */
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

ptm_status ptmi_err(ptm_error *err, ptm_status code, const char *file, const char *field,
                    const char *fmt, ...) {
    if (!err) return code;
    err->code = code;
    copy_str(err->file, sizeof err->file, file);
    copy_str(err->field, sizeof err->field, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
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
    const char *sep1 = err->file[0] ? ": " : "";
    const char *sep2 = err->field[0] ? ": " : "";
    snprintf(buf, buf_size, "%s%s%s%s%s", err->file, sep1, err->field[0] ? err->field : "", sep2,
             err->text);
    return buf;
}

const char *ptm_version(void) {
    return PTM_VERSION_STRING;
}

ptm_status ptmi_read_file(const char *path, size_t max_size, unsigned char **buf, size_t *size,
                          ptm_error *err) {
    *buf = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return ptmi_err(err, PTM_ERR_IO, path, NULL, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "not a regular file");
    }
    if (st.st_size < 0 || (uint64_t)st.st_size >= (uint64_t)SIZE_MAX ||
        (max_size && (uint64_t)st.st_size > (uint64_t)max_size)) {
        fclose(f);
        return ptmi_err(err, PTM_ERR_LIMIT, path, NULL,
                        "file is %lld bytes, more than the limit of %zu bytes",
                        (long long)st.st_size, max_size);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *b = malloc(n + 1);
    if (!b) {
        fclose(f);
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "cannot allocate %zu bytes", n + 1);
    }
    size_t got = n ? fread(b, 1, n, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (got != n || bad) {
        free(b);
        return ptmi_err(err, PTM_ERR_IO, path, NULL, "read %zu of %zu bytes", got, n);
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
