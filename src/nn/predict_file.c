/* Prediction for a momenta file of any size ((N, P, 4) .npy, or rows of events in .npy
 * or HDF5): the file is read, predicted and written in
 * pieces of whole batches, so memory is bounded by the piece, not by the file (10^7
 * events x 30 passes never sit in memory). The pieces start at multiples of the batch
 * size, which keeps every batch's random numbers those of a prediction in one go.
 *
 * Under MPI (common/parallel.h) each rank reads, checks and predicts its own share of
 * the file, whole batches again (par_range over the batches), so the rows are those of
 * one process bit for bit (ba_predict_momenta's promise). Rank 0 writes its rows as it
 * goes and then the other ranks' in rank order (par_gather_ordered); the others keep
 * their rows (32 bytes an event) until then. The file is named only after every rank
 * has sent its rows, and an error on any rank leaves no file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "common/error.h"
#include "common/parallel.h"
#include "data/dataset.h"
#include "data/momenta_file.h"
#include "data/npy.h"
#include "nn/predict.h"

#define N_COMPONENTS 4

/* The number of events of a momenta file: (N, P, 4), or (P, 4) for one event, P the
 * particles of the model's process. */
static int momenta_events(const npy_reader *r, const ba_process *proc, size_t *n,
                          ba_error *err)
{
    size_t n_particles = (size_t)proc->n_particles;
    if (r->ndim == 3 && r->shape[1] == n_particles && r->shape[2] == N_COMPONENTS)
        *n = r->shape[0];
    else if (r->ndim == 2 && r->shape[0] == n_particles && r->shape[1] == N_COMPONENTS)
        *n = 1;
    else {
        char shape[256];
        size_t used = 0;
        for (int i = 0; i < r->ndim && used < sizeof shape; i++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, i ? ", %zu" : "%zu",
                                     r->shape[i]);
        if (r->ndim == 0)
            shape[0] = '\0';
        return ba_fail(err, "%s: momenta must have shape (N, %zu, 4) or (%zu, 4) for the "
                       "model's process \"%s\", found (%s%s)", r->path, n_particles,
                       n_particles, proc->text, shape, r->ndim == 1 ? "," : "");
    }
    if (*n == 0)
        return ba_fail(err, "%s: no events", r->path);
    return 0;
}

/* Open the momenta of the model's process: a .npy of (N, P, 4) or (P, 4), or rows of
 * events (data/momenta_file.h). */
static int source_open(momenta_file *src, const char *path, const ba_process *proc,
                       size_t *n, ba_error *err)
{
    if (momenta_file_open(src, path, proc->n_particles, err)) {
        momenta_file_close(src);
        return -1;
    }
    if (src->rows_file) {
        *n = src->events.n_events;
        return 0;
    }
    if (momenta_events(&src->npy, proc, n, err)) {
        momenta_file_close(src);
        return -1;
    }
    return 0;
}

/* Every momentum finite, and with kinematics every event on its process's mass shells
 * with momentum conserved (ba_process_check_event), checked before any prediction,
 * naming the first bad row. */
static int check_events(momenta_file *src, const ba_process *proc, int kinematics,
                        size_t lo, size_t hi, double *buf, size_t chunk, ba_error *err)
{
    for (size_t first = lo; first < hi; first += chunk) {
        size_t rows = hi - first < chunk ? hi - first : chunk;
        if (momenta_file_read(src, first, rows, buf, err) ||
            dataset_check_rows(proc, buf, NULL, rows, first, kinematics, src->path, NULL, err))
            return -1;
    }
    return 0;
}

/* par_gather_ordered's sink: other ranks' rows appended to the file. */
static int append_rows(const void *data, size_t bytes, void *user, ba_error *err)
{
    return npy_writer_append(user, data, bytes / sizeof(double), err);
}

