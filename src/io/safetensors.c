/* Reading and writing safetensors files (see safetensors.h for the format).
 *
 * The reader follows the checks of the reference implementation (huggingface/safetensors,
 * Rust): a header size that fits the file and is at most 100 MB, a UTF-8 JSON object,
 * known dtypes, integer shapes and offsets, sizes that match shape times dtype size, and
 * tensors that, sorted by offset, tile the data section exactly. A file that passes here
 * therefore loads in Python too, and a damaged or hostile file gives a one-line error
 * instead of a crash, with memory use bounded by a small multiple of the file size.
 *
 * Tensors are written in the caller's order, back to back. The header padding makes the
 * data section start 8-byte aligned, but an F64 tensor that follows an odd number of F32
 * values sits only 4-byte aligned; readers copy or handle that (torch and numpy do), and
 * callers that care can list their F64 tensors first.
 */
#include "io/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "io/atomic_file.h"

/* The reference implementation refuses headers above 100 MB (MAX_HEADER_SIZE). */
#define ST_MAX_HEADER 100000000u

/* cJSON keeps every number as a double, which represents integers exactly only below
 * 2^53; anything at or above that may already have been rounded by the parser. */
#define ST_MAX_EXACT_INT 9007199254740992.0

/* Bytes converted per fread/fwrite; any multiple of 8 works. */
#define ST_CHUNK 65536

static const char *const dtype_names[] = {[ST_F32] = "F32", [ST_F64] = "F64"};
static const size_t dtype_sizes[] = {[ST_F32] = 4, [ST_F64] = 8};

/* ------------------------------------------------------------------ helpers */

const char *st_printable(const char *s, char *buf, size_t size)
{
    size_t i = 0, max = size - 4;
    for (; s[i] && i < max; i++)
        buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (s[i]) { /* cut: mark it */
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

/* Strict UTF-8 check (no overlong forms, no surrogates, nothing above U+10FFFF): the
 * header must be UTF-8, and Python rejects files whose header is not. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        unsigned cp = c & (0x7fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* Whether the JSON text escapes a NUL character (\u0000): cJSON would cut the string
 * there, so "a\u0000b" would silently become the name "a". (A raw NUL byte, which JSON
 * forbids anyway, is refused by the caller for the same reason.) */
static int has_nul_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && n - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
            return 1;
        i++; /* skip the escaped character, so that "\\u0000" is not taken as one */
    }
    return 0;
}

/* A JSON number that is a non-negative integer held exactly by a double. Note that cJSON
 * does not keep the text, so "2.0" is indistinguishable from "2" and accepted. */
static int json_uint(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item))
        return -1;
    double d = item->valuedouble;
    if (!(d >= 0.0 && d < ST_MAX_EXACT_INT)) /* also false for NaN */
        return -1;
    uint64_t v = (uint64_t)d;
    if ((double)v != d) /* a fraction */
        return -1;
    *out = v;
    return 0;
}

/* Member key of obj; *count says how many times it occurs (serde rejects duplicate
 * fields, and cJSON would silently take the first). */
static const cJSON *json_member(const cJSON *obj, const char *key, int *count)
{
    const cJSON *found = NULL;
    *count = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (c->string && strcmp(c->string, key) == 0) {
            if (!found)
                found = c;
            (*count)++;
        }
    }
    return found;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Find a duplicate among the keys of obj (sorting, so that a header with a million keys
 * does not take a million squared comparisons). Returns -1 on allocation failure, 1 and
 * *dup when a key repeats, 0 otherwise. */
static int find_duplicate_key(const cJSON *obj, const char **dup)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n < 2)
        return 0;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys)
        return -1;
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        keys[i++] = c->string ? c->string : "";
    qsort(keys, n, sizeof *keys, compare_strings);
    int found = 0;
    for (i = 1; i < n && !found; i++) {
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            *dup = keys[i];
            found = 1;
        }
    }
    free(keys);
    return found;
}

/* ------------------------------------------------------------------ reading */

/* A tensor being read, with its byte range in the data section. */
typedef struct entry {
    st_tensor t;
    uint64_t begin, end;
    size_t order; /* position in the header, to break ties in the sort */
} entry;

