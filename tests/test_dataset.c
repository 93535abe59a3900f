/* Tests of the data loader and the tutorial's preprocessing (src/data/dataset.c).
 *
 * Every data folder is written here with npy_write_f64/f32 (or byte by byte for the
 * big-endian case) into a temporary folder, so that the test needs no Python. The
 * expected features and targets are computed independently of the library: numpy's
 * round(x, 5) is rint(x * 1e5) / 1e5 with round half to even, written out below with
 * floor() so that it does not depend on the floating-point rounding mode.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bayesamp.h"
#include "check.h"
#include "data/npy.h"

#define NF 20 /* 5 particles x (E, px, py, pz) */
#define GLUON_PX 17
#define GLUON_PY 18

static const char *SPLITS[3] = {"trn", "val", "tst"};

/* ------------------------------------------------------------------ helpers */

static void join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static int contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

/* A reproducible uniform number in [0, 1) (the test's own generator, not the library's). */
static double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*state >> 11) * 0x1p-53;
}

/* One split's raw arrays. */
typedef struct raw {
    size_t n;
    double *mom; /* n x 20 */
    double *amp; /* n */
} raw;

/* n events with momenta of a few hundred GeV; the gluon's transverse components are
 * multiplied by pt_scale, so that splits can have different mean gluon pT. */
static raw make_raw(size_t n, uint64_t seed, double pt_scale)
{
    raw r = {n, malloc((n ? n : 1) * NF * sizeof(double)), malloc((n ? n : 1) * sizeof(double))};
    if (!r.mom || !r.amp) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < NF; k++)
            r.mom[i * NF + k] = 600.0 * uniform(&seed) - 300.0;
        r.mom[i * NF + GLUON_PX] *= pt_scale;
        r.mom[i * NF + GLUON_PY] *= pt_scale;
        r.amp[i] = exp(20.0 * uniform(&seed) - 10.0);
    }
    return r;
}

static void free_raw(raw *r)
{
    free(r->mom);
    free(r->amp);
}

static void write_f64(const char *dir, const char *name, const double *data, int ndim,
                      const size_t *shape)
{
    char path[4096];
    ba_error err;
    join(path, sizeof path, dir, name);
    if (npy_write_f64(path, data, ndim, shape, &err)) {
        fprintf(stderr, "cannot write test data: %s\n", err.msg);
        exit(2);
    }
}

static void write_split(const char *dir, const char *split, const raw *r)
{
    char name[64];
    size_t dshape[3] = {r->n, 5, 4}, ashape[1] = {r->n};
    snprintf(name, sizeof name, "%s_dat.npy", split);
    write_f64(dir, name, r->mom, 3, dshape);
    snprintf(name, sizeof name, "%s_amp.npy", split);
    write_f64(dir, name, r->amp, 1, ashape);
}

static void write_all(const char *dir, const raw splits[3])
{
    for (int s = 0; s < 3; s++)
        write_split(dir, SPLITS[s], &splits[s]);
}

/* numpy's rint: round half to even. */
static double round_half_even(double y)
{
    double f = floor(y), frac = y - f;
    if (frac > 0.5)
        return f + 1;
    if (frac < 0.5)
        return f;
    return fmod(f, 2.0) == 0.0 ? f : f + 1;
}

/* The tutorial's gluon pT: np.sqrt(np.round(px**2 + py**2, 5)). */
static double ref_gluon_pt(const double *event)
{
    double px = event[GLUON_PX], py = event[GLUON_PY];
    return sqrt(round_half_even((px * px + py * py) * 1e5) / 1e5);
}

static double ref_mean_pt(const raw *trn)
{
    double sum = 0;
    for (size_t i = 0; i < trn->n; i++)
        sum += ref_gluon_pt(trn->mom + i * NF);
    return sum / (double)trn->n;
}

/* Features and targets of a loaded split against the direct computation with the
 * given constant. Both are rounded to ba_real once, so they must agree exactly. */
