/* Tests of the safetensors reader and writer: round trips, files written byte by byte as
 * Python's safetensors writes them, every kind of malformed file the reader must reject
 * (with an error that names the file), and atomic replacement on write. All files live in
 * a fresh folder under /tmp that is removed at the end. */
#include "io/safetensors.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* ------------------------------------------------------------------ helpers */

static void join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    CHECK(n == 0 || fwrite(data, 1, n, fp) == n);
    CHECK(fclose(fp) == 0);
}

/* The whole file, or NULL; *n gets its size. */
static unsigned char *read_bytes(const char *path, size_t *n)
{
    *n = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1024, len = 0;
    unsigned char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + len, 1, cap - len, fp)) > 0;) {
        len += got;
        if (len == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    fclose(fp);
    *n = len;
    return buf;
}

static void put_le(unsigned char *p, uint64_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static void put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_le(p, u, 4);
}

static void put_f64(unsigned char *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    put_le(p, u, 8);
}

/* A safetensors file built by hand: the header text, padded with spaces to a multiple of
 * 8 bytes when pad is set (as Python's writer does), then the data bytes. */
static void write_st(const char *path, const char *header, int pad, const void *data,
                     size_t n_data)
{
    size_t len = strlen(header), padded = pad ? (len + 7) / 8 * 8 : len;
    size_t total = 8 + padded + n_data;
    unsigned char *buf = malloc(total);
    CHECK(buf != NULL);
    if (!buf)
        return;
    put_le(buf, padded, 8);
    memcpy(buf + 8, header, len);
    memset(buf + 8 + len, ' ', padded - len);
    if (n_data)
        memcpy(buf + 8 + padded, data, n_data);
    write_bytes(path, buf, total);
    free(buf);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* st_read of path must fail with a message that starts with the path and contains what,
 * and must leave the output empty. */
static void expect_read_fails(const char *path, const char *what)
{
    st_file f;
    ba_error err = {{0}};
    int rc = st_read(path, &f, &err);
    CHECK_MSG(rc == -1, "%s: reading should fail with \"%s\"", path, what);
    CHECK_MSG(starts_with(err.msg, path), "message \"%s\" lacks the path", err.msg);
    CHECK_MSG(strstr(err.msg, what) != NULL, "message \"%s\" lacks \"%s\"", err.msg, what);
    CHECK_MSG(strchr(err.msg, '\n') == NULL, "message \"%s\" is not one line", err.msg);
    CHECK(f.n_tensors == 0 && f.tensors == NULL && f.n_meta == 0 && f.meta == NULL);
    st_free(&f);
}

/* A malformed file from a header (padded) and data, which must fail with what. */
static void expect_bad(const char *dir, const char *header, const void *data, size_t n_data,
                       const char *what)
{
    char path[256];
    join(path, sizeof path, dir, "bad.safetensors");
    write_st(path, header, 1, data, n_data);
    expect_read_fails(path, what);
}

static st_tensor make_tensor(const char *name, st_dtype dtype, int ndim,
                             const size_t *shape, double *data)
{
    st_tensor t;
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "%s", name);
    t.dtype = dtype;
    t.ndim = ndim;
    t.count = 1;
    for (int k = 0; k < ndim; k++) {
        t.shape[k] = shape[k];
        t.count *= shape[k];
    }
    t.data = data;
    return t;
}

/* Number of entries of dir other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        join(path, sizeof path, dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* ------------------------------------------------------------------ tests */

/* Several F32 and F64 tensors (2-d, 1-d, 0-d, empty) and metadata come back exactly. */
static void test_round_trip(const char *dir)
{
    char path[256];
    join(path, sizeof path, dir, "model.safetensors");

    /* F32 values are exactly representable, so the round trip must be exact. */
    double w1[6] = {0.5, -1.25, 3.0, 1e-3f, -65504.0, 0.0};
    double b1[3] = {0.125, -0.0, 7.75};
    double w2[6] = {0.1, -2.0 / 3.0, 1e-300, 1e300, -0.0, 3.141592653589793};
    double scale[1] = {1.0 / 3.0};
    size_t s23[] = {2, 3}, s3[] = {3}, s32[] = {3, 2}, s0[] = {0};
    st_tensor t[] = {
        make_tensor("layers.0.mu_w", ST_F32, 2, s23, w1),
        make_tensor("layers.0.mu_b", ST_F32, 1, s3, b1),
        make_tensor("layers.1.mu_w", ST_F64, 2, s32, w2),
        make_tensor("scale", ST_F64, 0, NULL, scale),
        make_tensor("empty", ST_F32, 1, s0, NULL),
    };
    int nt = (int)(sizeof t / sizeof t[0]);
    st_meta meta[2] = {{"format", "pt"}, {"note", "tab\there, \"quoted\", \xc2\xb5"}};
    ba_error err = {{0}};
    CHECK_MSG(st_write(path, t, nt, meta, 2, &err) == 0, "%s", err.msg);

    st_file f;
    CHECK_MSG(st_read(path, &f, &err) == 0, "%s", err.msg);
    CHECK(f.n_tensors == nt);
    CHECK(f.n_meta == 2);
    for (int i = 0; i < nt && i < f.n_tensors; i++) {
        const st_tensor *a = &t[i], *b = &f.tensors[i]; /* file order = write order */
        CHECK_MSG(strcmp(a->name, b->name) == 0, "%s vs %s", a->name, b->name);
        CHECK(a->dtype == b->dtype);
        CHECK(a->ndim == b->ndim);
        CHECK(a->count == b->count);
        CHECK(b->data != NULL);
        for (int k = 0; k < a->ndim; k++)
            CHECK(a->shape[k] == b->shape[k]);
        for (size_t j = 0; j < a->count; j++)
            CHECK_MSG(memcmp(&a->data[j], &b->data[j], sizeof(double)) == 0,
                      "%s[%zu]: %.17g vs %.17g", a->name, j, a->data[j], b->data[j]);
    }
    const st_tensor *s = st_find_tensor(&f, "scale");
    CHECK(s && s->ndim == 0 && s->count == 1 && s->data[0] == 1.0 / 3.0);
    CHECK(st_find_tensor(&f, "layers.0") == NULL);
    CHECK(st_find_tensor(&f, "nope") == NULL);
    const char *fmt = st_find_meta(&f, "format"), *note = st_find_meta(&f, "note");
    CHECK(fmt && strcmp(fmt, "pt") == 0);
    CHECK(note && strcmp(note, meta[1].value) == 0);
    CHECK(st_find_meta(&f, "missing") == NULL);
    st_free(&f);
    CHECK(f.n_tensors == 0 && f.tensors == NULL);
    st_free(&f); /* twice is harmless */

    /* F32 storage rounds a float64 to the nearest float. */
    double third = 1.0 / 3.0;
    st_tensor r = make_tensor("third", ST_F32, 0, NULL, &third);
    CHECK(st_write(path, &r, 1, NULL, 0, &err) == 0);
    CHECK(st_read(path, &f, &err) == 0);
    CHECK(f.n_tensors == 1 && f.tensors[0].data[0] == (double)(float)third);
    st_free(&f);

    /* Metadata only, no tensors. */
    CHECK(st_write(path, NULL, 0, meta, 1, &err) == 0);
    CHECK(st_read(path, &f, &err) == 0);
    CHECK(f.n_tensors == 0 && f.n_meta == 1);
    st_free(&f);
}

/* The header is padded to 8-byte alignment, holds integer shapes and offsets, and the
 * data follow as little-endian values. */
static void test_header_layout(const char *dir)
{
    char path[256];
    join(path, sizeof path, dir, "layout.safetensors");
    double a[6] = {1, 2, 3, 4, 5, 6}, b[1] = {-2.5};
    size_t s23[] = {2, 3};
    st_tensor t[2] = {make_tensor("a", ST_F32, 2, s23, a),
                      make_tensor("b", ST_F64, 0, NULL, b)};
    st_meta meta[1] = {{"format", "pt"}};
    ba_error err = {{0}};
    CHECK(st_write(path, t, 2, meta, 1, &err) == 0);

    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    CHECK(bytes != NULL && size > 8);
    if (!bytes || size <= 8) {
        free(bytes);
        return;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | bytes[i];
    CHECK((8 + n) % 8 == 0);
    CHECK(8 + n + 24 + 8 == size);
    if (8 + n + 32 != size) {
        free(bytes);
        return;
    }
    char *text = malloc((size_t)n + 1); /* the header alone, NUL-terminated */
    CHECK(text != NULL);
    if (!text) {
        free(bytes);
        return;
    }
    memcpy(text, bytes + 8, (size_t)n);
    text[n] = '\0';
    cJSON *root = cJSON_Parse(text); /* trailing spaces are fine */
    CHECK(root && cJSON_IsObject(root));
    const cJSON *ea = cJSON_GetObjectItemCaseSensitive(root, "a");
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(md, "format")));
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ea, "dtype")));
    cJSON_Delete(root);
    /* Integers, written as integers; the dtypes and offsets as the spec says. */
    CHECK(
        strstr(text, "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"));
    CHECK(strstr(text, "\"b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[24,32]}"));
    /* The padding is spaces after the closing brace. */
    const char *close = strrchr(text, '}');
    CHECK(close != NULL);
    for (const char *p = close ? close + 1 : text; *p; p++)
        CHECK(*p == ' ');
    free(text);
    /* Little-endian values: 2.0f is 0x40000000, -2.5 is 0xc004000000000000. */
    const unsigned char *data = bytes + 8 + n;
    CHECK(data[4] == 0x00 && data[5] == 0x00 && data[6] == 0x00 && data[7] == 0x40);
    CHECK(data[24] == 0x00 && data[30] == 0x04 && data[31] == 0xc0);
    free(bytes);
}

