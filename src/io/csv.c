/* csv.c - time-series CSV reader and timestamp parse/format helpers (see csv.h for the
 * accepted layout).
 *
 * csv_parse runs one pass over the text: a small scanner splits it into records (cells stored
 * NUL-separated in a reusable buffer), the first record decides header / no header, the first
 * data record decides whether column 0 holds timestamps, and every data record is then
 * converted into the row-major values/observed arrays, which grow by doubling. Every failure
 * frees what was built and leaves the output table zeroed.
 */
#include "io/csv.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"

/* ------------------------------------------------------------------ small helpers */

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int is_blank_char(char c, char delim) {
    return (c == ' ' || c == '\t') && c != delim;
}

static int lower_ascii(int c) {
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison of s[0..n) with the NUL-terminated lowercase word w. */
static int equals_nocase(const char *s, size_t n, const char *w) {
    size_t wl = strlen(w);
    if (wl != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower_ascii((unsigned char)s[i]) != w[i]) return 0;
    return 1;
}

static int is_missing_token(const char *s, size_t n) {
    static const char *const tokens[] = {"na", "n/a", "#n/a", "nan", "-nan", "null", "none"};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        if (equals_nocase(s, n, tokens[i])) return 1;
    return 0;
}

enum { VAL_NUMBER = 0, VAL_MISSING = 1, VAL_NOT_NUMBER = -1, VAL_RANGE = -2 };

/* Classify a NUL-terminated cell and, for VAL_NUMBER, store its value. */
static int parse_value(const char *cell, float *v) {
    const char *b = cell;
    while (*b == ' ' || *b == '\t') b++;
    size_t n = strlen(b);
    while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t')) n--;
    if (n == 0 || is_missing_token(b, n)) return VAL_MISSING;
    /* decimal numbers only: strtod would also read hexadecimal ("0x10", "0x1p3") */
    if (memchr(b, 'x', n) || memchr(b, 'X', n)) return VAL_NOT_NUMBER;
    char *end = NULL;
    errno = 0;
    double d = strtod(b, &end);
    if (end == b || (size_t)(end - b) != n) return VAL_NOT_NUMBER;
    if (isnan(d) || isinf(d)) {
        /* strtod gives HUGE_VAL with ERANGE for a finite literal beyond the double range */
        if (errno == ERANGE) return VAL_RANGE;
        return VAL_MISSING;
    }
    if (fabs(d) > (double)FLT_MAX) return VAL_RANGE;
    *v = (float)d;
    return VAL_NUMBER;
}

/* ------------------------------------------------------------------ record scanner */

typedef struct {
    const char *s;
    size_t len, pos;
    char delim;
    size_t line; /* 1-based line of s[pos] */
    const char *name;
    char *buf; /* cells of the current record, each NUL-terminated */
    size_t blen, bcap;
    size_t *offs; /* start of each cell in buf */
    size_t ncells, ocap;
    int any_quoted;
    size_t rec_line; /* line the current record starts on */
} scanner;

static int sc_push(scanner *sc, char c) {
    if (sc->blen == sc->bcap) {
        size_t cap = sc->bcap ? sc->bcap : 256;
        if (sc->bcap && ptm_mul_size(sc->bcap, 2, &cap)) return -1;
        char *nb = realloc(sc->buf, cap);
        if (!nb) return -1;
        sc->buf = nb;
        sc->bcap = cap;
    }
    sc->buf[sc->blen++] = c;
    return 0;
}

static int sc_end_cell(scanner *sc, size_t start) {
    if (sc_push(sc, '\0')) return -1;
    if (sc->ncells == sc->ocap) {
        size_t cap = sc->ocap ? sc->ocap : 16, bytes;
        if (sc->ocap && ptm_mul_size(sc->ocap, 2, &cap)) return -1;
        if (ptm_mul_size(cap, sizeof(size_t), &bytes)) return -1;
        size_t *no = realloc(sc->offs, bytes);
        if (!no) return -1;
        sc->offs = no;
        sc->ocap = cap;
    }
    sc->offs[sc->ncells++] = start;
    return 0;
}

static ptm_status sc_nomem(const scanner *sc, ptm_error *err) {
    return ptm_err(err, PTM_ERR_NOMEM, sc->name, NULL, "out of memory while reading line %zu",
                   sc->line);
}

static ptm_status sc_nul(const scanner *sc, ptm_error *err) {
    char field[64];
    snprintf(field, sizeof field, "row %zu", sc->line);
    return ptm_err(err, PTM_ERR_FORMAT, sc->name, field,
                   "NUL byte in the text; expected a text CSV file");
}

/* Read the next non-blank record. *got = 0 at the end of the input. */
static ptm_status sc_read_record(scanner *sc, int *got, ptm_error *err) {
    const char *s = sc->s;
    const size_t len = sc->len;
    const char delim = sc->delim;
    for (;;) {
        if (sc->pos >= len) {
            *got = 0;
            return PTM_OK;
        }
        sc->blen = 0;
        sc->ncells = 0;
        sc->any_quoted = 0;
        sc->rec_line = sc->line;
        for (;;) { /* one cell */
            size_t start = sc->blen;
            while (sc->pos < len && is_blank_char(s[sc->pos], delim)) sc->pos++;
            if (sc->pos < len && s[sc->pos] == '"') {
                size_t qline = sc->line;
                sc->any_quoted = 1;
                sc->pos++;
                for (;;) {
                    if (sc->pos >= len) {
                        char field[64];
                        snprintf(field, sizeof field, "row %zu", qline);
                        return ptm_err(err, PTM_ERR_FORMAT, sc->name, field,
                                       "quoted field opened on line %zu is never closed; "
                                       "expected a closing '\"'",
                                       qline);
                    }
                    char c = s[sc->pos];
                    if (c == '"') {
                        if (sc->pos + 1 < len && s[sc->pos + 1] == '"') {
                            if (sc_push(sc, '"')) return sc_nomem(sc, err);
                            sc->pos += 2;
                            continue;
                        }
                        sc->pos++;
                        break;
                    }
                    if (c == '\0') return sc_nul(sc, err);
                    if (c == '\n' || (c == '\r' && !(sc->pos + 1 < len && s[sc->pos + 1] == '\n')))
                        sc->line++;
                    if (sc_push(sc, c)) return sc_nomem(sc, err);
                    sc->pos++;
                }
                while (sc->pos < len && is_blank_char(s[sc->pos], delim)) sc->pos++;
                if (sc->pos < len && s[sc->pos] != delim && s[sc->pos] != '\n' &&
                    s[sc->pos] != '\r') {
                    char field[64];
                    snprintf(field, sizeof field, "row %zu", sc->line);
                    unsigned char bad = (unsigned char)s[sc->pos];
                    return ptm_err(err, PTM_ERR_FORMAT, sc->name, field,
                                   "found '%c' (byte 0x%02x) after a closing quote; expected "
                                   "the delimiter or the end of the line",
                                   (bad >= 32 && bad < 127) ? bad : '?', bad);
                }
            } else {
                while (sc->pos < len) {
                    char c = s[sc->pos];
                    if (c == delim || c == '\n' || c == '\r') break;
                    if (c == '\0') return sc_nul(sc, err);
                    if (sc_push(sc, c)) return sc_nomem(sc, err);
                    sc->pos++;
                }
                while (sc->blen > start && is_blank_char(sc->buf[sc->blen - 1], delim)) sc->blen--;
            }
            if (sc_end_cell(sc, start)) return sc_nomem(sc, err);
            if (sc->pos < len && s[sc->pos] == delim) {
                sc->pos++;
                continue;
            }
            if (sc->pos < len) { /* end of line */
                if (s[sc->pos] == '\r') {
                    sc->pos++;
                    if (sc->pos < len && s[sc->pos] == '\n') sc->pos++;
                } else {
                    sc->pos++;
                }
                sc->line++;
            }
            break;
        }
        if (sc->ncells == 1 && !sc->any_quoted && sc->buf[sc->offs[0]] == '\0')
            continue; /* blank line */
        *got = 1;
        return PTM_OK;
    }
}

/* Pick the delimiter from the first non-blank line: the most frequent of ',', ';', '\t'
 * outside quotes; ties go to ',' then ';'; none at all -> ','. */
static char detect_delimiter(const char *s, size_t len, size_t pos) {
    size_t nc = 0, ns = 0, nt = 0;
    int inq = 0, nonblank = 0;
    for (; pos < len; pos++) {
        char c = s[pos];
        if (inq) {
            if (c == '"') inq = 0; /* a "" escape closes and reopens: same result */
            continue;
        }
        if (c == '\n' || c == '\r') {
            if (nonblank) break;
            continue;
        }
        if (c == '"') inq = 1;
        if (c == ',')
            nc++;
        else if (c == ';')
            ns++;
        else if (c == '\t')
            nt++;
        if (c != ' ') nonblank = 1;
    }
    if (nc >= ns && nc >= nt) return ',';
    if (ns >= nt) return ';';
    return '\t';
}

/* ------------------------------------------------------------------ table building */

void csv_free(csv_table *t) {
    if (!t) return;
    if (t->colnames)
        for (size_t i = 0; i < t->ncols; i++) free(t->colnames[i]);
    free(t->colnames);
    free(t->time_colname);
    if (t->time_text)
        for (size_t i = 0; i < t->nrows; i++) free(t->time_text[i]);
    free(t->time_text);
    free(t->time_sec);
    free(t->values);
    free(t->observed);
    memset(t, 0, sizeof *t);
}

/* Make room for at least one more row. */
static int grow_rows(csv_table *t, size_t *cap, size_t max_rows) {
    size_t nc = *cap ? *cap : 256;
    if (*cap && ptm_mul_size(*cap, 2, &nc)) nc = max_rows;
    if (nc > max_rows) nc = max_rows;
    if (nc <= t->nrows) return -1;
    size_t cells, vbytes, pbytes, sbytes;
    if (ptm_mul_size(nc, t->ncols, &cells) || ptm_mul_size(cells, sizeof(float), &vbytes) ||
        ptm_mul_size(nc, sizeof(char *), &pbytes) || ptm_mul_size(nc, sizeof(int64_t), &sbytes))
        return -1;
    float *v = realloc(t->values, vbytes);
    if (!v) return -1;
    t->values = v;
    float *o = realloc(t->observed, vbytes);
    if (!o) return -1;
    t->observed = o;
    if (t->has_time) {
        char **tt = realloc(t->time_text, pbytes);
        if (!tt) return -1;
        t->time_text = tt;
        int64_t *ts = realloc(t->time_sec, sbytes);
        if (!ts) return -1;
        t->time_sec = ts;
    }
    *cap = nc;
    return 0;
}

/* Cell text for an error message, shortened. */
static void cell_excerpt(const char *cell, char *out, size_t n) {
    size_t l = strlen(cell);
    if (l < n) {
        memcpy(out, cell, l + 1);
    } else {
        snprintf(out, n, "%.*s...", (int)(n - 4), cell);
    }
}

/* One record, either the scanner's current one or a saved copy. */
typedef struct {
    const char *buf;
    const size_t *offs;
    size_t ncells;
    size_t line;
} record_view;

static record_view sc_view(const scanner *sc) {
    record_view r = {sc->buf, sc->offs, sc->ncells, sc->rec_line};
    return r;
}

static const char *rv_cell(const record_view *r, size_t i) {
    return r->buf + r->offs[i];
}

/* Append one data record to t (whose columns are already set up). */
static ptm_status add_row(csv_table *t, const record_view *rec, size_t ncells, size_t hdr_line,
                          size_t *row_cap, const char *name, ptm_error *err) {
    char field[320];
    if (rec->ncells != ncells) {
        snprintf(field, sizeof field, "row %zu", rec->line);
        return ptm_err(err, PTM_ERR_INPUT, name, field,
                       "row %zu has %zu cells, expected %zu (as on line %zu)", rec->line,
                       rec->ncells, ncells, hdr_line);
    }
    const size_t max_rows = CSV_MAX_CELLS / t->ncols;
    if (t->nrows == *row_cap) {
        if (t->nrows >= max_rows)
            return ptm_err(err, PTM_ERR_LIMIT, name, NULL,
                           "more than %zu rows of %zu columns (limit %zu cells)", max_rows,
                           t->ncols, CSV_MAX_CELLS);
        if (grow_rows(t, row_cap, max_rows))
            return ptm_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu rows",
                           t->nrows);
    }
    const size_t off = (size_t)t->has_time;
    float *vrow = t->values + t->nrows * t->ncols;
    float *orow = t->observed + t->nrows * t->ncols;
    for (size_t j = 0; j < t->ncols; j++) {
        const char *cell = rv_cell(rec, j + off);
        float v = 0.0f;
        int k = parse_value(cell, &v);
        if (k == VAL_NUMBER) {
            vrow[j] = v;
            orow[j] = 1.0f;
        } else if (k == VAL_MISSING) {
            vrow[j] = 0.0f;
            orow[j] = 0.0f;
        } else {
            char ex[48];
            cell_excerpt(cell, ex, sizeof ex);
            snprintf(field, sizeof field, "row %zu, column '%.200s'", rec->line, t->colnames[j]);
            if (k == VAL_RANGE)
                return ptm_err(err, PTM_ERR_INPUT, name, field,
                               "value '%s' is outside the float range (|x| <= %g)", ex,
                               (double)FLT_MAX);
            return ptm_err(err, PTM_ERR_INPUT, name, field,
                           "cannot read '%s' as a number; expected a decimal number, an empty "
                           "cell or NA/NaN",
                           ex);
        }
    }
    if (t->has_time) {
        const char *c0 = rv_cell(rec, 0);
        char *txt = dup_str(c0);
        if (!txt)
            return ptm_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu rows",
                           t->nrows);
        t->time_text[t->nrows] = txt;
        if (t->time_parsed && csv_parse_time(c0, &t->time_sec[t->nrows]) != 0) t->time_parsed = 0;
    }
    t->nrows++;
    return PTM_OK;
}

