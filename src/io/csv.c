/* csv.c - time-series CSV reader: from text to a csv_table (see csv.h for the accepted layout).
 *
 * csv_parse runs one pass over the text: the scanner (csv_scan.c) splits it into records (cells
 * stored NUL-separated in a reusable buffer), the first record decides header / no header, the
 * first data record decides whether column 0 holds timestamps, and every data record is then
 * converted into the row-major values/observed arrays, which grow by doubling up to the most rows
 * the text can hold (so a wide file with few rows reserves no more than its data needs). Every
 * failure frees what was built and leaves the output table zeroed.
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
#include "io/csv_scan.h"

/* ------------------------------------------------------------------ small helpers */

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
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

int csv_parse_value(const char *cell, float *v) {
    const char *b = cell;
    while (*b == ' ' || *b == '\t') b++;
    size_t n = strlen(b);
    while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t')) n--;
    if (n == 0 || is_missing_token(b, n)) return CSV_VAL_MISSING;
    /* decimal numbers only: strtod would also read hexadecimal ("0x10", "0x1p3") */
    if (memchr(b, 'x', n) || memchr(b, 'X', n)) return CSV_VAL_NOT_NUMBER;
    char *end = NULL;
    errno = 0;
    double d = strtod(b, &end);
    if (end == b || (size_t)(end - b) != n) return CSV_VAL_NOT_NUMBER;
    if (isnan(d) || isinf(d)) {
        /* strtod gives HUGE_VAL with ERANGE for a finite literal beyond the double range */
        if (errno == ERANGE) return CSV_VAL_RANGE;
        return CSV_VAL_MISSING;
    }
    if (fabs(d) > (double)FLT_MAX) return CSV_VAL_RANGE;
    *v = (float)d;
    return CSV_VAL_NUMBER;
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

/* Row capacity of the values/observed arrays. bound: the most data rows the text can hold, so
 * that what is reserved follows the data, never a fixed row count times the columns: a record of
 * n cells needs at least n - 1 delimiter bytes and records are separated by line ends, so a text
 * of len bytes holds at most (len + 1) / n <= len / n + 1 records of n cells. */
typedef struct {
    size_t cap, bound;
} row_room;

/* Make room for at least one more row: 256 rows first, then doubling, never beyond
 * min(max_rows, room->bound). */
static int grow_rows(csv_table *t, row_room *room, size_t max_rows) {
    size_t nc = room->cap ? room->cap : 256;
    if (room->cap && ptmi_mul_size(room->cap, 2, &nc)) nc = max_rows;
    if (nc > max_rows) nc = max_rows;
    if (nc > room->bound) nc = room->bound;
    if (nc <= t->nrows) return -1;
    size_t cells, vbytes, pbytes, sbytes;
    if (ptmi_mul_size(nc, t->ncols, &cells) || ptmi_mul_size(cells, sizeof(float), &vbytes) ||
        ptmi_mul_size(nc, sizeof(char *), &pbytes) || ptmi_mul_size(nc, sizeof(int64_t), &sbytes))
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
    room->cap = nc;
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

/* Append one data record to t (whose columns are already set up). */
static ptm_status add_row(csv_table *t, const csv_record *rec, size_t ncells, size_t hdr_line,
                          row_room *room, const char *name, ptm_error *err) {
    char field[320];
    if (rec->ncells != ncells) {
        snprintf(field, sizeof field, "row %zu", rec->line);
        return ptmi_err(err, PTM_ERR_INPUT, name, field,
                        "row %zu has %zu cells, expected %zu (as on line %zu)", rec->line,
                        rec->ncells, ncells, hdr_line);
    }
    const size_t max_rows = CSV_MAX_CELLS / t->ncols;
    if (t->nrows == room->cap) {
        if (t->nrows >= max_rows)
            return ptmi_err(err, PTM_ERR_LIMIT, name, NULL,
                            "more than %zu rows of %zu columns (limit %zu cells)", max_rows,
                            t->ncols, CSV_MAX_CELLS);
        if (grow_rows(t, room, max_rows))
            return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu rows",
                            t->nrows);
    }
    const size_t off = (size_t)t->has_time;
    float *vrow = t->values + t->nrows * t->ncols;
    float *orow = t->observed + t->nrows * t->ncols;
    for (size_t j = 0; j < t->ncols; j++) {
        const char *cell = csv_cell(rec, j + off);
        float v = 0.0f;
        int k = csv_parse_value(cell, &v);
        if (k == CSV_VAL_NUMBER) {
            vrow[j] = v;
            orow[j] = 1.0f;
        } else if (k == CSV_VAL_MISSING) {
            vrow[j] = 0.0f;
            orow[j] = 0.0f;
        } else {
            char ex[48];
            cell_excerpt(cell, ex, sizeof ex);
            snprintf(field, sizeof field, "row %zu, column '%.200s'", rec->line, t->colnames[j]);
            if (k == CSV_VAL_RANGE)
                return ptmi_err(err, PTM_ERR_INPUT, name, field,
                                "value '%s' is outside the float range (|x| <= %g)", ex,
                                (double)FLT_MAX);
            return ptmi_err(err, PTM_ERR_INPUT, name, field,
                            "cannot read '%s' as a number; expected a decimal number, an empty "
                            "cell or NA/NaN",
                            ex);
        }
    }
    if (t->has_time) {
        const char *c0 = csv_cell(rec, 0);
        char *txt = dup_str(c0);
        if (!txt)
            return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu rows",
                            t->nrows);
        t->time_text[t->nrows] = txt;
        if (t->time_parsed && csv_parse_time(c0, &t->time_sec[t->nrows]) != 0) t->time_parsed = 0;
    }
    t->nrows++;
    return PTM_OK;
}

