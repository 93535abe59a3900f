/* Prediction and metrics of events with known amplitudes: the work of `bayesamp
 * evaluate` (and of the evaluation after `bayesamp train`) that every front end shares;
 * writing the files and the summary is the front end's. */
#include "eval/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/parallel.h"
#include "nn/predict.h"

struct ba_evaluation {
    size_t n;
    ba_prediction *pred;
    double *log_true;
    int passes;
    eval_metrics metrics;
};

const eval_metrics *evaluation_metrics(const ba_evaluation *e) { return &e->metrics; }
const double *evaluation_log_true(const ba_evaluation *e) { return e->log_true; }
int evaluation_passes(const ba_evaluation *e) { return e->passes; }
size_t ba_evaluation_size(const ba_evaluation *e) { return e->n; }
const ba_prediction *ba_evaluation_predictions(const ba_evaluation *e) { return e->pred; }

void ba_evaluation_free(ba_evaluation *e)
{
    if (!e)
        return;
    free(e->pred);
    free(e->log_true);
    free(e);
}

char *ba_evaluation_json(const ba_evaluation *e)
{
    cJSON *root = eval_metrics_json(&e->metrics);
    if (!root)
        return NULL;
    /* cJSON's allocator is malloc (the library never changes its hooks): ba_free
     * releases it */
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

/* log A of n events into a new array; NULL if out of memory. */
static double *log_amplitudes(const double *amp, size_t n)
{
    double *y = malloc((n ? n : 1) * sizeof *y);
    if (y)
        for (size_t i = 0; i < n; i++)
            y[i] = log(amp[i]);
    return y;
}

/* The events of the model's process, checked as the loaders check theirs. */
static int check_events(const ba_process *proc, const ba_events *ev, const char *name,
                        ba_error *err)
{
    if (ev->n_particles != proc->n_particles)
        return ba_fail(err, "%s events have %d particles, but the model's process \"%s\" "
                       "has %d", name, ev->n_particles, proc->text, proc->n_particles);
    if (ev->n == 0)
        return ba_fail(err, "no %s events", name);
    return ba_events_check(proc, ev->momenta, ev->amp, ev->n, name, err);
}

/* The post-hoc rescaling: k from the pulls of n_fit events with predictions vp and log
 * amplitudes vy (the val split, predicted with the same predictor), or of the evaluated
 * events if vp is NULL, applied to the evaluated events. */
static int rescale_apply(ba_evaluation *e, const ba_prediction *vp, const double *vy,
                         size_t n_fit, ba_uncertainty u, ba_error *err)
{
    if (!vp)
        vp = e->pred, vy = e->log_true, n_fit = e->n;
    double k;
    eval_metrics *mt = &e->metrics;
    if (eval_rescale_fit(vp, vy, n_fit, u, e->passes, &k, err) ||
        eval_pulls_compute(e->pred, e->log_true, e->n, u, e->passes, k, &mt->rescaled, err))
        return -1;
    mt->has_rescaled = 1;
    mt->rescale_k = k;
    mt->rescale_n_fit = n_fit;
    mt->rescale_split = "val";
    return 0;
}

/* rescale_apply with k fitted on the events of val (every rank holding all of them),
 * predicted here across the ranks, or on the evaluated events if val is NULL. */
static int rescale_fit(ba_evaluation *e, ba_predictor *p, const ba_events *val,
                       ba_uncertainty u, ba_error *err)
{
    if (!val)
        return rescale_apply(e, NULL, NULL, 0, u, err);
    ba_prediction *own_pred = malloc(val->n * sizeof *own_pred);
    double *own_y = log_amplitudes(val->amp, val->n);
    int rc = -1;
    if (!own_pred || !own_y)
        ba_fail(err, "out of memory for %zu val events", val->n);
    else if (predict_momenta_across_ranks(p, val->momenta, val->n, own_pred, err) == 0)
        rc = rescale_apply(e, own_pred, own_y, val->n, u, err);
    free(own_pred);
    free(own_y);
    return rc;
}

int ba_evaluate(const ba_model *m, const ba_events *events, const ba_predict_config *cfg,
                ba_uncertainty u, int rescale, const ba_events *val, ba_evaluation **out,
                ba_error *err)
{
    *out = NULL;
    if (u != BA_UNCERTAINTY_CORRECTED && u != BA_UNCERTAINTY_BAYES)
        return ba_fail(err, "uncertainty %d is neither corrected (0) nor bayes (1)", (int)u);
    const ba_process *proc = &ba_model_preprocessing((ba_model *)m)->process;
    if (check_events(proc, events, "evaluated", err) ||
        (rescale && val && check_events(proc, val, "val", err)))
        return -1;
    ba_evaluation *e = calloc(1, sizeof *e);
    if (!e)
        return ba_fail(err, "out of memory");
    e->n = events->n;
    e->passes = cfg->mode == BA_PREDICT_MAP ? 1 : cfg->n_monte;
    e->pred = malloc(e->n * sizeof *e->pred);
    e->log_true = log_amplitudes(events->amp, e->n);
    ba_predictor *p = NULL;
    int rc = -1;
    if (!e->pred || !e->log_true) {
        ba_fail(err, "out of memory for %zu events", e->n);
        goto done;
    }
    if (!(p = ba_predictor_create(m, cfg, err)))
        goto done;
    double t0 = wall_seconds();
    if (predict_momenta_across_ranks(p, events->momenta, e->n, e->pred, err))
        goto done;
    double seconds = wall_seconds() - t0;
    if (eval_metrics_compute(e->pred, e->log_true, events->momenta, proc, e->n, u,
                             e->passes, &e->metrics, err))
        goto done;
    e->metrics.seconds = seconds;
    if (rescale && rescale_fit(e, p, val, u, err))
        goto done;
    rc = 0;
done:
    ba_predictor_free(p);
    if (rc)
        ba_evaluation_free(e);
    else
        *out = e;
    return rc;
}

/* Collective: this rank's events [first, first + ev->n) predicted (whole batches,
 * numbered as in one process), and what the metrics need of each (prediction, log A,
 * singular measure) gathered on rank 0 into *pred, *y and *measure (allocated there for
 * n events; measure may be NULL: not wanted). */
static int predict_gather(ba_predictor *p, const ba_process *proc, const ba_events *ev,
                          size_t first, size_t n, ba_prediction **pred, double **y,
                          double **measure, ba_error *err)
{
    size_t mine = ev->n;
    int root = par_rank() == 0;
    *pred = root ? malloc((n ? n : 1) * sizeof **pred) : NULL;
    *y = root ? malloc((n ? n : 1) * sizeof **y) : NULL;
    if (measure)
        *measure = root ? malloc((n ? n : 1) * sizeof **measure) : NULL;
    /* rank 0's events come first: its own numbers go straight into place */
    ba_prediction *my_pred = root ? *pred : malloc((mine ? mine : 1) * sizeof *my_pred);
    double *my_y = root ? *y : malloc((mine ? mine : 1) * sizeof *my_y);
    double *my_measure = !measure ? NULL
                         : root   ? *measure
                                  : malloc((mine ? mine : 1) * sizeof *my_measure);
    int rc = my_pred && my_y && (my_measure || !measure)
                 ? 0 : ba_fail(err, "out of memory for %zu events", root ? n : mine);
    if (par_agree(rc, err) == 0) {
        rc = par_agree(ba_predict_momenta(p, ev->momenta, mine, first, my_pred, err), err);
        for (size_t i = 0; rc == 0 && i < mine; i++)
            my_y[i] = log(ev->amp[i]);
        if (rc == 0 && measure)
            eval_singular_measures(proc, ev->momenta, mine, my_measure);
        if (rc == 0)
            rc = par_gather_into(my_pred, mine * sizeof *my_pred, *pred, n * sizeof **pred,
                                 "the predictions of all events", err);
        if (rc == 0)
            rc = par_gather_into(my_y, mine * sizeof *my_y, *y, n * sizeof **y,
                                 "the amplitudes of all events", err);
        if (rc == 0 && measure)
            rc = par_gather_into(my_measure, mine * sizeof *my_measure, *measure,
                                 n * sizeof **measure, "the events' singular measures", err);
    } else {
        rc = -1;
    }
    if (!root)
        free(my_pred), free(my_y), free(my_measure);
    return rc;
}

int evaluate_shares(const ba_model *m, const ba_events *events, size_t first, size_t n,
                    const ba_predict_config *cfg, ba_uncertainty u, int rescale,
                    const ba_events *val, size_t val_first, size_t n_val, ba_evaluation **out,
                    ba_error *err)
{
    *out = NULL;
    if (u != BA_UNCERTAINTY_CORRECTED && u != BA_UNCERTAINTY_BAYES)
        return ba_fail(err, "uncertainty %d is neither corrected (0) nor bayes (1)", (int)u);
    if (n == 0)
        return ba_fail(err, "no evaluated events");
    if (rescale && val && n_val == 0)
        return ba_fail(err, "no val events");
    const ba_process *proc = &ba_model_preprocessing((ba_model *)m)->process;
    ba_evaluation *e = calloc(1, sizeof *e);
    ba_predictor *p = NULL;
    double *measure = NULL, *val_y = NULL;
    ba_prediction *val_pred = NULL;
    int rc = par_agree(e ? 0 : ba_fail(err, "out of memory"), err);
    if (rc == 0) {
        e->n = n;
        e->passes = cfg->mode == BA_PREDICT_MAP ? 1 : cfg->n_monte;
        p = ba_predictor_create(m, cfg, err);
        rc = par_agree(p ? 0 : -1, err);
    }
    double t0 = wall_seconds();
    if (rc == 0)
        rc = predict_gather(p, proc, events, first, n, &e->pred, &e->log_true, &measure, err);
    double seconds = wall_seconds() - t0;
    if (rc == 0 && rescale && val)
        rc = predict_gather(p, proc, val, val_first, n_val, &val_pred, &val_y, NULL, err);
    /* every rank's rc is the same here (the steps above agree on theirs); the metrics
     * of all events are rank 0's work, and its outcome every rank's */
    if (rc == 0) {
        if (par_rank() == 0) {
            rc = eval_metrics_compute_measured(e->pred, e->log_true, measure, n, u,
                                               e->passes, &e->metrics, err);
            e->metrics.seconds = seconds;
            if (rc == 0 && rescale)
                rc = rescale_apply(e, val ? val_pred : NULL, val_y, n_val, u, err);
        }
        rc = par_agree(rc, err);
    }
    ba_predictor_free(p);
    free(measure), free(val_pred), free(val_y);
    if (rc == 0 && par_rank() == 0)
        *out = e;
    else
        ba_evaluation_free(e);
    return rc;
}

void ba_prediction_sigma_total(const ba_prediction *pred, size_t n, ba_uncertainty u,
                               int n_monte, double *sigma)
{
    for (size_t i = 0; i < n; i++)
        sigma[i] = sqrt(eval_total_variance(&pred[i], u, n_monte));
}
