/* ts.c - the reader of UEA (classification) and Monash TSER (regression) .ts files declared in
 * io/ts.h (see there for the format and the API). It parses untrusted files: every count and
 * size product is overflow-checked and bounded, and every error names the line. */
#include "io/ts.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"

typedef struct {
    size_t off; /* offset of the case's first value in raw */
    int64_t label;
    float target;
} ts_case;

typedef struct {
    const char *path;
    char field[64]; /* "line N" of the current line */
    /* header */
    int cls, tgt;    /* @classLabel / @targetLabel: -1 absent, 0 false, 1 true */
    int dims;        /* 0 = not known yet */
    int univariate;  /* @univariate true */
    long series_len; /* @seriesLength, 0 = absent */
    int equal_len;   /* @equalLength true */
    size_t eq_ref;   /* first dimension length seen when equal_len */
    int in_data;     /* @data seen */
    /* classes: insertion order plus an open-addressing hash of indices */
    char **names;
    size_t nnames, cap_names;
    int *hash; /* hash_cap slots, -1 = empty */
    size_t hash_cap;
    int fixed;  /* names come from a training set: none may be added */
    int listed; /* @classLabel listed names: labels must be among them */
    /* cases and their values (NaN = missing) */
    ts_case *cases;
    size_t ncases, cap_cases;
    size_t *dimlen; /* [ncases * dims] number of values of each dimension */
    size_t cap_dimlen;
    float *raw;
    size_t nraw, cap_raw;
    size_t maxlen;
} ts_parser;

static void ts_parser_free(ts_parser *p) {
    for (size_t i = 0; i < p->nnames; i++) free(p->names[i]);
    free(p->names);
    free(p->hash);
    free(p->cases);
    free(p->dimlen);
    free(p->raw);
}

/* Make room for `need` elements of `elem` bytes; 0 on success, -1 on overflow/no memory. */
static int grow(void **ptr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) nc = nc > SIZE_MAX / 2 ? need : nc * 2;
    size_t bytes;
    if (ptmi_mul_size(nc, elem, &bytes)) return -1;
    void *q = realloc(*ptr, bytes);
    if (!q) return -1;
    *ptr = q;
    *cap = nc;
    return 0;
}

