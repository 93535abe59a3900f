/* Tests of the single-file event reader and the split (src/data/event_file.c).
 *
 * Every file is written here: .npy files with npy_write_f64/f32 (and one truncated by
 * hand), HDF5 files with the HDF5 C API itself (no h5py needed), in every layout, value
 * type and byte order the reader accepts. Values written as float32 are rounded to float
 * first, so that every round trip compares exactly. Bad inputs must fail with one line
 * that starts with the file and names the problem (and the row), print nothing else
 * (HDF5's error stack included), and leave nothing allocated.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, dup, fileno */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "data/event_file.h"
#include "data/npy.h"

#ifdef BAYESAMP_HAVE_HDF5
#include <hdf5.h>
#endif

/* The shuffled split of 30 events, 0.8,0.1,0.1, with EVENT_SPLIT_SEED (see
 * test_split_assign). */
#define GOLDEN_SPLIT_30 "000002201002000000000010000010"

/* ------------------------------------------------------------------ helpers */

static char dir[] = "/tmp/test_event_file_XXXXXX";

static void path_of(char *dst, size_t cap, const char *name)
{
    snprintf(dst, cap, "%s/%s", dir, name);
}

/* A reproducible uniform number in [0, 1) (the test's own generator). */
static double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*state >> 11) * 0x1p-53;
}

/* n events of p particles: momenta of a few hundred GeV (some awkward values among
 * them) and positive amplitudes spanning many decades. Rounded to float if f32. */
typedef struct events {
    size_t n;
    int p;
    double *mom; /* n x p x 4 */
    double *amp; /* n */
} events;

static events make_events(size_t n, int p, uint64_t seed, int f32)
{
    events e = {n, p, malloc(n * (size_t)p * 4 * sizeof(double)), malloc(n * sizeof(double))};
    if (!e.mom || !e.amp) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n * (size_t)p * 4; i++)
        e.mom[i] = 600.0 * uniform(&seed) - 300.0;
    for (size_t i = 0; i < n; i++)
        e.amp[i] = exp(40.0 * uniform(&seed) - 20.0);
    e.mom[0] = -0.0;
    if (n * (size_t)p * 4 > 3) {
        e.mom[1] = 1e-30;
        e.mom[2] = 6500.0;
    }
    if (f32) {
        for (size_t i = 0; i < n * (size_t)p * 4; i++)
            e.mom[i] = (double)(float)e.mom[i];
        for (size_t i = 0; i < n; i++)
            e.amp[i] = (double)(float)e.amp[i];
    }
    return e;
}

static void free_events(events *e)
{
    free(e->mom);
    free(e->amp);
}

/* The rows (n, 4p+1) with the amplitude last, or (n, 4p) without. */
static double *rows_of(const events *e, int with_amp)
{
    size_t per = 4 * (size_t)e->p, cols = per + (with_amp ? 1 : 0);
    double *r = malloc(e->n * cols * sizeof *r);
    for (size_t i = 0; i < e->n; i++) {
        memcpy(r + i * cols, e->mom + i * per, per * sizeof *r);
        if (with_amp)
            r[i * cols + per] = e->amp[i];
    }
    return r;
}

/* Write n values as '<f8' or '<f4' .npy */
static void write_npy(const char *path, const double *v, int ndim, const size_t *shape,
                      int f32)
{
    ba_error err = {{0}};
    size_t count = 1;
    for (int i = 0; i < ndim; i++)
        count *= shape[i];
    int rc;
    if (f32) {
        float *w = malloc((count ? count : 1) * sizeof *w);
        for (size_t i = 0; i < count; i++)
            w[i] = (float)v[i];
        rc = npy_write_f32(path, w, ndim, shape, &err);
        free(w);
    } else {
        rc = npy_write_f64(path, v, ndim, shape, &err);
    }
    CHECK_MSG(rc == 0, "%s", err.msg);
}

