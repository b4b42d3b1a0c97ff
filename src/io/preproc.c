/* preproc.c - preprocessor_config.json, the preprocessing that travels with a model: the input
 * columns by name and their roles, the training split's standard scaler, the timestamps' column,
 * pattern and step, and how the model was trained (docs/preprocessor.md gives the format).
 *
 *     ptm_preprocessor pp;
 *     if (ptm_preprocessor_load("runs/x", &pp, &err) != PTM_OK) ...   // pp.present = 0: none
 *     int idx[64];
 *     if (pp.present && ptm_preprocessor_columns(&pp, &csv, "in.csv", idx, &err) != PTM_OK) ...
 *     ptm_preprocessor_free(&pp);
 *
 * The parser is strict like the config parser: every key is known (an unknown one is refused
 * naming it, so a typo never goes unnoticed), every value has its type and range, names are
 * unique; the writer goes through the atomic file writer. Numbers are written with 9
 * significant digits (float32 round trip) whatever the locale.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/strbuf.h"
#include "io/json.h"
#include "io/preproc.h"

#define PP_FILE "preprocessor_config.json"
#define PP_MAX_BYTES ((size_t)16 << 20)
#define PP_MAX_COLUMNS 65536

void ptm_preprocessor_free(ptm_preprocessor *p) {
    if (!p) return;
    for (int i = 0; p->columns && i < p->ncols; i++) free(p->columns[i]);
    free(p->columns);
    free(p->is_target);
    free(p->scaler.mean);
    free(p->scaler.std);
    free(p->timestamp_column);
    free(p->timestamp_format);
    free(p->training_data);
    free(p->training_command);
    free(p->id_column);
    free(p->target_column);
    memset(p, 0, sizeof *p);
}

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* ---------------------------------------------------------------- parsing */

typedef struct {
    const char *file;
    ptm_error *err;
} pp_parse;

static ptm_status bad(const pp_parse *ps, const char *key, const char *what) {
    return ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, key, "%s", what);
}

/* an optional string (null = NULL) into *out */
static ptm_status opt_string(const pp_parse *ps, const json_value *root, const char *key,
                             char **out) {
    const json_value *v = json_get(root, key);
    if (!v || v->type == JSON_NULL) return PTM_OK;
    if (v->type != JSON_STRING) return bad(ps, key, "expected a string or null");
    if (!(*out = dup_str(v->string)))
        return ptmi_err(ps->err, PTM_ERR_NOMEM, ps->file, key, "out of memory");
    return PTM_OK;
}

static ptm_status parse_columns(const pp_parse *ps, const json_value *root, ptm_preprocessor *p) {
    const json_value *v = json_get(root, "columns");
    if (!v) return bad(ps, "columns", "missing: the model's input columns, in channel order");
    if (v->type != JSON_ARRAY || v->count < 1 || v->count > PP_MAX_COLUMNS)
        return bad(ps, "columns", "expected an array of 1 to 65536 column names");
    p->columns = calloc(v->count, sizeof(char *));
    p->is_target = calloc(v->count, sizeof(int));
    if (!p->columns || !p->is_target)
        return ptmi_err(ps->err, PTM_ERR_NOMEM, ps->file, "columns", "out of memory");
    for (size_t i = 0; i < v->count; i++) {
        const json_value *c = &v->items[i];
        if (c->type != JSON_STRING || c->string_len == 0)
            return ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, "columns",
                            "item %zu: expected a non-empty string", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(v->items[j].string, c->string) == 0)
                return ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, "columns",
                                "column \"%s\" is listed twice", c->string);
        if (!(p->columns[i] = dup_str(c->string)))
            return ptmi_err(ps->err, PTM_ERR_NOMEM, ps->file, "columns", "out of memory");
        p->ncols = (int)i + 1;
    }
    return PTM_OK;
}

static int column_index(const ptm_preprocessor *p, const char *name) {
    for (int i = 0; i < p->ncols; i++)
        if (strcmp(p->columns[i], name) == 0) return i;
    return -1;
}