/* Files laid out byte by byte as Python's safetensors writes them. */
static void test_python_layout(const char *dir)
{
    char path[256];
    join(path, sizeof path, dir, "python.safetensors");
    ba_error err = {{0}};
    st_file f;

    unsigned char data[44];
    put_f32(data, 1.5f);
    put_f32(data + 4, -2.25f);
    write_st(path,
             "{\"__metadata__\":{\"format\":\"pt\"},"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
             1, data, 8);
    CHECK_MSG(st_read(path, &f, &err) == 0, "%s", err.msg);
    const st_tensor *a = st_find_tensor(&f, "a");
    CHECK(a && a->dtype == ST_F32 && a->ndim == 1 && a->shape[0] == 2 && a->count == 2);
    CHECK(a && a->data[0] == 1.5 && a->data[1] == -2.25);
    CHECK(st_find_meta(&f, "format") && strcmp(st_find_meta(&f, "format"), "pt") == 0);
    st_free(&f);

    /* Header order differs from data order (Python sorts the data by alignment, then
     * name); whitespace in the JSON; no padding. */
    for (int i = 0; i < 4; i++)
        put_f64(data + 8 * i, 0.25 * (i + 1));
    put_f32(data + 32, 10.0f);
    put_f32(data + 36, 20.0f);
    put_f32(data + 40, 30.0f);
    write_st(
        path,
        "{ \"z\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [32, 44]},\n"
        "  \"m\": {\"data_offsets\": [0, 32], \"shape\": [2, 2], \"dtype\": \"F64\"} }",
        0, data, 44);
    CHECK_MSG(st_read(path, &f, &err) == 0, "%s", err.msg);
    CHECK(f.n_tensors == 2 && f.n_meta == 0);
    const st_tensor *m = st_find_tensor(&f, "m"), *z = st_find_tensor(&f, "z");
    CHECK(m && m->dtype == ST_F64 && m->ndim == 2 && m->shape[0] == 2 && m->shape[1] == 2);
    CHECK(m && m->data[0] == 0.25 && m->data[3] == 1.0);
    CHECK(z && z->count == 3 && z->data[0] == 10.0 && z->data[2] == 30.0);
    st_free(&f);

    /* An empty file in Python's layout: "{}" padded to 8 bytes. */
    write_st(path, "{}", 1, NULL, 0);
    CHECK_MSG(st_read(path, &f, &err) == 0, "%s", err.msg);
    CHECK(f.n_tensors == 0 && f.n_meta == 0);
    st_free(&f);
}