static int compare_entries(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Parse one header entry into e (everything but the data). */
static int parse_entry(const char *path, const cJSON *item, entry *e, ba_error *err)
{
    char nb[80];
    const char *name = st_printable(item->string, nb, sizeof nb);
    if (strlen(item->string) >= sizeof e->t.name)
        return ba_fail(err, "%s: tensor name \"%s\" too long (%zu bytes, at most %zu)",
                       path, name, strlen(item->string), sizeof e->t.name - 1);
    strcpy(e->t.name, item->string);
    if (!cJSON_IsObject(item))
        return ba_fail(err, "%s: tensor \"%s\": entry is not an object", path, name);

    int count;
    const cJSON *dtype = json_member(item, "dtype", &count);
    if (count != 1)
        return ba_fail(err, "%s: tensor \"%s\": %s dtype", path, name,
                       count ? "duplicate" : "missing");
    if (!cJSON_IsString(dtype))
        return ba_fail(err, "%s: tensor \"%s\": dtype is not a string", path, name);
    if (strcmp(dtype->valuestring, "F32") == 0) {
        e->t.dtype = ST_F32;
    } else if (strcmp(dtype->valuestring, "F64") == 0) {
        e->t.dtype = ST_F64;
    } else {
        char db[40];
        return ba_fail(err, "%s: tensor \"%s\": dtype %s not supported (only F32 and F64)",
                       path, name, st_printable(dtype->valuestring, db, sizeof db));
    }

    const cJSON *shape = json_member(item, "shape", &count);
    if (count != 1)
        return ba_fail(err, "%s: tensor \"%s\": %s shape", path, name,
                       count ? "duplicate" : "missing");
    if (!cJSON_IsArray(shape))
        return ba_fail(err, "%s: tensor \"%s\": shape is not an array", path, name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > ST_MAX_DIMS)
        return ba_fail(err, "%s: tensor \"%s\": %d dimensions, at most %d supported", path,
                       name, ndim, ST_MAX_DIMS);
    e->t.ndim = ndim;
    size_t elements = 1;
    int k = 0;
    for (const cJSON *d = shape->child; d; d = d->next, k++) {
        uint64_t v;
        if (json_uint(d, &v) || v > SIZE_MAX)
            return ba_fail(err,
                           "%s: tensor \"%s\": shape entry %d is not a non-negative "
                           "integer",
                           path, name, k);
        /* Overflow is checked for each partial product, as the reference does. */
        if (v != 0 && elements > SIZE_MAX / v)
            return ba_fail(err, "%s: tensor \"%s\": shape too large", path, name);
        e->t.shape[k] = (size_t)v;
        elements *= (size_t)v;
    }
    e->t.count = elements;
    size_t esize = dtype_sizes[e->t.dtype];
    if (elements > UINT64_MAX / esize)
        return ba_fail(err, "%s: tensor \"%s\": shape too large", path, name);
    uint64_t nbytes = (uint64_t)elements * esize;

    const cJSON *offs = json_member(item, "data_offsets", &count);
    if (count != 1)
        return ba_fail(err, "%s: tensor \"%s\": %s data_offsets", path, name,
                       count ? "duplicate" : "missing");
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        json_uint(offs->child, &e->begin) || json_uint(offs->child->next, &e->end))
        return ba_fail(err,
                       "%s: tensor \"%s\": data_offsets is not two non-negative "
                       "integers",
                       path, name);
    if (e->begin > e->end)
        return ba_fail(err, "%s: tensor \"%s\": data_offsets [%llu, %llu] end before begin",
                       path, name, (unsigned long long)e->begin,
                       (unsigned long long)e->end);
    if (e->end - e->begin != nbytes)
        return ba_fail(err,
                       "%s: tensor \"%s\": data_offsets [%llu, %llu] span %llu bytes, "
                       "but shape and dtype need %llu",
                       path, name, (unsigned long long)e->begin, (unsigned long long)e->end,
                       (unsigned long long)(e->end - e->begin), (unsigned long long)nbytes);
    return 0;
}

