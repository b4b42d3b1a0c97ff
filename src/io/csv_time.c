/* csv_time.c - timestamps of CSV files: csv_parse_time (dates, times, zones -> seconds since
 * 1970 UTC), csv_time_step (a regular step between rows), csv_format_time (seconds back to
 * text in the style of a sample timestamp from the file) and csv_time_pattern (that style as a
 * strftime-like pattern, for people). See csv.h for the accepted forms. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "io/csv.h"

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

int csv_time_pattern(const char *like, char *buf, size_t n) {
    time_style sty;
    if (!buf || n == 0) return -1;
    buf[0] = '\0';
    if (!like || parse_time_style(like, NULL, &sty) != 0) return -1;
    char tmp[96];
    const char *md = sty.pad_date ? "%m" : "%-m", *dd = sty.pad_date ? "%d" : "%-d";
    int k = snprintf(tmp, sizeof tmp, "%%Y%c%s%c%s", sty.date_sep, md, sty.date_sep, dd);
    size_t len = k > 0 ? (size_t)k : 0;
    if (sty.has_time) {
        k = snprintf(tmp + len, sizeof tmp - len, "%c%s:%%M%s%s%s", sty.time_sep,
                     sty.pad_hour ? "%H" : "%-H", sty.has_sec ? ":%S" : "",
                     sty.frac_digits ? ".%f" : "", sty.suffix);
        if (k > 0) len += (size_t)k;
    }
    if (len >= sizeof tmp || len >= n) return -1;
    memcpy(buf, tmp, len + 1);
    return 0;
}
