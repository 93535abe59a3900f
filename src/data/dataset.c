/* The Heidelberg data layout and the tutorial's preprocessing.
 *
 * A data folder holds {trn,val,tst}_dat.npy, momenta of shape (N, 5, 4) with particles
 * [g_in, g_in, photon, photon, g_out] and components (E, px, py, pz) in GeV, and
 * {trn,val,tst}_amp.npy, amplitudes of shape (N,). The network sees the 20 momentum
 * components divided by the mean transverse momentum of the outgoing gluon over the
 * training set, and learns log(amplitude).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "common/error.h"
#include "data/npy.h"

#define N_PARTICLES 5
#define N_COMPONENTS 4
#define N_FEATURES (N_PARTICLES * N_COMPONENTS)
#define GLUON_OUT 4

/* pT of the outgoing gluon as the tutorial computes it: sqrt(round(px^2 + py^2, 5)),
 * with numpy's rounding (scale, round half to even, scale back). */
static double gluon_pt(const double *event)
{
    double px = event[GLUON_OUT * N_COMPONENTS + 1], py = event[GLUON_OUT * N_COMPONENTS + 2];
    return sqrt(nearbyint((px * px + py * py) * 1e5) / 1e5);
}

void ba_preprocess_momenta(const double *momenta, size_t n, const ba_preprocessing *pre,
                           ba_real *features)
{
    for (size_t i = 0; i < n * N_FEATURES; i++)
        features[i] = (ba_real)(momenta[i] / pre->gluon_pt_mean);
}

/* The raw arrays of one split, checked. */
typedef struct raw_split {
    npy_array dat, amp;
} raw_split;

static int load_raw_split(const char *dir, const char *split, raw_split *out, ba_error *err)
{
    char dat_path[4096], amp_path[4096];
    memset(out, 0, sizeof *out);
    snprintf(dat_path, sizeof dat_path, "%s/%s_dat.npy", dir, split);
    snprintf(amp_path, sizeof amp_path, "%s/%s_amp.npy", dir, split);
    if (npy_read(dat_path, &out->dat, err))
        return -1;
    if (npy_read(amp_path, &out->amp, err)) {
        npy_free(&out->dat);
        return -1;
    }
    const npy_array *d = &out->dat, *a = &out->amp;
    int rc = 0;
    if (d->ndim != 3 || d->shape[1] != N_PARTICLES || d->shape[2] != N_COMPONENTS)
        rc = ba_fail(err, "%s: momenta must have shape (N, 5, 4), found %d dimensions (%zu, ...)",
                     dat_path, d->ndim, d->ndim ? d->shape[0] : 0);
    else if (a->ndim != 1)
        rc = ba_fail(err, "%s: amplitudes must have shape (N,), found %d dimensions", amp_path,
                     a->ndim);
    else if (a->shape[0] != d->shape[0])
        rc = ba_fail(err, "%s has %zu events but %s has %zu", dat_path, d->shape[0], amp_path,
                     a->shape[0]);
    else if (d->shape[0] == 0)
        rc = ba_fail(err, "%s: no events", dat_path);
    for (size_t i = 0; rc == 0 && i < d->shape[0]; i++) {
        for (int k = 0; k < N_FEATURES; k++)
            if (!isfinite(d->data[i * N_FEATURES + k])) {
                rc = ba_fail(err, "%s: row %zu: non-finite momentum component %g", dat_path, i,
                             d->data[i * N_FEATURES + k]);
                break;
            }
        double amp = a->data[i];
        if (rc == 0 && !(amp > 0 && isfinite(amp)))
            rc = ba_fail(err, "%s: row %zu: amplitude %g is not positive and finite", amp_path,
                         i, amp);
    }
    if (rc) {
        npy_free(&out->dat);
        npy_free(&out->amp);
    }
    return rc;
}

static int make_split(const raw_split *raw, const ba_preprocessing *pre, ba_split *out,
                      ba_error *err)
{
    size_t n = raw->dat.shape[0];
    out->n = n;
    out->n_features = N_FEATURES;
    out->x = malloc(n * N_FEATURES * sizeof *out->x);
    out->y = malloc(n * sizeof *out->y);
    if (!out->x || !out->y) {
        free(out->x), free(out->y);
        memset(out, 0, sizeof *out);
        return ba_fail(err, "out of memory for %zu events", n);
    }
    ba_preprocess_momenta(raw->dat.data, n, pre, out->x);
    for (size_t i = 0; i < n; i++)
        out->y[i] = (ba_real)log(raw->amp.data[i]);
    return 0;
}

int ba_dataset_load(const char *dir, ba_dataset *out, ba_error *err)
{
    static const char *names[3] = {"trn", "val", "tst"};
    raw_split raw[3];
    memset(out, 0, sizeof *out);
    memset(raw, 0, sizeof raw);
    int rc = 0, loaded = 0;
    for (; loaded < 3 && rc == 0; loaded++)
        rc = load_raw_split(dir, names[loaded], &raw[loaded], err);
    if (rc == 0) {
        double sum = 0;
        size_t n = raw[0].dat.shape[0];
        for (size_t i = 0; i < n; i++)
            sum += gluon_pt(raw[0].dat.data + i * N_FEATURES);
        out->pre.gluon_pt_mean = sum / (double)n;
        if (!(out->pre.gluon_pt_mean > 0))
            rc = ba_fail(err, "%s/trn_dat.npy: the outgoing gluon has no transverse momentum "
                         "in any event; cannot normalise", dir);
    }
    ba_split *splits[3] = {&out->trn, &out->val, &out->tst};
    for (int s = 0; s < 3 && rc == 0; s++)
        rc = make_split(&raw[s], &out->pre, splits[s], err);
    for (int s = 0; s < 3; s++) {
        npy_free(&raw[s].dat);
        npy_free(&raw[s].amp);
    }
    if (rc)
        ba_dataset_free(out);
    return rc;
}

int ba_events_load(const char *dir, const char *split, ba_events *out, ba_error *err)
{
    raw_split raw;
    memset(out, 0, sizeof *out);
    if (load_raw_split(dir, split, &raw, err))
        return -1;
    out->n = raw.dat.shape[0];
    out->momenta = raw.dat.data; /* ownership moves to out */
    out->amp = raw.amp.data;
    return 0;
}

void ba_events_free(ba_events *ev)
{
    free(ev->momenta);
    free(ev->amp);
    memset(ev, 0, sizeof *ev);
}

void ba_dataset_free(ba_dataset *ds)
{
    ba_split *splits[3] = {&ds->trn, &ds->val, &ds->tst};
    for (int s = 0; s < 3; s++) {
        free(splits[s]->x);
        free(splits[s]->y);
    }
    memset(ds, 0, sizeof *ds);
}