static int parse_metadata(const char *path, const cJSON *md, st_file *out, ba_error *err)
{
    if (!cJSON_IsObject(md))
        return ba_fail(err, "%s: __metadata__ is not an object", path);
    const char *dup = NULL;
    int d = find_duplicate_key(md, &dup);
    if (d != 0) {
        char kb[80];
        return d < 0 ? ba_fail(err, "%s: out of memory", path)
                     : ba_fail(err, "%s: __metadata__: duplicate key \"%s\"", path,
                               st_printable(dup, kb, sizeof kb));
    }
    int n = cJSON_GetArraySize(md);
    if (n == 0)
        return 0;
    out->meta = calloc((size_t)n, sizeof *out->meta);
    if (!out->meta)
        return ba_fail(err, "%s: out of memory", path);
    for (const cJSON *c = md->child; c; c = c->next) {
        char kb[80];
        const char *key = st_printable(c->string, kb, sizeof kb);
        if (!cJSON_IsString(c))
            return ba_fail(err, "%s: __metadata__ \"%s\" is not a string", path, key);
        st_meta *m = &out->meta[out->n_meta];
        if (strlen(c->string) >= sizeof m->key)
            return ba_fail(err, "%s: __metadata__ key \"%s\" too long (at most %zu bytes)",
                           path, key, sizeof m->key - 1);
        strcpy(m->key, c->string);
        size_t len = strlen(c->valuestring);
        m->value = malloc(len + 1);
        if (!m->value)
            return ba_fail(err, "%s: out of memory", path);
        memcpy(m->value, c->valuestring, len + 1);
        out->n_meta++;
    }
    return 0;
}

/* Read the data section, tensor after tensor: once the tensors are known to tile it, they
 * follow each other in the file in the order of e. Values are converted in chunks, so no
 * second copy of the raw bytes is held. */
static int read_data(const char *path, FILE *fp, entry *e, size_t n, ba_error *err)
{
    unsigned char *buf = malloc(ST_CHUNK);
    if (!buf)
        return ba_fail(err, "%s: out of memory", path);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        st_tensor *t = &e[i].t;
        char nb[80];
        const char *name = st_printable(t->name, nb, sizeof nb);
        /* One extra element so that an empty tensor still gets a non-NULL pointer. */
        t->data = malloc((t->count + 1) * sizeof *t->data);
        if (!t->data) {
            rc = ba_fail(err, "%s: out of memory for tensor \"%s\"", path, name);
            break;
        }
        size_t esize = dtype_sizes[t->dtype], per_chunk = ST_CHUNK / esize;
        for (size_t done = 0; done < t->count && rc == 0;) {
            size_t m = t->count - done < per_chunk ? t->count - done : per_chunk;
            if (fread(buf, esize, m, fp) != m) {
                rc =
                    ba_fail(err, "%s: unexpected end of file in tensor \"%s\"", path, name);
                break;
            }
            for (size_t j = 0; j < m; j++) {
                const unsigned char *p = buf + j * esize;
                /* Little-endian on disk whatever the machine's byte order. */
                uint64_t bits = 0;
                for (size_t b = esize; b > 0; b--)
                    bits = (bits << 8) | p[b - 1];
                if (t->dtype == ST_F32) {
                    uint32_t u = (uint32_t)bits;
                    float f;
                    memcpy(&f, &u, sizeof f);
                    t->data[done + j] = f;
                } else {
                    double d;
                    memcpy(&d, &bits, sizeof d);
                    t->data[done + j] = d;
                }
            }
            done += m;
        }
    }
    free(buf);
    return rc;
}

