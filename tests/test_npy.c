/* Tests of the .npy reader and writer (src/data/npy.c).
 *
 * Files "written by numpy" are built byte by byte here, so that the test needs no Python;
 * the headers are the ones numpy writes (checked against the real numpy output in
 * shared/reference, which is also read and rewritten byte for byte).
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "data/npy.h"

#ifndef BAYESAMP_SHARED
#error "BAYESAMP_SHARED must name the shared/ folder"
#endif

/* ------------------------------------------------------------------ helpers */

/* A small byte buffer to assemble .npy files in. */
typedef struct bytes {
    unsigned char b[8192];
    size_t n;
} bytes;

static void put(bytes *buf, const void *p, size_t n)
{
    if (buf->n + n > sizeof buf->b) {
        fprintf(stderr, "test buffer too small\n");
        exit(2);
    }
    memcpy(buf->b + buf->n, p, n);
    buf->n += n;
}

static void put_str(bytes *buf, const char *s)
{
    put(buf, s, strlen(s));
}

/* An unsigned integer of nbytes bytes in the given byte order. */
static void put_uint(bytes *buf, uint64_t u, int nbytes, int big_endian)
{
    for (int i = 0; i < nbytes; i++) {
        int shift = 8 * (big_endian ? nbytes - 1 - i : i);
        unsigned char byte = (unsigned char)(u >> shift);
        put(buf, &byte, 1);
    }
}

static void put_f64(bytes *buf, double x, int big_endian)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    put_uint(buf, u, 8, big_endian);
}

static void put_f32(bytes *buf, float x, int big_endian)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    put_uint(buf, u, 4, big_endian);
}

/* Magic, version major.minor, the header length field and the header text. */
static void put_preamble(bytes *buf, int major, int minor, const char *header)
{
    put_str(buf, "\x93NUMPY");
    unsigned char version[2] = {(unsigned char)major, (unsigned char)minor};
    put(buf, version, 2);
    put_uint(buf, strlen(header), major == 1 ? 2 : 4, 0);
    put_str(buf, header);
}

/* A header as numpy writes it for format 1.0: the dict, padded with spaces so that the
 * header ends with '\n' at a multiple of 64 bytes from the file start (the dicts used
 * here all fit in 128 bytes, numpy's layout for them). */
static void numpy_header(char *dst, size_t cap, const char *dict, int prefix_len)
{
    size_t total = 128 - (size_t)prefix_len;
    if (strlen(dict) + 1 > total || total + 1 > cap) {
        fprintf(stderr, "numpy_header: dict too long\n");
        exit(2);
    }
    memset(dst, ' ', total);
    memcpy(dst, dict, strlen(dict));
    dst[total - 1] = '\n';
    dst[total] = '\0';
}

static void join(char *dst, size_t cap, const char *dir, const char *name)
{
    snprintf(dst, cap, "%s/%s", dir, name);
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    size_t w = n ? fwrite(p, 1, n, fp) : 0;
    return (fclose(fp) == 0 && w == n) ? 0 : -1;
}