static ptm_status nomem(ts_parser *p, ptm_error *err) {
    return ptmi_err(err, PTM_ERR_NOMEM, p->path, p->field, "out of memory");
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static int ieq(const char *a, size_t alen, const char *b) {
    size_t blen = strlen(b);
    if (alen != blen) return 0;
    for (size_t i = 0; i < alen; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return 0;
    return 1;
}

static uint64_t hash_str(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* index of name [s, s+n) or -1 */
static int find_name(const ts_parser *p, const char *s, size_t n) {
    if (!p->hash_cap) return -1;
    size_t mask = p->hash_cap - 1, i = (size_t)hash_str(s, n) & mask;
    for (;;) {
        int k = p->hash[i];
        if (k < 0) return -1;
        const char *nm = p->names[k];
        if (strlen(nm) == n && memcmp(nm, s, n) == 0) return k;
        i = (i + 1) & mask;
    }
}

static void hash_insert(int *tab, size_t cap, const char *s, int k) {
    size_t mask = cap - 1, i = (size_t)hash_str(s, strlen(s)) & mask;
    while (tab[i] >= 0) i = (i + 1) & mask;
    tab[i] = k;
}

#define TS_MAX_CLASSES (1 << 24)

/* Append name [s, s+n) (not present yet); returns its index or -1 (no memory / limit). */
static int add_name(ts_parser *p, const char *s, size_t n) {
    if (p->nnames >= TS_MAX_CLASSES) return -1;
    if (grow((void **)&p->names, &p->cap_names, p->nnames + 1, sizeof *p->names)) return -1;
    if (2 * (p->nnames + 1) > p->hash_cap) {
        size_t cap = p->hash_cap ? p->hash_cap * 2 : 64;
        int *tab = malloc(cap * sizeof *tab);
        if (!tab) return -1;
        for (size_t i = 0; i < cap; i++) tab[i] = -1;
        for (size_t k = 0; k < p->nnames; k++) hash_insert(tab, cap, p->names[k], (int)k);
        free(p->hash);
        p->hash = tab;
        p->hash_cap = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy) return -1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    int k = (int)p->nnames;
    p->names[p->nnames++] = copy;
    hash_insert(p->hash, p->hash_cap, copy, k);
    return k;
}

/* Parse an unsigned decimal integer filling [s, s+n). 0 ok, -1 not an integer, -2 > max. */
static int parse_count(const char *s, size_t n, long max, long *out) {
    if (n == 0) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        if (v > (max - (s[i] - '0')) / 10) return -2;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parse the value [a, b) (b points at a delimiter or the NUL ending the line, never inside a
 * number). 0: *out set (NaN = missing); -1: not a number; -2: finite but beyond float. */
static int parse_value(const char *a, const char *b, float *out) {
    while (a < b && is_space(*a)) a++;
    while (b > a && is_space(b[-1])) b--;
    if (a == b) return -1;
    if (b - a == 1 && *a == '?') {
        *out = NAN;
        return 0;
    }
    const char *q = a;
    if (*q == '+' || *q == '-') q++;
    if (q == b) return -1;
    int word = isalpha((unsigned char)*q) != 0; /* nan, inf, infinity */
    for (const char *x = q; x < b; x++)
        if (*x == 'x' || *x == 'X') return -1; /* decimal only: no hexadecimal "0x10" */
    char *endp = NULL;
    errno = 0;
    double v = strtod(a, &endp);
    if (endp != b) return -1;
    if (!isfinite(v)) {
        if (!word) return -2; /* e.g. 1e999 */
        *out = NAN;
        return 0;
    }
    if (fabs(v) > (double)FLT_MAX) return -2;
    *out = (float)v;
    return 0;
}

static ptm_status parse_bool(ts_parser *p, const char *tag, const char *s, size_t n, int *out,
                             ptm_error *err) {
    if (ieq(s, n, "true"))
        *out = 1;
    else if (ieq(s, n, "false"))
        *out = 0;
    else
        return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                        "@%s: found '%.*s', expected true or false", tag, (int)(n > 64 ? 64 : n),
                        s);
    return PTM_OK;
}

/* One header line s (trimmed, starts with '@', NUL-terminated). */
static ptm_status ts_header(ts_parser *p, char *s, ptm_error *err) {
    if (p->in_data)
        return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field, "header tag '%.64s' after @data",
                        s);
    const char *tag = s + 1;
    size_t tl = 0;
    while (tag[tl] && !is_space(tag[tl])) tl++;
    const char *rest = tag + tl;
    while (is_space(*rest)) rest++;
    /* first word of rest */
    size_t wl = 0;
    while (rest[wl] && !is_space(rest[wl])) wl++;
    ptm_status st;

    if (ieq(tag, tl, "data")) {
        p->in_data = 1;
        if (!p->dims && p->univariate) p->dims = 1;
        return PTM_OK;
    }
    if (ieq(tag, tl, "timestamps")) {
        int b = 0;
        if ((st = parse_bool(p, "timeStamps", rest, wl, &b, err)) != PTM_OK) return st;
        if (b)
            return ptmi_err(err, PTM_ERR_UNSUPPORTED, p->path, p->field,
                            "@timeStamps true: time-stamped .ts data is not supported");
        return PTM_OK;
    }
    if (ieq(tag, tl, "univariate")) {
        int b = 0;
        if ((st = parse_bool(p, "univariate", rest, wl, &b, err)) != PTM_OK) return st;
        p->univariate = b;
        if (b && p->dims > 1)
            return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                            "@univariate true but @dimensions %d", p->dims);
        return PTM_OK;
    }
    if (ieq(tag, tl, "equallength"))
        return parse_bool(p, "equalLength", rest, wl, &p->equal_len, err);
    if (ieq(tag, tl, "dimensions") || ieq(tag, tl, "serieslength")) {
        int is_dims = ieq(tag, tl, "dimensions");
        long max = is_dims ? (long)PTMI_TS_MAX_DIMENSIONS : PTMI_TS_MAX_LENGTH, v = 0;
        const char *name = is_dims ? "@dimensions" : "@seriesLength";
        int r = parse_count(rest, wl, max, &v);
        if (r == -2)
            return ptmi_err(err, PTM_ERR_LIMIT, p->path, p->field,
                            "%s: found %.32s, expected at most %ld", name, rest, max);
        if (r != 0 || v < 1 || rest[wl])
            return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                            "%s: found '%.64s', expected a positive integer", name, rest);
        if (is_dims) {
            if (p->univariate && v != 1)
                return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                                "@dimensions %ld but @univariate true", v);
            p->dims = (int)v;
        } else {
            p->series_len = v;
        }
        return PTM_OK;
    }
    if (ieq(tag, tl, "classlabel") || ieq(tag, tl, "targetlabel")) {
        int is_cls = ieq(tag, tl, "classlabel");
        const char *name = is_cls ? "classLabel" : "targetLabel";
        int b = 0;
        if ((st = parse_bool(p, name, rest, wl, &b, err)) != PTM_OK) return st;
        if ((is_cls ? p->cls : p->tgt) != -1)
            return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field, "@%s given twice", name);
        if (b && (is_cls ? p->tgt : p->cls) == 1)
            return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                            "both @classLabel true and @targetLabel true");
        if (is_cls) {
            p->cls = b;
            if (b && !p->fixed) {
                const char *q = rest + wl;
                for (;;) {
                    while (is_space(*q)) q++;
                    if (!*q) break;
                    size_t n = 0;
                    while (q[n] && !is_space(q[n])) n++;
                    if (find_name(p, q, n) < 0) {
                        if (p->nnames >= TS_MAX_CLASSES)
                            return ptmi_err(err, PTM_ERR_LIMIT, p->path, p->field,
                                            "more than %d class names", TS_MAX_CLASSES);
                        if (add_name(p, q, n) < 0) return nomem(p, err);
                    }
                    q += n;
                }
                p->listed = p->nnames > 0;
            }
        } else {
            if (!b && rest[wl])
                return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                                "@targetLabel false followed by '%.64s'", rest + wl);
            p->tgt = b;
        }
        return PTM_OK;
    }
    return PTM_OK; /* @problemName, @missing and unknown tags carry nothing we need */
}

