/* The evaluation of a prediction (bayesamp.h, ba_evaluate) as the command line needs it
 * beyond the public interface: the metrics themselves, for its summary, plots and
 * metrics.json. */
#ifndef BA_EVALUATE_H
#define BA_EVALUATE_H

#include "bayesamp.h"
#include "eval/metrics.h"

const eval_metrics *evaluation_metrics(const ba_evaluation *e);
/* log A of every evaluated event, and the Monte-Carlo passes behind every prediction
 * (1 in MAP mode). */
const double *evaluation_log_true(const ba_evaluation *e);
int evaluation_passes(const ba_evaluation *e);

#endif
