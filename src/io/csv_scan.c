/* csv_scan.c - the record scanner behind csv_parse: splits CSV text into records of cells
 * (RFC 4180 quoting, LF / CRLF / CR line endings, blank lines skipped, spaces around cells
 * dropped), each record's cells stored NUL-separated in a reusable buffer, and the delimiter
 * detection. Turning records into a table is csv.c's job. */
#include "io/csv_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"

static int is_blank_char(char c, char delim) {
    return (c == ' ' || c == '\t') && c != delim;
}

static int sc_push(csv_scanner *sc, char c) {
    if (sc->blen == sc->bcap) {
        size_t cap = sc->bcap ? sc->bcap : 256;
        if (sc->bcap && ptmi_mul_size(sc->bcap, 2, &cap)) return -1;
        char *nb = realloc(sc->buf, cap);
        if (!nb) return -1;
        sc->buf = nb;
        sc->bcap = cap;
    }
    sc->buf[sc->blen++] = c;
    return 0;
}

static int sc_end_cell(csv_scanner *sc, size_t start) {
    if (sc_push(sc, '\0')) return -1;
    if (sc->ncells == sc->ocap) {
        size_t cap = sc->ocap ? sc->ocap : 16, bytes;
        if (sc->ocap && ptmi_mul_size(sc->ocap, 2, &cap)) return -1;
        if (ptmi_mul_size(cap, sizeof(size_t), &bytes)) return -1;
        size_t *no = realloc(sc->offs, bytes);
        if (!no) return -1;
        sc->offs = no;
        sc->ocap = cap;
    }
    sc->offs[sc->ncells++] = start;
    return 0;
}

static ptm_status sc_nomem(const csv_scanner *sc, ptm_error *err) {
    return ptmi_err(err, PTM_ERR_NOMEM, sc->name, NULL, "out of memory while reading line %zu",
                    sc->line);
}

static ptm_status sc_nul(const csv_scanner *sc, ptm_error *err) {
    char field[64];
    snprintf(field, sizeof field, "row %zu", sc->line);
    return ptmi_err(err, PTM_ERR_FORMAT, sc->name, field,
                    "NUL byte in the text; expected a text CSV file");
}

/* Read the next non-blank record. *got = 0 at the end of the input. */
ptm_status csv_scan_record(csv_scanner *sc, int *got, ptm_error *err) {
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
                        return ptmi_err(err, PTM_ERR_FORMAT, sc->name, field,
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
                    return ptmi_err(err, PTM_ERR_FORMAT, sc->name, field,
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
char csv_detect_delimiter(const char *s, size_t len, size_t pos) {
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