/* The whole content of a file into a malloc'd buffer (NULL on failure). */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    unsigned char *p = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 4096;
            unsigned char *q = realloc(p, cap);
            if (!q) {
                free(p);
                fclose(fp);
                return NULL;
            }
            p = q;
        }
        size_t got = fread(p + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    fclose(fp);
    *n = len;
    return p;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Remove everything in dir (files and empty sub-folders), then dir itself. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char path[4096];
            join(path, sizeof path, dir, e->d_name);
            if (unlink(path) != 0)
                rmdir(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Write content to dir/name, read it, and expect an error that names the file and
 * contains `expect`. */
static void expect_bad(const char *dir, const char *name, const bytes *content,
                       const char *expect)
{
    char path[4096];
    join(path, sizeof path, dir, name);
    CHECK(write_file(path, content->b, content->n) == 0);
    npy_array a;
    ba_error err = {{0}};
    int rc = npy_read(path, &a, &err);
    CHECK_MSG(rc != 0, "%s was accepted", name);
    CHECK_MSG(strstr(err.msg, path) == err.msg,
              "%s: message does not start with the path: %s", name, err.msg);
    CHECK_MSG(strstr(err.msg, expect) != NULL, "%s: expected '%s' in: %s", name, expect,
              err.msg);
    CHECK_MSG(strchr(err.msg, '\n') == NULL, "%s: message is not one line: %s", name,
              err.msg);
    CHECK(a.data == NULL && a.count == 0);
    if (getenv("TEST_VERBOSE"))
        printf("  %-22s %s\n", name, err.msg);
    npy_free(&a);
    unlink(path);
}

/* A minimal '<f8' file with the given header dict and n_data values 0, 1, 2, ... */
static void small_file(bytes *buf, const char *dict, size_t n_data)
{
    char header[256];
    numpy_header(header, sizeof header, dict, 10);
    buf->n = 0;
    put_preamble(buf, 1, 0, header);
    for (size_t i = 0; i < n_data; i++)
        put_f64(buf, (double)i, 0);
}

/* ------------------------------------------------------------------ round trips */

static void test_round_trip(const char *dir)
{
    char path[4096];
    join(path, sizeof path, dir, "round.npy");
    ba_error err = {{0}};

    /* Values that are easy to get wrong: sign of zero, tiny, huge, infinities. */
    double values[60];
    for (int i = 0; i < 60; i++)
        values[i] = (i - 30) / 3.0 * pow(10.0, (i % 7) - 3);
    values[0] = -0.0;
    values[1] = 1e-300;
    values[2] = -1.7976931348623157e308;
    values[3] = INFINITY;
    values[4] = -INFINITY;
    values[5] = 4.9e-324; /* subnormal */

    const size_t shapes[3][3] = {{0}, {60}, {3, 5, 4}};
    const int ndims[3] = {0, 1, 3};
    for (int s = 0; s < 3; s++) {
        const size_t *shape = shapes[s];
        int ndim = ndims[s];
        size_t count = ndim == 0 ? 1 : 60;

        /* float64: exact */
        CHECK_MSG(npy_write_f64(path, values, ndim, shape, &err) == 0, "%s", err.msg);
        npy_array a;
        CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
        CHECK(a.ndim == ndim && a.count == count && a.data != NULL);
        for (int d = 0; d < ndim && d < a.ndim; d++)
            CHECK(a.shape[d] == shape[d]);
        int same = a.count == count;
        for (size_t i = 0; same && i < count; i++)
            same = memcmp(&a.data[i], &values[i], sizeof(double)) == 0;
        CHECK_MSG(same, "float64 round trip of a %d-d array changed values", ndim);
        npy_free(&a);

        /* float32: exact after rounding to float */
        float values32[60];
        for (int i = 0; i < 60; i++)
            values32[i] = (float)values[i];
        CHECK_MSG(npy_write_f32(path, values32, ndim, shape, &err) == 0, "%s", err.msg);
        CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
        CHECK(a.ndim == ndim && a.count == count);
        same = a.count == count;
        for (size_t i = 0; same && i < count; i++) {
            double expect = (double)values32[i];
            same = memcmp(&a.data[i], &expect, sizeof(double)) == 0;
        }
        CHECK_MSG(same, "float32 round trip of a %d-d array changed values", ndim);
        npy_free(&a);
    }

    /* Empty arrays: a zero anywhere in the shape means no data. */
    const size_t empty_shape[3] = {2, 0, 3};
    CHECK_MSG(npy_write_f64(path, NULL, 3, empty_shape, &err) == 0, "%s", err.msg);
    npy_array a;
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 3 && a.count == 0 && a.shape[1] == 0 && a.shape[2] == 3);
    npy_free(&a);
    const size_t zero[1] = {0};
    CHECK_MSG(npy_write_f32(path, NULL, 1, zero, &err) == 0, "%s", err.msg);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 1 && a.count == 0 && a.shape[0] == 0);
    npy_free(&a);
    npy_free(&a); /* freeing twice is harmless */
    unlink(path);
}

