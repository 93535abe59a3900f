/* The heteroscedastic Gaussian negative log-likelihood of the tutorial, without the
 * constant 0.5 log(2 pi): for an output row (mu, logsig2) and target y,
 *   term = (mu - y)^2 / (2 exp(logsig2)) + logsig2 / 2,
 * and the loss is the mean of the terms over the batch. */
#ifndef BA_LOSS_H
#define BA_LOSS_H

#include "bayesamp.h"

/* For rows outputs (rows, 2) and targets y: returns the sum of the terms (double) and,
 * if grad is not NULL, writes dloss/doutputs for a loss that divides by batch_rows:
 * d/dmu = (mu - y) / (batch_rows exp(logsig2)),
 * d/dlogsig2 = (1 - (mu - y)^2 / exp(logsig2)) / (2 batch_rows).
 * With clamp > 0 the log-variance is first clamped to [-clamp, clamp] (gradient 0
 * outside): a network that drives logsig2 towards -inf to fit one event exactly makes
 * exp(-logsig2) overflow, and training diverges (issue 5's runs that ended in NaN). */
double gaussian_nll(const ba_real *outputs, const ba_real *y, int rows, int batch_rows,
                    ba_real *grad, double clamp);

#endif
