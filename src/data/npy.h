/* Reading and writing numpy .npy files (format versions 1.0, 2.0 and 3.0).
 *
 * Reading accepts little- and big-endian float32 ('<f4', '>f4') and float64 ('<f8',
 * '>f8') in C order, validates every header field (magic, version, header length and
 * padding, the dict's keys and values, shape) and the file size against the shape, and
 * converts the data to native float64. Fortran order is refused with a clear error.
 * Writing produces '<f8' or '<f4' C-order files (version 1.0, or 2.0 when the header
 * would not fit), atomically (temporary file + rename).
 * Files too large for memory are streamed: npy_reader reads any range of values after
 * checking the header and the file size as npy_read does, and npy_writer writes a
 * float64 file of known shape piece by piece, appearing only when committed.
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
#ifndef BA_NPY_H
#define BA_NPY_H

#include <stddef.h>

#include <stdint.h>
#include <stdio.h>

#include "bayesamp.h"
#include "io/atomic_file.h"

#define NPY_MAX_DIMS 8

typedef struct npy_array {
    int ndim;
    size_t shape[NPY_MAX_DIMS];
    size_t count;  /* product of shape (1 for a 0-d array) */
    double *data;  /* count values, C order, native float64 */
} npy_array;

/* Read path into out (allocates out->data). Errors name the file and the problem.
 * Values are not checked: NaN and infinities come back as stored (the dataset loader
 * rejects them where they matter). On failure out is zeroed, so npy_free is safe. */
int npy_read(const char *path, npy_array *out, ba_error *err);
void npy_free(npy_array *a);

/* npy_read of a file already in memory (size bytes at data), with the same checks and
 * errors; name stands for the path in the messages. For the fuzz harnesses and tests:
 * the file readers are exercised without touching the file system. */
int npy_read_mem(const void *data, size_t size, const char *name, npy_array *out,
                 ba_error *err);

/* Write count = prod(shape) values. */
int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape,
                  ba_error *err);
int npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape,
                  ba_error *err);

/* The bytes of array values this process has read from files so far (.npy files here,
 * HDF5 datasets in event_file.c, which adds its own with data_bytes_count). A statistic:
 * BAYESAMP_READ_STATS=1 prints it, and the MPI test checks with it that each rank reads
 * only its share of the events. */
uint64_t data_bytes_read(void);
void data_bytes_count(uint64_t bytes);

/* A .npy file opened for reading ranges of its values. */
typedef struct npy_reader {
    FILE *fp;
    char path[4096];
    int ndim;
    size_t shape[NPY_MAX_DIMS];
    size_t count;          /* product of shape */
    int itemsize, big_endian;
    uint64_t data_offset;  /* bytes before the data */
} npy_reader;

/* Open path and check its header and size (errors as npy_read). */
int npy_reader_open(npy_reader *r, const char *path, ba_error *err);
/* Read the values [first, first + n) in C order as native float64. */
int npy_reader_read(npy_reader *r, size_t first, size_t n, double *out, ba_error *err);
void npy_reader_close(npy_reader *r);
/* npy_reader_open over a file in memory (see npy_read_mem); the buffer must outlive r. */
int npy_reader_open_mem(npy_reader *r, const void *data, size_t size, const char *name,
                        ba_error *err);

/* A '<f8' .npy file written piece by piece into a temporary file beside path. */
typedef struct npy_writer {
    atomic_file af;
    size_t count;    /* values the shape holds */
    size_t written;  /* values appended so far */
    int open;        /* neither committed nor aborted */
} npy_writer;

/* Create the temporary file and write the header for shape (fails early if the folder
 * cannot be written). */
int npy_writer_open(npy_writer *w, const char *path, int ndim, const size_t *shape,
                    ba_error *err);
/* Append n values in C order. On failure the temporary file is removed. */
int npy_writer_append(npy_writer *w, const double *data, size_t n, ba_error *err);
/* Check that exactly count values were appended, then rename into place. */
int npy_writer_commit(npy_writer *w, ba_error *err);
/* The first half of commit: check the count, flush and fsync, but leave the file
 * unnamed; atomic_file_publish(&w->af, ...) then puts it in place (atomic_file.h). */
int npy_writer_sync(npy_writer *w, ba_error *err);
/* Remove the temporary file; the target is untouched. Safe to call twice. */
void npy_writer_abort(npy_writer *w);

#endif
