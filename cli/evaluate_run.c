/* The evaluation shared by `bayesamp evaluate` and `bayesamp train`; see evaluate_run.h. */
#include "common/clock.h"
#include "evaluate_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "common/error.h"
#include "common/parallel.h"
#include "data/dataset_shard.h"
#include "data/npy.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "io/gnuplot.h"
#include "io/json_file.h"
#include "io/plots.h"
#include "nn/predict.h"

int parse_mc_option(int code, const char *value, ba_predict_config *cfg)
{
    long v;
    switch (code) {
    case MC_OPT_N_MONTE:
        if (cli_parse_int("--n-monte", value, 1, 1 << 20, &v))
            return -1;
        cfg->n_monte = (int)v;
        return 0;
    case MC_OPT_MODE:
        return evaluate_parse_mode(value, &cfg->mode);
    case MC_OPT_SEED:
        return cli_parse_u64("--seed", value, &cfg->seed);
    case MC_OPT_BATCH:
        if (cli_parse_int("--batch-size", value, 1, 1 << 20, &v))
            return -1;
        cfg->batch_size = (int)v;
        return 0;
    case MC_OPT_THREADS:
        if (cli_parse_int("--threads", value, 1, 1024, &v))
            return -1;
        cfg->threads = (int)v;
        return 0;
    }
    return -1;
}

int evaluate_parse_mode(const char *text, ba_predict_mode *mode)
{
    if (!strcmp(text, "sample"))
        *mode = BA_PREDICT_SAMPLE;
    else if (!strcmp(text, "fixed"))
        *mode = BA_PREDICT_FIXED;
    else if (!strcmp(text, "map"))
        *mode = BA_PREDICT_MAP;
    else {
        cli_error("--mode: '%s' is not one of sample, fixed, map", text);
        return -1;
    }
    return 0;
}

const char *evaluate_mode_name(ba_predict_mode mode)
{
    return mode == BA_PREDICT_FIXED ? "fixed" : mode == BA_PREDICT_MAP ? "map" : "sample";
}

/* history.csv in the folder of the model file. */
static void history_beside(const char *model_path, char *out, size_t size)
{
    const char *slash = strrchr(model_path, '/');
    if (slash)
        snprintf(out, size, "%.*s/history.csv", (int)(slash - model_path), model_path);
    else
        snprintf(out, size, "history.csv");
}

/* pred.npy: (n, 4) float64 with exp(mean), mean, sigma_aleatoric, sigma_epistemic. */
static int write_pred(const char *path, const ba_prediction *pred, size_t n, ba_error *err)
{
    double *rows = malloc((n ? n : 1) * 4 * sizeof *rows);
    if (!rows)
        return ba_fail(err, "%s: out of memory", path);
    ba_prediction_rows(pred, n, rows);
    size_t shape[2] = {n, 4};
    int rc = npy_write_f64(path, rows, 2, shape, err);
    free(rows);
    return rc;
}

static int write_metrics(const char *path, const eval_metrics *mt, const evaluate_options *o,
                         int threads, ba_error *err)
{
    cJSON *root = eval_metrics_json(mt);
    if (!root)
        return ba_fail(err, "%s: out of memory", path);
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    cJSON_AddStringToObject(set, "model", o->model_path);
    cJSON_AddStringToObject(set, "data", o->data_dir);
    if (o->has_data_split)
        cJSON_AddItemToObject(set, "data_split", cJSON_CreateDoubleArray(o->data_split, 3));
    cJSON_AddStringToObject(set, "split", o->split);
    cJSON_AddNumberToObject(set, "n_monte", o->predict.n_monte);
    cJSON_AddStringToObject(set, "mode", evaluate_mode_name(o->predict.mode));
    cJSON_AddNumberToObject(set, "seed", (double)o->predict.seed);
    cJSON_AddNumberToObject(set, "batch_size", o->predict.batch_size);
    cJSON_AddNumberToObject(set, "threads", threads);
    cJSON_AddStringToObject(set, "uncertainty", eval_total_name(o->uncertainty));
    cJSON_AddBoolToObject(set, "rescale_on_val", o->rescale_on_val != 0);
    cJSON *ver = cJSON_AddObjectToObject(root, "versions");
    cJSON_AddStringToObject(ver, "bayesamp", BAYESAMP_VERSION);
    cJSON_AddStringToObject(ver, "git_commit", ba_git_commit());
    cJSON_AddStringToObject(ver, "precision", ba_precision());
    int rc = json_write_file(path, root, err);
    cJSON_Delete(root);
    return rc;
}

/* The Monte-Carlo passes behind every prediction: 1 in MAP mode. */
static int mc_passes(const evaluate_options *o)
{
    return o->predict.mode == BA_PREDICT_MAP ? 1 : o->predict.n_monte;
}

/* Plots: data and scripts always, pictures when gnuplot is there. Only failing to
 * write the files is an error; a plot that cannot be drawn is a warning. */
