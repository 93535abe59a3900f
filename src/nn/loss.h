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
 * exp(-logsig2) overflow, and training diverges (issue 5's runs that ended in NaN).
 *
 * With tail_pull = c > 0 the term is Gaussian for pulls |z| = |mu - y| / sigma <= c and
 * grows only logarithmically beyond:
 *   term = c^2/2 (1 + log(z^2 / c^2)) + logsig2 / 2          for |z| > c,
 * continuous with its first derivatives at |z| = c. Why: the spikes of the precision
 * preset's loss (issue 11) were single rare events, among the largest amplitudes, whose
 * sampled network missed by 10-100 % while its predicted sigma said 0.005 %: pulls of
 * 1e4, terms of 1e8, one event moving an epoch's mean loss from -5 to 1e4 and its
 * gradient wrecking the Adam moments. In the tail the gradient on mu is c^2 / (mu - y),
 * bounded by c / sigma and falling, and the one on logsig2 is the constant (1 - c^2) / 2:
 * such an event widens its sigma until it is back in the Gaussian core, instead of
 * dragging the whole network. An event adds at most c^2/2 (1 + log(z^2/c^2)) to the sum,
 * about 80 at z = 1e4 and c = 3, so no single event can make a spike, and inside the core
 * (99.7 % of a calibrated model's events for c = 3) the likelihood and its calibration are
 * the tutorial's. c = 0: the plain Gaussian everywhere (the tutorial). This is the
 * "Gaussian core, logarithmic tail" form of robust M-estimation (a redescending influence
 * beyond c, as Cauchy's loss; Huber, Robust Statistics, 1981, ch. 4).
 *
 * weight (NULL: all 1) multiplies each row's term and its gradient: a weighted
 * likelihood. The sigma that minimises a row's term does not depend on its weight, so
 * weighting moves the network's effort between regions without biasing its uncertainty. */
double gaussian_nll(const ba_real *outputs, const ba_real *y, const ba_real *weight, int rows,
                    int batch_rows, ba_real *grad, double clamp, double tail_pull);

#endif