static void test_malformed(const char *dir)
{
    char path[256];
    join(path, sizeof path, dir, "bad.safetensors");
    unsigned char d[32] = {0};

    /* Too short for the header size. */
    write_bytes(path, "\x10\0\0\0\0", 5);
    expect_read_fails(path, "shorter than 8 bytes");
    write_bytes(path, "", 0);
    expect_read_fails(path, "shorter than 8 bytes");

    /* Header size beyond the file, including the largest possible value. */
    unsigned char buf[16];
    put_le(buf, 1000, 8);
    memcpy(buf + 8, "{}      ", 8);
    write_bytes(path, buf, 16);
    expect_read_fails(path, "beyond the end of the file");
    put_le(buf, UINT64_MAX, 8);
    write_bytes(path, buf, 16);
    expect_read_fails(path, "beyond the end of the file");

    /* Not JSON, not an object, not UTF-8. */
    expect_bad(dir, "{\"a\":", NULL, 0, "not valid JSON");
    expect_bad(dir, "", NULL, 0, "not valid JSON");
    expect_bad(dir, "{} x", NULL, 0, "not valid JSON");
    expect_bad(dir, "[1,2]", NULL, 0, "not a JSON object");
    expect_bad(dir, "{\"\xff\":1}", NULL, 0, "not valid UTF-8");
    expect_bad(dir, "{\"a\":3}", NULL, 0, "entry is not an object");
    /* cJSON would cut "a\u0000b" to "a": refused rather than renamed. */
    expect_bad(dir,
               "{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
               NULL, 0, "NUL character");
    char raw_nul[] = "{\"a?b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}";
    char path_nul[256];
    join(path_nul, sizeof path_nul, dir, "nul.safetensors");
    raw_nul[3] = '\0'; /* a raw NUL byte inside the name */
    unsigned char nul_file[8 + sizeof raw_nul - 1];
    put_le(nul_file, sizeof raw_nul - 1, 8);
    memcpy(nul_file + 8, raw_nul, sizeof raw_nul - 1);
    write_bytes(path_nul, nul_file, sizeof nul_file);
    expect_read_fails(path_nul, "NUL character");

    /* Dtypes other than F32 and F64 are named in the error. */
    expect_bad(dir, "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", d,
               8, "dtype I64 not supported");
    expect_bad(dir, "{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", d,
               2, "dtype BF16 not supported");
    expect_bad(dir, "{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4,
               "dtype is not a string");
    expect_bad(dir, "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4,
               "missing dtype");
    expect_bad(dir,
               "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],"
               "\"data_offsets\":[0,4]}}",
               d, 4, "duplicate dtype");

    /* Shapes: negative, fractional, not numbers, too many dimensions, overflowing. */
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", d,
               4, "shape entry 0 is not a non-negative integer");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,1.5],\"data_offsets\":[0,12]}}",
               d, 12, "shape entry 1 is not a non-negative integer");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}",
               d, 8, "shape entry 0 is not a non-negative integer");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", d, 8,
               "shape is not an array");
    expect_bad(dir,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
               "\"data_offsets\":[0,4]}}",
               d, 4, "9 dimensions");
    expect_bad(dir,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
               "\"data_offsets\":[0,4]}}",
               d, 4, "shape too large");
    /* 2^53 + 1 would be rounded to 2^53 by a double: rejected, not rounded. */
    expect_bad(dir,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[9007199254740993],"
               "\"data_offsets\":[0,4]}}",
               d, 4, "shape entry 0 is not a non-negative integer");

    /* Offsets: malformed, reversed, inconsistent with the shape, outside the data. */
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", d, 4,
               "data_offsets is not two non-negative integers");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", d,
               4, "data_offsets is not two non-negative integers");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", d,
               4, "end before begin");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", d,
               4, "span 4 bytes, but shape and dtype need 8");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", d,
               8, "need 16");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d,
               4, "beyond the data section");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", d, 4,
               "missing data_offsets");

    /* The tensors must tile the data section: no overlap, no gap, nothing left over. */
    expect_bad(dir,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
               d, 12, "overlap tensor \"a\"");
    expect_bad(dir,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
               d, 12, "gap of 4 bytes");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d,
               8, "gap of 4 bytes");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d,
               8, "data section has 8 bytes but the tensors cover 4");
    expect_bad(dir, "{}", d, 4, "data section has 4 bytes but the tensors cover 0");

    /* Names: duplicates (cJSON keeps both), too long. */
    expect_bad(dir,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               d, 8, "duplicate name \"a\"");
    char header[512];
    snprintf(header, sizeof header,
             "{\"%0200d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 7);
    expect_bad(dir, header, d, 4, "too long");

    /* Metadata: a map of strings with short keys, once. */
    expect_bad(dir, "{\"__metadata__\":{\"format\":1}}", NULL, 0,
               "__metadata__ \"format\" is not a string");
    expect_bad(dir, "{\"__metadata__\":[\"pt\"]}", NULL, 0,
               "__metadata__ is not an object");
    expect_bad(dir, "{\"__metadata__\":{\"a\":\"x\"},\"__metadata__\":{}}", NULL, 0,
               "duplicate name \"__metadata__\"");
    expect_bad(dir, "{\"__metadata__\":{\"a\":\"x\",\"a\":\"y\"}}", NULL, 0,
               "__metadata__: duplicate key \"a\"");
    snprintf(header, sizeof header, "{\"__metadata__\":{\"%070d\":\"x\"}}", 1);
    expect_bad(dir, header, NULL, 0, "__metadata__ key \"0000");

    /* Not a file at all. */
    join(path, sizeof path, dir, "does-not-exist.safetensors");
    expect_read_fails(path, "cannot open");
    expect_read_fails(dir, "not a regular file");
}