/* The bytes written are exactly what numpy 1.24 writes. */
static void test_written_bytes(const char *dir)
{
    char path[4096];
    join(path, sizeof path, dir, "exact.npy");
    ba_error err = {{0}};
    double values[60];
    for (int i = 0; i < 60; i++)
        values[i] = i;

    /* np.save(path, np.arange(60.).reshape(3, 5, 4)): 128 bytes of header. */
    const size_t shape[3] = {3, 5, 4};
    CHECK(npy_write_f64(path, values, 3, shape, &err) == 0);
    char header[256];
    numpy_header(header, sizeof header,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5, 4), }", 10);
    bytes expect = {.n = 0};
    put_preamble(&expect, 1, 0, header);
    for (int i = 0; i < 60; i++)
        put_f64(&expect, values[i], 0);
    size_t n = 0;
    unsigned char *got = slurp(path, &n);
    CHECK(got && n == expect.n && n == 128 + 480 && memcmp(got, expect.b, n) == 0);
    CHECK(got && n > 10 && got[8] == 118 && got[9] == 0); /* header length, little-endian */
    free(got);

    /* np.save(path, np.float32(2.5)) and np.save(path, np.ones(7, np.float32)) */
    float x = 2.5f;
    CHECK(npy_write_f32(path, &x, 0, NULL, &err) == 0);
    numpy_header(header, sizeof header,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 10);
    expect.n = 0;
    put_preamble(&expect, 1, 0, header);
    const unsigned char two_and_half[4] = {0x00, 0x00, 0x20, 0x40}; /* little-endian */
    put(&expect, two_and_half, 4);
    got = slurp(path, &n);
    CHECK(got && n == expect.n && memcmp(got, expect.b, n) == 0);
    free(got);

    float ones[7] = {1, 1, 1, 1, 1, 1, 1};
    const size_t seven[1] = {7};
    CHECK(npy_write_f32(path, ones, 1, seven, &err) == 0);
    numpy_header(header, sizeof header,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", 10);
    expect.n = 0;
    put_preamble(&expect, 1, 0, header);
    for (int i = 0; i < 7; i++)
        put_f32(&expect, 1.0f, 0);
    got = slurp(path, &n);
    CHECK(got && n == expect.n && memcmp(got, expect.b, n) == 0);
    free(got);

    /* A long header crosses 128 bytes; the data must still start at a multiple of 64,
     * with the header ending in '\n'. A zero dimension makes the array empty whatever the
     * others are. */
    const size_t wide[8] = {0,
                            1000000000000000000,
                            1000000000000000000,
                            1000000000000000000,
                            1000000000000000000,
                            1000000000000000000,
                            1000000000000000000,
                            1000000000000000000};
    CHECK_MSG(npy_write_f64(path, NULL, 8, wide, &err) == 0, "%s", err.msg);
    got = slurp(path, &n);
    const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (0, "
                       "1000000000000000000, 1000000000000000000, 1000000000000000000, "
                       "1000000000000000000, 1000000000000000000, 1000000000000000000, "
                       "1000000000000000000), }";
    if (got && n > 10) {
        size_t hlen = got[8] | (size_t)got[9] << 8;
        CHECK(hlen == 246 && n == 10 + hlen && got[n - 1] == '\n');
        CHECK(n > strlen(dict) + 10 && memcmp(got + 10, dict, strlen(dict)) == 0);
    } else {
        CHECK(0);
    }
    npy_array a;
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 8 && a.count == 0 && a.shape[7] == 1000000000000000000);
    npy_free(&a);
    free(got);
    unlink(path);
}

/* ------------------------------------------------------------------ numpy's files */