/* target_columns and covariate_columns: each a subset of columns; together all of them, once */
static ptm_status parse_roles(const pp_parse *ps, const json_value *root, ptm_preprocessor *p) {
    const char *keys[2] = {"target_columns", "covariate_columns"};
    int *seen = calloc((size_t)p->ncols, sizeof(int));
    if (!seen) return ptmi_err(ps->err, PTM_ERR_NOMEM, ps->file, NULL, "out of memory");
    ptm_status s = PTM_OK;
    for (int k = 0; k < 2 && s == PTM_OK; k++) {
        const json_value *v = json_get(root, keys[k]);
        if (!v || v->type != JSON_ARRAY) {
            s = bad(ps, keys[k], "expected an array of column names");
            break;
        }
        if (k == 0 && v->count == 0) s = bad(ps, keys[k], "at least one target column is needed");
        for (size_t i = 0; i < v->count && s == PTM_OK; i++) {
            const json_value *c = &v->items[i];
            int at = c->type == JSON_STRING ? column_index(p, c->string) : -1;
            if (at < 0)
                s = ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, keys[k],
                             "item %zu: expected one of the names in \"columns\"", i);
            else if (seen[at]++)
                s = ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, keys[k],
                             "column \"%s\" has two roles or is listed twice", c->string);
            else
                p->is_target[at] = k == 0;
        }
    }
    for (int i = 0; i < p->ncols && s == PTM_OK; i++)
        if (!seen[i])
            s = ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, "target_columns",
                         "column \"%s\" is neither a target nor a covariate", p->columns[i]);
    free(seen);
    return s;
}

/* one of the scaler's arrays: ncols finite numbers (positive for the scale) */
static ptm_status scaler_array(const pp_parse *ps, const json_value *sc, const char *key, int n,
                               int positive, float **out) {
    const json_value *v = json_get(sc, key);
    char field[32];
    snprintf(field, sizeof field, "scaler.%s", key);
    if (!v || v->type != JSON_ARRAY || v->count != (size_t)n)
        return ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, field,
                        "expected an array of %d numbers (one per column)", n);
    if (!(*out = malloc(sizeof(float) * (size_t)n)))
        return ptmi_err(ps->err, PTM_ERR_NOMEM, ps->file, field, "out of memory");
    for (int i = 0; i < n; i++) {
        const json_value *x = &v->items[i];
        float f = x->type == JSON_NUMBER ? (float)x->number : NAN;
        if (!isfinite(f) || (positive && !(f > 0.0f)))
            return ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, field,
                            "item %d: expected a finite%s number", i, positive ? " positive" : "");
        (*out)[i] = f;
    }
    return PTM_OK;
}

static ptm_status parse_scaler(const pp_parse *ps, const json_value *root, ptm_preprocessor *p) {
    const json_value *sc = json_get(root, "scaler");
    if (!sc || sc->type == JSON_NULL) return PTM_OK;
    if (sc->type != JSON_OBJECT) return bad(ps, "scaler", "expected an object or null");
    for (size_t i = 0; i < sc->count; i++)
        if (strcmp(sc->keys[i], "type") && strcmp(sc->keys[i], "mean") &&
            strcmp(sc->keys[i], "scale"))
            return ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, "scaler",
                            "unknown key \"%s\" (expected type, mean, scale)", sc->keys[i]);
    const json_value *t = json_get(sc, "type");
    if (!t || t->type != JSON_STRING || strcmp(t->string, "standard") != 0)
        return bad(ps, "scaler.type", "expected \"standard\"");
    p->scaler.ncols = p->ncols;
    ptm_status s = scaler_array(ps, sc, "mean", p->ncols, 0, &p->scaler.mean);
    if (s == PTM_OK) s = scaler_array(ps, sc, "scale", p->ncols, 1, &p->scaler.std);
    return s;
}

/* long_format: null, or the id, time and target columns of long-format training data (the
 * time column is timestamp_column, the target one of columns, the id none of them) */