/* One data line [s, e) (trimmed, NUL at e). */
static ptm_status ts_data(ts_parser *p, char *s, char *e, ptm_error *err) {
    if (!p->in_data)
        return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                        "found a data line before @data (expected '#' comments or '@' tags)");
    int has_label = p->cls == 1 || p->tgt == 1;
    size_t nfields = 1;
    for (const char *q = s; q < e; q++) nfields += *q == ':';
    if (nfields <= (size_t)has_label)
        return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                        "found %zu ':'-separated field(s), expected the dimensions and a %s",
                        nfields, p->cls == 1 ? "class label" : "target");
    size_t found = nfields - (size_t)has_label;
    if (!p->dims) {
        if (found > (size_t)PTMI_TS_MAX_DIMENSIONS)
            return ptmi_err(err, PTM_ERR_LIMIT, p->path, p->field,
                            "found %zu dimensions, at most %d supported", found,
                            PTMI_TS_MAX_DIMENSIONS);
        p->dims = (int)found;
    } else if (found != (size_t)p->dims) {
        return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                        "found %zu dimension(s), expected %d%s", found, p->dims,
                        has_label ? " (plus the label field)" : "");
    }
    size_t dims = (size_t)p->dims, need;
    if (grow((void **)&p->cases, &p->cap_cases, p->ncases + 1, sizeof *p->cases))
        return nomem(p, err);
    if (ptmi_mul_size(p->ncases + 1, dims, &need) ||
        grow((void **)&p->dimlen, &p->cap_dimlen, need, sizeof *p->dimlen))
        return nomem(p, err);
    ts_case *cs = &p->cases[p->ncases];
    size_t *dl = p->dimlen + p->ncases * dims;
    cs->off = p->nraw;
    cs->label = -1;
    cs->target = 0.0f;

    char *q = s;
    for (size_t d = 0; d < dims; d++) {
        size_t count = 0;
        for (;;) {
            char *t = q;
            while (q < e && *q != ',' && *q != ':') q++;
            float v = 0.0f;
            int r = parse_value(t, q, &v);
            if (r != 0) {
                size_t tl = (size_t)(q - t);
                return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                                "dimension %zu, value %zu: found '%.*s', expected %s", d + 1,
                                count + 1, (int)(tl > 40 ? 40 : tl), t,
                                r == -2 ? "a number within the float range"
                                        : "a number or '?' (missing)");
            }
            if (grow((void **)&p->raw, &p->cap_raw, p->nraw + 1, sizeof *p->raw))
                return nomem(p, err);
            p->raw[p->nraw++] = v;
            count++;
            if (q >= e || *q == ':') break;
            q++; /* ',' */
        }
        if (q < e) q++; /* ':' */
        if (p->equal_len) {
            size_t want = p->series_len > 0 ? (size_t)p->series_len : p->eq_ref;
            if (!want) p->eq_ref = want = count;
            if (count != want)
                return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                                "dimension %zu: found %zu values, expected %zu (%s)", d + 1, count,
                                want,
                                p->series_len > 0 ? "@seriesLength with @equalLength true"
                                                  : "@equalLength true");
        }
        dl[d] = count;
        if (count > p->maxlen) p->maxlen = count;
    }
    if (has_label) {
        char *a = q, *b = e;
        while (a < b && is_space(*a)) a++;
        while (b > a && is_space(b[-1])) b--;
        size_t n = (size_t)(b - a);
        if (p->tgt == 1) {
            float v = 0.0f;
            int r = parse_value(a, e, &v);
            if (r != 0 || isnan(v))
                return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                                "target: found '%.*s', expected a finite number",
                                (int)(n > 40 ? 40 : n), a);
            cs->target = v;
        } else {
            if (n == 0)
                return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                                "found an empty class label");
            int k = find_name(p, a, n);
            if (k < 0) {
                if (p->fixed)
                    return ptmi_err(err, PTM_ERR_INPUT, p->path, p->field,
                                    "class label '%.*s' is not one of the %zu classes of the "
                                    "training set",
                                    (int)(n > 64 ? 64 : n), a, p->nnames);
                if (p->listed)
                    return ptmi_err(err, PTM_ERR_FORMAT, p->path, p->field,
                                    "class label '%.*s' is not in the @classLabel list",
                                    (int)(n > 64 ? 64 : n), a);
                if (p->nnames >= TS_MAX_CLASSES)
                    return ptmi_err(err, PTM_ERR_LIMIT, p->path, p->field, "more than %d classes",
                                    TS_MAX_CLASSES);
                k = add_name(p, a, n);
                if (k < 0) return nomem(p, err);
            }
            cs->label = k;
        }
    }
    p->ncases++;
    return PTM_OK;
}

