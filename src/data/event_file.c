/* Events from a single .npy or HDF5 file; see event_file.h.
 *
 * Both formats are read the same way: the shape (from the .npy header or the HDF5
 * dataspace) is checked against P and the amplitude mode before any value is read, then
 * ranges of whole events are read as native float64 (npy_reader converts .npy values,
 * HDF5's own conversion the dataset's), split into momenta and amplitude and checked.
 * Memory beyond the caller's arrays is one scratch block of rows, so that a file of any
 * size can be read piece by piece.
 */

#include "data/event_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/rng.h"

#ifdef BAYESAMP_HAVE_HDF5
#include <hdf5.h>
_Static_assert(sizeof(hid_t) <= sizeof(int64_t), "hid_t fits the int64_t handles");
#endif

#define COMPONENTS 4 /* E, px, py, pz */
/* Rows with an amplitude are read through a scratch block of about this many bytes. */
#define SCRATCH_BYTES (1u << 20)

/* ------------------------------------------------------------------ specs */

/* 1 if s ends with suffix, ignoring ASCII case. */
static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

/* Where the HDF5 file name of a spec ends: FILE.h5 or FILE.hdf5, alone or followed by
 * ":NAME". The last such extension wins, so a dataset path may itself contain ':'
 * while a folder name like "run.h5:old/" before the file does not confuse it.
 * Returns the length of FILE, or 0 if the spec is not an HDF5 spec. */
static size_t hdf5_path_len(const char *spec)
{
    size_t len = strlen(spec);
    if (ends_with(spec, len, ".h5") || ends_with(spec, len, ".hdf5"))
        return len;
    size_t found = 0;
    for (const char *c = strchr(spec, ':'); c; c = strchr(c + 1, ':')) {
        size_t at = (size_t)(c - spec);
        if (ends_with(spec, at, ".h5") || ends_with(spec, at, ".hdf5"))
            found = at;
    }
    return found;
}

event_spec_kind event_spec_classify(const char *spec)
{
    struct stat st;
    if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode))
        return EVENT_SPEC_FOLDER;
    if (ends_with(spec, strlen(spec), ".npy"))
        return EVENT_SPEC_NPY;
    if (hdf5_path_len(spec))
        return EVENT_SPEC_HDF5;
    return EVENT_SPEC_UNKNOWN;
}

int event_spec_is_rows(const char *spec)
{
    event_spec_kind kind = event_spec_classify(spec);
    if (kind == EVENT_SPEC_HDF5)
        return 1;
    if (kind != EVENT_SPEC_NPY)
        return 0;
    npy_reader r;
    ba_error err;
    if (npy_reader_open(&r, spec, &err))
        return 0;
    int rows = r.ndim == 2 && r.shape[1] != 4;
    npy_reader_close(&r);
    return rows;
}

int event_file_have_hdf5(void)
{
#ifdef BAYESAMP_HAVE_HDF5
    return 1;
#else
    return 0;
#endif
}

/* ------------------------------------------------------------------ shapes */

/* "(3, 21)", "(7,)", "()" */
static void shape_text(char *dst, size_t cap, int ndim, const size_t *shape)
{
    size_t k = (size_t)snprintf(dst, cap, "(");
    for (int i = 0; i < ndim && k < cap; i++)
        k += (size_t)snprintf(dst + k, cap - k, i ? ", %zu" : "%zu", shape[i]);
    if (k < cap)
        snprintf(dst + k, cap - k, ndim == 1 ? ",)" : ")");
}

/* The layout of a shape: fills n_events, n_particles, has_amplitude, row_values of f,
 * or fails saying what was expected. P = 0 asks to infer it. */