/* Set up colnames / time_colname / has_time from the header (or none) and the first data
 * record. */
static ptm_status setup_columns(csv_table *t, const record_view *hdr, const record_view *first,
                                const char *name, ptm_error *err) {
    const size_t ncells = hdr ? hdr->ncells : first->ncells;
    float dummy;
    if (first->ncells == ncells) {
        const char *c0 = rv_cell(first, 0);
        t->has_time = c0[0] != '\0' && parse_value(c0, &dummy) == VAL_NOT_NUMBER;
    }
    size_t ncols = ncells - (size_t)t->has_time;
    if (ncols == 0) {
        t->has_time = 0;
        return ptm_err(err, PTM_ERR_INPUT, name, NULL,
                       "no value columns: the only column holds timestamps; expected at least "
                       "one numeric column");
    }
    if (ncols > (size_t)INT_MAX)
        return ptm_err(err, PTM_ERR_LIMIT, name, NULL, "%zu columns; at most %d are supported",
                       ncols, INT_MAX);
    t->colnames = calloc(ncols, sizeof(char *));
    if (!t->colnames) return ptm_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    t->ncols = ncols;
    for (size_t j = 0; j < ncols; j++) {
        const char *nm = hdr ? rv_cell(hdr, j + (size_t)t->has_time) : "";
        if (nm[0]) {
            t->colnames[j] = dup_str(nm);
        } else {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "col%zu", j);
            t->colnames[j] = dup_str(tmp);
        }
        if (!t->colnames[j]) return ptm_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    }
    if (t->has_time && hdr) {
        t->time_colname = dup_str(rv_cell(hdr, 0));
        if (!t->time_colname) return ptm_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    }
    t->time_parsed = t->has_time;
    return PTM_OK;
}