static void check_split(const ba_split *got, const raw *r, double pt_mean, const char *what)
{
    CHECK_MSG(got->n == r->n, "%s: %zu events, want %zu", what, got->n, r->n);
    CHECK_MSG(got->n_features == NF, "%s: %zu features", what, got->n_features);
    if (got->n != r->n || got->n_features != NF)
        return;
    size_t bad_x = 0, bad_y = 0;
    for (size_t i = 0; i < r->n * NF; i++)
        bad_x += got->x[i] != (ba_real)(r->mom[i] / pt_mean);
    for (size_t i = 0; i < r->n; i++)
        bad_y += got->y[i] != (ba_real)log(r->amp[i]);
    CHECK_MSG(bad_x == 0, "%s: %zu features differ from momentum / %.17g", what, bad_x, pt_mean);
    CHECK_MSG(bad_y == 0, "%s: %zu targets differ from log(amplitude)", what, bad_y);
}

/* ba_dataset_load must fail, name every needle in its message, and leave *out empty. */
static void expect_load_fails(const char *dir, const char *what, const char *needle1,
                              const char *needle2)
{
    ba_dataset ds;
    ba_error err = {{0}};
    memset(&ds, 0xab, sizeof ds);
    int rc = ba_dataset_load(dir, &ds, &err);
    CHECK_MSG(rc != 0, "%s: loaded", what);
    if (rc == 0) {
        ba_dataset_free(&ds);
        return;
    }
    CHECK_MSG(contains(err.msg, needle1), "%s: message \"%s\" lacks \"%s\"", what, err.msg,
              needle1);
    if (needle2)
        CHECK_MSG(contains(err.msg, needle2), "%s: message \"%s\" lacks \"%s\"", what,
                  err.msg, needle2);
    CHECK_MSG(strchr(err.msg, '\n') == NULL, "%s: message has several lines", what);
    /* After a failure the caller may call ba_dataset_free (or not): nothing is held. */
    CHECK_MSG(ds.trn.x == NULL && ds.val.x == NULL && ds.tst.x == NULL && ds.trn.n == 0,
              "%s: output not cleared", what);
}

/* ------------------------------------------------------------------ tests */

static void test_preprocessing(const char *dir)
{
    /* Validation and test events have a gluon pT ten times larger: the constant must
     * come from the training set alone. */
    raw splits[3] = {make_raw(37, 1, 1.0), make_raw(11, 2, 10.0), make_raw(5, 3, 10.0)};
    write_all(dir, splits);
    ba_dataset ds;
    ba_error err;
    int rc = ba_dataset_load(dir, &ds, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc == 0) {
        double want = ref_mean_pt(&splits[0]);
        CHECK_CLOSE(ds.pre.gluon_pt_mean, want, 1e-14, 0);
        /* Far from the mean over all events, which would be several times larger. */
        CHECK(ds.pre.gluon_pt_mean < 300);
        check_split(&ds.trn, &splits[0], ds.pre.gluon_pt_mean, "trn");
        check_split(&ds.val, &splits[1], ds.pre.gluon_pt_mean, "val");
        check_split(&ds.tst, &splits[2], ds.pre.gluon_pt_mean, "tst");

        /* The public preprocessing function gives the same features. */
        ba_real *x = malloc(splits[1].n * NF * sizeof *x);
        ba_error perr;
        CHECK(ba_preprocess_events(splits[1].mom, splits[1].n, &ds.pre, x, &perr) == 0);
        CHECK(memcmp(x, ds.val.x, splits[1].n * NF * sizeof *x) == 0);
        free(x);
        ba_dataset_free(&ds);
        CHECK(ds.trn.x == NULL && ds.trn.n == 0);
        ba_dataset_free(&ds); /* a second free of a cleared data set is harmless */
    }
    for (int s = 0; s < 3; s++)
        free_raw(&splits[s]);
}

/* The rounding to 5 decimals, on training events whose px^2 + py^2 lies exactly halfway
 * between two multiples of 1e-5 (after the multiplication by 1e5): numpy rounds those
 * to even, here always down, where round-half-up would go up; and ordinary cases that
 * round up, where truncation would go down. (With inputs of a few decimals every exact
 * tie in float64 has an even integer part, so ties that round up are not available.) */