/* Everything after the file is open and its size known; fills out or fails. */
static int read_file(const char *path, FILE *fp, uint64_t file_size, st_file *out,
                     ba_error *err)
{
    unsigned char lenbuf[8];
    if (file_size < 8 || fread(lenbuf, 1, 8, fp) != 8)
        return ba_fail(err, "%s: not a safetensors file: shorter than 8 bytes", path);
    uint64_t n = 0;
    for (int b = 7; b >= 0; b--)
        n = (n << 8) | lenbuf[b];
    if (n > file_size - 8)
        return ba_fail(err,
                       "%s: not a safetensors file: header size %llu beyond the end of "
                       "the file (%llu bytes)",
                       path, (unsigned long long)n, (unsigned long long)file_size);
    if (n > ST_MAX_HEADER)
        return ba_fail(err, "%s: header size %llu too large (at most %u)", path,
                       (unsigned long long)n, ST_MAX_HEADER);
    uint64_t data_size = file_size - 8 - n;

    char *text = malloc((size_t)n + 1);
    if (!text)
        return ba_fail(err, "%s: out of memory", path);
    if (fread(text, 1, (size_t)n, fp) != (size_t)n) {
        free(text);
        return ba_fail(err, "%s: unexpected end of file in header", path);
    }
    text[n] = '\0'; /* cJSON is given the length, but a terminator costs nothing */
    if (!utf8_valid((const unsigned char *)text, (size_t)n)) {
        free(text);
        return ba_fail(err, "%s: header is not valid UTF-8", path);
    }
    if (memchr(text, '\0', (size_t)n) || has_nul_escape(text, (size_t)n)) {
        free(text);
        return ba_fail(err, "%s: header contains a NUL character (\\u0000)", path);
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, (size_t)n, &end, 0);
    /* After the JSON value only whitespace may follow (writers pad with spaces). */
    int trailing = 0;
    if (root) {
        for (const char *p = end; p < text + n; p++)
            if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
                trailing = 1;
    }
    if (!root || trailing) {
        /* On failure cJSON also points end at the offending byte. */
        size_t at = end ? (size_t)(end - text) : 0;
        cJSON_Delete(root);
        free(text);
        return ba_fail(err, "%s: header is not valid JSON (at byte %zu of %llu)", path, at,
                       (unsigned long long)n);
    }
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ba_fail(err, "%s: header is not a JSON object", path);
    }

    const char *dup = NULL;
    int d = find_duplicate_key(root, &dup);
    if (d != 0) {
        char nb[80];
        int rc = d < 0 ? ba_fail(err, "%s: out of memory", path)
                       : ba_fail(err, "%s: duplicate name \"%s\" in header", path,
                                 st_printable(dup, nb, sizeof nb));
        cJSON_Delete(root);
        return rc;
    }

    size_t n_entries = 0;
    const cJSON *metadata = NULL;
    for (const cJSON *c = root->child; c; c = c->next) {
        if (strcmp(c->string, "__metadata__") == 0)
            metadata = c;
        else
            n_entries++;
    }
    if (n_entries > INT_MAX) { /* n_tensors is an int */
        cJSON_Delete(root);
        return ba_fail(err, "%s: too many tensors", path);
    }

    int rc = 0;
    entry *e = calloc(n_entries + 1, sizeof *e);
    if (!e)
        rc = ba_fail(err, "%s: out of memory", path);
    if (rc == 0 && metadata)
        rc = parse_metadata(path, metadata, out, err);
    size_t i = 0;
    for (const cJSON *c = root->child; c && rc == 0; c = c->next) {
        if (c == metadata)
            continue;
        e[i].order = i;
        rc = parse_entry(path, c, &e[i], err);
        i++;
    }
    cJSON_Delete(root);

    /* Sorted by offset, the tensors must cover [0, data_size) without overlap or gap. */
    if (rc == 0) {
        qsort(e, n_entries, sizeof *e, compare_entries);
        uint64_t pos = 0;
        for (i = 0; i < n_entries && rc == 0; i++) {
            char nb[80], pb[80];
            const char *name = st_printable(e[i].t.name, nb, sizeof nb);
            unsigned long long b = e[i].begin, en = e[i].end;
            if (e[i].begin < pos) /* only possible for i > 0 */
                rc = ba_fail(err,
                             "%s: tensor \"%s\": data_offsets [%llu, %llu] overlap "
                             "tensor \"%s\"",
                             path, name, b, en, st_printable(e[i - 1].t.name, pb, sizeof pb));
            else if (e[i].begin > pos)
                rc = ba_fail(err,
                             "%s: tensor \"%s\": data_offsets [%llu, %llu] leave a gap "
                             "of %llu bytes before it",
                             path, name, b, en, (unsigned long long)(e[i].begin - pos));
            else if (e[i].end > data_size)
                rc = ba_fail(err,
                             "%s: tensor \"%s\": data_offsets [%llu, %llu] beyond the "
                             "data section (%llu bytes)",
                             path, name, b, en, (unsigned long long)data_size);
            pos = e[i].end;
        }
        if (rc == 0 && pos != data_size)
            rc = ba_fail(err, "%s: data section has %llu bytes but the tensors cover %llu",
                         path, (unsigned long long)data_size, (unsigned long long)pos);
    }

    if (rc == 0)
        rc = read_data(path, fp, e, n_entries, err);

    if (rc == 0 && n_entries > 0) {
        out->tensors = malloc(n_entries * sizeof *out->tensors);
        if (!out->tensors)
            rc = ba_fail(err, "%s: out of memory", path);
    }
    if (rc == 0) {
        for (i = 0; i < n_entries; i++)
            out->tensors[i] = e[i].t; /* ownership of data moves to out */
        out->n_tensors = (int)n_entries;
    } else if (e) {
        for (i = 0; i < n_entries; i++)
            free(e[i].t.data);
    }
    free(e);
    return rc;
}

