/* test_io.c - tests of the strict JSON parser (src/io/json.c) and the safetensors reader and
 * writer (src/io/safetensors.c).
 *
 * Run from the repository root (build/test_io, or `make test`). Hostile safetensors files are
 * written into a fresh mkdtemp directory under /tmp, removed at the end. Every error case also
 * checks that the error message is not empty; the whole program must be clean under `make asan`.
 */
#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/json.h"
#include "io/safetensors.h"
#include "testutil.h"

static char g_dir[64];

/* ---------------------------------------------------------------- helpers */

static ptm_status parse_str(const char *text, json_value **v, ptm_error *err) {
    return json_parse(text, strlen(text), "test.json", v, err);
}

/* Record one assertion made by a helper on behalf of the test at `line`. */
static void expect_at(int ok, int line, const char *what, const ptm_error *err) {
    if (ok) {
        tu_pass++;
        return;
    }
    tu_fail++;
    fprintf(stderr, "FAIL %s:%d: %s (%s | %s | %s)\n", __FILE__, line, what, err->file, err->field,
            err->text);
}

/* Parse doc, expect `code`; on failure the message must be non-empty, name the file and
 * contain `needle` (when not NULL). */
static void check_json(const char *doc, ptm_status code, const char *needle, int line) {
    ptm_error err;
    memset(&err, 0, sizeof err);
    json_value *v = NULL;
    ptm_status s = parse_str(doc, &v, &err);
    expect_at(s == code, line, "json_parse status", &err);
    if (code != PTM_OK) {
        expect_at(v == NULL, line, "no tree on error", &err);
        expect_at(err.text[0] != '\0', line, "error text is set", &err);
        expect_at(strcmp(err.file, "test.json") == 0, line, "error names the file", &err);
        if (needle) expect_at(strstr(err.text, needle) != NULL, line, needle, &err);
    }
    json_free(v);
}
#define EXPECT_JSON(doc, code, needle) check_json(doc, code, needle, __LINE__)

static void path_in_dir(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", g_dir, name);
}