static int check_shape(event_file *f, int ndim, const size_t *shape, int p,
                       event_amplitude amp, ba_error *err)
{
    char found[256];
    shape_text(found, sizeof found, ndim, shape);
    const int required = amp == EVENT_AMP_REQUIRED;
    const size_t max_cols = 4 * (size_t)EVENT_FILE_MAX_PARTICLES + 1;
    /* What a good file looks like, for the messages. */
    char want[160];
    if (p > 0 && required)
        snprintf(want, sizeof want, "(N, %d): the 4-momenta of %d particles, then the amplitude",
                 4 * p + 1, p);
    else if (p > 0)
        snprintf(want, sizeof want,
                 "(N, %d) or (N, %d, 4) momenta of %d particles, or (N, %d) ending in the "
                 "amplitude",
                 4 * p, p, p, 4 * p + 1);
    else if (required)
        snprintf(want, sizeof want, "(N, 4P+1): the 4-momenta of P particles, then the amplitude");
    else
        snprintf(want, sizeof want,
                 "(N, 4P) or (N, P, 4) momenta of P particles, or (N, 4P+1) ending in the "
                 "amplitude");

    if (p > 0 && ndim == 2 && shape[0] == (size_t)p && shape[1] == COMPONENTS &&
        p != 1) {
        /* (P, 4): one event's momenta, as predict has always accepted (5, 4) */
        if (required)
            return ba_fail(err, "%s: shape %s is the momenta of one event without its "
                           "amplitude; expected %s", f->name, found, want);
        f->one_event = 1;
        f->n_events = 1;
        f->n_particles = p;
        f->has_amplitude = 0;
        f->row_values = 4 * (size_t)p;
        return 0;
    }
    if (ndim == 3) {
        if (shape[2] != COMPONENTS || shape[1] == 0 ||
            shape[1] > EVENT_FILE_MAX_PARTICLES || (p > 0 && shape[1] != (size_t)p))
            return ba_fail(err, "%s: shape %s, expected %s", f->name, found, want);
        if (required)
            return ba_fail(err, "%s: shape %s holds momenta but no amplitudes; expected %s",
                           f->name, found, want);
        f->n_events = shape[0];
        f->n_particles = (int)shape[1];
        f->has_amplitude = 0;
        f->row_values = 4 * shape[1];
    } else if (ndim == 2) {
        size_t cols = shape[1];
        if (cols > max_cols)
            return ba_fail(err, "%s: shape %s: more columns than %d particles can have; "
                           "expected %s", f->name, found, EVENT_FILE_MAX_PARTICLES, want);
        if (cols < COMPONENTS || cols % 4 > 1)
            return ba_fail(err, "%s: shape %s: %zu columns is neither 4P nor 4P+1; "
                           "expected %s", f->name, found, cols, want);
        int cols_p = (int)(cols / 4);
        int with_amp = cols % 4 == 1;
        if (p > 0 && cols_p != p)
            return ba_fail(err, "%s: shape %s has %zu columns, expected %s", f->name, found,
                           cols, want);
        if (required && !with_amp)
            return ba_fail(err, "%s: shape %s holds momenta but no amplitude column; "
                           "expected %s", f->name, found, want);
        f->n_events = shape[0];
        f->n_particles = cols_p;
        f->has_amplitude = with_amp;
        f->row_values = cols;
    } else {
        return ba_fail(err, "%s: shape %s, expected %s", f->name, found, want);
    }
    if (f->n_events == 0)
        return ba_fail(err, "%s: no events (shape %s)", f->name, found);
    return 0;
}

/* ------------------------------------------------------------------ HDF5 */

#ifdef BAYESAMP_HAVE_HDF5

/* HDF5 prints its whole error stack to stderr by default. Between quiet_begin and
 * quiet_end it does not, and whatever handler was set before (ours is the only user in
 * the CLI, but the library may be embedded) comes back afterwards. */
typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

static void quiet_begin(h5_quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const h5_quiet *q)
{
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* The innermost message of the error stack ("file signature not found"), where the
 * error was detected: the most specific one, and short enough for one line. */
static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc)
        snprintf(buf, 160, "%s", e->desc);
    return 0;
}

static const char *h5_reason(char buf[160])
{
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, buf);
    for (char *c = buf; *c; c++) /* keep it one line */
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return buf[0] ? buf : "unknown HDF5 error";
}

/* The names of the datasets at the top of a file, for "no such dataset" messages. */
typedef struct listing {
    char text[240];
    size_t len;
    int count, truncated;
} listing;

static herr_t list_cb(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    listing *l = data;
    hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
    if (d < 0)
        return 0; /* a group or a broken link: not a candidate */
    H5Dclose(d);
    size_t n = strlen(name) + (l->count ? 2 : 0);
    if (l->len + n + 4 >= sizeof l->text) {
        l->truncated = 1;
        return 1; /* stop */
    }
    l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s%s",
                               l->count ? ", " : "", name);
    l->count++;
    return 0;
}

static void list_datasets(hid_t file, char *dst, size_t cap)
{
    listing l = {.len = 0};
    H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, &l);
    if (l.count == 0)
        snprintf(dst, cap, "the file has no dataset at its top level");
    else
        snprintf(dst, cap, "datasets at the top level: %s%s", l.text, l.truncated ? ", ..." : "");
}

