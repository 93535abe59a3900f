/* safetensors files: an 8-byte little-endian header length N, N bytes of JSON header,
 * then the raw little-endian tensor bytes. The header maps each tensor name to
 * {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the start of the
 * data section) and may hold "__metadata__", a map of string to string.
 * Spec: https://github.com/huggingface/safetensors (format section).
 *
 * This module knows nothing of networks: it reads and writes named F32/F64 tensors and
 * string metadata. Reading validates everything: header length against the file size,
 * JSON syntax, dtypes, shapes, that offsets are in bounds, ordered, non-overlapping and
 * cover the data section exactly, and that sizes match shape times dtype size.
 */
#ifndef BA_SAFETENSORS_H
#define BA_SAFETENSORS_H

#include <stddef.h>

#include "bayesamp.h"

#define ST_MAX_DIMS 8

typedef enum { ST_F32 = 0, ST_F64 = 1 } st_dtype;

typedef struct st_tensor {
    char name[128];
    st_dtype dtype;
    int ndim;
    size_t shape[ST_MAX_DIMS];
    size_t count;   /* product of shape */
    double *data;   /* values converted to native float64 (reading); input (writing) */
} st_tensor;

typedef struct st_meta {
    char key[64];
    char *value;    /* owned, NUL-terminated */
} st_meta;

typedef struct st_file {
    int n_tensors;
    st_tensor *tensors;
    int n_meta;
    st_meta *meta;
} st_file;

/* Write tensors (each stored with its dtype; data given as float64) and metadata,
 * atomically. */
int st_write(const char *path, const st_tensor *tensors, int n_tensors,
             const st_meta *meta, int n_meta, ba_error *err);

/* Read and validate a whole file. */
int st_read(const char *path, st_file *out, ba_error *err);
void st_free(st_file *f);
/* st_read of a file already in memory (size bytes at data), with the same checks;
 * name stands for the path in errors. For the fuzz harnesses and tests. */
int st_read_mem(const void *data, size_t size, const char *name, st_file *out,
                ba_error *err);

/* s, a name or string from a file, made fit for a one-line error message in buf (size
 * >= 8 bytes): control characters become '?', and a long string is cut and ends in
 * "...". Returns buf. */
const char *st_printable(const char *s, char *buf, size_t size);

/* Look-ups in a file read with st_read; NULL when absent. */
const st_tensor *st_find_tensor(const st_file *f, const char *name);
const char *st_find_meta(const st_file *f, const char *key);

#endif