static void test_read_handmade(const char *dir)
{
    char path[4096];
    join(path, sizeof path, dir, "hand.npy");
    ba_error err = {{0}};
    npy_array a;
    char header[256];
    bytes buf;

    /* Exactly what numpy 1.24 writes for np.arange(60.).reshape(3, 5, 4) / 2 */
    numpy_header(header, sizeof header,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5, 4), }", 10);
    buf.n = 0;
    put_preamble(&buf, 1, 0, header);
    for (int i = 0; i < 60; i++)
        put_f64(&buf, i * 0.5, 0);
    CHECK(buf.n == 128 + 480);
    CHECK(write_file(path, buf.b, buf.n) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 3 && a.shape[0] == 3 && a.shape[1] == 5 && a.shape[2] == 4);
    CHECK(a.count == 60);
    for (size_t i = 0; i < a.count; i++)
        CHECK(a.data[i] == (double)i * 0.5);
    npy_free(&a);

    /* Big-endian float64, e.g. np.array([[1, -2, 0.1], [...]], dtype='>f8'). The first
     * value is spelled out in bytes so that the test does not share the byte order logic
     * with the code under test. */
    numpy_header(header, sizeof header,
                 "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", 10);
    buf.n = 0;
    put_preamble(&buf, 1, 0, header);
    const unsigned char one_be[8] = {0x3f, 0xf0, 0, 0, 0, 0, 0, 0};
    put(&buf, one_be, 8);
    const double be_values[6] = {1.0, -2.0, 0.1, 1e300, -1e-300, 12345.678};
    for (int i = 1; i < 6; i++)
        put_f64(&buf, be_values[i], 1);
    CHECK(write_file(path, buf.b, buf.n) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.count == 6);
    for (size_t i = 0; i < a.count && i < 6; i++)
        CHECK(a.data[i] == be_values[i]);
    npy_free(&a);

    /* Big-endian float32 */
    numpy_header(header, sizeof header,
                 "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", 10);
    buf.n = 0;
    put_preamble(&buf, 1, 0, header);
    const unsigned char one_and_half_be[4] = {0x3f, 0xc0, 0, 0};
    put(&buf, one_and_half_be, 4);
    const float be32[4] = {1.5f, -3.25f, 0.1f, 3e38f};
    for (int i = 1; i < 4; i++)
        put_f32(&buf, be32[i], 1);
    CHECK(write_file(path, buf.b, buf.n) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 1 && a.shape[0] == 4 && a.count == 4);
    for (size_t i = 0; i < a.count && i < 4; i++)
        CHECK(a.data[i] == (double)be32[i]);
    npy_free(&a);

    /* Little-endian float32 */
    numpy_header(header, sizeof header,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 10);
    buf.n = 0;
    put_preamble(&buf, 1, 0, header);
    const unsigned char minus_two_le[4] = {0, 0, 0, 0xc0};
    put(&buf, minus_two_le, 4);
    put_f32(&buf, 0.1f, 0);
    CHECK(write_file(path, buf.b, buf.n) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.count == 2 && a.data && a.data[0] == -2.0 && a.data[1] == (double)0.1f);
    npy_free(&a);

    /* Format 2.0 (4-byte header length), as numpy writes for huge headers */
    numpy_header(header, sizeof header,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 12);
    buf.n = 0;
    put_preamble(&buf, 2, 0, header);
    for (int i = 0; i < 3; i++)
        put_f64(&buf, 10.0 + i, 0);
    CHECK(buf.n == 128 + 24);
    CHECK(write_file(path, buf.b, buf.n) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 1 && a.count == 3 && a.data && a.data[2] == 12.0);
    npy_free(&a);

    /* Format 3.0 (utf8 header), 0-d array */
    numpy_header(header, sizeof header,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 12);
    buf.n = 0;
    put_preamble(&buf, 3, 0, header);
    put_f64(&buf, -7.5, 0);
    CHECK(write_file(path, buf.b, buf.n) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 0 && a.count == 1 && a.data && a.data[0] == -7.5);
    npy_free(&a);

    /* Other legal spellings of the dict: any key order, double quotes, no trailing
     * comma, extra whitespace and line breaks, old numpy's 16-byte padding, empty data. */
    const char *spellings[] = {
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}\n",
        "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2, 3)}          \n",
        "{ 'descr' :'<f8' ,\n 'fortran_order':False,\t'shape':( 2 ,3 , ) , }  \n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }    \n",
    };
    for (size_t s = 0; s < sizeof spellings / sizeof spellings[0]; s++) {
        buf.n = 0;
        put_preamble(&buf, 1, 0, spellings[s]);
        for (int i = 0; i < 6; i++)
            put_f64(&buf, i, 0);
        CHECK(write_file(path, buf.b, buf.n) == 0);
        int rc = npy_read(path, &a, &err);
        CHECK_MSG(rc == 0, "spelling %zu: %s", s, err.msg);
        CHECK(rc ||
              (a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.data[5] == 5.0));
        npy_free(&a);
    }
    buf.n = 0;
    put_preamble(&buf, 1, 0,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5), }\n");
    CHECK(write_file(path, buf.b, buf.n) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 2 && a.count == 0 && a.shape[1] == 5);
    npy_free(&a);
    unlink(path);
}

