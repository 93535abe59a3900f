/* Monte-Carlo prediction; see predict.h for the scheme. */
#include "nn/predict.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/vecmath.h"
#include "data/features.h"
#include "nn/streams.h"

#ifdef BA_REAL_DOUBLE
#define normals ba_rng_normals_f64
#else
#define normals ba_rng_normals_f32
#endif

/* Raw momenta per event of model m: P particles x (E, px, py, pz). */
#define N_MOMENTA(m) ((size_t)4 * (size_t)(m)->pre.process.n_particles)

/* The weight streams name the pass in 20 bits (streams.h). */
#define MAX_PASSES (1 << 20)

ba_predict_config ba_predict_defaults(void)
{
    ba_predict_config c = {.n_monte = 30, .mode = BA_PREDICT_SAMPLE, .seed = 1,
                           .batch_size = 128, .threads = 0};
    return c;
}

/* ---- statistics over the passes ---- */

/* The variances exp(logsig2) in vector lanes, common/vecmath.h's exp in double: libm's,
 * one call per event and pass, took 5 % of a 30-pass prediction (BENCHMARKS.md, "Issue
 * 12, fifth round"); libmvec's would need -ffast-math here, which would let the compiler
 * reorder the update below. */
#define MOMENTS_CHUNK 64

int mc_moments_alloc(mc_moments *acc, int rows)
{
    double *all = malloc(3 * (size_t)rows * sizeof *all);
    *acc = (mc_moments){all, all ? all + rows : NULL, all ? all + 2 * (size_t)rows : NULL};
    return all ? 0 : -1;
}

void mc_moments_free(mc_moments *acc)
{
    free(acc->mean);
    *acc = (mc_moments){0};
}

void mc_moments_clear(const mc_moments *acc, int rows)
{
    memset(acc->mean, 0, (size_t)rows * sizeof *acc->mean);
    memset(acc->m2, 0, (size_t)rows * sizeof *acc->m2);
    memset(acc->sum_var, 0, (size_t)rows * sizeof *acc->sum_var);
}

void mc_moments_add(const mc_moments *acc, const ba_real *outputs, int rows, int pass)
{
    for (int r0 = 0; r0 < rows; r0 += MOMENTS_CHUNK) {
        int n = rows - r0 < MOMENTS_CHUNK ? rows - r0 : MOMENTS_CHUNK;
        const ba_real *out = outputs + 2 * (size_t)r0;
        double *restrict mean = acc->mean + r0, *restrict m2 = acc->m2 + r0;
        double *restrict sum_var = acc->sum_var + r0;
        /* the head's (mu, logsig2) pairs apart first: GCC vectorises none of the loops
         * below when they read the pairs of floats themselves */
        double mus[MOMENTS_CHUNK], var[MOMENTS_CHUNK];
        for (int i = 0; i < n; i++) {
            mus[i] = out[2 * i];
            var[i] = out[2 * i + 1];
        }
#pragma omp simd
        for (int i = 0; i < n; i++)
            var[i] = vm_exp_f64(var[i]);
#pragma omp simd
        for (int i = 0; i < n; i++) {
            double mu = mus[i];
            double delta = mu - mean[i];
            mean[i] += delta / pass;
            m2[i] += delta * (mu - mean[i]);
            sum_var[i] += var[i];
        }
    }
}

void mc_moments_finish(const mc_moments *acc, int rows, int n, ba_prediction *out)
{
    for (int r = 0; r < rows; r++) {
        out[r].mean = acc->mean[r];
        out[r].var_aleatoric = acc->sum_var[r] / n;
        out[r].var_epistemic = acc->m2[r] / n; /* numpy's var: divide by n */
    }
}

/* ---- the predictor ---- */

void ba_predictor_free(ba_predictor *p)
{
    if (!p)
        return;
    if (p->workers)
        for (int t = 0; t < p->threads; t++) {
            net_noise_free(&p->workers[t].noise);
            net_block_free(&p->workers[t].block);
            mc_moments_free(&p->workers[t].acc);
        }
    free(p->workers);
    net_noise_free(&p->map);
    free(p->fixed);
    free(p);
}