static int make_plots(const evaluate_options *o, const ba_prediction *pred,
                      const double *log_true, size_t n, const eval_metrics *mt,
                      int *n_plots, int *n_rendered)
{
    char history[4096];
    history_beside(o->model_path, history, sizeof history);
    plot_inputs in = {.n = n, .pred = pred, .n_monte = mc_passes(o), .log_true = log_true,
                      .metrics = mt, .history_csv = history};
    struct stat st;
    if (stat(history, &st) != 0)
        in.history_csv = NULL;
    plot_list list;
    ba_error err;
    if (plots_write(o->out_dir, &in, &list, &err)) {
        cli_error("%s", err.msg);
        return -1;
    }
    *n_plots = list.n;
    *n_rendered = 0;
    if (!in.history_csv)
        cli_error("notice: no loss plot: no history.csv beside %s", o->model_path);
    else if (list.skipped[0])
        cli_error("notice: no loss plot: %s", list.skipped);
    char gnuplot[4096];
    if (gnuplot_find(gnuplot, sizeof gnuplot) != 0) {
        cli_error("gnuplot not found: render with 'cd %s && for f in *.gp; do gnuplot $f; "
                  "done'", o->out_dir);
        return 0;
    }
    for (int i = 0; i < list.n; i++) {
        char script[64];
        snprintf(script, sizeof script, "%s.gp", list.names[i]);
        if (gnuplot_run(gnuplot, o->out_dir, script, &err))
            cli_error("warning: %s", err.msg);
        else
            (*n_rendered)++;
    }
    return 0;
}

static void print_summary(const evaluate_options *o, const eval_metrics *mt, size_t n,
                          int threads, double seconds)
{
    const eval_group *a = &mt->all;
    const eval_pulls *c = eval_chosen(mt);
    eval_total other_u = mt->uncertainty == EVAL_TOTAL_BAYES ? EVAL_TOTAL_CORRECTED
                                                             : EVAL_TOTAL_BAYES;
    const eval_pulls *other = &a->total[other_u];
    int passes = mc_passes(o);
    printf("evaluated %zu %s events: %d pass%s (%s mode), %d threads, %.2f s "
           "(%.0f events/s)\n",
           n, o->split, passes, passes == 1 ? "" : "es", evaluate_mode_name(o->predict.mode),
           threads, seconds, seconds > 0 ? (double)n / seconds : 0.0);
    printf("  |A_pred/A_true - 1| < 0.1 %%: %.1f %% of events, < 1 %%: %.1f %%, "
           "< 10 %%: %.1f %%\n",
           100 * a->frac_below[0], 100 * a->frac_below[1], 100 * a->frac_below[2]);
    printf("  A_pred/A_true - 1 at 16/50/84 %%: %+.4f / %+.4f / %+.4f\n", a->rel_q[1],
           a->rel_q[2], a->rel_q[3]);
    printf("  %s total: pull mean %+.3f, std %.3f, robust width %.3f; coverage %.3f "
           "within 1 sigma (0.683), %.3f within 1.96 (0.950)\n",
           eval_total_name(mt->uncertainty), c->mean, c->std, c->robust_width,
           c->coverage_68, c->coverage_95);
    printf("  %s total: robust width %.3f, coverage %.3f / %.3f%s\n", eval_total_name(other_u),
           other->robust_width, other->coverage_68, other->coverage_95,
           other_u == EVAL_TOTAL_BAYES ? " (the tutorial's, counts Var(mu) twice)" : "");
    if (mt->has_regions)
        printf("  within 1 %%: bulk %.1f %% vs near-singular %.1f %% (%zu events, min "
               "s_ij/s12 <= %.3g); pull width bulk %.3f, near-singular %.3f\n",
               100 * mt->bulk.frac_below[1], 100 * mt->near_singular.frac_below[1],
               mt->near_singular.n_events, mt->singular_threshold,
               mt->bulk.total[mt->uncertainty].robust_width,
               mt->near_singular.total[mt->uncertainty].robust_width);
    printf("  where the cross section is: sum of A_pred / sum of A_true - 1 = %+.4f %%, "
           "A-weighted mean |A_pred/A_true - 1| = %.4f %%\n",
           100 * mt->sum_bias, 100 * mt->weighted_abs_rel);
    for (int g = 0; g < METRICS_N_LARGEST; g++) {
        const eval_group *l = &mt->largest[g];
        /* what a calibrated model's coverages scatter by on this many events (binomial),
         * so that 0.72 on 300 events reads as 1.4 standard deviations, not as a defect */
        double n = l->n_events > 0 ? (double)l->n_events : 1;
        printf("  largest %g %% of A (%zu events, A >= %.3g): within 1 %% %.1f %%, "
               "0.1 %% %.1f %%; 16/84 %%: %+.4f / %+.4f; pull width %.3f, coverage %.3f / "
               "%.3f (calibrated: 0.683 +- %.3f / 0.950 +- %.3f)\n",
               100 * metrics_largest_fractions[g], l->n_events, mt->largest_threshold[g],
               100 * l->frac_below[1], 100 * l->frac_below[0], l->rel_q[1], l->rel_q[3],
               l->total[mt->uncertainty].robust_width, l->total[mt->uncertainty].coverage_68,
               l->total[mt->uncertainty].coverage_95, sqrt(0.6827 * 0.3173 / n),
               sqrt(0.95 * 0.05 / n));
    }
    printf("  NLL %.4f; median sigma of log A: aleatoric %.4g, epistemic %.4g, total %.4g\n",
           c->nll, a->sigma_aleatoric_median, a->sigma_epistemic_median,
           c->sigma_total_median);
    if (mt->has_rescaled)
        printf("  rescaled (k = %.4f fitted on val): robust width %.3f, coverage %.3f / "
               "%.3f\n", mt->rescale_k, mt->rescaled.robust_width, mt->rescaled.coverage_68,
               mt->rescaled.coverage_95);
}

