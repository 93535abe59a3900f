/* The tutorial's plots, as data + gnuplot script pairs. For each plot NAME the folder
 * gets NAME.dat (plain columns with a '#' header saying what they are; histograms are
 * binned here, so the file stays small whatever the number of events) and NAME.gp, an
 * editable gnuplot script that draws NAME.png (pngcairo, 1000 x 750) and NAME.pdf
 * (pdfcairo) from it. gnuplot.h renders them.
 *
 * Plots: loss (training and validation loss per epoch, from the run's history.csv),
 * amplitudes (true and predicted distributions, log x, with their ratio), rel_dev
 * (A_pred/A_true - 1), uncertainties (aleatoric, epistemic, total sigma), pull (with
 * a unit Gaussian), rel_dev_vs_amp (median and 68 / 95 % bands of the relative
 * deviation against the true amplitude) and calibration (observed against expected
 * coverage). The total sigma of the uncertainties and pull plots is the metrics'
 * chosen definition (metrics->uncertainty); the calibration plot shows both
 * definitions, corrected in blue and bayes in red. Colours are the same in every plot:
 * truth black, BNN blue, aleatoric orange, epistemic green, total red (Okabe-Ito,
 * readable with colour blindness).
 */
#ifndef BA_PLOTS_H
#define BA_PLOTS_H

#include <stddef.h>
#include <stdio.h>

#include "bayesamp.h"
#include "eval/metrics.h"

typedef struct plot_inputs {
    size_t n;
    const ba_prediction *pred;
    int n_monte;                   /* Monte-Carlo passes behind pred, >= 1 (1 in MAP mode) */
    const double *log_true;        /* log A_true */
    const eval_metrics *metrics;
    const char *history_csv;       /* training history; NULL or missing: no loss plot */
} plot_inputs;

#define PLOTS_MAX 7

typedef struct plot_list {
    int n;
    const char *names[PLOTS_MAX]; /* the plots written, e.g. "pull" */
    char skipped[600];            /* why a plot was left out, "" if none was */
} plot_list;

/* The columns epoch, train_loss and val_loss of a history.csv read from f (path names
 * it in messages): cols[0..2] get n_rows values each, every one finite. On failure why
 * says what was wrong (the loss plot is then left out with a notice, not an error) and
 * nothing is allocated. Exposed for the fuzz harness. */
int plots_read_history(FILE *f, const char *path, double **cols, size_t *n_rows, char *why,
                       size_t why_size);

/* Write NAME.dat and NAME.gp of every plot into dir (which must exist). */
int plots_write(const char *dir, const plot_inputs *in, plot_list *list, ba_error *err);

#endif