/* Every truncation of a valid file fails, and corrupting any byte never crashes or leaks
 * (the sanitizers in CI watch this). */
static void test_damage(const char *dir)
{
    char good[256], bad[256];
    join(good, sizeof good, dir, "good.safetensors");
    join(bad, sizeof bad, dir, "damaged.safetensors");
    double a[3] = {1, 2, 3}, b[2] = {4, 5};
    size_t s3[] = {3}, s2[] = {2};
    st_tensor t[2] = {make_tensor("a", ST_F32, 1, s3, a),
                      make_tensor("b", ST_F64, 1, s2, b)};
    st_meta meta[1] = {{"format", "pt"}};
    ba_error err = {{0}};
    CHECK(st_write(good, t, 2, meta, 1, &err) == 0);
    size_t n;
    unsigned char *bytes = read_bytes(good, &n);
    CHECK(bytes != NULL);
    if (!bytes)
        return;

    int truncations_failed = 1;
    for (size_t len = 0; len < n; len++) {
        write_bytes(bad, bytes, len);
        st_file f;
        if (st_read(bad, &f, &err) == 0) {
            truncations_failed = 0;
            st_free(&f);
        }
    }
    CHECK(truncations_failed);

    static const unsigned char junk[] = {0x00, 0xff, '"', '}', '9', ' ', 0x80};
    int read_ok = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < sizeof junk; j++) {
            unsigned char keep = bytes[i];
            bytes[i] = junk[j];
            write_bytes(bad, bytes, n);
            bytes[i] = keep;
            st_file f;
            if (st_read(bad, &f, &err) == 0) {
                read_ok++; /* e.g. a changed data byte: still a valid file */
                st_free(&f);
            } else {
                CHECK(starts_with(err.msg, bad));
            }
        }
    }
    CHECK(read_ok > 0);
    free(bytes);
}