static ptm_status parse_long(const pp_parse *ps, const json_value *root, ptm_preprocessor *p) {
    const json_value *lf = json_get(root, "long_format");
    if (!lf || lf->type == JSON_NULL) return PTM_OK;
    static const char *const keys[3] = {"id_column", "time_column", "target_column"};
    if (lf->type != JSON_OBJECT) return bad(ps, "long_format", "expected an object or null");
    for (size_t i = 0; i < lf->count; i++)
        if (strcmp(lf->keys[i], keys[0]) && strcmp(lf->keys[i], keys[1]) &&
            strcmp(lf->keys[i], keys[2]))
            return ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, "long_format",
                            "unknown key \"%s\" (expected id_column, time_column, target_column)",
                            lf->keys[i]);
    const char *v[3];
    for (int k = 0; k < 3; k++) {
        const json_value *x = json_get(lf, keys[k]);
        char field[48];
        snprintf(field, sizeof field, "long_format.%s", keys[k]);
        if (!x || x->type != JSON_STRING || x->string_len == 0)
            return bad(ps, field, "expected a non-empty column name");
        v[k] = x->string;
    }
    if (!p->timestamp_column || strcmp(v[1], p->timestamp_column) != 0)
        return bad(ps, "long_format.time_column", "expected the name in \"timestamp_column\"");
    if (column_index(p, v[2]) < 0)
        return bad(ps, "long_format.target_column", "expected one of the names in \"columns\"");
    if (column_index(p, v[0]) >= 0 || strcmp(v[0], v[1]) == 0)
        return bad(ps, "long_format.id_column",
                   "expected a column that is neither in \"columns\" nor the time column");
    if (!(p->id_column = dup_str(v[0])) || !(p->target_column = dup_str(v[2])))
        return ptmi_err(ps->err, PTM_ERR_NOMEM, ps->file, "long_format", "out of memory");
    return PTM_OK;
}

static const char *const k_keys[] = {"preprocessor_type", "format_version",    "columns",
                                     "target_columns",    "covariate_columns", "scaler",
                                     "timestamp_column",  "timestamp_format",  "time_step_seconds",
                                     "long_format",       "training_data",     "training_command",
                                     "library_version"};

static ptm_status parse_root(const pp_parse *ps, const json_value *root, ptm_preprocessor *p) {
    if (root->type != JSON_OBJECT) return bad(ps, NULL, "expected a JSON object");
    for (size_t i = 0; i < root->count; i++) {
        size_t k = 0;
        while (k < sizeof k_keys / sizeof k_keys[0] && strcmp(root->keys[i], k_keys[k])) k++;
        if (k == sizeof k_keys / sizeof k_keys[0])
            return ptmi_err(ps->err, PTM_ERR_CONFIG, ps->file, root->keys[i],
                            "unknown key (docs/preprocessor.md lists the keys)");
    }
    const json_value *t = json_get(root, "preprocessor_type");
    if (!t || t->type != JSON_STRING || strcmp(t->string, "PatchTSMixerPreprocessor") != 0)
        return bad(ps, "preprocessor_type", "expected \"PatchTSMixerPreprocessor\"");
    const json_value *fv = json_get(root, "format_version");
    if (!fv || fv->type != JSON_NUMBER || fv->number != 1.0)
        return bad(ps, "format_version", "expected 1 (the only version this library reads)");
    ptm_status s = parse_columns(ps, root, p);
    if (s == PTM_OK) s = parse_roles(ps, root, p);
    if (s == PTM_OK) s = parse_scaler(ps, root, p);
    if (s == PTM_OK) s = opt_string(ps, root, "timestamp_column", &p->timestamp_column);
    if (s == PTM_OK) s = opt_string(ps, root, "timestamp_format", &p->timestamp_format);
    if (s == PTM_OK) s = parse_long(ps, root, p);
    if (s == PTM_OK) s = opt_string(ps, root, "training_data", &p->training_data);
    if (s == PTM_OK) s = opt_string(ps, root, "training_command", &p->training_command);
    const json_value *lv = json_get(root, "library_version");
    if (s == PTM_OK && lv && lv->type != JSON_STRING && lv->type != JSON_NULL)
        s = bad(ps, "library_version", "expected a string or null");
    const json_value *st = json_get(root, "time_step_seconds");
    if (s == PTM_OK && st && st->type != JSON_NULL) {
        if (st->type != JSON_NUMBER || !st->is_integer || st->number < 0 || st->number > 1e15)
            s = bad(ps, "time_step_seconds", "expected an integer number of seconds >= 0, or null");
        else
            p->time_step = (int64_t)st->number;
    }
    return s;
}

ptm_status ptm_preprocessor_parse(const char *text, size_t len, const char *file,
                                  ptm_preprocessor *out, ptm_error *err) {
    if (!out || (!text && len))
        return ptmi_err(err, PTM_ERR_ARG, file, NULL, "ptm_preprocessor_parse: NULL argument");
    memset(out, 0, sizeof *out);
    json_value *root = NULL;
    ptm_status s = json_parse(text, len, file, &root, err);
    if (s != PTM_OK) return s;
    pp_parse ps = {file, err};
    s = parse_root(&ps, root, out);
    json_free(root);
    if (s != PTM_OK) {
        ptm_preprocessor_free(out);
        return s;
    }
    out->present = 1;
    return PTM_OK;
}