ptm_status csv_parse(const char *text, size_t len, const char *name_for_errors,
                     const csv_options *opt, csv_table *out, ptm_error *err) {
    const char *name = name_for_errors ? name_for_errors : "<csv>";
    if (!out) return ptm_err(err, PTM_ERR_ARG, name, NULL, "output table is NULL");
    memset(out, 0, sizeof *out);
    if (!text && len) return ptm_err(err, PTM_ERR_ARG, name, NULL, "text is NULL");
    size_t limit = (opt && opt->max_bytes) ? opt->max_bytes : CSV_DEFAULT_MAX_BYTES;
    if (len > limit)
        return ptm_err(err, PTM_ERR_LIMIT, name, NULL,
                       "input is %zu bytes, more than the limit of %zu bytes", len, limit);
    char delim = opt ? opt->delimiter : 0;
    if (delim == '"' || delim == '\n' || delim == '\r')
        return ptm_err(err, PTM_ERR_ARG, name, NULL,
                       "delimiter 0x%02x is not usable; expected e.g. ',', ';' or '\\t'",
                       (unsigned)(unsigned char)delim);

    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    if (!delim) delim = detect_delimiter(text, len, pos);

    scanner sc;
    memset(&sc, 0, sizeof sc);
    sc.s = text;
    sc.len = len;
    sc.pos = pos;
    sc.delim = delim;
    sc.line = 1;
    sc.name = name;

    csv_table *t = out;
    char *l1_buf = NULL; /* copy of the first record */
    size_t *l1_offs = NULL;
    size_t row_cap = 0;
    int got = 0, has_header = 0;
    float dummy;
    size_t ncells = 0;
    record_view first = {NULL, NULL, 0, 0};

    ptm_status st = sc_read_record(&sc, &got, err);
    if (st) goto done;
    if (!got) {
        st = ptm_err(err, PTM_ERR_INPUT, name, NULL,
                     "no data rows: the file is empty; expected a header line and data rows");
        goto done;
    }
    ncells = sc.ncells;
    {
        size_t ob;
        if (ptm_mul_size(ncells, sizeof(size_t), &ob)) goto nomem;
        l1_buf = malloc(sc.blen);
        l1_offs = malloc(ob);
        if (!l1_buf || !l1_offs) goto nomem;
        memcpy(l1_buf, sc.buf, sc.blen);
        memcpy(l1_offs, sc.offs, ob);
    }
    first.buf = l1_buf;
    first.offs = l1_offs;
    first.ncells = ncells;
    first.line = sc.rec_line;

    /* header: a non-numeric cell after the first (or the only cell) */
    if (ncells == 1) {
        has_header = parse_value(rv_cell(&first, 0), &dummy) == VAL_NOT_NUMBER;
    } else {
        for (size_t i = 1; i < ncells && !has_header; i++)
            has_header = parse_value(rv_cell(&first, i), &dummy) == VAL_NOT_NUMBER;
    }
    st = sc_read_record(&sc, &got, err);
    if (st) goto done;
    /* ...or all names numeric ("date,0,1,2") but a non-time first cell above a time */
    if (!has_header && got && ncells >= 2 && sc.ncells == ncells) {
        const char *c0 = rv_cell(&first, 0);
        has_header = parse_value(c0, &dummy) == VAL_NOT_NUMBER && csv_parse_time(c0, NULL) != 0 &&
                     csv_parse_time(sc.buf + sc.offs[0], NULL) == 0;
    }
    if (has_header && !got) {
        st = ptm_err(err, PTM_ERR_INPUT, name, NULL,
                     "no data rows: only a header line (line %zu) was found", first.line);
        goto done;
    }

    if (has_header) {
        record_view cur = sc_view(&sc);
        st = setup_columns(t, &first, &cur, name, err);
    } else {
        st = setup_columns(t, NULL, &first, name, err);
        if (!st) st = add_row(t, &first, ncells, first.line, &row_cap, name, err);
    }
    if (st) goto done;
    while (got) {
        record_view cur = sc_view(&sc);
        st = add_row(t, &cur, ncells, first.line, &row_cap, name, err);
        if (st) goto done;
        st = sc_read_record(&sc, &got, err);
        if (st) goto done;
    }

    if (!t->time_parsed) {
        free(t->time_sec);
        t->time_sec = NULL;
    }
    /* give back the unused growth room (failure to shrink is harmless) */
    if (row_cap > t->nrows) {
        size_t cells = t->nrows * t->ncols; /* <= CSV_MAX_CELLS, no overflow */
        float *v = realloc(t->values, cells * sizeof(float));
        if (v) t->values = v;
        float *o = realloc(t->observed, cells * sizeof(float));
        if (o) t->observed = o;
    }
    goto done;

nomem:
    st = ptm_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory while reading line %zu", sc.line);
done:
    free(l1_buf);
    free(l1_offs);
    free(sc.buf);
    free(sc.offs);
    if (st) csv_free(t);
    return st;
}