static void test_rounding(const char *dir)
{
    /* (px, py) and px^2 + py^2 rounded to 5 decimals, in units of 1e-5. */
    static const double cases[][3] = {
        {0.005, 0.0, 2},     /* 2.5   -> 2 */
        {0.0, 0.015, 22},    /* 22.5  -> 22 */
        {-0.045, 0.0, 202},  /* 202.5 -> 202 */
        {0.003, 0.004, 2},   /* 2.5   -> 2 */
        {0.001, -0.012, 14}, /* 14.5  -> 14 */
        {0.003, 0.0, 1},     /* 0.9   -> 1 */
        {0.0, 0.0, 0},
        {1.2345678, -2.5, 777416}, /* 777415.765... -> 777416 */
    };
    enum { N = sizeof cases / sizeof *cases };
    /* The ties only test anything if the products really are halfway in float64. */
    static const double ties[] = {2.5, 22.5, 202.5, 2.5, 14.5};
    for (int i = 0; i < 5; i++) {
        double px = cases[i][0], py = cases[i][1];
        CHECK_MSG((px * px + py * py) * 1e5 == ties[i], "case %d is no tie", i);
    }

    raw splits[3] = {make_raw(N, 4, 1.0), make_raw(3, 5, 1.0), make_raw(2, 6, 1.0)};
    double want_sum = 0;
    for (int i = 0; i < N; i++) {
        splits[0].mom[i * NF + GLUON_PX] = cases[i][0];
        splits[0].mom[i * NF + GLUON_PY] = cases[i][1];
        double sq = cases[i][2];
        want_sum += sqrt(sq * 1e-5);
        CHECK_CLOSE(ref_gluon_pt(splits[0].mom + i * NF), sqrt(sq * 1e-5), 1e-15, 0);
    }
    write_all(dir, splits);
    ba_dataset ds;
    ba_error err;
    int rc = ba_dataset_load(dir, &ds, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc == 0) {
        CHECK_CLOSE(ds.pre.gluon_pt_mean, want_sum / N, 1e-14, 0);
        check_split(&ds.trn, &splits[0], ds.pre.gluon_pt_mean, "trn (ties)");
        ba_dataset_free(&ds);
    }

    /* Gluon pT that rounds to zero in every training event: nothing to normalise by. */
    for (int i = 0; i < N; i++) {
        splits[0].mom[i * NF + GLUON_PX] = 0.001;
        splits[0].mom[i * NF + GLUON_PY] = -0.001;
    }
    write_split(dir, "trn", &splits[0]);
    expect_load_fails(dir, "zero gluon pT", "trn_dat.npy", "transverse momentum");
    for (int s = 0; s < 3; s++)
        free_raw(&splits[s]);
}

