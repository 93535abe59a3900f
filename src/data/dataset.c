/* The Heidelberg data layout and the tutorial's preprocessing.
 *
 * A data folder holds {trn,val,tst}_dat.npy, momenta of shape (N, 5, 4) with particles
 * [g_in, g_in, photon, photon, g_out] and components (E, px, py, pz) in GeV, and
 * {trn,val,tst}_amp.npy, amplitudes of shape (N,). The network sees the 20 momentum
 * components divided by the mean transverse momentum of the outgoing gluon over the
 * training set, and learns log(amplitude); or the Lorentz invariants and log(A s_12)
 * (data/features.h), optionally standardised.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "common/error.h"
#include "data/features.h"
#include "data/dataset.h"
#include "data/npy.h"

/* Standardised value of x with the constants (mean, std). */
static double standardise(double x, double mean, double std) { return (x - mean) / std; }

/* The network's inputs of one event: raw features, standardised if asked; -1 if the
 * event has no valid features. */
static int event_inputs(const double *event, const ba_preprocessing *pre, ba_real *out)
{
    double f[BA_MAX_FEATURES];
    if (event_features(pre->features, event, pre->gluon_pt_mean, f))
        return -1;
    for (int k = 0; k < pre->n_features; k++)
        out[k] = (ba_real)(pre->standardize ? standardise(f[k], pre->x_mean[k], pre->x_std[k])
                                            : f[k]);
    return 0;
}

int ba_preprocess_events(const double *momenta, size_t n, const ba_preprocessing *pre,
                         ba_real *features, ba_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (event_inputs(momenta + i * N_MOMENTUM_FEATURES, pre,
                         features + i * (size_t)pre->n_features))
            return ba_fail(err, "event %zu: an invariant s_ij is not positive, so the "
                           "invariant features do not exist", i);
    return 0;
}

void ba_target_to_log_amplitude(const double *event, const ba_preprocessing *pre, double *a,
                                double *b)
{
    /* y_net = (t - y_mean) / y_std with the raw target t; log A from t */
    *a = pre->y_std;
    *b = target_to_log_amplitude(pre->features, event, pre->y_mean);
}

static int load_raw_split(const char *dir, const char *split, raw_split *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->dat_path, sizeof out->dat_path, "%s/%s_dat.npy", dir, split);
    snprintf(out->amp_path, sizeof out->amp_path, "%s/%s_amp.npy", dir, split);
    if (npy_read(out->dat_path, &out->dat, err))
        return -1;
    if (npy_read(out->amp_path, &out->amp, err)) {
        npy_free(&out->dat);
        return -1;
    }
    return dataset_check_split(out, err);
}

