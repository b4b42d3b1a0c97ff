/* long.c - the long-format reader (ptm_long_*, layout in patchtsmixer.h): one row per series
 * and time step (unique_id, ds, y, covariates...), grouped into series and sorted by time.
 *
 * One pass over the text with the CSV scanner (csv_scan.c): the header names the id, time and
 * value columns; each data row gets its series number from a hash table of ids (open
 * addressing, FNV-1a), its time (a timestamp through csv_parse_time, or an integer, decided by
 * the first row) and its values (csv_parse_value, as the wide reader reads them). Then a
 * counting sort groups the rows by series (stable), each series not already in time order is
 * sorted by (time, file position), and the rows are copied once into the ptm_csv table. Every
 * failure frees what was built and leaves the output zeroed.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/common.h"
#include "io/csv.h"
#include "io/csv_scan.h"

/* the rows as read, in file order */
typedef struct {
    size_t n, cap, ncols;
    size_t *sid;   /* series of each row */
    int64_t *tsec; /* its time */
    char **ttext;  /* its time cell */
    size_t *line;  /* its file line, for messages */
    float *v, *o;  /* [n, ncols] */
    char **ids;    /* series ids, order of first row */
    size_t nids, idcap;
    size_t *slots; /* hash table: series + 1, 0 = empty; nslots a power of two */
    size_t nslots;
} long_rows;

/* the header: which cell is what */
typedef struct {
    size_t ncells, id_cell, time_cell;
    size_t *val_cell; /* [ncols] the cell of each value column */
    int time_integer, decided;
} long_layout;

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static void rows_free(long_rows *r) {
    for (size_t i = 0; r->ttext && i < r->n; i++) free(r->ttext[i]);
    for (size_t i = 0; r->ids && i < r->nids; i++) free(r->ids[i]);
    free(r->sid);
    free(r->tsec);
    free(r->ttext);
    free(r->line);
    free(r->v);
    free(r->o);
    free(r->ids);
    free(r->slots);
    memset(r, 0, sizeof *r);
}

