/* Reading and writing numpy .npy files; see npy.h and
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *
 * File layout: "\x93NUMPY", major and minor version bytes, the header length (2 bytes
 * little-endian in version 1.0, 4 bytes in 2.0 and 3.0), the header (the repr() of a
 * Python dict with the keys 'descr', 'fortran_order' and 'shape', padded with spaces and
 * ended by '\n'), then the raw data.
 *
 * The reader trusts nothing in the file: every length is checked against the file size
 * before anything is allocated or read, so a corrupt or hostile file gives an error
 * message, never a crash or a huge allocation. Values are not checked: NaN and infinity
 * are read as they are (the dataset loader decides what is acceptable).
 */
#include "data/npy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "io/atomic_file.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* numpy pads magic + length + header to a multiple of this, so that the data is aligned
 * for memory mapping. */
#define NPY_ALIGN 64
/* numpy leaves this many characters for the first dimension, filling the unused ones
 * with spaces, so that a growing file can rewrite its header in place. We do the same to
 * produce byte-identical files. */
#define NPY_GROWTH_AXIS_MAX_DIGITS 21
/* Data is converted in chunks of this many bytes (a multiple of 8). */
#define NPY_CHUNK 65536

/* ------------------------------------------------------------------ small helpers */

/* Copy the n bytes at s into dst (capacity cap >= 8) for quoting in an error message:
 * printable ASCII as is, anything else as \xNN, shortened with "..." if too long. */
static void quote_bytes(char *dst, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char piece[8];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            snprintf(piece, sizeof piece, "%c", ch);
        else
            snprintf(piece, sizeof piece, "\\x%02x", ch);
        size_t len = strlen(piece);
        if (k + len + 4 > cap) { /* keep room for "..." and the terminating 0 */
            memcpy(dst + k, "...", 3);
            k += 3;
            break;
        }
        memcpy(dst + k, piece, len);
        k += len;
    }
    dst[k] = '\0';
}

/* Write a shape as Python's repr() of a tuple does: "()", "(3,)", "(2, 3)". The buffer
 * must hold NPY_SHAPE_REPR_MAX bytes. */
#define NPY_SHAPE_REPR_MAX (2 + NPY_MAX_DIMS * 22 + 1)
static void format_shape(char *dst, int ndim, const size_t *shape)
{
    size_t k = 0;
    dst[k++] = '(';
    for (int i = 0; i < ndim; i++) {
        k += (size_t)snprintf(dst + k, NPY_SHAPE_REPR_MAX - k, i ? ", %zu" : "%zu",
                              shape[i]);
    }
    if (ndim == 1)
        dst[k++] = ',';
    dst[k++] = ')';
    dst[k] = '\0';
}

/* Assemble an integer from bytes in a given byte order. Going through integer
 * arithmetic (instead of reinterpreting memory) makes the result independent of the
 * host's byte order; the only assumption is that the host stores floating-point numbers
 * in the same byte order as integers, which holds on every platform we care about. */
static uint64_t load_uint(const unsigned char *b, int nbytes, int big_endian)
{
    uint64_t u = 0;
    for (int i = 0; i < nbytes; i++) {
        int shift = 8 * (big_endian ? nbytes - 1 - i : i);
        u |= (uint64_t)b[i] << shift;
    }
    return u;
}

/* Whether values stored in this byte order are the host's (numpy's '<' on x86): they are
 * then copied as they are instead of being assembled byte by byte, which took a
 * map-mode prediction of 600k events from 0.256 to 0.206 s (BENCHMARKS.md, "Issue 12,
 * sixth round"). */
static int host_order(int big_endian)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return !big_endian;
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return big_endian;
#else
    (void)big_endian;
    return 0;
#endif
}

static void store_uint_le(unsigned char *b, uint64_t u, int nbytes)
{
    for (int i = 0; i < nbytes; i++)
        b[i] = (unsigned char)(u >> (8 * i));
}

/* ------------------------------------------------------------------ header parsing */

/* What the header dict says, before its values are checked. */
typedef struct npy_header {
    const char *descr; /* points into the header text, not 0-terminated */
    size_t descr_len;
    int fortran_order;
    int ndim;
    uint64_t shape[NPY_MAX_DIMS];
    int has_descr, has_fortran_order, has_shape;
} npy_header;

/* A position in the header text; errors report offsets from begin. */
typedef struct cursor {
    const char *begin, *p, *end;
    const char *path;
    ba_error *err;
} cursor;