/* Read all of standard input, at most limit bytes. */
static ptm_status read_stdin(size_t limit, char **buf, size_t *size, ptm_error *err) {
    const char *name = "<stdin>";
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    if (!b) return ptm_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    for (;;) {
        if (n == cap) {
            if (cap > limit) {
                free(b);
                return ptm_err(err, PTM_ERR_LIMIT, name, NULL,
                               "input is more than the limit of %zu bytes", limit);
            }
            size_t nc;
            if (ptm_mul_size(cap, 2, &nc)) {
                free(b);
                return ptm_err(err, PTM_ERR_LIMIT, name, NULL, "input too large");
            }
            char *nb = realloc(b, nc);
            if (!nb) {
                free(b);
                return ptm_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu bytes", n);
            }
            b = nb;
            cap = nc;
        }
        size_t got = fread(b + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) break;
    }
    if (ferror(stdin)) {
        free(b);
        return ptm_err(err, PTM_ERR_IO, name, NULL, "read error after %zu bytes", n);
    }
    if (n > limit) {
        free(b);
        return ptm_err(err, PTM_ERR_LIMIT, name, NULL,
                       "input is %zu bytes, more than the limit of %zu bytes", n, limit);
    }
    *buf = b;
    *size = n;
    return PTM_OK;
}

