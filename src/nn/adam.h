/* Adam (Kingma and Ba, arXiv:1412.6980) exactly as torch.optim.Adam with its defaults
 * (no weight decay, no amsgrad): at step t, with m and v starting at 0,
 *   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
 *   p = p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Note where eps enters: after the bias correction of sqrt(v), as PyTorch does. */
#ifndef BA_ADAM_H
#define BA_ADAM_H

#include <stddef.h>

#include "bayesamp.h"

typedef struct adam_step {
    double step_size;       /* lr / (1 - b1^t) */
    double inv_sqrt_bias2;  /* 1 / sqrt(1 - b2^t) */
    double beta1, beta2, eps;
} adam_step;

/* The constants of step t (t = 1 for the first step). */
adam_step adam_prepare(double lr, long t);

/* Update params[0..n) given grads; m and v are the moment estimates. */
void adam_update(const adam_step *s, ba_real *params, const ba_real *grads, ba_real *m,
                 ba_real *v, size_t n);

#endif