void ptm_long_free(ptm_long *t) {
    if (!t) return;
    csv_free(&t->table);
    for (size_t i = 0; t->ids && i < t->nseries; i++) free(t->ids[i]);
    free(t->ids);
    free(t->start);
    free(t->id_colname);
    memset(t, 0, sizeof *t);
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Double the hash table (16 slots first) and re-insert every id: 0, or -1 out of memory. */
static int grow_slots(long_rows *r) {
    size_t ns = r->nslots ? r->nslots * 2 : 16, bytes;
    if (ns < r->nslots || ptmi_mul_size(ns, sizeof(size_t), &bytes)) return -1;
    size_t *sl = calloc(ns, sizeof(size_t));
    if (!sl) return -1;
    for (size_t k = 0; k < r->nids; k++) {
        size_t h = (size_t)hash_str(r->ids[k]) & (ns - 1);
        while (sl[h]) h = (h + 1) & (ns - 1);
        sl[h] = k + 1;
    }
    free(r->slots);
    r->slots = sl;
    r->nslots = ns;
    return 0;
}

/* The series of id, added when new: 0 and *sid, or -1 out of memory. */
static int series_of(long_rows *r, const char *id, size_t *sid) {
    if ((r->nids + 1) * 2 > r->nslots && grow_slots(r)) return -1;
    size_t h = (size_t)hash_str(id) & (r->nslots - 1);
    while (r->slots[h]) {
        if (strcmp(r->ids[r->slots[h] - 1], id) == 0) {
            *sid = r->slots[h] - 1;
            return 0;
        }
        h = (h + 1) & (r->nslots - 1);
    }
    if (r->nids == r->idcap) {
        size_t nc = r->idcap ? r->idcap * 2 : 64, bytes;
        if (ptmi_mul_size(nc, sizeof(char *), &bytes)) return -1;
        char **ids = realloc(r->ids, bytes);
        if (!ids) return -1;
        r->ids = ids;
        r->idcap = nc;
    }
    if (!(r->ids[r->nids] = dup_str(id))) return -1;
    r->slots[h] = r->nids + 1;
    *sid = r->nids++;
    return 0;
}

/* Room for one more row (256 first, then doubling, at most bound): 0, or -1. */
static int grow_rows(long_rows *r, size_t bound) {
    size_t nc = r->cap ? r->cap * 2 : 256, cells, fb;
    if (nc > bound) nc = bound;
    if (nc <= r->n || ptmi_mul_size(nc, r->ncols, &cells) ||
        ptmi_mul_size(cells, sizeof(float), &fb) || nc > SIZE_MAX / sizeof(int64_t))
        return -1;
    size_t *sid = realloc(r->sid, nc * sizeof(size_t));
    if (sid) r->sid = sid;
    int64_t *ts = realloc(r->tsec, nc * sizeof(int64_t));
    if (ts) r->tsec = ts;
    char **tt = realloc(r->ttext, nc * sizeof(char *));
    if (tt) r->ttext = tt;
    size_t *ln = realloc(r->line, nc * sizeof(size_t));
    if (ln) r->line = ln;
    float *v = realloc(r->v, fb);
    if (v) r->v = v;
    float *o = realloc(r->o, fb);
    if (o) r->o = o;
    if (!sid || !ts || !tt || !ln || !v || !o) return -1;
    r->cap = nc;
    return 0;
}

/* A whole decimal integer (optional sign, surrounding spaces): 0 and *out, else -1. */
static int parse_integer(const char *s, int64_t *out) {
    while (*s == ' ' || *s == '\t') s++;
    const char *d = s + (*s == '-' || *s == '+');
    if (*d < '0' || *d > '9') return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (*end == ' ' || *end == '\t') end++;
    if (*end || errno) return -1;
    *out = (int64_t)v;
    return 0;
}

static void excerpt(const char *cell, char *out, size_t n) {
    size_t l = strlen(cell);
    if (l < n)
        memcpy(out, cell, l + 1);
    else
        snprintf(out, n, "%.*s...", (int)(n - 4), cell);
}

/* The time cell of a row: the first data row decides timestamps or integers. */
static ptm_status read_time(long_layout *lay, const char *cell, size_t line, const char *col,
                            int64_t *sec, const char *name, ptm_error *err) {
    char field[320], ex[48];
    int is_ts = csv_parse_time(cell, sec) == 0;
    int is_int = !is_ts && parse_integer(cell, sec) == 0;
    snprintf(field, sizeof field, "row %zu, column '%.200s'", line, col);
    excerpt(cell, ex, sizeof ex);
    if (!is_ts && !is_int)
        return ptmi_err(err, PTM_ERR_INPUT, name, field,
                        "cannot read '%s' as a time; expected a timestamp like 2024-01-31 or "
                        "2024-01-31 13:00:00, or an integer",
                        ex);
    if (!lay->decided) {
        lay->decided = 1;
        lay->time_integer = is_int;
    } else if (is_int != lay->time_integer) {
        return ptmi_err(err, PTM_ERR_INPUT, name, field, "'%s' is %s, the first row's time is %s",
                        ex, is_int ? "an integer" : "a timestamp",
                        is_int ? "a timestamp" : "an integer");
    }
    return PTM_OK;
}

/* One data record into r. */
static ptm_status add_row(long_rows *r, long_layout *lay, const csv_record *rec, const ptm_long *t,
                          size_t bound, const char *name, ptm_error *err) {
    char field[320], ex[48];
    if (rec->ncells != lay->ncells) {
        snprintf(field, sizeof field, "row %zu", rec->line);
        return ptmi_err(err, PTM_ERR_INPUT, name, field,
                        "row %zu has %zu cells, expected %zu (as the header)", rec->line,
                        rec->ncells, lay->ncells);
    }
    if (r->n == r->cap) {
        if (r->n >= CSV_MAX_CELLS / r->ncols)
            return ptmi_err(err, PTM_ERR_LIMIT, name, NULL,
                            "more than %zu rows of %zu value columns (limit %zu cells)",
                            CSV_MAX_CELLS / r->ncols, r->ncols, CSV_MAX_CELLS);
        if (grow_rows(r, bound))
            return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu rows", r->n);
    }
    const char *id = csv_cell(rec, lay->id_cell);
    if (!id[0]) {
        snprintf(field, sizeof field, "row %zu, column '%.200s'", rec->line, t->id_colname);
        return ptmi_err(err, PTM_ERR_INPUT, name, field, "empty series id");
    }
    int64_t sec = 0;
    ptm_status st = read_time(lay, csv_cell(rec, lay->time_cell), rec->line, t->table.time_colname,
                              &sec, name, err);
    if (st) return st;
    float *v = r->v + r->n * r->ncols, *o = r->o + r->n * r->ncols;
    for (size_t j = 0; j < r->ncols; j++) {
        const char *cell = csv_cell(rec, lay->val_cell[j]);
        int k = csv_parse_value(cell, &v[j]);
        o[j] = k == CSV_VAL_NUMBER ? 1.0f : 0.0f;
        if (k == CSV_VAL_NUMBER || k == CSV_VAL_MISSING) {
            if (k == CSV_VAL_MISSING) v[j] = 0.0f;
            continue;
        }
        excerpt(cell, ex, sizeof ex);
        snprintf(field, sizeof field, "row %zu, column '%.200s'", rec->line, t->table.colnames[j]);
        if (k == CSV_VAL_RANGE)
            return ptmi_err(err, PTM_ERR_INPUT, name, field,
                            "value '%s' is outside the float range (|x| <= %g)", ex,
                            (double)FLT_MAX);
        return ptmi_err(err, PTM_ERR_INPUT, name, field,
                        "cannot read '%s' as a number; expected a decimal number, an empty cell "
                        "or NA/NaN",
                        ex);
    }
    if (series_of(r, id, &r->sid[r->n]) ||
        !(r->ttext[r->n] = dup_str(csv_cell(rec, lay->time_cell))))
        return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu rows", r->n);
    r->tsec[r->n] = sec;
    r->line[r->n] = rec->line;
    r->n++;
    return PTM_OK;
}

/* the cell named want in the header, or SIZE_MAX */
static size_t find_cell(const csv_record *hdr, const char *want) {
    for (size_t i = 0; i < hdr->ncells; i++)
        if (strcmp(csv_cell(hdr, i), want) == 0) return i;
    return SIZE_MAX;
}

typedef struct {
    const char *s;
    size_t i;
} name_cell;

static int cmp_name_cell(const void *a, const void *b) {
    const name_cell *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* No name twice in the header (sorted, so that a header of many cells costs n log n). */
static ptm_status check_unique(const csv_record *hdr, const char *name, const char *field,
                               ptm_error *err) {
    name_cell *nc = malloc(hdr->ncells * sizeof(name_cell));
    if (!nc) return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    for (size_t i = 0; i < hdr->ncells; i++) nc[i] = (name_cell){csv_cell(hdr, i), i};
    qsort(nc, hdr->ncells, sizeof(name_cell), cmp_name_cell);
    ptm_status st = PTM_OK;
    for (size_t k = 1; k < hdr->ncells && !st; k++)
        if (strcmp(nc[k - 1].s, nc[k].s) == 0)
            st = ptmi_err(err, PTM_ERR_INPUT, name, field,
                          "the header names column '%.200s' twice (columns %zu and %zu)", nc[k].s,
                          nc[k - 1].i + 1, nc[k].i + 1);
    free(nc);
    return st;
}

/* From the header: the id, time and value columns (names unique, the three roles present). */
static ptm_status read_header(const csv_record *hdr, const ptm_long_params *p, long_layout *lay,
                              ptm_long *t, long_rows *r, const char *name, ptm_error *err) {
    const char *idn = p && p->id_column ? p->id_column : "unique_id";
    const char *tn = p && p->time_column ? p->time_column : "ds";
    const char *yn = p && p->target_column ? p->target_column : "y";
    char field[64];
    snprintf(field, sizeof field, "line %zu", hdr->line);
    ptm_status st = check_unique(hdr, name, field, err);
    if (st) return st;
    lay->ncells = hdr->ncells;
    lay->id_cell = find_cell(hdr, idn);
    lay->time_cell = find_cell(hdr, tn);
    const char *miss = lay->id_cell == SIZE_MAX ? idn : lay->time_cell == SIZE_MAX ? tn : NULL;
    if (!miss && (strcmp(idn, yn) == 0 || strcmp(tn, yn) == 0 || strcmp(idn, tn) == 0))
        return ptmi_err(err, PTM_ERR_ARG, name, NULL,
                        "the id, time and target columns must be three different columns");
    if (!miss && find_cell(hdr, yn) == SIZE_MAX) miss = yn;
    if (miss)
        return ptmi_err(err, PTM_ERR_INPUT, name, field,
                        "no column '%.200s' in the header; a long-format file has one row per "
                        "series and time step with an id, a time and a target column ('%.60s', "
                        "'%.60s', '%.60s')",
                        miss, idn, tn, yn);
    size_t ncols = hdr->ncells - 2;
    if (ncols > (size_t)INT_MAX)
        return ptmi_err(err, PTM_ERR_LIMIT, name, NULL, "%zu columns; at most %d are supported",
                        ncols, INT_MAX);
    lay->val_cell = malloc(ncols * sizeof(size_t));
    t->table.colnames = calloc(ncols, sizeof(char *));
    t->id_colname = dup_str(idn);
    t->table.time_colname = dup_str(tn);
    if (!lay->val_cell || !t->table.colnames || !t->id_colname || !t->table.time_colname)
        return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    t->table.ncols = ncols;
    for (size_t i = 0, j = 0; i < hdr->ncells; i++) {
        if (i == lay->id_cell || i == lay->time_cell) continue;
        if (strcmp(csv_cell(hdr, i), yn) == 0) t->target = (int)j;
        lay->val_cell[j] = i;
        if (!(t->table.colnames[j++] = dup_str(csv_cell(hdr, i))))
            return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory");
    }
    r->ncols = ncols;
    return PTM_OK;
}

typedef struct {
    int64_t t;
    size_t row;
} time_row;

static int cmp_time_row(const void *a, const void *b) {
    const time_row *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* perm: the rows grouped by series (stable), each series sorted by (time, row); t->start. */
static int order_rows(const long_rows *r, ptm_long *t, size_t *perm) {
    size_t *pos = calloc(r->nids + 1, sizeof(size_t));
    if (!pos) return -1;
    for (size_t i = 0; i < r->n; i++) pos[r->sid[i] + 1]++;
    for (size_t s = 0; s < r->nids; s++) pos[s + 1] += pos[s];
    memcpy(t->start, pos, (r->nids + 1) * sizeof(size_t));
    for (size_t i = 0; i < r->n; i++) perm[pos[r->sid[i]]++] = i;
    free(pos);
    time_row *tmp = NULL;
    for (size_t s = 0; s < r->nids; s++) {
        size_t a = t->start[s], b = t->start[s + 1], sorted = 1;
        for (size_t k = a + 1; k < b && sorted; k++)
            sorted = r->tsec[perm[k - 1]] <= r->tsec[perm[k]];
        if (sorted) continue;
        if (!tmp && !(tmp = malloc(r->n * sizeof(time_row)))) return -1;
        for (size_t k = a; k < b; k++) tmp[k - a] = (time_row){r->tsec[perm[k]], perm[k]};
        qsort(tmp, b - a, sizeof(time_row), cmp_time_row);
        for (size_t k = a; k < b; k++) perm[k] = tmp[k - a].row;
    }
    free(tmp);
    return 0;
}

/* Move the rows, in perm's order, into t->table and the ids into t. */
static ptm_status build_table(long_rows *r, ptm_long *t, const char *name, ptm_error *err) {
    ptm_csv *tab = &t->table;
    size_t nc = r->ncols, *perm = malloc(r->n * sizeof(size_t));
    t->start = malloc((r->nids + 1) * sizeof(size_t));
    tab->values = malloc(r->n * nc * sizeof(float));
    tab->observed = malloc(r->n * nc * sizeof(float));
    tab->time_text = calloc(r->n, sizeof(char *));
    tab->time_sec = malloc(r->n * sizeof(int64_t));
    if (!perm || !t->start || !tab->values || !tab->observed || !tab->time_text || !tab->time_sec ||
        order_rows(r, t, perm)) {
        free(perm);
        return ptmi_err(err, PTM_ERR_NOMEM, name, NULL, "out of memory after %zu rows", r->n);
    }
    for (size_t k = 0; k < r->n; k++) {
        size_t i = perm[k];
        memcpy(tab->values + k * nc, r->v + i * nc, nc * sizeof(float));
        memcpy(tab->observed + k * nc, r->o + i * nc, nc * sizeof(float));
        tab->time_sec[k] = r->tsec[i];
        tab->time_text[k] = r->ttext[i];
        r->ttext[i] = NULL;
    }
    free(perm);
    tab->nrows = r->n;
    tab->has_time = tab->time_parsed = 1;
    t->nseries = r->nids;
    t->ids = r->ids;
    r->ids = NULL;
    r->nids = 0;
    return PTM_OK;
}

/* the records after the header, then the table */
static ptm_status read_body(csv_scanner *sc, const ptm_long_params *p, ptm_long *t,
                            const char *name, ptm_error *err) {
    long_rows r;
    long_layout lay;
    memset(&r, 0, sizeof r);
    memset(&lay, 0, sizeof lay);
    int got = 0;
    ptm_status st = csv_scan_record(sc, &got, err);
    if (!st && !got)
        st = ptmi_err(err, PTM_ERR_INPUT, name, NULL,
                      "no data rows: the file is empty; expected a header line and data rows");
    if (!st) {
        const csv_record hdr = csv_scan_view(sc);
        st = read_header(&hdr, p, &lay, t, &r, name, err);
    }
    size_t bound = st ? 0 : sc->len / lay.ncells + 1, hdr_line = sc->rec_line;
    if (!st) st = csv_scan_record(sc, &got, err);
    if (!st && !got)
        st = ptmi_err(err, PTM_ERR_INPUT, name, NULL,
                      "no data rows: only a header line (line %zu) was found", hdr_line);
    while (!st && got) {
        const csv_record rec = csv_scan_view(sc);
        st = add_row(&r, &lay, &rec, t, bound, name, err);
        if (!st) st = csv_scan_record(sc, &got, err);
    }
    if (!st) {
        t->time_integer = lay.time_integer;
        st = build_table(&r, t, name, err);
    }
    free(lay.val_cell);
    rows_free(&r);
    return st;
}

static void scanner_init(csv_scanner *sc, const char *text, size_t len, char delim,
                         const char *name) {
    memset(sc, 0, sizeof *sc);
    sc->s = text;
    sc->len = len;
    sc->pos = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    sc->delim = delim ? delim : csv_detect_delimiter(text, len, sc->pos);
    sc->line = 1;
    sc->name = name;
}

ptm_status ptm_long_parse(const char *text, size_t len, const char *name,
                          const ptm_long_params *params, ptm_long *out, ptm_error *err) {
    name = name ? name : "<csv>";
    if (!out) return ptmi_err(err, PTM_ERR_ARG, name, NULL, "output is NULL");
    memset(out, 0, sizeof *out);
    if (!text && len) return ptmi_err(err, PTM_ERR_ARG, name, NULL, "text is NULL");
    if (len > CSV_DEFAULT_MAX_BYTES)
        return ptmi_err(err, PTM_ERR_LIMIT, name, NULL,
                        "input is %zu bytes, more than the limit of %zu bytes", len,
                        CSV_DEFAULT_MAX_BYTES);
    char delim = params ? params->delimiter : 0;
    if (delim == '"' || delim == '\n' || delim == '\r')
        return ptmi_err(err, PTM_ERR_ARG, name, NULL,
                        "delimiter 0x%02x is not usable; expected e.g. ',', ';' or '\\t'",
                        (unsigned)(unsigned char)delim);
    csv_scanner sc;
    scanner_init(&sc, text ? text : "", len, delim, name);
    ptm_status st = read_body(&sc, params, out, name, err);
    free(sc.buf);
    free(sc.offs);
    if (st) ptm_long_free(out);
    return st;
}

ptm_status ptm_long_load(const char *path, const ptm_long_params *params, ptm_long *out,
                         ptm_error *err) {
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out) return ptmi_err(err, PTM_ERR_ARG, path, NULL, "path or output is NULL");
    char *buf = NULL;
    size_t size = 0;
    ptm_status st = csv_read_input(path, 0, &buf, &size, err);
    if (st) return st;
    st = ptm_long_parse(buf, size, strcmp(path, "-") == 0 ? "<stdin>" : path, params, out, err);
    free(buf);
    return st;
}

int ptm_long_sniff(const char *path, const ptm_long_params *params) {
    struct stat sb;
    ptm_error err;
    int fd = -1;
    if (!path || strcmp(path, "-") == 0 || ptmi_open_read(path, &fd, &sb, &err) != PTM_OK) return 0;
    size_t n = sb.st_size < 65536 ? (size_t)sb.st_size : 65536;
    char *buf = malloc(n + 1);
    int bad = !buf || ptmi_pread_full(fd, buf, n, 0) != 0;
    close(fd);
    if (bad) {
        free(buf);
        return 0;
    }
    csv_scanner sc;
    scanner_init(&sc, buf, n, params ? params->delimiter : 0, path);
    int got = 0, yes = 0;
    if (csv_scan_record(&sc, &got, &err) == PTM_OK && got) {
        const csv_record hdr = csv_scan_view(&sc);
        const char *idn = params && params->id_column ? params->id_column : "unique_id";
        const char *tn = params && params->time_column ? params->time_column : "ds";
        yes = find_cell(&hdr, idn) != SIZE_MAX && find_cell(&hdr, tn) != SIZE_MAX;
    }
    free(sc.buf);
    free(sc.offs);
    free(buf);
    return yes;
}

ptm_status ptm_long_series_check(const ptm_long *t, size_t i, size_t n, const int *cols, int ncols,
                                 int64_t *step, ptm_error *err) {
    if (!t || !step || i >= t->nseries || n == 0 || ncols < 0 || (ncols > 0 && !cols))
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL,
                        "ptm_long_series_check: NULL argument, series %zu of %zu or n = %zu", i,
                        t ? t->nseries : 0, n);
    const ptm_csv *tab = &t->table;
    char field[300];
    snprintf(field, sizeof field, "series '%.200s'", t->ids[i]);
    size_t a = t->start[i], b = t->start[i + 1];
    *step = 0;
    if (b - a < n)
        return ptmi_err(err, PTM_ERR_INPUT, NULL, field, "%zu rows, at least %zu needed", b - a, n);
    uint64_t d0 = 0;
    for (size_t k = b - n + 1; k < b; k++) {
        const char *t0 = tab->time_text[k - 1], *t1 = tab->time_text[k];
        uint64_t d = (uint64_t)tab->time_sec[k] - (uint64_t)tab->time_sec[k - 1];
        if (d == 0)
            return ptmi_err(err, PTM_ERR_INPUT, NULL, field, "time '%.60s' appears twice", t1);
        if (d > (uint64_t)INT64_MAX)
            return ptmi_err(err, PTM_ERR_INPUT, NULL, field,
                            "the time step from '%.60s' to '%.60s' is too large", t0, t1);
        if (k == b - n + 1) d0 = d;
        if (d != d0)
            return ptmi_err(err, PTM_ERR_INPUT, NULL, field,
                            "irregular time steps in its last %zu rows: '%.60s' to '%.60s' is "
                            "not the step of '%.60s' to '%.60s'",
                            n, t0, t1, tab->time_text[b - n], tab->time_text[b - n + 1]);
    }
    for (int c = 0; c < ncols; c++) {
        if (cols[c] < 0 || (size_t)cols[c] >= tab->ncols)
            return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptm_long_series_check: column %d of %zu",
                            cols[c], tab->ncols);
        int seen = 0;
        for (size_t k = b - n; k < b && !seen; k++)
            seen = tab->observed[k * tab->ncols + (size_t)cols[c]] > 0.0f;
        if (!seen)
            return ptmi_err(err, PTM_ERR_INPUT, NULL, field,
                            "no value in column '%.200s' in its last %zu rows",
                            tab->colnames[cols[c]], n);
    }
    *step = (int64_t)d0;
    return PTM_OK;
}
