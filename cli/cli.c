/* cli.c - the helpers the subcommands share (see cli.h): error and usage messages, option
 * values, output files. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int fail_status(const ptm_error *err) {
    char msg[2048];
    fprintf(stderr, "patchtsmixer: %s\n", ptm_error_message(err, msg, sizeof msg));
    return EXIT_RUNTIME;
}

int fail_usage(const char *cmd, const char *fmt, const char *arg) {
    /* the message quotes the command line (or a CSV column name): ptm_error_message escapes its
     * control characters, so a hostile argument cannot drive the terminal */
    ptm_error e;
    memset(&e, 0, sizeof e);
    snprintf(e.text, sizeof e.text, fmt, arg);
    char msg[sizeof e.text];
    fprintf(stderr, "patchtsmixer%s%s: %s (see 'patchtsmixer %s%s--help')\n", cmd ? " " : "",
            cmd ? cmd : "", ptm_error_message(&e, msg, sizeof msg), cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

/* Stored as given: every CLI error is printed through fail_status, whose ptm_error_message
 * escapes control characters. */
ptm_status cli_error(ptm_error *err, ptm_status code, const char *file, const char *field,
                     const char *fmt, ...) {
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return code;
}

int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int parse_double(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

int parse_list_f(const char *s, float *out, int max, int *n) {
    *n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || *n >= max) return -1;
        out[(*n)++] = (float)v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return *n > 0 ? 0 : -1;
}

int pick_name(const char *v, const char *const *names, int *out) {
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

int open_out(outfile *o, const char *path, ptm_error *err) {
    o->path = path;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    o->f = fopen(path, "w");
    if (!o->f) {
        cli_error(err, PTM_ERR_IO, path, NULL, "cannot write: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int close_out(outfile *o, ptm_error *err) {
    int bad = ferror(o->f);
    if (o->f != stdout)
        bad |= fclose(o->f) != 0;
    else
        bad |= fflush(stdout) != 0;
    if (bad) {
        cli_error(err, PTM_ERR_IO, o->path, NULL, "write failed");
        return -1;
    }
    return 0;
}