static int check_config(const ba_predict_config *cfg, ba_error *err)
{
    if (cfg->mode != BA_PREDICT_SAMPLE && cfg->mode != BA_PREDICT_FIXED &&
        cfg->mode != BA_PREDICT_MAP)
        return ba_fail(err, "unknown prediction mode %d", (int)cfg->mode);
    if (cfg->n_monte < 1 || cfg->n_monte > MAX_PASSES)
        return ba_fail(err, "the number of Monte-Carlo passes must be between 1 and %d, "
                       "got %d", MAX_PASSES, cfg->n_monte);
    if (cfg->batch_size < 1 || cfg->batch_size > (1 << 24))
        return ba_fail(err, "the prediction batch size must be between 1 and %d, got %d",
                       1 << 24, cfg->batch_size);
    if (cfg->threads < 0)
        return ba_fail(err, "negative thread count %d", cfg->threads);
    return 0;
}

/* The weights of draw (pass, batch) into nz->weight: w = mu + sigma eps, with eps from
 * the stream (STREAM_PREDICT_NOISE, pass, batch, layer) and sigma in nz, computed once
 * per predictor: the normals are then the only cost of a draw. */
static void draw_weights(const ba_predictor *p, net_noise *nz, int pass, uint64_t batch)
{
    noise_source src = {p->cfg.seed, STREAM_PREDICT_NOISE, (uint64_t)pass, batch};
    net_redraw(nz, p->m, &src);
}

ba_predictor *ba_predictor_create(const ba_model *m, const ba_predict_config *cfg,
                                  ba_error *err)
{
    if (check_config(cfg, err))
        return NULL;
    ba_predictor *p = calloc(1, sizeof *p);
    if (!p) {
        ba_fail(err, "out of memory");
        return NULL;
    }
    p->m = m;
    p->cfg = *cfg;
    p->threads = cfg->threads > 0 ? cfg->threads : ba_default_threads();
    p->passes = cfg->mode == BA_PREDICT_MAP ? 1 : cfg->n_monte;
    /* The mean weights, or FIXED's draws, tie no event to its batch, so MAP and FIXED run
     * whole batches in tasks of at least SHARED_TASK_ROWS events: less overhead per
     * event, and a pass's weights stay in the cache over more rows (BENCHMARKS.md, issue
     * 12); the same numbers (net_forward_loaded: a row's output does not depend on the
     * other rows). */
    p->task_rows = cfg->batch_size;
    if (cfg->mode != BA_PREDICT_SAMPLE && cfg->batch_size < SHARED_TASK_ROWS)
        p->task_rows = (SHARED_TASK_ROWS + cfg->batch_size - 1) / cfg->batch_size *
                       cfg->batch_size;
    p->workers = calloc((size_t)p->threads, sizeof *p->workers);
    if (!p->workers) {
        ba_fail(err, "out of memory");
        ba_predictor_free(p);
        return NULL;
    }
    for (int t = 0; t < p->threads; t++) {
        predict_worker *w = &p->workers[t];
        if (mc_moments_alloc(&w->acc, p->task_rows)) {
            ba_fail(err, "out of memory for a batch of %d events", p->task_rows);
            ba_predictor_free(p);
            return NULL;
        }
        if (net_noise_alloc(&w->noise, m, BA_SAMPLER_WEIGHT, err) ||
            net_block_alloc(&w->block, m, p->task_rows, err)) {
            ba_predictor_free(p);
            return NULL;
        }
        /* sigma = exp(logsig2 / 2) of every weight for the worker's draws, in double */
        for (int l = 0; l < m->n_layers; l++) {
            const layer_layout *L = &m->layers[l];
            for (size_t i = 0; i < L->n_weights; i++)
                w->noise.sigma[L->mu_w + i] =
                    (ba_real)exp(0.5 * (double)m->params[L->logsig2_w + i]);
        }
    }
    if (cfg->mode == BA_PREDICT_MAP) {
        if (net_noise_alloc(&p->map, m, BA_SAMPLER_WEIGHT, err)) {
            ba_predictor_free(p);
            return NULL;
        }
        net_prepare_noise(&p->map, m, BA_NOISE_MAP, NULL);
    }
    /* FIXED: draw the weights of every pass once, if they fit the budget. */
    if (cfg->mode == BA_PREDICT_FIXED && (size_t)p->passes <= PREDICT_FIXED_BUDGET / m->n_params) {
        p->fixed = malloc((size_t)p->passes * m->n_params * sizeof *p->fixed);
        for (int k = 0; p->fixed && k < p->passes; k++) {
            draw_weights(p, &p->workers[0].noise, k, 0);
            memcpy(p->fixed + (size_t)k * m->n_params, p->workers[0].noise.weight,
                   m->n_params * sizeof *p->fixed);
        }
    }
    return p;
}