/* Build the padded/cut output arrays. */
static ptm_status ts_build(ts_parser *p, int length, ptmi_ts_dataset *out, ptm_error *err) {
    if (!p->in_data) return ptmi_err(err, PTM_ERR_FORMAT, p->path, "@data", "no @data line found");
    if (!p->ncases) return ptmi_err(err, PTM_ERR_FORMAT, p->path, "@data", "no cases after @data");
    size_t len = length > 0 ? (size_t)length : p->maxlen;
    if (len > (size_t)PTMI_TS_MAX_LENGTH)
        return ptmi_err(err, PTM_ERR_LIMIT, p->path, "length",
                        "series length %zu is more than the limit %ld", len, PTMI_TS_MAX_LENGTH);
    size_t dims = (size_t)p->dims, cells, bytes;
    if (ptmi_mul_size(p->ncases, len, &cells) || ptmi_mul_size(cells, dims, &cells) ||
        cells > PTMI_TS_MAX_CELLS)
        return ptmi_err(err, PTM_ERR_LIMIT, p->path, "length",
                        "%zu cases x %zu steps x %zu channels is more than the limit of %zu cells",
                        p->ncases, len, dims, PTMI_TS_MAX_CELLS);
    bytes = cells * sizeof(float);
    out->values = calloc(1, bytes);
    out->observed = calloc(1, bytes);
    if (!out->values || !out->observed) return nomem(p, err);
    if (p->cls == 1) {
        out->labels = malloc(p->ncases * sizeof *out->labels);
        if (!out->labels) return nomem(p, err);
        for (size_t c = 0; c < p->ncases; c++) out->labels[c] = p->cases[c].label;
        out->nclasses = (int)p->nnames;
        out->class_names = p->names; /* ownership moves to out */
        p->names = NULL;
        p->nnames = p->cap_names = 0;
    } else if (p->tgt == 1) {
        out->targets = malloc(p->ncases * sizeof *out->targets);
        if (!out->targets) return nomem(p, err);
        for (size_t c = 0; c < p->ncases; c++) out->targets[c] = p->cases[c].target;
    }
    for (size_t c = 0; c < p->ncases; c++) {
        const float *src = p->raw + p->cases[c].off;
        float *vc = out->values + c * len * dims, *oc = out->observed + c * len * dims;
        for (size_t d = 0; d < dims; d++) {
            size_t n = p->dimlen[c * dims + d];
            size_t skip = n > len ? n - len : 0, t0 = n < len ? len - n : 0;
            for (size_t k = skip; k < n; k++) {
                float v = src[k];
                if (isnan(v)) continue;
                size_t t = t0 + (k - skip);
                vc[t * dims + d] = v;
                oc[t * dims + d] = 1.0f;
            }
            src += n;
        }
    }
    out->ncases = p->ncases;
    out->nchannels = p->dims;
    out->length = (int)len;
    return PTM_OK;
}