static int write_bytes(const char *name, const void *data, size_t len) {
    char path[256];
    path_in_dir(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/* Build [u64 header_len][header][data_len bytes 0,1,2,...] in a malloc'd buffer. */
static unsigned char *build_st(uint64_t header_len, const char *header, size_t data_len,
                               size_t *size) {
    size_t hl = strlen(header);
    *size = 8 + hl + data_len;
    unsigned char *b = malloc(*size);
    if (!b) return NULL;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(header_len >> (8 * i));
    memcpy(b + 8, header, hl);
    for (size_t i = 0; i < data_len; i++) b[8 + hl + i] = (unsigned char)i;
    return b;
}

/* Write a safetensors file with the given header (its real length) and data bytes and load it
 * with st_load (returned, err filled) and with st_load_mem (*mem_status). */
static ptm_status load_header(const char *header, size_t data_len, ptm_error *err,
                              ptm_status *mem_status) {
    size_t size;
    unsigned char *b = build_st(strlen(header), header, data_len, &size);
    if (!b) return PTM_ERR_NOMEM;
    char path[256];
    path_in_dir(path, sizeof path, "case.safetensors");
    write_bytes("case.safetensors", b, size);
    st_file f;
    ptm_error err2;
    *mem_status = st_load_mem(b, size, "mem", &f, &err2);
    st_free(&f);
    free(b);
    ptm_status s = st_load(path, &f, err);
    st_free(&f);
    return s;
}

static void check_st(const char *header, size_t data_len, ptm_status code, const char *needle,
                     int line) {
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_status mem_status;
    ptm_status s = load_header(header, data_len, &err, &mem_status);
    expect_at(s == code, line, "st_load status", &err);
    expect_at(mem_status == code, line, "st_load_mem status", &err);
    if (code != PTM_OK) {
        expect_at(err.text[0] != '\0', line, "error text is set", &err);
        expect_at(strstr(err.file, "case.safetensors") != NULL, line, "error names the file", &err);
        if (needle) expect_at(strstr(err.text, needle) != NULL, line, needle, &err);
    }
}
#define EXPECT_ST(header, data_len, code, needle) check_st(header, data_len, code, needle, __LINE__)

static void remove_dir(void) {
    DIR *d = opendir(g_dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(g_dir);
}

/* ---------------------------------------------------------------- JSON */

TEST(json_valid_types) {
    ptm_error err;
    json_value *v = NULL;
    const char *doc = " {\"n\": null, \"t\": true, \"f\": false, \"i\": -42, \"z\": 0, "
                      "\"mz\": -0, \"x\": 1.5, \"e\": 2e3, \"E\": -1.25E-2, \"ep\": 1e+2, "
                      "\"s\": \"hi\", \"a\": [1, [2, []], {}], \"o\": {\"k\": \"v\"}} \n\t\r";
    CHECK_STATUS(parse_str(doc, &v, &err), PTM_OK);
    if (!v) return;
    CHECK_EQ_INT(v->type, JSON_OBJECT);
    CHECK_EQ_INT(v->count, 13);
    CHECK(strcmp(v->keys[0], "n") == 0);
    CHECK_EQ_INT(json_get(v, "n")->type, JSON_NULL);
    CHECK_EQ_INT(json_get(v, "t")->type, JSON_BOOL);
    CHECK_EQ_INT(json_get(v, "t")->boolean, 1);
    CHECK_EQ_INT(json_get(v, "f")->boolean, 0);
    const json_value *i = json_get(v, "i");
    CHECK(i->type == JSON_NUMBER && i->number == -42.0 && i->is_integer);
    CHECK(json_get(v, "z")->number == 0.0 && json_get(v, "z")->is_integer);
    CHECK(json_get(v, "mz")->is_integer && signbit(json_get(v, "mz")->number));
    CHECK(json_get(v, "x")->number == 1.5 && !json_get(v, "x")->is_integer);
    CHECK(json_get(v, "e")->number == 2000.0 && !json_get(v, "e")->is_integer);
    CHECK(json_get(v, "E")->number == -0.0125);
    CHECK(json_get(v, "ep")->number == 100.0);
    const json_value *s = json_get(v, "s");
    CHECK(s->type == JSON_STRING && strcmp(s->string, "hi") == 0 && s->string_len == 2);
    const json_value *a = json_get(v, "a");
    CHECK(a->type == JSON_ARRAY && a->count == 3);
    CHECK(a->items[1].type == JSON_ARRAY && a->items[1].count == 2);
    CHECK(a->items[1].items[1].type == JSON_ARRAY && a->items[1].items[1].count == 0);
    CHECK(a->items[2].type == JSON_OBJECT && a->items[2].count == 0);
    const json_value *o = json_get(v, "o");
    CHECK(o && strcmp(json_get(o, "k")->string, "v") == 0);
    CHECK(json_get(v, "missing") == NULL);
    CHECK(json_get(a, "k") == NULL);
    CHECK(json_get(NULL, "k") == NULL);
    json_free(v);

    /* scalars at top level */
    CHECK_STATUS(parse_str("\"top\"", &v, &err), PTM_OK);
    CHECK(v && v->type == JSON_STRING && strcmp(v->string, "top") == 0);
    json_free(v);
    CHECK_STATUS(parse_str("null", &v, &err), PTM_OK);
    CHECK(v && v->type == JSON_NULL);
    json_free(v);
    CHECK_STATUS(parse_str("1e-999", &v, &err), PTM_OK); /* underflow to 0 is fine */
    CHECK(v && v->number == 0.0);
    json_free(v);
    CHECK_STATUS(parse_str("9007199254740993", &v, &err), PTM_OK);
    CHECK(v && v->is_integer);
    json_free(v);
    /* not NUL-terminated: only the first len bytes count */
    CHECK_STATUS(json_parse("123456", 2, "t", &v, &err), PTM_OK);
    CHECK(v && v->number == 12.0);
    json_free(v);
    json_free(NULL);

    CHECK(strcmp(json_type_name(JSON_NULL), "null") == 0);
    CHECK(strcmp(json_type_name(JSON_BOOL), "bool") == 0);
    CHECK(strcmp(json_type_name(JSON_NUMBER), "number") == 0);
    CHECK(strcmp(json_type_name(JSON_STRING), "string") == 0);
    CHECK(strcmp(json_type_name(JSON_ARRAY), "array") == 0);
    CHECK(strcmp(json_type_name(JSON_OBJECT), "object") == 0);
}

/* Numbers parse the same whatever LC_NUMERIC says (checked where a comma locale exists). */
TEST(json_locale) {
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "de_DE"};
    int switched = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !switched; i++)
        switched = setlocale(LC_NUMERIC, names[i]) != NULL;
    ptm_error err;
    json_value *v = NULL;
    CHECK_STATUS(parse_str("[1.5, -2.25e1]", &v, &err), PTM_OK);
    CHECK(v && v->items[0].number == 1.5 && v->items[1].number == -22.5);
    json_free(v);
    if (switched) setlocale(LC_NUMERIC, "C");
}

TEST(json_escapes) {
    ptm_error err;
    json_value *v = NULL;
    CHECK_STATUS(parse_str("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", &v, &err), PTM_OK);
    CHECK(v && strcmp(v->string, "a\"b\\c/d\be\ff\ng\rh\ti") == 0);
    json_free(v);
    /* \u escapes: 1, 2 and 3 byte UTF-8, a surrogate pair, and raw UTF-8 passed through */
    CHECK_STATUS(parse_str("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\xc3\xa9\"", &v, &err), PTM_OK);
    CHECK(v && strcmp(v->string, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9") == 0);
    CHECK(v && v->string_len == 1 + 2 + 3 + 4 + 2);
    json_free(v);
    /* keys are decoded too */
    CHECK_STATUS(parse_str("{\"k\\u00e9y\": 1}", &v, &err), PTM_OK);
    CHECK(v && json_get(v, "k\xc3\xa9y") != NULL);
    json_free(v);

    EXPECT_JSON("\"\\x\"", PTM_ERR_FORMAT, "invalid escape");
    EXPECT_JSON("\"\\u12\"", PTM_ERR_FORMAT, "hex digits");
    EXPECT_JSON("\"\\u12G4\"", PTM_ERR_FORMAT, "hex digits");
    EXPECT_JSON("\"\\ud83d\"", PTM_ERR_FORMAT, "surrogate");
    EXPECT_JSON("\"\\ud83dx\"", PTM_ERR_FORMAT, "surrogate");
    EXPECT_JSON("\"\\ud83d\\u0041\"", PTM_ERR_FORMAT, "surrogate");
    EXPECT_JSON("\"\\ud83d\\ud83d\"", PTM_ERR_FORMAT, "surrogate");
    EXPECT_JSON("\"\\ude00\"", PTM_ERR_FORMAT, "surrogate");
    EXPECT_JSON("\"\\u0000\"", PTM_ERR_FORMAT, "NUL");
    EXPECT_JSON("\"a\\", PTM_ERR_FORMAT, "unterminated");
    EXPECT_JSON("\"\xc3\"", PTM_ERR_FORMAT, "UTF-8");         /* truncated sequence */
    EXPECT_JSON("\"\xc0\xaf\"", PTM_ERR_FORMAT, "UTF-8");     /* overlong */
    EXPECT_JSON("\"\xed\xa0\x80\"", PTM_ERR_FORMAT, "UTF-8"); /* encoded surrogate */
    EXPECT_JSON("\"\xff\"", PTM_ERR_FORMAT, "UTF-8");
    CHECK(json_utf8_valid("abc\xc3\xa9", 5));
    CHECK(!json_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
}

static char *nested(int depth, int objects) {
    char *s = malloc((size_t)depth * 8 + 8);
    size_t n = 0;
    for (int i = 0; i < depth; i++) {
        if (objects) {
            memcpy(s + n, "{\"a\":", 5);
            n += 5;
        } else {
            s[n++] = '[';
        }
    }
    s[n++] = '1';
    for (int i = 0; i < depth; i++) s[n++] = objects ? '}' : ']';
    s[n] = '\0';
    return s;
}

TEST(json_depth) {
    for (int objects = 0; objects < 2; objects++) {
        char *ok = nested(64, objects), *bad = nested(65, objects), *huge = nested(100000, 0);
        EXPECT_JSON(ok, PTM_OK, NULL);
        EXPECT_JSON(bad, PTM_ERR_FORMAT, "nesting deeper than 64");
        EXPECT_JSON(huge, PTM_ERR_FORMAT, "nesting deeper than 64");
        free(ok);
        free(bad);
        free(huge);
    }
}

TEST(json_errors) {
    EXPECT_JSON("", PTM_ERR_FORMAT, "end of input");
    EXPECT_JSON("  \n ", PTM_ERR_FORMAT, "end of input");
    EXPECT_JSON("1 2", PTM_ERR_FORMAT, "after the end");
    EXPECT_JSON("{} x", PTM_ERR_FORMAT, "after the end");
    EXPECT_JSON("[1]]", PTM_ERR_FORMAT, "after the end");
    EXPECT_JSON("NaN", PTM_ERR_FORMAT, "NaN");
    EXPECT_JSON("[Infinity]", PTM_ERR_FORMAT, "Infinity");
    EXPECT_JSON("-Infinity", PTM_ERR_FORMAT, "Infinity");
    EXPECT_JSON("01", PTM_ERR_FORMAT, "leading zero");
    EXPECT_JSON("-01", PTM_ERR_FORMAT, "leading zero");
    EXPECT_JSON("1.", PTM_ERR_FORMAT, "digit");
    EXPECT_JSON(".5", PTM_ERR_FORMAT, NULL);
    EXPECT_JSON("+1", PTM_ERR_FORMAT, NULL);
    EXPECT_JSON("-", PTM_ERR_FORMAT, "digit");
    EXPECT_JSON("1e", PTM_ERR_FORMAT, "exponent");
    EXPECT_JSON("1e+", PTM_ERR_FORMAT, "exponent");
    EXPECT_JSON("0x10", PTM_ERR_FORMAT, NULL);
    EXPECT_JSON("1e999", PTM_ERR_FORMAT, "range");
    EXPECT_JSON("-1e999", PTM_ERR_FORMAT, "range");
    EXPECT_JSON("1234567890123456789012345678901234567890123456789012345678901234567890",
                PTM_ERR_FORMAT, "characters");
    EXPECT_JSON("\"abc", PTM_ERR_FORMAT, "unterminated string");
    EXPECT_JSON("[\"a\tb\"]", PTM_ERR_FORMAT, "control character");
    EXPECT_JSON("\"a\nb\"", PTM_ERR_FORMAT, "control character");
    EXPECT_JSON("{\"a\": 1, \"a\": 2}", PTM_ERR_FORMAT, "duplicate key \"a\"");
    EXPECT_JSON("[1,]", PTM_ERR_FORMAT, "expected a value");
    EXPECT_JSON("[1 2]", PTM_ERR_FORMAT, "expected ',' or ']'");
    EXPECT_JSON("{\"a\":1,}", PTM_ERR_FORMAT, "string key");
    EXPECT_JSON("{\"a\" 1}", PTM_ERR_FORMAT, "':'");
    EXPECT_JSON("{a:1}", PTM_ERR_FORMAT, "string key");
    EXPECT_JSON("{'a':1}", PTM_ERR_FORMAT, "string key");
    EXPECT_JSON("[1", PTM_ERR_FORMAT, "end of input");
    EXPECT_JSON("{\"a\":1", PTM_ERR_FORMAT, "end of input");
    EXPECT_JSON("tru", PTM_ERR_FORMAT, NULL);
    EXPECT_JSON("nul", PTM_ERR_FORMAT, NULL);
    EXPECT_JSON("truex", PTM_ERR_FORMAT, NULL);
    EXPECT_JSON("True", PTM_ERR_FORMAT, NULL);
    EXPECT_JSON("\xef\xbb\xbf{}", PTM_ERR_FORMAT, "byte order mark");
    EXPECT_JSON("[1]\f", PTM_ERR_FORMAT, NULL); /* form feed is not JSON whitespace */

    /* line and column of the error */
    EXPECT_JSON("{\n  \"a\": 1,\n  \"b\" 2}", PTM_ERR_FORMAT, "line 3, column 7: expected ':'");
    EXPECT_JSON("{\"a\": 1\n \"b\": 2}", PTM_ERR_FORMAT, "line 2, column 2: expected ',' or '}'");

    ptm_error err;
    json_value *v = NULL;
    /* an embedded NUL byte in the text is neither whitespace nor inside a valid token */
    CHECK_STATUS(json_parse("[1]\0", 4, "t", &v, &err), PTM_ERR_FORMAT);
    CHECK_STATUS(json_parse("\"a\0b\"", 5, "t", &v, &err), PTM_ERR_FORMAT);
    CHECK(strstr(err.text, "control character") != NULL);
    CHECK_STATUS(json_parse("[1]", 3, "t", NULL, &err), PTM_ERR_ARG);
    CHECK_STATUS(json_parse(NULL, 3, "t", &v, &err), PTM_ERR_ARG);
    CHECK(v == NULL);
    CHECK_STATUS(json_parse("1", 1, "t", &v, NULL), PTM_OK); /* err may be NULL */
    json_free(v);
    CHECK_STATUS(json_parse("[", 1, "t", &v, NULL), PTM_ERR_FORMAT);
}

TEST(json_duplicate_keys_large) {
    /* Many keys take the sorted path of the duplicate check. */
    char doc[8192];
    size_t n = 0;
    n += (size_t)snprintf(doc + n, sizeof doc - n, "{");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(doc + n, sizeof doc - n, "%s\"key%d\": %d", i ? "," : "", i, i);
    snprintf(doc + n, sizeof doc - n, "}");
    ptm_error err;
    json_value *v = NULL;
    CHECK_STATUS(parse_str(doc, &v, &err), PTM_OK);
    CHECK(v && v->count == 200);
    for (int i = 0; i < 200; i += 37) {
        char key[16];
        snprintf(key, sizeof key, "key%d", i);
        const json_value *x = json_get(v, key);
        CHECK(x && x->number == (double)i);
    }
    json_free(v);
    snprintf(doc + n, sizeof doc - n, ", \"key17\": 0, \"zz\": 1, \"key3\": 2}");
    memset(&err, 0, sizeof err);
    CHECK_STATUS(parse_str(doc, &v, &err), PTM_ERR_FORMAT);
    CHECK(strstr(err.text, "duplicate key \"key17\"") != NULL);
    CHECK(strcmp(err.field, "key17") == 0);
    /* a duplicate inside a nested object, with values already parsed around it */
    EXPECT_JSON("[{\"a\":[1,2,{\"q\":\"s\"}]}, {\"x\":{\"b\":\"1\",\"b\":[2]}}]", PTM_ERR_FORMAT,
                "duplicate key \"b\"");
}

/* ---------------------------------------------------------------- safetensors: hostile files */

TEST(st_bad_files) {
    ptm_error err;
    st_file f;
    char path[256];

    path_in_dir(path, sizeof path, "does_not_exist.safetensors");
    memset(&err, 0, sizeof err);
    CHECK_STATUS(st_load(path, &f, &err), PTM_ERR_IO);
    CHECK(err.text[0] != '\0');
    CHECK(f.buf == NULL && f.tensors == NULL && f.count == 0);

    path_in_dir(path, sizeof path, "empty.safetensors");
    write_bytes("empty.safetensors", "", 0);
    memset(&err, 0, sizeof err);
    CHECK_STATUS(st_load(path, &f, &err), PTM_ERR_FORMAT);
    CHECK(err.text[0] != '\0');
    CHECK(strstr(err.text, "too short") != NULL);

    path_in_dir(path, sizeof path, "five.safetensors");
    write_bytes("five.safetensors", "\x05\0\0\0\0", 5);
    memset(&err, 0, sizeof err);
    CHECK_STATUS(st_load(path, &f, &err), PTM_ERR_FORMAT);
    CHECK(err.text[0] != '\0');
    CHECK(strcmp(err.file, path) == 0);

    /* header length larger than the file, zero, and absurdly large */
    const char *hdr = "{}";
    uint64_t lens[] = {3, 1000, UINT64_MAX, (uint64_t)1 << 63};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t size;
        unsigned char *b = build_st(lens[i], hdr, 0, &size);
        memset(&err, 0, sizeof err);
        CHECK_STATUS(st_load_mem(b, size, "x.safetensors", &f, &err), PTM_ERR_FORMAT);
        CHECK(strstr(err.text, "larger than the file") != NULL);
        free(b);
    }
    {
        size_t size;
        unsigned char *b = build_st(0, "{}", 0, &size);
        memset(&err, 0, sizeof err);
        CHECK_STATUS(st_load_mem(b, size, "x.safetensors", &f, &err), PTM_ERR_FORMAT);
        CHECK(strstr(err.text, "header length is 0") != NULL);
        free(b);
    }

    /* header over the 100 MB limit (a sparse file, so it costs no disk) */
    path_in_dir(path, sizeof path, "huge.safetensors");
    {
        FILE *fp = fopen(path, "wb");
        unsigned char len8[8];
        uint64_t n = (uint64_t)ST_MAX_HEADER_BYTES + 1;
        for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(n >> (8 * i));
        CHECK(fp && fwrite(len8, 1, 8, fp) == 8);
        if (fp) {
            CHECK(ftruncate(fileno(fp), (off_t)(8 + n + 8)) == 0);
            fclose(fp);
        }
        memset(&err, 0, sizeof err);
        CHECK_STATUS(st_load(path, &f, &err), PTM_ERR_LIMIT);
        CHECK(err.text[0] != '\0');
        unlink(path);
    }

    EXPECT_ST("{\"a\": ", 0, PTM_ERR_FORMAT, "invalid JSON");
    EXPECT_ST("not json", 0, PTM_ERR_FORMAT, "invalid JSON");
    EXPECT_ST("[1, 2]", 0, PTM_ERR_FORMAT, "header is a JSON array");
    EXPECT_ST("\"str\"", 0, PTM_ERR_FORMAT, "header is a JSON string");
    EXPECT_ST("{} garbage", 0, PTM_ERR_FORMAT, "invalid JSON");
    EXPECT_ST("{\"t\": [1]}", 0, PTM_ERR_FORMAT, "expected an object");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2]}}", 8, PTM_ERR_FORMAT,
              "no \"data_offsets\"");
    EXPECT_ST("{\"t\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8, PTM_ERR_FORMAT,
              "no \"dtype\"");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"data_offsets\": [0, 8]}}", 8, PTM_ERR_FORMAT,
              "no \"shape\"");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8], \"x\": 1}}",
              8, PTM_ERR_FORMAT, "unknown key \"x\"");
    EXPECT_ST("{\"t\": {\"dtype\": 4, \"shape\": [2], \"data_offsets\": [0, 8]}}", 8,
              PTM_ERR_FORMAT, "dtype is a JSON number");
    EXPECT_ST("{\"t\": {\"dtype\": \"Q4\", \"shape\": [2], \"data_offsets\": [0, 1]}}", 8,
              PTM_ERR_FORMAT, "unknown dtype \"Q4\"");
    EXPECT_ST("{\"t\": {\"dtype\": \"f32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8,
              PTM_ERR_FORMAT, "unknown dtype");
    /* offsets */
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4,
              PTM_ERR_FORMAT, "out of range");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}", 12,
              PTM_ERR_FORMAT, "out of range");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [99, 99]}}", 12,
              PTM_ERR_FORMAT, "out of range");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}", 8,
              PTM_ERR_FORMAT, "begin is after end");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 12]}}", 12,
              PTM_ERR_FORMAT, "span 12 bytes, expected 8");
    EXPECT_ST("{\"t\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 16,
              PTM_ERR_FORMAT, "expected 16");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0]}}", 8,
              PTM_ERR_FORMAT, "data_offsets");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8, 8]}}", 8,
              PTM_ERR_FORMAT, "data_offsets");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [-8, 0]}}", 8,
              PTM_ERR_FORMAT, "data_offsets");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0.0, 8]}}", 8,
              PTM_ERR_FORMAT, "data_offsets");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": \"0,8\"}}", 8,
              PTM_ERR_FORMAT, "data_offsets");
    EXPECT_ST("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
              " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
              12, PTM_ERR_FORMAT, "overlap");
    EXPECT_ST("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]},"
              " \"b\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [15, 16]}}",
              16, PTM_ERR_FORMAT, "overlap");
    EXPECT_ST("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
              " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}",
              8, PTM_ERR_FORMAT, "overlap");
    /* shapes */
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", 8,
              PTM_ERR_FORMAT, "shape[0] is -2");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 10]}}", 10,
              PTM_ERR_FORMAT, "shape[0] is 2.5");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [2.0], \"data_offsets\": [0, 8]}}", 8,
              PTM_ERR_FORMAT, "non-negative integer");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [1, 2e0], \"data_offsets\": [0, 8]}}", 8,
              PTM_ERR_FORMAT, "shape[1]");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [-0], \"data_offsets\": [0, 0]}}", 0,
              PTM_ERR_FORMAT, "shape[0]");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [\"2\"], \"data_offsets\": [0, 8]}}", 8,
              PTM_ERR_FORMAT, "shape[0] is the string");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": 2, \"data_offsets\": [0, 8]}}", 8,
              PTM_ERR_FORMAT, "shape is a JSON number");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [9007199254740993], "
              "\"data_offsets\": [0, 8]}}",
              8, PTM_ERR_FORMAT, "shape[0]");
    EXPECT_ST("{\"t\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 16], "
              "\"data_offsets\": [0, 0]}}",
              0, PTM_ERR_FORMAT, "overflow");
    EXPECT_ST("{\"t\": {\"dtype\": \"F64\", \"shape\": [4611686018427387904], "
              "\"data_offsets\": [0, 0]}}",
              0, PTM_ERR_FORMAT, "shape[0]"); /* 2^62 > 2^53 */
    EXPECT_ST("{\"t\": {\"dtype\": \"F64\", \"shape\": [4503599627370496, 4096], "
              "\"data_offsets\": [0, 0]}}",
              0, PTM_ERR_FORMAT, "overflow"); /* 2^52 * 2^12 * 8 = 2^67 */
    EXPECT_ST("{\"t\": {\"dtype\": \"U8\", \"shape\": [1,1,1,1,1,1,1,1,1], "
              "\"data_offsets\": [0, 1]}}",
              1, PTM_ERR_FORMAT, "9 dimensions");
    /* duplicate tensor names are rejected by the JSON parser */
    EXPECT_ST("{\"t\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]},"
              " \"t\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1, 2]}}",
              2, PTM_ERR_FORMAT, "duplicate key \"t\"");
    /* __metadata__ */
    EXPECT_ST("{\"__metadata__\": {\"format\": 1}}", 0, PTM_ERR_FORMAT, "expected a string");
    EXPECT_ST("{\"__metadata__\": [\"pt\"]}", 0, PTM_ERR_FORMAT, "expected an object");
    EXPECT_ST("{\"__metadata__\": {\"format\": \"pt\", \"x\": \"y\"}}", 0, PTM_OK, NULL);
    EXPECT_ST("{}", 0, PTM_OK, NULL);
    /* 8-dim and 0-size tensors, trailing padding spaces, unused trailing bytes */
    EXPECT_ST("{\"t\": {\"dtype\": \"U8\", \"shape\": [1,1,1,1,1,1,1,2], "
              "\"data_offsets\": [0, 2]}, \"e\": {\"dtype\": \"F32\", \"shape\": [3, 0], "
              "\"data_offsets\": [1, 1]}}     ",
              5, PTM_OK, NULL);

    /* the error names the file and the tensor */
    memset(&err, 0, sizeof err);
    ptm_status ms;
    load_header("{\"good\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]},"
                " \"bad.weight\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [1, 9]}}",
                9, &err, &ms);
    CHECK(strcmp(err.field, "bad.weight") == 0);
    CHECK(strstr(err.file, "case.safetensors") != NULL);
    char msg[2048];
    ptm_error_message(&err, msg, sizeof msg);
    CHECK(strstr(msg, "bad.weight") != NULL && strstr(msg, "expected 12") != NULL);
}