/* NaN is data, not an error: the dataset loader checks values. */
static void test_nan(const char *dir)
{
    char path[4096];
    join(path, sizeof path, dir, "nan.npy");
    ba_error err = {{0}};
    npy_array a;
    char header[256];
    bytes buf = {.n = 0};
    numpy_header(header, sizeof header,
                 "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", 10);
    put_preamble(&buf, 1, 0, header);
    put_f32(&buf, NAN, 1);
    put_f32(&buf, 1.0f, 1);
    put_f32(&buf, -INFINITY, 1);
    CHECK(write_file(path, buf.b, buf.n) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.count == 3 && isnan(a.data[0]) && a.data[1] == 1.0 && isinf(a.data[2]));
    npy_free(&a);

    double v[2] = {NAN, 2.0};
    const size_t two[1] = {2};
    CHECK(npy_write_f64(path, v, 1, two, &err) == 0);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.count == 2 && isnan(a.data[0]) && a.data[1] == 2.0);
    npy_free(&a);
    unlink(path);
}

/* ------------------------------------------------------------------ malformed files */

static void test_malformed(const char *dir)
{
    bytes buf;
    char header[256];

    /* Data shorter than the shape says: 60 values announced, 50 present. */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5, 4), }", 50);
    expect_bad(dir, "truncated_data.npy", &buf, "truncated: expected 608 bytes");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5, 4), }", 50);
    expect_bad(dir, "truncated_data2.npy", &buf, "file has 528");

    /* Extra bytes after the data */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 3);
    put_str(&buf, "x");
    expect_bad(dir, "trailing.npy", &buf, "extra bytes after the data: expected 152 bytes");

    /* Header cut short */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 0);
    buf.n = 60;
    expect_bad(dir, "truncated_header.npy", &buf, "truncated header");
    buf.n = 9; /* inside the length field */
    expect_bad(dir, "truncated_length.npy", &buf, "truncated header");
    buf.n = 7; /* inside the version */
    expect_bad(dir, "truncated_version.npy", &buf, "truncated header");
    buf.n = 3; /* inside the magic */
    expect_bad(dir, "truncated_magic.npy", &buf, "truncated header");

    /* Header length pointing beyond the end of the file */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 3);
    buf.b[8] = 0xff;
    buf.b[9] = 0xff;
    expect_bad(dir, "header_beyond.npy", &buf, "header length is 65535 bytes");

    /* Wrong magic; a text file; an empty file */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 3);
    buf.b[0] = 0x92;
    expect_bad(dir, "magic.npy", &buf, "not a .npy file");
    buf.n = 0;
    put_str(&buf, "1.0,2.0,3.0\n");
    expect_bad(dir, "csv.npy", &buf, "not a .npy file");
    buf.n = 0;
    expect_bad(dir, "empty.npy", &buf, "empty file");

    /* Unsupported versions */
    const unsigned char versions[][2] = {{1, 1}, {4, 0}, {0, 0}, {2, 1}};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 3);
        buf.b[6] = versions[i][0];
        buf.b[7] = versions[i][1];
        char expect[64];
        snprintf(expect, sizeof expect, "unsupported .npy format version %d.%d",
                 versions[i][0], versions[i][1]);
        expect_bad(dir, "version.npy", &buf, expect);
    }

    /* Unsupported dtypes, named in the message */
    small_file(&buf, "{'descr': '<i4', 'fortran_order': False, 'shape': (6,), }", 3);
    expect_bad(dir, "int32.npy", &buf, "unsupported dtype '<i4'");
    small_file(&buf, "{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }", 6);
    expect_bad(dir, "complex.npy", &buf, "unsupported dtype '<c16'");
    small_file(&buf, "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", 3);
    expect_bad(dir, "object.npy", &buf, "unsupported dtype '|O'");
    small_file(&buf, "{'descr': 'f8', 'fortran_order': False, 'shape': (3,), }", 3);
    expect_bad(dir, "no_byte_order.npy", &buf, "unsupported dtype 'f8'");
    small_file(&buf, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", 1);
    expect_bad(dir, "half.npy", &buf, "unsupported dtype '<f2'");
    small_file(&buf, "{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (3,), }",
               3);
    expect_bad(dir, "structured.npy", &buf, "structured dtypes");

    /* Fortran order */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", 6);
    expect_bad(dir, "fortran.npy", &buf,
               "Fortran order not supported, save with np.ascontiguousarray");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': false, 'shape': (2, 3), }", 6);
    expect_bad(dir, "lowercase_false.npy", &buf, "True or False");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3), }", 6);
    expect_bad(dir, "fortran_zero.npy", &buf, "True or False");

    /* Missing, extra and repeated keys */
    small_file(&buf, "{'descr': '<f8', 'shape': (3,), }", 3);
    expect_bad(dir, "missing_key.npy", &buf, "key 'fortran_order' is missing");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False}", 1);
    expect_bad(dir, "missing_shape.npy", &buf, "key 'shape' is missing");
    small_file(&buf, "{}", 1);
    expect_bad(dir, "empty_dict.npy", &buf, "key 'descr' is missing");
    small_file(&buf,
               "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'units': 'GeV', }",
               3);
    expect_bad(dir, "extra_key.npy", &buf, "unexpected key 'units'");
    small_file(
        &buf, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}", 3);
    expect_bad(dir, "repeated_key.npy", &buf, "key 'descr' appears twice");

    /* Bad shapes */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", 3);
    expect_bad(dir, "negative.npy", &buf, "negative dimension -3");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, -1), }", 2);
    expect_bad(dir, "negative2.npy", &buf, "negative dimension -1");
    small_file(
        &buf,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", 4);
    expect_bad(dir, "absurd.npy", &buf, "shape (4611686018427387904, 4) is too large");
    small_file(
        &buf,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 4);
    expect_bad(dir, "absurd2.npy", &buf, "too large");
    small_file(
        &buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", 4);
    expect_bad(dir, "bigger_than_file.npy", &buf,
               "truncated: expected 8000000000128 bytes");
    small_file(
        &buf,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (123456789012345678901234,), }",
        1);
    expect_bad(dir, "huge_digits.npy", &buf, "is too large");
    small_file(&buf,
               "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, "
               "1, 1), }",
               1);
    expect_bad(dir, "nine_dims.npy", &buf, "more than 8 dimensions");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3), }", 3);
    expect_bad(dir, "not_a_tuple.npy", &buf, "not a tuple");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': [3], }", 3);
    expect_bad(dir, "list_shape.npy", &buf, "is a list");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3.0,), }", 3);
    expect_bad(dir, "float_dim.npy", &buf, "malformed .npy header");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (03,), }", 3);
    expect_bad(dir, "leading_zero.npy", &buf, "leading zeros");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (,), }", 1);
    expect_bad(dir, "lone_comma.npy", &buf, "malformed .npy header");

    /* Broken dict syntax */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,) }}", 3);
    expect_bad(dir, "garbage_after.npy", &buf, "only padding after the header dict");
    small_file(&buf, "{'descr': '<f8' 'fortran_order': False, 'shape': (3,)}", 3);
    expect_bad(dir, "missing_comma.npy", &buf, "expected ',' or '}' after a value");
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)", 3);
    expect_bad(dir, "unclosed.npy", &buf, "malformed .npy header");
    small_file(&buf, "{'descr: '<f8', 'fortran_order': False, 'shape': (3,)}", 3);
    expect_bad(dir, "bad_quote.npy", &buf, "malformed .npy header");
    small_file(&buf, "{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (3,)}", 3);
    expect_bad(dir, "escape.npy", &buf, "no escapes");
    small_file(&buf, "('descr', '<f8')", 3);
    expect_bad(dir, "not_a_dict.npy", &buf, "expected '{'");
    buf.n = 0;
    put_preamble(&buf, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }  ");
    put_f64(&buf, 1.0, 0);
    expect_bad(dir, "no_newline.npy", &buf, "does not end with a newline");
    buf.n = 0;
    put_preamble(&buf, 1, 0, "");
    expect_bad(dir, "empty_header.npy", &buf, "does not end with a newline");
    /* A NUL byte inside the header */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 3);
    buf.b[10 + 3] = 0;
    expect_bad(dir, "nul.npy", &buf, "malformed .npy header");

    /* Version 2.0 and 3.0 files are validated the same way */
    numpy_header(header, sizeof header,
                 "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 12);
    buf.n = 0;
    put_preamble(&buf, 3, 0, header);
    for (int i = 0; i < 3; i++)
        put_f64(&buf, i, 0);
    expect_bad(dir, "v3_int.npy", &buf, "unsupported dtype '<i8'");
    numpy_header(header, sizeof header,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 12);
    buf.n = 0;
    put_preamble(&buf, 2, 0, header);
    buf.b[11] = 0x80; /* header length 2^31 + 116 */
    expect_bad(dir, "v2_header_beyond.npy", &buf, "truncated header");

    /* Not files */
    char path[4096];
    npy_array a;
    ba_error err = {{0}};
    CHECK(npy_read(dir, &a, &err) != 0);
    CHECK(strstr(err.msg, dir) == err.msg && strstr(err.msg, "directory"));
    CHECK(a.data == NULL);
    join(path, sizeof path, dir, "does_not_exist.npy");
    CHECK(npy_read(path, &a, &err) != 0);
    CHECK(strstr(err.msg, path) == err.msg && strstr(err.msg, "No such file"));
    CHECK(a.data == NULL);
    if (getenv("TEST_VERBOSE"))
        printf("  %-22s %s\n", "missing", err.msg);
}