static void test_errors(const char *dir)
{
    raw good[3] = {make_raw(9, 7, 1.0), make_raw(6, 8, 1.0), make_raw(4, 9, 1.0)};
    char path[4096];
    ba_dataset ds;
    ba_error err;

    write_all(dir, good);
    CHECK_MSG(ba_dataset_load(dir, &ds, &err) == 0, "%s", err.msg);
    ba_dataset_free(&ds);

    /* A folder that does not exist. */
    char missing_dir[4200];
    join(missing_dir, sizeof missing_dir, dir, "no-such-folder");
    expect_load_fails(missing_dir, "missing folder", "no-such-folder", "trn_dat.npy");

    /* A missing file. */
    join(path, sizeof path, dir, "val_amp.npy");
    unlink(path);
    expect_load_fails(dir, "missing file", "val_amp.npy", NULL);
    write_all(dir, good);

    /* Wrong shapes. */
    size_t s454[3] = {9, 4, 5}, s20[2] = {9, 20}, s41[2] = {4, 1};
    write_f64(dir, "trn_dat.npy", good[0].mom, 3, s454);
    expect_load_fails(dir, "(N,4,5) momenta", "trn_dat.npy", "(N, 5, 4)");
    write_all(dir, good);
    write_f64(dir, "trn_dat.npy", good[0].mom, 2, s20);
    expect_load_fails(dir, "(N,20) momenta", "trn_dat.npy", "(N, 5, 4)");
    write_all(dir, good);
    write_f64(dir, "tst_amp.npy", good[2].amp, 2, s41);
    expect_load_fails(dir, "(N,1) amplitudes", "tst_amp.npy", "(N,)");
    write_all(dir, good);

    /* Row counts that disagree between the momenta and the amplitudes of a split. */
    size_t fewer[1] = {5};
    write_f64(dir, "val_amp.npy", good[1].amp, 1, fewer);
    expect_load_fails(dir, "row counts", "val_dat.npy", "val_amp.npy");
    write_all(dir, good);

    /* Non-finite momenta, reported with the row. */
    double saved = good[0].mom[3 * NF + 7];
    good[0].mom[3 * NF + 7] = NAN;
    write_all(dir, good);
    expect_load_fails(dir, "NaN momentum", "trn_dat.npy", "row 3");
    good[0].mom[3 * NF + 7] = saved;
    saved = good[2].mom[0 * NF + 19];
    good[2].mom[0 * NF + 19] = -INFINITY;
    write_all(dir, good);
    expect_load_fails(dir, "-inf momentum", "tst_dat.npy", "row 0");
    good[2].mom[0 * NF + 19] = saved;

    /* Amplitudes that have no logarithm. */
    static const double bad_amps[] = {0.0, -0.0, -1e-3, NAN, INFINITY};
    for (size_t k = 0; k < sizeof bad_amps / sizeof *bad_amps; k++) {
        saved = good[1].amp[5];
        good[1].amp[5] = bad_amps[k];
        write_all(dir, good);
        char what[64];
        snprintf(what, sizeof what, "amplitude %g", bad_amps[k]);
        expect_load_fails(dir, what, "val_amp.npy", "row 5");
        good[1].amp[5] = saved;
    }

    /* No events at all in a split. */
    raw empty = make_raw(0, 10, 1.0);
    write_all(dir, good);
    write_split(dir, "trn", &empty);
    expect_load_fails(dir, "empty training set", "trn_dat.npy", "no events");
    write_all(dir, good);
    write_split(dir, "tst", &empty);
    expect_load_fails(dir, "empty test set", "tst_dat.npy", "no events");
    free_raw(&empty);

    /* Not a .npy file at all. */
    write_all(dir, good);
    join(path, sizeof path, dir, "val_dat.npy");
    FILE *fp = fopen(path, "wb");
    fputs("epoch,loss\n1,2\n", fp);
    fclose(fp);
    expect_load_fails(dir, "garbage file", "val_dat.npy", NULL);

    /* After all this the good data load again. */
    write_all(dir, good);
    CHECK_MSG(ba_dataset_load(dir, &ds, &err) == 0, "%s", err.msg);
    ba_dataset_free(&ds);
    for (int s = 0; s < 3; s++)
        free_raw(&good[s]);
}

/* A '>f8' .npy file, byte by byte (npy_write_* write little-endian only). */
static void write_big_endian(const char *dir, const char *name, const double *data,
                             const char *shape_text, size_t count)
{
    char path[4096], dict[256];
    join(path, sizeof path, dir, name);
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '>f8', 'fortran_order': False, 'shape': %s, }", shape_text);
    size_t header_len = ((size_t)len + 1 + 10 + 63) / 64 * 64 - 10; /* total % 64 == 0 */
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        perror(path);
        exit(2);
    }
    fwrite("\x93NUMPY\x01\x00", 1, 8, fp);
    fputc((int)(header_len & 0xff), fp);
    fputc((int)(header_len >> 8), fp);
    fputs(dict, fp);
    for (size_t i = (size_t)len; i + 1 < header_len; i++)
        fputc(' ', fp);
    fputc('\n', fp);
    for (size_t i = 0; i < count; i++) {
        uint64_t u;
        memcpy(&u, &data[i], sizeof u);
        for (int b = 7; b >= 0; b--)
            fputc((int)((u >> (8 * b)) & 0xff), fp);
    }
    fclose(fp);
}