int predict_file_chunked(const ba_model *m, const char *momenta_path, const char *out_path,
                         const ba_predict_config *cfg, size_t chunk_events,
                         size_t *n_events, ba_error *err)
{
    const ba_preprocessing *pre = ba_model_preprocessing((ba_model *)m);
    if (ba_model_arch(m)->n_inputs != pre->n_features)
        return ba_fail(err, "the network takes %d inputs, but its preprocessing makes %d "
                       "features of an event", ba_model_arch(m)->n_inputs, pre->n_features);
    /* Every rank opens the file and makes the predictor; rank 0 also opens the output
     * (an unwritable folder fails before any work). Until the first par_agree, an error
     * only skips the steps that follow. */
    momenta_file src;
    size_t n = 0;
    int rc = source_open(&src, momenta_path, &pre->process, &n, err);
    int src_open = rc == 0;
    ba_predictor *p = NULL;
    if (rc == 0 && !(p = ba_predictor_create(m, cfg, err)))
        rc = -1;
    /* This rank's events [lo, hi): whole batches, except at the end of the file. */
    size_t bs = (size_t)cfg->batch_size, lo = 0, hi = 0;
    if (rc == 0)
        predict_share(n, bs, par_rank(), &lo, &hi);
    /* Whole batches per piece, at least one. */
    size_t chunk = chunk_events / bs * bs;
    if (chunk == 0)
        chunk = bs;
    if (chunk > hi - lo)
        chunk = hi - lo > 0 ? hi - lo : 1;
    size_t n_momenta = (size_t)N_COMPONENTS * (size_t)pre->process.n_particles;
    int writer = par_rank() == 0; /* rank 0 writes; the others keep their rows */
    double *momenta = NULL, *rows_out = NULL;
    ba_prediction *pred = NULL;
    if (rc == 0) {
        momenta = malloc(chunk * n_momenta * sizeof *momenta);
        rows_out = malloc((writer ? chunk : hi - lo + 1) * 4 * sizeof *rows_out);
        pred = malloc(chunk * sizeof *pred);
        if (!momenta || !rows_out || !pred)
            rc = ba_fail(err, "out of memory for %zu events", writer ? chunk : hi - lo);
    }
    npy_writer w = {0};
    size_t shape[2] = {n, 4};
    if (rc == 0 && writer)
        rc = npy_writer_open(&w, out_path, 2, shape, err);
    rc = par_agree(rc, err);
    int together = rc == 0; /* every rank has its source, predictor and buffers */
    if (rc == 0)
        rc = par_agree(check_events(&src, &pre->process, cfg->check_kinematics, lo, hi,
                                    momenta, chunk, err), err);
    for (size_t first = lo; rc == 0 && first < hi; first += chunk) {
        size_t rows = hi - first < chunk ? hi - first : chunk;
        double *out = writer ? rows_out : rows_out + 4 * (first - lo);
        rc = momenta_file_read(&src, first, rows, momenta, err);
        if (rc == 0)
            rc = ba_predict_momenta(p, momenta, rows, first, pred, err);
        if (rc == 0) {
            ba_prediction_rows(pred, rows, out);
            if (writer)
                rc = npy_writer_append(&w, out, rows * 4, err);
        }
    }
    if (together) { /* every rank is here, and meets the same collectives */
        rc = par_agree(rc, err);
        if (rc == 0)
            rc = par_gather_ordered(rows_out, writer ? 0 : (hi - lo) * 4 * sizeof *rows_out,
                                    append_rows, &w, err);
        if (rc == 0 && writer)
            rc = npy_writer_commit(&w, err);
        /* a failed commit is rank 0's to tell */
        rc = par_agree(rc, err);
    }
    if (rc && writer)
        npy_writer_abort(&w); /* no-op if never opened or already committed */
    if (rc == 0 && n_events)
        *n_events = n;
    free(momenta);
    free(rows_out);
    free(pred);
    ba_predictor_free(p);
    if (src_open)
        momenta_file_close(&src);
    return rc;
}

int ba_predict_file(const ba_model *m, const char *momenta_path, const char *out_path,
                    const ba_predict_config *cfg, size_t *n_events, ba_error *err)
{
    return predict_file_chunked(m, momenta_path, out_path, cfg, PREDICT_FILE_CHUNK,
                                n_events, err);
}

void ba_prediction_rows(const ba_prediction *pred, size_t n, double *rows)
{
    /* in parallel, as dataset_check_rows: in memory, one thread took 2 % of a 30-pass
     * prediction (BENCHMARKS.md, "Issue 12, fifth round") */
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        rows[4 * i + 0] = exp(pred[i].mean);
        rows[4 * i + 1] = pred[i].mean;
        rows[4 * i + 2] = sqrt(pred[i].var_aleatoric);
        rows[4 * i + 3] = sqrt(pred[i].var_epistemic);
    }
}
