/* Events from a single file: flat rows in a .npy file or in a dataset of an HDF5 file.
 *
 * A source is named by a spec string:
 *   FILE.npy               a .npy array (npy.h: float32 or float64, either byte order)
 *   FILE.h5:NAME           the dataset NAME ("events" or "/group/events") of an HDF5
 *   FILE.hdf5:NAME         file, float32 or float64 of any byte order, any storage layout
 * (a folder in the Heidelberg layout, {trn,val,tst}_{dat,amp}.npy, is read by dataset.c).
 *
 * Either holds the events of a process with P particles as
 *   (N, 4P+1)   one row per event: the P four-momenta (E, px, py, pz each, GeV) and then
 *               the amplitude; the layout of the public Heidelberg amplitude files that
 *               the L-GATr code reads (data[:, :-1] momenta, data[:, -1] amplitude)
 *   (N, 4P)     the momenta alone
 *   (N, P, 4)   the momenta alone, as the Heidelberg layout's *_dat.npy
 *   (P, 4)      the momenta of one event (only when P is given: with P unknown this
 *               cannot be told from N events of one particle)
 * Values come back as native float64: momenta (N, P, 4) row-major and amplitudes (N).
 *
 * Every value read is checked: momenta finite, amplitudes positive and finite (unless
 * the amplitude column is ignored), each error one line naming the spec and the row
 * (0-based, as numpy indexes it).
 *
 * HDF5 support is a build option (BAYESAMP_HDF5, on by default); a build without it
 * refuses HDF5 specs with one line saying so. HDF5's own error stack is never printed:
 * its automatic error printing is switched off around every call into the library, and
 * the innermost HDF5 message, if useful, is folded into our one line. Debian's serial
 * libhdf5 is not thread-safe: open and read event files from one thread at a time (the
 * data layer reads before any parallel work starts).
 */
#ifndef BA_EVENT_FILE_H
#define BA_EVENT_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "bayesamp.h"
#include "data/npy.h"

/* A sanity bound on P: a row of more values than 4 * this is not a process. */
#define EVENT_FILE_MAX_PARTICLES 1024

/* What a spec names, from its form alone (and, for a folder, the file system). */
typedef enum event_spec_kind {
    EVENT_SPEC_UNKNOWN = 0, /* none of the below: refuse with event_spec_describe's hint */
    EVENT_SPEC_FOLDER,      /* an existing folder: the Heidelberg layout (dataset.c) */
    EVENT_SPEC_NPY,         /* ends in .npy */
    EVENT_SPEC_HDF5,        /* FILE.h5, FILE.hdf5, with or without :NAME */
} event_spec_kind;

event_spec_kind event_spec_classify(const char *spec);

/* Whether spec holds rows of events for this reader: an HDF5 dataset, or a .npy of 2
 * dimensions whose rows are not single four-momenta ((N, 4P) or (N, 4P + 1), not the
 * (P, 4) of one event). 0 for (N, P, 4) files, other kinds and unreadable headers,
 * which the .npy reader then takes (and reports). */
int event_spec_is_rows(const char *spec);
/* 1 if this build reads HDF5 files. */
int event_file_have_hdf5(void);

/* What to do with an amplitude column. */
typedef enum event_amplitude {
    EVENT_AMP_REQUIRED, /* rows must end in an amplitude: returned and checked (training,
                           evaluation) */
    EVENT_AMP_OPTIONAL, /* returned and checked when the rows have one */
    EVENT_AMP_IGNORED,  /* momenta alone, or rows whose amplitude column is skipped and
                           not checked (predict, amplitude) */
} event_amplitude;

typedef enum event_format { EVENT_FORMAT_NPY = 1, EVENT_FORMAT_HDF5 } event_format;

