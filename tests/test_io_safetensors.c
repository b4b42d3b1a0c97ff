/* test_io_safetensors.c - tests of the safetensors reader and writer (src/io/safetensors.c,
 * safetensors_write.c): hostile files (bad header lengths and JSON, wrong dtypes, shapes and
 * offsets), other dtypes, byte mutations, write/read round trips, write errors (nothing left
 * behind) and the golden checkpoints. Every reader error case checks st_load and st_load_mem
 * alike and that the error message is set and names the file; the whole program must be clean
 * under `make asan`.
 *
 * Run from the repository root (build/test_io_safetensors, or `make test`). Hostile files are
 * written into a fresh mkdtemp directory under /tmp, removed at the end. The JSON parser is
 * tested in test_io_json.c.
 */
#include <dirent.h>
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

/* how many of the atomic writer's temporary files (.NAME.ptm-tmp-XXXXXX) g_dir holds */
static int temporaries_left(void) {
    DIR *d = opendir(g_dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strstr(e->d_name, ".ptm-tmp-") != NULL;
    closedir(d);
    return n;
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
    /* 8-dim and 0-size tensors, trailing padding spaces */
    EXPECT_ST("{\"t\": {\"dtype\": \"U8\", \"shape\": [1,1,1,1,1,1,1,2], "
              "\"data_offsets\": [0, 2]}, \"e\": {\"dtype\": \"F32\", \"shape\": [3, 0], "
              "\"data_offsets\": [1, 1]}}     ",
              2, PTM_OK, NULL);
    /* bytes after the last tensor are refused: a file is never longer than its header says */
    EXPECT_ST("{\"t\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 5,
              PTM_ERR_FORMAT, "3 trailing bytes");
    EXPECT_ST("{}", 1, PTM_ERR_FORMAT, "1 trailing bytes");

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
    st_write_entry e[2] = {{"w", ST_F32, 2, {2, 3}, w, 0}, {"k", ST_I64, 0, {0}, &k, 0}};
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
        {"encoder.layer.0 \"weird\" \\name\xc3\xa9\n", ST_F32, 3, {2, 3, 4}, a, 0},
        {"num_batches_tracked", ST_I64, 0, {0}, &scalar, 0},
        {"ids", ST_I64, 1, {3}, ids, 0},
        {"empty", ST_F32, 2, {0, 7}, NULL, 0},
        {"one", ST_F32, 8, {1, 1, 1, 1, 1, 1, 1, 1}, &one, 0},
    };
    size_t ne = sizeof e / sizeof e[0];
    ptm_error err;
    CHECK_STATUS(st_write(path, e, ne, &err), PTM_OK);

    /* no temporary file is left behind */
    CHECK_EQ_INT(temporaries_left(), 0);

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
    st_write_entry bad_dtype = {"x", ST_OTHER, 1, {2}, x, 0};
    memset(&err, 0, sizeof err);
    CHECK_STATUS(st_write(path, &bad_dtype, 1, &err), PTM_ERR_ARG);
    CHECK(err.text[0] != '\0');
    st_write_entry bad_shape = {"x", ST_F32, 1, {-2}, x, 0};
    CHECK_STATUS(st_write(path, &bad_shape, 1, &err), PTM_ERR_ARG);
    st_write_entry bad_ndim = {"x", ST_F32, 9, {2}, x, 0};
    CHECK_STATUS(st_write(path, &bad_ndim, 1, &err), PTM_ERR_ARG);
    st_write_entry no_data = {"x", ST_F32, 1, {2}, NULL, 0};
    CHECK_STATUS(st_write(path, &no_data, 1, &err), PTM_ERR_ARG);
    st_write_entry reserved = {"__metadata__", ST_F32, 1, {2}, x, 0};
    CHECK_STATUS(st_write(path, &reserved, 1, &err), PTM_ERR_ARG);
    st_write_entry bad_utf8 = {"x\xff", ST_F32, 1, {2}, x, 0};
    CHECK_STATUS(st_write(path, &bad_utf8, 1, &err), PTM_ERR_ARG);
    st_write_entry dup[3] = {
        {"x", ST_F32, 1, {2}, x, 0}, {"y", ST_F32, 1, {2}, x, 0}, {"x", ST_F32, 1, {2}, x, 0}};
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
    CHECK_EQ_INT(temporaries_left(), 0);
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
    snprintf(g_dir, sizeof g_dir, "/tmp/ptm_test_io_st_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(st_bad_files);
    RUN(st_other_dtype);
    RUN(st_mutations);
    RUN(st_roundtrip);
    RUN(st_write_errors);
    RUN(st_golden);
    remove_dir();
    return test_summary("test_io_safetensors");
}
