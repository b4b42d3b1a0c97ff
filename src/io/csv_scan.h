/* csv_scan.h - the CSV record scanner (csv_scan.c), internal to the CSV reader (csv.c). */
#ifndef PTMI_IO_CSV_SCAN_H
#define PTMI_IO_CSV_SCAN_H

#include <stddef.h>

#include "patchtsmixer.h"

/* Position in the text and the current record. Zero it, then set s, len, pos, delim, line = 1
 * and name (for error messages); free buf and offs when done. */
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
} csv_scanner;

/* Read the next non-blank record into sc->buf / sc->offs. *got = 0 at the end of the input. */
ptm_status csv_scan_record(csv_scanner *sc, int *got, ptm_error *err);

/* Pick the delimiter from the first non-blank line at or after pos: the most frequent of ',',
 * ';', '\t' outside quotes; ties go to ',' then ';'; none at all -> ','. */
char csv_detect_delimiter(const char *s, size_t len, size_t pos);

/* One record, either the csv_scanner's current one or a saved copy. */
typedef struct {
    const char *buf;
    const size_t *offs;
    size_t ncells;
    size_t line;
} csv_record;

static inline csv_record csv_scan_view(const csv_scanner *sc) {
    csv_record r = {sc->buf, sc->offs, sc->ncells, sc->rec_line};
    return r;
}

static inline const char *csv_cell(const csv_record *r, size_t i) {
    return r->buf + r->offs[i];
}

#endif