/* ------------------------------------------------------------------ writing */

static void test_write_errors(const char *dir)
{
    char path[4096];
    ba_error err = {{0}};
    const double v[3] = {1, 2, 3};
    const size_t three[1] = {3};
    int before = count_entries(dir);

    /* A folder that does not exist: an error naming the file, nothing left behind. */
    join(path, sizeof path, dir, "no_such_dir/out.npy");
    CHECK(npy_write_f64(path, v, 1, three, &err) != 0);
    CHECK(strstr(err.msg, path) == err.msg);
    CHECK(count_entries(dir) == before);

    /* The target is a folder: the rename fails, the temporary file is removed. */
    join(path, sizeof path, dir, "a_folder");
    CHECK(mkdir(path, 0700) == 0);
    err.msg[0] = '\0';
    CHECK(npy_write_f64(path, v, 1, three, &err) != 0);
    CHECK(strstr(err.msg, path) == err.msg);
    CHECK(count_entries(dir) == before + 1);
    CHECK(rmdir(path) == 0);

    /* Too many dimensions, missing data */
    join(path, sizeof path, dir, "bad.npy");
    size_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(npy_write_f64(path, v, 9, nine, &err) != 0 && strstr(err.msg, path) == err.msg);
    CHECK(npy_write_f64(path, NULL, 1, three, &err) != 0 &&
          strstr(err.msg, path) == err.msg);
    CHECK(count_entries(dir) == before);

    /* Writing over an existing file replaces it. */
    join(path, sizeof path, dir, "replace.npy");
    CHECK(write_file(path, "old content that is not a .npy file", 35) == 0);
    const size_t two_by_two[2] = {2, 2};
    const float w[4] = {4, 3, 2, 1};
    CHECK_MSG(npy_write_f32(path, w, 2, two_by_two, &err) == 0, "%s", err.msg);
    npy_array a;
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 2 && a.count == 4 && a.data && a.data[0] == 4.0 && a.data[3] == 1.0);
    npy_free(&a);
    CHECK_MSG(npy_write_f64(path, v, 1, three, &err) == 0, "%s", err.msg);
    CHECK_MSG(npy_read(path, &a, &err) == 0, "%s", err.msg);
    CHECK(a.ndim == 1 && a.count == 3 && a.data && a.data[2] == 3.0);
    npy_free(&a);
    CHECK(count_entries(dir) == before + 1); /* no temporary files left */
    unlink(path);
}

