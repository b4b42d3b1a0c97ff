/* csv.h - time-series CSV reader (ETT-style files) and timestamp helpers for writing results.
 *
 * Usage:
 *
 *     csv_options opt = {0};                  // detect the delimiter, 1 GiB size limit
 *     csv_table t;
 *     ptm_error err;
 *     if (csv_load("ETTh1.csv", &opt, &t, &err) != PTM_OK) { report(&err); }
 *     int ot = csv_find_column(&t, "OT");     // t.values[r * t.ncols + ot]
 *     int64_t step;
 *     if (csv_time_step(&t, 0, &step)) {      // e.g. 3600 for hourly data
 *         char buf[64];
 *         csv_format_time(t.time_sec[t.nrows - 1] + step, t.time_text[t.nrows - 1], buf,
 *                         sizeof buf);        // next timestamp in the file's own style
 *     }
 *     csv_free(&t);
 *
 * File layout accepted:
 *   - delimiter ',', ';' or '\t' (detected from the first non-blank line: the one that occurs
 *     most often outside quotes, ties going to ',' then ';'), or any other byte given in
 *     csv_options.delimiter. Decimal commas are not supported: numbers use '.'.
 *   - optional UTF-8 BOM; LF, CRLF or CR line endings; blank lines are skipped anywhere.
 *   - RFC 4180 quoting: "a,b" and "say ""hi""" (quoted fields may span lines). Spaces and tabs
 *     around unquoted cells and outside quotes are dropped.
 *   - header: the first line is a header when any of its cells after the first is not a
 *     number (for a one-column file: when its only cell is not a number), or when its first
 *     cell is neither a number nor a timestamp while the next line's first cell is a timestamp
 *     (so "date,0,1,2" is a header). Otherwise there is no header and the value columns are
 *     named "col0", "col1", ... Empty header names are replaced by "col<i>" as well.
 *   - timestamp column: the first column is one when its cell in the first data row is not
 *     empty, not a number and not a missing-value token. Its cells are kept as text and parsed
 *     with csv_parse_time; if any of them fails to parse, time_parsed is 0 and time_sec NULL.
 *   - every row must have exactly as many cells as the first line (PTM_ERR_INPUT otherwise).
 *   - value cells are parsed with strtod (C locale). Missing (value 0, observed 0): an empty
 *     cell, NA, N/A, #N/A, NaN, -NaN, null, None (any case), and any NaN or infinite value
 *     ("inf", "-Infinity"). A finite number beyond the float range is an error.
 * Rows are identified in error messages by the 1-based file line they start on.
 */
#ifndef PTMI_IO_CSV_H
#define PTMI_IO_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "patchtsmixer.h"

/* The table type is public (ptm_csv in patchtsmixer.h) so that programs embedding the
 * library can read CSV files the same way the CLI does. */
typedef ptm_csv csv_table;

typedef struct {
    char delimiter;   /* 0 = detect among ',', ';', '\t' from the header line */
    size_t max_bytes; /* 0 = default limit of 1 GiB; larger input -> PTM_ERR_LIMIT */
} csv_options;

#define CSV_DEFAULT_MAX_BYTES ((size_t)1 << 30)
/* Largest nrows * ncols accepted (PTM_ERR_LIMIT beyond). */
#define CSV_MAX_CELLS ((size_t)1 << 31)

/* Read and parse a CSV file; path "-" reads standard input. opt may be NULL (defaults).
 * On failure *out is left zeroed (nothing to free). */
ptm_status csv_load(const char *path, const csv_options *opt, csv_table *out, ptm_error *err);

/* Parse len bytes of CSV text (need not be NUL-terminated). name_for_errors names the source
 * in error reports (NULL -> "<csv>"). On failure *out is left zeroed. */
ptm_status csv_parse(const char *text, size_t len, const char *name_for_errors,
                     const csv_options *opt, csv_table *out, ptm_error *err);

/* Read all of path ("-" = standard input) into *buf (malloc'd, not NUL-terminated) and *size,
 * at most max_bytes (0 = CSV_DEFAULT_MAX_BYTES; more is PTM_ERR_LIMIT). */
ptm_status csv_read_input(const char *path, size_t max_bytes, char **buf, size_t *size,
                          ptm_error *err);

/* Classify one NUL-terminated cell (surrounding spaces and tabs ignored): a decimal number
 * within the float range (CSV_VAL_NUMBER, *v set), missing (CSV_VAL_MISSING: empty, NA and the
 * other tokens above, NaN or infinite), not a number (CSV_VAL_NOT_NUMBER, hexadecimal
 * included) or a finite number beyond the float range (CSV_VAL_RANGE). */
enum { CSV_VAL_NUMBER = 0, CSV_VAL_MISSING = 1, CSV_VAL_NOT_NUMBER = -1, CSV_VAL_RANGE = -2 };
int csv_parse_value(const char *cell, float *v);

/* Free everything a table owns and zero it; safe on a zeroed table and on NULL. */
void csv_free(csv_table *t);

/* Column index by name (exact match), -1 if absent. */
int csv_find_column(const csv_table *t, const char *name);

/* Parse a timestamp into seconds since 1970-01-01 00:00:00 UTC. Returns 0 on success, -1 if
 * the text is not one of:
 *   YYYY-MM-DD | YYYY-MM-DD HH:MM | YYYY-MM-DD HH:MM:SS[.fff...]
 *   with 'T' (or 't') instead of the space, '/' instead of '-', 1- or 2-digit month, day and
 *   hour, then an optional zone: 'Z' or an offset +HH:MM, +HHMM, +HH (or '-').
 * Offsets are APPLIED: "2016-07-01T02:00:00+02:00" is 2016-07-01 00:00:00 UTC. Without a zone
 * the wall-clock time is taken as UTC (no local time zone, no DST). Fractional seconds are
 * dropped (rounded toward the earlier second). Surrounding spaces are allowed. Dates are
 * validated (month 1-12, day within the month with Gregorian leap years, hour 0-23, minute
 * and second 0-59, years 0000-9999). */
int csv_parse_time(const char *s, int64_t *sec_out);

/* Regular step: if t->time_parsed and there are >= 2 rows (in the last last_n rows when
 * last_n > 0) and all consecutive differences are equal and > 0, set *step and return 1;
 * else return 0. */
int csv_time_step(const csv_table *t, size_t last_n, int64_t *step);

/* Format sec (seconds since epoch, UTC) in the style of `like`, a sample timestamp from the
 * file: '-' or '/' date separators, zero padding of month/day and hour, date only, HH:MM or
 * HH:MM:SS, ' ' or 'T' separator, the same number of fractional digits (printed as zeros),
 * and the same zone suffix ('Z' or an offset, which is applied so the text shows local time
 * at that offset). A date-only style prints only the date. like == NULL or unparsable ->
 * "YYYY-MM-DD HH:MM:SS". Output is always NUL-terminated (truncated to n - 1 bytes). */
void csv_format_time(int64_t sec, const char *like, char *buf, size_t n);
/* The style of the sample timestamp `like` as a strftime-like pattern ("%Y-%m-%d %H:%M:%S",
 * "%Y/%-m/%-d", "%Y-%m-%dT%H:%M:%S.%f+02:00", ...) into buf; 0, or -1 (buf "") when like is
 * not a timestamp this reader parses or buf is too small. */
int csv_time_pattern(const char *like, char *buf, size_t n);

#endif