TEST(st_other_dtype) {
    /* F16 loads as ST_OTHER; st_to_f32 refuses it and names the dtype */
    size_t size;
    unsigned char *b = build_st(
        0, "{\"h\": {\"dtype\": \"F16\", \"shape\": [2, 2], \"data_offsets\": [0, 8]}}", 8, &size);
    uint64_t hl = size - 8 - 8;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(hl >> (8 * i));
    ptm_error err;
    st_file f;
    CHECK_STATUS(st_load_mem(b, size, "f16.safetensors", &f, &err), PTM_OK);
    free(b);
    CHECK_EQ_INT(f.count, 1);
    const st_tensor *t = st_find(&f, "h");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->dtype, ST_OTHER);
        CHECK(strcmp(t->dtype_name, "F16") == 0);
        CHECK_EQ_INT(t->numel, 4);
        CHECK_EQ_INT(t->nbytes, 8);
        CHECK_EQ_INT(t->data[3], 3);
        float out[4];
        memset(&err, 0, sizeof err);
        CHECK_STATUS(st_to_f32(t, out, &err), PTM_ERR_TENSOR);
        CHECK(strstr(err.text, "F16") != NULL);
        CHECK(strcmp(err.field, "h") == 0);
    }
    CHECK(st_find(&f, "nope") == NULL);
    st_free(&f);
    st_free(&f); /* safe on a zeroed file */
}