static int open_hdf5(event_file *f, const char *spec, int p, event_amplitude amp,
                     ba_error *err)
{
    char path[4096];
    size_t path_len = hdf5_path_len(spec);
    if (path_len >= sizeof path)
        return ba_fail(err, "%s: path too long", spec);
    memcpy(path, spec, path_len);
    path[path_len] = '\0';
    const char *dset_name = spec[path_len] == ':' ? spec + path_len + 1 : "";

    /* Our own checks first: errno's words for a missing file beat HDF5's stack. */
    struct stat st;
    if (stat(path, &st) != 0)
        return ba_fail(err, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ba_fail(err, "%s: cannot open: is a directory", path);

    h5_quiet q;
    quiet_begin(&q);
    char why[160], names[320];
    int rc = 0;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        rc = ba_fail(err, "%s: cannot read as HDF5: %s", path, h5_reason(why));
    } else if (!dset_name[0]) {
        list_datasets(file, names, sizeof names);
        rc = ba_fail(err, "%s: name the dataset, as %s:NAME (%s)", path, path, names);
    }
    hid_t dset = -1;
    if (rc == 0) {
        dset = H5Dopen2(file, dset_name, H5P_DEFAULT);
        if (dset < 0) {
            hid_t group = H5Gopen2(file, dset_name, H5P_DEFAULT);
            if (group >= 0) {
                H5Gclose(group);
                rc = ba_fail(err, "%s: is a group, not a dataset", f->name);
            } else {
                list_datasets(file, names, sizeof names);
                rc = ba_fail(err, "%s: no dataset '%s' in the file (%s)", f->name,
                             dset_name, names);
            }
        }
    }
    /* The values: float32 or float64 of any byte order, converted by H5Dread. */
    if (rc == 0) {
        hid_t type = H5Dget_type(dset);
        H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
        size_t size = type >= 0 ? H5Tget_size(type) : 0;
        if (type >= 0)
            H5Tclose(type);
        if (cls != H5T_FLOAT || (size != 4 && size != 8))
            rc = ba_fail(err, "%s: %s values of %zu bytes; only float32 and float64 are "
                         "supported", f->name,
                         cls == H5T_INTEGER ? "integer"
                         : cls == H5T_FLOAT ? "floating-point"
                                            : "non-numeric",
                         size);
        f->itemsize = (int)size;
    }
    if (rc == 0) {
        hid_t space = H5Dget_space(dset);
        int ndim = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
        hsize_t dims[H5S_MAX_RANK];
        size_t shape[H5S_MAX_RANK];
        if (ndim < 0 || H5Sget_simple_extent_type(space) == H5S_NULL) {
            rc = ba_fail(err, "%s: the dataset has no dataspace", f->name);
        } else {
            H5Sget_simple_extent_dims(space, dims, NULL);
            for (int i = 0; i < ndim; i++)
                shape[i] = (size_t)dims[i];
            rc = check_shape(f, ndim, shape, p, amp, err);
        }
        if (space >= 0)
            H5Sclose(space);
    }
    if (rc) {
        if (dset >= 0)
            H5Dclose(dset);
        if (file >= 0)
            H5Fclose(file);
    } else {
        f->h5_file = file;
        f->h5_dset = dset;
    }
    quiet_end(&q);
    return rc;
}

/* Rows [first, first + n) into out: n * row_values values. The (P, 4) single event is
 * the whole dataspace. */
static int read_rows_hdf5(event_file *f, size_t first, size_t n, double *out, ba_error *err)
{
    h5_quiet q;
    quiet_begin(&q);
    char why[160];
    int rc = 0;
    hid_t dset = (hid_t)f->h5_dset;
    hid_t space = H5Dget_space(dset);
    hid_t mem = -1;
    if (space < 0) {
        rc = ba_fail(err, "%s: cannot read: %s", f->name, h5_reason(why));
    } else {
        hsize_t start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
        H5Sget_simple_extent_dims(space, count, NULL);
        if (!f->one_event) { /* rows along dimension 0, the others whole */
            start[0] = first;
            count[0] = n;
        }
        hsize_t mem_count = (hsize_t)(n * f->row_values);
        mem = H5Screate_simple(1, &mem_count, NULL);
        if (mem < 0 || H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(dset, H5T_NATIVE_DOUBLE, mem, space, H5P_DEFAULT, out) < 0)
            rc = ba_fail(err, "%s: cannot read rows %zu to %zu: %s", f->name, first,
                         first + n, h5_reason(why));
        else
            data_bytes_count((uint64_t)n * f->row_values * (uint64_t)f->itemsize);
    }
    if (mem >= 0)
        H5Sclose(mem);
    if (space >= 0)
        H5Sclose(space);
    quiet_end(&q);
    return rc;
}