/* Set up colnames / time_colname / has_time from the header (or none) and the first data
 * record. */
static ptm_status setup_columns(csv_table *t, const csv_record *hdr, const csv_record *first,
                                const char *name, ptm_error *err) {
    const size_t ncells = hdr ? hdr->ncells : first->ncells;
    float dummy;
    if (first->ncells == ncells) {
        const char *c0 = csv_cell(first, 0);
        t->has_time = c0[0] != '\0' && csv_parse_value(c0, &dummy) == CSV_VAL_NOT_NUMBER;
    }
    size_t ncols = ncells - (size_t)t->has_time;
    if (ncols == 0) {
        t->has_time = 0;
        return ptmi_err(err, PTM_ERR_INPUT, name, NULL,
                        "no value columns: the only column holds timestamps; expected at least "
                        "one numeric column");
    }
    if (ncols > (size_t)INT_MAX)
        return ptmi_err(err, PTM_ERR_LIMIT, name, NULL, "%zu columns; at most %d are supported",
                        ncols, INT_MAX);
    t->colnames = calloc(ncols, sizeof(char *));
    if (!t->colnames) return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    t->ncols = ncols;
    for (size_t j = 0; j < ncols; j++) {
        const char *nm = hdr ? csv_cell(hdr, j + (size_t)t->has_time) : "";
        if (nm[0]) {
            t->colnames[j] = dup_str(nm);
        } else {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "col%zu", j);
            t->colnames[j] = dup_str(tmp);
        }
        if (!t->colnames[j]) return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    }
    if (t->has_time && hdr) {
        t->time_colname = dup_str(csv_cell(hdr, 0));
        if (!t->time_colname) return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    }
    t->time_parsed = t->has_time;
    return PTM_OK;
}

/* The first record is a header when any of its cells after the first (or its only cell) is not
 * a number, or when all of those are numbers ("date,0,1,2") but its first cell, neither a number
 * nor a time, sits above a time. next: the record after it, NULL at the end of the input. */