static ptm_status ts_load(const char *path, int length, const ptmi_ts_dataset *train,
                          ptmi_ts_dataset *out, ptm_error *err) {
    if (!out) return ptmi_err(err, PTM_ERR_ARG, path, "out", "output dataset is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return ptmi_err(err, PTM_ERR_ARG, NULL, "path", "path is NULL");
    if (length < 0)
        return ptmi_err(err, PTM_ERR_ARG, path, "length", "found %d, expected >= 0", length);
    if ((long)length > PTMI_TS_MAX_LENGTH)
        return ptmi_err(err, PTM_ERR_LIMIT, path, "length", "found %d, expected at most %ld",
                        length, PTMI_TS_MAX_LENGTH);
    ts_parser p;
    memset(&p, 0, sizeof p);
    p.path = path;
    p.cls = p.tgt = -1;
    ptm_status st = PTM_OK;
    if (train) {
        if (train->nclasses < 0 || (train->nclasses > 0 && !train->class_names))
            return ptmi_err(err, PTM_ERR_ARG, path, "train", "training dataset has no class list");
        p.fixed = 1;
        for (int k = 0; k < train->nclasses; k++) {
            const char *nm = train->class_names[k] ? train->class_names[k] : "";
            if (find_name(&p, nm, strlen(nm)) >= 0) continue; /* duplicate: keep the first */
            if (add_name(&p, nm, strlen(nm)) < 0) {
                ts_parser_free(&p);
                return nomem(&p, err);
            }
        }
        if ((size_t)train->nclasses != p.nnames) {
            ts_parser_free(&p);
            return ptmi_err(err, PTM_ERR_ARG, path, "train",
                            "training dataset has duplicate class names");
        }
    }
    unsigned char *buf = NULL;
    size_t size = 0;
    st = ptmi_read_file(path, PTMI_TS_MAX_BYTES, &buf, &size, err);
    if (st != PTM_OK) {
        ts_parser_free(&p);
        return st;
    }
    char *cur = (char *)buf, *end = cur + size;
    if (size >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) cur += 3;
    size_t lineno = 0;
    while (cur < end && st == PTM_OK) {
        char *s = cur, *e = cur;
        while (e < end && *e != '\n' && *e != '\r') e++;
        char *next = e;
        if (next < end) next += (*next == '\r' && next + 1 < end && next[1] == '\n') ? 2 : 1;
        lineno++;
        snprintf(p.field, sizeof p.field, "line %zu", lineno);
        *e = '\0'; /* e == end is buf[size], the NUL ptmi_read_file adds */
        cur = next;
        if (memchr(s, '\0', (size_t)(e - s))) {
            st = ptmi_err(err, PTM_ERR_FORMAT, path, p.field, "found a NUL byte in a text line");
            break;
        }
        while (s < e && is_space(*s)) s++;
        while (e > s && is_space(e[-1])) *--e = '\0';
        if (s == e || *s == '#') continue;
        st = *s == '@' ? ts_header(&p, s, err) : ts_data(&p, s, e, err);
    }
    free(buf);
    if (st == PTM_OK) {
        snprintf(p.field, sizeof p.field, "@data");
        if (train) {
            if (p.cls == 1 && train->nclasses == 0)
                st = ptmi_err(err, PTM_ERR_INPUT, path, "@classLabel",
                              "file has class labels but the training set has no classes");
            else if (p.cls != 1 && train->nclasses > 0)
                st = ptmi_err(err, PTM_ERR_INPUT, path, "@classLabel",
                              "file has no class labels but the training set has %d classes",
                              train->nclasses);
            else if (p.in_data && p.ncases && p.dims != train->nchannels)
                st = ptmi_err(err, PTM_ERR_INPUT, path, "@dimensions",
                              "found %d channels, the training set has %d", p.dims,
                              train->nchannels);
            else if ((p.tgt == 1) != (train->targets != NULL))
                st = ptmi_err(err, PTM_ERR_INPUT, path, "@targetLabel",
                              "file %s regression targets but the training set %s",
                              p.tgt == 1 ? "has" : "has no", train->targets ? "has" : "has none");
        }
    }
    if (st == PTM_OK) st = ts_build(&p, length, out, err);
    ts_parser_free(&p);
    if (st != PTM_OK) ptmi_ts_free(out);
    return st;
}

ptm_status ptmi_ts_load(const char *path, int length, ptmi_ts_dataset *out, ptm_error *err) {
    return ts_load(path, length, NULL, out, err);
}

ptm_status ptmi_ts_load_with_classes(const char *path, int length, const ptmi_ts_dataset *train,
                                     ptmi_ts_dataset *out, ptm_error *err) {
    if (!train) {
        if (out) memset(out, 0, sizeof *out);
        return ptmi_err(err, PTM_ERR_ARG, path, "train", "training dataset is NULL");
    }
    return ts_load(path, length, train, out, err);
}

void ptmi_ts_free(ptmi_ts_dataset *d) {
    if (!d) return;
    free(d->values);
    free(d->observed);
    free(d->labels);
    free(d->targets);
    if (d->class_names)
        for (int k = 0; k < d->nclasses; k++) free(d->class_names[k]);
    free(d->class_names);
    memset(d, 0, sizeof *d);
}
