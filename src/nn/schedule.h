/* Learning-rate schedules, as a function of the optimiser step t = 0 .. total - 1.
 *   constant  lr (after the warm-up)
 *   cosine    a linear warm-up from 0 to lr over `warmup` steps, then cosine annealing
 *             to lr * final_ratio at the last step (Loshchilov & Hutter, arXiv:1608.03983,
 *             without restarts)
 *   onecycle  Smith's one-cycle policy (arXiv:1708.07120) in PyTorch's OneCycleLR form:
 *             cosine rise from lr / 25 to lr over `warmup` steps, then cosine decay to
 *             lr * final_ratio.
 * A warm-up avoids the large first Adam steps, which move every weight by ~lr at once. */
#ifndef BA_SCHEDULE_H
#define BA_SCHEDULE_H

#include "bayesamp.h"

double lr_at_step(const ba_lr_config *c, long step, long total_steps);

const char *lr_schedule_name(ba_lr_schedule s);
int lr_schedule_parse(const char *name, ba_lr_schedule *out);

#endif