ptm_status csv_load(const char *path, const csv_options *opt, csv_table *out, ptm_error *err) {
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out) return ptm_err(err, PTM_ERR_ARG, path, NULL, "path or output is NULL");
    size_t limit = (opt && opt->max_bytes) ? opt->max_bytes : CSV_DEFAULT_MAX_BYTES;
    char *buf = NULL;
    size_t size = 0;
    ptm_status st;
    const char *name = path;
    if (strcmp(path, "-") == 0) {
        name = "<stdin>";
        st = read_stdin(limit, &buf, &size, err);
    } else {
        unsigned char *ub = NULL;
        st = ptm_read_file(path, limit, &ub, &size, err);
        buf = (char *)ub;
    }
    if (st) return st;
    st = csv_parse(buf, size, name, opt, out, err);
    free(buf);
    return st;
}

int csv_find_column(const csv_table *t, const char *name) {
    if (!t || !name || !t->colnames) return -1;
    for (size_t i = 0; i < t->ncols && i <= (size_t)INT_MAX; i++)
        if (t->colnames[i] && strcmp(t->colnames[i], name) == 0) return (int)i;
    return -1;
}

/* ------------------------------------------------------------------ timestamps */

typedef struct {
    char date_sep;    /* '-' or '/' */
    int pad_date;     /* month and day written with 2 digits */
    int has_time;     /* anything after the date */
    char time_sep;    /* ' ', 'T' or 't' */
    int pad_hour;     /* hour written with 2 digits */
    int has_sec;      /* HH:MM:SS rather than HH:MM */
    int frac_digits;  /* digits after the '.' (0 = none) */
    char suffix[16];  /* "Z", "+02:00", ... verbatim, or "" */
    int64_t offset_s; /* zone offset in seconds (local = UTC + offset) */
} time_style;