static void close_hdf5(event_file *f)
{
    h5_quiet q;
    quiet_begin(&q);
    if (f->h5_dset > 0)
        H5Dclose((hid_t)f->h5_dset);
    if (f->h5_file > 0)
        H5Fclose((hid_t)f->h5_file);
    quiet_end(&q);
}

#endif /* BAYESAMP_HAVE_HDF5 */

/* ------------------------------------------------------------------ reading */

static int open_npy(event_file *f, const char *spec, int p, event_amplitude amp,
                    ba_error *err)
{
    if (npy_reader_open(&f->npy, spec, err))
        return -1;
    f->itemsize = f->npy.itemsize;
    return check_shape(f, f->npy.ndim, f->npy.shape, p, amp, err);
}

int event_file_open(event_file *f, const char *spec, int n_particles, event_amplitude amp,
                    ba_error *err)
{
    memset(f, 0, sizeof *f);
    if (strlen(spec) >= sizeof f->name)
        return ba_fail(err, "%.200s...: path too long", spec);
    strcpy(f->name, spec);
    if (n_particles < 0 || n_particles > EVENT_FILE_MAX_PARTICLES)
        return ba_fail(err, "%s: %d particles asked for, at most %d are supported", spec,
                       n_particles, EVENT_FILE_MAX_PARTICLES);
    int rc;
    switch (event_spec_classify(spec)) {
    case EVENT_SPEC_NPY:
        f->format = EVENT_FORMAT_NPY;
        rc = open_npy(f, spec, n_particles, amp, err);
        break;
    case EVENT_SPEC_HDF5:
        f->format = EVENT_FORMAT_HDF5;
#ifdef BAYESAMP_HAVE_HDF5
        rc = open_hdf5(f, spec, n_particles, amp, err);
#else
        rc = ba_fail(err, "%s: this bayesamp was built without HDF5 support (install "
                     "libhdf5-dev and rebuild, or convert the dataset to .npy)", spec);
#endif
        break;
    case EVENT_SPEC_FOLDER:
        rc = ba_fail(err, "%s: is a folder; expected FILE.npy, FILE.h5:NAME or "
                     "FILE.hdf5:NAME", spec);
        break;
    default:
        rc = ba_fail(err, "%s: not an event file: expected FILE.npy, FILE.h5:NAME or "
                     "FILE.hdf5:NAME", spec);
        break;
    }
    if (rc == 0) {
        f->read_amplitude = f->has_amplitude && amp != EVENT_AMP_IGNORED;
        if (f->has_amplitude) {
            /* Rows with an amplitude column cannot be read straight into the momenta. */
            size_t row_bytes = f->row_values * sizeof(double);
            f->scratch_rows = SCRATCH_BYTES / row_bytes ? SCRATCH_BYTES / row_bytes : 1;
            if (f->scratch_rows > f->n_events)
                f->scratch_rows = f->n_events;
            f->scratch = malloc(f->scratch_rows * row_bytes);
            if (!f->scratch)
                rc = ba_fail(err, "%s: out of memory", spec);
        }
    }
    if (rc) {
        event_file_close(f);
        return -1;
    }
    return 0;
}

/* Rows [first, first + n) as stored (row_values each) into out. */
static int read_rows(event_file *f, size_t first, size_t n, double *out, ba_error *err)
{
#ifdef BAYESAMP_HAVE_HDF5
    if (f->format == EVENT_FORMAT_HDF5)
        return read_rows_hdf5(f, first, n, out, err);
#endif
    return npy_reader_read(&f->npy, first * f->row_values, n * f->row_values, out, err);
}

/* Every momentum of rows first.. finite: the first bad value named by row, particle and
 * component. */