static int is_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
}

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_word_char(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch) ||
           ch == '_';
}

/* The next character, or -1 at the end of the header. */
static int peek(const cursor *c)
{
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static void skip_space(cursor *c)
{
    while (c->p < c->end && is_space((unsigned char)*c->p))
        c->p++;
}

/* Skip spaces, then consume ch if it comes next. */
static int accept(cursor *c, char ch)
{
    skip_space(c);
    if (peek(c) == (unsigned char)ch) {
        c->p++;
        return 1;
    }
    return 0;
}

static int syntax_error(const cursor *c, const char *expected)
{
    char found[16];
    int ch = peek(c);
    if (ch < 0)
        snprintf(found, sizeof found, "end of header");
    else if (ch >= 0x20 && ch < 0x7f)
        snprintf(found, sizeof found, "\"%c\"", ch);
    else
        snprintf(found, sizeof found, "byte 0x%02x", (unsigned)ch);
    return ba_fail(c->err,
                   "%s: malformed .npy header: expected %s at header offset %zu, "
                   "found %s",
                   c->path, expected, (size_t)(c->p - c->begin), found);
}

/* A quoted Python string without escapes (numpy never writes any in a header). */
static int parse_string(cursor *c, const char **s, size_t *len)
{
    skip_space(c);
    int quote = peek(c);
    if (quote != '\'' && quote != '"')
        return syntax_error(c, "a quoted string");
    c->p++;
    const char *start = c->p;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || *c->p == '\n')
            return syntax_error(c, "a plain string (no escapes or line breaks)");
        c->p++;
    }
    if (c->p == c->end)
        return syntax_error(c, "the end of the string");
    *s = start;
    *len = (size_t)(c->p - start);
    c->p++;
    return 0;
}

/* Python's True or False. */
static int parse_bool(cursor *c, int *value)
{
    skip_space(c);
    const char *start = c->p;
    while (c->p < c->end && is_word_char((unsigned char)*c->p))
        c->p++;
    size_t n = (size_t)(c->p - start);
    if (n == 4 && memcmp(start, "True", 4) == 0) {
        *value = 1;
        return 0;
    }
    if (n == 5 && memcmp(start, "False", 5) == 0) {
        *value = 0;
        return 0;
    }
    c->p = start;
    return syntax_error(c, "True or False for 'fortran_order'");
}