/* Exact comparison, -0.0 and NaN by their bits. */
static int same_values(const double *a, const double *b, size_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

/* stderr goes to a file between capture_begin and capture_end, which returns how many
 * bytes were written to it: the library must print nothing, HDF5 included. */
static int saved_stderr = -1;
static char capture_path[4096];

static void capture_begin(void)
{
    path_of(capture_path, sizeof capture_path, "stderr.txt");
    fflush(stderr);
    saved_stderr = dup(2);
    int fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
}

static long capture_end(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    struct stat st;
    long size = stat(capture_path, &st) == 0 ? (long)st.st_size : -1;
    unlink(capture_path);
    return size;
}

/* Loading spec must fail with one line starting with `start` (the file) and containing
 * every needle given, with nothing printed and nothing left allocated. */
static void expect_bad(const char *spec, int p, event_amplitude amp, const char *start,
                       const char *needle1, const char *needle2)
{
    event_data d;
    ba_error err = {{0}};
    capture_begin();
    int rc = event_file_load(spec, p, amp, &d, &err);
    long printed = capture_end();
    CHECK_MSG(rc != 0, "%s was accepted", spec);
    CHECK_MSG(strncmp(err.msg, start, strlen(start)) == 0,
              "message does not start with %s: %s", start, err.msg);
    CHECK_MSG(strstr(err.msg, needle1) != NULL, "expected '%s' in: %s", needle1, err.msg);
    if (needle2)
        CHECK_MSG(strstr(err.msg, needle2) != NULL, "expected '%s' in: %s", needle2,
                  err.msg);
    CHECK_MSG(strchr(err.msg, '\n') == NULL, "message is not one line: %s", err.msg);
    CHECK_MSG(printed == 0, "%s: %ld bytes printed to stderr", spec, printed);
    CHECK(d.momenta == NULL && d.amplitudes == NULL && d.n == 0);
    if (getenv("TEST_VERBOSE"))
        printf("  %s\n", err.msg);
}

/* Load spec and compare with e: momenta always, amplitudes when expect_amp. */
static void expect_events(const char *spec, int p_arg, event_amplitude amp,
                          const events *e, int expect_amp, const char *what)
{
    event_data d;
    ba_error err = {{0}};
    int rc = event_file_load(spec, p_arg, amp, &d, &err);
    CHECK_MSG(rc == 0, "%s: %s", what, err.msg);
    if (rc)
        return;
    CHECK_MSG(d.n == e->n && d.n_particles == e->p, "%s: %zu events of %d particles", what,
              d.n, d.n_particles);
    if (d.n == e->n && d.n_particles == e->p)
        CHECK_MSG(same_values(d.momenta, e->mom, e->n * (size_t)e->p * 4),
                  "%s: momenta differ", what);
    CHECK_MSG((d.amplitudes != NULL) == expect_amp, "%s: amplitudes %s", what,
              d.amplitudes ? "returned" : "missing");
    if (d.amplitudes && expect_amp && d.n == e->n)
        CHECK_MSG(same_values(d.amplitudes, e->amp, e->n), "%s: amplitudes differ", what);
    event_data_free(&d);
}

/* ------------------------------------------------------------------ HDF5 writing */

#ifdef BAYESAMP_HAVE_HDF5
typedef struct h5_spec {
    const char *name;  /* dataset path, may contain groups */
    hid_t file_type;   /* H5T_IEEE_F64LE, H5T_IEEE_F32BE, H5T_STD_I32LE, ... */
    int ndim;
    hsize_t dims[4];
    const double *values; /* converted to file_type by HDF5; NULL: not written */
    hsize_t chunk_rows;   /* 0: contiguous; else chunked and deflated */
} h5_spec;

/* Create path with the given datasets (groups created on the way). */
static void write_h5(const char *path, const h5_spec *sets, int n_sets)
{
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(file >= 0);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    for (int s = 0; s < n_sets; s++) {
        const h5_spec *d = &sets[s];
        hid_t space = d->ndim ? H5Screate_simple(d->ndim, d->dims, NULL)
                              : H5Screate(H5S_SCALAR);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (d->chunk_rows) {
            hsize_t chunk[4];
            for (int i = 0; i < d->ndim; i++)
                chunk[i] = d->dims[i];
            chunk[0] = d->chunk_rows;
            H5Pset_chunk(dcpl, d->ndim, chunk);
            H5Pset_deflate(dcpl, 4);
        }
        hid_t dset = H5Dcreate2(file, d->name, d->file_type, space, lcpl, dcpl, H5P_DEFAULT);
        CHECK_MSG(dset >= 0, "cannot create %s in %s", d->name, path);
        if (d->values)
            CHECK(H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                           d->values) >= 0);
        H5Dclose(dset);
        H5Pclose(dcpl);
        H5Sclose(space);
    }
    H5Pclose(lcpl);
    H5Fclose(file);
}
#endif

/* ------------------------------------------------------------------ round trips */