/* ------------------------------------------------------------------ real numpy output */

/* Read a file numpy wrote, write it back, and compare the bytes: our reader understands
 * numpy and our writer produces exactly what numpy would. */
static void check_reference(const char *dir, const char *name, int ndim,
                            const size_t *shape)
{
    char ref[4096], copy[4096];
    snprintf(ref, sizeof ref, "%s/reference/%s", BAYESAMP_SHARED, name);
    join(copy, sizeof copy, dir, name);
    ba_error err = {{0}};
    npy_array a;
    int rc = npy_read(ref, &a, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc)
        return;
    CHECK(a.ndim == ndim);
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        CHECK(a.shape[d] == shape[d]);
        count *= shape[d];
    }
    CHECK(a.count == count);
    int finite = 1;
    for (size_t i = 0; i < a.count; i++)
        finite &= isfinite(a.data[i]) != 0;
    CHECK_MSG(finite, "%s has non-finite values", name);

    CHECK_MSG(npy_write_f64(copy, a.data, a.ndim, a.shape, &err) == 0, "%s", err.msg);
    size_t n_ref = 0, n_copy = 0;
    unsigned char *b_ref = slurp(ref, &n_ref), *b_copy = slurp(copy, &n_copy);
    CHECK_MSG(b_ref && b_copy && n_ref == n_copy && memcmp(b_ref, b_copy, n_ref) == 0,
              "rewriting %s does not reproduce numpy's bytes", name);
    free(b_ref);
    free(b_copy);
    npy_free(&a);
    unlink(copy);
}