/* Every truncation and every single-byte corruption of a valid file must fail cleanly or load
 * (never crash, never leak); errors always carry a message. */
TEST(st_mutations) {
    char path[256];
    path_in_dir(path, sizeof path, "small.safetensors");
    float w[6] = {1, 2, 3, 4, 5, 6};
    int64_t k = 7;
    st_write_entry e[2] = {{"w", ST_F32, 2, {2, 3}, w}, {"k", ST_I64, 0, {0}, &k}};
    ptm_error err;
    CHECK_STATUS(st_write(path, e, 2, &err), PTM_OK);
    FILE *fp = fopen(path, "rb");
    unsigned char buf[1024];
    size_t n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
    if (fp) fclose(fp);
    CHECK(n > 8 && n < sizeof buf);
    int bad_msgs = 0, ok_prefix = 0;
    for (size_t len = 0; len < n; len++) {
        st_file f;
        memset(&err, 0, sizeof err);
        ptm_status s = st_load_mem(buf, len, "m", &f, &err);
        if (s == PTM_OK)
            ok_prefix++;
        else if (!err.text[0])
            bad_msgs++;
        st_free(&f);
    }
    CHECK_EQ_INT(ok_prefix, 0);
    for (size_t pos = 0; pos < n; pos++) {
        unsigned char vals[] = {0x00, 0x20, 0x22, 0x5c, 0x7b, 0x7d, 0x80, 0xff, 0x31, 0x2c};
        for (size_t v = 0; v < sizeof vals; v++) {
            unsigned char m[1024];
            memcpy(m, buf, n);
            m[pos] = vals[v];
            st_file f;
            memset(&err, 0, sizeof err);
            ptm_status s = st_load_mem(m, n, "m", &f, &err);
            if (s != PTM_OK && !err.text[0]) bad_msgs++;
            for (size_t i = 0; s == PTM_OK && i < f.count; i++) {
                const st_tensor *t = &f.tensors[i];
                CHECK(t->data >= f.buf && t->data + t->nbytes <= f.buf + f.size);
            }
            st_free(&f);
        }
    }
    CHECK_EQ_INT(bad_msgs, 0);
}