static void test_npy_round_trips(void)
{
    char path[4096];
    for (int f32 = 0; f32 <= 1; f32++) {
        for (int p = 3; p <= 5; p += 2) {
            events e = make_events(37, p, 11 + (uint64_t)p, f32);
            size_t per = 4 * (size_t)p;
            char what[64];

            /* (N, 4P+1): the L-GATr layout, with P given or inferred */
            double *rows = rows_of(&e, 1);
            path_of(path, sizeof path, "rows.npy");
            size_t shape[3] = {e.n, per + 1};
            write_npy(path, rows, 2, shape, f32);
            snprintf(what, sizeof what, "npy f%d rows P=%d", f32 ? 32 : 64, p);
            expect_events(path, p, EVENT_AMP_REQUIRED, &e, 1, what);
            expect_events(path, 0, EVENT_AMP_REQUIRED, &e, 1, what);
            expect_events(path, 0, EVENT_AMP_OPTIONAL, &e, 1, what);
            expect_events(path, p, EVENT_AMP_IGNORED, &e, 0, what);
            free(rows);

            /* (N, 4P): momenta alone */
            rows = rows_of(&e, 0);
            shape[1] = per;
            write_npy(path, rows, 2, shape, f32);
            snprintf(what, sizeof what, "npy f%d momenta P=%d", f32 ? 32 : 64, p);
            expect_events(path, p, EVENT_AMP_IGNORED, &e, 0, what);
            expect_events(path, 0, EVENT_AMP_IGNORED, &e, 0, what);
            expect_events(path, 0, EVENT_AMP_OPTIONAL, &e, 0, what);
            free(rows);

            /* (N, P, 4): the Heidelberg *_dat.npy */
            size_t shape3[3] = {e.n, (size_t)p, 4};
            write_npy(path, e.mom, 3, shape3, f32);
            snprintf(what, sizeof what, "npy f%d (N, P, 4) P=%d", f32 ? 32 : 64, p);
            expect_events(path, p, EVENT_AMP_IGNORED, &e, 0, what);
            expect_events(path, 0, EVENT_AMP_OPTIONAL, &e, 0, what);

            /* (P, 4): one event, when P is known */
            events one = e;
            one.n = 1;
            size_t shape1[2] = {(size_t)p, 4};
            write_npy(path, e.mom, 2, shape1, f32);
            snprintf(what, sizeof what, "npy f%d one event P=%d", f32 ? 32 : 64, p);
            expect_events(path, p, EVENT_AMP_IGNORED, &one, 0, what);
            unlink(path);
            free_events(&e);
        }
    }
}

#ifdef BAYESAMP_HAVE_HDF5
static void test_hdf5_round_trips(void)
{
    char path[4096], spec[4200];
    path_of(path, sizeof path, "events.hdf5");
    /* the H5T_ names are run-time values, not constants */
    const struct {
        hid_t type;
        int f32;
        const char *what;
    } types[4] = {{H5T_IEEE_F64LE, 0, "f64le"},
                  {H5T_IEEE_F64BE, 0, "f64be"},
                  {H5T_IEEE_F32LE, 1, "f32le"},
                  {H5T_IEEE_F32BE, 1, "f32be"}};
    for (int t = 0; t < 4; t++) {
        int p = 5;
        events e = make_events(53, p, 100 + (uint64_t)t, types[t].f32);
        double *rows = rows_of(&e, 1), *mom_rows = rows_of(&e, 0);
        hsize_t n = e.n, per = 4 * (hsize_t)p;
        h5_spec sets[4] = {
            {"events", types[t].type, 2, {n, per + 1}, rows, 0},
            {"/nested/group/chunked", types[t].type, 2, {n, per + 1}, rows, 8},
            {"momenta", types[t].type, 2, {n, per}, mom_rows, 0},
            {"momenta3", types[t].type, 3, {n, (hsize_t)p, 4}, e.mom, 16},
        };
        write_h5(path, sets, 4);
        char what[96];
        snprintf(what, sizeof what, "hdf5 %s rows", types[t].what);
        snprintf(spec, sizeof spec, "%s:events", path);
        expect_events(spec, p, EVENT_AMP_REQUIRED, &e, 1, what);
        expect_events(spec, 0, EVENT_AMP_OPTIONAL, &e, 1, what);
        expect_events(spec, p, EVENT_AMP_IGNORED, &e, 0, what);
        snprintf(what, sizeof what, "hdf5 %s chunked, deflated, in a group", types[t].what);
        snprintf(spec, sizeof spec, "%s:/nested/group/chunked", path);
        expect_events(spec, p, EVENT_AMP_REQUIRED, &e, 1, what);
        snprintf(spec, sizeof spec, "%s:nested/group/chunked", path);
        expect_events(spec, 0, EVENT_AMP_REQUIRED, &e, 1, what);
        snprintf(what, sizeof what, "hdf5 %s momenta", types[t].what);
        snprintf(spec, sizeof spec, "%s:momenta", path);
        expect_events(spec, 0, EVENT_AMP_IGNORED, &e, 0, what);
        snprintf(what, sizeof what, "hdf5 %s (N, P, 4)", types[t].what);
        snprintf(spec, sizeof spec, "%s:momenta3", path);
        expect_events(spec, p, EVENT_AMP_OPTIONAL, &e, 0, what);
        free(rows);
        free(mom_rows);
        free_events(&e);
    }

    /* The .h5 extension, a ':' inside the dataset name, one event as (P, 4) */
    events e = make_events(1, 4, 7, 0);
    path_of(path, sizeof path, "one.H5");
    h5_spec one[2] = {{"event", H5T_IEEE_F64LE, 2, {4, 4}, e.mom, 0},
                      {"a:b", H5T_IEEE_F64LE, 2, {1, 16}, e.mom, 0}};
    write_h5(path, one, 2);
    snprintf(spec, sizeof spec, "%s:event", path);
    expect_events(spec, 4, EVENT_AMP_IGNORED, &e, 0, "hdf5 one event (P, 4)");
    snprintf(spec, sizeof spec, "%s:a:b", path);
    expect_events(spec, 0, EVENT_AMP_IGNORED, &e, 0, "hdf5 dataset name with ':'");
    free_events(&e);
    unlink(path);
    path_of(path, sizeof path, "events.hdf5");
    unlink(path);
}
#endif

