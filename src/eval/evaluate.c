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

/* The post-hoc rescaling: k from the pulls of val (predicted with the same predictor),
 * or of the evaluated events if val is NULL, applied to the evaluated events. */
static int rescale_fit(ba_evaluation *e, ba_predictor *p, const ba_events *val,
                       ba_uncertainty u, ba_error *err)
{
    const ba_prediction *vp = e->pred;
    const double *vy = e->log_true;
    ba_prediction *own_pred = NULL;
    double *own_y = NULL;
    int rc = -1;
    if (val) {
        own_pred = malloc(val->n * sizeof *own_pred);
        own_y = log_amplitudes(val->amp, val->n);
        if (!own_pred || !own_y) {
            ba_fail(err, "out of memory for %zu val events", val->n);
            goto done;
        }
        if (predict_momenta_across_ranks(p, val->momenta, val->n, own_pred, err))
            goto done;
        vp = own_pred, vy = own_y;
    }
    size_t n_fit = val ? val->n : e->n;
    double k;
    eval_metrics *mt = &e->metrics;
    if (eval_rescale_fit(vp, vy, n_fit, u, e->passes, &k, err) ||
        eval_pulls_compute(e->pred, e->log_true, e->n, u, e->passes, k,
                           &mt->rescaled, err))
        goto done;
    mt->has_rescaled = 1;
    mt->rescale_k = k;
    mt->rescale_n_fit = n_fit;
    mt->rescale_split = "val";
    rc = 0;
done:
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

void ba_prediction_sigma_total(const ba_prediction *pred, size_t n, ba_uncertainty u,
                               int n_monte, double *sigma)
{
    for (size_t i = 0; i < n; i++)
        sigma[i] = sqrt(eval_total_variance(&pred[i], u, n_monte));
}