ptm_status ptm_preprocessor_load(const char *model_dir, ptm_preprocessor *out, ptm_error *err) {
    if (!out || !model_dir)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptm_preprocessor_load: NULL argument");
    memset(out, 0, sizeof *out);
    char path[4096];
    ptm_status s = ptmi_path_join(path, sizeof path, model_dir, PP_FILE, err);
    if (s != PTM_OK) return s;
    struct stat st;
    if (lstat(path, &st) != 0 && errno == ENOENT) return PTM_OK; /* none: present = 0 */
    unsigned char *buf = NULL;
    size_t n = 0;
    if ((s = ptmi_read_file(path, PP_MAX_BYTES, &buf, &n, err)) != PTM_OK) return s;
    s = ptm_preprocessor_parse((const char *)buf, n, path, out, err);
    free(buf);
    return s;
}

/* ---------------------------------------------------------------- writing */

static void add_float(ptmi_strbuf *b, float v) {
    char num[48];
    snprintf(num, sizeof num, "%.9g", (double)v);
    for (char *c = num; *c; c++)
        if (*c == ',') *c = '.'; /* a locale's decimal comma */
    ptmi_sb_add(b, num);
}

static void add_key(ptmi_strbuf *b, const char *key) {
    ptmi_sb_add(b, ",\n  ");
    ptmi_sb_json_string(b, key);
    ptmi_sb_add(b, ": ");
}

static void add_opt_string(ptmi_strbuf *b, const char *key, const char *v) {
    add_key(b, key);
    if (v)
        ptmi_sb_json_string(b, v);
    else
        ptmi_sb_add(b, "null");
}

/* the names of the columns whose role is `target`, or all of them (role -1) */
static void add_names(ptmi_strbuf *b, const ptm_preprocessor *p, int role) {
    ptmi_sb_add(b, "[");
    int first = 1;
    for (int i = 0; i < p->ncols; i++) {
        if (role >= 0 && (p->is_target ? p->is_target[i] : 1) != role) continue;
        if (!first) ptmi_sb_add(b, ", ");
        ptmi_sb_json_string(b, p->columns[i]);
        first = 0;
    }
    ptmi_sb_add(b, "]");
}

static void add_scaler_array(ptmi_strbuf *b, const float *v, int n) {
    ptmi_sb_add(b, "[");
    for (int i = 0; i < n; i++) {
        if (i) ptmi_sb_add(b, ", ");
        add_float(b, v[i]);
    }
    ptmi_sb_add(b, "]");
}

static int utf8_ok(const char *s) {
    return !s || json_utf8_valid(s, strlen(s));
}