static int is_header(const csv_record *first, const csv_record *next) {
    const size_t ncells = first->ncells;
    float dummy;
    int has_header = 0;
    if (ncells == 1) {
        has_header = csv_parse_value(csv_cell(first, 0), &dummy) == CSV_VAL_NOT_NUMBER;
    } else {
        for (size_t i = 1; i < ncells && !has_header; i++)
            has_header = csv_parse_value(csv_cell(first, i), &dummy) == CSV_VAL_NOT_NUMBER;
    }
    if (!has_header && next && ncells >= 2 && next->ncells == ncells) {
        const char *c0 = csv_cell(first, 0);
        has_header = csv_parse_value(c0, &dummy) == CSV_VAL_NOT_NUMBER &&
                     csv_parse_time(c0, NULL) != 0 && csv_parse_time(csv_cell(next, 0), NULL) == 0;
    }
    return has_header;
}

/* Copy the scanner's current record (the first one, kept while the next ones are read). */
static int copy_record(const csv_scanner *sc, char **buf, size_t **offs) {
    size_t ob;
    if (ptmi_mul_size(sc->ncells, sizeof(size_t), &ob)) return -1;
    *buf = malloc(sc->blen);
    *offs = malloc(ob);
    if (!*buf || !*offs) return -1;
    memcpy(*buf, sc->buf, sc->blen);
    memcpy(*offs, sc->offs, ob);
    return 0;
}

/* Drop time_sec when a timestamp did not parse, and give back the unused growth room (failure
 * to shrink is harmless). */
static void trim_table(csv_table *t, size_t row_cap) {
    if (!t->time_parsed) {
        free(t->time_sec);
        t->time_sec = NULL;
    }
    if (row_cap > t->nrows) {
        size_t cells = t->nrows * t->ncols; /* <= CSV_MAX_CELLS, no overflow */
        float *v = realloc(t->values, cells * sizeof(float));
        if (v) t->values = v;
        float *o = realloc(t->observed, cells * sizeof(float));
        if (o) t->observed = o;
    }
}

/* After the first record (line1, a copy): header or not, the columns, then every row. */
static ptm_status read_rows(csv_scanner *sc, const csv_record *line1, csv_table *t,
                            const char *name, ptm_error *err) {
    int got = 0;
    ptm_status st = csv_scan_record(sc, &got, err);
    if (st) return st;
    const csv_record second = csv_scan_view(sc);
    const int has_header = is_header(line1, got ? &second : NULL);
    if (has_header && !got)
        return ptmi_err(err, PTM_ERR_INPUT, name, NULL,
                        "no data rows: only a header line (line %zu) was found", line1->line);
    row_room room = {0, sc->len / line1->ncells + 1};
    if (has_header) {
        st = setup_columns(t, line1, &second, name, err);
    } else {
        st = setup_columns(t, NULL, line1, name, err);
        if (!st) st = add_row(t, line1, line1->ncells, line1->line, &room, name, err);
    }
    while (!st && got) {
        const csv_record cur = csv_scan_view(sc);
        st = add_row(t, &cur, line1->ncells, line1->line, &room, name, err);
        if (!st) st = csv_scan_record(sc, &got, err);
    }
    if (!st) trim_table(t, room.cap);
    return st;
}

/* From the scanner at the start of the text: the first record, kept, then read_rows. */
static ptm_status read_table(csv_scanner *sc, csv_table *t, const char *name, ptm_error *err) {
    int got = 0;
    ptm_status st = csv_scan_record(sc, &got, err);
    if (st) return st;
    if (!got)
        return ptmi_err(err, PTM_ERR_INPUT, name, NULL,
                        "no data rows: the file is empty; expected a header line and data rows");
    char *buf = NULL;
    size_t *offs = NULL;
    if (copy_record(sc, &buf, &offs)) {
        st = ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory while reading line %zu",
                      sc->line);
    } else {
        const csv_record line1 = {buf, offs, sc->ncells, sc->rec_line};
        st = read_rows(sc, &line1, t, name, err);
    }
    free(buf);
    free(offs);
    return st;
}