static int check_momenta(const event_file *f, size_t first, size_t n, const double *mom,
                         ba_error *err)
{
    static const char *components[COMPONENTS] = {"E", "px", "py", "pz"};
    size_t per_event = 4 * (size_t)f->n_particles;
    for (size_t i = 0; i < n * per_event; i++)
        if (!isfinite(mom[i]))
            return ba_fail(err, "%s: row %zu: non-finite momentum component %g (%s of "
                           "particle %zu of %d)", f->name, first + i / per_event, mom[i],
                           components[i % COMPONENTS], i % per_event / COMPONENTS + 1,
                           f->n_particles);
    return 0;
}

int event_file_read(event_file *f, size_t first, size_t n, double *momenta,
                    double *amplitudes, ba_error *err)
{
    if (first > f->n_events || n > f->n_events - first)
        return ba_fail(err, "%s: events %zu to %zu asked for, the file has %zu", f->name,
                       first, first + n, f->n_events);
    if (n == 0) /* HDF5 refuses empty selections */
        return 0;
    if (f->read_amplitude && !amplitudes)
        return ba_fail(err, "%s: the amplitudes read have nowhere to go", f->name);
    size_t per_event = 4 * (size_t)f->n_particles;
    if (!f->has_amplitude) { /* the rows are the momenta */
        if (read_rows(f, first, n, momenta, err))
            return -1;
        return check_momenta(f, first, n, momenta, err);
    }
    for (size_t done = 0; done < n;) {
        size_t rows = n - done < f->scratch_rows ? n - done : f->scratch_rows;
        size_t at = first + done;
        if (read_rows(f, at, rows, f->scratch, err))
            return -1;
        for (size_t i = 0; i < rows; i++) {
            const double *row = f->scratch + i * f->row_values;
            memcpy(momenta + (done + i) * per_event, row, per_event * sizeof *row);
            if (!f->read_amplitude)
                continue;
            double a = row[per_event];
            if (!(a > 0 && isfinite(a)))
                return ba_fail(err, "%s: row %zu: amplitude %g is not positive and finite",
                               f->name, at + i, a);
            amplitudes[done + i] = a;
        }
        if (check_momenta(f, at, rows, momenta + done * per_event, err))
            return -1;
        done += rows;
    }
    return 0;
}

void event_file_close(event_file *f)
{
    if (f->format == EVENT_FORMAT_NPY)
        npy_reader_close(&f->npy);
#ifdef BAYESAMP_HAVE_HDF5
    if (f->format == EVENT_FORMAT_HDF5)
        close_hdf5(f);
#endif
    free(f->scratch);
    memset(f, 0, sizeof *f);
}

int event_file_load(const char *spec, int n_particles, event_amplitude amp,
                    event_data *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    event_file f;
    if (event_file_open(&f, spec, n_particles, amp, err))
        return -1;
    size_t per_event = 4 * (size_t)f.n_particles;
    int rc = 0;
    /* n * per_event values fit in memory: the file holds at least as many bytes (4 each),
     * but a float32 file doubles as float64. */
    if (f.n_events > SIZE_MAX / sizeof(double) / per_event)
        rc = ba_fail(err, "%s: %zu events are too many for memory", spec, f.n_events);
    if (rc == 0) {
        out->n = f.n_events;
        out->n_particles = f.n_particles;
        out->momenta = malloc(f.n_events * per_event * sizeof(double));
        if (f.read_amplitude)
            out->amplitudes = malloc(f.n_events * sizeof(double));
        if (!out->momenta || (f.read_amplitude && !out->amplitudes))
            rc = ba_fail(err, "%s: out of memory for %zu events", spec, f.n_events);
    }
    if (rc == 0)
        rc = event_file_read(&f, 0, f.n_events, out->momenta, out->amplitudes, err);
    event_file_close(&f);
    if (rc)
        event_data_free(out);
    return rc;
}

int event_data_take(const event_data *all, const unsigned char *labels, int which,
                    event_data *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = 0, per_event = 4 * (size_t)all->n_particles;
    for (size_t i = 0; i < all->n; i++)
        n += labels[i] == which;
    out->n = n;
    out->n_particles = all->n_particles;
    out->momenta = malloc((n ? n : 1) * per_event * sizeof(double));
    if (all->amplitudes)
        out->amplitudes = malloc((n ? n : 1) * sizeof(double));
    if (!out->momenta || (all->amplitudes && !out->amplitudes)) {
        event_data_free(out);
        return ba_fail(err, "out of memory for %zu events", n);
    }
    size_t k = 0;
    for (size_t i = 0; i < all->n; i++) {
        if (labels[i] != which)
            continue;
        memcpy(out->momenta + k * per_event, all->momenta + i * per_event,
               per_event * sizeof(double));
        if (all->amplitudes)
            out->amplitudes[k] = all->amplitudes[i];
        k++;
    }
    return 0;
}