ptm_status ptmi_preprocessor_write_json(const ptm_preprocessor *p, const char *file, char **text,
                                        size_t *len, ptm_error *err) {
    *text = NULL;
    *len = 0;
    if (p->ncols < 1 || p->ncols > PP_MAX_COLUMNS || !p->columns)
        return ptmi_err(err, PTM_ERR_ARG, file, "columns", "1 to 65536 columns are needed");
    int targets = 0;
    for (int i = 0; i < p->ncols; i++) {
        if (!p->columns[i] || !p->columns[i][0] || !utf8_ok(p->columns[i]))
            return ptmi_err(err, PTM_ERR_ARG, file, "columns",
                            "column %d: expected a non-empty UTF-8 name", i);
        targets += p->is_target ? p->is_target[i] != 0 : 1;
    }
    if (!targets) return ptmi_err(err, PTM_ERR_ARG, file, "target_columns", "no target column");
    if (!utf8_ok(p->timestamp_column) || !utf8_ok(p->timestamp_format) ||
        !utf8_ok(p->training_data) || !utf8_ok(p->training_command) || !utf8_ok(p->id_column) ||
        !utf8_ok(p->target_column))
        return ptmi_err(err, PTM_ERR_ARG, file, NULL, "a text field is not valid UTF-8");
    if ((p->id_column || p->target_column) &&
        (!p->id_column || !p->target_column || !p->timestamp_column || !p->id_column[0] ||
         column_index(p, p->target_column) < 0))
        return ptmi_err(err, PTM_ERR_ARG, file, "long_format",
                        "long format needs an id column, the timestamp column and a target "
                        "column among the columns");
    int scaled = p->scaler.mean && p->scaler.std && p->scaler.ncols == p->ncols;
    ptmi_strbuf b = {0};
    ptmi_sb_add(&b, "{\n  \"preprocessor_type\": \"PatchTSMixerPreprocessor\"");
    add_key(&b, "format_version");
    ptmi_sb_add(&b, "1");
    add_key(&b, "columns");
    add_names(&b, p, -1);
    add_key(&b, "target_columns");
    add_names(&b, p, 1);
    add_key(&b, "covariate_columns");
    add_names(&b, p, 0);
    add_key(&b, "scaler");
    if (scaled) {
        ptmi_sb_add(&b, "{\"type\": \"standard\", \"mean\": ");
        add_scaler_array(&b, p->scaler.mean, p->ncols);
        ptmi_sb_add(&b, ", \"scale\": ");
        add_scaler_array(&b, p->scaler.std, p->ncols);
        ptmi_sb_add(&b, "}");
    } else {
        ptmi_sb_add(&b, "null");
    }
    add_opt_string(&b, "timestamp_column", p->timestamp_column);
    add_opt_string(&b, "timestamp_format", p->timestamp_format);
    add_key(&b, "time_step_seconds");
    if (p->time_step > 0)
        ptmi_sb_int(&b, (long long)p->time_step);
    else
        ptmi_sb_add(&b, "null");
    if (p->id_column) { /* only for long-format training data: other files stay as they were */
        add_key(&b, "long_format");
        ptmi_sb_add(&b, "{\"id_column\": ");
        ptmi_sb_json_string(&b, p->id_column);
        ptmi_sb_add(&b, ", \"time_column\": ");
        ptmi_sb_json_string(&b, p->timestamp_column);
        ptmi_sb_add(&b, ", \"target_column\": ");
        ptmi_sb_json_string(&b, p->target_column);
        ptmi_sb_add(&b, "}");
    }
    add_opt_string(&b, "training_data", p->training_data);
    add_opt_string(&b, "training_command", p->training_command);
    add_opt_string(&b, "library_version", ptm_version());
    ptmi_sb_add(&b, "\n}\n");
    if (b.oom) {
        free(b.p);
        return ptmi_err(err, PTM_ERR_NOMEM, file, NULL, "out of memory");
    }
    *text = b.p;
    *len = b.len;
    return PTM_OK;
}

ptm_status ptm_preprocessor_save(const ptm_preprocessor *p, const char *model_dir, ptm_error *err) {
    if (!p || !model_dir)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ptm_preprocessor_save: NULL argument");
    char path[4096], *text = NULL;
    size_t len = 0;
    ptm_status s = ptmi_path_join(path, sizeof path, model_dir, PP_FILE, err);
    if (s == PTM_OK) s = ptmi_preprocessor_write_json(p, path, &text, &len, err);
    if (s == PTM_OK) s = ptm_write_file(path, text, len, err);
    free(text);
    return s;
}

/* ---------------------------------------------------------------- applying it */

ptm_status ptm_preprocessor_columns(const ptm_preprocessor *p, const ptm_csv *t, const char *file,
                                    int *idx, ptm_error *err) {
    if (!p || !t || !idx)
        return ptmi_err(err, PTM_ERR_ARG, file, NULL, "ptm_preprocessor_columns: NULL argument");
    for (int j = 0; j < p->ncols; j++) {
        idx[j] = ptm_csv_find_column(t, p->columns[j]);
        if (idx[j] < 0) {
            ptmi_strbuf names = {0};
            for (int k = 0; k < p->ncols && names.len < 200; k++) {
                if (k) ptmi_sb_add(&names, ",");
                ptmi_sb_add(&names, p->columns[k]);
            }
            ptm_status s =
                ptmi_err(err, PTM_ERR_INPUT, file, p->columns[j],
                         "no column \"%s\": the model was trained on the columns %s%s",
                         p->columns[j], names.p ? names.p : "", names.len >= 200 ? ",..." : "");
            free(names.p);
            return s;
        }
    }
    return PTM_OK;
}