static int read_digits(const char **p, int minn, int maxn, int *val) {
    const char *s = *p;
    int n = 0, v = 0;
    while (n < maxn && s[n] >= '0' && s[n] <= '9') {
        v = v * 10 + (s[n] - '0');
        n++;
    }
    if (n < minn) return -1;
    *p = s + n;
    *val = v;
    return n;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

static int parse_time_style(const char *s, int64_t *sec_out, time_style *st) {
    if (!s) return -1;
    time_style sty;
    memset(&sty, 0, sizeof sty);
    const char *p = s;
    while (*p == ' ' || *p == '\t') p++;
    int y, mo, d, h = 0, mi = 0, se = 0, nmo, nd;
    if (read_digits(&p, 4, 4, &y) < 0) return -1;
    if (*p != '-' && *p != '/') return -1;
    sty.date_sep = *p++;
    if ((nmo = read_digits(&p, 1, 2, &mo)) < 0) return -1;
    if (*p != sty.date_sep) return -1;
    p++;
    if ((nd = read_digits(&p, 1, 2, &d)) < 0) return -1;
    sty.pad_date = nmo == 2 && nd == 2;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return -1;
    if (*p == ' ' || *p == 'T' || *p == 't') {
        const char *q = p + 1;
        int nh;
        if ((nh = read_digits(&q, 1, 2, &h)) >= 0) { /* a time follows (else: trailing space) */
            sty.has_time = 1;
            sty.time_sep = *p;
            sty.pad_hour = nh == 2;
            p = q;
            if (*p++ != ':') return -1;
            if (read_digits(&p, 2, 2, &mi) < 0) return -1;
            if (*p == ':') {
                p++;
                if (read_digits(&p, 2, 2, &se) < 0) return -1;
                sty.has_sec = 1;
                if (*p == '.') {
                    p++;
                    int nf = 0;
                    while (*p >= '0' && *p <= '9') {
                        p++;
                        nf++;
                    }
                    if (nf == 0) return -1;
                    sty.frac_digits = nf > 9 ? 9 : nf;
                }
            }
            if (h > 23 || mi > 59 || se > 59) return -1;
            const char *zs = p;
            if (*p == 'Z' || *p == 'z') {
                p++;
            } else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1, oh, om = 0;
                p++;
                if (read_digits(&p, 2, 2, &oh) < 0) return -1;
                if (*p == ':') {
                    p++;
                    if (read_digits(&p, 2, 2, &om) < 0) return -1;
                } else if (*p >= '0' && *p <= '9') {
                    if (read_digits(&p, 2, 2, &om) < 0) return -1;
                }
                if (oh > 23 || om > 59) return -1;
                sty.offset_s = sign * (int64_t)(oh * 3600 + om * 60);
            }
            size_t zl = (size_t)(p - zs);
            if (zl >= sizeof sty.suffix) return -1;
            memcpy(sty.suffix, zs, zl);
            sty.suffix[zl] = '\0';
        }
    }
    while (*p == ' ' || *p == '\t') p++;
    if (*p != '\0') return -1;
    int64_t sec = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se;
    sec -= sty.offset_s;
    if (sec_out) *sec_out = sec;
    if (st) *st = sty;
    return 0;
}