static void test_reference(const char *dir)
{
    const size_t dat_shape[3] = {200, 5, 4};
    check_reference(dir, "ref_dat.npy", 3, dat_shape);
    const size_t amp_shape[1] = {200};
    check_reference(dir, "ref_amp.npy", 1, amp_shape);

    /* Momenta: the incoming gluons have positive energy (a sanity check that the values,
     * not only the shape, came through). */
    char ref[4096];
    snprintf(ref, sizeof ref, "%s/reference/ref_dat.npy", BAYESAMP_SHARED);
    npy_array a;
    ba_error err = {{0}};
    if (npy_read(ref, &a, &err) == 0) {
        int positive = 1;
        for (size_t i = 0; i < a.shape[0]; i++)
            positive &= a.data[i * 20 + 0] > 0 && a.data[i * 20 + 4] > 0;
        CHECK(positive);
        npy_free(&a);
    }
}

/* Fill a stretch of stack with non-zero bytes, where the next call's locals will sit. */
static void __attribute__((noinline)) dirty_stack(void)
{
    volatile unsigned char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0xa5;
}

/* Regression (found by tests/fuzz/fuzz_npy): npy_read and npy_reader_open copied the
 * whole shape array from a local that was never cleared, so the dimensions beyond ndim
 * held stack garbage. They must be 0, and the in-memory readers agree with the file
 * readers. */
static void test_unused_dims_and_memory_readers(const char *dir)
{
    bytes buf;
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5, 4), }", 0);
    char path[4096];
    join(path, sizeof path, dir, "empty3d.npy");
    CHECK(write_file(path, buf.b, buf.n) == 0);
    ba_error err;
    npy_array a, m;
    dirty_stack();
    CHECK(npy_read(path, &a, &err) == 0);
    dirty_stack();
    CHECK(npy_read_mem(buf.b, buf.n, "mem.npy", &m, &err) == 0);
    CHECK(a.ndim == 3 && a.shape[0] == 0 && a.shape[1] == 5 && a.shape[2] == 4);
    CHECK(memcmp(a.shape, m.shape, sizeof a.shape) == 0 && a.ndim == m.ndim);
    for (int i = 3; i < NPY_MAX_DIMS; i++)
        CHECK_MSG(a.shape[i] == 0, "shape[%d] = %zu beyond ndim", i, a.shape[i]);
    npy_free(&a);
    npy_free(&m);
    npy_reader r;
    dirty_stack();
    CHECK(npy_reader_open(&r, path, &err) == 0);
    for (int i = 3; i < NPY_MAX_DIMS; i++)
        CHECK_MSG(r.shape[i] == 0, "reader shape[%d] = %zu beyond ndim", i, r.shape[i]);
    npy_reader_close(&r);
    unlink(path);

    /* Values and errors from memory are those from a file, under the given name. */
    small_file(&buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 6);
    CHECK(npy_read_mem(buf.b, buf.n, "mem.npy", &m, &err) == 0);
    CHECK(m.count == 6 && m.data[5] == 5.0);
    npy_free(&m);
    CHECK(npy_reader_open_mem(&r, buf.b, buf.n, "mem.npy", &err) == 0);
    double v[2];
    CHECK(npy_reader_read(&r, 3, 2, v, &err) == 0 && v[0] == 3.0 && v[1] == 4.0);
    CHECK(npy_reader_read(&r, 5, 2, v, &err) != 0 && strstr(err.msg, "mem.npy") == err.msg);
    npy_reader_close(&r);
    CHECK(npy_read_mem(buf.b, buf.n - 1, "mem.npy", &m, &err) != 0 &&
          strstr(err.msg, "mem.npy: truncated") == err.msg);
    CHECK(npy_read_mem(NULL, 0, "mem.npy", &m, &err) != 0 &&
          strstr(err.msg, "empty file") != NULL);
}

int main(void)
{
    char dir[] = "/tmp/test_npy_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    test_round_trip(dir);
    test_written_bytes(dir);
    test_read_handmade(dir);
    test_nan(dir);
    test_malformed(dir);
    test_write_errors(dir);
    test_reference(dir);
    test_unused_dims_and_memory_readers(dir);
    CHECK(count_entries(dir) == 0); /* every test cleaned up after itself */
    remove_dir(dir);
    return test_summary("test_npy");
}