/* The weights of pass k for global batch index batch. */
static const net_noise *weights_for_pass(ba_predictor *p, predict_worker *w, int k,
                                         uint64_t batch, net_noise *view)
{
    switch (p->cfg.mode) {
    case BA_PREDICT_MAP:
        return &p->map;
    case BA_PREDICT_FIXED:
        if (p->fixed) {
            *view = (net_noise){.sampler = BA_SAMPLER_WEIGHT, .mode = BA_NOISE_KEEP,
                                .weight = p->fixed + (size_t)k * p->m->n_params};
            return view;
        }
        batch = 0; /* redraw pass k's single draw */
        break;
    case BA_PREDICT_SAMPLE:
        break;
    }
    draw_weights(p, &w->noise, k, batch);
    return &w->noise;
}

/* All passes over one batch of rows events: inputs from features or momenta (one of
 * them is NULL), batch the global batch index. */
static void predict_batch(ba_predictor *p, predict_worker *w, const ba_real *features,
                          const double *momenta, int rows, uint64_t batch,
                          ba_prediction *out)
{
    const ba_model *m = p->m;
    net_block *blk = &w->block;
    if (features)
        memcpy(blk->act[0], features, (size_t)rows * m->arch.n_inputs * sizeof *features);
    else /* the events were checked in predict_events, so this cannot fail */
        ba_preprocess_events(momenta, (size_t)rows, &m->pre, blk->act[0], NULL);
    mc_moments_clear(&w->acc, rows);
    net_outputs_load(m, blk, rows); /* once for all passes */
    for (int k = 0; k < p->passes; k++) {
        net_noise view;
        const net_noise *nz = weights_for_pass(p, w, k, batch, &view);
        net_forward_loaded(m, nz, blk, rows);
        mc_moments_add(&w->acc, blk->act[m->n_layers], rows, k + 1);
    }
    mc_moments_finish(&w->acc, rows, p->passes, out);
    if (m->n_sigma_groups > 0) /* the calibration of the sigmas (model.h) */
        for (int r = 0; r < rows; r++) {
            double log_a = features_log_amplitude(
                &m->pre, blk->act[0] + (size_t)r * m->arch.n_inputs, (ba_real)out[r].mean);
            double k = model_sigma_factor(m, log_a), k2 = k * k;
            out[r].var_aleatoric *= k2;
            out[r].var_epistemic *= k2;
        }
    if (momenta) /* from the network's target scale back to log A */
        for (int r = 0; r < rows; r++) {
            double a, b;
            ba_target_to_log_amplitude(momenta + (size_t)r * N_MOMENTA(m), &m->pre, &a, &b);
            out[r].mean = a * out[r].mean + b;
            out[r].var_aleatoric *= a * a;
            out[r].var_epistemic *= a * a;
        }
}

