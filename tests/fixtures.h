/* Loading the golden PyTorch values of ../shared/fixtures (see its README) in tests. */
#ifndef BA_TEST_FIXTURES_H
#define BA_TEST_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "data/npy.h"

#define FIXTURE_DIR BAYESAMP_SHARED "/fixtures/"

/* Every loaded fixture, freed by fixtures_free() at the end of a test program. */
static double *fixtures_loaded[256];
static int fixtures_n;

static void fixtures_free(void)
{
    while (fixtures_n > 0)
        free(fixtures_loaded[--fixtures_n]);
}

/* The fixture `name` (without .npy) as float64; aborts the test if missing or of the
 * wrong size, since every later check would be meaningless. */
static double *fixture(const char *name, size_t expect_count)
{
    char path[1024];
    snprintf(path, sizeof path, FIXTURE_DIR "%s.npy", name);
    npy_array a;
    ba_error err;
    if (npy_read(path, &a, &err)) {
        fprintf(stderr, "cannot load fixture: %s\n", err.msg);
        exit(2);
    }
    if (expect_count && a.count != expect_count) {
        fprintf(stderr, "%s: %zu values, expected %zu\n", path, a.count, expect_count);
        exit(2);
    }
    if (fixtures_n == (int)(sizeof fixtures_loaded / sizeof *fixtures_loaded)) {
        fprintf(stderr, "too many fixtures loaded\n");
        exit(2);
    }
    fixtures_loaded[fixtures_n++] = a.data;
    return a.data;
}

/* max |got - want| <= rtol * max |want|: the error of an array relative to its scale. */
static int arrays_close(const double *got, const double *want, size_t n, double rtol,
                        const char *what)
{
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(want[i]) > scale)
            scale = fabs(want[i]);
        double d = fabs(got[i] - want[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    int ok = worst <= rtol * scale;
    if (!ok)
        fprintf(stderr, "  %s: max deviation %.3g, scale %.3g (rtol %.1g)\n", what, worst, scale,
                rtol);
    return ok;
}

#endif