int evaluate_run(const evaluate_options *o)
{
    ba_error err;
    ba_model *m = ba_model_load(o->model_path, &err);
    if (!m) {
        cli_error("%s", err.msg);
        return 1;
    }
    ba_events ev, val;
    int have_val = 0;
    /* The model's process decides the particle count, and every event is checked
     * against it; --process, if given, must be that process. */
    const ba_process *proc = &ba_model_preprocessing(m)->process;
    if (o->process && cli_check_process(o->process, proc, o->model_path)) {
        ba_model_free(m);
        return EXIT_USAGE;
    }
    /* Under MPI each rank reads only its share of the events, whole batches of the
     * prediction (events_shard_load), predicts it, and rank 0 gathers what the metrics
     * need (evaluate_shares); with one process, the whole split. */
    const double *fractions = o->has_data_split ? o->data_split : NULL;
    size_t unit = (size_t)o->predict.batch_size, first = 0, n = 0, val_first = 0, n_val = 0;
    if (events_shard_load(o->data_dir, fractions, o->split, proc, unit, &ev, &first, &n,
                          &err)) {
        cli_error("%s", err.msg);
        ba_model_free(m);
        return 1;
    }
    /* the val split for the rescaling, unless it is the evaluated split */
    int separate_val = o->rescale_on_val && strcmp(o->split, "val") != 0;
    if (separate_val) {
        if (events_shard_load(o->data_dir, fractions, "val", proc, unit, &val, &val_first,
                              &n_val, &err)) {
            cli_error("--rescale-on-val: %s", err.msg);
            ba_events_free(&ev);
            ba_model_free(m);
            return 1;
        }
        have_val = 1;
    }
    int status = 1;
    int threads = o->predict.threads > 0 ? o->predict.threads : ba_default_threads();
    ba_evaluation *e = NULL;
    char pred_path[4096], metrics_path[4096];
    /* The folder only once the inputs are known to be good. metrics.json is written
     * last and marks a complete evaluation: remove a previous one first, so that a kill
     * at any moment never leaves it beside this run's pred.npy or plots. */
    /* Under MPI the folder and the files are rank 0's. */
    int writer = par_rank() == 0, unwritable = 0;
    if (cli_path(pred_path, sizeof pred_path, o->out_dir, "pred.npy") ||
        cli_path(metrics_path, sizeof metrics_path, o->out_dir, "metrics.json") ||
        (writer && cli_make_dir(o->out_dir)))
        unwritable = 1;
    else if (writer && unlink(metrics_path) != 0 && errno != ENOENT) {
        cli_error("%s: cannot remove: %s", metrics_path, strerror(errno));
        unwritable = 1;
    }
    if (par_any(unwritable))
        goto done;
    if (o->rescale_on_val && !separate_val)
        cli_error("notice: --rescale-on-val with --split val: k is fitted on the "
                  "evaluated events themselves");
    /* prediction and metrics: the library's, as ba_evaluate's */
    if (evaluate_shares(m, &ev, first, n, &o->predict, o->uncertainty, o->rescale_on_val,
                        have_val ? &val : NULL, val_first, n_val, &e, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (!writer) { /* rank 0 has the evaluation */
        status = 0;
        goto done;
    }
    const eval_metrics *mt = evaluation_metrics(e);
    const ba_prediction *pred = ba_evaluation_predictions(e);
    if (write_pred(pred_path, pred, n, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    int n_plots = 0, n_rendered = 0;
    if (make_plots(o, pred, evaluation_log_true(e), n, mt, &n_plots, &n_rendered))
        goto done;
    if (write_metrics(metrics_path, mt, o, threads, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }

    print_summary(o, mt, n, threads, mt->seconds);
    printf("wrote %s: pred.npy, metrics.json, %d plots (%d drawn as PNG and PDF)\n",
           o->out_dir, n_plots, n_rendered);
    fflush(stdout);
    status = 0;
done:
    ba_evaluation_free(e);
    if (have_val)
        ba_events_free(&val);
    ba_events_free(&ev);
    ba_model_free(m);
    return status;
}