/* Writing is atomic: a failed write leaves nothing behind and no old file damaged. */
static void test_write_atomic(const char *dir)
{
    char path[256], missing[256];
    join(path, sizeof path, dir, "atomic.safetensors");
    join(missing, sizeof missing, dir, "no-such-dir/x.safetensors");
    double a[2] = {1, 2}, b[1] = {3};
    size_t s2[] = {2}, s1[] = {1};
    st_tensor ta = make_tensor("a", ST_F32, 1, s2, a),
              tb = make_tensor("b", ST_F64, 1, s1, b);
    ba_error err = {{0}};
    int before = count_entries(dir);

    CHECK(st_write(missing, &ta, 1, NULL, 0, &err) == -1);
    CHECK(starts_with(err.msg, missing));
    CHECK(access(missing, F_OK) != 0);
    CHECK(count_entries(dir) == before);

    /* Replacing an existing file: the reader sees the new contents only, no temp file. */
    st_tensor two[2] = {ta, tb};
    CHECK(st_write(path, two, 2, NULL, 0, &err) == 0);
    CHECK(st_write(path, &tb, 1, NULL, 0, &err) == 0);
    CHECK(count_entries(dir) == before + 1);
    st_file f;
    CHECK(st_read(path, &f, &err) == 0);
    CHECK(f.n_tensors == 1 && st_find_tensor(&f, "a") == NULL);
    CHECK(st_find_tensor(&f, "b") && st_find_tensor(&f, "b")->data[0] == 3.0);
    st_free(&f);

    /* Invalid input is refused before the old file is touched. */
    size_t n_old, n_new;
    unsigned char *old = read_bytes(path, &n_old);
    st_tensor dup[2] = {ta, ta};
    CHECK(st_write(path, dup, 2, NULL, 0, &err) == -1);
    CHECK(strstr(err.msg, "duplicate tensor name \"a\"") != NULL);
    st_tensor wrong = ta;
    wrong.count = 3;
    CHECK(st_write(path, &wrong, 1, NULL, 0, &err) == -1);
    CHECK(strstr(err.msg, "count 3") != NULL);
    st_tensor reserved = ta;
    snprintf(reserved.name, sizeof reserved.name, "__metadata__");
    CHECK(st_write(path, &reserved, 1, NULL, 0, &err) == -1);
    st_meta dmeta[2] = {{"k", "1"}, {"k", "2"}};
    CHECK(st_write(path, &ta, 1, dmeta, 2, &err) == -1);
    unsigned char *now = read_bytes(path, &n_new);
    CHECK(old && now && n_old == n_new && memcmp(old, now, n_old) == 0);
    CHECK(count_entries(dir) == before + 1);
    free(old);
    free(now);
}

int main(void)
{
    char dir[] = "/tmp/test_safetensors.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip(dir);
    test_header_layout(dir);
    test_python_layout(dir);
    test_malformed(dir);
    test_damage(dir);
    test_write_atomic(dir);
    remove_dir(dir);
    CHECK(access(dir, F_OK) != 0);
    return test_summary("test_safetensors");
}