/* Reading in pieces gives what reading at once gives, across the scratch block (1 MiB
 * of rows: 14563 rows of 9 values) and at odd boundaries. */
static void test_pieces(const char *spec_npy, const char *spec_h5, const events *e)
{
    const char *specs[2] = {spec_npy, spec_h5};
    size_t per = 4 * (size_t)e->p;
    for (int s = 0; s < 2; s++) {
        if (!specs[s])
            continue;
        event_file f;
        ba_error err = {{0}};
        int rc = event_file_open(&f, specs[s], e->p, EVENT_AMP_REQUIRED, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        if (rc)
            continue;
        CHECK(f.n_events == e->n && f.has_amplitude && f.read_amplitude);
        CHECK(f.row_values == per + 1 && f.itemsize == 4);
        double *mom = malloc(e->n * per * sizeof *mom), *amp = malloc(e->n * sizeof *amp);
        memset(mom, 0xff, e->n * per * sizeof *mom);
        size_t sizes[4] = {1, 7, 9999, 20000};
        size_t first = 0;
        for (int k = 0; first < e->n; k = (k + 1) % 4) {
            size_t n = sizes[k] < e->n - first ? sizes[k] : e->n - first;
            rc = event_file_read(&f, first, n, mom + first * per, amp + first, &err);
            CHECK_MSG(rc == 0, "%s", err.msg);
            if (rc)
                break;
            first += n;
        }
        CHECK_MSG(same_values(mom, e->mom, e->n * per), "%s: momenta read in pieces differ",
                  specs[s]);
        CHECK_MSG(same_values(amp, e->amp, e->n), "%s: amplitudes read in pieces differ",
                  specs[s]);
        /* backwards, to make sure nothing depends on reading in order */
        rc = event_file_read(&f, e->n - 3, 3, mom, amp, &err);
        CHECK(rc == 0 && same_values(mom, e->mom + (e->n - 3) * per, 3 * per));
        /* beyond the end */
        rc = event_file_read(&f, e->n - 1, 2, mom, amp, &err);
        CHECK(rc != 0 && strstr(err.msg, specs[s]) == err.msg && strstr(err.msg, "the file has"));
        free(mom);
        free(amp);
        event_file_close(&f);
        event_file_close(&f); /* twice is harmless */
    }
}

static void test_large_in_pieces(void)
{
    events e = make_events(20000, 2, 5, 1);
    double *rows = rows_of(&e, 1);
    char npy[4096];
    path_of(npy, sizeof npy, "large.npy");
    size_t shape[2] = {e.n, 9};
    write_npy(npy, rows, 2, shape, 1);
    const char *h5 = NULL;
#ifdef BAYESAMP_HAVE_HDF5
    char h5_path[4096], h5_spec_text[4200];
    path_of(h5_path, sizeof h5_path, "large.h5");
    h5_spec set = {"rows", H5T_IEEE_F32LE, 2, {e.n, 9}, rows, 1000};
    write_h5(h5_path, &set, 1);
    snprintf(h5_spec_text, sizeof h5_spec_text, "%s:rows", h5_path);
    h5 = h5_spec_text;
#endif
    test_pieces(npy, h5, &e);
    unlink(npy);
#ifdef BAYESAMP_HAVE_HDF5
    unlink(h5_path);
#endif
    free(rows);
    free_events(&e);
}

/* ------------------------------------------------------------------ bad inputs */

static void test_bad_npy(void)
{
    char path[4096], trunc[4096];
    path_of(path, sizeof path, "bad.npy");
    events e = make_events(10, 5, 3, 0);
    double *rows = rows_of(&e, 1);

    /* wrong column count: 17 = 4 * 4 + 1 for a 5-particle process */
    size_t shape[2] = {10, 17};
    write_npy(path, rows, 2, shape, 0);
    expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "has 17 columns", "expected (N, 21)");
    expect_bad(path, 5, EVENT_AMP_IGNORED, path, "has 17 columns", "(N, 20)");
    shape[1] = 18;
    write_npy(path, rows, 2, shape, 0);
    expect_bad(path, 0, EVENT_AMP_REQUIRED, path, "18 columns is neither 4P nor 4P+1", NULL);
    double *wide = calloc(2 * 4200, sizeof *wide);
    size_t wide_shape[2] = {2, 4200};
    write_npy(path, wide, 2, wide_shape, 0);
    expect_bad(path, 0, EVENT_AMP_IGNORED, path, "more columns than 1024 particles", NULL);
    free(wide);
    /* momenta alone where an amplitude is required */
    shape[1] = 20;
    write_npy(path, rows, 2, shape, 0);
    expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "no amplitude column", "(N, 21)");
    expect_bad(path, 0, EVENT_AMP_REQUIRED, path, "no amplitude column", "(N, 4P+1)");
    size_t shape3[3] = {10, 5, 4};
    write_npy(path, rows, 3, shape3, 0);
    expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "no amplitudes", NULL);
    shape3[1] = 4;
    shape3[2] = 5;
    write_npy(path, rows, 3, shape3, 0);
    expect_bad(path, 0, EVENT_AMP_IGNORED, path, "shape (10, 4, 5)", "expected");
    /* not 2-D */
    size_t shape1[1] = {21};
    write_npy(path, rows, 1, shape1, 0);
    expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "shape (21,)", "expected (N, 21)");
    size_t shape4[4] = {2, 5, 3, 7};
    write_npy(path, rows, 4, shape4, 0);
    expect_bad(path, 0, EVENT_AMP_OPTIONAL, path, "shape (2, 5, 3, 7)", NULL);
    write_npy(path, rows, 0, NULL, 0);
    expect_bad(path, 0, EVENT_AMP_OPTIONAL, path, "shape ()", NULL);
    /* no events */
    size_t empty[2] = {0, 21};
    write_npy(path, rows, 2, empty, 0);
    expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "no events", NULL);

    /* NaN and infinite momenta, bad amplitudes: the row is named */
    shape[1] = 21;
    double saved = rows[3 * 21 + 6];
    rows[3 * 21 + 6] = NAN; /* particle 2, py */
    write_npy(path, rows, 2, shape, 0);
    expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "row 3: non-finite momentum",
               "py of particle 2 of 5");
    expect_bad(path, 5, EVENT_AMP_IGNORED, path, "row 3: non-finite momentum", NULL);
    write_npy(path, rows, 2, shape, 1);
    expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "row 3: non-finite momentum", NULL);
    rows[3 * 21 + 6] = saved;
    rows[8 * 21 + 0] = -INFINITY;
    write_npy(path, rows, 2, shape, 0);
    expect_bad(path, 0, EVENT_AMP_REQUIRED, path, "row 8: non-finite momentum component -inf",
               "E of particle 1");
    rows[8 * 21 + 0] = 100;
    const double bad_amps[4] = {-1.5, 0.0, NAN, INFINITY};
    for (int k = 0; k < 4; k++) {
        rows[7 * 21 + 20] = bad_amps[k];
        write_npy(path, rows, 2, shape, k % 2);
        expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "row 7: amplitude",
                   "is not positive and finite");
        expect_bad(path, 0, EVENT_AMP_OPTIONAL, path, "row 7: amplitude", NULL);
    }
    /* an ignored amplitude column is not checked: predict reads training files */
    {
        event_data d;
        ba_error err = {{0}};
        CHECK_MSG(event_file_load(path, 5, EVENT_AMP_IGNORED, &d, &err) == 0, "%s", err.msg);
        CHECK(d.n == 10 && d.amplitudes == NULL);
        event_data_free(&d);
    }
    rows[7 * 21 + 20] = 1.0;

    /* truncated: the npy reader's own check, through this reader */
    path_of(trunc, sizeof trunc, "truncated.npy");
    write_npy(trunc, rows, 2, shape, 0);
    CHECK(truncate(trunc, 128 + 10 * 21 * 8 - 5) == 0);
    expect_bad(trunc, 5, EVENT_AMP_REQUIRED, trunc, "truncated", NULL);
    unlink(trunc);
    /* not a .npy file at all */
    FILE *fp = fopen(trunc, "wb");
    fputs("E,px,py,pz\n1,2,3,4\n", fp);
    fclose(fp);
    expect_bad(trunc, 0, EVENT_AMP_OPTIONAL, trunc, "", NULL);
    unlink(trunc);
    /* missing */
    path_of(trunc, sizeof trunc, "missing.npy");
    expect_bad(trunc, 5, EVENT_AMP_REQUIRED, trunc, "cannot open", "No such file");

    /* what the spec names */
    path_of(trunc, sizeof trunc, "events.csv");
    expect_bad(trunc, 5, EVENT_AMP_REQUIRED, trunc, "not an event file",
               "FILE.npy, FILE.h5:NAME or FILE.hdf5:NAME");
    expect_bad(dir, 5, EVENT_AMP_REQUIRED, dir, "is a folder", NULL);
    expect_bad(path, 5000, EVENT_AMP_REQUIRED, path, "at most 1024", NULL);

    unlink(path);
    free(rows);
    free_events(&e);
}