int st_read(const char *path, st_file *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ba_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0) {
        int e = errno;
        fclose(fp);
        return ba_fail(err, "%s: cannot read: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        fclose(fp);
        return ba_fail(err, "%s: not a regular file", path);
    }
    int rc = read_file(path, fp, (uint64_t)sb.st_size, out, err);
    fclose(fp);
    if (rc != 0)
        st_free(out); /* leaves *out zeroed */
    return rc;
}

int st_read_mem(const void *data, size_t size, const char *name, st_file *out,
                ba_error *err)
{
    memset(out, 0, sizeof *out);
    /* fmemopen wants a non-NULL buffer even for size 0 (refused by read_file). */
    static char empty[1];
    FILE *fp = fmemopen(size ? (void *)data : empty, size, "rb");
    if (!fp)
        return ba_fail(err, "%s: cannot open the buffer: %s", name, strerror(errno));
    setvbuf(fp, NULL, _IONBF, 0); /* the bytes are in memory already */
    int rc = read_file(name, fp, (uint64_t)size, out, err);
    fclose(fp);
    if (rc != 0)
        st_free(out);
    return rc;
}

void st_free(st_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_tensors; i++)
        free(f->tensors[i].data);
    free(f->tensors);
    for (int i = 0; i < f->n_meta; i++)
        free(f->meta[i].value);
    free(f->meta);
    memset(f, 0, sizeof *f);
}