static void test_other_encodings(const char *dir)
{
    raw splits[3] = {make_raw(12, 11, 1.0), make_raw(7, 12, 1.0), make_raw(3, 13, 1.0)};
    /* float32: values that float32 holds exactly, so the expected result is known. */
    for (int s = 0; s < 3; s++) {
        for (size_t i = 0; i < splits[s].n * NF; i++)
            splits[s].mom[i] = (double)(float)splits[s].mom[i];
        for (size_t i = 0; i < splits[s].n; i++)
            splits[s].amp[i] = (double)(float)splits[s].amp[i];
    }
    for (int s = 0; s < 3; s++) {
        raw *r = &splits[s];
        float *mom = malloc(r->n * NF * sizeof *mom), *amp = malloc(r->n * sizeof *amp);
        for (size_t i = 0; i < r->n * NF; i++)
            mom[i] = (float)r->mom[i];
        for (size_t i = 0; i < r->n; i++)
            amp[i] = (float)r->amp[i];
        char path[4096], name[64];
        size_t dshape[3] = {r->n, 5, 4}, ashape[1] = {r->n};
        ba_error err;
        snprintf(name, sizeof name, "%s_dat.npy", SPLITS[s]);
        join(path, sizeof path, dir, name);
        CHECK_MSG(npy_write_f32(path, mom, 3, dshape, &err) == 0, "%s", err.msg);
        snprintf(name, sizeof name, "%s_amp.npy", SPLITS[s]);
        join(path, sizeof path, dir, name);
        CHECK_MSG(npy_write_f32(path, amp, 1, ashape, &err) == 0, "%s", err.msg);
        free(mom);
        free(amp);
    }
    ba_dataset ds;
    ba_error err;
    int rc = ba_dataset_load(dir, &ds, &err);
    CHECK_MSG(rc == 0, "float32: %s", err.msg);
    if (rc == 0) {
        CHECK_CLOSE(ds.pre.gluon_pt_mean, ref_mean_pt(&splits[0]), 1e-14, 0);
        for (int s = 0; s < 3; s++)
            check_split(s == 0 ? &ds.trn : s == 1 ? &ds.val : &ds.tst, &splits[s],
                        ds.pre.gluon_pt_mean, "float32");
        ba_dataset_free(&ds);
    }

    /* Big-endian float64 training files, little-endian float64 for the rest: the
     * same numbers, so the same data set bit for bit. */
    write_all(dir, splits);
    ba_dataset want;
    rc = ba_dataset_load(dir, &want, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    char shape_text[64];
    snprintf(shape_text, sizeof shape_text, "(%zu, 5, 4)", splits[0].n);
    write_big_endian(dir, "trn_dat.npy", splits[0].mom, shape_text, splits[0].n * NF);
    snprintf(shape_text, sizeof shape_text, "(%zu,)", splits[0].n);
    write_big_endian(dir, "trn_amp.npy", splits[0].amp, shape_text, splits[0].n);
    rc = rc || ba_dataset_load(dir, &ds, &err);
    CHECK_MSG(rc == 0, "big-endian: %s", err.msg);
    if (rc == 0) {
        CHECK(ds.pre.gluon_pt_mean == want.pre.gluon_pt_mean);
        CHECK(ds.trn.n == want.trn.n);
        CHECK(memcmp(ds.trn.x, want.trn.x, want.trn.n * NF * sizeof(ba_real)) == 0);
        CHECK(memcmp(ds.trn.y, want.trn.y, want.trn.n * sizeof(ba_real)) == 0);
        ba_dataset_free(&ds);
        ba_dataset_free(&want);
    }
    for (int s = 0; s < 3; s++)
        free_raw(&splits[s]);
}

/* ba_preprocess_events with the tutorial's features: a plain division by the constant,
 * nothing else. */
static void test_preprocess_momenta(void)
{
    double mom[2 * NF];
    for (int i = 0; i < 2 * NF; i++)
        mom[i] = (i - 17) * 12.5;
    ba_preprocessing pre = {.features = BA_FEATURES_MOMENTA, .n_features = NF,
                            .gluon_pt_mean = 40.0, .y_std = 1};
    ba_real x[2 * NF + 1];
    x[2 * NF] = (ba_real)12345; /* must stay: only n * 20 features are written */
    ba_error err;
    CHECK(ba_preprocess_events(mom, 2, &pre, x, &err) == 0);
    int bad = 0;
    for (int i = 0; i < 2 * NF; i++)
        bad += x[i] != (ba_real)((i - 17) * 12.5 / 40.0);
    CHECK(bad == 0);
    CHECK(x[2 * NF] == (ba_real)12345);
    CHECK(x[17] == 0);
    CHECK(x[18] == (ba_real)(12.5 / 40.0));
    CHECK(ba_preprocess_events(mom, 0, &pre, x, &err) == 0); /* no events: no crash */
}

/* Remove the temporary folder (flat: only files). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4096];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                join(path, sizeof path, dir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(dir);
}

int main(void)
{
    char dir[] = "/tmp/bayesamp-test-dataset-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    test_preprocessing(dir);
    test_rounding(dir);
    test_errors(dir);
    test_other_encodings(dir);
    test_preprocess_momenta();
    remove_dir(dir);
    return test_summary("test_dataset");
}