#ifdef BAYESAMP_HAVE_HDF5
static void test_bad_hdf5(void)
{
    char path[4096], spec[4200], what[4200];
    path_of(path, sizeof path, "bad.h5");
    events e = make_events(10, 5, 4, 0);
    double *rows = rows_of(&e, 1);
    rows[3 * 21 + 6] = NAN;      /* momentum, row 3 */
    double *neg = rows_of(&e, 1);
    neg[9 * 21 + 20] = -2.0;     /* amplitude, row 9 */
    h5_spec sets[8] = {
        {"good", H5T_IEEE_F64LE, 2, {10, 20}, e.mom, 0},
        {"cols17", H5T_IEEE_F64LE, 2, {10, 17}, rows, 0},
        {"nan", H5T_IEEE_F32BE, 2, {10, 21}, rows, 4},
        {"negative", H5T_IEEE_F64BE, 2, {10, 21}, neg, 0},
        {"ints", H5T_STD_I32LE, 2, {10, 21}, NULL, 0},
        {"scalar", H5T_IEEE_F64LE, 0, {0}, NULL, 0},
        {"flat", H5T_IEEE_F64LE, 1, {210}, rows, 0},
        {"group/inner", H5T_IEEE_F64LE, 2, {10, 21}, rows, 0},
    };
    write_h5(path, sets, 8);

    snprintf(spec, sizeof spec, "%s:cols17", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "has 17 columns", "expected (N, 21)");
    snprintf(spec, sizeof spec, "%s:nan", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "row 3: non-finite momentum component nan",
               "py of particle 2 of 5");
    snprintf(spec, sizeof spec, "%s:negative", path);
    expect_bad(spec, 0, EVENT_AMP_REQUIRED, spec, "row 9: amplitude -2 is not positive", NULL);
    snprintf(spec, sizeof spec, "%s:ints", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "integer values",
               "only float32 and float64");
    snprintf(spec, sizeof spec, "%s:scalar", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "shape ()", NULL);
    snprintf(spec, sizeof spec, "%s:flat", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "shape (210,)", "expected (N, 21)");
    snprintf(spec, sizeof spec, "%s:group", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "is a group, not a dataset", NULL);
    /* a missing dataset: the message lists what is there */
    snprintf(spec, sizeof spec, "%s:events", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "no dataset 'events'",
               "datasets at the top level: cols17, flat, good, ints, nan, negative, scalar");
    snprintf(spec, sizeof spec, "%s:group/missing", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "no dataset 'group/missing'", NULL);
    snprintf(spec, sizeof spec, "%s:no/such/group", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "no dataset 'no/such/group'", NULL);
    /* no dataset named */
    snprintf(what, sizeof what, "as %s:NAME", path);
    expect_bad(path, 5, EVENT_AMP_REQUIRED, path, "name the dataset", what);
    snprintf(spec, sizeof spec, "%s:", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, path, "name the dataset", NULL);

    /* not an HDF5 file; missing; a folder */
    char other[4096];
    path_of(other, sizeof other, "not_hdf5.hdf5");
    size_t shape[2] = {10, 21};
    write_npy(other, rows, 2, shape, 0);
    snprintf(spec, sizeof spec, "%s:events", other);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, other, "cannot read as HDF5", NULL);
    unlink(other);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, other, "cannot open", "No such file");
    path_of(other, sizeof other, "folder.h5");
    CHECK(mkdir(other, 0700) == 0);
    snprintf(spec, sizeof spec, "%s:events", other);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, other, "is a directory", NULL);
    rmdir(other);

    /* after all these failures HDF5 still works and still prints nothing */
    snprintf(spec, sizeof spec, "%s:good", path);
    event_data d;
    ba_error err = {{0}};
    capture_begin();
    int rc = event_file_load(spec, 5, EVENT_AMP_IGNORED, &d, &err);
    CHECK(capture_end() == 0);
    CHECK_MSG(rc == 0 && d.n == 10, "%s", err.msg);
    event_data_free(&d);

    unlink(path);
    free(rows);
    free(neg);
    free_events(&e);
}
#else
static void test_without_hdf5(void)
{
    char path[4096], spec[4200];
    path_of(path, sizeof path, "any.hdf5");
    snprintf(spec, sizeof spec, "%s:events", path);
    expect_bad(spec, 5, EVENT_AMP_REQUIRED, spec, "built without HDF5 support", NULL);
}
#endif

