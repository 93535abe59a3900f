/* Reading and writing numpy .npy files (format versions 1.0, 2.0 and 3.0).
 *
 * Reading accepts little- and big-endian float32 ('<f4', '>f4') and float64 ('<f8',
 * '>f8') in C order, validates every header field (magic, version, header length and
 * padding, the dict's keys and values, shape) and the file size against the shape, and
 * converts the data to native float64. Fortran order is refused with a clear error.
 * Writing produces '<f8' or '<f4' C-order files (version 1.0, or 2.0 when the header
 * would not fit), atomically (temporary file + rename).
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
#ifndef BA_NPY_H
#define BA_NPY_H

#include <stddef.h>

#include "bayesamp.h"

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

/* Write count = prod(shape) values. */
int npy_write_f64(const char *path, const double *data, int ndim, const size_t *shape,
                  ba_error *err);
int npy_write_f32(const char *path, const float *data, int ndim, const size_t *shape,
                  ba_error *err);

#endif