int csv_parse_time(const char *s, int64_t *sec_out) {
    int64_t sec;
    if (parse_time_style(s, &sec, NULL) != 0) return -1;
    if (sec_out) *sec_out = sec;
    return 0;
}

int csv_time_step(const csv_table *t, size_t last_n, int64_t *step) {
    if (!t || !t->time_parsed || !t->time_sec || t->nrows < 2) return 0;
    size_t first = (last_n > 0 && last_n < t->nrows) ? t->nrows - last_n : 0;
    if (t->nrows - first < 2) return 0;
    const int64_t *ts = t->time_sec;
    /* subtract as unsigned-safe: reject differences that would overflow */
    if (ts[first + 1] <= ts[first]) return 0;
    if (ts[first] < 0 && ts[first + 1] > INT64_MAX + ts[first]) return 0;
    int64_t d = ts[first + 1] - ts[first];
    for (size_t i = first + 2; i < t->nrows; i++) {
        if (ts[i] <= ts[i - 1]) return 0;
        if (ts[i - 1] < 0 && ts[i] > INT64_MAX + ts[i - 1]) return 0;
        if (ts[i] - ts[i - 1] != d) return 0;
    }
    if (step) *step = d;
    return 1;
}

void csv_format_time(int64_t sec, const char *like, char *buf, size_t n) {
    if (!buf || n == 0) return;
    time_style sty;
    if (!like || parse_time_style(like, NULL, &sty) != 0) {
        memset(&sty, 0, sizeof sty);
        sty.date_sep = '-';
        sty.pad_date = 1;
        sty.has_time = 1;
        sty.time_sep = ' ';
        sty.pad_hour = 1;
        sty.has_sec = 1;
    }
    /* keep the arithmetic far from int64 overflow (about +-1e9 years) */
    const int64_t lim = (int64_t)1 << 55;
    if (sec > lim) sec = lim;
    if (sec < -lim) sec = -lim;
    int64_t local = sec + sty.offset_s;
    int64_t days = local / 86400, rem = local % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int h = (int)(rem / 3600), mi = (int)(rem % 3600 / 60), se = (int)(rem % 60);

    char tmp[128];
    int k;
    if (sty.pad_date)
        k = snprintf(tmp, sizeof tmp, "%04lld%c%02d%c%02d", (long long)y, sty.date_sep, m,
                     sty.date_sep, d);
    else
        k = snprintf(tmp, sizeof tmp, "%04lld%c%d%c%d", (long long)y, sty.date_sep, m, sty.date_sep,
                     d);
    if (k < 0) k = 0;
    size_t len = (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1;
    if (sty.has_time) {
        k = snprintf(tmp + len, sizeof tmp - len, sty.pad_hour ? "%c%02d:%02d" : "%c%d:%02d",
                     sty.time_sep, h, mi);
        if (k > 0) len += (size_t)k;
        if (sty.has_sec) {
            k = snprintf(tmp + len, sizeof tmp - len, ":%02d", se);
            if (k > 0) len += (size_t)k;
            if (sty.frac_digits > 0) {
                tmp[len++] = '.';
                for (int i = 0; i < sty.frac_digits; i++) tmp[len++] = '0';
                tmp[len] = '\0';
            }
        }
        k = snprintf(tmp + len, sizeof tmp - len, "%s", sty.suffix);
        if (k > 0) len += (size_t)k;
    }
    if (len >= sizeof tmp) len = sizeof tmp - 1;
    if (len >= n) len = n - 1;
    memcpy(buf, tmp, len);
    buf[len] = '\0';
}