static void test_classify(void)
{
    CHECK(event_spec_classify(dir) == EVENT_SPEC_FOLDER);
    CHECK(event_spec_classify("runs/x/data.npy") == EVENT_SPEC_NPY);
    CHECK(event_spec_classify("DATA.NPY") == EVENT_SPEC_NPY);
    CHECK(event_spec_classify("a.h5:events") == EVENT_SPEC_HDF5);
    CHECK(event_spec_classify("a.hdf5:/g/events") == EVENT_SPEC_HDF5);
    CHECK(event_spec_classify("a.hdf5") == EVENT_SPEC_HDF5);
    CHECK(event_spec_classify("old.h5:dir/a.hdf5:x:y") == EVENT_SPEC_HDF5);
    CHECK(event_spec_classify("events.csv") == EVENT_SPEC_UNKNOWN);
    CHECK(event_spec_classify("a.h5x:events") == EVENT_SPEC_UNKNOWN);
    CHECK(event_spec_classify("") == EVENT_SPEC_UNKNOWN);
}

/* ------------------------------------------------------------------ splits */

static void test_split_parse(void)
{
    double f[3];
    ba_error err = {{0}};
    CHECK(event_split_parse("0.8,0.1,0.1", f, &err) == 0 && f[0] == 0.8 && f[2] == 0.1);
    CHECK(event_split_parse("0.7,0.15,0.15", f, &err) == 0);
    CHECK(event_split_parse("1,0,0", f, &err) == 0 && f[1] == 0);
    const char *bad[] = {"",        "0.8,0.1",     "0.8,0.1,0.1,0", "0.8;0.1;0.1",
                         "0.8,0.1,0.2", "1.2,-0.1,-0.1", "0,0.5,0.5", "nan,0.5,0.5",
                         "0.8,0.1,0.1x", "a,b,c",   "0.8, 0.1,0.1 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        int rc = event_split_parse(bad[i], f, &err);
        CHECK_MSG(rc != 0, "--split '%s' accepted", bad[i]);
        CHECK_MSG(strncmp(err.msg, "split fractions ", 16) == 0 && strstr(err.msg, bad[i]),
                  "'%s': %s", bad[i], err.msg);
        if (getenv("TEST_VERBOSE"))
            printf("  %s\n", err.msg);
    }
}

