/* test_io_json.c - tests of the strict JSON parser (src/io/json.c): every value type, locale
 * independence of numbers, escapes, nesting depth, malformed documents and duplicate keys
 * (also in large objects). Every error case also checks that the error message is set, names
 * the file and says what is wrong; the whole program must be clean under `make asan`.
 *
 * Run from the repository root (build/test_io_json, or `make test`). The safetensors reader and
 * writer are tested in test_io_safetensors.c.
 */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "testutil.h"

/* ---------------------------------------------------------------- helpers */

static ptm_status parse_str(const char *text, json_value **v, ptm_error *err) {
    return json_parse(text, strlen(text), "test.json", v, err);
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

int main(void) {
    RUN(json_valid_types);
    RUN(json_locale);
    RUN(json_escapes);
    RUN(json_depth);
    RUN(json_errors);
    RUN(json_duplicate_keys_large);
    return test_summary("test_io_json");
}