const st_tensor *st_find_tensor(const st_file *f, const char *name)
{
    for (int i = 0; f && i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

const char *st_find_meta(const st_file *f, const char *key)
{
    for (int i = 0; f && i < f->n_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0)
            return f->meta[i].value;
    return NULL;
}

/* ------------------------------------------------------------------ writing */

/* An integer as a raw JSON number: cJSON's own number printer writes values of 1e15 and
 * above in exponent notation, which readers of the format reject for offsets. */
static int add_integer(cJSON *array, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    cJSON *item = cJSON_CreateRaw(buf);
    if (item && cJSON_AddItemToArray(array, item))
        return 1;
    cJSON_Delete(item);
    return 0;
}

/* Check the caller's tensors and metadata before anything is written. */
static int check_inputs(const char *path, const st_tensor *tensors, int n_tensors,
                        const st_meta *meta, int n_meta, ba_error *err)
{
    if (n_tensors < 0 || n_meta < 0 || (n_tensors > 0 && !tensors) || (n_meta > 0 && !meta))
        return ba_fail(err, "%s: invalid tensor or metadata list", path);
    for (int i = 0; i < n_tensors; i++) {
        const st_tensor *t = &tensors[i];
        if (!memchr(t->name, '\0', sizeof t->name))
            return ba_fail(err, "%s: tensor %d: name not terminated", path, i);
        if (strcmp(t->name, "__metadata__") == 0 ||
            !utf8_valid((const unsigned char *)t->name, strlen(t->name)))
            return ba_fail(err, "%s: tensor %d: invalid name", path, i);
        for (int j = 0; j < i; j++)
            if (strcmp(tensors[j].name, t->name) == 0)
                return ba_fail(err, "%s: duplicate tensor name \"%s\"", path, t->name);
        if (t->dtype != ST_F32 && t->dtype != ST_F64)
            return ba_fail(err, "%s: tensor \"%s\": unknown dtype", path, t->name);
        if (t->ndim < 0 || t->ndim > ST_MAX_DIMS)
            return ba_fail(err, "%s: tensor \"%s\": %d dimensions", path, t->name, t->ndim);
        size_t elements = 1;
        for (int k = 0; k < t->ndim; k++) {
            if (t->shape[k] != 0 && elements > SIZE_MAX / t->shape[k])
                return ba_fail(err, "%s: tensor \"%s\": shape too large", path, t->name);
            elements *= t->shape[k];
        }
        if (elements != t->count)
            return ba_fail(err,
                           "%s: tensor \"%s\": count %zu differs from the product of "
                           "the shape, %zu",
                           path, t->name, t->count, elements);
        if (elements > 0 && !t->data)
            return ba_fail(err, "%s: tensor \"%s\": no data", path, t->name);
    }
    for (int i = 0; i < n_meta; i++) {
        const st_meta *m = &meta[i];
        if (!memchr(m->key, '\0', sizeof m->key) || !m->value ||
            !utf8_valid((const unsigned char *)m->key, strlen(m->key)) ||
            !utf8_valid((const unsigned char *)m->value, strlen(m->value)))
            return ba_fail(err, "%s: metadata %d: invalid key or value", path, i);
        for (int j = 0; j < i; j++)
            if (strcmp(meta[j].key, m->key) == 0)
                return ba_fail(err, "%s: duplicate metadata key \"%s\"", path, m->key);
    }
    return 0;
}

/* The JSON header (unpadded), or NULL when out of memory or the sizes overflow. */
static char *make_header(const st_tensor *tensors, int n_tensors, const st_meta *meta,
                         int n_meta)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    if (ok && n_meta > 0) {
        cJSON *md = cJSON_AddObjectToObject(root, "__metadata__");
        ok = md != NULL;
        for (int i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(md, meta[i].key, meta[i].value) != NULL;
    }
    uint64_t offset = 0;
    for (int i = 0; ok && i < n_tensors; i++) {
        const st_tensor *t = &tensors[i];
        size_t esize = dtype_sizes[t->dtype];
        if (t->count > (UINT64_MAX - offset) / esize) {
            ok = 0;
            break;
        }
        uint64_t end = offset + (uint64_t)t->count * esize;
        /* Keys in the order the reference writer uses. */
        cJSON *item = cJSON_AddObjectToObject(root, t->name);
        ok = item && cJSON_AddStringToObject(item, "dtype", dtype_names[t->dtype]);
        cJSON *shape = ok ? cJSON_AddArrayToObject(item, "shape") : NULL;
        cJSON *offs = shape ? cJSON_AddArrayToObject(item, "data_offsets") : NULL;
        ok = offs != NULL;
        for (int k = 0; ok && k < t->ndim; k++)
            ok = add_integer(shape, t->shape[k]);
        ok = ok && add_integer(offs, offset) && add_integer(offs, end);
        offset = end;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static int write_le(FILE *fp, uint64_t v, size_t nbytes)
{
    unsigned char b[8];
    for (size_t i = 0; i < nbytes; i++, v >>= 8)
        b[i] = (unsigned char)(v & 0xff);
    return fwrite(b, 1, nbytes, fp) == nbytes ? 0 : -1;
}

/* The values of t in its dtype, little-endian. */
static int write_values(FILE *fp, const st_tensor *t, unsigned char *buf)
{
    size_t esize = dtype_sizes[t->dtype], per_chunk = ST_CHUNK / esize;
    for (size_t done = 0; done < t->count;) {
        size_t m = t->count - done < per_chunk ? t->count - done : per_chunk;
        for (size_t j = 0; j < m; j++) {
            uint64_t bits;
            if (t->dtype == ST_F32) {
                float f = (float)t->data[done + j]; /* rounds to nearest */
                uint32_t u;
                memcpy(&u, &f, sizeof u);
                bits = u;
            } else {
                memcpy(&bits, &t->data[done + j], sizeof bits);
            }
            for (size_t b = 0; b < esize; b++, bits >>= 8)
                buf[j * esize + b] = (unsigned char)(bits & 0xff);
        }
        if (fwrite(buf, esize, m, fp) != m)
            return -1;
        done += m;
    }
    return 0;
}

int st_write(const char *path, const st_tensor *tensors, int n_tensors, const st_meta *meta,
             int n_meta, ba_error *err)
{
    if (check_inputs(path, tensors, n_tensors, meta, n_meta, err))
        return -1;
    char *header = make_header(tensors, n_tensors, meta, n_meta);
    if (!header)
        return ba_fail(err, "%s: cannot build header: out of memory or tensors too large",
                       path);
    /* Pad with spaces so that the data section starts 8-byte aligned, as the reference
     * writer does; readers may then map the values in place. */
    size_t len = strlen(header);
    size_t padded = (len + 7) / 8 * 8;
    unsigned char *buf = malloc(ST_CHUNK);
    if (!buf) {
        free(header);
        return ba_fail(err, "%s: out of memory", path);
    }

    atomic_file af;
    int rc = atomic_file_open(&af, path, err);
    if (rc == 0) {
        int bad = write_le(af.fp, padded, 8) || fwrite(header, 1, len, af.fp) != len;
        for (size_t i = len; i < padded && !bad; i++)
            bad = fputc(' ', af.fp) == EOF;
        for (int i = 0; i < n_tensors && !bad; i++)
            bad = write_values(af.fp, &tensors[i], buf);
        if (bad) {
            int e = errno;
            atomic_file_abort(&af);
            rc = ba_fail(err, "%s: cannot write: %s", path, strerror(e ? e : EIO));
        } else {
            rc = atomic_file_commit(&af, err);
        }
    }
    free(buf);
    free(header);
    return rc;
}