/* ---------------------------------------------------------------- safetensors: writer */

TEST(st_roundtrip) {
    char path[256];
    path_in_dir(path, sizeof path, "rt.safetensors");
    float a[24];
    for (int i = 0; i < 24; i++) a[i] = (float)i * 0.5f - 3.25f;
    a[5] = -0.0f;
    a[6] = 1e-40f; /* subnormal */
    a[7] = 3.4028235e38f;
    int64_t scalar = -1234567890123LL;
    int64_t ids[3] = {0, INT64_MAX, INT64_MIN};
    float one = 42.0f;
    st_write_entry e[] = {
        {"encoder.layer.0 \"weird\" \\name\xc3\xa9\n", ST_F32, 3, {2, 3, 4}, a},
        {"num_batches_tracked", ST_I64, 0, {0}, &scalar},
        {"ids", ST_I64, 1, {3}, ids},
        {"empty", ST_F32, 2, {0, 7}, NULL},
        {"one", ST_F32, 8, {1, 1, 1, 1, 1, 1, 1, 1}, &one},
    };
    size_t ne = sizeof e / sizeof e[0];
    ptm_error err;
    CHECK_STATUS(st_write(path, e, ne, &err), PTM_OK);

    /* no temporary file is left behind */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    struct stat sb;
    CHECK(stat(tmp, &sb) != 0);

    st_file f;
    CHECK_STATUS(st_load(path, &f, &err), PTM_OK);
    CHECK_EQ_INT(f.count, ne);
    for (size_t i = 0; i < ne && i < f.count; i++) {
        const st_tensor *t = &f.tensors[i];
        CHECK(strcmp(t->name, e[i].name) == 0); /* header order is kept */
        CHECK_EQ_INT(t->dtype, e[i].dtype);
        CHECK(strcmp(t->dtype_name, e[i].dtype == ST_F32 ? "F32" : "I64") == 0);
        CHECK_EQ_INT(t->ndim, e[i].ndim);
        size_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            CHECK_EQ_INT(t->shape[d], e[i].shape[d]);
            numel *= (size_t)e[i].shape[d];
        }
        CHECK_EQ_INT(t->numel, numel);
        CHECK_EQ_INT(t->nbytes, numel * (e[i].dtype == ST_F32 ? 4 : 8));
        if (numel) CHECK(memcmp(t->data, e[i].data, t->nbytes) == 0);
    }
    /* header layout: 8 + N is a multiple of 8, metadata present, contiguous offsets */
    CHECK(f.size >= 8);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = (hl << 8) | f.buf[i];
    CHECK_EQ_INT((8 + hl) % 8, 0);
    json_value *h = NULL;
    CHECK_STATUS(json_parse((const char *)f.buf + 8, (size_t)hl, "hdr", &h, &err), PTM_OK);
    const json_value *md = json_get(h, "__metadata__");
    CHECK(md && json_get(md, "format") && strcmp(json_get(md, "format")->string, "pt") == 0);
    CHECK(h && h->count == ne + 1);
    json_free(h);
    CHECK_EQ_INT(f.size, 8 + hl + 24 * 4 + 8 + 3 * 8 + 0 + 4);

    /* st_to_f32 on F32 and I64 */
    float out[24];
    const st_tensor *t = st_find(&f, e[0].name);
    CHECK(t != NULL);
    if (t) {
        CHECK_STATUS(st_to_f32(t, out, &err), PTM_OK);
        CHECK(memcmp(out, a, sizeof a) == 0);
    }
    t = st_find(&f, "num_batches_tracked");
    CHECK(t && t->ndim == 0 && t->numel == 1 && t->dtype == ST_I64);
    if (t) {
        CHECK_STATUS(st_to_f32(t, out, &err), PTM_OK);
        CHECK(out[0] == (float)scalar);
    }
    t = st_find(&f, "ids");
    if (t) {
        CHECK_STATUS(st_to_f32(t, out, &err), PTM_OK);
        CHECK(out[0] == 0.0f && out[1] == (float)INT64_MAX && out[2] == (float)INT64_MIN);
    }
    t = st_find(&f, "empty");
    CHECK(t && t->numel == 0 && t->nbytes == 0);
    if (t) CHECK_STATUS(st_to_f32(t, NULL, &err), PTM_OK);
    st_free(&f);
    CHECK(f.buf == NULL && f.count == 0);

    /* overwrite atomically with fewer tensors; zero tensors is a valid file */
    CHECK_STATUS(st_write(path, e + 1, 1, &err), PTM_OK);
    CHECK_STATUS(st_load(path, &f, &err), PTM_OK);
    CHECK(f.count == 1 && strcmp(f.tensors[0].name, "num_batches_tracked") == 0);
    st_free(&f);
    CHECK_STATUS(st_write(path, NULL, 0, &err), PTM_OK);
    CHECK_STATUS(st_load(path, &f, &err), PTM_OK);
    CHECK_EQ_INT(f.count, 0);
    st_free(&f);
}

