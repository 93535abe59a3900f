#include "data/momenta_file.h"

#include <string.h>

int momenta_file_open(momenta_file *f, const char *path, int n_particles, ba_error *err)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->per_event = 4 * (size_t)n_particles;
    if (event_spec_is_rows(path)) {
        if (event_file_open(&f->events, path, n_particles, EVENT_AMP_IGNORED, err))
            return -1;
        f->rows_file = 1;
        return 0;
    }
    return npy_reader_open(&f->npy, path, err);
}

int momenta_file_read(momenta_file *f, size_t first, size_t rows, double *buf, ba_error *err)
{
    if (f->rows_file)
        return event_file_read(&f->events, first, rows, buf, NULL, err);
    return npy_reader_read(&f->npy, first * f->per_event, rows * f->per_event, buf, err);
}

void momenta_file_close(momenta_file *f)
{
    if (f->rows_file)
        event_file_close(&f->events);
    else
        npy_reader_close(&f->npy);
}