static int predict_events(ba_predictor *p, const ba_real *features, const double *momenta,
                          size_t n, size_t first_event, ba_prediction *out, ba_error *err)
{
    size_t bs = (size_t)p->task_rows;
    size_t n_in = (size_t)p->m->arch.n_inputs;
    /* Batches are cut at multiples of the batch size in the sample's numbering, so
     * that an event meets the same weight draws however the sample is split into
     * calls: batch b holds the events [first_event, last) of this call that fall into
     * [(batch0 + b) bs, (batch0 + b + 1) bs). (In MAP, bs is the task's size, and no
     * draw depends on b.) */
    uint64_t batch0 = first_event / bs;
    size_t n_batches = n ? (first_event + n - 1) / bs - batch0 + 1 : 0;
    /* Invariant features need positive s_ij: check every event before the threads start
     * (momenta features always exist). */
    if (momenta && p->m->pre.features == BA_FEATURES_INVARIANTS) {
        size_t first_bad = SIZE_MAX; /* the first, as in dataset_check_rows */
#pragma omp parallel for num_threads(p->threads) schedule(static) reduction(min : first_bad)
        for (size_t i = 0; i < n; i++) {
            ba_real x[BA_MAX_FEATURES];
            if (first_bad == SIZE_MAX &&
                ba_preprocess_events(momenta + i * N_MOMENTA(p->m), 1, &p->m->pre, x, NULL))
                first_bad = i;
        }
        if (first_bad != SIZE_MAX)
            return ba_fail(err, "event %zu: an invariant s_ij is not positive, so the "
                           "model's invariant features do not exist", first_event + first_bad);
    }
#pragma omp parallel num_threads(p->threads)
    {
        predict_worker *w = &p->workers[omp_get_thread_num()];
#pragma omp for schedule(dynamic)
        for (size_t b = 0; b < n_batches; b++) {
            size_t lo = (batch0 + b) * bs, hi = lo + bs;
            size_t e0 = lo > first_event ? lo - first_event : 0;
            size_t e1 = hi - first_event < n ? hi - first_event : n;
            int rows = (int)(e1 - e0);
            predict_batch(p, w, features ? features + e0 * n_in : NULL,
                          momenta ? momenta + e0 * N_MOMENTA(p->m) : NULL, rows, batch0 + b,
                          out + e0);
        }
    }
    return 0;
}

int ba_predict_features(ba_predictor *p, const ba_real *features, size_t n,
                        size_t first_event, ba_prediction *out, ba_error *err)
{
    return predict_events(p, features, NULL, n, first_event, out, err);
}

int ba_predict_momenta(ba_predictor *p, const double *momenta, size_t n, size_t first_event,
                       ba_prediction *out, ba_error *err)
{
    if (p->m->arch.n_inputs != p->m->pre.n_features)
        return ba_fail(err, "the network takes %d inputs, but its preprocessing makes %d "
                       "features of an event", p->m->arch.n_inputs, p->m->pre.n_features);
    return predict_events(p, NULL, momenta, n, first_event, out, err);
}

void predict_share(size_t n, size_t batch_size, int rank, size_t *lo, size_t *hi)
{
    par_range_units(n, batch_size, rank, par_size(), lo, hi);
}

int predict_momenta_across_ranks(ba_predictor *p, const double *momenta, size_t n,
                                 ba_prediction *out, ba_error *err)
{
    size_t lo, hi, bs = (size_t)p->cfg.batch_size;
    size_t stride = 4 * (size_t)p->m->pre.process.n_particles;
    predict_share(n, bs, par_rank(), &lo, &hi);
    int rc = ba_predict_momenta(p, momenta + lo * stride, hi - lo, lo, out + lo, err);
    if (par_agree(rc, err))
        return -1;
    size_t offset[par_size() + 1];
    for (int r = 0; r < par_size(); r++)
        predict_share(n, bs, r, &offset[r], &offset[r + 1]);
    par_allgather(out, offset, sizeof *out);
    return 0;
}