TEST(st_write_errors) {
    char path[256];
    path_in_dir(path, sizeof path, "w.safetensors");
    float x[2] = {1, 2};
    ptm_error err;
    st_write_entry bad_dtype = {"x", ST_OTHER, 1, {2}, x};
    memset(&err, 0, sizeof err);
    CHECK_STATUS(st_write(path, &bad_dtype, 1, &err), PTM_ERR_ARG);
    CHECK(err.text[0] != '\0');
    st_write_entry bad_shape = {"x", ST_F32, 1, {-2}, x};
    CHECK_STATUS(st_write(path, &bad_shape, 1, &err), PTM_ERR_ARG);
    st_write_entry bad_ndim = {"x", ST_F32, 9, {2}, x};
    CHECK_STATUS(st_write(path, &bad_ndim, 1, &err), PTM_ERR_ARG);
    st_write_entry no_data = {"x", ST_F32, 1, {2}, NULL};
    CHECK_STATUS(st_write(path, &no_data, 1, &err), PTM_ERR_ARG);
    st_write_entry reserved = {"__metadata__", ST_F32, 1, {2}, x};
    CHECK_STATUS(st_write(path, &reserved, 1, &err), PTM_ERR_ARG);
    st_write_entry bad_utf8 = {"x\xff", ST_F32, 1, {2}, x};
    CHECK_STATUS(st_write(path, &bad_utf8, 1, &err), PTM_ERR_ARG);
    st_write_entry dup[3] = {
        {"x", ST_F32, 1, {2}, x}, {"y", ST_F32, 1, {2}, x}, {"x", ST_F32, 1, {2}, x}};
    memset(&err, 0, sizeof err);
    CHECK_STATUS(st_write(path, dup, 3, &err), PTM_ERR_ARG);
    CHECK(strcmp(err.field, "x") == 0);
    struct stat sb;
    CHECK(stat(path, &sb) != 0); /* nothing was written */

    /* a directory that does not exist: PTM_ERR_IO naming the path and the system error */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no/such/dir/m.safetensors", g_dir);
    memset(&err, 0, sizeof err);
    CHECK_STATUS(st_write(missing, dup, 1, &err), PTM_ERR_IO);
    CHECK(strcmp(err.file, missing) == 0);
    CHECK(strstr(err.text, "No such file") != NULL);
    /* the target is a directory: rename fails, the temporary file is removed */
    char dirpath[300];
    snprintf(dirpath, sizeof dirpath, "%s/adir", g_dir);
    CHECK(mkdir(dirpath, 0755) == 0);
    memset(&err, 0, sizeof err);
    CHECK_STATUS(st_write(dirpath, dup, 1, &err), PTM_ERR_IO);
    CHECK(err.text[0] != '\0');
    char tmp[400];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dirpath, (long)getpid());
    CHECK(stat(tmp, &sb) != 0);
    rmdir(dirpath);
}

