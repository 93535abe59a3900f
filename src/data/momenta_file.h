/* A file of momenta read by ranges of events, whatever its form: a .npy of (N, P, 4) or
 * (P, 4) through the streaming .npy reader, or rows of events (FILE.npy of (N, 4P) or
 * (N, 4P + 1), FILE.h5:NAME) through the event file reader, whose amplitude column, if
 * any, is ignored (data/event_file.h). So a command that only needs the momenta (predict,
 * amplitude) reads just the events it works on: under MPI, its rank's share. */
#ifndef BA_MOMENTA_FILE_H
#define BA_MOMENTA_FILE_H

#include <stddef.h>

#include "bayesamp.h"
#include "data/event_file.h"
#include "data/npy.h"

typedef struct momenta_file {
    int rows_file;       /* through events, else through npy */
    npy_reader npy;      /* its header (ndim, shape) is the caller's to check */
    event_file events;   /* its shape is checked against n_particles on opening */
    size_t per_event;    /* values of an event: 4 P */
    const char *path;
} momenta_file;

/* Open path for events of n_particles particles. A rows file has its shape checked and
 * its event count in f->events.n_events; a .npy of another form is only opened, and
 * the caller tells the event count from f->npy's shape (with its own message). */
int momenta_file_open(momenta_file *f, const char *path, int n_particles, ba_error *err);
/* The momenta of events [first, first + rows) into buf (rows x P x 4); values checked as
 * the readers check them. */
int momenta_file_read(momenta_file *f, size_t first, size_t rows, double *buf, ba_error *err);
/* Safe after a failed open. */
void momenta_file_close(momenta_file *f);

#endif
