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

/* Collective: ba_evaluate of n events that the MPI ranks hold between them, each rank
 * only its own, as events_shard_load (data/dataset_shard.h) gives them with unit
 * cfg->batch_size (so each predicts whole batches, numbered as in one process): events
 * [first, first + events->n), checked already. The same with val (n_val events in all,
 * from val_first here) for the rescaling. Rank 0 gathers each event's prediction, log A
 * and singular measure, computes the metrics and gets *out, the evaluation of one
 * process bit for bit; the other ranks get NULL. An error on any rank is every rank's. */
int evaluate_shares(const ba_model *m, const ba_events *events, size_t first, size_t n,
                    const ba_predict_config *cfg, ba_uncertainty u, int rescale,
                    const ba_events *val, size_t val_first, size_t n_val, ba_evaluation **out,
                    ba_error *err);

#endif