TEST(st_golden) {
    const char *path = "tests/golden/fc_common_gated_ln_std/model.safetensors";
    st_file f;
    ptm_error err;
    CHECK_STATUS(st_load(path, &f, &err), PTM_OK);
    CHECK(f.count > 10);
    const st_tensor *t = st_find(&f, "model.encoder.patcher.weight");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->dtype, ST_F32);
        CHECK_EQ_INT(t->ndim, 2);
        CHECK_EQ_INT(t->shape[0], 16);
        CHECK_EQ_INT(t->shape[1], 8);
        CHECK_EQ_INT(t->numel, 128);
        float *w = malloc(t->numel * sizeof *w);
        CHECK_STATUS(st_to_f32(t, w, &err), PTM_OK);
        int finite = 1;
        for (size_t i = 0; i < t->numel; i++) finite &= isfinite(w[i]) != 0;
        CHECK(finite);
        free(w);
    }
    for (size_t i = 0; i < f.count; i++) {
        CHECK(f.tensors[i].dtype == ST_F32 || f.tensors[i].dtype == ST_I64);
        if (f.tensors[i].dtype == ST_I64) CHECK_EQ_INT(f.tensors[i].ndim, 0);
    }
    st_free(&f);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/ptm_test_io_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(json_valid_types);
    RUN(json_locale);
    RUN(json_escapes);
    RUN(json_depth);
    RUN(json_errors);
    RUN(json_duplicate_keys_large);
    RUN(st_bad_files);
    RUN(st_other_dtype);
    RUN(st_mutations);
    RUN(st_roundtrip);
    RUN(st_write_errors);
    RUN(st_golden);
    remove_dir();
    return test_summary("test_io");
}