static void test_split_counts(void)
{
    size_t c[3];
    ba_error err = {{0}};
    const double f811[3] = {0.8, 0.1, 0.1};
    CHECK(event_split_counts(1000, f811, c, &err) == 0 && c[0] == 800 && c[1] == 100 &&
          c[2] == 100);
    /* numpy: int(7 * 0.8) = 5, int(7 * 0.9) = 6 */
    CHECK(event_split_counts(7, f811, c, &err) == 0 && c[0] == 5 && c[1] == 1 && c[2] == 1);
    /* the L-GATr boundaries int(n * cumsum): 0.29 * 100 = 28.999999999999996 -> 28 */
    const double f29[3] = {0.29, 0.71, 0};
    CHECK(event_split_counts(100, f29, c, &err) == 0 && c[0] == 28 && c[1] == 72 && c[2] == 0);
    const double f_all[3] = {1, 0, 0};
    CHECK(event_split_counts(5, f_all, c, &err) == 0 && c[0] == 5 && c[1] == 0 && c[2] == 0);
    /* a split asked for but empty */
    CHECK(event_split_counts(5, f811, c, &err) != 0 && strstr(err.msg, "no validation event"));
    CHECK(event_split_counts(0, f811, c, &err) != 0);
}

static void test_split_assign(void)
{
    ba_error err = {{0}};
    const double f[3] = {0.8, 0.1, 0.1};
    enum { N = 10007 };
    unsigned char *a = malloc(N), *b = malloc(N);
    size_t c[3];

    /* blocks: trn, then val, then tst */
    CHECK(event_split_assign(N, f, EVENT_SPLIT_BLOCKS, 0, a, c, &err) == 0);
    CHECK(c[0] == 8005 && c[1] == 1001 && c[2] == 1001);
    int blocks_ok = 1;
    for (size_t i = 0; i < N; i++)
        blocks_ok &= a[i] == (i < 8005 ? EVENT_TRN : i < 9006 ? EVENT_VAL : EVENT_TST);
    CHECK(blocks_ok);

    /* shuffled: exact counts, the same labels every time, spread through the file */
    CHECK(event_split_assign(N, f, EVENT_SPLIT_SHUFFLED, EVENT_SPLIT_SEED, a, c, &err) == 0);
    CHECK(event_split_assign(N, f, EVENT_SPLIT_SHUFFLED, EVENT_SPLIT_SEED, b, NULL, &err) == 0);
    CHECK(memcmp(a, b, N) == 0);
    size_t n[3] = {0};
    for (size_t i = 0; i < N; i++)
        n[a[i]]++;
    CHECK(n[0] == c[0] && n[1] == c[1] && n[2] == c[2] && c[0] == 8005);
    /* each tenth of the file holds about a tenth of every split: 1001 val events, 100
     * expected per tenth, binomial sd ~9.5; 60..140 is > 4 sd */
    int spread = 1;
    for (int part = 0; part < 10; part++) {
        size_t val = 0;
        for (size_t i = (size_t)part * N / 10; i < (size_t)(part + 1) * N / 10; i++)
            val += a[i] == EVENT_VAL;
        spread &= val > 60 && val < 140;
    }
    CHECK_MSG(spread, "validation events are not spread through the file");
    /* another seed, another split */
    CHECK(event_split_assign(N, f, EVENT_SPLIT_SHUFFLED, 12345, b, NULL, &err) == 0);
    CHECK(memcmp(a, b, N) != 0);

    /* The labels of a small file, fixed for good: a change here changes every split
     * made with --split, so it must be deliberate. (Computed by this implementation;
     * Philox4x32-10 is itself checked against Random123's known answers in test_rng.) */
    unsigned char small[30];
    CHECK(event_split_assign(30, f, EVENT_SPLIT_SHUFFLED, EVENT_SPLIT_SEED, small, NULL,
                             &err) == 0);
    char text[31];
    for (int i = 0; i < 30; i++)
        text[i] = (char)('0' + small[i]);
    text[30] = '\0';
    const char *golden = GOLDEN_SPLIT_30;
    CHECK_MSG(strcmp(text, golden) == 0, "split of 30 events changed: %s, was %s", text,
              golden);
    if (getenv("TEST_VERBOSE"))
        printf("  split of 30: %s\n", text);

    /* a failing split writes no labels and says why */
    CHECK(event_split_assign(3, f, EVENT_SPLIT_SHUFFLED, 1, a, c, &err) != 0);
    CHECK(strstr(err.msg, "of 3 events leaves no validation event") != NULL);
    free(a);
    free(b);
}