int dataset_check_split(raw_split *out, ba_error *err)
{
    const char *dat_path = out->dat_path, *amp_path = out->amp_path;
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
        for (int k = 0; k < N_MOMENTUM_FEATURES; k++)
            if (!isfinite(d->data[i * N_MOMENTUM_FEATURES + k])) {
                rc = ba_fail(err, "%s: row %zu: non-finite momentum component %g", dat_path, i,
                             d->data[i * N_MOMENTUM_FEATURES + k]);
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

/* The constants of the preprocessing from the training split: the mean gluon pT and,
 * with standardisation, the mean and standard deviation of every raw feature and of the
 * raw target (in double, two passes). */
static int fit_preprocessing(const raw_split *trn, const char *path, ba_preprocessing *pre,
                             ba_error *err)
{
    size_t n = trn->dat.shape[0];
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += gluon_pt(trn->dat.data + i * N_MOMENTUM_FEATURES);
    pre->gluon_pt_mean = sum / (double)n;
    if (!(pre->gluon_pt_mean > 0))
        return ba_fail(err, "%s: the outgoing gluon has no transverse momentum in any event; "
                       "cannot normalise", path);
    pre->n_features = pre->features == BA_FEATURES_MOMENTA ? N_MOMENTUM_FEATURES
                                                          : N_INVARIANT_FEATURES;
    pre->y_mean = 0;
    pre->y_std = 1;
    for (int k = 0; k < pre->n_features; k++)
        pre->x_mean[k] = 0, pre->x_std[k] = 1;
    if (!pre->standardize)
        return 0;
    int nf = pre->n_features;
    double f[BA_MAX_FEATURES], sx[BA_MAX_FEATURES] = {0}, sxx[BA_MAX_FEATURES] = {0};
    double sy = 0, syy = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const double *event = trn->dat.data + i * N_MOMENTUM_FEATURES;
            if (event_features(pre->features, event, pre->gluon_pt_mean, f))
                return ba_fail(err, "%s: row %zu: an invariant s_ij is not positive", path, i);
            double y = event_target(pre->features, event, trn->amp.data[i]);
            for (int k = 0; k < nf; k++) {
                if (pass == 0)
                    sx[k] += f[k];
                else
                    sxx[k] += (f[k] - pre->x_mean[k]) * (f[k] - pre->x_mean[k]);
            }
            if (pass == 0)
                sy += y;
            else
                syy += (y - pre->y_mean) * (y - pre->y_mean);
        }
        if (pass == 0) {
            for (int k = 0; k < nf; k++)
                pre->x_mean[k] = sx[k] / (double)n;
            pre->y_mean = sy / (double)n;
        }
    }
    for (int k = 0; k < nf; k++) {
        pre->x_std[k] = sqrt(sxx[k] / (double)n);
        /* a constant input (the incoming gluons' zero px, say) carries no information:
         * keep it at 0 rather than divide by 0 */
        if (!(pre->x_std[k] > 0))
            pre->x_std[k] = 1;
    }
    pre->y_std = sqrt(syy / (double)n);
    if (!(pre->y_std > 0))
        pre->y_std = 1;
    return 0;
}

static int make_split(const raw_split *raw, const char *path, const ba_preprocessing *pre,
                      ba_split *out, ba_error *err)
{
    size_t n = raw->dat.shape[0];
    size_t nf = (size_t)pre->n_features;
    out->n = n;
    out->n_features = nf;
    out->x = malloc(n * nf * sizeof *out->x);
    out->y = malloc(n * sizeof *out->y);
    if (!out->x || !out->y) {
        free(out->x), free(out->y);
        memset(out, 0, sizeof *out);
        return ba_fail(err, "out of memory for %zu events", n);
    }
    for (size_t i = 0; i < n; i++) {
        const double *event = raw->dat.data + i * N_MOMENTUM_FEATURES;
        if (event_inputs(event, pre, out->x + i * nf))
            return ba_fail(err, "%s: row %zu: an invariant s_ij is not positive", path, i);
        double y = event_target(pre->features, event, raw->amp.data[i]);
        out->y[i] = (ba_real)(pre->standardize ? standardise(y, pre->y_mean, pre->y_std) : y);
    }
    return 0;
}

int ba_dataset_load(const char *dir, ba_dataset *out, ba_error *err)
{
    return ba_dataset_load_as(dir, BA_FEATURES_MOMENTA, 0, out, err);
}

int ba_dataset_load_as(const char *dir, ba_features features, int standardize,
                       ba_dataset *out, ba_error *err)
{
    static const char *names[3] = {"trn", "val", "tst"};
    /* on the heap: three splits with two 4 KiB paths each would crowd a stack */
    raw_split *raw = calloc(3, sizeof *raw);
    memset(out, 0, sizeof *out);
    if (!raw)
        return ba_fail(err, "out of memory");
    int rc = 0;
    for (int s = 0; s < 3 && rc == 0; s++)
        rc = load_raw_split(dir, names[s], &raw[s], err);
    if (rc == 0)
        rc = dataset_from_splits(raw, features, standardize, out, err);
    for (int s = 0; s < 3; s++) {
        npy_free(&raw[s].dat);
        npy_free(&raw[s].amp);
    }
    free(raw);
    return rc;
}

int dataset_from_splits(const raw_split raw[3], ba_features features, int standardize,
                        ba_dataset *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    out->pre.features = features;
    out->pre.standardize = standardize;
    int rc = fit_preprocessing(&raw[0], raw[0].dat_path, &out->pre, err);
    ba_split *splits[3] = {&out->trn, &out->val, &out->tst};
    for (int s = 0; s < 3 && rc == 0; s++)
        rc = make_split(&raw[s], raw[s].dat_path, &out->pre, splits[s], err);
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