ptm_status csv_parse(const char *text, size_t len, const char *name_for_errors,
                     const csv_options *opt, csv_table *out, ptm_error *err) {
    const char *name = name_for_errors ? name_for_errors : "<csv>";
    if (!out) return ptmi_err(err, PTM_ERR_ARG, name, NULL, "output table is NULL");
    memset(out, 0, sizeof *out);
    if (!text && len) return ptmi_err(err, PTM_ERR_ARG, name, NULL, "text is NULL");
    size_t limit = (opt && opt->max_bytes) ? opt->max_bytes : CSV_DEFAULT_MAX_BYTES;
    if (len > limit)
        return ptmi_err(err, PTM_ERR_LIMIT, name, NULL,
                        "input is %zu bytes, more than the limit of %zu bytes", len, limit);
    char delim = opt ? opt->delimiter : 0;
    if (delim == '"' || delim == '\n' || delim == '\r')
        return ptmi_err(err, PTM_ERR_ARG, name, NULL,
                        "delimiter 0x%02x is not usable; expected e.g. ',', ';' or '\\t'",
                        (unsigned)(unsigned char)delim);

    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    if (!delim) delim = csv_detect_delimiter(text, len, pos);

    csv_scanner sc;
    memset(&sc, 0, sizeof sc);
    sc.s = text;
    sc.len = len;
    sc.pos = pos;
    sc.delim = delim;
    sc.line = 1;
    sc.name = name;
    ptm_status st = read_table(&sc, out, name, err);
    free(sc.buf);
    free(sc.offs);
    if (st) csv_free(out);
    return st;
}

/* Read all of standard input, at most limit bytes. */
static ptm_status read_stdin(size_t limit, char **buf, size_t *size, ptm_error *err) {
    const char *name = "<stdin>";
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    if (!b) return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    for (;;) {
        if (n == cap) {
            if (cap > limit) {
                free(b);
                return ptmi_err(err, PTM_ERR_LIMIT, name, NULL,
                                "input is more than the limit of %zu bytes", limit);
            }
            size_t nc;
            if (ptmi_mul_size(cap, 2, &nc)) {
                free(b);
                return ptmi_err(err, PTM_ERR_LIMIT, name, NULL, "input too large");
            }
            char *nb = realloc(b, nc);
            if (!nb) {
                free(b);
                return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu bytes", n);
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
        return ptmi_err(err, PTM_ERR_IO, name, NULL, "read error after %zu bytes", n);
    }
    if (n > limit) {
        free(b);
        return ptmi_err(err, PTM_ERR_LIMIT, name, NULL,
                        "input is %zu bytes, more than the limit of %zu bytes", n, limit);
    }
    *buf = b;
    *size = n;
    return PTM_OK;
}

ptm_status csv_read_input(const char *path, size_t max_bytes, char **buf, size_t *size,
                          ptm_error *err) {
    size_t limit = max_bytes ? max_bytes : CSV_DEFAULT_MAX_BYTES;
    *buf = NULL;
    *size = 0;
    if (strcmp(path, "-") == 0) return read_stdin(limit, buf, size, err);
    unsigned char *ub = NULL;
    ptm_status st = ptmi_read_file(path, limit, &ub, size, err);
    *buf = (char *)ub;
    return st;
}

ptm_status csv_load(const char *path, const csv_options *opt, csv_table *out, ptm_error *err) {
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out) return ptmi_err(err, PTM_ERR_ARG, path, NULL, "path or output is NULL");
    char *buf = NULL;
    size_t size = 0;
    ptm_status st = csv_read_input(path, opt ? opt->max_bytes : 0, &buf, &size, err);
    if (st) return st;
    st = csv_parse(buf, size, strcmp(path, "-") == 0 ? "<stdin>" : path, opt, out, err);
    free(buf);
    return st;
}

int csv_find_column(const csv_table *t, const char *name) {
    if (!t || !name || !t->colnames) return -1;
    for (size_t i = 0; i < t->ncols && i <= (size_t)INT_MAX; i++)
        if (t->colnames[i] && strcmp(t->colnames[i], name) == 0) return (int)i;
    return -1;
}