/* A single file split into three: every event in exactly one split, in file order,
 * with its own amplitude. */
static void test_split_file(void)
{
    char path[4096];
    path_of(path, sizeof path, "one_set.npy");
    events e = make_events(101, 3, 9, 0);
    double *rows = rows_of(&e, 1);
    size_t shape[2] = {e.n, 13};
    write_npy(path, rows, 2, shape, 0);
    event_data all, part[3];
    ba_error err = {{0}};
    int rc = event_file_load(path, 0, EVENT_AMP_REQUIRED, &all, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    unsigned char labels[101];
    const double f[3] = {0.6, 0.2, 0.2};
    size_t c[3];
    CHECK(rc == 0 && event_split_assign(all.n, f, EVENT_SPLIT_SHUFFLED, EVENT_SPLIT_SEED,
                                        labels, c, &err) == 0);
    for (int s = 0; s < 3; s++) {
        CHECK(event_data_take(&all, labels, s, &part[s], &err) == 0);
        CHECK(part[s].n == c[s] && part[s].n_particles == 3 && part[s].amplitudes);
    }
    CHECK(c[0] == 60 && c[1] == 20 && c[2] == 21);
    size_t next[3] = {0};
    int same = 1;
    for (size_t i = 0; i < e.n; i++) {
        int s = labels[i];
        size_t k = next[s]++;
        same &= k < part[s].n && same_values(part[s].momenta + 12 * k, e.mom + 12 * i, 12) &&
                part[s].amplitudes[k] == e.amp[i];
    }
    CHECK_MSG(same, "the splits do not hold the file's events in order");
    /* a split of nothing */
    memset(labels, EVENT_TRN, sizeof labels);
    event_data none;
    CHECK(event_data_take(&all, labels, EVENT_TST, &none, &err) == 0 && none.n == 0);
    event_data_free(&none);
    for (int s = 0; s < 3; s++)
        event_data_free(&part[s]);
    event_data_free(&all);
    /* reading no events is allowed */
    event_file ef;
    CHECK(event_file_open(&ef, path, 3, EVENT_AMP_REQUIRED, &err) == 0);
    CHECK(event_file_read(&ef, 101, 0, NULL, NULL, &err) == 0);
    event_file_close(&ef);
    unlink(path);
    free(rows);
    free_events(&e);
}

/* ------------------------------------------------------------------ main */

static int count_entries(const char *d)
{
    DIR *h = opendir(d);
    if (!h)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(h)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(h);
    return n;
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    test_classify();
    test_npy_round_trips();
    test_large_in_pieces();
    test_bad_npy();
#ifdef BAYESAMP_HAVE_HDF5
    test_hdf5_round_trips();
    test_bad_hdf5();
#else
    test_without_hdf5();
#endif
    test_split_parse();
    test_split_counts();
    test_split_assign();
    test_split_file();
    CHECK_MSG(count_entries(dir) == 0, "files left in %s", dir);
    rmdir(dir);
    return test_summary("test_event_file");
}