void event_data_free(event_data *d)
{
    free(d->momenta);
    free(d->amplitudes);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------------ splitting */

int event_split_parse(const char *text, double fractions[3], ba_error *err)
{
    static const char *names[3] = {"training", "validation", "test"};
    const char *p = text;
    for (int k = 0; k < 3; k++) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(v))
            return ba_fail(err, "split fractions %s: expected three fractions a,b,c (training, "
                           "validation, test), like 0.8,0.1,0.1", text);
        if (v < 0 || v > 1)
            return ba_fail(err, "split fractions %s: the %s fraction %g is not between 0 and 1",
                           text, names[k], v);
        fractions[k] = v;
        p = end;
        if (k < 2 && *p++ != ',')
            return ba_fail(err, "split fractions %s: expected three fractions a,b,c (training, "
                           "validation, test), like 0.8,0.1,0.1", text);
    }
    if (*p != '\0')
        return ba_fail(err, "split fractions %s: unexpected text after the third fraction", text);
    if (!(fractions[0] > 0))
        return ba_fail(err, "split fractions %s: the training fraction must be positive", text);
    double sum = fractions[0] + fractions[1] + fractions[2];
    if (fabs(sum - 1) > 1e-6)
        return ba_fail(err, "split fractions %s: the fractions add up to %g, not 1", text, sum);
    return 0;
}

int ba_split_parse(const char *text, double fractions[3], ba_error *err)
{
    return event_split_parse(text, fractions, err);
}

int event_split_counts(size_t n, const double fractions[3], size_t counts[3],
                       ba_error *err)
{
    static const char *names[3] = {"training", "validation", "test"};
    /* numpy's int(n * f): truncation of the correctly rounded product, the same on
     * every IEEE machine. The last boundary is n itself, whatever rounding did to the
     * sum of the fractions. */
    double fn = (double)n;
    size_t b1 = (size_t)(fn * fractions[0]);
    size_t b2 = (size_t)(fn * (fractions[0] + fractions[1]));
    if (b1 > n)
        b1 = n;
    if (b2 > n)
        b2 = n;
    if (b2 < b1)
        b2 = b1;
    counts[0] = b1;
    counts[1] = b2 - b1;
    counts[2] = n - b2;
    for (int k = 0; k < 3; k++)
        if (fractions[k] > 0 && counts[k] == 0)
            return ba_fail(err, "split %g,%g,%g of %zu events leaves no %s event",
                           fractions[0], fractions[1], fractions[2], n, names[k]);
    return 0;
}

int event_split_assign(size_t n, const double fractions[3], event_split_order order,
                       uint64_t seed, unsigned char *labels, size_t counts[3],
                       ba_error *err)
{
    size_t c[3];
    if (event_split_counts(n, fractions, c, err))
        return -1;
    if (counts)
        memcpy(counts, c, sizeof c);
    if (order == EVENT_SPLIT_BLOCKS) {
        for (size_t i = 0; i < n; i++)
            labels[i] = i < c[0] ? EVENT_TRN : i < c[0] + c[1] ? EVENT_VAL : EVENT_TST;
        return 0;
    }
    /* Selection sampling (Knuth, TAOCP vol. 2, 3.4.2, algorithm S, with three
     * outcomes): event i, with r events left of which need[k] still go to split k,
     * goes to split k with probability need[k] / r. Every labelling with the given
     * counts is equally likely, the counts come out exact, and the draws are one
     * sequential Philox stream, so nothing depends on threads. The draw is an integer
     * x mod r from 64 random bits (bias below r / 2^64): integer arithmetic only, so
     * the labels are the same on every machine. */
    size_t need[3] = {c[0], c[1], c[2]};
    ba_rng rng;
    ba_rng_init(&rng, seed, 0);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = (uint64_t)ba_rng_u32(&rng) << 32;
        x |= ba_rng_u32(&rng);
        uint64_t k = x % (uint64_t)(n - i);
        int label = k < need[0] ? EVENT_TRN : k < need[0] + need[1] ? EVENT_VAL : EVENT_TST;
        need[label]--;
        labels[i] = (unsigned char)label;
    }
    return 0;
}
