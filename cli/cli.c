/* cli.c - the helpers the subcommands share (see cli.h): error and usage messages, option
 * values, output files (through the library's atomic writer). */
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

int parse_bytes(const char *s, size_t *out) {
    char *end;
    errno = 0;
    if (!s || s[0] < '0' || s[0] > '9') return -1; /* no sign, no space */
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift) end++;
    if (end == s || *end || errno || v > ((unsigned long long)SIZE_MAX >> shift)) return -1;
    *out = (size_t)(v << shift);
    return 0;
}

ptm_status cli_check_model_memory(const char *dir, size_t max, ptm_error *err) {
    if (!max) return PTM_OK;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/config.json", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return cli_error(err, PTM_ERR_ARG, dir, NULL, "path too long");
    ptm_config c;
    ptm_status s = ptm_config_load(path, -1, &c, err);
    if (s != PTM_OK) return s;
    uint64_t need = 0;
    s = ptm_model_memory_bytes(&c, &need, err);
    ptm_config_free(&c);
    if (s == PTM_OK && need > (uint64_t)max)
        s = cli_error(err, PTM_ERR_LIMIT, path, NULL,
                      "the model takes %llu bytes of memory, more than the limit of %zu bytes "
                      "(--max-model-memory)",
                      (unsigned long long)need, max);
    return s;
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
    o->w = NULL;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    if (ptm_file_writer_open(path, &o->w, err) != PTM_OK) return -1;
    o->f = ptm_file_writer_stream(o->w);
    return 0;
}

int close_out(outfile *o, ptm_error *err) {
    if (o->w) return ptm_file_writer_commit(o->w, err) == PTM_OK ? 0 : -1;
    if (ferror(o->f) || fflush(o->f) != 0) {
        cli_error(err, PTM_ERR_IO, o->path, NULL, "write failed");
        return -1;
    }
    return 0;
}

void abort_out(outfile *o) {
    if (o->w)
        ptm_file_writer_abort(o->w);
    else
        (void)fflush(o->f);
}

/* append s to buf at *len (grown as needed), quoted for sh unless it is all safe characters */
static int add_word(char **buf, size_t *len, size_t *cap, const char *s) {
    size_t n = strlen(s), need = *len + 4 * n + 4;
    if (need > *cap) {
        char *g = realloc(*buf, need * 2);
        if (!g) return -1;
        *buf = g;
        *cap = need * 2;
    }
    int safe = n > 0;
    for (const char *c = s; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *c))
            safe = 0;
    char *o = *buf + *len;
    if (*len) *o++ = ' ';
    if (safe) {
        memcpy(o, s, n);
        o += n;
    } else {
        *o++ = '\'';
        for (const char *c = s; *c; c++) {
            if (*c == '\'') {
                memcpy(o, "'\\''", 4);
                o += 4;
            } else {
                *o++ = *c;
            }
        }
        *o++ = '\'';
    }
    *o = '\0';
    *len = (size_t)(o - *buf);
    return 0;
}

char *cli_command_line(const char *cmd, int argc, char **argv) {
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (add_word(&buf, &len, &cap, "patchtsmixer") || add_word(&buf, &len, &cap, cmd)) {
        free(buf);
        return NULL;
    }
    for (int i = 0; i < argc; i++)
        if (add_word(&buf, &len, &cap, argv[i])) {
            free(buf);
            return NULL;
        }
    return buf;
}

/* a JSON string literal, or null for NULL */
void json_str(FILE *f, const char *s) {
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void json_ints(FILE *f, const int *v, int n) {
    if (!v) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? ", " : "", v[i]);
    fputc(']', f);
}

/* a CSV field: quoted (quotes doubled) when it holds a delimiter (, ; TAB), a quote or a line
 * end, or starts or ends with a space, so that every reader takes it back as it was */
void csv_field(FILE *f, const char *s) {
    size_t n = strlen(s);
    int q = strpbrk(s, ",;\t\"\r\n") != NULL || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!q) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