/* One dimension: a non-negative decimal integer that fits 64 bits. */
static int parse_dim(cursor *c, uint64_t *value)
{
    skip_space(c);
    const char *start = c->p;
    int negative = peek(c) == '-';
    if (negative)
        c->p++;
    if (!is_digit(peek(c)))
        return syntax_error(c, "an integer dimension");
    const char *digits = c->p;
    uint64_t v = 0;
    int overflow = 0;
    while (is_digit(peek(c))) {
        unsigned d = (unsigned)(*c->p - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = 1;
        else
            v = 10 * v + d;
        c->p++;
    }
    size_t n = (size_t)(c->p - start);
    char text[48];
    quote_bytes(text, sizeof text, start, n);
    /* Python 3 itself refuses 007; numpy never writes it. */
    if (c->p - digits > 1 && *digits == '0')
        return ba_fail(c->err, "%s: malformed .npy header: dimension %s has leading zeros",
                       c->path, text);
    if (negative)
        return ba_fail(c->err, "%s: negative dimension %s in shape", c->path, text);
    if (overflow || v > SIZE_MAX)
        return ba_fail(c->err, "%s: dimension %s in shape is too large", c->path, text);
    *value = v;
    return 0;
}

/* A Python tuple of dimensions: (), (3,), (2, 3) or (2, 3,). */
static int parse_shape(cursor *c, npy_header *h)
{
    skip_space(c);
    if (peek(c) == '[')
        return ba_fail(c->err, "%s: malformed .npy header: 'shape' is a list, not a tuple",
                       c->path);
    if (!accept(c, '('))
        return syntax_error(c, "'(' to start the shape tuple");
    h->ndim = 0;
    if (accept(c, ')'))
        return 0;
    for (;;) {
        uint64_t dim = 0;
        if (parse_dim(c, &dim))
            return -1;
        if (h->ndim == NPY_MAX_DIMS)
            return ba_fail(c->err,
                           "%s: shape has more than %d dimensions (at most %d "
                           "supported)",
                           c->path, NPY_MAX_DIMS, NPY_MAX_DIMS);
        h->shape[h->ndim++] = dim;
        if (accept(c, ',')) {
            if (accept(c, ')'))
                return 0;
        } else if (accept(c, ')')) {
            /* In Python "(3)" is the number 3, not a tuple. */
            if (h->ndim == 1)
                return ba_fail(c->err,
                               "%s: malformed .npy header: 'shape' is not a tuple "
                               "(a 1-d shape is written (n,))",
                               c->path);
            return 0;
        } else {
            return syntax_error(c, "',' or ')' in the shape tuple");
        }
    }
}

static int duplicate_key(const cursor *c, const char *key)
{
    return ba_fail(c->err, "%s: malformed .npy header: key '%s' appears twice", c->path,
                   key);
}

/* Parse the header text: a dict literal with exactly the three keys, in any order, with
 * optional trailing comma, followed by nothing but whitespace. */
static int parse_header(const char *text, size_t len, const char *path, npy_header *h,
                        ba_error *err)
{
    memset(h, 0, sizeof *h);
    cursor c = {text, text, text + len, path, err};
    if (len == 0 || text[len - 1] != '\n')
        return ba_fail(err, "%s: malformed .npy header: does not end with a newline", path);
    if (!accept(&c, '{'))
        return syntax_error(&c, "'{' to start the header dict");
    for (;;) {
        if (accept(&c, '}'))
            break; /* empty dict, or after a trailing comma */
        const char *key;
        size_t key_len;
        if (parse_string(&c, &key, &key_len))
            return -1;
        if (!accept(&c, ':'))
            return syntax_error(&c, "':' after the key");
        if (key_len == 5 && memcmp(key, "descr", 5) == 0) {
            if (h->has_descr)
                return duplicate_key(&c, "descr");
            skip_space(&c);
            if (peek(&c) == '[')
                return ba_fail(err,
                               "%s: structured dtypes (a list as 'descr') are not "
                               "supported, only float32 and float64 arrays",
                               path);
            if (parse_string(&c, &h->descr, &h->descr_len))
                return -1;
            h->has_descr = 1;
        } else if (key_len == 13 && memcmp(key, "fortran_order", 13) == 0) {
            if (h->has_fortran_order)
                return duplicate_key(&c, "fortran_order");
            if (parse_bool(&c, &h->fortran_order))
                return -1;
            h->has_fortran_order = 1;
        } else if (key_len == 5 && memcmp(key, "shape", 5) == 0) {
            if (h->has_shape)
                return duplicate_key(&c, "shape");
            if (parse_shape(&c, h))
                return -1;
            h->has_shape = 1;
        } else {
            char name[48];
            quote_bytes(name, sizeof name, key, key_len);
            return ba_fail(err,
                           "%s: malformed .npy header: unexpected key '%s' (expected "
                           "'descr', 'fortran_order', 'shape')",
                           path, name);
        }
        if (accept(&c, ','))
            continue;
        if (accept(&c, '}'))
            break;
        return syntax_error(&c, "',' or '}' after a value");
    }
    skip_space(&c);
    if (c.p != c.end)
        return syntax_error(&c, "only padding after the header dict");
    const char *missing = !h->has_descr           ? "descr"
                          : !h->has_fortran_order ? "fortran_order"
                          : !h->has_shape         ? "shape"
                                                  : NULL;
    if (missing)
        return ba_fail(err, "%s: malformed .npy header: key '%s' is missing", path,
                       missing);
    return 0;
}

/* ------------------------------------------------------------------ reading */

/* Read exactly n bytes; a short read means the file changed or an I/O error. */
static int read_exact(FILE *fp, void *buf, size_t n, const char *path, ba_error *err)
{
    if (fread(buf, 1, n, fp) == n)
        return 0;
    if (ferror(fp))
        return ba_fail(err, "%s: read error: %s", path, strerror(errno));
    return ba_fail(err, "%s: unexpected end of file (was it modified while reading?)",
                   path);
}

/* What a header says about the data that follows it. */
typedef struct npy_layout {
    int ndim;
    size_t shape[NPY_MAX_DIMS];
    size_t count;          /* number of values */
    int itemsize;          /* 4 or 8 */
    int big_endian;
    const char *descr;     /* "<f8", ... (a string constant) */
    uint64_t data_offset;  /* bytes before the data */
} npy_layout;

/* The size of the open file fp, which must be a regular file: every later length is
 * checked against it. */
static int regular_file_size(FILE *fp, const char *path, uint64_t *size, ba_error *err)
{
    struct stat st;
    if (fstat(fileno(fp), &st) != 0)
        return ba_fail(err, "%s: cannot stat: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ba_fail(err, "%s: is a directory, not a .npy file", path);
    if (!S_ISREG(st.st_mode))
        return ba_fail(err, "%s: not a regular file", path);
    /* From here on all sizes are compared as uint64_t: a regular file's size is >= 0. */
    *size = (uint64_t)st.st_size;
    return 0;
}

/* Read and check everything up to the data: magic, version, header, dtype, shape, and
 * the file size against the shape. fp is at the start of a file of file_size bytes
 * (a real file, or a buffer opened with fmemopen); leaves it at the first data byte. */
static int read_layout(FILE *fp, uint64_t file_size, const char *path, npy_layout *out,
                       ba_error *err)
{
    /* Callers copy the whole shape array: the dimensions beyond ndim must be 0, not
     * whatever was on the stack (found by the fuzz harness, which compares the shapes
     * of npy_read and npy_reader). */
    memset(out, 0, sizeof *out);
    if (file_size == 0)
        return ba_fail(err, "%s: empty file, not a .npy file", path);

    /* Magic and version. */
    unsigned char pre[12];
    size_t got = fread(pre, 1, 8, fp);
    if (ferror(fp))
        return ba_fail(err, "%s: read error: %s", path, strerror(errno));
    size_t magic_got = got < NPY_MAGIC_LEN ? got : NPY_MAGIC_LEN;
    if (memcmp(pre, NPY_MAGIC, magic_got) != 0)
        return ba_fail(err, "%s: not a .npy file (does not start with \\x93NUMPY)", path);
    if (got < 8)
        return ba_fail(err, "%s: truncated header: file has only %zu bytes", path, got);
    int major = pre[6], minor = pre[7];
    if (!((major == 1 || major == 2 || major == 3) && minor == 0))
        return ba_fail(err,
                       "%s: unsupported .npy format version %d.%d (supported: 1.0, "
                       "2.0, 3.0)",
                       path, major, minor);

    /* Header length: 2 bytes in version 1.0, 4 bytes since 2.0. */
    int len_bytes = major == 1 ? 2 : 4;
    uint64_t prefix_len = 8 + (uint64_t)len_bytes;
    if (file_size < prefix_len)
        return ba_fail(err, "%s: truncated header: file has only %llu bytes", path,
                       (unsigned long long)file_size);
    if (read_exact(fp, pre + 8, (size_t)len_bytes, path, err))
        return -1;
    uint64_t header_len = load_uint(pre + 8, len_bytes, 0);
    if (header_len > file_size - prefix_len)
        return ba_fail(err,
                       "%s: truncated header: header length is %llu bytes but only "
                       "%llu bytes follow",
                       path, (unsigned long long)header_len,
                       (unsigned long long)(file_size - prefix_len));

    /* The header itself; its size is bounded by the file size checked above. */
    char *text = malloc(header_len ? (size_t)header_len : 1);
    if (!text)
        return ba_fail(err, "%s: out of memory reading the header", path);
    npy_header h;
    int rc = read_exact(fp, text, (size_t)header_len, path, err);
    if (!rc)
        rc = parse_header(text, (size_t)header_len, path, &h, err);
    /* Check the dtype while the header text (which h.descr points into) still exists. */
    int itemsize = 0, big_endian = 0;
    const char *descr = NULL;
    if (!rc) {
        static const struct {
            const char *descr;
            int itemsize, big_endian;
        } known[] = {{"<f8", 8, 0}, {">f8", 8, 1}, {"<f4", 4, 0}, {">f4", 4, 1}};
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            if (h.descr_len == 3 && memcmp(h.descr, known[i].descr, 3) == 0) {
                descr = known[i].descr;
                itemsize = known[i].itemsize;
                big_endian = known[i].big_endian;
            }
        }
        if (!itemsize) {
            char name[48];
            quote_bytes(name, sizeof name, h.descr, h.descr_len);
            rc = ba_fail(err,
                         "%s: unsupported dtype '%s': only float32 and float64 ('<f4', "
                         "'>f4', '<f8', '>f8') are supported, convert with "
                         "arr.astype(np.float64)",
                         path, name);
        }
    }
    free(text);
    if (rc)
        return -1;
    if (h.fortran_order)
        return ba_fail(err,
                       "%s: Fortran order not supported, save with "
                       "np.ascontiguousarray",
                       path);

    /* Number of values, refusing shapes whose byte count does not fit size_t. Any zero
     * dimension makes an empty array, whatever the others are. */
    out->ndim = h.ndim;
    size_t count = 1;
    int has_zero = 0;
    for (int i = 0; i < h.ndim; i++) {
        out->shape[i] = (size_t)h.shape[i]; /* parse_dim checked <= SIZE_MAX */
        if (h.shape[i] == 0)
            has_zero = 1;
    }
    char shape_text[NPY_SHAPE_REPR_MAX];
    format_shape(shape_text, out->ndim, out->shape);
    if (has_zero) {
        count = 0;
    } else {
        for (int i = 0; i < h.ndim; i++) {
            if (out->shape[i] > SIZE_MAX / (size_t)itemsize / count)
                return ba_fail(err, "%s: shape %s is too large", path, shape_text);
            count *= out->shape[i];
        }
    }
    /* count * itemsize fits size_t now; also make sure the whole file size does. */
    uint64_t data_bytes = (uint64_t)count * (uint64_t)itemsize;
    uint64_t data_offset = prefix_len + header_len;
    if (data_bytes > UINT64_MAX - data_offset)
        return ba_fail(err, "%s: shape %s is too large", path, shape_text);
    uint64_t expected = data_offset + data_bytes;
    if (file_size < expected)
        return ba_fail(err,
                       "%s: truncated: expected %llu bytes for shape %s of '%s', file "
                       "has %llu",
                       path, (unsigned long long)expected, shape_text, descr,
                       (unsigned long long)file_size);
    if (file_size > expected)
        return ba_fail(err,
                       "%s: extra bytes after the data: expected %llu bytes for shape "
                       "%s of '%s', file has %llu",
                       path, (unsigned long long)expected, shape_text, descr,
                       (unsigned long long)file_size);

    /* The data now fits in the file, so count * sizeof(double) <= 2 * file size; check
     * anyway rather than rely on that. */
    if (count > SIZE_MAX / sizeof(double))
        return ba_fail(err, "%s: shape %s is too large", path, shape_text);
    out->count = count;
    out->itemsize = itemsize;
    out->big_endian = big_endian;
    out->descr = descr;
    out->data_offset = data_offset;
    return 0;
}

static _Atomic uint64_t g_bytes_read;

uint64_t data_bytes_read(void) { return g_bytes_read; }
void data_bytes_count(uint64_t bytes) { g_bytes_read += bytes; }

/* Read n values from the current position of fp into out as native float64. */
static int read_values(FILE *fp, const char *path, const npy_layout *lay, size_t n_values,
                       double *out, ba_error *err)
{
    /* float64 in the host's byte order goes straight to out; anything else is converted
     * in chunks: read raw bytes, assemble each value in the file's byte order. A small
     * read (predict's pieces, one event) gets a buffer of its own size rather than the
     * full chunk. */
    int rc = 0, itemsize = lay->itemsize, big_endian = lay->big_endian;
    if (n_values == 0) /* out may be NULL: nothing to hand to fread */
        return 0;
    if (itemsize == 8 && host_order(big_endian)) { /* float64 as it is: straight to out */
        rc = read_exact(fp, out, n_values * sizeof *out, path, err);
        data_bytes_count(n_values * sizeof *out);
        return rc;
    }
    size_t per_chunk = NPY_CHUNK / (size_t)itemsize;
    if (n_values < per_chunk)
        per_chunk = n_values;
    unsigned char *chunk = malloc(per_chunk * (size_t)itemsize);
    if (!chunk)
        return ba_fail(err, "%s: out of memory", path);
    for (size_t done = 0; done < n_values && !rc;) {
        size_t n = n_values - done < per_chunk ? n_values - done : per_chunk;
        rc = read_exact(fp, chunk, n * (size_t)itemsize, path, err);
        data_bytes_count(n * (size_t)itemsize);
        if (!rc && itemsize == 4 && host_order(big_endian)) {
            for (size_t i = 0; i < n; i++) {
                float v;
                memcpy(&v, chunk + 4 * i, sizeof v);
                out[done + i] = (double)v;
            }
            done += n;
            continue;
        }
        for (size_t i = 0; i < n && !rc; i++) {
            const unsigned char *b = chunk + i * (size_t)itemsize;
            if (itemsize == 8) {
                uint64_t u = load_uint(b, 8, big_endian);
                double v;
                memcpy(&v, &u, sizeof v);
                out[done + i] = v;
            } else {
                uint32_t u = (uint32_t)load_uint(b, 4, big_endian);
                float v;
                memcpy(&v, &u, sizeof v);
                out[done + i] = (double)v;
            }
        }
        done += n;
    }
    free(chunk);
    return rc;
}

static int read_open_file(FILE *fp, uint64_t file_size, const char *path, npy_array *out,
                          ba_error *err)
{
    npy_layout lay;
    if (read_layout(fp, file_size, path, &lay, err))
        return -1;
    out->ndim = lay.ndim;
    memcpy(out->shape, lay.shape, sizeof out->shape);
    out->count = lay.count;
    out->data = malloc(lay.count ? lay.count * sizeof(double) : 1);
    if (!out->data) {
        char shape_text[NPY_SHAPE_REPR_MAX];
        format_shape(shape_text, lay.ndim, lay.shape);
        return ba_fail(err, "%s: out of memory for shape %s", path, shape_text);
    }
    return read_values(fp, path, &lay, lay.count, out->data, err);
}

int npy_read(const char *path, npy_array *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ba_fail(err, "%s: cannot open: %s", path, strerror(errno));
    uint64_t size = 0;
    int rc = regular_file_size(fp, path, &size, err);
    if (!rc)
        rc = read_open_file(fp, size, path, out, err);
    fclose(fp);
    if (rc) {
        npy_free(out);
        return -1;
    }
    return 0;
}

/* A read-only stream over size bytes of memory. fmemopen wants a non-NULL buffer even
 * for size 0 (an empty "file", which read_layout then refuses). */
static FILE *open_memory(const void *data, size_t size, const char *name, ba_error *err)
{
    static char empty[1];
    FILE *fp = fmemopen(size ? (void *)data : empty, size, "rb");
    if (!fp)
        ba_fail(err, "%s: cannot open the buffer: %s", name, strerror(errno));
    else /* the bytes are in memory already: no stdio buffer to fill and copy from */
        setvbuf(fp, NULL, _IONBF, 0);
    return fp;
}

int npy_read_mem(const void *data, size_t size, const char *name, npy_array *out,
                 ba_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = open_memory(data, size, name, err);
    if (!fp)
        return -1;
    int rc = read_open_file(fp, size, name, out, err);
    fclose(fp);
    if (rc) {
        npy_free(out);
        return -1;
    }
    return 0;
}

void npy_free(npy_array *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ------------------------------------------------------------------ streaming reads */

/* Check the header of fp (file_size bytes, at its start) and take fp into r; on failure
 * fp is closed. */
static int reader_attach(npy_reader *r, FILE *fp, uint64_t file_size, ba_error *err)
{
    npy_layout lay;
    if (read_layout(fp, file_size, r->path, &lay, err)) {
        fclose(fp);
        memset(r, 0, sizeof *r);
        return -1;
    }
    r->fp = fp;
    r->ndim = lay.ndim;
    memcpy(r->shape, lay.shape, sizeof r->shape);
    r->count = lay.count;
    r->itemsize = lay.itemsize;
    r->big_endian = lay.big_endian;
    r->data_offset = lay.data_offset;
    return 0;
}

/* The name goes into r->path, for the error messages. */
static int reader_set_name(npy_reader *r, const char *name, ba_error *err)
{
    memset(r, 0, sizeof *r);
    if (strlen(name) >= sizeof r->path)
        return ba_fail(err, "%s: path too long", name);
    strcpy(r->path, name);
    return 0;
}

int npy_reader_open(npy_reader *r, const char *path, ba_error *err)
{
    if (reader_set_name(r, path, err))
        return -1;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ba_fail(err, "%s: cannot open: %s", path, strerror(errno));
    uint64_t size = 0;
    if (regular_file_size(fp, path, &size, err)) {
        fclose(fp);
        memset(r, 0, sizeof *r);
        return -1;
    }
    return reader_attach(r, fp, size, err);
}

int npy_reader_open_mem(npy_reader *r, const void *data, size_t size, const char *name,
                        ba_error *err)
{
    if (reader_set_name(r, name, err))
        return -1;
    FILE *fp = open_memory(data, size, name, err);
    if (!fp) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    return reader_attach(r, fp, size, err);
}

int npy_reader_read(npy_reader *r, size_t first, size_t n, double *out, ba_error *err)
{
    if (first > r->count || n > r->count - first)
        return ba_fail(err, "%s: values %zu to %zu requested, the file has %zu", r->path,
                       first, first + n, r->count);
    if (n == 0)
        return 0;
    /* first * itemsize < file size, which fits off_t (it came from fstat) */
    off_t at = (off_t)(r->data_offset + (uint64_t)first * (uint64_t)r->itemsize);
    if (fseeko(r->fp, at, SEEK_SET) != 0)
        return ba_fail(err, "%s: cannot seek: %s", r->path, strerror(errno));
    npy_layout lay = {.itemsize = r->itemsize, .big_endian = r->big_endian};
    return read_values(r->fp, r->path, &lay, n, out, err);
}

void npy_reader_close(npy_reader *r)
{
    if (r->fp)
        fclose(r->fp);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ writing */

/* The number of values of a shape; fails if the byte count does not fit size_t. */
static int shape_count(const char *path, int itemsize, int ndim, const size_t *shape,
                       size_t *count, ba_error *err)
{
    if (ndim < 0 || ndim > NPY_MAX_DIMS)
        return ba_fail(err, "%s: cannot write %d dimensions (at most %d)", path, ndim,
                       NPY_MAX_DIMS);
    if (ndim > 0 && !shape)
        return ba_fail(err, "%s: cannot write: no shape given", path);
    int has_zero = 0;
    for (int i = 0; i < ndim; i++)
        has_zero |= shape[i] == 0;
    *count = 1;
    for (int i = 0; i < ndim && !has_zero; i++) {
        if (shape[i] > SIZE_MAX / (size_t)itemsize / *count)
            return ba_fail(err, "%s: cannot write: shape too large", path);
        *count *= shape[i];
    }
    if (has_zero)
        *count = 0;
    return 0;
}

/* Write magic, version and the header exactly as numpy writes it (format.py,
 * _write_array_header): keys in sorted order, "growth" spaces for the first dimension,
 * then spaces up to the next multiple of NPY_ALIGN (a full NPY_ALIGN if already aligned)
 * and '\n'. Returns 1 if every byte was written. */
static int write_header(FILE *fp, int is_f64, int ndim, const size_t *shape)
{
    char shape_text[NPY_SHAPE_REPR_MAX];
    format_shape(shape_text, ndim, shape);
    char dict[128 + NPY_SHAPE_REPR_MAX];
    int dict_len = snprintf(dict, sizeof dict,
                            "{'descr': '%s', 'fortran_order': False, "
                            "'shape': %s, }",
                            is_f64 ? "<f8" : "<f4", shape_text);
    size_t growth = 0;
    if (ndim > 0) {
        char first[24];
        size_t digits = (size_t)snprintf(first, sizeof first, "%zu", shape[0]);
        growth = NPY_GROWTH_AXIS_MAX_DIGITS - digits; /* a size_t has at most 20 digits */
    }
    size_t text_len = (size_t)dict_len + growth + 1; /* + '\n' */
    /* Version 1.0 stores the header length in 2 bytes; numpy switches to 2.0 (4 bytes)
     * when it does not fit. With NPY_MAX_DIMS = 8 the header is always far smaller, but
     * this keeps the files valid should the limit ever grow. */
    size_t prefix_len = 10;
    size_t pad = NPY_ALIGN - (prefix_len + text_len) % NPY_ALIGN;
    int major = 1;
    if (text_len + pad > 65535) {
        major = 2;
        prefix_len = 12;
        pad = NPY_ALIGN - (prefix_len + text_len) % NPY_ALIGN;
    }
    size_t header_len = text_len + pad;

    unsigned char prefix[12];
    memcpy(prefix, NPY_MAGIC, NPY_MAGIC_LEN);
    prefix[6] = (unsigned char)major;
    prefix[7] = 0;
    store_uint_le(prefix + 8, header_len, major == 1 ? 2 : 4);
    int ok = fwrite(prefix, 1, prefix_len, fp) == prefix_len &&
             fwrite(dict, 1, (size_t)dict_len, fp) == (size_t)dict_len;
    for (size_t i = 0; ok && i < growth + pad; i++)
        ok = fputc(' ', fp) != EOF;
    return ok && fputc('\n', fp) != EOF;
}

/* Write count values (float64 if is_f64, else float32) little-endian whatever the host:
 * as they are on a little-endian host, else byte by byte in chunks. Returns 1 if every
 * byte was written. */
static int write_values(FILE *fp, const void *data, int is_f64, size_t count)
{
    const double *f64 = is_f64 ? data : NULL;
    const float *f32 = is_f64 ? NULL : data;
    size_t itemsize = is_f64 ? 8 : 4;
    if (count == 0) /* data may be NULL: nothing to hand to fwrite */
        return 1;
    if (host_order(0)) /* little-endian, as the header says: the values as they are */
        return fwrite(data, itemsize, count, fp) == count;
    unsigned char chunk[4096];
    size_t per_chunk = sizeof chunk / itemsize;
    int ok = 1;
    for (size_t done = 0; ok && done < count;) {
        size_t n = count - done < per_chunk ? count - done : per_chunk;
        for (size_t i = 0; i < n; i++) {
            if (is_f64) {
                uint64_t u;
                memcpy(&u, &f64[done + i], sizeof u);
                store_uint_le(chunk + 8 * i, u, 8);
            } else {
                uint32_t u;
                memcpy(&u, &f32[done + i], sizeof u);
                store_uint_le(chunk + 4 * i, u, 4);
            }
        }
        ok = fwrite(chunk, itemsize, n, fp) == n;
        done += n;
    }
    return ok;
}

static int write_failed(atomic_file *af, const char *path, ba_error *err)
{
    int e = errno;
    atomic_file_abort(af);
    return ba_fail(err, "%s: cannot write: %s", path, strerror(e ? e : EIO));
}

/* Write the whole file (header and data) atomically. data holds float64 values if
 * is_f64, else float32 values. */
static int write_npy(const char *path, const void *data, int is_f64, int ndim,
                     const size_t *shape, ba_error *err)
{
    size_t count = 0;
    if (shape_count(path, is_f64 ? 8 : 4, ndim, shape, &count, err))
        return -1;
    if (count > 0 && !data)
        return ba_fail(err, "%s: cannot write: no data", path);
    atomic_file af;
    if (atomic_file_open(&af, path, err))
        return -1;
    if (!write_header(af.fp, is_f64, ndim, shape) || !write_values(af.fp, data, is_f64, count))
        return write_failed(&af, path, err);
    return atomic_file_commit(&af, err);
}

int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape,
                  ba_error *err)
{
    return write_npy(path, data, 1, ndim, shape, err);
}

int npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape,
                  ba_error *err)
{
    return write_npy(path, data, 0, ndim, shape, err);
}

/* ------------------------------------------------------------------ streaming writes */

int npy_writer_open(npy_writer *w, const char *path, int ndim, const size_t *shape,
                    ba_error *err)
{
    memset(w, 0, sizeof *w);
    if (shape_count(path, 8, ndim, shape, &w->count, err))
        return -1;
    if (atomic_file_open(&w->af, path, err))
        return -1;
    if (!write_header(w->af.fp, 1, ndim, shape))
        return write_failed(&w->af, path, err);
    w->open = 1;
    return 0;
}

int npy_writer_append(npy_writer *w, const double *data, size_t n, ba_error *err)
{
    if (!w->open)
        return ba_fail(err, "npy writer used after commit or abort");
    if (n > w->count - w->written) {
        npy_writer_abort(w);
        return ba_fail(err, "%s: cannot write: %zu values beyond the %zu of the shape",
                       w->af.path, w->written + n - w->count, w->count);
    }
    if (!write_values(w->af.fp, data, 1, n)) {
        w->open = 0;
        return write_failed(&w->af, w->af.path, err);
    }
    w->written += n;
    return 0;
}

/* The end of writing, before the file is committed or synced: every value given. */
static int writer_finish(npy_writer *w, ba_error *err)
{
    if (!w->open)
        return ba_fail(err, "npy writer used after commit or abort");
    if (w->written != w->count) {
        npy_writer_abort(w);
        return ba_fail(err, "%s: cannot write: %zu of %zu values given", w->af.path,
                       w->written, w->count);
    }
    w->open = 0;
    return 0;
}

int npy_writer_commit(npy_writer *w, ba_error *err)
{
    return writer_finish(w, err) ? -1 : atomic_file_commit(&w->af, err);
}

int npy_writer_sync(npy_writer *w, ba_error *err)
{
    return writer_finish(w, err) ? -1 : atomic_file_sync(&w->af, err);
}

void npy_writer_abort(npy_writer *w)
{
    if (w->open)
        atomic_file_abort(&w->af);
    w->open = 0;
}