/* An event file opened for reading any range of its events. */
typedef struct event_file {
    char name[4352];      /* the spec as given, for messages: FILE.npy or FILE.h5:NAME */
    event_format format;
    size_t n_events;      /* N >= 1 */
    int n_particles;      /* P >= 1 */
    int has_amplitude;    /* the rows end in an amplitude column */
    int read_amplitude;   /* event_file_read returns amplitudes (has one, not ignored) */
    size_t row_values;    /* values per event in the file: 4P or 4P+1 */
    int itemsize;         /* bytes per value in the file: 4 (float32) or 8 (float64) */
    /* private */
    npy_reader npy;
    int64_t h5_file, h5_dset; /* hid_t, 0 when closed */
    int one_event;            /* the (P, 4) form: dimension 0 counts particles */
    double *scratch;          /* whole rows, when they cannot be read into place */
    size_t scratch_rows;
} event_file;

/* Open spec (EVENT_SPEC_NPY or EVENT_SPEC_HDF5) and check its shape against
 * n_particles (0: infer P from the shape, which (N, 4P+1) and (N, 4P) allow since the
 * two never have the same column count) and the amplitude mode. Values are not read
 * yet. On failure f is zeroed, so event_file_close is safe. */
int event_file_open(event_file *f, const char *spec, int n_particles, event_amplitude amp,
                    ba_error *err);
/* Read events [first, first + n): momenta (n, P, 4) into momenta, and, when
 * f->read_amplitude, amplitudes (n) into amplitudes (may be NULL otherwise). Checks every
 * value read; errors name the row in the file. */
int event_file_read(event_file *f, size_t first, size_t n, double *momenta,
                    double *amplitudes, ba_error *err);
void event_file_close(event_file *f);

/* A whole file in memory. */
typedef struct event_data {
    size_t n;
    int n_particles;
    double *momenta;    /* n x P x 4 */
    double *amplitudes; /* n, or NULL when not read */
} event_data;

/* Open, read everything, close. On failure out is zeroed. */
int event_file_load(const char *spec, int n_particles, event_amplitude amp,
                    event_data *out, ba_error *err);
void event_data_free(event_data *d);

/* ------------------------------------------------------------------ splitting */

/* Which events of a single file are for training, validation and test. */
enum { EVENT_TRN = 0, EVENT_VAL = 1, EVENT_TST = 2 };

typedef enum event_split_order {
    /* Each event's split drawn by selection sampling from a Philox stream: the split
     * is a uniformly random one of the given sizes, as a shuffle would give, with no
     * memory beyond the labels. The default: a file sorted or concatenated from
     * different runs still splits evenly. */
    EVENT_SPLIT_SHUFFLED,
    /* Consecutive blocks, training first, then validation, then test: the first
     * events of a file are its training set exactly as in the L-GATr code (whose blocks
     * are train, test, val). */
    EVENT_SPLIT_BLOCKS,
} event_split_order;

/* The stream seed of the shuffled split. Fixed, and separate from the training seed,
 * so that models trained with different seeds see the same split. */
#define EVENT_SPLIT_SEED UINT64_C(0x73706c6974) /* "split" */

/* Parse "a,b,c" (training, validation, test fractions): three numbers in [0, 1], the
 * training fraction positive, summing to 1 within 1e-6. Errors name the text. */
int event_split_parse(const char *text, double fractions[3], ba_error *err);

/* The number of events of each split: the first floor(n * f_trn) for training, up to
 * floor(n * (f_trn + f_val)) for validation, the rest for test (the boundaries are
 * numpy's int(n * cumsum), the L-GATr code's). Fails if a split with a positive
 * fraction gets no event. */
int event_split_counts(size_t n, const double fractions[3], size_t counts[3],
                       ba_error *err);

/* Label every event 0..n-1 with EVENT_TRN, EVENT_VAL or EVENT_TST. The labels depend on
 * (n, fractions, order, seed) only: not on the values in the file, the machine, the
 * thread count or the run. counts (may be NULL) receives event_split_counts. */
int event_split_assign(size_t n, const double fractions[3], event_split_order order,
                       uint64_t seed, unsigned char *labels, size_t counts[3],
                       ba_error *err);

/* The events of all labelled `which` (EVENT_TRN, ...), in file order, into out
 * (amplitudes too if all has them). On failure out is zeroed. */
int event_data_take(const event_data *all, const unsigned char *labels, int which,
                    event_data *out, ba_error *err);

#endif
